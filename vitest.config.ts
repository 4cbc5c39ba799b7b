import { defineConfig } from 'vitest/config';

// One vitest project per part of the tree; the renderer has its own (Angular) runner.
// Integration tests start the real, built services as processes (`npm run build` first).
const project = (name: string, dir: string, include = ['test/**/*.test.ts']) => ({
  test: {
    name,
    root: dir,
    include,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});

export default defineConfig({
  test: {
    projects: [
      project('contracts', 'contracts'),
      project('kit', 'services/kit'),
      project('idp', 'services/idp'),
      project('ticketing', 'services/ticketing'),
      project('organizations', 'services/organizations'),
      project('api', 'services/api'),
      project('chroma', 'services/chroma'),
      project('main', 'main'),
      project('scripts', 'scripts', ['test/**/*.test.mjs', 'test/**/*.test.ts']),
    ],
  },
});

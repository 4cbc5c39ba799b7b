/**
 * electron-builder.yml against the tree (it cannot package on these machines): every file it packs
 * exists after `npm run build`, every service the supervisor starts is packed, and every native module
 * of the production dependencies is unpacked from the asar (a .node file cannot be dlopen'ed from an
 * archive) and rebuilt for Electron's ABI.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import yaml from 'js-yaml';
import { minimatch } from 'minimatch';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../test/support/services.js';
import { SERVICE_NAMES } from '../src/node/supervisor/services.js';

interface BuilderConfig {
  files: string[];
  extraResources: { from: string; to: string }[];
  asarUnpack: string[];
  npmRebuild?: boolean;
  linux?: { target: string[] };
  win?: { target: string[] };
  mac?: { target: string[] };
}

const config = yaml.load(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')) as BuilderConfig;

function walk(dir: string, skip: (rel: string) => boolean, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const abs = join(dir, name);
    const rel = relative(ROOT, abs).split(sep).join('/');
    if (skip(rel)) continue;
    if (statSync(abs).isDirectory()) walk(abs, skip, out);
    else out.push(rel);
  }
  return out;
}

/** The app's own files as electron-builder sees them (node_modules is added by it, separately). */
const appFiles = walk(ROOT, (rel) => /(^|\/)(node_modules|\.git|\.angular|\.data|e2e-artifacts)$/.test(rel));

/** What `files` selects: the positive patterns, minus the negated ones. */
function packed(): string[] {
  const include = config.files.filter((p) => !p.startsWith('!'));
  const exclude = config.files.filter((p) => p.startsWith('!')).map((p) => p.slice(1));
  return appFiles.filter(
    (f) => include.some((p) => minimatch(f, p)) && !exclude.some((p) => minimatch(f, p, { dot: true })),
  );
}

/** The production dependencies, recursively, with their directories (optional ones where installed). */
function productionPackages(): Map<string, string> {
  const found = new Map<string, string>();
  const visit = (name: string, from: string) => {
    if (found.has(name)) return;
    let dir = from;
    let pkgDir: string | undefined;
    for (;;) {
      const candidate = join(dir, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) {
        pkgDir = candidate;
        break;
      }
      if (dir === ROOT) break;
      dir = join(dir, '..');
    }
    if (!pkgDir) return; // an optional dependency for another platform
    found.set(name, pkgDir);
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) visit(dep, pkgDir);
  };
  const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  for (const dep of Object.keys(root.dependencies)) visit(dep, ROOT);
  return found;
}

describe('electron-builder.yml against the tree', () => {
  it('packs only files that exist, and the built entry of main and of every service', () => {
    const files = packed();
    for (const pattern of config.files.filter((p) => !p.startsWith('!')))
      expect(
        files.some((f) => minimatch(f, pattern)),
        `${pattern} matches nothing (npm run build first)`,
      ).toBe(true);
    const rootPkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { main: string };
    expect(files).toContain(rootPkg.main);
    expect(files).toContain('main/dist/preload/preload.cjs');
    for (const name of SERVICE_NAMES) {
      const pkg = JSON.parse(readFileSync(join(ROOT, 'services', name, 'package.json'), 'utf8')) as {
        main: string;
      };
      expect(files, `services/${name}`).toContain(`services/${name}/package.json`);
      expect(files, `services/${name}`).toContain(`services/${name}/${pkg.main}`);
    }
    expect(files.some((f) => f.includes('/test/') || f.endsWith('.map') || f.endsWith('.d.ts'))).toBe(false);
  });

  it('takes the renderer build and the documentation from directories that exist', () => {
    for (const r of config.extraResources) {
      expect(existsSync(join(ROOT, r.from)), r.from).toBe(true);
      expect(readdirSync(join(ROOT, r.from)).length, r.from).toBeGreaterThan(0);
    }
    expect(existsSync(join(ROOT, 'renderer/dist/renderer/browser/index.html'))).toBe(true);
  });

  it('unpacks every native module of the production dependencies, and what loads them in a worker', () => {
    const unpacked = (rel: string) => config.asarUnpack.some((p) => minimatch(rel, p, { dot: true }));
    const natives: string[] = [];
    for (const dir of productionPackages().values())
      for (const f of walk(dir, (rel) => /\/node_modules\/[^/]+\/node_modules$/.test(rel)))
        if (f.endsWith('.node')) natives.push(f);
    // better-sqlite3's addon and Chroma's bindings at least (the premise of the check).
    expect(natives.some((f) => f.endsWith('better_sqlite3.node'))).toBe(true);
    expect(natives.some((f) => /chromadb-js-bindings-.*\.node$/.test(f))).toBe(true);
    for (const f of natives) expect(unpacked(f), `${f} stays inside the asar`).toBe(true);
    // bindings (better-sqlite3's loader) resolves the addon relative to itself: it comes along.
    expect(unpacked('node_modules/bindings/bindings.js')).toBe(true);
    expect(unpacked('services/chroma/dist/server.js')).toBe(true);
  });

  it("rebuilds native modules for Electron's ABI, for the four installers", () => {
    expect(config.npmRebuild).toBe(true);
    expect(config.linux?.target).toEqual(expect.arrayContaining(['AppImage', 'deb']));
    expect(config.win?.target).toContain('nsis');
    expect(config.mac?.target).toContain('dmg');
  });
});

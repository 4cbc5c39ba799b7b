/** For vitest files: `const fresh = freshDirs('msi-x-')`; each `fresh()` is a new temp dir, removed after the test. */
import { afterEach } from 'vitest';
import { tempDataDir } from './data-dir.js';

export function freshDirs(prefix: string): () => string {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });
  return () => {
    const d = tempDataDir(prefix);
    cleanups.push(d.cleanup);
    return d.dir;
  };
}

/**
 * The worker thread that runs Chroma's native server (it blocks the thread that starts it). chromadb's
 * CLI (cli.mjs) only picks the platform's native bindings and calls their cli(); it also imports semver
 * for its `update` command, a sixth of this process's start. So the bindings are called directly, with
 * the CLI as the fallback where they are not found under the name chromadb gives them.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { workerData } from 'node:worker_threads';

const args = workerData as string[];
const chromadb = createRequire(import.meta.url).resolve('chromadb');
const abi = process.platform === 'linux' ? '-gnu' : process.platform === 'win32' ? '-msvc' : '';
let bindings: { cli(argv: string[]): void } | undefined;
try {
  bindings = createRequire(chromadb)(`chromadb-js-bindings-${process.platform}-${process.arch}${abi}`) as {
    cli(argv: string[]): void;
  };
} catch {
  bindings = undefined;
}
if (bindings) bindings.cli(['chroma', ...args]);
else {
  // chromadb's package exports do not include the CLI; it sits next to the CommonJS entry's folder.
  const cli = join(dirname(chromadb), '..', 'cli.mjs');
  process.argv = [process.execPath, cli, ...args];
  await import(pathToFileURL(cli).href);
}

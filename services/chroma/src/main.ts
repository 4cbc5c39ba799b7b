/**
 * `node chroma.js run --path DIR --host H --port N`: Chroma's own server (the chromadb package's CLI),
 * run in a worker thread so this thread stays free to notice that the parent is gone — the native
 * server blocks the thread that starts it, so a ppid watch beside it would never run. When the
 * parent changes (the app was killed) the process ends itself with SIGTERM, as Chroma expects.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, isMainThread, workerData } from 'node:worker_threads';

if (isMainThread) {
  const worker = new Worker(new URL(import.meta.url), { workerData: process.argv.slice(2) });
  worker.on('error', (err) => {
    process.stderr.write(`chroma: ${err.stack ?? err.message}\n`);
    process.exit(1);
  });
  worker.on('exit', (code) => process.exit(code));
  const parent = process.ppid;
  if (parent > 1) {
    setInterval(() => {
      if (process.ppid !== parent) {
        process.stderr.write(`chroma: parent ${parent} is gone; exiting\n`);
        process.kill(process.pid, 'SIGTERM');
      }
    }, 500).unref();
  }
} else {
  const args = workerData as string[];
  const chromadb = createRequire(import.meta.url).resolve('chromadb');
  // chromadb's CLI (cli.mjs) only picks the platform's native bindings and calls their cli(); it also
  // imports semver for its `update` command, a sixth of this process's start. Call the bindings
  // directly, and fall back to the CLI where they are not found under the name chromadb gives them.
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
}

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
  // chromadb's package exports do not include the CLI; it sits next to the CommonJS entry's folder.
  const cli = join(dirname(createRequire(import.meta.url).resolve('chromadb')), '..', 'cli.mjs');
  process.argv = [process.execPath, cli, ...(workerData as string[])];
  await import(pathToFileURL(cli).href);
}

/**
 * `node services/chroma`: Chroma's own server, configured by the environment like every other service
 * (PORT, HOST, MSI_DATA_DIR or CHROMA_PATH; a bad variable stops it with one line and exit 78). The
 * native server runs in a worker thread (server.ts) so this thread stays free to notice that the
 * parent is gone: when the parent changes (the app was killed) the process ends itself with SIGTERM,
 * as Chroma expects.
 */
import { Worker } from 'node:worker_threads';
import { chromaArgs, chromaConfig } from './config.js';

const cfg = chromaConfig();
const worker = new Worker(new URL('./server.js', import.meta.url), { workerData: chromaArgs(cfg) });
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

/**
 * `node services/chroma`: Chroma's own server, configured by the environment like every other service
 * (PORT, HOST, MSI_DATA_DIR or CHROMA_PATH; a bad variable stops it with one line and exit 78, a taken
 * port with exit 98; CHROMA_TOKEN puts the token gate in front, token-gate.ts). The
 * native server runs in a worker thread (server.ts) so this thread stays free to notice that the
 * parent is gone: when the parent changes (the app was killed) the process ends itself with SIGTERM,
 * as Chroma expects.
 */
import { createServer, type AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import { EXIT, exitWith } from '@msi/kit/exit-codes';
import { chromaArgs, chromaConfig } from './config.js';

const cfg = chromaConfig();
// Chroma's native server answers a taken port with a crash (SIGSEGV); say it the way every service
// does (one line, EXIT.portInUse) so the supervisor picks another port instead of restarting.
const taken = await new Promise<string | undefined>((resolve) => {
  const probe = createServer();
  probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  probe.listen(cfg.port, cfg.host, () => probe.close(() => resolve(undefined)));
});
if (taken) exitWith('chroma', EXIT.portInUse, `cannot listen on ${cfg.host}:${cfg.port} (${taken})`);

// With a token, the native server takes an internal loopback port and the token gate the service's own.
let native = { host: cfg.host, port: cfg.port, path: cfg.path };
if (cfg.token) {
  const internal = await new Promise<number>((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
  native = { host: '127.0.0.1', port: internal, path: cfg.path };
  const { tokenGate } = await import('./token-gate.js');
  const gate = tokenGate(cfg.token, internal);
  gate.on('error', (err: NodeJS.ErrnoException) =>
    exitWith(
      'chroma',
      EXIT.portInUse,
      `cannot listen on ${cfg.host}:${cfg.port} (${err.code ?? err.message})`,
    ),
  );
  gate.listen(cfg.port, cfg.host);
}
const worker = new Worker(new URL('./server.js', import.meta.url), { workerData: chromaArgs(native) });
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

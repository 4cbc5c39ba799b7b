/**
 * `node services/idp`: the OpenID Connect provider (env: DESIGN.md "Running the parts").
 * `node services/idp rotate-keys`: makes a new signing key in MSI_DATA_DIR/idp; the old public key stays
 * in the JWKS until the tokens it signed have expired.
 */
import { join } from 'node:path';
import { DataDirError, env, loadConfig } from '@msi/kit';
import { createIdp } from './app.js';
import { loadIdpConfig } from './config.js';
import { KeyStore } from './keys.js';

function fail(err: unknown): never {
  if (err instanceof DataDirError) {
    process.stderr.write(`idp: data dir problem: ${err.message}\n`);
    process.exit(73);
  }
  throw err;
}

async function main(): Promise<void> {
  const command = process.argv[2];
  if (command === 'rotate-keys') {
    const { MSI_DATA_DIR } = loadConfig('idp', { MSI_DATA_DIR: env.string('./.data') });
    const keys = new KeyStore(join(MSI_DATA_DIR, 'idp'), 0);
    const { kid, retired } = keys.rotate();
    process.stdout.write(
      `idp: new signing key ${kid}; retired ${retired.join(', ') || 'none'} (published until their tokens expire)\n`,
    );
    return;
  }
  if (command !== undefined) {
    process.stderr.write(`idp: unknown command ${command} (expected nothing, or rotate-keys)\n`);
    process.exit(64);
  }
  const cfg = loadIdpConfig();
  const { listen, log, idp } = await createIdp(cfg);
  await listen();
  log.info(
    { issuer: cfg.issuer, demo: cfg.IDP_DEMO, audiences: [...idp.resources.keys()] },
    'identity provider ready',
  );
}

main().catch(fail);

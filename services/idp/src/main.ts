/**
 * `node services/idp`: the OpenID Connect provider (env: README.md).
 * `node services/idp rotate-keys`: makes a new signing key in MSI_DATA_DIR/idp; the old public key stays
 * in the JWKS until the tokens it signed have expired.
 */
import { join } from 'node:path';
import { env, EXIT, exitWith, parseConfig, runCommand, runService } from '@msi/kit';
import { buildIdp, openIdpData } from './app.js';
import { parseIdpConfig } from './config.js';
import { KeyStore } from './keys.js';

function rotateKeys(): void {
  const { MSI_DATA_DIR } = parseConfig({ MSI_DATA_DIR: env.string('./.data') });
  const { kid, retired } = new KeyStore(join(MSI_DATA_DIR, 'idp'), 0).rotate();
  process.stdout.write(
    `idp: new signing key ${kid}; retired ${retired.join(', ') || 'none'} (published until their tokens expire)\n`,
  );
}

const command = process.argv[2];
if (command === 'rotate-keys') await runCommand('idp', rotateKeys);
else if (command !== undefined)
  exitWith('idp', EXIT.usage, `unknown command ${command} (expected nothing, or rotate-keys)`);
else
  await runService({
    name: 'idp',
    config: parseIdpConfig,
    open: (cfg, log) => openIdpData(cfg, log),
    async build({ cfg, data, app, log }) {
      const idp = await buildIdp(app, log, cfg, data);
      return () =>
        log.info(
          { issuer: cfg.issuer, demo: cfg.IDP_DEMO, audiences: [...idp.resources.keys()] },
          'identity provider ready',
        );
    },
  });

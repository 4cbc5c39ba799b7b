/**
 * IDP figures: token verifications per second by the kit verifier with a warm JWKS cache, and the latency
 * of a token-exchange request (p50/p95) against the real IDP process.
 */
import { createTokenVerifier } from '@msi/kit';
import { exchangeToken, loginWithPassword, startIdp } from '../test/support/idp.js';
import { figure, printFigures, summarize, timeMany } from './lib.js';

const idp = await startIdp();
try {
  const { access_token } = await loginWithPassword(idp.issuer, 'alex_agent');
  const verifier = createTokenVerifier({ issuer: idp.issuer, audience: idp.audiences.api });
  await verifier.verify(access_token); // warms the JWKS cache

  const n = 5000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await verifier.verify(access_token);
  const seconds = (performance.now() - t0) / 1000;
  console.log(`verified ${n} ES256 access tokens in ${seconds.toFixed(2)} s (warm JWKS cache)`);
  figure('idp.verify_per_second', n / seconds, 'ops/s');

  const samples = await timeMany(
    200,
    () => exchangeToken(idp.issuer, { subjectToken: access_token, resource: idp.audiences.ticketing }),
    20,
  );
  const s = summarize(samples);
  console.log(
    `token exchange over HTTP: ${s.n} requests, min ${s.min.toFixed(2)} ms, max ${s.max.toFixed(2)} ms`,
  );
  figure('idp.token_exchange_p50', s.p50, 'ms');
  figure('idp.token_exchange_p95', s.p95, 'ms');
} finally {
  await idp.stop();
}
printFigures();

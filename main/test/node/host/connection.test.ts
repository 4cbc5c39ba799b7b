import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@msi/kit';
import { testConnection } from '../../../src/node/host/connection.js';

let server: Server;
let base = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/good/.well-known/openid-configuration') {
      json(200, {
        issuer: `${base}/good`,
        authorization_endpoint: `${base}/good/authorize`,
        token_endpoint: `${base}/good/token`,
        jwks_uri: `${base}/good/jwks`,
      });
    } else if (req.url === '/wrong/.well-known/openid-configuration')
      json(200, { issuer: 'https://elsewhere' });
    else if (req.url === '/html/.well-known/openid-configuration') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>');
    } else if (req.url === '/api/healthz') json(200, { status: 'ok' });
    else if (req.url === '/down/healthz') json(503, { status: 'down' });
    else if (req.url?.startsWith('/slow'))
      return; // never answers
    else json(404, {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe('test connection', () => {
  it('passes a good discovery document and a healthy API', async () => {
    const [idp, api] = await testConnection({ issuer: `${base}/good/`, apiUrl: `${base}/api` });
    expect(idp).toMatchObject({ endpoint: 'idp', ok: true });
    expect(api).toMatchObject({ endpoint: 'api', ok: true, url: `${base}/api/healthz` });
  });

  it('says which one failed and why: bad document, HTTP status, not JSON', async () => {
    const [idp, api] = await testConnection({ issuer: `${base}/wrong`, apiUrl: `${base}/down` });
    expect(idp.ok).toBe(false);
    expect(idp.message).toMatch(/names issuer "https:\/\/elsewhere", expected/);
    expect(api.ok).toBe(false);
    expect(api.message).toMatch(/HTTP 503/);
    const [html] = await testConnection({ issuer: `${base}/html`, apiUrl: `${base}/api` });
    expect(html.message).toMatch(/did not answer JSON \(content-type text\/html\)/);
  });

  it('tells refused, DNS and timeout apart', async () => {
    const closed = await freePort();
    const [refused] = await testConnection({ issuer: `http://127.0.0.1:${closed}`, apiUrl: `${base}/api` });
    expect(refused.message).toMatch(/refused/);
    const [dns] = await testConnection({ issuer: 'http://no-such-host.invalid', apiUrl: `${base}/api` });
    expect(dns.message).toMatch(/cannot resolve host no-such-host\.invalid \(DNS/);
    const [, slow] = await testConnection({ issuer: `${base}/good`, apiUrl: `${base}/slow` }, 300);
    expect(slow.message).toMatch(/within 300 ms \(timeout\)/);
    const [bad] = await testConnection({ issuer: 'ftp://x', apiUrl: `${base}/api` });
    expect(bad.message).toMatch(/not an http\(s\) URL/);
  });
});

/**
 * Chroma runs with its token (services/chroma's gate), and only the API knows it: with the right one
 * the API is ready and the documentation gets its vectors; with a wrong one /readyz says Chroma refuses
 * and search falls back to full text, rather than looking healthy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../../../test/support/backend.js';

let backend: Backend;
beforeAll(async () => {
  backend = await startBackend({ seedTickets: 5 });
}, 180_000);
afterAll(() => backend?.stop());

async function readiness(url: string) {
  for (let i = 0; ; i++) {
    const res = await fetch(`${url}/readyz`);
    const body = (await res.json()) as {
      status: string;
      checks: Record<string, { ok: boolean; detail: string }>;
    };
    if (body.checks.chroma?.ok || i > 50) return body;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('the API and Chroma with its token', () => {
  it('the API is let in; an anonymous caller is not', async () => {
    expect(backend.chroma.token).toBeTruthy();
    const body = await readiness(backend.api.url);
    expect(body.checks.chroma).toMatchObject({ ok: true });
    const anonymous = await fetch(
      `${backend.chroma.url}/api/v2/tenants/default_tenant/databases/default_database/collections`,
    );
    expect(anonymous.status).toBe(401);
  });

  it('a wrong token shows in readiness instead of a silent fallback', async () => {
    const api = await backend.startApi({ CHROMA_TOKEN: 'not-the-token' });
    const res = await fetch(`${api.url}/readyz`);
    const body = (await res.json()) as { checks: Record<string, { ok: boolean; detail: string }> };
    expect(res.status).toBe(503);
    expect(body.checks.chroma!.ok).toBe(false);
    expect(body.checks.chroma!.detail).toMatch(/search uses full-text only/);
  });
});

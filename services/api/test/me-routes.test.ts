/**
 * GET /api/me over the real stack: who is signed in and what they may do (`can`, contracts' CAN table)
 * for each demo role, and the knowledge routes enforce exactly the flags the API answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../../../test/support/api-client.js';
import { startBackend, type Backend } from '../../../test/support/backend.js';

let stack: Backend;
const tokens: Record<string, string> = {};
const USERS = ['james_smith', 'alex_agent', 'sam_supervisor', 'admin'] as const;

beforeAll(async () => {
  stack = await startBackend();
  for (const u of USERS) tokens[u] = await stack.login(u);
});
afterAll(async () => {
  await stack?.stop();
});

const api = (user: string, method: string, path: string, body?: unknown) =>
  call<Record<string, unknown>>(stack.api.url, tokens[user]!, method, path, body);

// The roles table of DESIGN.md, spelled out here so that a change to the CAN table shows up as a failure.
const EXPECTED: Record<(typeof USERS)[number], Record<string, boolean>> = {
  james_smith: {
    changeKnowledge: false,
    removeBuiltInDocs: false,
    seeAllOrganizations: false,
    workTickets: false,
    assignTickets: false,
    changeMemberPermissions: false,
    configureEndpoints: false,
    seeDiagnostics: false,
    changeApprovalPolicy: false,
    runBackups: false,
  },
  alex_agent: {
    changeKnowledge: true,
    removeBuiltInDocs: false,
    seeAllOrganizations: false,
    workTickets: true,
    assignTickets: false,
    changeMemberPermissions: false,
    configureEndpoints: true,
    seeDiagnostics: false,
    changeApprovalPolicy: false,
    runBackups: false,
  },
  sam_supervisor: {
    changeKnowledge: true,
    removeBuiltInDocs: true,
    seeAllOrganizations: true,
    workTickets: true,
    assignTickets: true,
    changeMemberPermissions: false,
    configureEndpoints: true,
    seeDiagnostics: false,
    changeApprovalPolicy: false,
    runBackups: false,
  },
  admin: {
    changeKnowledge: true,
    removeBuiltInDocs: true,
    seeAllOrganizations: true,
    workTickets: true,
    assignTickets: true,
    changeMemberPermissions: true,
    configureEndpoints: true,
    seeDiagnostics: true,
    changeApprovalPolicy: true,
    runBackups: true,
  },
};

describe('GET /api/me', () => {
  it.each(USERS)('answers what %s may do', async (user) => {
    const me = await api(user, 'GET', '/api/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ username: user, provider: 'offline' });
    expect(me.body.can).toEqual(EXPECTED[user]);
  });

  it('the knowledge routes allow exactly what `can` says', async () => {
    const docs = (await api('admin', 'GET', '/api/knowledge/documents')).body.documents as {
      id: string;
      source: string;
    }[];
    const builtin = docs.find((d) => d.source === 'builtin')!;
    expect(builtin).toBeDefined();
    for (const user of USERS) {
      const can = EXPECTED[user];
      const upload = await api(user, 'POST', '/api/knowledge/documents', {
        filename: `${user}-notes.md`,
        content: `# Notes of ${user}\n\nRestart the DS-8 dock after a firmware update.\n`,
      });
      expect(upload.status, `${user} uploads`).toBe(can.changeKnowledge ? 202 : 403);
      if (upload.status === 202) {
        const removed = await api(user, 'DELETE', `/api/knowledge/documents/${String(upload.body.id)}`);
        expect(removed.status, `${user} removes an upload`).toBe(204);
      }
      if (!can.removeBuiltInDocs) {
        const refused = await api(user, 'DELETE', `/api/knowledge/documents/${builtin.id}`);
        expect(refused.status, `${user} removes built-in docs`).toBe(403);
      }
    }
    // Only one role removes a built-in document for real (it is gone afterwards).
    expect((await api('sam_supervisor', 'DELETE', `/api/knowledge/documents/${builtin.id}`)).status).toBe(
      204,
    );
  });
});

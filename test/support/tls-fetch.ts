/**
 * Node's global fetch trusting one more certificate: the topology's self-signed one (nginx terminates
 * TLS with a certificate made at its start, after this process began, so NODE_EXTRA_CA_CERTS is too
 * late). The helpers that sign in and call the API (idp.ts, api-client.ts) use the global fetch, so they
 * work through nginx unchanged. undici's own fetch and Agent: one version, with `connect.ca`.
 */
import { Agent, fetch as undiciFetch } from 'undici';

/** Makes the global fetch trust `caPem` besides the usual roots; returns the function that undoes it. */
export function trustCertificate(caPem: string): () => void {
  const original = globalThis.fetch;
  const agent = new Agent({ connect: { ca: caPem } });
  globalThis.fetch = ((input: Parameters<typeof fetch>[0], init?: RequestInit) =>
    undiciFetch(input as never, { ...(init as object), dispatcher: agent } as never)) as typeof fetch;
  return () => {
    globalThis.fetch = original;
    void agent.close();
  };
}

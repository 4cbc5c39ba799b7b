/**
 * Per-person tool lists in Redis (REDIS_URL), so that a person's next request on another API instance
 * does not list every MCP server again. The key is a hash of what decides the list: the person's
 * subject, roles, organizations and scopes, and the server; nobody reads another's entry. A server's
 * `tools/list_changed` deletes the entry; otherwise it expires with the gateway's list TTL.
 */
import { createHash } from 'node:crypto';
import type { SharedRedis } from '@msi/kit';
import type { RemoteTool, SharedToolLists } from './mcp-clients.js';

export function redisToolLists(
  redis: SharedRedis,
): SharedToolLists & { stats(): { hits: number; misses: number } } {
  const stats = { hits: 0, misses: 0 };
  const key = (k: string) =>
    redis.key('tools', createHash('sha256').update(k, 'utf8').digest('hex').slice(0, 40));
  return {
    async get(k) {
      const raw = await redis.client.get(key(k));
      if (raw === null) {
        stats.misses++;
        return undefined;
      }
      stats.hits++;
      return JSON.parse(raw) as RemoteTool[];
    },
    async set(k, tools, ttlMs) {
      await redis.client.set(key(k), JSON.stringify(tools), 'PX', ttlMs);
    },
    async delete(k) {
      await redis.client.del(key(k));
    },
    stats: () => ({ ...stats }),
  };
}

/**
 * POST /api/tickets/:number/copilot/:action — Summarize, Draft reply, Similar tickets for one ticket, with
 * the person's own rights (their exchanged token at the ticketing server). Support staff only: for a
 * customer, and for a ticket the person cannot see, the ticket does not exist (404).
 */
import type { FastifyInstance, FastifyReply, preHandlerHookHandler } from 'fastify';
import { may } from '@msi/contracts/roles';
import {
  API_ROUTES,
  COPILOT_ACTIONS,
  type Citation,
  type CopilotAction,
  type CopilotResult,
} from '@msi/contracts/api';
import { EXTRACTIVE_NOTE, sectionPath } from '../agent/offline/copilot.js';
import { ModelError, type ModelProvider } from '../agent/provider.js';
import { bearerToken } from '../auth.js';
import type { Embedder } from '../knowledge/embedder.js';
import type { McpGateway } from '../mcp-clients.js';
import type { DocumentSearch } from '../tools.js';
import { loadTicket, MaterialError, passagesFor, similarTickets } from './material.js';
import { extractiveWriter, modelWriter } from './writer.js';

export interface CopilotRouteOptions {
  preHandler: preHandlerHookHandler[];
  provider: ModelProvider;
  mcp: McpGateway;
  docs: DocumentSearch;
  /** The embedder of the semantic leg of Similar tickets (the knowledge base's). */
  embedder?: Embedder;
}

const NUMBER = /^(?:TCK-)?\d{1,9}$/i;

const notFound = (reply: FastifyReply, number: string) =>
  reply.status(404).send({ error: 'not_found', message: `ticket ${number} not found` });

export function registerCopilotRoutes(app: FastifyInstance, opts: CopilotRouteOptions): void {
  app.post<{ Params: { number: string; action: string } }>(
    API_ROUTES.copilot,
    { preHandler: opts.preHandler },
    async (req, reply) => {
      const t0 = performance.now();
      const principal = req.principal!;
      const { number, action } = req.params;
      if (!(COPILOT_ACTIONS as readonly string[]).includes(action)) {
        return reply.status(404).send({
          error: 'not_found',
          message: `no copilot action ${action}; there are ${COPILOT_ACTIONS.join(', ')}`,
        });
      }
      if (!NUMBER.test(number)) {
        return reply.status(400).send({
          error: 'invalid_request',
          message: `${number.slice(0, 40)} is not a ticket number (e.g. TCK-1042)`,
        });
      }
      // The copilot is for support staff; for anyone else the ticket is not there (nothing leaks).
      if (!may(principal.roles, 'workTickets')) return notFound(reply, number);

      const ac = new AbortController();
      reply.raw.on('close', () => {
        if (!reply.raw.writableFinished) ac.abort();
      });
      const mcp = opts.mcp.session(principal, bearerToken(req));
      const writer =
        opts.provider.name === 'offline'
          ? extractiveWriter(principal)
          : modelWriter(opts.provider, principal);
      const base = {
        provider: opts.provider.name,
        ...(opts.provider.model && !writer.extractive ? { model: opts.provider.model } : {}),
        extractive: writer.extractive,
      };
      const notes: string[] = writer.extractive ? [EXTRACTIVE_NOTE] : [];
      try {
        const detail = await loadTicket(mcp, number);
        const ticket = detail.ticket.number;
        let result: DistributiveOmit<CopilotResult, 'ms' | 'note'>;
        switch (action as CopilotAction) {
          case 'summarize': {
            const { passages, note } = await passagesFor(opts.docs, detail.ticket, 3);
            if (note) notes.push(note);
            const summary = await writer.summarize(detail, passages, ac.signal);
            result = { ...base, action: 'summarize', ticket, summary };
            break;
          }
          case 'draft_reply': {
            const { passages, note } = await passagesFor(opts.docs, detail.ticket, 4);
            if (note) notes.push(note);
            const { draft, citations } = await writer.draft(detail, passages, ac.signal);
            result = {
              ...base,
              action: 'draft_reply',
              ticket,
              draft: withSources(draft, citations),
              citations,
            };
            break;
          }
          case 'similar': {
            const { tickets, note } = await similarTickets(mcp, opts.embedder, detail.ticket);
            if (note) notes.push(note);
            // Finding tickets needs no model: the result is the same with either provider.
            result = { ...base, extractive: false, action: 'similar', ticket, tickets };
            const i = notes.indexOf(EXTRACTIVE_NOTE);
            if (i >= 0) notes.splice(i, 1);
            break;
          }
        }
        return {
          ...result,
          ...(notes.length ? { note: notes.join(' ') } : {}),
          ms: Math.round(performance.now() - t0),
        } as CopilotResult;
      } catch (err) {
        if (err instanceof MaterialError) {
          if (err.notFound) return notFound(reply, number);
          return reply.status(502).send({ error: 'tool_error', message: err.message });
        }
        if (err instanceof ModelError) {
          return reply.status(502).send({ error: 'model_error', message: err.message });
        }
        if (ac.signal.aborted) return reply;
        req.log.error({ err }, 'copilot action failed');
        return reply
          .status(500)
          .send({ error: 'internal_error', message: `${action} failed: ${(err as Error).message}` });
      } finally {
        await mcp.close();
      }
    },
  );
}

/** The reply goes to a customer who cannot open our citations: its [n] sources are listed under it. */
export function withSources(draft: string, citations: Citation[]): string {
  if (!citations.length) return draft;
  const section = (c: Citation) => {
    const parts = sectionPath(c);
    return parts.length ? ` — ${parts.join(' › ')}` : '';
  };
  return `${draft.trimEnd()}\n\nSources:\n${citations.map((c, i) => `[${i + 1}] ${c.title}${section(c)}`).join('\n')}`;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

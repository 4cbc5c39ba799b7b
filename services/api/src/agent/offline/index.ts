/**
 * The `offline` provider ("basic mode": no AI model at all). It reads the request (route.ts), picks the tool
 * among those the person may use (tickets: search, one ticket, create, assign, status, priority, comment,
 * resolve, statistics; organizations: list, status, users, compare and set member permissions; else the
 * documentation), calls it through the same path as a model would (approvals included), and streams a
 * templated Markdown answer from the results (render.ts).
 *
 * It keeps no state: each step re-reads the question and the tool results of this turn, so it is the same
 * state machine whatever happened (a declined approval, a tool error, a cancelled call).
 */
import type { Principal } from '@msi/kit';
import type { ChatMessage, ModelProvider, ModelToolCall, StepOutput } from '../provider.js';
import { readIntent } from './intent.js';
import { plan, type Done } from './plan.js';
import { ASK_ORG } from './route.js';

export function offlineProvider(): ModelProvider {
  return {
    name: 'offline',
    async step({ messages, principal, tools }, onDelta): Promise<StepOutput> {
      const { question, done, asked } = currentTurn(messages);
      const available = new Set(tools.map((t) => t.name));
      // "Which organization?" answered with just a name carries on the request it was asked for.
      const next =
        asked && readIntent(question, principal).kind === 'docs'
          ? plan(asked, principal, done, available, question)
          : plan(question, principal, done, available);
      if ('call' in next) {
        return { text: '', toolCalls: [{ id: `offline_${done.length + 1}`, ...next.call }] };
      }
      for (const piece of next.answer.match(/[^\n]*\n|[^\n]+$/g) ?? []) onDelta(piece);
      return { text: next.answer, toolCalls: [] };
    },
    async warmUp() {
      // Reading a request runs a few hundred patterns, slow until the JIT has optimized them (the first
      // plan took 15-150 ms, the next ones still 10-50 ms; 0.1 ms after this): done once here, a
      // question at a time so that no request waits behind it, not in the first person's questions.
      const tools = new Set<string>(BASIC_MODE_TOOLS);
      for (let round = 0; round < 3; round++)
        for (const roles of [['agent'], ['customer']] as const)
          for (const q of WARM_UP_QUESTIONS) {
            plan(q, { ...WARM_UP_PRINCIPAL, roles: [...roles] }, [], tools);
            await new Promise((resolve) => setImmediate(resolve));
          }
    },
  };
}

const WARM_UP_PRINCIPAL: Principal = {
  sub: 'warm-up',
  username: 'warm_up',
  roles: [],
  organizations: ['warm-up'],
  scopes: [],
  clientId: 'warm-up',
  audience: 'warm-up',
  expiresAt: 0,
  isService: true,
};
/** Every tool basic mode may route to (the warm-up offers them all; the labelled set covers each). */
export const BASIC_MODE_TOOLS = [
  'search_tickets',
  'get_ticket',
  'create_ticket',
  'update_ticket',
  'add_comment',
  'resolve_ticket',
  'ticket_stats',
  'list_organizations',
  'get_organization',
  'get_organization_users',
  'compare_user_permissions',
  'set_member_permissions',
  'search_documentation',
] as const;
const WARM_UP_QUESTIONS = [
  'my open tickets',
  'Show my open tickets',
  'what does TCK 1001 say',
  'how many urgent tickets do I have',
  'tickets of dallas pd',
  'users of Allen Fire Station',
  'status of Atlanta Police',
  'compare permissions of james_smith and andre_walker',
  'assign TCK-1001 to me',
  'comment on ticket 1001: the dock ships today',
  'resolve TCK-1001: replaced the dock',
  'create a ticket: the camera does not boot',
  'How do I update the camera firmware?',
];

/** The question of this turn and the tool calls made for it so far, with their outcomes; `asked` is the
 *  previous question when the previous answer asked which organization it was about. */
export function currentTurn(messages: ChatMessage[]): { question: string; done: Done[]; asked?: string } {
  let i = messages.length - 1;
  while (i >= 0 && messages[i]!.role !== 'user') i--;
  const question = i >= 0 ? (messages[i] as { content: string }).content : '';
  const before = messages[i - 1];
  const earlier = messages[i - 2];
  const asked =
    before?.role === 'assistant' && before.content.startsWith(ASK_ORG) && earlier?.role === 'user'
      ? earlier.content
      : undefined;
  const calls = new Map<string, ModelToolCall>();
  const done: Done[] = [];
  for (const m of messages.slice(i + 1)) {
    if (m.role === 'assistant') for (const c of m.toolCalls ?? []) calls.set(c.id, c);
    if (m.role === 'tool') {
      const c = calls.get(m.toolCallId);
      done.push({
        name: m.name,
        args: c ? safeJson(c.arguments) : {},
        outcome: m.outcome,
        ...(m.approval ? { approval: m.approval } : {}),
      });
    }
  }
  return { question, done, ...(asked ? { asked } : {}) };
}

function safeJson(s: string): Record<string, unknown> {
  try {
    return JSON.parse(s) as Record<string, unknown>;
  } catch {
    return {};
  }
}

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
  };
}

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

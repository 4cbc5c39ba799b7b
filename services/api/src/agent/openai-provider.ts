/**
 * The `openai` provider: Chat Completions through the openai SDK with tools and streaming. Any
 * OpenAI-compatible server works through the base URL. Tool calls arrive as deltas and are assembled
 * here; closing the turn aborts the request (the signal goes into the SDK).
 */
import OpenAI from 'openai';
import type {
  ChatCompletionChunk,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import { traceHeaders } from '@msi/kit';
import { ModelError, type ChatMessage, type ModelProvider, type ModelToolCall } from './provider.js';

export function openaiProvider(client: OpenAI, model: string): ModelProvider {
  return {
    name: 'openai',
    model,
    async step({ messages, tools, signal }, onDelta) {
      let text = '';
      const calls: (ModelToolCall & { index: number })[] = [];
      let usage: { promptTokens: number; completionTokens: number } | undefined;
      try {
        const stream = await client.chat.completions.create(
          {
            model,
            messages: messages.map(toOpenAI),
            ...(tools.length ? { tools: tools.map(toTool) } : {}),
            stream: true,
            stream_options: { include_usage: true },
          },
          // The turn's trace continues at a provider (or gateway) that reads traceparent.
          { signal, headers: traceHeaders() },
        );
        for await (const chunk of stream as AsyncIterable<ChatCompletionChunk>) {
          if (chunk.usage) {
            usage = {
              promptTokens: chunk.usage.prompt_tokens,
              completionTokens: chunk.usage.completion_tokens,
            };
          }
          const delta = chunk.choices[0]?.delta;
          if (!delta) continue;
          if (delta.content) {
            text += delta.content;
            onDelta(delta.content);
          }
          for (const tc of delta.tool_calls ?? []) {
            let call = calls.find((c) => c.index === tc.index);
            if (!call) calls.push((call = { index: tc.index, id: '', name: '', arguments: '' }));
            if (tc.id) call.id = tc.id;
            if (tc.function?.name) call.name += tc.function.name;
            if (tc.function?.arguments) call.arguments += tc.function.arguments;
          }
        }
      } catch (err) {
        if (signal.aborted) throw err;
        throw new ModelError(describe(err));
      }
      const toolCalls = calls
        .sort((a, b) => a.index - b.index)
        .map((c, i) => ({ id: c.id || `call_${i}`, name: c.name, arguments: c.arguments }));
      return { text, toolCalls, ...(usage ? { usage } : {}) };
    },
  };
}

function toTool(t: {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}): ChatCompletionTool {
  const { $schema: _ignored, ...parameters } = t.inputSchema;
  return {
    type: 'function',
    function: { name: t.name, description: t.description.slice(0, 1024), parameters },
  };
}

function toOpenAI(m: ChatMessage): ChatCompletionMessageParam {
  switch (m.role) {
    case 'system':
    case 'user':
      return { role: m.role, content: m.content };
    case 'assistant':
      return {
        role: 'assistant',
        content: m.content || null,
        ...(m.toolCalls?.length
          ? {
              tool_calls: m.toolCalls.map((c) => ({
                id: c.id,
                type: 'function' as const,
                function: { name: c.name, arguments: c.arguments || '{}' },
              })),
            }
          : {}),
      };
    case 'tool':
      return { role: 'tool', tool_call_id: m.toolCallId, content: m.content };
  }
}

function describe(err: unknown): string {
  if (err instanceof OpenAI.APIError) {
    const status = err.status ? ` (HTTP ${err.status})` : '';
    return `the model server failed${status}: ${err.message}`;
  }
  return `the model server failed: ${(err as Error).message}`;
}

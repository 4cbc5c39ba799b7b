/** The model behind one interface: the agent loop asks it for one step at a time. */
import type { Principal } from '@msi/kit';
import type { ProviderName, Usage } from '../contract.js';
import type { AgentTool, ToolResult } from '../tools.js';
import type { ApprovalOutcome } from './approvals.js';

export interface ModelToolCall {
  /** The model's own id for the call (answered by a `tool` message with the same id). */
  id: string;
  name: string;
  /** The arguments as the model wrote them (JSON text). */
  arguments: string;
}

export type ChatMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls?: ModelToolCall[] }
  | {
      role: 'tool';
      toolCallId: string;
      name: string;
      content: string;
      outcome: ToolResult;
      /** For a call that changes data: how the person's approval was settled. */
      approval?: ApprovalOutcome;
    };

export interface StepInput {
  messages: ChatMessage[];
  /** The tools the model may call in this step (empty: it must answer). */
  tools: AgentTool[];
  principal: Principal;
  signal: AbortSignal;
}

export interface StepOutput {
  text: string;
  toolCalls: ModelToolCall[];
  usage?: Usage;
}

export interface ModelProvider {
  name: ProviderName;
  model?: string;
  /** One model step; text is passed to `onDelta` as it is produced. Throws ModelError when the model fails. */
  step(input: StepInput, onDelta: (text: string) => void): Promise<StepOutput>;
  /** Runs what a first step needs once, without any I/O (after start-up: the first question is not the
   *  first to run it). */
  warmUp?(): Promise<void> | void;
}

export class ModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelError';
  }
}

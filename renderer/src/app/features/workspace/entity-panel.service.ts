import { Injectable, computed, effect, inject, signal, untracked } from '@angular/core';
import type { Message, ToolInfo } from '@msi/contracts/api';
import { ApiService } from '../../core/api.service';
import { messageOf } from '../../core/config';
import { SessionService } from '../../core/session.service';
import { PassageService } from '../../ui/passage-panel';
import { ChatStore } from '../chat/chat.store';
import type { EntityRef } from './entities';

/** get_ticket's structured result (services/ticketing/src/inputs.ts). */
export interface TicketCore {
  number: string;
  organization: string;
  organizationName: string;
  title: string;
  status: string;
  priority: string;
  category: string;
  product: string;
  reporter: string;
  assignee: string | null;
  createdAt: string;
  updatedAt: string;
  slaDueAt: string;
  slaBreached: boolean;
  description: string;
  resolution: string | null;
  resolvedAt: string | null;
}
export interface TicketComment {
  id: number;
  author: string;
  body: string;
  internal: boolean;
  createdAt: string;
}
export interface TicketEvent {
  at: string;
  actor: string;
  action: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}
export interface TicketDetail {
  ticket: TicketCore;
  comments: TicketComment[];
  history: TicketEvent[];
}

/** get_organization's structured result, and get_organization_users' members. */
export interface Deployment {
  product: string;
  status: string;
  version: string;
  deviceCount: number;
  lastIncident: string | null;
  lastIncidentAt: string | null;
}
export interface OrganizationDetail {
  slug: string;
  name: string;
  legacyName: string | null;
  type: string;
  region: string;
  tier: string;
  status: string;
  awareService: string | null;
  customerSince: string;
  deployments: Deployment[];
  membersVisible: boolean;
  memberCount: number | null;
}
export interface Member {
  username: string;
  name: string;
  email: string;
  title: string;
  permissions: string[];
}

/** What the open panel shows: a ticket or an organization (with a person highlighted). */
export type Panel =
  { kind: 'ticket'; number: string } | { kind: 'org'; organization: string; person?: string };

/**
 * The entity panel beside the chat (where the cited passage shows): a ticket with its actions, or an
 * organization's card. Reads and changes go through POST /api/tools/:server/:name with the person's own
 * rights; a change is recorded in the open conversation (and appears there at once).
 */
@Injectable({ providedIn: 'root' })
export class EntityPanelService {
  private readonly api = inject(ApiService);
  private readonly session = inject(SessionService);
  private readonly chat = inject(ChatStore);
  private readonly passages = inject(PassageService);

  readonly panel = signal<Panel | null>(null);
  readonly ticket = signal<TicketDetail | null>(null);
  readonly organization = signal<OrganizationDetail | null>(null);
  readonly members = signal<Member[] | null>(null);
  readonly membersTotal = signal(0);
  readonly error = signal<string | null>(null);
  /** The action running now (its tool name), and what became of the last one. */
  readonly busy = signal<string | null>(null);
  readonly actionError = signal<string | null>(null);
  readonly notice = signal<string | null>(null);
  /**
   * The comment being written in the ticket panel. Copilot actions (Draft reply) put their draft here:
   * the person edits and sends it.
   */
  readonly commentDraft = signal('');
  readonly commentInternal = signal(false);
  /** performance.now() of the click that opened the panel (for the msi:click-to-panel measure). */
  openedAt = 0;

  private readonly tools = signal<ToolInfo[] | null>(null);
  private toolsLoading: Promise<void> | null = null;
  private toolsFor: string | null = null;
  private seq = 0;

  /** Whether the person's GET /api/tools lists this tool. */
  readonly hasTool = computed(() => {
    const names = new Set((this.tools() ?? []).map((t) => t.name));
    return (name: string) => names.has(name);
  });
  readonly can = this.session.can;

  constructor() {
    // Another person (or nobody) signed in: nothing of the last one's panel stays on screen.
    let last = this.session.me()?.sub;
    effect(() => {
      const sub = this.session.me()?.sub;
      untracked(() => {
        if (sub === last) return;
        last = sub;
        this.close();
        this.ticket.set(null);
        this.organization.set(null);
        this.members.set(null);
        this.commentDraft.set('');
      });
    });
  }

  /** Opens what an entity link points at. */
  open(ref: EntityRef): void {
    if (ref.kind === 'ticket') void this.openTicket(ref.number);
    else void this.openOrganization(ref.organization, ref.person);
  }

  async openTicket(number: string): Promise<void> {
    const seq = this.start({ kind: 'ticket', number });
    if (this.ticket()?.ticket.number !== number) {
      this.ticket.set(null);
      this.commentDraft.set('');
      this.commentInternal.set(false);
    }
    await Promise.all([this.loadTools(), this.loadTicket(number, seq)]);
  }

  async openOrganization(organization: string, person?: string): Promise<void> {
    const seq = this.start({ kind: 'org', organization, ...(person ? { person } : {}) });
    this.organization.set(null);
    this.members.set(null);
    try {
      const r = await this.api.runTool('organizations', 'get_organization', { organization });
      if (seq !== this.seq) return;
      const org = r.call.result as OrganizationDetail;
      this.organization.set(org);
      if (org.membersVisible) {
        const m = await this.api.runTool('organizations', 'get_organization_users', {
          organization: org.slug,
          limit: 100,
        });
        if (seq !== this.seq) return;
        const page = m.call.result as { members: Member[]; total: number };
        this.members.set(page.members);
        this.membersTotal.set(page.total);
      }
    } catch (error) {
      if (seq === this.seq) this.error.set(messageOf(error));
    }
  }

  close(): void {
    this.seq++;
    this.panel.set(null);
    this.error.set(null);
  }

  /**
   * Runs a change on the open ticket (update_ticket, add_comment, resolve_ticket) as the person's own
   * decision, records it in the conversation, and shows the ticket as it is now. True when it was done.
   */
  async act(tool: string, args: Record<string, unknown>, done: string): Promise<boolean> {
    const number = this.ticket()?.ticket.number;
    if (!number || this.busy()) return false;
    this.busy.set(tool);
    this.actionError.set(null);
    this.notice.set(null);
    const conversationId = this.chat.conversationId();
    try {
      const result = await this.api.runTool('ticketing', tool, { number, ...args }, conversationId);
      if (result.message) this.record(conversationId, result.message);
      this.notice.set(done);
      await this.loadTicket(number, this.seq);
      return true;
    } catch (error) {
      this.actionError.set(messageOf(error));
      // A failed change is recorded too; show the conversation as the API has it.
      if (conversationId) void this.reloadConversation(conversationId);
      return false;
    } finally {
      this.busy.set(null);
    }
  }

  private start(panel: Panel): number {
    this.openedAt = performance.now();
    this.passages.close();
    this.panel.set(panel);
    this.error.set(null);
    this.actionError.set(null);
    this.notice.set(null);
    return ++this.seq;
  }

  private async loadTicket(number: string, seq: number): Promise<void> {
    try {
      const r = await this.api.runTool('ticketing', 'get_ticket', { number });
      if (seq === this.seq) this.ticket.set(r.call.result as TicketDetail);
    } catch (error) {
      if (seq === this.seq) this.error.set(messageOf(error));
    }
  }

  /** The person's tools, asked once per signed-in person (someone else signing in asks again). */
  private loadTools(): Promise<void> {
    const sub = this.session.me()?.sub ?? '';
    if (this.toolsFor !== sub) {
      this.toolsFor = sub;
      this.tools.set(null);
      this.toolsLoading = null;
    }
    if (this.tools()) return Promise.resolve();
    return (this.toolsLoading ??= this.api.tools().then(
      (tools) => {
        if (this.toolsFor === sub) this.tools.set(tools);
      },
      () => {
        // Without the list no action is offered; the next open asks again.
        this.toolsLoading = null;
      },
    ));
  }

  /** The recorded call appears in the open conversation at once. */
  private record(conversationId: string | null, message: Message): void {
    if (!conversationId || this.chat.conversationId() !== conversationId) return;
    this.chat.messages.update((messages) =>
      messages.some((m) => m.id === message.id) ? messages : [...messages, message],
    );
  }

  private async reloadConversation(conversationId: string): Promise<void> {
    try {
      const detail = await this.api.conversation(conversationId);
      if (this.chat.conversationId() === conversationId && !this.chat.busy)
        this.chat.messages.set(detail.messages);
    } catch {
      // The conversation shows what it had; the error is in the panel.
    }
  }
}

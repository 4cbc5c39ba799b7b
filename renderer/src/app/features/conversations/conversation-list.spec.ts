import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import type { ConversationSummary } from '@msi/contracts/api';
import { ApiService } from '../../core/api.service';
import { ConversationList } from './conversation-list';
import { ConversationsStore, groupConversations } from './conversations.store';

const NOW = new Date(2026, 11, 10, 15, 0, 0);
const at = (daysAgo: number, hour = 9) =>
  new Date(NOW.getFullYear(), NOW.getMonth(), NOW.getDate() - daysAgo, hour).toISOString();
const conv = (
  id: string,
  updatedAt: string,
  over: Partial<ConversationSummary> = {},
): ConversationSummary => ({
  id,
  title: `Conversation ${id}`,
  createdAt: updatedAt,
  updatedAt,
  messageCount: 2,
  pinned: false,
  ...over,
});

describe('groupConversations', () => {
  it('Pinned, Today, Yesterday, Last 7 days, Older; empty groups left out', () => {
    const groups = groupConversations(
      [
        conv('a', at(0)),
        conv('b', at(1, 23)),
        conv('c', at(6)),
        conv('d', at(7)),
        conv('e', at(30), { pinned: true }),
      ],
      NOW,
    );
    expect(groups.map((g) => [g.label, g.conversations.map((c) => c.id)])).toEqual([
      ['Pinned', ['e']],
      ['Today', ['a']],
      ['Yesterday', ['b']],
      ['Last 7 days', ['c']],
      ['Older', ['d']],
    ]);
    expect(groupConversations([conv('a', at(0))], NOW).map((g) => g.label)).toEqual(['Today']);
  });
});

describe('ConversationList', () => {
  let api: {
    conversations: ReturnType<typeof vi.fn>;
    pinConversation: ReturnType<typeof vi.fn>;
  };
  const list = [
    conv('p', at(3), { pinned: true, title: 'TCK-1301 · DS-8 dock not charging' }),
    conv('t1', new Date().toISOString(), { match: '…the dock firmware 2.5.4…' }),
    conv('t2', new Date().toISOString()),
  ];

  async function setup() {
    api = {
      conversations: vi.fn(async () => list),
      pinConversation: vi.fn(async (id: string, pinned: boolean) => ({
        ...list.find((c) => c.id === id)!,
        pinned,
      })),
    };
    TestBed.configureTestingModule({
      providers: [provideRouter([]), { provide: ApiService, useValue: api }],
    });
    await TestBed.inject(ConversationsStore).load('');
    const fixture = TestBed.createComponent(ConversationList);
    await fixture.whenStable();
    const root = fixture.nativeElement as HTMLElement;
    document.body.appendChild(root);
    return { fixture, root };
  }
  afterEach(() => document.body.replaceChildren());

  it('groups the rows under headings and shows where a search matched', async () => {
    const { root } = await setup();
    expect([...root.querySelectorAll('.group-label')].map((h) => h.textContent)).toEqual([
      'Pinned',
      'Today',
    ]);
    expect(root.querySelector('[data-testid="search-match"]')!.textContent).toContain(
      'dock firmware',
    );
    expect(root.querySelector('input[type="search"]')!.getAttribute('placeholder')).toContain(
      'Ctrl+K',
    );
  });

  it('one tab stop per row: ←/→ reach its actions, ↑/↓ the next rows', async () => {
    const { root } = await setup();
    const rows = [...root.querySelectorAll('li[data-testid="conversation-row"]')];
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      const tabbable = [...row.querySelectorAll<HTMLElement>('a, button')].filter(
        (e) => e.tabIndex >= 0,
      );
      expect(tabbable).toHaveLength(1);
    }
    const key = (el: Element, k: string) =>
      el.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true }));
    const first = rows[0]!.querySelector<HTMLElement>('a.row-link')!;
    first.focus();
    key(first, 'ArrowDown');
    expect(document.activeElement).toBe(rows[1]!.querySelector('a.row-link'));
    key(document.activeElement!, 'ArrowRight');
    expect(document.activeElement!.getAttribute('aria-label')).toBe('Pin Conversation t1');
    key(document.activeElement!, 'ArrowRight');
    expect(document.activeElement!.getAttribute('aria-label')).toBe('Rename Conversation t1');
    key(document.activeElement!, 'ArrowLeft');
    key(document.activeElement!, 'ArrowLeft');
    expect(document.activeElement).toBe(rows[1]!.querySelector('a.row-link'));
    key(document.activeElement!, 'End');
    expect(document.activeElement).toBe(rows[2]!.querySelector('a.row-link'));
    key(document.activeElement!, 'Home');
    expect(document.activeElement).toBe(first);
  });

  it('pins and unpins through the API, the row moving between groups', async () => {
    const { root, fixture } = await setup();
    const pin = root.querySelector<HTMLButtonElement>('button[aria-label="Pin Conversation t2"]')!;
    expect(pin.getAttribute('aria-pressed')).toBe('false');
    pin.click();
    await new Promise((r) => setTimeout(r));
    await fixture.whenStable();
    expect(api.pinConversation).toHaveBeenCalledWith('t2', true);
    const pinnedGroup = root.querySelector('ul[aria-labelledby="conversations-pinned"]')!;
    expect(pinnedGroup.textContent).toContain('Conversation t2');
    expect(
      root
        .querySelector('button[aria-label="Unpin Conversation t2"]')!
        .getAttribute('aria-pressed'),
    ).toBe('true');
  });
});

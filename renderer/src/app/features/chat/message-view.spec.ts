import { TestBed } from '@angular/core/testing';
import type { Citation, Message } from '@msi/contracts/api';
import { ApiService } from '../../core/api.service';
import { MarkdownService } from '../../core/markdown.service';
import { MessageView } from './message-view';

const source = (n: number): Citation => ({
  documentId: `d${n}`,
  chunkId: `c${n}`,
  title: `Guide ${n}`,
  section: `Guide ${n} › Part`,
  snippet: `The answer of source ${n}.`,
  score: 0.4,
});
const answer = (over: Partial<Message> = {}): Message => ({
  id: 'm1',
  role: 'assistant',
  content: 'Roll back within 30 days [1]. Docks hold four cameras [2]. Not a source [5].',
  createdAt: '2026-12-01T10:00:00Z',
  status: 'complete',
  toolCalls: [],
  citations: [source(1), source(2)],
  ...over,
});

beforeEach(() =>
  TestBed.configureTestingModule({
    providers: [{ provide: ApiService, useValue: { me: vi.fn() } }],
  }),
);

async function render(message: Message, index = 1) {
  const { renderMarkdown } = await import('../../core/markdown');
  TestBed.inject(MarkdownService).render.set(renderMarkdown);
  const fixture = TestBed.createComponent(MessageView);
  fixture.componentRef.setInput('message', message);
  fixture.componentRef.setInput('index', index);
  await fixture.whenStable();
  const root = fixture.nativeElement as HTMLElement;
  document.body.appendChild(root);
  return { fixture, root };
}

describe('MessageView', () => {
  afterEach(() => document.body.replaceChildren());

  it('has a heading per message for screen readers', async () => {
    const { root } = await render(answer(), 3);
    expect(root.querySelector('h2.visually-hidden')!.textContent!.trim()).toBe('Answer 2');
    const { root: mine } = await render(answer({ role: 'user', content: 'Hi', citations: [] }), 0);
    expect(mine.querySelector('h2.visually-hidden')!.textContent!.trim()).toBe('You asked');
  });

  it('[n] of a known source is a link that previews it on hover and opens it on click', async () => {
    const { root, fixture } = await render(answer());
    const markers = [...root.querySelectorAll<HTMLAnchorElement>('.markdown a.cite-ref')];
    expect(markers.map((a) => a.textContent)).toEqual(['[1]', '[2]']);
    expect(root.querySelector('.markdown')!.textContent).toContain('Not a source [5]');
    markers[1]!.dispatchEvent(new MouseEvent('mouseover', { bubbles: true }));
    await fixture.whenStable();
    const preview = root.querySelector('[data-testid="cite-preview"]')!;
    expect(preview.textContent).toContain('[2] Guide 2');
    expect(preview.textContent).toContain('The answer of source 2.');
    expect(markers[1]!.getAttribute('aria-describedby')).toBe(preview.id);
    markers[1]!.dispatchEvent(new MouseEvent('mouseout', { bubbles: true }));
    await fixture.whenStable();
    expect(root.querySelector('[data-testid="cite-preview"]')).toBeNull();

    const opened: Citation[] = [];
    fixture.componentInstance.cite.subscribe((c) => opened.push(c));
    const click = new MouseEvent('click', { bubbles: true, cancelable: true });
    markers[0]!.dispatchEvent(click);
    expect(click.defaultPrevented).toBe(true);
    expect(opened.map((c) => c.chunkId)).toEqual(['c1']);
  });
});

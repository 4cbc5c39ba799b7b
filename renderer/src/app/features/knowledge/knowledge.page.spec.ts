import { computed } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import type { KnowledgeDocument } from '@contract/api';
import { ApiService } from '../../core/api.service';
import { SessionService } from '../../core/session.service';
import KnowledgePage from './knowledge.page';

const doc = (over: Partial<KnowledgeDocument>): KnowledgeDocument =>
  ({
    id: 'd1',
    title: 'Docking stations',
    filename: 'docking.md',
    mediaType: 'text/markdown',
    bytes: 2048,
    source: 'upload',
    status: 'queued',
    chunksDone: 0,
    chunksTotal: 0,
    createdAt: '2026-01-01T00:00:00Z',
    ...over,
  }) as KnowledgeDocument;

describe('KnowledgePage', () => {
  let api: {
    documents: ReturnType<typeof vi.fn>;
    upload: ReturnType<typeof vi.fn>;
    document: ReturnType<typeof vi.fn>;
    search: ReturnType<typeof vi.fn>;
    passage: ReturnType<typeof vi.fn>;
  };
  let polls: KnowledgeDocument[];

  beforeEach(() => {
    polls = [];
    api = {
      documents: vi.fn(async () => [
        doc({
          id: 'b1',
          title: 'Built in',
          source: 'builtin',
          status: 'ready',
          chunksDone: 4,
          chunksTotal: 4,
        }),
      ]),
      upload: vi.fn(async () => doc({})),
      document: vi.fn(async () => polls.shift()!),
      search: vi.fn(async () => []),
      passage: vi.fn(),
    };
    TestBed.configureTestingModule({
      providers: [
        provideRouter([]),
        { provide: ApiService, useValue: api },
        { provide: SessionService, useValue: { role: computed(() => 'agent') } },
      ],
    });
  });

  it('the upload progress and the documents table show the same document, in the same words', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    const fixture = TestBed.createComponent(KnowledgePage);
    const root = fixture.nativeElement as HTMLElement;
    const settle = async () => {
      for (let i = 0; i < 5; i++) {
        await vi.advanceTimersByTimeAsync(0);
        await fixture.whenStable();
      }
    };
    await settle();
    polls = [
      doc({ status: 'ingesting', chunksDone: 3, chunksTotal: 10 }),
      doc({ status: 'ready', chunksDone: 10, chunksTotal: 10 }),
    ];
    const input = root.querySelector<HTMLInputElement>('input[type="file"]')!;
    const file = new File(['# Docking stations\n\nText.'], 'docking.md', { type: 'text/markdown' });
    Object.defineProperty(input, 'files', { value: [file], configurable: true });
    input.dispatchEvent(new Event('change'));
    await settle();
    await vi.advanceTimersByTimeAsync(400);
    await settle();

    const progress = () => root.querySelector<HTMLElement>('[data-testid="upload-progress"]')!;
    const row = () =>
      [...root.querySelectorAll('tbody tr')].find((r) => r.textContent!.includes('docking.md'))!;
    expect(progress().dataset['phase']).toBe('ingesting');
    expect(progress().textContent).toContain('Indexing 3 of 10 passages');
    expect(row().textContent).toContain('Indexing 3 of 10 passages');

    await vi.advanceTimersByTimeAsync(400);
    await settle();
    expect(progress().dataset['phase']).toBe('ready');
    expect(progress().textContent).toContain('10 passages indexed');
    expect(row().querySelector('[data-state]')!.getAttribute('data-state')).toBe('ready');
    expect(row().textContent).toContain('10 passages indexed');
    vi.useRealTimers();
  });

  it('content already in the knowledge base says so instead of claiming a new document', async () => {
    api.upload.mockResolvedValueOnce(
      doc({
        id: 'b1',
        title: 'Built in',
        filename: 'builtin.md',
        status: 'ready',
        chunksTotal: 4,
        chunksDone: 4,
      }),
    );
    const fixture = TestBed.createComponent(KnowledgePage);
    const root = fixture.nativeElement as HTMLElement;
    await fixture.whenStable();
    await new Promise((resolve) => setTimeout(resolve));
    const input = root.querySelector<HTMLInputElement>('input[type="file"]')!;
    Object.defineProperty(input, 'files', {
      value: [new File(['same'], 'copy.md', { type: 'text/markdown' })],
    });
    input.dispatchEvent(new Event('change'));
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setTimeout(resolve));
      await fixture.whenStable();
    }
    const progress = root.querySelector<HTMLElement>('[data-testid="upload-progress"]')!;
    expect(progress.dataset['phase']).toBe('ready');
    expect(progress.textContent).toContain('Already in the knowledge base as “Built in”');
    expect(root.querySelectorAll('tbody tr').length).toBe(1);
  });
});

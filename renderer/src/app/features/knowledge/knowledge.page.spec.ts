import { computed, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import type { KnowledgeDocument, Me } from '@msi/contracts/api';
import { CAN_NOTHING, type Can } from '@msi/contracts/roles';
import { ApiService } from '../../core/api.service';
import { AuthService } from '../../core/auth.service';
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
    job: ReturnType<typeof vi.fn>;
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
      job: vi.fn(),
    };
    TestBed.configureTestingModule({
      providers: [
        provideRouter([]),
        { provide: ApiService, useValue: api },
        {
          provide: SessionService,
          useValue: { can: computed<Can>(() => ({ ...CAN_NOTHING, changeKnowledge: true })) },
        },
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

  it("shows the job's failed attempt and its retry, then the failure's reason", async () => {
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
    const reason = 'embedding failed 3 times: 404 model not found';
    api.upload.mockResolvedValueOnce({ ...doc({}), jobId: 'job_1' });
    polls = [
      doc({ status: 'ingesting', chunksDone: 0, chunksTotal: 10 }),
      doc({ status: 'failed', chunksDone: 0, chunksTotal: 10, error: reason }),
    ];
    const job = {
      id: 'job_1',
      kind: 'ingest',
      progress: { done: 0, total: 10 },
      attempts: 3,
      createdAt: '2026-01-01T00:00:00Z',
    };
    api.job
      .mockResolvedValueOnce({
        ...job,
        state: 'retrying',
        attemptsMade: 1,
        error: '404 model not found',
        retryAt: '2026-01-01T00:00:02Z',
      })
      .mockResolvedValueOnce({ ...job, state: 'failed', attemptsMade: 3, error: reason });
    const input = root.querySelector<HTMLInputElement>('input[type="file"]')!;
    const file = new File(['# Docking stations\n\nText.'], 'docking.md', { type: 'text/markdown' });
    Object.defineProperty(input, 'files', { value: [file], configurable: true });
    input.dispatchEvent(new Event('change'));
    await settle();
    await vi.advanceTimersByTimeAsync(400);
    await settle();

    expect(api.job).toHaveBeenCalledWith('job_1');
    const retry = root.querySelector<HTMLElement>('[data-testid="upload-retry"]')!;
    expect(retry.textContent).toContain('Attempt 1 of 3 failed: 404 model not found.');
    expect(retry.textContent).toContain('Trying again at');

    await vi.advanceTimersByTimeAsync(400);
    await settle();
    const progress = root.querySelector<HTMLElement>('[data-testid="upload-progress"]')!;
    expect(progress.dataset['phase']).toBe('failed');
    expect(root.querySelector('[data-testid="upload-retry"]')).toBeNull();
    expect(progress.querySelector('[role="alert"]')!.textContent).toContain(reason);
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

const listed = (id: string, source: KnowledgeDocument['source']): KnowledgeDocument => ({
  id,
  title: `${source} ${id}`,
  filename: `${id}.md`,
  mediaType: 'text/markdown',
  bytes: 100,
  source,
  status: 'ready',
  chunksDone: 1,
  chunksTotal: 1,
  createdAt: '2026-01-01T00:00:00Z',
});

const me = (roles: Me['roles'], can: Partial<Can>): Me => ({
  sub: 'u1',
  username: 'someone',
  name: 'Someone',
  roles,
  organizations: [],
  provider: 'offline',
  can: { ...CAN_NOTHING, ...can },
});

describe('KnowledgePage: who may change the knowledge base', () => {
  let session: SessionService;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [
        provideRouter([]),
        {
          provide: ApiService,
          useValue: {
            documents: vi.fn(async () => [listed('b1', 'builtin'), listed('u1', 'upload')]),
          },
        },
        { provide: AuthService, useValue: { claims: signal(null) } },
      ],
    });
    session = TestBed.inject(SessionService);
  });

  async function render() {
    const fixture = TestBed.createComponent(KnowledgePage);
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve));
      await fixture.whenStable();
    }
    const root = fixture.nativeElement as HTMLElement;
    return {
      upload: () => root.querySelector('input[type="file"]'),
      deletable: () =>
        [...root.querySelectorAll('button[aria-label^="Delete "]')].map((b) =>
          b.getAttribute('aria-label'),
        ),
      text: () => root.textContent ?? '',
    };
  }

  it('offers upload and delete from me.can, not from the roles', async () => {
    // Flags the roles alone would not give: the page must follow what the API answered.
    session.me.set(me(['customer'], { changeKnowledge: true }));
    const page = await render();
    expect(page.upload()).not.toBeNull();
    expect(page.deletable()).toEqual(['Delete upload u1']);
  });

  it('shows a read-only list when the API says the person may not change it', async () => {
    session.me.set(me(['admin'], {}));
    const page = await render();
    expect(page.upload()).toBeNull();
    expect(page.deletable()).toEqual([]);
    expect(page.text()).toContain('Support staff maintain them');
  });

  it('lets those who may remove built-in documentation delete those too', async () => {
    session.me.set(me(['supervisor'], { changeKnowledge: true, removeBuiltInDocs: true }));
    const page = await render();
    expect(page.deletable()).toEqual(['Delete builtin b1', 'Delete upload u1']);
  });

  it('changes nothing until /api/me has answered', async () => {
    const page = await render();
    expect(page.upload()).toBeNull();
    expect(page.deletable()).toEqual([]);
  });
});

import { TestBed } from '@angular/core/testing';
import { signal } from '@angular/core';
import type { KnowledgeDocument, Me } from '@msi/contracts/api';
import { CAN_NOTHING, type Can } from '@msi/contracts/roles';
import { ApiService } from '../../core/api.service';
import { AuthService } from '../../core/auth.service';
import { SessionService } from '../../core/session.service';
import KnowledgePage from './knowledge.page';

const doc = (id: string, source: KnowledgeDocument['source']): KnowledgeDocument => ({
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

describe('KnowledgePage', () => {
  let session: SessionService;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [
        {
          provide: ApiService,
          useValue: { documents: vi.fn(async () => [doc('b1', 'builtin'), doc('u1', 'upload')]) },
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

import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import type { Citation } from '@msi/contracts/api';
import { ApiService } from '../core/api.service';
import { MarkdownService } from '../core/markdown.service';
import { PassagePanel, PassageService } from './passage-panel';

const citation: Citation = {
  documentId: 'doc-1',
  chunkId: 'chunk-1',
  title: 'Firmware Updates',
  section: 'Firmware Updates › Rolling back',
  snippet: 'Rollback is available for 30 days after the rollout starts. Some releases…',
  score: 0.5,
};

async function settle(fixture: { whenStable(): Promise<unknown> }) {
  for (let i = 0; i < 6; i++) {
    await new Promise((r) => setTimeout(r));
    await fixture.whenStable();
  }
}

describe('PassagePanel', () => {
  let api: { passage: ReturnType<typeof vi.fn>; documentContent: ReturnType<typeof vi.fn> };
  beforeEach(() => {
    api = {
      passage: vi.fn(async () => ({
        chunkId: 'chunk-1',
        documentId: 'doc-1',
        title: 'Firmware Updates',
        section: 'Firmware Updates › Rolling back',
        text: '## Rolling back\n\nOpen the rollout, click **Roll Back**. Rollback is available for **30 days** after the rollout starts. Some releases are marked no rollback.',
      })),
      documentContent: vi.fn(async () => ({
        id: 'doc-1',
        title: 'Firmware Updates',
        mediaType: 'text/markdown',
        content:
          '# Firmware Updates\n\nIntro.\n\n## Rolling back\n\nOpen the rollout, click **Roll Back**. Rollback is available for **30 days** after the rollout starts.\n\n## Holds\n\nTag a device.',
      })),
    };
    TestBed.configureTestingModule({ providers: [{ provide: ApiService, useValue: api }] });
  });

  it('renders the passage as Markdown with the answering sentence marked; Open document shows it all', async () => {
    const markdown = TestBed.inject(MarkdownService);
    const { renderMarkdown } = await import('../core/markdown');
    markdown.render.set(renderMarkdown);
    const fixture = TestBed.createComponent(PassagePanel);
    void TestBed.inject(PassageService).show(citation);
    await settle(fixture);
    const root = fixture.nativeElement as HTMLElement;
    const text = root.querySelector<HTMLElement>('[data-testid="passage-text"]')!;
    expect(text.querySelector('strong')!.textContent).toBe('Roll Back');
    expect(text.textContent).not.toContain('**');
    const marked = [...text.querySelectorAll('mark.cited')].map((m) => m.textContent).join('');
    expect(marked).toBe('Rollback is available for 30 days after the rollout starts.');

    root.querySelector<HTMLButtonElement>('[data-testid="open-document"]')!.click();
    await settle(fixture);
    expect(api.documentContent).toHaveBeenCalledWith('doc-1');
    const whole = root.querySelector<HTMLElement>('[data-testid="passage-text"]')!;
    expect(whole.textContent).toContain('Tag a device.');
    expect(whole.querySelector('mark.cited')).not.toBeNull();
    expect(root.textContent).toContain('Back to the passage');
  });

  it('shows plain text until the Markdown module has loaded', async () => {
    TestBed.overrideProvider(MarkdownService, { useValue: { render: signal(null) } });
    const fixture = TestBed.createComponent(PassagePanel);
    void TestBed.inject(PassageService).show(citation);
    await settle(fixture);
    const text = (fixture.nativeElement as HTMLElement).querySelector(
      '[data-testid="passage-text"]',
    )!;
    expect(text.classList.contains('plain')).toBe(true);
    expect(text.textContent).toContain('Rollback is available');
  });
});

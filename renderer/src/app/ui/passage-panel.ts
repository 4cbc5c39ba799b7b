import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  Injectable,
  effect,
  inject,
  signal,
  viewChild,
} from '@angular/core';
import type { Citation, Passage } from '@msi/contracts/api';
import { ApiService } from '../core/api.service';
import { messageOf } from '../core/config';
import { Icon } from './icon';
import { sectionLabel } from './section-label';

/** The cited passage shown in the side panel (GET /api/knowledge/chunks/:chunkId). */
@Injectable({ providedIn: 'root' })
export class PassageService {
  private readonly api = inject(ApiService);
  readonly citation = signal<Citation | null>(null);
  readonly passage = signal<Passage | null>(null);
  readonly error = signal<string | null>(null);
  private seq = 0;

  async show(citation: Citation): Promise<void> {
    const seq = ++this.seq;
    this.citation.set(citation);
    this.passage.set(null);
    this.error.set(null);
    try {
      const passage = await this.api.passage(citation.chunkId);
      if (seq === this.seq) this.passage.set(passage);
    } catch (error) {
      if (seq === this.seq) this.error.set(`Could not open the passage: ${messageOf(error)}`);
    }
  }

  close(): void {
    this.seq++;
    this.citation.set(null);
    this.passage.set(null);
  }
}

@Component({
  selector: 'msi-passage-panel',
  imports: [Icon],
  template: `
    @if (service.citation(); as citation) {
      <aside
        class="passage-panel"
        aria-labelledby="passage-title"
        data-testid="passage-panel"
        (keydown.escape)="close()"
      >
        <header>
          <div>
            <h2 id="passage-title" tabindex="-1" #heading>
              {{ service.passage()?.title ?? citation.title }}
            </h2>
            @let section =
              sectionLabel(
                service.passage()?.title ?? citation.title,
                service.passage()?.section ?? citation.section
              );
            @if (section) {
              <p class="muted">{{ section }}</p>
            }
          </div>
          <button type="button" class="icon-button" aria-label="Close passage" (click)="close()">
            <msi-icon name="close" />
          </button>
        </header>
        @if (service.error(); as error) {
          <p role="alert" class="error-text">{{ error }}</p>
        } @else if (service.passage(); as passage) {
          <div class="passage-text">{{ passage.text }}</div>
        } @else {
          <p class="muted" role="status">Loading the passage…</p>
        }
      </aside>
    }
  `,
  styleUrl: './passage-panel.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class PassagePanel {
  protected readonly service = inject(PassageService);
  private readonly heading = viewChild<ElementRef<HTMLElement>>('heading');
  private opener: HTMLElement | null = null;

  constructor() {
    effect(() => {
      const heading = this.heading();
      if (this.service.citation() && heading) {
        if (!this.opener) this.opener = document.activeElement as HTMLElement | null;
        heading.nativeElement.focus();
      }
    });
  }

  protected readonly sectionLabel = sectionLabel;

  protected close(): void {
    this.service.close();
    this.opener?.focus();
    this.opener = null;
  }
}

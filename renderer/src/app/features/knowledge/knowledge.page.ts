import {
  ChangeDetectionStrategy,
  Component,
  OnDestroy,
  computed,
  inject,
  signal,
} from '@angular/core';
import type { Citation, KnowledgeDocument } from '@msi/contracts/api';
import { ApiService } from '../../core/api.service';
import { messageOf } from '../../core/config';
import { SessionService } from '../../core/session.service';
import { Icon } from '../../ui/icon';
import { PassagePanel, PassageService } from '../chat/passage-panel';

interface Upload {
  name: string;
  phase: 'uploading' | 'ingesting' | 'ready' | 'failed';
  done: number;
  total: number;
  message?: string;
}

const ACCEPT = '.md,.markdown,.txt,text/markdown,text/plain';

/** Knowledge base: documents, upload with progress, delete, and a search to try retrieval. */
@Component({
  selector: 'msi-knowledge-page',
  imports: [Icon, PassagePanel],
  template: `
    <div class="page-layout" [class.with-panel]="passages.citation()">
      <div class="page-content">
        <h1>Knowledge base</h1>
        <p class="muted">
          Documents the assistant searches and cites.
          @if (canUpload()) {
            Upload Markdown or plain text (up to 5 MB).
          } @else {
            Support staff maintain them; you can search them here.
          }
        </p>

        @if (canUpload()) {
          <section class="card" aria-labelledby="upload-title">
            <h2 id="upload-title">Upload</h2>
            <label class="file-drop">
              <input
                type="file"
                [accept]="accept"
                (change)="onFile($any($event.target))"
                aria-label="Choose a document to upload"
              />
            </label>
            @if (upload(); as u) {
              <div
                class="upload-progress"
                data-testid="upload-progress"
                [attr.data-phase]="u.phase"
              >
                <div class="row">
                  <span>{{ u.name }}</span>
                  <span class="muted">{{ uploadText(u) }}</span>
                </div>
                @if (u.phase === 'uploading') {
                  <progress aria-label="Upload progress"></progress>
                } @else {
                  <progress
                    aria-label="Upload progress"
                    [max]="u.total || 1"
                    [value]="u.phase === 'ready' ? u.total || 1 : u.done"
                  ></progress>
                }
                @if (u.message) {
                  <p
                    [attr.role]="u.phase === 'failed' ? 'alert' : 'status'"
                    [class.error-text]="u.phase === 'failed'"
                  >
                    {{ u.message }}
                  </p>
                }
              </div>
            }
          </section>
        }

        <section class="card" aria-labelledby="search-title">
          <h2 id="search-title">Try a search</h2>
          <form class="inline-form" (submit)="search($event, $any(q).value)">
            <input
              #q
              type="search"
              aria-label="Search the knowledge base"
              placeholder="e.g. assign a body camera"
            />
            <button type="submit">Search</button>
          </form>
          @if (searchError(); as e) {
            <p role="alert" class="error-text">{{ e }}</p>
          }
          @if (results(); as rs) {
            <ol class="search-results" aria-label="Search results">
              @for (r of rs; track r.chunkId) {
                <li>
                  <button type="button" class="citation" (click)="passages.show(r)">
                    <span class="citation-title">{{ r.title }}</span>
                    <span class="muted">— {{ r.section }}</span>
                  </button>
                  <p class="snippet">{{ r.snippet }}</p>
                  <span class="muted small">score {{ r.score.toFixed(3) }}</span>
                </li>
              } @empty {
                <li class="muted">Nothing found.</li>
              }
            </ol>
          }
        </section>

        <section class="card" aria-labelledby="docs-title">
          <h2 id="docs-title">Documents</h2>
          @if (error(); as e) {
            <p role="alert" class="error-text">{{ e }}</p>
          }
          <div class="table-wrap">
            <table class="documents" aria-labelledby="docs-title">
              <thead>
                <tr>
                  <th scope="col">Title</th>
                  <th scope="col">Source</th>
                  <th scope="col">Size</th>
                  <th scope="col">Status</th>
                  <th scope="col"><span class="visually-hidden">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                @for (d of documents(); track d.id) {
                  <tr>
                    <td>
                      <div>{{ d.title }}</div>
                      <div class="muted small">{{ d.filename }}</div>
                    </td>
                    <td>{{ d.source === 'builtin' ? 'Built in' : 'Uploaded' }}</td>
                    <td>{{ size(d.bytes) }}</td>
                    <td>
                      <span class="state" [attr.data-state]="d.status">{{ d.status }}</span>
                      @if (d.status === 'ingesting' || d.status === 'queued') {
                        <span class="muted small"> {{ d.chunksDone }}/{{ d.chunksTotal }}</span>
                      }
                      @if (d.error) {
                        <div class="error-text small">{{ d.error }}</div>
                      }
                    </td>
                    <td class="actions">
                      @if (!canDelete(d)) {
                        <!-- read-only for this person -->
                      } @else if (confirming() === d.id) {
                        <button type="button" class="danger small" (click)="remove(d)">
                          Delete
                        </button>
                        <button type="button" class="ghost small" (click)="confirming.set(null)">
                          Keep
                        </button>
                      } @else {
                        <button
                          type="button"
                          class="icon-button"
                          [attr.aria-label]="'Delete ' + d.title"
                          (click)="confirming.set(d.id)"
                        >
                          <msi-icon name="trash" />
                        </button>
                      }
                    </td>
                  </tr>
                } @empty {
                  <tr>
                    <td colspan="5" class="muted">
                      {{ loading() ? 'Loading…' : 'No documents yet.' }}
                    </td>
                  </tr>
                }
              </tbody>
            </table>
          </div>
        </section>
      </div>
      <msi-passage-panel />
    </div>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export default class KnowledgePage implements OnDestroy {
  private readonly api = inject(ApiService);
  private readonly session = inject(SessionService);
  /** What the API allows this person (`me.can`): add documents and remove uploads; remove built-in ones. */
  protected readonly canUpload = computed(() => this.session.can().changeKnowledge);
  protected canDelete(d: KnowledgeDocument): boolean {
    const can = this.session.can();
    return d.source === 'builtin' ? can.removeBuiltInDocs : can.changeKnowledge;
  }
  protected readonly passages = inject(PassageService);
  protected readonly accept = ACCEPT;
  protected readonly documents = signal<KnowledgeDocument[]>([]);
  protected readonly loading = signal(true);
  protected readonly error = signal<string | null>(null);
  protected readonly upload = signal<Upload | null>(null);
  protected readonly confirming = signal<string | null>(null);
  protected readonly results = signal<Citation[] | null>(null);
  protected readonly searchError = signal<string | null>(null);
  private destroyed = false;

  constructor() {
    this.passages.close();
    void this.load();
  }

  ngOnDestroy(): void {
    this.destroyed = true;
    this.passages.close();
  }

  protected async load(): Promise<void> {
    try {
      this.documents.set(await this.api.documents());
      this.error.set(null);
    } catch (error) {
      this.error.set(`Could not load the documents: ${messageOf(error)}`);
    } finally {
      this.loading.set(false);
    }
  }

  protected async onFile(input: HTMLInputElement): Promise<void> {
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    if (file.size > 5 * 1024 * 1024) {
      this.upload.set({
        name: file.name,
        phase: 'failed',
        done: 0,
        total: 0,
        message: 'The file is larger than 5 MB.',
      });
      return;
    }
    this.upload.set({ name: file.name, phase: 'uploading', done: 0, total: 0 });
    try {
      const content = await file.text();
      let doc = await this.api.upload({
        filename: file.name,
        mediaType: file.type || undefined,
        content,
      });
      this.documents.update((list) => [doc, ...list.filter((d) => d.id !== doc.id)]);
      while (!this.destroyed && (doc.status === 'queued' || doc.status === 'ingesting')) {
        this.upload.set({
          name: file.name,
          phase: 'ingesting',
          done: doc.chunksDone,
          total: doc.chunksTotal,
        });
        await new Promise((resolve) => setTimeout(resolve, 400));
        doc = await this.api.document(doc.id);
        this.documents.update((list) => list.map((d) => (d.id === doc.id ? doc : d)));
      }
      this.upload.set(
        doc.status === 'ready'
          ? {
              name: file.name,
              phase: 'ready',
              done: doc.chunksTotal,
              total: doc.chunksTotal,
              message: `Ready: ${doc.chunksTotal} passages indexed.`,
            }
          : {
              name: file.name,
              phase: 'failed',
              done: doc.chunksDone,
              total: doc.chunksTotal,
              message: doc.error ?? 'Ingestion failed.',
            },
      );
    } catch (error) {
      this.upload.set({
        name: file.name,
        phase: 'failed',
        done: 0,
        total: 0,
        message: `Upload failed: ${messageOf(error)}`,
      });
    }
  }

  protected async remove(doc: KnowledgeDocument): Promise<void> {
    this.confirming.set(null);
    try {
      await this.api.deleteDocument(doc.id);
      this.documents.update((list) => list.filter((d) => d.id !== doc.id));
      this.error.set(null);
    } catch (error) {
      this.error.set(`Could not delete "${doc.title}": ${messageOf(error)}`);
    }
  }

  protected async search(event: Event, q: string): Promise<void> {
    event.preventDefault();
    if (!q.trim()) return;
    try {
      this.results.set(await this.api.search(q.trim(), 5));
      this.searchError.set(null);
    } catch (error) {
      this.searchError.set(`Search failed: ${messageOf(error)}`);
    }
  }

  protected uploadText(u: Upload): string {
    if (u.phase === 'uploading') return 'Uploading…';
    if (u.phase === 'ingesting')
      return u.total ? `Indexing ${u.done} of ${u.total} passages` : 'Queued for indexing…';
    return u.phase === 'ready' ? 'Done' : 'Failed';
  }

  protected size(bytes: number): string {
    return bytes < 1024
      ? `${bytes} B`
      : bytes < 1024 * 1024
        ? `${(bytes / 1024).toFixed(1)} KB`
        : `${(bytes / 1048576).toFixed(1)} MB`;
  }
}

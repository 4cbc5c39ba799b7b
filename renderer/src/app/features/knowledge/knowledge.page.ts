import {
  ChangeDetectionStrategy,
  Component,
  OnDestroy,
  computed,
  inject,
  signal,
} from '@angular/core';
import type { Citation, JobStatus, KnowledgeDocument } from '@msi/contracts/api';
import { ApiService } from '../../core/api.service';
import { messageOf } from '../../core/config';
import { SessionService } from '../../core/session.service';
import { Icon } from '../../ui/icon';
import { sectionLabel } from '../../ui/section-label';
import { PassagePanel, PassageService } from '../../ui/passage-panel';

/** The file being uploaded; once the API has it, its progress is the document's own (as the table shows). */
interface Upload {
  name: string;
  documentId?: string;
  /** The same content was already there (under this title): nothing new was indexed. */
  existing?: boolean;
  /** Why it was refused before the API had a document. */
  error?: string;
  /** The ingestion job (from the upload's `jobId`): says when an attempt failed and a retry is coming. */
  job?: JobStatus;
}
type UploadPhase = 'uploading' | 'ingesting' | 'ready' | 'failed';

/** The words for a document's indexing, the same in the upload progress and in the table. */
export function indexingText(d: KnowledgeDocument): string {
  switch (d.status) {
    case 'queued':
      return 'Queued for indexing';
    case 'ingesting':
      return d.chunksTotal
        ? `Indexing ${d.chunksDone} of ${d.chunksTotal} passages`
        : 'Queued for indexing';
    case 'ready':
      return `${d.chunksTotal} passages indexed`;
    default:
      return d.error ?? 'Indexing failed';
  }
}

/** A job whose last attempt failed: which attempt, why, and when the next one starts. */
export function retryText(job: JobStatus): string {
  const when = job.retryAt
    ? ` Trying again at ${new Date(job.retryAt).toLocaleTimeString()}.`
    : ' Trying again shortly.';
  const which = job.attemptsMade
    ? `Attempt ${job.attemptsMade} of ${job.attempts} failed`
    : 'Waiting';
  return `${which}: ${job.error ?? 'no reason given'}.${when}`;
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
              @let doc = uploadDoc();
              @let phase = uploadPhase();
              <div class="upload-progress" data-testid="upload-progress" [attr.data-phase]="phase">
                <div class="row">
                  <span>{{ u.name }}</span>
                  <span class="muted">{{
                    phase === 'uploading' ? 'Uploading…' : doc ? indexingText(doc) : 'Failed'
                  }}</span>
                </div>
                @if (phase === 'uploading') {
                  <progress aria-label="Upload progress"></progress>
                } @else if (doc) {
                  <progress
                    aria-label="Upload progress"
                    [max]="doc.chunksTotal || 1"
                    [value]="doc.status === 'ready' ? doc.chunksTotal || 1 : doc.chunksDone"
                  ></progress>
                }
                @if (u.job?.state === 'retrying' && phase === 'ingesting') {
                  <p role="status" class="muted small" data-testid="upload-retry">
                    {{ retryText(u.job!) }}
                  </p>
                }
                @if (u.error) {
                  <p role="alert" class="error-text">{{ u.error }}</p>
                } @else if (doc && phase === 'failed') {
                  <p role="alert" class="error-text">{{ indexingText(doc) }}</p>
                } @else if (doc && phase === 'ready') {
                  <p role="status">
                    @if (u.existing) {
                      Already in the knowledge base as “{{ doc.title }}” ({{ doc.filename }}):
                      nothing new to index.
                    } @else {
                      Ready: “{{ doc.title }}” is searchable.
                    }
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
                    @if (sectionOf(r); as section) {
                      <span class="muted">— {{ section }}</span>
                    }
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
                  <tr [class.just-uploaded]="d.id === upload()?.documentId">
                    <td>
                      <div>{{ d.title }}</div>
                      <div class="muted small">{{ d.filename }}</div>
                    </td>
                    <td>{{ d.source === 'builtin' ? 'Built in' : 'Uploaded' }}</td>
                    <td>{{ size(d.bytes) }}</td>
                    <td>
                      <span class="state" [attr.data-state]="d.status">{{ d.status }}</span>
                      @if (d.status === 'failed') {
                        <div class="error-text small">{{ indexingText(d) }}</div>
                      } @else {
                        <div class="muted small">{{ indexingText(d) }}</div>
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
  styleUrl: './knowledge.page.css',
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
  protected readonly uploadDoc = computed(() => {
    const id = this.upload()?.documentId;
    return id ? this.documents().find((d) => d.id === id) : undefined;
  });
  protected readonly uploadPhase = computed<UploadPhase>(() => {
    const upload = this.upload();
    const doc = this.uploadDoc();
    if (upload?.error) return 'failed';
    if (!doc) return 'uploading';
    if (doc.status === 'ready') return 'ready';
    return doc.status === 'failed' ? 'failed' : 'ingesting';
  });
  protected readonly indexingText = indexingText;
  protected readonly retryText = retryText;
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
      const documents = await this.api.documents();
      // An upload that finished meanwhile is newer than this list.
      const uploaded = this.uploadDoc();
      this.documents.set(
        uploaded ? [uploaded, ...documents.filter((d) => d.id !== uploaded.id)] : documents,
      );
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
    const name = file.name;
    if (file.size > 5 * 1024 * 1024) {
      this.upload.set({ name, error: 'Not uploaded: the file is larger than 5 MB.' });
      return;
    }
    this.upload.set({ name });
    try {
      const content = await file.text();
      const known = new Set(this.documents().map((d) => d.id));
      let doc = await this.api.upload({
        filename: name,
        mediaType: file.type || undefined,
        content,
      });
      this.documents.update((list) => [doc, ...list.filter((d) => d.id !== doc.id)]);
      const jobId = doc.jobId;
      this.upload.set({ name, documentId: doc.id, existing: known.has(doc.id) });
      while (!this.destroyed && (doc.status === 'queued' || doc.status === 'ingesting')) {
        await new Promise((resolve) => setTimeout(resolve, 400));
        const [next, job] = await Promise.all([
          this.api.document(doc.id),
          jobId ? this.api.job(jobId).catch(() => undefined) : undefined,
        ]);
        doc = next;
        this.documents.update((list) => list.map((d) => (d.id === next.id ? next : d)));
        if (job) this.upload.update((u) => (u ? { ...u, job } : u));
      }
    } catch (error) {
      this.upload.update((u) => ({
        name,
        documentId: u?.documentId,
        error: `Upload failed: ${messageOf(error)}`,
      }));
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

  protected sectionOf(r: Citation): string {
    return sectionLabel(r.title, r.section);
  }

  protected size(bytes: number): string {
    return bytes < 1024
      ? `${bytes} B`
      : bytes < 1024 * 1024
        ? `${(bytes / 1024).toFixed(1)} KB`
        : `${(bytes / 1048576).toFixed(1)} MB`;
  }
}

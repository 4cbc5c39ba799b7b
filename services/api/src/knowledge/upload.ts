/** Validation of a knowledge upload: what may come in, and the clear error when it may not. */
import { basename, extname } from 'node:path';
import { z } from 'zod';
import type { KnowledgeUpload } from '../contract.js';
import type { TextKind } from './chunker.js';

export const MAX_UPLOAD_BYTES = 5 * 1024 * 1024;

export class KnowledgeError extends Error {
  constructor(
    readonly code: 'invalid_request' | 'unsupported_media_type' | 'payload_too_large' | 'not_found',
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'KnowledgeError';
  }
}

const MEDIA_TYPES: Record<string, TextKind> = {
  'text/markdown': 'markdown',
  'text/x-markdown': 'markdown',
  'text/plain': 'text',
};
const EXTENSIONS: Record<string, string> = {
  '.md': 'text/markdown',
  '.markdown': 'text/markdown',
  '.mdown': 'text/markdown',
  '.txt': 'text/plain',
  '.text': 'text/plain',
};

/** The kind of text a file is, from its media type or, when absent, its name; undefined if unsupported. */
export function kindOf(
  filename: string,
  mediaType?: string,
): { mediaType: string; kind: TextKind } | undefined {
  const mt = mediaType ?? EXTENSIONS[extname(filename).toLowerCase()];
  const kind = mt ? MEDIA_TYPES[mt] : undefined;
  return kind && mt ? { mediaType: mt, kind } : undefined;
}

const uploadSchema = z.object(
  {
    filename: z
      .string({ required_error: 'filename is required' })
      .trim()
      .min(1, 'filename must not be empty')
      .max(255, 'filename is longer than 255 characters'),
    mediaType: z.string().trim().min(1).max(100).optional(),
    title: z
      .string()
      .trim()
      .min(1, 'title must not be empty when given')
      .max(200, 'title is longer than 200 characters')
      .optional(),
    content: z.string({
      required_error: 'content is required (the file text)',
      invalid_type_error: 'content must be a string (the file text)',
    }),
  },
  { invalid_type_error: 'the body must be a JSON object {filename, mediaType?, title?, content}' },
);

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export interface ValidUpload {
  filename: string;
  mediaType: string;
  kind: TextKind;
  title: string | undefined;
  content: string;
  bytes: number;
}

/** Checks an upload; throws KnowledgeError naming the first thing that is wrong. */
export function validateUpload(body: unknown): ValidUpload {
  const parsed = uploadSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
    throw new KnowledgeError('invalid_request', `${where}${issue.message}`, 400);
  }
  const u: KnowledgeUpload = parsed.data;
  const filename = basename(u.filename.replace(/\\/g, '/'));
  const declared = u.mediaType?.split(';')[0]!.trim().toLowerCase();
  const charset = /charset=([^;\s]+)/i.exec(u.mediaType ?? '')?.[1]?.toLowerCase();
  if (charset && charset !== 'utf-8' && charset !== 'utf8') {
    throw new KnowledgeError(
      'unsupported_media_type',
      `charset ${charset} is not supported; send the text as UTF-8`,
      415,
    );
  }
  const type = kindOf(filename, declared);
  if (!type) {
    const what = declared ? `media type ${declared}` : `file type of ${filename}`;
    throw new KnowledgeError(
      'unsupported_media_type',
      `${what} is not supported; upload Markdown (.md, text/markdown) or plain text (.txt, text/plain)`,
      415,
    );
  }
  const bytes = Buffer.byteLength(u.content, 'utf8');
  if (bytes > MAX_UPLOAD_BYTES) {
    throw new KnowledgeError(
      'payload_too_large',
      `${filename} is ${bytes} bytes; the limit is ${MAX_UPLOAD_BYTES} bytes (5 MB)`,
      413,
    );
  }
  if (LONE_SURROGATE.test(u.content)) {
    throw new KnowledgeError(
      'invalid_request',
      `${filename} is not valid UTF-8 text (it has unpaired surrogates)`,
      400,
    );
  }
  if (u.content.includes('\uFFFD')) {
    throw new KnowledgeError(
      'invalid_request',
      `${filename} is not valid UTF-8 text (it has U+FFFD replacement characters where bytes could not be decoded)`,
      400,
    );
  }
  if (u.content.includes('\u0000')) {
    throw new KnowledgeError(
      'invalid_request',
      `${filename} contains NUL bytes: it looks like a binary file, not text`,
      400,
    );
  }
  if (!u.content.trim()) throw new KnowledgeError('invalid_request', `${filename} is empty`, 400);
  return { filename, mediaType: type.mediaType, kind: type.kind, title: u.title, content: u.content, bytes };
}

/**
 * A service's output: appended to DATA_DIR/logs/<service>.log (rotated by size: .log → .log.1 … .log.N)
 * and kept as an in-memory tail of the last lines for the status page.
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { LogLine, ServiceName } from '../../common/host-api.js';

export interface LogOptions {
  maxBytes?: number;
  keepFiles?: number;
  tailLines?: number;
}

export class ServiceLog {
  readonly file: string;
  private fd: number;
  private size: number;
  private readonly tail: LogLine[] = [];
  private partial: Record<LogLine['stream'], string> = { stdout: '', stderr: '' };
  private readonly maxBytes: number;
  private readonly keepFiles: number;
  private readonly tailLines: number;

  constructor(
    readonly service: ServiceName,
    logsDir: string,
    opts: LogOptions = {},
  ) {
    this.maxBytes = opts.maxBytes ?? 2 * 1024 * 1024;
    this.keepFiles = opts.keepFiles ?? 3;
    this.tailLines = opts.tailLines ?? 500;
    mkdirSync(logsDir, { recursive: true });
    this.file = join(logsDir, `${service}.log`);
    this.fd = openSync(this.file, 'a', 0o600);
    this.size = fstatSync(this.fd).size;
  }

  /** A chunk of a child's output; complete lines go to the tail, everything to the file. */
  write(stream: LogLine['stream'], chunk: Buffer | string): void {
    const text = this.partial[stream] + chunk.toString();
    const lines = text.split('\n');
    this.partial[stream] = lines.pop() ?? '';
    for (const line of lines) if (line) this.line(stream, line);
    if (this.partial[stream].length > 64 * 1024) {
      this.line(stream, this.partial[stream]);
      this.partial[stream] = '';
    }
  }

  /** A line of our own about the service (start, exit, restart), marked as the supervisor's. */
  note(text: string): void {
    this.line('stderr', `[supervisor] ${text}`);
  }

  lines(n = this.tailLines): LogLine[] {
    return this.tail.slice(-Math.max(0, n));
  }

  close(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream]) this.line(stream, this.partial[stream]);
      this.partial[stream] = '';
    }
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  private line(stream: LogLine['stream'], text: string): void {
    const entry: LogLine = { service: this.service, time: new Date().toISOString(), stream, text };
    this.tail.push(entry);
    if (this.tail.length > this.tailLines) this.tail.splice(0, this.tail.length - this.tailLines);
    if (this.fd < 0) return;
    const bytes = Buffer.from(`${entry.time} ${stream} ${text}\n`);
    if (this.size + bytes.length > this.maxBytes && this.size > 0) this.rotate();
    writeSync(this.fd, bytes);
    this.size += bytes.length;
  }

  private rotate(): void {
    closeSync(this.fd);
    const oldest = `${this.file}.${this.keepFiles}`;
    if (existsSync(oldest)) rmSync(oldest);
    for (let i = this.keepFiles - 1; i >= 1; i--) {
      if (existsSync(`${this.file}.${i}`)) renameSync(`${this.file}.${i}`, `${this.file}.${i + 1}`);
    }
    renameSync(this.file, `${this.file}.1`);
    this.fd = openSync(this.file, 'a', 0o600);
    this.size = 0;
  }
}

import type { LogLine } from '@msi/contracts/host';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** One log line as a person reads it: when, how bad, what. */
export interface ParsedLogLine {
  /** HH:MM:SS (local time). */
  time: string;
  level: LogLevel;
  message: string;
  /** Only error and fatal are errors (a line on stderr is not one by itself). */
  isError: boolean;
}

/** pino's numeric levels (our services log JSON lines). */
const PINO_LEVELS: [number, LogLevel][] = [
  [60, 'fatal'],
  [50, 'error'],
  [40, 'warn'],
  [30, 'info'],
  [20, 'debug'],
  [0, 'trace'],
];
const WORD_LEVELS: Record<string, LogLevel> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  notice: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  err: 'error',
  fatal: 'fatal',
  panic: 'fatal',
  critical: 'fatal',
};
/** Fields every JSON line has, not worth repeating in the message. */
const ENVELOPE = new Set([
  'level',
  'time',
  'msg',
  'message',
  'name',
  'service',
  'pid',
  'hostname',
  'v',
]);
const ISO_TIME = /^\[?(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?)\]?\s*/;
const LEVEL_WORD =
  /^\[?(trace|debug|info|notice|warn(?:ing)?|err(?:or)?|fatal|panic|critical)\]?[:\s]\s*/i;
const SUPERVISOR_FAILURE =
  /\b(fail(ed|s)?|crash(ed)?|exited with code [1-9]|killed|gave up|not ready)\b/i;

export function parseLogLine(line: LogLine): ParsedLogLine {
  const json = parseJson(line.text);
  const parsed = json ? fromJson(json, line) : fromText(line.text, line);
  return { ...parsed, isError: parsed.level === 'error' || parsed.level === 'fatal' };
}

function fromJson(json: Record<string, unknown>, line: LogLine): Omit<ParsedLogLine, 'isError'> {
  const raw = json['level'];
  const level =
    typeof raw === 'number'
      ? PINO_LEVELS.find(([min]) => raw >= min)![1]
      : (WORD_LEVELS[String(raw ?? '').toLowerCase()] ?? 'info');
  const text = String(json['msg'] ?? json['message'] ?? '');
  const details = Object.entries(json)
    .filter(([key]) => !ENVELOPE.has(key))
    .map(([key, value]) => `${key}=${detail(key, value)}`);
  const time = typeof json['time'] === 'string' ? json['time'] : line.time;
  return { time: clock(time), level, message: [text, ...details].filter(Boolean).join(' · ') };
}

function fromText(text: string, line: LogLine): Omit<ParsedLogLine, 'isError'> {
  let rest = text.trim();
  let time = line.time;
  const stamp = ISO_TIME.exec(rest);
  if (stamp) {
    time = stamp[1];
    rest = rest.slice(stamp[0].length);
  }
  const word = LEVEL_WORD.exec(rest);
  if (word) {
    rest = rest.slice(word[0].length);
    return {
      time: clock(time),
      level: WORD_LEVELS[word[1].toLowerCase()] ?? 'info',
      message: rest,
    };
  }
  // The supervisor's own notes about the process: a failure is a warning (the state shows the error).
  if (rest.startsWith('[supervisor]'))
    return {
      time: clock(time),
      level: SUPERVISOR_FAILURE.test(rest) ? 'warn' : 'info',
      message: rest,
    };
  return { time: clock(time), level: 'info', message: rest };
}

function detail(key: string, value: unknown): string {
  if (key === 'err' && value && typeof value === 'object') {
    const err = value as { message?: unknown; type?: unknown };
    return String(err.message ?? err.type ?? JSON.stringify(value));
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function parseJson(text: string): Record<string, unknown> | null {
  if (!text.startsWith('{')) return null;
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

function clock(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso.slice(11, 19);
  return date.toLocaleTimeString('en-GB', { hour12: false });
}

import type { LogLine } from '@msi/contracts/host';
import { parseLogLine } from './log-line';

const line = (text: string, stream: LogLine['stream'] = 'stdout'): LogLine => ({
  service: 'api',
  time: '2026-01-02T10:11:12.000Z',
  stream,
  text,
});

describe('parseLogLine', () => {
  it('reads our services’ JSON lines: time, level, message and the other fields', () => {
    const parsed = parseLogLine(
      line(
        JSON.stringify({
          level: 30,
          time: '2026-01-02T10:11:13.000Z',
          service: 'api',
          pid: 7,
          msg: 'listening',
          url: 'http://127.0.0.1:8000',
          startupMs: 812,
        }),
        'stderr',
      ),
    );
    expect(parsed.level).toBe('info');
    expect(parsed.isError).toBe(false);
    expect(parsed.message).toBe('listening · url=http://127.0.0.1:8000 · startupMs=812');
    expect(parsed.time).toBe(new Date('2026-01-02T10:11:13.000Z').toLocaleTimeString('en-GB'));
  });

  it('only error and fatal lines are errors', () => {
    const err = parseLogLine(
      line(JSON.stringify({ level: 50, msg: 'tool failed', err: { message: 'no such table' } })),
    );
    expect(err).toMatchObject({ level: 'error', isError: true });
    expect(err.message).toBe('tool failed · err=no such table');
    expect(parseLogLine(line(JSON.stringify({ level: 40, msg: 'slow' })))).toMatchObject({
      level: 'warn',
      isError: false,
    });
  });

  it('reads plain lines with a timestamp and a level word, and stderr alone is not an error', () => {
    const parsed = parseLogLine(
      line('2026-01-02T10:11:14.000Z  WARN chroma::server: compaction is slow', 'stderr'),
    );
    expect(parsed).toMatchObject({ level: 'warn', isError: false });
    expect(parsed.message).toBe('chroma::server: compaction is slow');
    expect(parseLogLine(line('Listening on 127.0.0.1:8001', 'stderr'))).toMatchObject({
      level: 'info',
      isError: false,
      message: 'Listening on 127.0.0.1:8001',
    });
    expect(parseLogLine(line('ERROR: cannot open the database'))).toMatchObject({
      level: 'error',
      isError: true,
      message: 'cannot open the database',
    });
  });

  it('the supervisor’s notes: a crash is a warning, a start is information', () => {
    expect(parseLogLine(line('[supervisor] exited with code 1', 'stderr')).level).toBe('warn');
    expect(parseLogLine(line('[supervisor] starting (attempt 1)', 'stderr')).level).toBe('info');
  });
});

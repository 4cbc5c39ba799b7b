import type { ToolCall } from '@msi/contracts/api';
import { entityOf, knownEntities, linkEntities, slaState, ticketSegments, words } from './entities';

const search: ToolCall = {
  callId: 'c1',
  server: 'ticketing',
  tool: 'search_tickets',
  args: {},
  ok: true,
  result: {
    tickets: [
      {
        number: 'TCK-1042',
        organization: 'dallas-police',
        organizationName: 'Dallas Police Department',
        reporter: 'james_smith',
      },
    ],
  },
};

describe('linkEntities', () => {
  it('links ticket numbers in text, never inside code, pre or an existing link', () => {
    const html =
      '<p>See TCK-1042 and TCK-7.</p><pre><code>TCK-1</code></pre><p><code>TCK-2</code> <a href="https://x">TCK-3</a></p>';
    const out = linkEntities(html);
    expect(out).toContain(
      '<a class="entity ticket-ref" href="#ticket/TCK-1042" title="Open TCK-1042">TCK-1042</a>',
    );
    expect(out).toContain('href="#ticket/TCK-7"');
    for (const n of ['TCK-1', 'TCK-2', 'TCK-3']) expect(out).not.toContain(`#ticket/${n}"`);
    expect(linkEntities('<p>XTCK-12 TCK-12a</p>')).toBe('<p>XTCK-12 TCK-12a</p>');
  });

  it('links the organizations and people the tools returned, a slug shown as its name', () => {
    const known = knownEntities([search]);
    const out = linkEntities(
      '<table><tr><td>dallas-police</td><td>Dallas Police Department</td><td>james_smith</td></tr></table>',
      known,
    );
    expect(out).toContain(
      '<a class="entity org-ref" href="#org/dallas-police" title="Open Dallas Police Department">Dallas Police Department</a></td><td>',
    );
    expect(out.match(/href="#org\/dallas-police"/g)).toHaveLength(2);
    expect(out).toContain('href="#org/dallas-police/james_smith"');
    // A failed call teaches nothing.
    expect(knownEntities([{ ...search, ok: false }]).organizations.size).toBe(0);
  });
});

describe('entityOf', () => {
  it('reads what a link opens', () => {
    expect(entityOf('#ticket/TCK-1042')).toEqual({ kind: 'ticket', number: 'TCK-1042' });
    expect(entityOf('#org/dallas-police')).toEqual({ kind: 'org', organization: 'dallas-police' });
    expect(entityOf('#org/dallas-police/james_smith')).toEqual({
      kind: 'org',
      organization: 'dallas-police',
      person: 'james_smith',
    });
    expect(entityOf('https://example.com')).toBeNull();
    expect(entityOf('#ticket/1042')).toBeNull();
    expect(entityOf(null)).toBeNull();
  });
});

describe('slaState', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  it('counts down to the SLA, warns in its last hour, and says how long ago it was breached', () => {
    expect(slaState({ slaDueAt: '2026-01-01T14:30:00Z', status: 'open' }, now)).toEqual({
      tone: 'ok',
      text: 'SLA due in 2 h 30 min',
    });
    expect(slaState({ slaDueAt: '2026-01-01T12:20:00Z', status: 'in_progress' }, now).tone).toBe(
      'warn',
    );
    expect(slaState({ slaDueAt: '2025-12-29T10:00:00Z', status: 'open' }, now)).toEqual({
      tone: 'danger',
      text: 'SLA breached 3 d 2 h ago',
    });
  });
  it('stops for resolved and closed tickets', () => {
    expect(
      slaState(
        {
          slaDueAt: '2026-01-01T14:00:00Z',
          status: 'resolved',
          resolvedAt: '2026-01-01T13:00:00Z',
        },
        now,
      ),
    ).toEqual({ tone: 'ok', text: 'SLA met' });
    expect(slaState({ slaDueAt: '2026-01-01T14:00:00Z', status: 'closed' }, now).text).toBe(
      'Closed: no SLA running',
    );
  });
});

describe('words', () => {
  it('says slugs in words and leaves names alone', () => {
    expect(words('waiting_on_customer')).toBe('Waiting on customer');
    expect(words('in_car_video')).toBe('In-car video');
    expect(words('view_agency_users')).toBe('View agency users');
    expect(words('Docking Station DS-8')).toBe('Docking Station DS-8');
  });
});

describe('ticketSegments', () => {
  it('cuts text at its ticket numbers', () => {
    expect(ticketSegments('Same as TCK-1001, see TCK-9.')).toEqual([
      { text: 'Same as ' },
      { text: 'TCK-1001', ticket: 'TCK-1001' },
      { text: ', see ' },
      { text: 'TCK-9', ticket: 'TCK-9' },
      { text: '.' },
    ]);
    expect(ticketSegments('none')).toEqual([{ text: 'none' }]);
  });
});

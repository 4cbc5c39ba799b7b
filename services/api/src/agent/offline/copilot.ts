/**
 * Basic mode's copilot (no model): a ticket summary and a draft reply made of sentences taken from the
 * ticket, its comments and history, and the documentation passages found for it. Nothing is invented:
 * each sentence is quoted (trimmed) from a source, and the draft cites the passages it quotes with [n].
 */
import type { TicketBrief } from '../../contract.js';
import type { Passage, TicketDetail, TicketFull } from '../../copilot/material.js';
import { queryTerms, stem } from '../../knowledge/text.js';

export const EXTRACTIVE_NOTE =
  'Basic mode · no AI model: sentences taken from the ticket and the documentation, not written for it.';

/** Sentences of a text (Markdown headings, list marks and table rows dropped). */
export function sentences(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => !/^\s*(#|\||```|>)/.test(l))
    .map((l) => l.replace(/^\s*(?:[-*+]|\d+[.)])\s+/, '').trim())
    .join('\n')
    .split(/(?<=[.!?])\s+|\n{2,}|\n(?=[A-Z])/)
    .map((s) =>
      s
        .replace(/\*\*|__|`/g, '')
        .replace(/\s+/g, ' ')
        .trim(),
    )
    .filter((s) => s.length >= 12 && /[a-z]/i.test(s));
}

const stems = (text: string) => new Set(queryTerms(text).map(stem));

/** How many of `wanted`'s word stems a sentence has (distinct). */
function overlap(sentence: string, wanted: Set<string>): number {
  let n = 0;
  for (const s of stems(sentence)) if (wanted.has(s)) n++;
  return n;
}

/** Words of what someone did about a problem (comments and history that count as "what was tried"). */
const TRIED =
  /\b(tried|try|replac|reset|restart|reboot|re-?seat|reinstall|updat|upgrad|push|appl|swap|clear|check|test|reproduc|collect|escalat|confirm|ran|run|verif|rolled|roll|disabl|enabl|power-?cycl|reconfigur|sent|attach)/i;

/** Imperative or step-like sentences of documentation: what to do next. */
const STEP =
  /^(check|open|go|select|make sure|ensure|confirm|verify|restart|reboot|re-?seat|replace|update|install|reset|contact|dock|remove|clear|set|enable|disable|run|use|press|hold|power|try|in\b|if\b|to\b)/i;

const shortDate = (iso: string) => iso.slice(0, 16).replace('T', ' ');
const words = (s: string) => s.replace(/_/g, ' ');

function relTime(toIso: string, now: number): string {
  const mins = Math.round((Date.parse(toIso) - now) / 60_000);
  const abs = Math.abs(mins);
  const span =
    abs < 90 ? `${abs} min` : abs < 48 * 60 ? `${Math.round(abs / 60)} h` : `${Math.round(abs / 1440)} days`;
  return mins >= 0 ? `in ${span}` : `${span} ago`;
}

/** A passage's heading path without its document title (which the section path starts with). */
export function sectionPath(p: { title: string; section: string }): string[] {
  return p.section.split(' › ').filter((s) => s.trim().toLowerCase() !== p.title.trim().toLowerCase());
}

const OPEN = new Set(['open', 'in_progress', 'waiting_on_customer']);

/** The best sentence of the passages for the ticket, as `{sentence, index}` (index into passages). */
function bestSentences(passages: Passage[], t: TicketFull, max: number, prefer?: RegExp) {
  const wanted = stems(`${t.title} ${t.description}`);
  const picked: { sentence: string; index: number; score: number }[] = [];
  passages.forEach((p, index) => {
    const scored = sentences(p.text).map((sentence) => ({
      sentence,
      index,
      score: overlap(sentence, wanted) + (prefer?.test(sentence) ? 1.5 : 0) - index * 0.25,
    }));
    scored.sort((a, b) => b.score - a.score);
    // At most two sentences per passage, so the draft draws on more than one source.
    for (const s of scored.slice(0, 2)) if (s.score > 0.5) picked.push(s);
  });
  picked.sort((a, b) => b.score - a.score);
  const seen = new Set<string>();
  return picked.filter((p) => (seen.has(p.sentence) ? false : (seen.add(p.sentence), true))).slice(0, max);
}

/** Problem, what was tried, status, next step: each from the ticket's own words where it has them. */
export function extractiveSummary(d: TicketDetail, passages: Passage[], now = Date.now()): TicketBrief {
  const t = d.ticket;
  const desc = sentences(t.description);
  const problem = [`${t.title}.`, ...desc.slice(0, 2)].join(' ').replace(/\.\./g, '.');

  const tried: string[] = [];
  for (const c of d.comments) {
    for (const s of sentences(c.body)) {
      if (TRIED.test(s)) tried.push(`${c.author}${c.internal ? ' (internal)' : ''}: ${s}`);
    }
  }
  for (const e of d.history) {
    if (e.action === 'created' || e.action === 'commented') continue;
    const change = Object.entries(e.after ?? {})
      .filter(([k]) => k !== 'updatedAt')
      .map(([k, v]) => `${k} → ${typeof v === 'string' ? words(v) : JSON.stringify(v)}`)
      .join(', ');
    if (change) tried.push(`${e.actor} (${shortDate(e.at)}): ${change}`);
  }
  const triedText = tried.length
    ? tried.slice(-4).join(' · ')
    : d.comments.length
      ? `No troubleshooting recorded yet; last comment by ${d.comments.at(-1)!.author}: “${sentences(d.comments.at(-1)!.body)[0] ?? d.comments.at(-1)!.body.slice(0, 160)}”`
      : 'Nothing recorded yet: no comments and no changes since it was opened.';

  const sla = OPEN.has(t.status)
    ? t.slaBreached || Date.parse(t.slaDueAt) < now
      ? `SLA breached (due ${relTime(t.slaDueAt, now)})`
      : `SLA due ${relTime(t.slaDueAt, now)}`
    : t.resolvedAt
      ? `resolved ${shortDate(t.resolvedAt)}`
      : '';
  const status = [
    `${words(t.status).replace(/^./, (c) => c.toUpperCase())}`,
    `${t.priority} priority`,
    t.assignee ? `assigned to ${t.assignee}` : 'unassigned',
    sla,
    `last updated ${shortDate(t.updatedAt)}`,
  ]
    .filter(Boolean)
    .join(' · ');

  const steps: string[] = [];
  if (!OPEN.has(t.status)) {
    steps.push(
      t.resolution ? `Resolution recorded: ${t.resolution}` : 'Nothing to do: the ticket is no longer open.',
    );
  } else {
    if (!t.assignee) steps.push('Assign the ticket to someone.');
    if (t.status === 'waiting_on_customer')
      steps.push(`Waiting on the customer (${t.reporter}); follow up if there is no reply.`);
    else if (t.slaBreached || Date.parse(t.slaDueAt) < now)
      steps.push(`Reply to ${t.reporter} now: the response target has passed.`);
    const best = bestSentences(passages, t, 1, STEP)[0];
    if (best) {
      const p = passages[best.index]!;
      steps.push(`From “${[p.title, ...sectionPath(p)].join(' › ')}”: ${best.sentence}`);
    } else if (!steps.length) {
      steps.push(`Reply to ${t.reporter} with what was found so far.`);
    }
  }
  return { problem, tried: triedText, status, nextStep: steps.join(' ') };
}

/**
 * A reply to the reporter: greeting, the ticket in one line, the documentation's best sentences for it
 * (each cited [n] by its position in the returned `used` passages), what happens next, and a signature.
 */
export function extractiveDraft(
  d: TicketDetail,
  passages: Passage[],
  agentName: string,
): { draft: string; used: Passage[] } {
  const t = d.ticket;
  const picks = bestSentences(passages, t, 3, STEP);
  const used: Passage[] = [];
  const marker = (index: number) => {
    const p = passages[index]!;
    let n = used.indexOf(p);
    if (n < 0) n = used.push(p) - 1;
    return `[${n + 1}]`;
  };
  const lines = [`Hello,`, '', `Thank you for your report about “${t.title}” (${t.number}).`];
  if (picks.length) {
    lines.push('', 'According to our documentation:', '');
    for (const p of picks) lines.push(`- ${p.sentence} ${marker(p.index)}`);
    lines.push(
      '',
      'Could you try this and let us know whether it solves the problem? If it does not, please reply with what you see and we will continue from there.',
    );
  } else {
    lines.push(
      '',
      'We are looking into it and will get back to you with the next steps. If you have more details (when it started, how many units are affected), please reply with them.',
    );
  }
  lines.push('', 'Best regards,', agentName);
  return { draft: lines.join('\n'), used };
}

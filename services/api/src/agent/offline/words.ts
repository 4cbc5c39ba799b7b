/**
 * Reading everyday words: a typo-tolerant spelling of the words the offline provider acts on, ticket
 * numbers as people write them ("TCK 1001", "ticket 1001", "tck-1001", "#1001"), usernames, and the text
 * a request carries (a comment's body, a resolution).
 */

/** The words the requests turn on; a word one edit away from one of these (5+ letters) reads as it. */
const VOCABULARY = [
  'ticket',
  'tickets',
  'assign',
  'assigned',
  'unassigned',
  'reassign',
  'status',
  'priority',
  'comment',
  'resolve',
  'resolved',
  'permission',
  'permissions',
  'organization',
  'organizations',
  'compare',
  'urgent',
  'reopen',
  'progress',
  'waiting',
  'customer',
  'members',
  'users',
  'agency',
  'agencies',
  'department',
  'create',
  'statistics',
  'breakdown',
  'internal',
  'private',
  'escalate',
  'priority',
  'revoke',
  'degraded',
];
/** Real words one edit away from a request word, and the request words' own forms: never "corrected". */
const KEEP = [
  'stats',
  'state',
  'states',
  'customers',
  'comments',
  'statuses',
  'priorities',
  'assigns',
  'closes',
  'resolves',
  'creates',
  'compares',
  'revoked',
  'reopened',
  'tickets',
  'member',
  'agent',
  'agents',
  'assist',
  'users',
  'user',
];
const KNOWN = new Set([...VOCABULARY, ...KEEP]);

/** Whether a and b are at most one insertion, deletion, substitution or adjacent swap apart. */
export function oneEditApart(a: string, b: string): boolean {
  if (a === b) return true;
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (a.length === b.length) {
    if (a.slice(i + 1) === b.slice(i + 1)) return true;
    return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
  }
  const [long, short] = a.length > b.length ? [a, b] : [b, a];
  return long.slice(i + 1) === short.slice(i);
}

/** Lower case, curly quotes straightened, and misspelt request words put right ("tickts" → "tickets"). */
export function normalize(text: string): string {
  return text
    .toLowerCase()
    .replace(/[‘’]/g, "'")
    .replace(/[“”]/g, '"')
    .replace(/[a-z]{5,}/g, (w) => (KNOWN.has(w) ? w : (VOCABULARY.find((v) => oneEditApart(w, v)) ?? w)));
}

/** `TCK-1001` from "TCK 1001", "ticket 1001", "ticket #1001", "tck-1001", "#1001" or a bare number after a
 *  ticket verb ("close 1001"). */
export function ticketNumber(text: string): string | undefined {
  const m =
    /\b(?:tck|tkt|tk|ticket|case)\s*(?:number|no\.?|nr\.?)?\s*[-#:]?\s*#?\s*(\d{3,9})\b/i.exec(text) ??
    /(?:^|\s)#(\d{3,9})\b/.exec(text) ??
    /\b(?:assign|reassign|unassign|close|reopen|resolve|escalate|comment on|update|show|open|view|check)\s+(\d{4,9})\b/i.exec(
      text,
    );
  return m ? `TCK-${Number(m[1])}` : undefined;
}

/** Usernames named in the text: words joined by "_" or "." (james_smith, maria.garcia), in order, once. */
export function usernames(text: string): string[] {
  const found = [...text.matchAll(/\b[a-z][a-z0-9]*(?:[._][a-z0-9]+)+\b/gi)]
    .map((m) => m[0].toLowerCase())
    // Not an address, a file or a version ("v1.2", "users.csv").
    .filter((u) => !/\.(csv|txt|md|pdf|com|org|net|example)$/.test(u) && !/^v?\d/.test(u));
  return [...new Set(found)];
}

/** The text a request carries after a colon, in quotes, or after "saying"/"that"/"with": a comment's body,
 *  a resolution. */
export function carriedText(
  text: string,
  lead: RegExp = /\b(?:saying|says|that says|that|with)\b\s+/i,
): string | undefined {
  const quoted = /["“]([^"”]{2,})["”]/.exec(text)?.[1];
  if (quoted) return quoted.trim();
  const colon = /(?:[:—–]|\s-\s)\s*(.+)$/s.exec(text)?.[1];
  if (colon?.trim()) return colon.trim();
  const m = lead.exec(text);
  const after = m ? text.slice(m.index + m[0].length).trim() : '';
  return after.length >= 2 ? after : undefined;
}

/**
 * Which organization a request names, among those the person can see (the organizations MCP server's
 * list, read at run time): by slug, display name, legacy name, or the way people say them ("dallas pd",
 * "allen fire", "king county sheriff", "la city", "dallas"), one typo allowed in longer words.
 */
import { oneEditApart } from './words.js';

export interface Org {
  slug: string;
  name: string;
  legacyName?: string | null;
  type?: string;
}

/** Words that say what kind of organization it is, not which. */
const GENERIC = new Set([
  'police',
  'department',
  'dept',
  'fire',
  'station',
  'rescue',
  'services',
  'service',
  'sheriff',
  'sheriffs',
  'office',
  'county',
  'city',
  'of',
  'the',
  'ems',
  'water',
  'power',
  'general',
  'electronics',
]);

/** How people shorten an organization of each type. */
const TYPE_WORDS: Record<string, string[]> = {
  police: ['pd', 'police', 'police dept', 'police department', 'cops'],
  sheriff: ['sheriff', 'sheriffs', 'sheriffs office', 'so', 'sheriff office'],
  fire: ['fire', 'fd', 'fire dept', 'fire department', 'fire rescue'],
  ems: ['ems'],
  city: ['city'],
  utility: ['utility', 'utilities'],
};

const words = (s: string) =>
  s
    .toLowerCase()
    .replace(/'s\b/g, 's')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .split(' ')
    .filter(Boolean);

/** Every way of naming `o` as word lists; `unique` marks the short ones that must not name two orgs. */
function aliases(o: Org): { words: string[]; short: boolean }[] {
  const name = words(o.name);
  const core = name.filter((w) => !GENERIC.has(w));
  const out = [
    o.slug.replace(/-/g, ' '),
    o.slug,
    o.name,
    o.legacyName ?? '',
    o.legacyName?.replace(/_/g, ' ') ?? '',
  ]
    .filter(Boolean)
    .map((s) => ({ words: words(s), short: false }));
  if (core.length) {
    out.push({ words: core, short: true });
    for (const t of TYPE_WORDS[o.type ?? ''] ?? []) out.push({ words: [...core, ...words(t)], short: false });
    if (o.type === 'city') out.push({ words: ['city', 'of', ...core], short: false });
  }
  return out.filter((a) => a.words.length);
}

const same = (a: string, b: string) => a === b || (a.length >= 5 && b.length >= 5 && oneEditApart(a, b));

function occurs(text: string[], alias: string[]): boolean {
  outer: for (let i = 0; i + alias.length <= text.length; i++) {
    for (let j = 0; j < alias.length; j++) if (!same(text[i + j]!, alias[j]!)) continue outer;
    return true;
  }
  return false;
}

/** The organization the text names (the longest naming wins); a short name ("dallas") only when it names
 *  just one of them. */
export function matchOrganization(text: string, orgs: Org[]): Org | undefined {
  const t = words(text);
  const shortOwners = new Map<string, Set<string>>();
  const all = orgs.map((o) => ({ o, names: aliases(o) }));
  for (const { o, names } of all)
    for (const a of names.filter((x) => x.short)) {
      const k = a.words.join(' ');
      shortOwners.set(k, (shortOwners.get(k) ?? new Set()).add(o.slug));
    }
  let best: { org: Org; len: number } | undefined;
  for (const { o, names } of all) {
    for (const a of names) {
      if (a.short && (shortOwners.get(a.words.join(' '))?.size ?? 0) > 1) continue;
      if (a.short && a.words.join('').length < 4) continue;
      const len = a.words.join(' ').length;
      if (occurs(t, a.words) && (!best || len > best.len)) best = { org: o, len };
    }
  }
  return best?.org;
}

/** A name the request gives an organization ("status of Atlanta Police Department", "houston pd"), whether
 *  or not the person can see it: what "not found" repeats back. */
export function namedOrganization(text: string): string | undefined {
  const STOP = /^(the|my|our|a|an|of|for|at|in|from|show|list|status|users|is|are|what|with|and|to|on)$/i;
  for (const k of text.matchAll(
    /\b([a-z][a-z'-]+(?:\s+[a-z][a-z'-]+)?)\s+(pd|fd|police(?: department)?|fire(?: department)?|sheriff'?s?(?: office)?|ems)\b/gi,
  )) {
    const lead = k[1]!.split(/\s+/).filter((w) => !STOP.test(w));
    if (lead.length) return `${lead.join(' ')} ${k[2]}`;
  }
  const m = /\b(?:of|for|at|in|from)\s+(?:the\s+)?((?:[A-Z][\w'-]*|of)(?:\s+(?:[A-Z][\w'-]*|of))*)/.exec(
    text,
  );
  const name = m?.[1]?.replace(/\s+of$/, '').trim();
  if (!name || /^(TCK|Ticket)\b/i.test(name) || /^(My|Our|Me|I|Basic|It)$/.test(name)) return undefined;
  return name;
}

/** "my agency", "our department", "my org": the person's own organization. */
export function ownOrganizationNamed(t: string): boolean {
  return /\b(my|our)\s+(own\s+)?(agency|organi[sz]ation|org|department|dept|company|team|office|station)\b/.test(
    t,
  );
}

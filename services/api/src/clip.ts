/** The first `max` UTF-16 units of `s`, one fewer when the cut would split a surrogate pair (an emoji). */
export function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  const code = s.charCodeAt(max - 1);
  return s.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

const SEPARATOR = ' › ';

/**
 * The heading path of a passage without the document title that is already shown next to it:
 * ("Body cameras", "Body cameras › Docking") → "Docking"; ("Body cameras", "Body cameras") → "".
 */
export function sectionLabel(title: string, section: string | undefined): string {
  if (!section) return '';
  const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();
  const parts = section.split(SEPARATOR);
  while (parts.length && same(parts[0], title)) parts.shift();
  return parts.join(SEPARATOR);
}

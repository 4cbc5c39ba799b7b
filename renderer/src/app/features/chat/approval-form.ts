/**
 * The approval dialog's form: one field per argument of the tool's input schema (JSON Schema, as the MCP
 * server publishes it), pre-filled with what the assistant proposed. Pure functions: the dialog renders
 * the fields and sends `argsOf(fields, values)` when they differ from the proposal.
 */

export type FieldKind = 'text' | 'textarea' | 'select' | 'checkbox' | 'number' | 'multi' | 'json';

export interface FormField {
  name: string;
  label: string;
  kind: FieldKind;
  hint?: string;
  options?: string[];
  required: boolean;
  /** Names what is changed (the ticket number): shown, not editable. */
  locked: boolean;
  /** Empty means "null" (e.g. unassign) rather than "leave out". */
  nullable: boolean;
}

/** A field's value in the form: text for inputs, a flag for a checkbox, a list for a multi-choice. */
export type FieldValue = string | boolean | string[];

type Schema = Record<string, unknown>;

const LABELS: Record<string, string> = {
  org: 'Organization',
  organization: 'Organization',
  number: 'Ticket',
  body: 'Comment',
  internal: 'Internal (staff only)',
  username: 'Member',
};
const LONG = new Set(['description', 'body', 'resolution', 'reason']);

const labelOf = (name: string) =>
  LABELS[name] ?? name.charAt(0).toUpperCase() + name.slice(1).replace(/_/g, ' ');

/** The types a property allows (`type` as a string or list, or `anyOf` of types), without "null". */
function typesOf(p: Schema): { types: string[]; nullable: boolean; enumValues?: string[] } {
  const variants = Array.isArray(p['anyOf']) ? (p['anyOf'] as Schema[]) : [p];
  const types: string[] = [];
  let nullable = false;
  let enumValues: string[] | undefined;
  for (const v of variants) {
    const t = v['type'];
    for (const x of Array.isArray(t) ? t : t ? [t] : []) {
      if (x === 'null') nullable = true;
      else types.push(String(x));
    }
    if (Array.isArray(v['enum'])) enumValues = (v['enum'] as unknown[]).map(String);
  }
  return { types, nullable, ...(enumValues ? { enumValues } : {}) };
}

export function fieldsOf(
  schema: Schema | undefined,
  args: Record<string, unknown>,
  locked: string[] = [],
): FormField[] {
  const props = (schema?.['properties'] ?? {}) as Record<string, Schema>;
  const required = new Set(
    Array.isArray(schema?.['required']) ? (schema['required'] as string[]) : [],
  );
  const names = [...new Set([...Object.keys(props), ...Object.keys(args)])];
  return names.map((name) => {
    const p = props[name] ?? {};
    const { types, nullable, enumValues } = typesOf(p);
    const items = (p['items'] ?? {}) as Schema;
    let kind: FieldKind = 'json';
    let options: string[] | undefined;
    if (!props[name]) {
      // An argument the schema does not name: text when it is text, else JSON.
      kind = typeof args[name] === 'string' ? 'text' : 'json';
    } else if (enumValues) {
      kind = 'select';
      options = enumValues;
    } else if (types.includes('boolean')) kind = 'checkbox';
    else if (types.includes('integer') || types.includes('number')) kind = 'number';
    else if (types.includes('array') && Array.isArray(items['enum'])) {
      kind = 'multi';
      options = (items['enum'] as unknown[]).map(String);
    } else if (types.includes('string')) {
      const max = typeof p['maxLength'] === 'number' ? p['maxLength'] : 0;
      kind = LONG.has(name) || max > 500 ? 'textarea' : 'text';
    }
    const hint = typeof p['description'] === 'string' ? p['description'] : undefined;
    return {
      name,
      label: labelOf(name),
      kind,
      ...(hint ? { hint } : {}),
      ...(options ? { options } : {}),
      required: required.has(name),
      locked: locked.includes(name),
      nullable,
    };
  });
}

/** The form's starting values: the proposal (empty where the assistant left a field out). */
export function valuesOf(
  fields: FormField[],
  args: Record<string, unknown>,
): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  for (const f of fields) {
    const v = args[f.name];
    if (f.kind === 'checkbox') out[f.name] = v === true;
    else if (f.kind === 'multi') out[f.name] = Array.isArray(v) ? v.map(String) : [];
    else if (f.kind === 'json') out[f.name] = v === undefined ? '' : JSON.stringify(v);
    else out[f.name] = v === undefined || v === null ? '' : String(v);
  }
  return out;
}

/** The arguments the form says, or the field whose text is not valid JSON. */
export function argsOf(
  fields: FormField[],
  values: Record<string, FieldValue>,
  proposed: Record<string, unknown>,
): { args: Record<string, unknown> } | { error: string } {
  const args: Record<string, unknown> = {};
  for (const f of fields) {
    const v = values[f.name];
    if (f.locked) {
      if (f.name in proposed) args[f.name] = proposed[f.name];
      continue;
    }
    if (f.kind === 'checkbox') {
      // A flag the assistant left out stays out unless the person turned it on.
      if (v === true || f.name in proposed) args[f.name] = v === true;
      continue;
    }
    if (f.kind === 'multi') {
      if ((v as string[]).length || f.name in proposed) args[f.name] = v;
      continue;
    }
    const text = String(v ?? '').trim();
    if (!text) {
      if (f.nullable && proposed[f.name] === null) args[f.name] = null;
      continue;
    }
    if (f.kind === 'number') args[f.name] = Number(text);
    else if (f.kind === 'json') {
      try {
        args[f.name] = JSON.parse(text);
      } catch {
        return { error: `${f.label} is not valid JSON` };
      }
    } else args[f.name] = text;
  }
  return { args };
}

/** Same arguments (key order aside). */
export function sameArgs(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const norm = (o: Record<string, unknown>) =>
    JSON.stringify(Object.fromEntries(Object.entries(o).sort(([x], [y]) => x.localeCompare(y))));
  return norm(a) === norm(b);
}

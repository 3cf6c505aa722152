// Compiles a parsed search query (domain/query.ts) to a parameterised SQL boolean expression.
// Values never enter the SQL text: each is checked against its field's type, appended to `params`
// and referred to as `$n` with an explicit cast, so PGlite and PostgreSQL infer the same types.
// Column names come from the caller's FieldSpec map, never from the query.
//
// Semantics users expect, written the same way for every field:
// - `==` / `!=` on a string field treat `*` as a wildcard (LIKE with `%`; `%`, `_` and `\` match
//   literally). There is no escape for a literal `*`; `=in=` compares literally.
// - `!=` and `=out=` also match rows where the column is NULL ("not this value" includes "none").
// - Ordering operators work on integers, date-times and strings; strings compare byte-wise
//   (collation "C") so the answer does not depend on the database's locale.
import { isUuid } from '../domain/ids.ts';
import { queryError, type ComparisonNode, type Operator, type QueryNode } from '../domain/query.ts';

export type FieldType = 'string' | 'uuid' | 'datetime' | 'integer' | 'enum';

export interface FieldSpec {
  column: string;
  type: FieldType;
  values?: readonly string[] /* for enum */;
}

const SQL_TYPES: Record<FieldType, string> = { string: 'text', uuid: 'uuid', datetime: 'timestamptz', integer: 'int', enum: 'text' };
const ORDERED: ReadonlySet<FieldType> = new Set(['string', 'integer', 'datetime']);
const ORDER_SQL: Partial<Record<Operator, string>> = { '=gt=': '>', '=ge=': '>=', '=lt=': '<', '=le=': '<=' };

export function compileQuery(node: QueryNode, fields: Record<string, FieldSpec>, params: unknown[]): string {
  if (node.kind !== 'comparison') {
    return `(${node.children.map((child) => compileQuery(child, fields, params)).join(` ${node.kind} `)})`;
  }
  return compileComparison(node, fieldFor(node, fields), params);
}

function fieldFor(node: ComparisonNode, fields: Record<string, FieldSpec>): FieldSpec {
  const spec = Object.hasOwn(fields, node.field) ? fields[node.field] : undefined;
  if (!spec) {
    throw queryError(`unknown field "${node.field}" at position ${node.position}; known fields are ${Object.keys(fields).join(', ')}`);
  }
  return spec;
}

function compileComparison(node: ComparisonNode, spec: FieldSpec, params: unknown[]): string {
  const col = spec.column;
  const type = SQL_TYPES[spec.type];
  const values = node.values.map((value) => checkValue(node, spec, value));
  const param = (value: unknown, cast = type) => `$${params.push(value)}::${cast}`;
  const single = () => {
    if (values.length !== 1) throw queryError(`${node.operator} takes one value, at position ${node.position}`);
    return values[0];
  };

  switch (node.operator) {
    case '==':
    case '!=': {
      const value = single();
      const negate = node.operator === '!=';
      if (spec.type === 'string' && typeof value === 'string' && value.includes('*')) {
        const like = `${col} ${negate ? 'not like' : 'like'} ${param(likePattern(value))} escape '\\'`;
        return negate ? `(${col} is null or ${like})` : `(${like})`;
      }
      return negate ? `(${col} is null or ${col} <> ${param(value)})` : `(${col} = ${param(value)})`;
    }
    case '=gt=':
    case '=ge=':
    case '=lt=':
    case '=le=': {
      if (!ORDERED.has(spec.type)) {
        throw queryError(
          `${node.operator} cannot be used on ${node.field} (at position ${node.position}): ${spec.type} fields allow only ==, !=, =in= and =out=`,
        );
      }
      const collate = spec.type === 'string' ? ' collate "C"' : '';
      return `(${col}${collate} ${ORDER_SQL[node.operator]} ${param(single())})`;
    }
    case '=in=':
      return `(${col} = any(${param(values, `${type}[]`)}))`;
    case '=out=':
      return `(${col} is null or ${col} <> all(${param(values, `${type}[]`)}))`;
  }
}

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

/** Checks `value` against the field's type and answers the parameter to bind. */
function checkValue(node: ComparisonNode, spec: FieldSpec, value: string): unknown {
  const wrong = (why: string) =>
    queryError(`${JSON.stringify(value)} for ${node.field} (at position ${node.position}) ${why}`);
  switch (spec.type) {
    case 'string':
      return value;
    case 'integer': {
      if (!/^[+-]?\d{1,10}$/.test(value)) throw wrong('is not an integer');
      const n = Number(value);
      if (n < INT_MIN || n > INT_MAX) throw wrong(`is out of range (${INT_MIN} to ${INT_MAX})`);
      return n;
    }
    case 'uuid':
      if (!isUuid(value)) throw wrong('is not a UUID');
      return value.toLowerCase();
    case 'datetime': {
      const timestamp = parseTimestamp(value);
      if (!timestamp) throw wrong('is not an RFC 3339 date or date-time (like 2025-06-01 or 2025-06-01T09:05:00Z)');
      return timestamp;
    }
    case 'enum':
      if (!spec.values) throw new Error(`enum field ${node.field} has no values`);
      if (!spec.values.includes(value)) throw wrong(`is not one of ${spec.values.join(', ')}`);
      return value;
  }
}

/** LIKE pattern for a value where `*` is the wildcard and everything else is literal. */
export function likePattern(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, '%');
}

const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * Parses an RFC 3339 date-time, or a date (ISO 8601 calendar date), to a string PostgreSQL reads
 * as one instant. A date means 00:00 UTC that day; a date-time without a zone is UTC too, as the
 * API's own timestamps are. Seconds, fractions (to microseconds) and the zone are optional.
 */
export function parseTimestamp(value: string): string | undefined {
  const m = TIMESTAMP.exec(value);
  if (!m) return undefined;
  const [, year, month, day, hour = '00', minute = '00', second = '00', fraction = '', zone = 'Z'] = m;
  const y = Number(year);
  const mo = Number(month);
  const d = Number(day);
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return undefined;
  if (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) return undefined;
  const offset = zone.toUpperCase() === 'Z' ? '+00:00' : normaliseOffset(zone);
  if (!offset) return undefined;
  return `${year}-${month}-${day}T${hour}:${minute}:${second}${fraction}${offset}`;
}

function daysInMonth(year: number, month: number): number {
  // The Gregorian calendar repeats every 400 years; this keeps Date.UTC away from years 0–99.
  return new Date(Date.UTC(2000 + (year % 400), month, 0)).getUTCDate();
}

function normaliseOffset(zone: string): string | undefined {
  const hours = zone.slice(1, 3);
  const minutes = zone.slice(3).replace(':', '') || '00';
  if (Number(hours) > 23 || Number(minutes) > 59) return undefined;
  return `${zone[0]}${hours}:${minutes}`;
}

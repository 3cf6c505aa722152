// Both drivers report PostgreSQL's SQLSTATE in `code` and the violated constraint in `constraint`
// (PGlite: in the error's fields), so one helper recognises constraint violations everywhere.

export function violatedConstraint(error: unknown, sqlstate: '23505' | '23503'): string | null {
  const e = error as { code?: string; constraint?: string } | null;
  if (e?.code !== sqlstate) return null;
  return e.constraint ?? '';
}

/**
 * Whether the database refused a statement for the data it carried, so that sending it again
 * cannot succeed: a data exception (class 22: a value it cannot hold), an integrity constraint
 * (23), a program limit such as an oversized value (54).
 */
export function refusedForItsData(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23|54)/.test(code);
}

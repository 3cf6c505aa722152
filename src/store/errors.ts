// Both drivers report PostgreSQL's SQLSTATE in `code` and the violated constraint in `constraint`
// (PGlite: in the error's fields), so one helper recognises constraint violations everywhere.

export function violatedConstraint(error: unknown, sqlstate: '23505' | '23503'): string | null {
  const e = error as { code?: string; constraint?: string } | null;
  if (e?.code !== sqlstate) return null;
  return e.constraint ?? '';
}

// Domain errors carry a stable code; every API surface maps codes to its own error body in one
// place. Receiver failures are never errors: they are recorded attempts.

export type ErrorCode =
  | 'validation_failed'
  | 'malformed_request'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'idempotency_mismatch'
  | 'idempotency_in_flight'
  | 'unavailable'
  | 'internal';

export interface FieldError {
  /** Where the problem is, as a dotted path (`eventTypes[1]`, `headers.Host`). */
  path: string;
  message: string;
}

export class HeraldError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly fieldErrors: FieldError[] = [],
  ) {
    super(message);
    this.name = 'HeraldError';
  }
}

export function invalid(fieldErrors: FieldError[], message?: string): HeraldError {
  const summary = message ?? fieldErrors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ');
  return new HeraldError('validation_failed', summary, fieldErrors);
}

export function invalidField(path: string, message: string): HeraldError {
  return invalid([{ path, message }]);
}

export function notFound(what: string, id: string): HeraldError {
  return new HeraldError('not_found', `${what} ${JSON.stringify(id)} was not found`);
}

export function conflict(message: string): HeraldError {
  return new HeraldError('conflict', message);
}

export function forbidden(message: string): HeraldError {
  return new HeraldError('forbidden', message);
}

export function malformed(message: string): HeraldError {
  return new HeraldError('malformed_request', message);
}

/** Collects field errors from several checks so one answer lists them all. */
export class FieldErrors {
  readonly list: FieldError[] = [];

  add(path: string, message: string): void {
    this.list.push({ path, message });
  }

  /** Runs `check`; a validation error it throws is collected under `prefix`. */
  collect<T>(prefix: string, check: () => T): T | undefined {
    try {
      return check();
    } catch (error) {
      if (!(error instanceof HeraldError) || error.code !== 'validation_failed') throw error;
      for (const e of error.fieldErrors) this.add(joinPath(prefix, e.path), e.message);
      return undefined;
    }
  }

  throwIfAny(): void {
    if (this.list.length > 0) throw invalid(this.list);
  }
}

export function joinPath(prefix: string, path: string): string {
  if (!prefix) return path;
  if (!path) return prefix;
  return path.startsWith('[') ? `${prefix}${path}` : `${prefix}.${path}`;
}

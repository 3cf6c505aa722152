// Turning JSON Schema validation errors (Ajv's shape) into Herald's field errors, for request
// bodies, event payloads checked against their type's schema, and schemas checked when stored.
import { joinPath, type FieldError } from './errors.ts';

export interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

function ajvPath(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, s) => (/^\d+$/.test(s) ? `${path}[${s}]` : joinPath(path, s)), '');
}

/**
 * JSON Schema (Ajv) errors as field errors: paths in the dotted form the APIs use, under
 * `prefix` (e.g. `data` for an event's payload), messages that name what is wrong.
 */
export function fieldErrorsFromAjv(errors: readonly AjvError[], prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors) {
    const path = joinPath(prefix, ajvPath(e.instancePath));
    switch (e.keyword) {
      case 'required':
        out.push({ path: joinPath(path, String(e.params.missingProperty)), message: 'is required' });
        break;
      case 'additionalProperties':
        out.push({ path: joinPath(path, String(e.params.additionalProperty)), message: 'is not a known field' });
        break;
      case 'type':
        out.push({ path, message: `must be ${String(e.params.type).replace(',', ' or ')}` });
        break;
      case 'enum':
        out.push({ path, message: `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` });
        break;
      default:
        out.push({ path, message: e.message ?? 'is invalid' });
    }
  }
  return out.filter((e, i) => out.findIndex((o) => o.path === e.path && o.message === e.message) === i);
}

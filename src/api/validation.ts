// Request validation. Bodies are validated strictly — no type coercion, no silently dropped
// fields — so a typo is an error, not an ignored field. Query strings and path parameters arrive
// as text, so there numbers and booleans are coerced and defaults filled in.
import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

function makeAjv(options: Options): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, ...options });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  return ajv;
}

const bodyAjv = makeAjv({ coerceTypes: false, useDefaults: false, removeAdditional: false });
const textAjv = makeAjv({ coerceTypes: 'array', useDefaults: true, removeAdditional: false });

export const compileValidator: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv : textAjv).compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;

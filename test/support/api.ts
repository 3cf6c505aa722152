// Assertions shared by the API tests: the problem format, field errors and cursor paging.
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { TestHerald } from './herald.ts';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: { path: string; message: string }[];
}

/** Asserts an RFC 9457 problem answer with this status and code, and returns its body. */
export function expectProblem(res: LightMyRequestResponse, status: number, code: string): ProblemBody {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json() as ProblemBody;
  expect(body).toMatchObject({ type: `urn:herald:problem:${code}`, status, code });
  expect(body.title).toEqual(expect.any(String));
  expect(body.detail).toEqual(expect.any(String));
  return body;
}

/** Asserts a 422 whose field errors name exactly `paths` (in any order), and returns the errors. */
export function expectFieldErrors(res: LightMyRequestResponse, paths: string[]): { path: string; message: string }[] {
  const body = expectProblem(res, 422, 'validation_failed');
  expect(body.errors).toBeDefined();
  for (const e of body.errors!) expect(e.message).toEqual(expect.any(String));
  expect(body.errors!.map((e) => e.path).sort()).toEqual([...paths].sort());
  return body.errors!;
}

/** A request with no credentials at all. */
export function anonymous(h: TestHerald, method: string, url: string, payload?: unknown): Promise<LightMyRequestResponse> {
  return h.app.inject({ method: method as 'GET', url, ...(payload === undefined ? {} : { payload: payload as object }) });
}

/**
 * Follows nextCursor from the first page (or the page of `cursor`) to the last and returns every id seen plus the number of
 * pages, checking that each page holds at most `limit` items.
 */
export async function walkPages(
  h: TestHerald,
  url: string,
  options: { limit: number; as?: string; idOf?: (item: Record<string, unknown>) => string; cursor?: string },
): Promise<{ ids: string[]; pages: number }> {
  const idOf = options.idOf ?? ((item) => item.id as string);
  const ids: string[] = [];
  let cursor: string | null = options.cursor ?? null;
  let pages = 0;
  do {
    const separator = url.includes('?') ? '&' : '?';
    const query: string = `limit=${options.limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await h.request({ method: 'GET', url: `${url}${separator}${query}`, ...(options.as ? { as: options.as } : {}) });
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json() as { data: Record<string, unknown>[]; nextCursor: string | null };
    expect(page.data.length).toBeLessThanOrEqual(options.limit);
    ids.push(...page.data.map(idOf));
    cursor = page.nextCursor;
    pages++;
    if (pages > 1000) throw new Error('paging does not end');
  } while (cursor);
  return { ids, pages };
}

/** Parses RFC 4180 CSV (CRLF line ends, quoted fields), checking it ends with a line end. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') record.push(field), (field = '');
    else if (c === '\r' && text[i + 1] === '\n') record.push(field), records.push(record), (field = ''), (record = []), i++;
    else field += c;
  }
  expect(field === '' && record.length === 0, 'the CSV ends with CRLF').toBe(true);
  return records;
}


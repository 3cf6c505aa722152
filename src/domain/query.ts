// The search query language: RSQL, the URI-friendly dialect of FIQL
// (https://github.com/jirutka/rsql-parser; FIQL is draft-nottingham-atompub-fiql-00).
//
//   query      = or
//   or         = and { ( "," | " or " ) and }
//   and        = constraint { ( ";" | " and " ) constraint }
//   constraint = "(" or ")" | comparison
//   comparison = selector operator argument
//   selector   = letter { letter | digit | "_" | "." }
//   operator   = "==" | "!=" | "=gt=" | "=ge=" | "=lt=" | "=le=" | "=in=" | "=out="
//              | "<" | "<=" | ">" | ">="           (aliases of =lt=, =le=, =gt=, =ge=)
//   argument   = value | "(" value { "," value } ")"   (a list only with =in= and =out=)
//   value      = unquoted | '"' … '"' | "'" … "'"  (backslash escapes the next character)
//
// Whitespace is allowed around every token; the words `and` / `or` (any case) need it on both
// sides. `;` binds tighter than `,`. Unquoted values contain no whitespace and none of "'();,=!<>~.
// The parser is pure: what a field means and which values it accepts is the compiler's business
// (store/querySql.ts).
import { HeraldError } from './errors.ts';

export type Operator = '==' | '!=' | '=gt=' | '=ge=' | '=lt=' | '=le=' | '=in=' | '=out=';

export type QueryNode =
  | { kind: 'and' | 'or'; children: QueryNode[] }
  | { kind: 'comparison'; field: string; operator: Operator; values: string[]; position: number /* 0-based offset of the field in the text */ };

export type ComparisonNode = Extract<QueryNode, { kind: 'comparison' }>;

/** Bounds that keep a hostile query cheap to parse and to run. */
export const queryLimits = { maxLength: 4096, maxComparisons: 100, maxDepth: 20 } as const;

const OPERATORS_HINT = '(==, !=, =gt=, =ge=, =lt=, =le=, =in=, =out=)';
const NAMED_OPERATORS: ReadonlySet<string> = new Set(['=gt=', '=ge=', '=lt=', '=le=', '=in=', '=out=']);
const ALIASES: Readonly<Record<string, Operator>> = { '<': '=lt=', '<=': '=le=', '>': '=gt=', '>=': '=ge=' };
const RESERVED = new Set(['"', "'", '(', ')', ';', ',', '=', '!', '<', '>', '~']);
// Sticky patterns, matched at the current position without slicing the text.
const SELECTOR = /[A-Za-z][A-Za-z0-9_.]*/y;
const NAMED_OPERATOR = /=[A-Za-z]+=/y;
const WORDS: Readonly<Record<'and' | 'or', RegExp>> = { and: /and\s/iy, or: /or\s/iy };

/** A malformed query, reported against the `q` parameter. */
export function queryError(message: string): HeraldError {
  return new HeraldError('malformed_request', `q: ${message}`, [{ path: 'q', message }]);
}

export function parseQuery(text: string): QueryNode {
  if (text.length > queryLimits.maxLength) {
    throw queryError(`the query is ${text.length} characters long; at most ${queryLimits.maxLength} are allowed`);
  }
  const parser = new Parser(text);
  const node = parser.parseOr(0);
  parser.skipSpace();
  if (!parser.atEnd()) parser.fail('";", ",", "and", "or" or the end of the query');
  return node;
}

class Parser {
  private pos = 0;
  private comparisons = 0;

  constructor(private readonly text: string) {}

  parseOr(depth: number): QueryNode {
    const children = [this.parseAnd(depth)];
    while (this.separator(',', 'or')) children.push(this.parseAnd(depth));
    return group('or', children);
  }

  private parseAnd(depth: number): QueryNode {
    const children = [this.parseConstraint(depth)];
    while (this.separator(';', 'and')) children.push(this.parseConstraint(depth));
    return group('and', children);
  }

  private parseConstraint(depth: number): QueryNode {
    this.skipSpace();
    if (this.peek() !== '(') return this.parseComparison();
    if (depth >= queryLimits.maxDepth) {
      throw queryError(`parentheses nest deeper than ${queryLimits.maxDepth} levels at position ${this.pos}`);
    }
    this.pos++;
    const inner = this.parseOr(depth + 1);
    this.skipSpace();
    if (this.peek() !== ')') this.fail('")", ";", ",", "and" or "or"');
    this.pos++;
    return inner;
  }

  private parseComparison(): ComparisonNode {
    const position = this.pos;
    const field = this.parseSelector();
    this.skipSpace();
    const operator = this.parseOperator();
    this.skipSpace();
    const values = this.parseArgument(operator);
    if (++this.comparisons > queryLimits.maxComparisons) {
      throw queryError(`the query has more than ${queryLimits.maxComparisons} comparisons (at position ${position})`);
    }
    return { kind: 'comparison', field, operator, values, position };
  }

  private parseSelector(): string {
    const field = this.match(SELECTOR);
    if (field === undefined) this.fail('a field name or "("');
    return field;
  }

  private parseOperator(): Operator {
    const start = this.pos;
    const named = this.match(NAMED_OPERATOR);
    if (named !== undefined) {
      if (NAMED_OPERATORS.has(named)) return named as Operator;
      this.pos = start;
      this.fail(`a comparison operator ${OPERATORS_HINT}`, named);
    }
    for (const symbol of ['==', '!=', '<=', '>=', '<', '>']) {
      if (this.consume(symbol)) return ALIASES[symbol] ?? (symbol as Operator);
    }
    this.fail(`a comparison operator ${OPERATORS_HINT}`);
  }

  private parseArgument(operator: Operator): string[] {
    if (this.peek() !== '(') return [this.parseValue()];
    if (operator !== '=in=' && operator !== '=out=') {
      throw queryError(`a list of values is only allowed with =in= and =out=, not ${operator}, at position ${this.pos}`);
    }
    this.pos++;
    const values: string[] = [];
    do {
      this.skipSpace();
      values.push(this.parseValue());
      this.skipSpace();
    } while (this.consume(','));
    if (this.peek() !== ')') this.fail('"," or ")" to continue or end the list of values');
    this.pos++;
    return values;
  }

  private parseValue(): string {
    const quote = this.peek();
    if (quote === '"' || quote === "'") return this.parseQuoted(quote);
    const start = this.pos;
    while (!this.atEnd() && !RESERVED.has(this.peek()!) && !/\s/.test(this.peek()!)) this.pos++;
    if (this.pos === start) this.fail('a value');
    return this.text.slice(start, this.pos);
  }

  private parseQuoted(quote: string): string {
    const start = this.pos++;
    let value = '';
    while (!this.atEnd()) {
      const char = this.text[this.pos++]!;
      if (char === quote) return value;
      if (char === '\\') {
        if (this.atEnd()) break;
        value += this.text[this.pos++];
      } else {
        value += char;
      }
    }
    throw queryError(`the value quoted at position ${start} has no closing ${quote}`);
  }

  /** Consumes `symbol` or the word `word` (with whitespace both sides), answering whether it did. */
  private separator(symbol: string, word: 'and' | 'or'): boolean {
    const start = this.pos;
    this.skipSpace();
    if (this.consume(symbol)) return true;
    if (this.pos > start && this.match(WORDS[word]) !== undefined) return true;
    this.pos = start;
    return false;
  }

  /** Matches the sticky `pattern` here, moving past what it matched. */
  private match(pattern: RegExp): string | undefined {
    pattern.lastIndex = this.pos;
    const found = pattern.exec(this.text)?.[0];
    if (found !== undefined) this.pos += found.length;
    return found;
  }

  private consume(symbol: string): boolean {
    if (!this.text.startsWith(symbol, this.pos)) return false;
    this.pos += symbol.length;
    return true;
  }

  skipSpace(): void {
    while (!this.atEnd() && /\s/.test(this.peek()!)) this.pos++;
  }

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  private peek(): string | undefined {
    return this.text[this.pos];
  }

  fail(expected: string, found = this.peek()): never {
    const what = found === undefined ? 'the end of the query' : JSON.stringify(found);
    throw queryError(`expected ${expected} at position ${this.pos}, found ${what}`);
  }
}

/** One child stands for itself; a child of the same kind (from parentheses) is merged in. */
function group(kind: 'and' | 'or', children: QueryNode[]): QueryNode {
  if (children.length === 1) return children[0]!;
  return { kind, children: children.flatMap((c) => (c.kind === kind ? c.children : [c])) };
}

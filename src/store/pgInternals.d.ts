// node-postgres modules Herald uses beyond the package's declared API (wireDb.ts).
declare module 'pg/lib/utils.js' {
  /** How node-postgres turns a parameter into its wire text (dates, arrays, objects, buffers). */
  export function prepareValue(value: unknown): unknown;
}

// How both drivers turn result values into JavaScript: node-postgres' type parsers, except int8
// as a number (counts and sizes never approach 2^53). Timestamps are Dates, numeric is a string.
import pg from 'pg';

export const resultTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

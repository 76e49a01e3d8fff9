/** A pg-style package's type parsers (`pg.types`, Neon's `types`). */
export interface TypeParsers {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown
}

// timestamp, timestamptz, date, interval and their arrays.
const KEPT_AS_TEXT = new Set([1114, 1184, 1082, 1186, 1115, 1185, 1182, 1187])
const asText = (value: string) => value

/**
 * The package's parsers, but times stay text: pgq reads the few it needs itself, and a claim
 * of 1,000 rows shares each timestamp text (see queue/rows.ts), where parsing every value
 * into a Date costs more than the rest of reading the rows.
 */
export function textTimestamps(types: TypeParsers): TypeParsers {
  return {
    getTypeParser: (oid, format) => (format !== 'binary' && KEPT_AS_TEXT.has(oid) ? asText : types.getTypeParser(oid, format)),
  }
}

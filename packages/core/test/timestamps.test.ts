// pgq reads timestamptz text itself (Date.parse took years 0001-0099 for 2001-2099, could not
// read BC or LMT offsets, and overflowed near the last Date): checked against PostgreSQL's own
// epoch for each value, in time zones with half-hour, 45-minute and LMT offsets.
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseTimestamptz } from '../src/validation/time.js'
import { createTestDatabase, type TestDatabase } from './setup/database.js'

const ZONES = ['UTC', 'Asia/Kolkata', 'Asia/Kathmandu', 'Pacific/Chatham', 'America/St_Johns', 'Europe/Amsterdam', 'America/New_York']
const VALUES = [
  '4714-11-24 00:00:00+00 BC', '0044-03-15 12:00:00+00 BC', '0001-12-31 23:59:59.5+00 BC', '0001-01-01 00:00:00+00',
  '0099-12-31 23:59:59.123456+00', '1900-06-01 12:00:00+00', '2032-02-29 07:00:00.999999+00', '9999-12-31 23:59:59.999+00',
  '10000-01-01 00:00:00.001+00', '275760-09-12 23:00:00+00', '275760-09-13 00:00:00+00',
]

describe('timestamptz text as PostgreSQL writes it', () => {
  let db: TestDatabase
  let client: pg.Client
  beforeAll(async () => {
    db = await createTestDatabase('timestamps')
    client = new pg.Client({ connectionString: db.url })
    await client.connect()
  })
  afterAll(async () => {
    await client?.end()
    await db?.drop()
  })

  it.each(ZONES)('reads every value exactly in %s', async (zone) => {
    await client.query(`set timezone = '${zone}'`)
    const { rows } = await client.query<{ text: string; ms: number }>({
      text: 'select v::timestamptz::text as text, (extract(epoch from v::timestamptz) * 1000)::float8 as ms from unnest($1::text[]) as v',
      values: [VALUES],
      types: { getTypeParser: (oid: number) => (oid === 701 ? Number : (x: string) => x) },
    })
    expect(rows.map((r) => [r.text, parseTimestamptz(r.text)])).toEqual(rows.map((r) => [r.text, Math.floor(r.ms)]))
  })

  it('is NaN for text PostgreSQL writes for no instant', () => {
    for (const text of ['infinity', '-infinity', '2030-01-01', '2030-01-01 00:00:00', 'garbage']) expect(parseTimestamptz(text)).toBeNaN()
  })
})

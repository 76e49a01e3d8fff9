// The PostgreSQL floor's client side: the least a SKIP LOCKED queue needs, one table with
// its key and one partial index of what is queued (docs/benchmarks.md, "The floor").
import pg from 'pg'
import { core } from '../core.mjs'

export const install = (url) =>
  core.withPgClient(url, (c) =>
    c.query(`create schema floor;
      create table floor.jobs (id bigint generated always as identity primary key, status smallint not null default 0, payload jsonb not null);
      create index jobs_queued_idx on floor.jobs (id) where status = 0`),
  )

export async function open(url) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  const insert = (payloads) =>
    client.query({ name: 'floor_insert', text: 'insert into floor.jobs (payload) select p from jsonb_array_elements($1::jsonb) p', values: [JSON.stringify(payloads)] })
  return {
    enqueueOne: (payload) => insert([payload]),
    enqueueBatch: insert,
    close: () => client.end(),
  }
}

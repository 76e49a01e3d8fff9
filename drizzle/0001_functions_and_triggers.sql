-- Functions and triggers. "pgq" is the schema placeholder the migrator rewrites.
-- Workers LISTEN on '<schema>_events'; every event is a small JSON object with a "type".
CREATE FUNCTION "pgq".notify_jobs_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  counts jsonb;
BEGIN
  -- One event per statement, with per-entrypoint counts so workers can ignore what they do not serve.
  SELECT jsonb_object_agg(entrypoint, n) INTO counts
  FROM (SELECT entrypoint, count(*) AS n FROM new_jobs GROUP BY entrypoint) c;
  IF counts IS NOT NULL THEN
    PERFORM pg_notify(TG_TABLE_SCHEMA || '_events', jsonb_build_object('type', 'insert', 'entrypoints', counts)::text);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER jobs_notify_inserted AFTER INSERT ON "pgq"."jobs"
  REFERENCING NEW TABLE AS new_jobs FOR EACH STATEMENT EXECUTE FUNCTION "pgq".notify_jobs_inserted();
--> statement-breakpoint
-- Enqueue calls this with the dedupe keys its ON CONFLICT DO NOTHING skipped; raising
-- undoes the whole statement, so a batch with a duplicate writes nothing.
CREATE FUNCTION "pgq".reject_duplicate_jobs(keys text[]) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  IF keys IS NOT NULL AND cardinality(keys) > 0 THEN
    RAISE EXCEPTION 'duplicate dedupe key(s): %', array_to_string(keys, ', ')
      USING ERRCODE = 'PQ001', DETAIL = to_jsonb(keys)::text;
  END IF;
  RETURN true;
END $$;
--> statement-breakpoint
-- Claims jobs for one worker. VOLATILE plpgsql: each query inside takes a fresh snapshot,
-- so after the advisory locks it sees every claim committed by other workers and a
-- concurrency limit holds globally (PGQueuer's single-statement claim cannot, its #761).
CREATE FUNCTION "pgq".claim_jobs(
  p_worker uuid,
  p_batch integer,
  p_entrypoints text[],
  p_caps integer[],
  p_limits integer[],
  p_retry_ms double precision[]
) RETURNS SETOF "pgq".jobs LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM pg_advisory_xact_lock('"pgq"."jobs"'::regclass::oid::integer, hashtext(l.entrypoint))
  FROM unnest(p_entrypoints, p_limits) AS l(entrypoint, lim)
  WHERE l.lim > 0
  ORDER BY l.entrypoint;

  RETURN QUERY
  WITH eps AS (
    SELECT * FROM unnest(p_entrypoints, p_caps, p_limits, p_retry_ms) AS e(entrypoint, cap, lim, retry_ms)
  ),
  room AS (
    SELECT eps.entrypoint, eps.cap, eps.retry_ms,
      CASE WHEN eps.lim > 0 THEN least(eps.cap, greatest(eps.lim - (
        SELECT count(*) FROM "pgq".jobs r WHERE r.entrypoint = eps.entrypoint AND r.status = 'picked'
      )::integer, 0)) ELSE eps.cap END AS take
    FROM eps
  ),
  fresh AS (
    SELECT c.id, c.priority, 0 AS rescue FROM room CROSS JOIN LATERAL (
      SELECT q.id, q.priority FROM "pgq".jobs q
      WHERE q.entrypoint = room.entrypoint AND q.status = 'queued' AND q.execute_after <= now()
      ORDER BY q.priority DESC, q.id
      LIMIT room.take
      FOR UPDATE SKIP LOCKED
    ) c
  ),
  stale AS (
    -- Running jobs whose worker stopped heartbeating; they already count toward the limit.
    SELECT c.id, c.priority, 1 AS rescue FROM room CROSS JOIN LATERAL (
      SELECT s.id, s.priority FROM "pgq".jobs s
      WHERE room.retry_ms > 0 AND s.entrypoint = room.entrypoint AND s.status = 'picked'
        AND s.heartbeat < now() - room.retry_ms * interval '1 millisecond'
      ORDER BY s.heartbeat
      LIMIT room.cap
      FOR UPDATE SKIP LOCKED
    ) c
  ),
  chosen AS (
    SELECT x.id FROM (SELECT * FROM stale UNION ALL SELECT * FROM fresh) x
    ORDER BY x.rescue DESC, x.priority DESC, x.id
    LIMIT p_batch
  ),
  claimed AS (
    UPDATE "pgq".jobs j
    SET status = 'picked', worker_id = p_worker, heartbeat = now(), updated = now(), attempts = j.attempts + 1
    FROM chosen
    WHERE j.id = chosen.id
    RETURNING j.*
  )
  SELECT * FROM claimed ORDER BY claimed.priority DESC, claimed.id;
END $$;

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
--
-- Rate limits: p_rates[i] > 0 is jobs per second for p_entrypoints[i] (0 = none). Such an
-- entrypoint takes the advisory lock too, so its bucket is read, refilled, spent and
-- written by one claimer at a time. Refill: tokens = least(burst, tokens + elapsed × rate)
-- with burst = greatest(1, rate); a new bucket starts full. Fresh jobs are taken only
-- while whole tokens remain (floor(tokens)), and the bucket is charged for the jobs
-- actually claimed, in the same statement that claims them.
--
-- Stale rescue is kept as it was: rescued jobs are taken regardless of tokens (as they are
-- regardless of the concurrency limit; a job whose worker died must not queue behind fresh
-- ones), but each one IS charged a token, possibly taking the bucket below zero. A re-run
-- calls whatever the limit protects just like a first run, so charging it keeps the
-- long-run rate true; the debt is repaid by refill before fresh jobs start again.
CREATE FUNCTION "pgq".claim_jobs(
  p_worker uuid,
  p_batch integer,
  p_entrypoints text[],
  p_caps integer[],
  p_limits integer[],
  p_retry_ms double precision[],
  p_rates double precision[]
) RETURNS SETOF "pgq".jobs LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_now timestamptz;
BEGIN
  PERFORM pg_advisory_xact_lock('"pgq"."jobs"'::regclass::oid::integer, hashtext(l.entrypoint))
  FROM unnest(p_entrypoints, p_limits, p_rates) AS l(entrypoint, lim, rate)
  WHERE l.lim > 0 OR l.rate > 0
  ORDER BY l.entrypoint;

  IF EXISTS (SELECT 1 FROM unnest(p_rates) AS r(rate) WHERE r.rate > 0) THEN
    -- The clock after the locks, not now(): the transaction may have started before the
    -- refill of the claimer it waited for. Never let elapsed time run backwards.
    v_now := clock_timestamp();
    INSERT INTO "pgq".rate_limits (entrypoint, tokens, refreshed_at)
    SELECT r.entrypoint, greatest(1, min(r.rate)), v_now
    FROM unnest(p_entrypoints, p_rates) AS r(entrypoint, rate)
    WHERE r.rate > 0
    GROUP BY r.entrypoint
    ON CONFLICT (entrypoint) DO NOTHING;

    UPDATE "pgq".rate_limits b
    SET tokens = least(greatest(1, r.rate), b.tokens + greatest(extract(epoch FROM v_now - b.refreshed_at)::float8, 0) * r.rate),
      refreshed_at = greatest(b.refreshed_at, v_now)
    FROM (
      -- An entrypoint listed twice is held to the stricter rate.
      SELECT e.entrypoint, min(e.rate) AS rate FROM unnest(p_entrypoints, p_rates) AS e(entrypoint, rate)
      WHERE e.rate > 0 GROUP BY e.entrypoint
    ) r
    WHERE b.entrypoint = r.entrypoint;
  END IF;

  RETURN QUERY
  WITH eps AS (
    SELECT * FROM unnest(p_entrypoints, p_caps, p_limits, p_retry_ms, p_rates) AS e(entrypoint, cap, lim, retry_ms, rate)
  ),
  room AS (
    SELECT eps.entrypoint, eps.cap, eps.retry_ms, least(
      CASE WHEN eps.lim > 0 THEN least(eps.cap, greatest(eps.lim - (
        SELECT count(*) FROM "pgq".jobs r WHERE r.entrypoint = eps.entrypoint AND r.status = 'picked'
      )::integer, 0)) ELSE eps.cap END,
      -- Whole tokens only; a missing bucket (cannot happen: made above) means none.
      CASE WHEN eps.rate > 0 THEN coalesce((
        SELECT least(eps.cap::float8, greatest(floor(b.tokens), 0)) FROM "pgq".rate_limits b WHERE b.entrypoint = eps.entrypoint
      ), 0)::integer ELSE eps.cap END
    ) AS take
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
    -- An array, not a join: the cached generic plan then stays an index scan by id.
    WHERE j.id = ANY (ARRAY(SELECT chosen.id FROM chosen))
    RETURNING j.*
  ),
  spent AS (
    -- Charges the buckets for what was claimed, rescued jobs included (see above). Runs
    -- although nothing reads it; buckets of entrypoints claimed without a rate are untouched.
    UPDATE "pgq".rate_limits b
    SET tokens = b.tokens - n.jobs
    FROM (SELECT claimed.entrypoint, count(*) AS jobs FROM claimed GROUP BY claimed.entrypoint) n
    WHERE b.entrypoint = n.entrypoint
      AND n.entrypoint IN (SELECT eps.entrypoint FROM eps WHERE eps.rate > 0)
  )
  SELECT * FROM claimed ORDER BY claimed.priority DESC, claimed.id;
END $$;

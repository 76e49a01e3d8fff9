-- claim_jobs as in 0006, with the ending of stale jobs that have no attempts left moved into
-- end_lost_jobs, which claim_jobs calls first. That ending now finds its rows by an id array:
-- 0006's join to them was planned, once per session while the table was small, as a scan of
-- the whole jobs table, and every claim of that session paid for the scan (about 10 us per
-- claimed job at 100k queued). Both functions plan with enable_seqscan off: a session's first
-- claim on a table of a few rows planned even the claim's update by id as a table scan, and
-- kept that plan when the table grew (until an ANALYZE happened to invalidate it). And
-- both run without JIT: at a million queued jobs the generic plans' estimates pass
-- jit_above_cost, and compiling took 50-90 ms per claim (126 → 39 ms for 1,000 jobs at
-- 500,000 claimed and 500,000 queued, pgbench).
CREATE OR REPLACE FUNCTION "pgq".end_lost_jobs(
  p_worker uuid,
  p_entrypoints text[],
  p_retry_ms double precision[]
) RETURNS integer LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET jit = off AS $$
#variable_conflict use_column
DECLARE
  v_ended integer;
BEGIN
  WITH eps AS (
    SELECT e.entrypoint, e.retry_ms
    FROM unnest(p_entrypoints, p_retry_ms) AS e(entrypoint, retry_ms)
    LEFT JOIN "pgq".entrypoints p ON p.name = e.entrypoint
    WHERE p.paused IS NOT TRUE AND e.retry_ms > 0
  ),
  -- Stale jobs with no attempts left: never run again (paused entrypoints are not in eps).
  lost AS (
    SELECT s.id, s.worker_id FROM eps CROSS JOIN LATERAL (
      SELECT s.id, s.worker_id FROM "pgq".jobs s
      WHERE eps.retry_ms > 0 AND s.entrypoint = eps.entrypoint AND s.status = 'picked'
        AND s.heartbeat < now() - eps.retry_ms * interval '1 millisecond' AND s.attempts >= s.max_attempts
        AND s.worker_id IS DISTINCT FROM p_worker
      FOR UPDATE SKIP LOCKED
    ) s
  ),
  kept AS (
    UPDATE "pgq".jobs j SET status = 'failed', worker_id = NULL, updated = now(), rescues = j.rescues + 1
    -- The id array keeps this an index scan in the cached plan (a join to lost was planned as a
    -- scan of the whole table while it was small, and kept when it grew).
    FROM lost WHERE j.id = ANY (ARRAY(SELECT lost.id FROM lost)) AND j.id = lost.id AND j.on_exhausted = 'hold'
    RETURNING j.id, j.priority, j.entrypoint, j.attempts, j.max_attempts, j.rescues, lost.worker_id, 'failed'::"pgq".job_status AS status, j.has_dependents
  ),
  dropped AS (
    DELETE FROM "pgq".jobs j USING lost
    WHERE j.id = ANY (ARRAY(SELECT lost.id FROM lost)) AND j.id = lost.id AND j.on_exhausted = 'delete'
    RETURNING j.id, j.priority, j.entrypoint, j.attempts, j.max_attempts, j.rescues + 1, lost.worker_id, 'exception'::"pgq".job_status, j.has_dependents
  ),
  ended AS (SELECT * FROM kept UNION ALL SELECT * FROM dropped),
  ended_logged AS (
    INSERT INTO "pgq".log (job_id, status, priority, entrypoint, attempts, traceback)
    SELECT ended.id, ended.status, ended.priority, ended.entrypoint, ended.attempts, jsonb_build_object(
      'name', 'WorkerLost',
      'message', format('its worker was lost %s time(s) (no heartbeat) and no attempts are left (%s of %s used)',
        ended.rescues, ended.attempts, ended.max_attempts),
      'stack', NULL, 'attempt', ended.attempts, 'workerId', ended.worker_id, 'entrypoint', ended.entrypoint,
      'lostTimes', ended.rescues)
    FROM ended
  ),
  ended_event AS (SELECT "pgq".notify_ids('done', array_agg(ended.id)) FROM ended HAVING count(*) > 0),
  -- Jobs waiting for the ended ones end too.
  ended_released AS (
    SELECT "pgq".release_dependents('{}', array_agg(ended.id)) FROM ended WHERE ended.has_dependents HAVING count(*) > 0
  ),
  -- This minute's statistics count them, as the finishing statements count theirs (no
  -- durations: the run's end is unknown). Runs unread, like every data-modifying CTE.
  ended_counted AS (
    INSERT INTO "pgq".statistics AS s (bucket, entrypoint, status, priority, count,
      run_ms_sum, run_ms_max, run_ms_histogram, wait_ms_sum, wait_ms_max, wait_ms_histogram)
    SELECT date_trunc('minute', now()), ended.entrypoint, ended.status, ended.priority, count(*)::integer,
      0, 0, '{}'::integer[], 0, 0, '{}'::integer[]
    FROM ended
    GROUP BY ended.entrypoint, ended.status, ended.priority
    ORDER BY ended.entrypoint, ended.status, ended.priority
    ON CONFLICT (bucket, entrypoint, status, priority) DO UPDATE SET count = s.count + excluded.count
  )

  SELECT count(*) INTO v_ended FROM ended
  WHERE (SELECT count(*) FROM ended_event) + (SELECT count(*) FROM ended_released) >= 0;
  RETURN v_ended;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "pgq".claim_jobs(
  p_worker uuid,
  p_batch integer,
  p_entrypoints text[],
  p_caps integer[],
  p_retry_ms double precision[]
) RETURNS TABLE (
  id bigint, entrypoint text, payload jsonb, headers jsonb, priority smallint, attempts integer,
  max_attempts integer, on_exhausted "pgq".failure_action, dedupe_key text, created timestamptz, updated timestamptz,
  execute_after timestamptz
) LANGUAGE plpgsql VOLATILE
-- Plan each statement inside once per session: replanning its CTEs cost ~1.5 ms per call.
-- Never by seq scan: a plan made while the table was small stays for the session. No JIT:
-- a generic plan's estimates at a million rows pass jit_above_cost, and compiling it took
-- 50-90 ms per call, three times the claim itself.
SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET jit = off AS $$
#variable_conflict use_column
DECLARE
  v_shared text[];
  v_rated boolean;
  v_now timestamptz;
BEGIN
  -- The limited entrypoints, locked in name order (the locks are taken after the sort).
  SELECT array_agg(l.name ORDER BY l.name), bool_or(l.rated) INTO v_shared, v_rated FROM (
    SELECT p.name, p.requests_per_second > 0 AS rated,
      pg_advisory_xact_lock('"pgq"."jobs"'::regclass::oid::integer, hashtext(p.name)) AS locked
    FROM "pgq".entrypoints p
    WHERE p.name = ANY (p_entrypoints) AND NOT p.paused AND (p.concurrency_limit > 0 OR p.requests_per_second > 0)
    -- In key order: two names with the same hash must not be locked in opposite orders.
    ORDER BY hashtext(p.name), p.name
  ) l;

  IF v_rated THEN
    -- The clock after the locks, not now(): the transaction may have started before the
    -- refill of the claimer it waited for. Never let elapsed time run backwards.
    v_now := clock_timestamp();
    INSERT INTO "pgq".rate_limits (entrypoint, tokens, refreshed_at)
    SELECT p.name, greatest(1, p.requests_per_second), v_now FROM "pgq".entrypoints p
    WHERE p.name = ANY (v_shared) AND p.requests_per_second > 0
    ON CONFLICT (entrypoint) DO NOTHING;

    UPDATE "pgq".rate_limits b
    SET tokens = least(greatest(1, p.requests_per_second),
        b.tokens + greatest(extract(epoch FROM v_now - b.refreshed_at)::float8, 0) * p.requests_per_second),
      refreshed_at = greatest(b.refreshed_at, v_now)
    FROM "pgq".entrypoints p
    WHERE b.entrypoint = p.name AND p.name = ANY (v_shared) AND p.requests_per_second > 0;
  END IF;

  -- Stale jobs with no attempts left end first, in a statement of their own, when there are
  -- any: this look costs an index probe, the ending's statement ~0.3 ms even when it ends none.
  -- (Lateral, so the heartbeat bound is an index condition: a semi join scanned every picked job.)
  IF EXISTS (
    SELECT 1 FROM unnest(p_entrypoints, p_retry_ms) AS e(entrypoint, retry_ms) CROSS JOIN LATERAL (
      SELECT 1 FROM "pgq".jobs s
      WHERE e.retry_ms > 0 AND s.entrypoint = e.entrypoint AND s.status = 'picked'
        AND s.heartbeat < now() - e.retry_ms * interval '1 millisecond' AND s.attempts >= s.max_attempts
        AND s.worker_id IS DISTINCT FROM p_worker
      LIMIT 1
    ) s
  ) THEN
    PERFORM "pgq".end_lost_jobs(p_worker, p_entrypoints, p_retry_ms);
  END IF;

  RETURN QUERY
  WITH eps AS (
    -- A limit counts only when its lock is held (it was set when this call began).
    SELECT e.entrypoint, e.cap, e.retry_ms,
      CASE WHEN e.entrypoint = ANY (v_shared) THEN p.concurrency_limit ELSE 0 END AS lim,
      CASE WHEN e.entrypoint = ANY (v_shared) THEN p.requests_per_second ELSE 0 END AS rate
    FROM unnest(p_entrypoints, p_caps, p_retry_ms) AS e(entrypoint, cap, retry_ms)
    LEFT JOIN "pgq".entrypoints p ON p.name = e.entrypoint
    WHERE p.paused IS NOT TRUE
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
  stale AS (
    -- Running jobs whose worker stopped heartbeating; they already count toward the limit.
    SELECT c.id, c.priority, 1 AS rescue, room.entrypoint FROM room CROSS JOIN LATERAL (
      SELECT s.id, s.priority FROM "pgq".jobs s
      WHERE room.retry_ms > 0 AND s.entrypoint = room.entrypoint AND s.status = 'picked'
        AND s.heartbeat < now() - room.retry_ms * interval '1 millisecond' AND s.attempts < s.max_attempts
        -- Never its own: a worker whose event loop stalled is still running the job.
        AND s.worker_id IS DISTINCT FROM p_worker
      ORDER BY s.heartbeat
      LIMIT room.cap
      FOR UPDATE SKIP LOCKED
    ) c
  ),
  fresh AS (
    -- The worker's cap covers its rescues too: fresh jobs fill only what they left.
    SELECT c.id, c.priority, 0 AS rescue, room.entrypoint FROM room CROSS JOIN LATERAL (
      SELECT q.id, q.priority FROM "pgq".jobs q
      WHERE q.entrypoint = room.entrypoint AND q.status = 'queued' AND q.execute_after <= now()
      ORDER BY q.priority DESC, q.id
      LIMIT least(room.take, greatest(room.cap - (SELECT count(*) FROM stale WHERE stale.entrypoint = room.entrypoint), 0))
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
    SET status = 'picked', worker_id = p_worker, heartbeat = now(), updated = now(), attempts = j.attempts + 1,
      rescues = j.rescues + (j.status = 'picked')::integer
    -- An array, not a join: the cached generic plan then stays an index scan by id.
    WHERE j.id = ANY (ARRAY(SELECT chosen.id FROM chosen))
    RETURNING j.id, j.entrypoint, j.payload, j.headers, j.priority, j.attempts, j.max_attempts, j.on_exhausted,
      j.dedupe_key, j.created, j.updated, j.execute_after
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

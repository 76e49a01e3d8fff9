-- claim_jobs() as in 0001, except that a worker's per-entrypoint cap now counts the stale
-- jobs it rescues: before, one claim could take `cap` rescues plus `cap` fresh jobs.
-- Mirrored by the plain statement in packages/core/src/sql/claim-unlimited-jobs.ts.
CREATE OR REPLACE FUNCTION "pgq".claim_jobs(
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
  stale AS (
    -- Running jobs whose worker stopped heartbeating; they already count toward the limit.
    SELECT c.id, c.priority, 1 AS rescue, room.entrypoint FROM room CROSS JOIN LATERAL (
      SELECT s.id, s.priority FROM "pgq".jobs s
      WHERE room.retry_ms > 0 AND s.entrypoint = room.entrypoint AND s.status = 'picked'
        AND s.heartbeat < now() - room.retry_ms * interval '1 millisecond'
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

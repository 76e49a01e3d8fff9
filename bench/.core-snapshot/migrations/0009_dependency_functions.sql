-- Dependencies (dependsOn): a child waits in status 'blocked' until every job it depends on
-- has succeeded. Finishing a parent releases its children in the same statement. These
-- functions are VOLATILE plpgsql, so each query inside takes a fresh snapshot: it sees the
-- dependency rows an enqueue committed while the finishing statement waited for its lock.
--
-- Locks: parents and children are locked in id order, as the finishing statements lock
-- their rows (an index scan of id = ANY (...) walks the ids sorted), so they cannot deadlock.

-- The jobs downstream of p_failed (failed for good: held, dropped or canceled) end as each
-- one's on_parent_failure says, through every level: 'cancel', or 'fail' (held or dropped as
-- its on_exhausted says), with a DependencyFailed traceback naming the job that failed.
-- Returns how many ended.
CREATE FUNCTION "pgq".fail_dependents(p_failed bigint[]) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_ids bigint[];
  v_ended integer;
BEGIN
  WITH RECURSIVE downstream(child_id, root_id) AS (
    SELECT d.child_id, d.parent_id FROM "pgq".job_dependencies d WHERE d.parent_id = ANY (p_failed)
    UNION
    SELECT d.child_id, downstream.root_id FROM "pgq".job_dependencies d JOIN downstream ON d.parent_id = downstream.child_id
  )
  SELECT array_agg(x.child_id ORDER BY x.child_id) INTO v_ids FROM (SELECT DISTINCT child_id FROM downstream) x;
  IF v_ids IS NULL THEN
    RETURN 0;
  END IF;

  WITH RECURSIVE downstream(child_id, root_id) AS (
    SELECT d.child_id, d.parent_id FROM "pgq".job_dependencies d WHERE d.parent_id = ANY (p_failed)
    UNION
    SELECT d.child_id, downstream.root_id FROM "pgq".job_dependencies d JOIN downstream ON d.parent_id = downstream.child_id
  ),
  locked AS (
    SELECT j.id FROM "pgq".jobs j WHERE j.id = ANY (v_ids) AND j.status = 'blocked' ORDER BY j.id FOR NO KEY UPDATE
  ),
  cause AS (SELECT DISTINCT ON (child_id) child_id, root_id FROM downstream ORDER BY child_id, root_id),
  doomed AS (
    SELECT j.id, j.priority, j.entrypoint, j.attempts, j.worker_id,
      CASE WHEN j.on_parent_failure = 'cancel' THEN 'canceled'
           WHEN j.on_exhausted = 'delete' THEN 'exception' ELSE 'failed' END::"pgq".job_status AS status,
      cause.root_id
    FROM "pgq".jobs j JOIN locked ON locked.id = j.id JOIN cause ON cause.child_id = j.id
  ),
  kept AS (
    UPDATE "pgq".jobs j SET status = 'failed', updated = now()
    FROM doomed WHERE j.id = doomed.id AND doomed.status = 'failed'
    RETURNING j.id
  ),
  dropped AS (
    DELETE FROM "pgq".jobs j USING doomed WHERE j.id = doomed.id AND doomed.status <> 'failed'
    RETURNING j.id
  ),
  logged AS (
    INSERT INTO "pgq".log (job_id, status, priority, entrypoint, attempts, traceback)
    SELECT d.id, d.status, d.priority, d.entrypoint, d.attempts, jsonb_build_object(
      'name', 'DependencyFailed',
      'message', format('job %s, which it depends on, failed for good', d.root_id),
      'stack', NULL, 'attempt', d.attempts, 'workerId', NULL, 'entrypoint', d.entrypoint, 'parentId', d.root_id)
    FROM doomed d
  ),
  counted AS (
    INSERT INTO "pgq".statistics AS s (bucket, entrypoint, status, priority, count,
      run_ms_sum, run_ms_max, run_ms_histogram, wait_ms_sum, wait_ms_max, wait_ms_histogram)
    SELECT date_trunc('minute', now()), d.entrypoint, d.status, d.priority, count(*)::integer, 0, 0, '{}'::integer[], 0, 0, '{}'::integer[]
    FROM doomed d GROUP BY d.entrypoint, d.status, d.priority ORDER BY d.entrypoint, d.status, d.priority
    ON CONFLICT (bucket, entrypoint, status, priority) DO UPDATE SET count = s.count + excluded.count
  ),
  unlinked AS (
    DELETE FROM "pgq".job_dependencies d WHERE d.parent_id = ANY (p_failed) OR d.parent_id IN (SELECT doomed.id FROM doomed)
  )
  SELECT count(*)::integer, array_agg(doomed.id) INTO v_ended, v_ids FROM doomed;
  IF v_ended > 0 THEN
    PERFORM "pgq".notify_ids('done', v_ids);
  END IF;
  RETURN v_ended;
END $$;
--> statement-breakpoint
-- The children of p_succeeded wait for one parent fewer; those with none left are queued
-- and the workers serving them woken. The children of p_failed end (fail_dependents).
CREATE FUNCTION "pgq".release_dependents(p_succeeded bigint[], p_failed bigint[]) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_children bigint[];
  v_woken jsonb;
  v_count integer := 0;
BEGIN
  IF cardinality(p_succeeded) > 0 THEN
    SELECT array_agg(DISTINCT d.child_id) INTO v_children FROM "pgq".job_dependencies d WHERE d.parent_id = ANY (p_succeeded);
    IF v_children IS NOT NULL THEN
      WITH locked AS (
        SELECT j.id FROM "pgq".jobs j WHERE j.id = ANY (v_children) ORDER BY j.id FOR NO KEY UPDATE
      ),
      done AS (
        DELETE FROM "pgq".job_dependencies d WHERE d.parent_id = ANY (p_succeeded) RETURNING d.child_id
      ),
      counts AS (SELECT done.child_id, count(*)::integer AS n FROM done GROUP BY done.child_id),
      released AS (
        UPDATE "pgq".jobs j
        SET waiting_for = greatest(j.waiting_for - counts.n, 0), updated = now(),
          status = CASE WHEN j.waiting_for - counts.n <= 0 THEN 'queued'::"pgq".job_status ELSE j.status END
        FROM counts WHERE j.id = counts.child_id AND j.status = 'blocked' AND j.id IN (SELECT locked.id FROM locked)
        RETURNING j.entrypoint, j.status
      )
      SELECT jsonb_object_agg(r.entrypoint, r.n), coalesce(sum(r.n), 0)::integer INTO v_woken, v_count
      FROM (SELECT released.entrypoint, count(*) AS n FROM released WHERE released.status = 'queued' GROUP BY released.entrypoint) r;
      PERFORM "pgq".notify_insert(v_woken);
    END IF;
  END IF;
  IF cardinality(p_failed) > 0 THEN
    v_count := v_count + "pgq".fail_dependents(p_failed);
  END IF;
  RETURN v_count;
END $$;
--> statement-breakpoint
-- Links freshly inserted children (status 'blocked', depends_on set) to their parents, in
-- the enqueue's transaction. A parent still in the queue is locked first (in id order): one
-- that finishes after this commits finds its children, and one finishing now is waited for
-- and then read as gone. A parent that is gone counts by its last log row; one with none
-- (its success unlogged, or its log pruned) whose id was issued counts as succeeded; an id
-- never issued raises PQ002. Children with nothing left to wait for are queued; children of
-- a parent that failed for good end as fail_dependents says.
CREATE FUNCTION "pgq".link_dependencies(p_children bigint[]) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_parents bigint[];
  v_pending bigint[];
  v_failed bigint[];
  v_missing bigint[];
  v_woken jsonb;
  v_last bigint;
BEGIN
  SELECT array_agg(DISTINCT u.parent_id) INTO v_parents
  FROM "pgq".jobs c CROSS JOIN LATERAL unnest(c.depends_on) AS u(parent_id) WHERE c.id = ANY (p_children);
  IF v_parents IS NULL THEN
    RETURN;
  END IF;
  PERFORM 1 FROM "pgq".jobs p WHERE p.id = ANY (v_parents) ORDER BY p.id FOR NO KEY UPDATE;
  SELECT CASE WHEN is_called THEN last_value ELSE 0 END INTO v_last FROM "pgq".jobs_id_seq;

  SELECT array_agg(x.parent_id) FILTER (WHERE x.state = 'pending'),
         array_agg(x.parent_id ORDER BY x.parent_id) FILTER (WHERE x.state = 'failed'),
         array_agg(x.parent_id ORDER BY x.parent_id) FILTER (WHERE x.state = 'missing')
  INTO v_pending, v_failed, v_missing
  FROM (
    SELECT w.parent_id, CASE
        WHEN p.status = 'failed' THEN 'failed'
        WHEN p.id IS NOT NULL THEN 'pending'
        WHEN l.status IN ('exception', 'canceled', 'deleted', 'failed') THEN 'failed'
        WHEN l.status = 'successful' OR w.parent_id <= v_last THEN 'succeeded'
        ELSE 'missing' END AS state
    FROM unnest(v_parents) AS w(parent_id)
    LEFT JOIN "pgq".jobs p ON p.id = w.parent_id
    LEFT JOIN LATERAL (
      -- Its last ending (a 'queued' row is a retried attempt, not an ending).
      SELECT lg.status FROM "pgq".log lg WHERE lg.job_id = w.parent_id AND lg.status <> 'queued' ORDER BY lg.id DESC LIMIT 1
    ) l ON p.id IS NULL
  ) x;
  IF v_missing IS NOT NULL THEN
    RAISE EXCEPTION 'dependsOn names job(s) that do not exist: %', array_to_string(v_missing, ', ')
      USING ERRCODE = 'PQ002', DETAIL = to_jsonb(v_missing)::text;
  END IF;
  v_pending := coalesce(v_pending, '{}');

  UPDATE "pgq".jobs p SET has_dependents = true
  WHERE (p.id = ANY (v_pending) OR p.id = ANY (coalesce(v_failed, '{}'))) AND NOT p.has_dependents;

  INSERT INTO "pgq".job_dependencies (parent_id, child_id)
  SELECT u.parent_id, c.id FROM "pgq".jobs c CROSS JOIN LATERAL unnest(c.depends_on) AS u(parent_id)
  WHERE c.id = ANY (p_children) AND (u.parent_id = ANY (v_pending) OR u.parent_id = ANY (coalesce(v_failed, '{}')))
  ON CONFLICT DO NOTHING;

  WITH released AS (
    UPDATE "pgq".jobs j
    SET waiting_for = w.pending,
      -- One with a failed parent stays blocked for fail_dependents, below.
      status = CASE WHEN w.pending = 0 AND NOT w.doomed THEN 'queued'::"pgq".job_status ELSE 'blocked'::"pgq".job_status END
    FROM (
      SELECT c.id, (SELECT count(*) FROM unnest(c.depends_on) AS u(parent_id) WHERE u.parent_id = ANY (v_pending))::integer AS pending,
        coalesce(c.depends_on && v_failed, false) AS doomed
      FROM "pgq".jobs c WHERE c.id = ANY (p_children) AND c.status = 'blocked'
    ) w
    WHERE j.id = w.id
    RETURNING j.entrypoint, j.status
  )
  SELECT jsonb_object_agg(r.entrypoint, r.n) INTO v_woken
  FROM (SELECT released.entrypoint, count(*) AS n FROM released WHERE released.status = 'queued' GROUP BY released.entrypoint) r;
  PERFORM "pgq".notify_insert(v_woken);

  IF v_failed IS NOT NULL THEN
    PERFORM "pgq".fail_dependents(v_failed);
  END IF;
END $$;
--> statement-breakpoint
-- claim_jobs as in 0006, plus: the dependents of the jobs it ends (WorkerLost) end too.
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
SET plan_cache_mode = force_generic_plan AS $$
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
    FROM lost WHERE j.id = lost.id AND j.on_exhausted = 'hold'
    RETURNING j.id, j.priority, j.entrypoint, j.attempts, j.max_attempts, j.rescues, lost.worker_id, 'failed'::"pgq".job_status AS status, j.has_dependents
  ),
  dropped AS (
    DELETE FROM "pgq".jobs j USING lost WHERE j.id = lost.id AND j.on_exhausted = 'delete'
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
  SELECT * FROM claimed WHERE (SELECT count(*) FROM ended_event) + (SELECT count(*) FROM ended_released) >= 0
  ORDER BY claimed.priority DESC, claimed.id;
END $$;

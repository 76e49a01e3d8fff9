-- end_lost_jobs as in 0010, with its statistics written before the jobs downstream are
-- ended. When a job lost with no attempts left had a dependent of the same entrypoint and
-- priority that ended with the same status, release_dependents (run first) wrote that
-- statistics row, and this statement's own insert then met a row it could not see: "ON
-- CONFLICT DO UPDATE command cannot affect row a second time". Every claim serving the
-- entrypoint failed on it, for good. The finishing and cancel statements (in the code) order
-- theirs the same way.
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
  -- This minute's statistics count them, as the finishing statements count theirs (no
  -- durations: the run's end is unknown).
  ended_counted AS (
    INSERT INTO "pgq".statistics AS s (bucket, entrypoint, status, priority, count,
      run_ms_sum, run_ms_max, run_ms_histogram, wait_ms_sum, wait_ms_max, wait_ms_histogram)
    SELECT date_trunc('minute', now()), ended.entrypoint, ended.status, ended.priority, count(*)::integer,
      0, 0, '{}'::integer[], 0, 0, '{}'::integer[]
    FROM ended
    GROUP BY ended.entrypoint, ended.status, ended.priority
    ORDER BY ended.entrypoint, ended.status, ended.priority
    ON CONFLICT (bucket, entrypoint, status, priority) DO UPDATE SET count = s.count + excluded.count
    RETURNING 1
  ),
  -- Jobs waiting for the ended ones end too, after ended_counted (it reads it): a dependent that ends with the same entrypoint, status
  -- and priority is counted in the same statistics row, which the function may write only
  -- once this statement has, else this statement's insert meets a row it cannot see.
  ended_released AS (
    SELECT "pgq".release_dependents('{}', array_agg(ended.id)) FROM ended
    WHERE ended.has_dependents AND (SELECT count(*) FROM ended_counted) >= 0 HAVING count(*) > 0
  )

  SELECT count(*) INTO v_ended FROM ended
  WHERE (SELECT count(*) FROM ended_event) + (SELECT count(*) FROM ended_released) >= 0;
  RETURN v_ended;
END $$;

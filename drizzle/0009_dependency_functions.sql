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
  v_linked bigint[];
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

  -- One array, so the update is an index scan by id however few rows the planner expects.
  v_linked := v_pending || coalesce(v_failed, '{}');
  UPDATE "pgq".jobs p SET has_dependents = true WHERE p.id = ANY (v_linked) AND NOT p.has_dependents;

  INSERT INTO "pgq".job_dependencies (parent_id, child_id)
  SELECT u.parent_id, c.id FROM "pgq".jobs c CROSS JOIN LATERAL unnest(c.depends_on) AS u(parent_id)
  WHERE c.id = ANY (p_children) AND u.parent_id = ANY (v_linked)
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

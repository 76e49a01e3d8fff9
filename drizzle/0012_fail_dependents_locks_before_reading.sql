-- fail_dependents as in 0009, made safe against a child linked while it runs. In 0009 it read
-- the jobs downstream of p_failed in one snapshot and locked them in a later statement, and
-- a child linked to one of them meanwhile (its link_dependencies had locked that job and
-- read it as blocked) was missed: it stayed blocked for good, waiting for a parent that had
-- failed. When the link committed between the two statements, the second also deleted the
-- new dependency row; when the link still held its lock, that statement waited for it with a
-- snapshot that could not see the row. A chain p <- c1 <- c2 enqueued while a worker failed p
-- lost c2 in 13-23% of chains (test/dependency-race.test.ts). link_dependencies needs no
-- change: it locks its parents (in id order) and reads their status after the lock.
--
-- The jobs downstream of p_failed (failed for good: held, dropped or canceled) end as each
-- one's on_parent_failure says, through every level: 'cancel', or 'fail' (held or dropped as
-- its on_exhausted says), with a DependencyFailed traceback naming the job that failed.
-- Returns how many ended. p_failed are locked by the caller (the statement that ended them).
CREATE OR REPLACE FUNCTION "pgq".fail_dependents(p_failed bigint[]) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_locked bigint[] := '{}';
  v_new bigint[];
  v_ids bigint[];
  v_ended integer;
  v_try integer;
BEGIN
  -- Lock, then look again: each pass reads the jobs downstream in a fresh snapshot, taken once
  -- the passes before it hold their locks, and locks those it had not seen (in id order).
  -- It ends when a pass finds nothing new: every link to a locked job has committed and is
  -- in that snapshot, and any link still to come waits for this transaction and then reads
  -- its parent as failed or gone. Nearly always two passes: the first finds them all.
  -- A later pass may lock a job with a lower id than one it holds, against a link locking its
  -- parents in id order: a deadlock. The block's locks then go (the link goes on) and it starts over.
  FOR v_try IN 1..5 LOOP
    BEGIN
      v_locked := '{}';
      LOOP
        WITH RECURSIVE downstream(child_id) AS (
          SELECT d.child_id FROM "pgq".job_dependencies d WHERE d.parent_id = ANY (p_failed)
          UNION
          SELECT d.child_id FROM "pgq".job_dependencies d JOIN downstream ON d.parent_id = downstream.child_id
        )
        SELECT array_agg(x.child_id ORDER BY x.child_id) INTO v_new
        FROM (SELECT downstream.child_id FROM downstream EXCEPT SELECT unnest(v_locked)) x;
        EXIT WHEN v_new IS NULL;
        PERFORM 1 FROM "pgq".jobs j WHERE j.id = ANY (v_new) AND j.status = 'blocked' ORDER BY j.id FOR NO KEY UPDATE;
        v_locked := v_locked || v_new;
      END LOOP;
      EXIT;
    EXCEPTION WHEN deadlock_detected THEN
      IF v_try = 5 THEN
        RAISE;
      END IF;
    END;
  END LOOP;
  IF cardinality(v_locked) = 0 THEN
    RETURN 0;
  END IF;

  WITH RECURSIVE downstream(child_id, root_id) AS (
    SELECT d.child_id, d.parent_id FROM "pgq".job_dependencies d WHERE d.parent_id = ANY (p_failed)
    UNION
    SELECT d.child_id, downstream.root_id FROM "pgq".job_dependencies d JOIN downstream ON d.parent_id = downstream.child_id
  ),
  locked AS (
    SELECT j.id FROM "pgq".jobs j WHERE j.id = ANY (v_locked) AND j.status = 'blocked' ORDER BY j.id FOR NO KEY UPDATE
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

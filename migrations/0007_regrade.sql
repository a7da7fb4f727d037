-- gradeq schema, version 7: regrading (README "Regrading").
--
--  * batches.kind: 'submit' (submissions stored together) or 'regrade' (submissions graded again
--    together). A regrade batch's submissions are its gradeq.regrade_items, not batch_id (which
--    stays the batch the submission was submitted in).
--  * A regrade is a new attempt of the submission (submissions.attempt + 1, its job in the
--    outbox), graded with the spec version named on that attempt's job
--    (jobs.assignment_version_id; NULL: the submission's own version, as before). A submission
--    keeps pointing at the version it was made against; grading_runs.assignment_version_id says
--    which version each run was graded with. Old runs stay; submissions.latest_run_id moves only
--    when the submission's current attempt stores its result.
--  * gradeq.regrade_items: what each regraded submission was at regrade time (status, latest
--    run, score), so the regrade report can say who changed from what to what.
--  * submissions.queued_at: when the current attempt was queued (NULL: at submitted_at, as for
--    every first attempt). v_grading_latency and v_queue_health measure waiting from it, so a
--    submission regraded weeks after it was handed in does not show weeks of queueing.
--  * v_test_pass_rates, v_test_times: as v_gradebook, a submission counts by its latest result
--    (latest_run_id), so it does not drop out while it is regraded.
--  * v_gradebook: a submission with a grading result keeps its score there while it is being
--    regraded, and keeps it if the regrade ends in `error` (a system fault is never charged to
--    the student). Before this version only `graded` submissions had results, so nothing else
--    changes.

ALTER TABLE gradeq.batches
  ADD COLUMN kind text NOT NULL DEFAULT 'submit' CONSTRAINT batches_kind_check CHECK (kind IN ('submit', 'regrade'));

ALTER TABLE gradeq.jobs
  ADD COLUMN assignment_version_id bigint REFERENCES gradeq.assignment_versions(id);

ALTER TABLE gradeq.grading_runs
  ADD COLUMN assignment_version_id bigint REFERENCES gradeq.assignment_versions(id);
-- Every run so far was graded with its submission's version.
UPDATE gradeq.grading_runs r SET assignment_version_id = s.assignment_version_id
  FROM gradeq.submissions s WHERE s.id = r.submission_id;

CREATE TABLE gradeq.regrade_items (
  batch_id               uuid NOT NULL REFERENCES gradeq.batches(id) ON DELETE CASCADE,
  submission_id          uuid NOT NULL REFERENCES gradeq.submissions(id) ON DELETE CASCADE,
  attempt                integer NOT NULL CHECK (attempt >= 2),  -- the attempt this regrade made
  assignment_version_id  bigint NOT NULL REFERENCES gradeq.assignment_versions(id),  -- graded with
  previous_status        text NOT NULL,   -- the submission's status at regrade time
  previous_run_id        bigint REFERENCES gradeq.grading_runs(id),  -- its latest run then
  previous_score         numeric,
  previous_max_score     numeric,
  previous_error_reason  text,
  PRIMARY KEY (batch_id, submission_id)
);
CREATE INDEX regrade_items_submission_idx ON gradeq.regrade_items (submission_id, attempt);

-- As in 0001, except that a submission counts once it has a grading result (latest_run_id), not
-- only while its status is `graded`.
CREATE OR REPLACE VIEW gradeq.v_gradebook AS
SELECT DISTINCT ON (c.code, a.name, s.student)
       c.code AS course,
       a.name AS assignment,
       s.student,
       r.score,
       r.max_score,
       r.finished_at AS graded_at,
       s.id AS submission_id
  FROM gradeq.submissions s
  JOIN gradeq.grading_runs r ON r.id = s.latest_run_id
  JOIN gradeq.assignment_versions v ON v.id = s.assignment_version_id
  JOIN gradeq.assignments a ON a.id = v.assignment_id
  JOIN gradeq.courses c ON c.id = a.course_id
 ORDER BY c.code, a.name, s.student, s.submitted_at DESC, s.id;

ALTER TABLE gradeq.submissions ADD COLUMN queued_at timestamptz;

-- As in 0003, measured from when the current attempt was queued.
CREATE OR REPLACE VIEW gradeq.v_grading_latency AS
SELECT c.code AS course,
       a.name AS assignment,
       s.lane,
       count(*) AS finished,
       count(*) FILTER (WHERE s.status = 'error') AS errors,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM s.picked_up_at - COALESCE(s.queued_at, s.submitted_at)))::numeric, 3) AS wait_p50_s,
       round(percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM s.picked_up_at - COALESCE(s.queued_at, s.submitted_at)))::numeric, 3) AS wait_p95_s,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM s.finished_at - s.picked_up_at))::numeric, 3) AS run_p50_s,
       round(percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM s.finished_at - s.picked_up_at))::numeric, 3) AS run_p95_s,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM s.finished_at - COALESCE(s.queued_at, s.submitted_at)))::numeric, 3) AS total_p50_s,
       round(percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM s.finished_at - COALESCE(s.queued_at, s.submitted_at)))::numeric, 3) AS total_p90_s,
       round(percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM s.finished_at - COALESCE(s.queued_at, s.submitted_at)))::numeric, 3) AS total_p95_s,
       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM s.finished_at - COALESCE(s.queued_at, s.submitted_at)))::numeric, 3) AS total_p99_s,
       round(max(extract(epoch FROM s.finished_at - COALESCE(s.queued_at, s.submitted_at))), 3) AS total_max_s,
       max(s.finished_at) AS last_finished_at
  FROM gradeq.submissions s
  JOIN gradeq.assignment_versions v ON v.id = s.assignment_version_id
  JOIN gradeq.assignments a ON a.id = v.assignment_id
  JOIN gradeq.courses c ON c.id = a.course_id
 WHERE s.status IN ('graded', 'error') AND s.finished_at IS NOT NULL AND s.picked_up_at IS NOT NULL
 GROUP BY c.code, a.name, s.lane;

-- As in 0003; the oldest queued age from when the attempt was queued.
CREATE OR REPLACE VIEW gradeq.v_queue_health AS
SELECT c.code AS course,
       l.lane,
       COALESCE(q.queued, 0) AS queued,
       COALESCE(q.running, 0) AS running,
       COALESCE(q.running_past_lease, 0) AS running_past_lease,
       round(extract(epoch FROM now() - q.oldest_queued_at)::numeric, 1) AS oldest_queued_age_s,
       COALESCE(j.unpublished_jobs, 0) AS unpublished_jobs,
       round(extract(epoch FROM now() - j.oldest_unpublished_at)::numeric, 1) AS oldest_unpublished_age_s,
       COALESCE(f.graded_1h, 0) AS graded_1h,
       COALESCE(f.errors_24h, 0) AS errors_24h,
       COALESCE(d.dead_letters_24h, 0) AS dead_letters_24h
  FROM gradeq.courses c
 CROSS JOIN (VALUES ('interactive'), ('bulk')) AS l(lane)
  LEFT JOIN (SELECT a.course_id, s.lane,
                    count(*) FILTER (WHERE s.status = 'queued') AS queued,
                    count(*) FILTER (WHERE s.status = 'running') AS running,
                    count(*) FILTER (WHERE s.status = 'running' AND s.lease_until < now()) AS running_past_lease,
                    min(COALESCE(s.queued_at, s.submitted_at)) FILTER (WHERE s.status = 'queued') AS oldest_queued_at
               FROM gradeq.submissions s
               JOIN gradeq.assignment_versions v ON v.id = s.assignment_version_id
               JOIN gradeq.assignments a ON a.id = v.assignment_id
              WHERE s.status IN ('queued', 'running')
              GROUP BY a.course_id, s.lane) q ON q.course_id = c.id AND q.lane = l.lane
  LEFT JOIN (SELECT a.course_id, jb.lane, count(*) AS unpublished_jobs,
                    min(jb.created_at) AS oldest_unpublished_at
               FROM gradeq.jobs jb
               JOIN gradeq.submissions s ON s.id = jb.submission_id
               JOIN gradeq.assignment_versions v ON v.id = s.assignment_version_id
               JOIN gradeq.assignments a ON a.id = v.assignment_id
              WHERE jb.published_at IS NULL
              GROUP BY a.course_id, jb.lane) j ON j.course_id = c.id AND j.lane = l.lane
  LEFT JOIN (SELECT a.course_id, s.lane,
                    count(*) FILTER (WHERE s.status = 'graded' AND s.finished_at > now() - interval '1 hour') AS graded_1h,
                    count(*) FILTER (WHERE s.status = 'error') AS errors_24h
               FROM gradeq.submissions s
               JOIN gradeq.assignment_versions v ON v.id = s.assignment_version_id
               JOIN gradeq.assignments a ON a.id = v.assignment_id
              WHERE s.finished_at > now() - interval '24 hours'
              GROUP BY a.course_id, s.lane) f ON f.course_id = c.id AND f.lane = l.lane
  LEFT JOIN (SELECT a.course_id, s.lane, count(*) AS dead_letters_24h
               FROM gradeq.dead_letters dl
               JOIN gradeq.submissions s ON s.id = dl.submission_id
               JOIN gradeq.assignment_versions v ON v.id = s.assignment_version_id
               JOIN gradeq.assignments a ON a.id = v.assignment_id
              WHERE dl.dead_at > now() - interval '24 hours'
              GROUP BY a.course_id, s.lane) d ON d.course_id = c.id AND d.lane = l.lane;

-- As in 0003, by the latest result rather than the status.
CREATE OR REPLACE VIEW gradeq.v_test_pass_rates AS
SELECT c.code AS course,
       a.name AS assignment,
       t.test_name,
       min(t.ordinal) AS ordinal,
       count(*) AS submissions,
       count(*) FILTER (WHERE t.verdict = 'passed') AS passed,
       count(*) FILTER (WHERE t.verdict <> 'passed') AS failed,
       round(avg((t.verdict = 'passed')::int), 4) AS pass_rate,
       round(avg(t.points), 4) AS avg_points,
       max(t.max_points) AS max_points,
       mode() WITHIN GROUP (ORDER BY t.verdict) FILTER (WHERE t.verdict <> 'passed')
         AS most_common_failure
  FROM gradeq.submissions s
  JOIN gradeq.test_results t ON t.run_id = s.latest_run_id
  JOIN gradeq.assignment_versions v ON v.id = s.assignment_version_id
  JOIN gradeq.assignments a ON a.id = v.assignment_id
  JOIN gradeq.courses c ON c.id = a.course_id
 WHERE s.latest_run_id IS NOT NULL
 GROUP BY c.code, a.name, t.test_name;

CREATE OR REPLACE VIEW gradeq.v_test_times AS
SELECT c.code AS course,
       a.name AS assignment,
       t.test_name,
       min(t.ordinal) AS ordinal,
       count(*) AS runs,
       round(avg(t.duration_ms), 1) AS avg_ms,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY t.duration_ms) AS p50_ms,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY t.duration_ms) AS p90_ms,
       percentile_cont(0.99) WITHIN GROUP (ORDER BY t.duration_ms) AS p99_ms,
       max(t.duration_ms) AS max_ms,
       count(*) FILTER (WHERE t.verdict = 'time_limit') AS time_limits
  FROM gradeq.submissions s
  JOIN gradeq.test_results t ON t.run_id = s.latest_run_id
  JOIN gradeq.assignment_versions v ON v.id = s.assignment_version_id
  JOIN gradeq.assignments a ON a.id = v.assignment_id
  JOIN gradeq.courses c ON c.id = a.course_id
 WHERE s.latest_run_id IS NOT NULL AND t.duration_ms IS NOT NULL
 GROUP BY c.code, a.name, t.test_name;

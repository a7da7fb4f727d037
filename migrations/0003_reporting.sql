-- gradeq schema, version 3: reporting (README "SQL reporting").
--
--  * More views, read-only for gradeq_reporting: per-test pass rates and times, students at risk,
--    grading latency percentiles and queue health. v_test_results gains course, assignment,
--    student and ordinal (appended: the first six columns are unchanged).
--  * Per-course staff: gradeq.course_staff maps a database role to the courses it may see. A role
--    that is a member of any mapped role sees, through every view, only the rows of its mapped
--    courses; every other role (the owner, gradeq_reporting itself) sees every course. Enforced
--    by row-level security on gradeq.courses, FORCEd so that it holds inside the views (which run
--    with their owner's rights): every view joins gradeq.courses, so rows of a hidden course
--    vanish. A new view must join gradeq.courses too.
--  * Indexes the views need to answer quickly on 100,000 submissions.

-- --- per-course visibility -------------------------------------------------------------------

CREATE TABLE gradeq.course_staff (
  role_name  name NOT NULL,
  course     text NOT NULL REFERENCES gradeq.courses(code) ON DELETE CASCADE,
  PRIMARY KEY (role_name, course)
);

-- The courses role `who` may see: NULL when it may see every course (it is a member of no role
-- named in course_staff, or it is the owner or a superuser). SECURITY DEFINER: it reads
-- gradeq.course_staff, which the staff roles may not; inside it current_user is the owner, so
-- `who` is passed in (the policy passes the querying role). Roles named in course_staff that no
-- longer exist are ignored.
CREATE FUNCTION gradeq.visible_courses(who name) RETURNS text[]
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE WHEN who = current_user
                OR EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = who AND r.rolsuper) THEN NULL
              ELSE (SELECT array_agg(DISTINCT s.course)
                      FROM gradeq.course_staff s JOIN pg_roles r ON r.rolname = s.role_name
                     WHERE pg_has_role(who, r.oid, 'MEMBER')) END
$$;

ALTER TABLE gradeq.courses ENABLE ROW LEVEL SECURITY;
ALTER TABLE gradeq.courses FORCE ROW LEVEL SECURITY;
-- (SELECT ...) makes the call an InitPlan: once per query, not once per course row.
CREATE POLICY courses_by_staff ON gradeq.courses
  USING ((SELECT gradeq.visible_courses(current_user)) IS NULL
         OR code = ANY ((SELECT gradeq.visible_courses(current_user))::text[]))
  WITH CHECK ((SELECT gradeq.visible_courses(current_user)) IS NULL
              OR code = ANY ((SELECT gradeq.visible_courses(current_user))::text[]));

-- --- indexes ---------------------------------------------------------------------------------

-- Queue health: errors and throughput of the last hours, dead letters of the last day.
CREATE INDEX submissions_finished_idx ON gradeq.submissions (finished_at);
CREATE INDEX dead_letters_dead_at_idx ON gradeq.dead_letters (dead_at);

-- --- views -----------------------------------------------------------------------------------

CREATE OR REPLACE VIEW gradeq.v_test_results AS
SELECT s.id AS submission_id,
       t.test_name,
       t.verdict,
       t.points,
       t.max_points,
       t.duration_ms,
       c.code AS course,
       a.name AS assignment,
       s.student,
       t.ordinal
  FROM gradeq.submissions s
  JOIN gradeq.test_results t ON t.run_id = s.latest_run_id
  JOIN gradeq.assignment_versions v ON v.id = s.assignment_version_id
  JOIN gradeq.assignments a ON a.id = v.assignment_id
  JOIN gradeq.courses c ON c.id = a.course_id;

-- One row per (course, assignment, test) over every graded submission's latest grading (a
-- student who submitted three times counts three times).
CREATE VIEW gradeq.v_test_pass_rates AS
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
 WHERE s.status = 'graded'
 GROUP BY c.code, a.name, t.test_name;

-- One row per (course, assignment, test): wall time of the test in milliseconds, over the same
-- gradings (tests that did not run, e.g. after a compile error, have no time and are left out).
CREATE VIEW gradeq.v_test_times AS
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
 WHERE s.status = 'graded' AND t.duration_ms IS NOT NULL
 GROUP BY c.code, a.name, t.test_name;

-- Each student's latest submission per (course, assignment), whatever its state (a helper of
-- v_students_at_risk; not granted to the reporting role).
CREATE VIEW gradeq.v_latest_submissions AS
SELECT DISTINCT ON (c.code, a.name, s.student)
       c.code AS course,
       a.name AS assignment,
       s.student,
       s.id AS submission_id,
       s.status,
       s.submitted_at
  FROM gradeq.submissions s
  JOIN gradeq.assignment_versions v ON v.id = s.assignment_version_id
  JOIN gradeq.assignments a ON a.id = v.assignment_id
  JOIN gradeq.courses c ON c.id = a.course_id
 ORDER BY c.code, a.name, s.student, s.submitted_at DESC, s.id;

-- Students at risk, one row per (course, assignment, student) that needs a look. A course's
-- students are those who submitted anything to it (gradeq has no roster); its assignments are
-- those someone submitted to. reason:
--   missing  the student submitted to the course but never to this assignment
--   failing  the latest graded score is below half the maximum
--   error    nothing graded, and the latest submission ended in `error` (a system fault: regrade)
-- A student whose only submissions are still queued or running is not listed.
CREATE VIEW gradeq.v_students_at_risk AS
SELECT p.course,
       p.assignment,
       p.student,
       CASE WHEN l.submission_id IS NULL THEN 'missing'
            WHEN g.submission_id IS NULL THEN 'error'
            ELSE 'failing' END AS reason,
       g.score,
       g.max_score,
       g.graded_at,
       COALESCE(g.submission_id, l.submission_id) AS submission_id,
       l.submitted_at AS last_submitted_at
  FROM (SELECT r.course, w.assignment, r.student
          FROM (SELECT DISTINCT c.code AS course, s.student
                  FROM gradeq.submissions s
                  JOIN gradeq.assignment_versions v ON v.id = s.assignment_version_id
                  JOIN gradeq.assignments a ON a.id = v.assignment_id
                  JOIN gradeq.courses c ON c.id = a.course_id) r
          JOIN (SELECT c.code AS course, a.name AS assignment
                  FROM gradeq.assignments a
                  JOIN gradeq.courses c ON c.id = a.course_id
                 WHERE EXISTS (SELECT 1 FROM gradeq.assignment_versions v
                                 JOIN gradeq.submissions s ON s.assignment_version_id = v.id
                                WHERE v.assignment_id = a.id)) w
            ON w.course = r.course) p
  LEFT JOIN gradeq.v_latest_submissions l
    ON l.course = p.course AND l.assignment = p.assignment AND l.student = p.student
  LEFT JOIN gradeq.v_gradebook g
    ON g.course = p.course AND g.assignment = p.assignment AND g.student = p.student
 WHERE l.submission_id IS NULL
    OR (g.submission_id IS NULL AND l.status = 'error')
    OR g.score < 0.5 * g.max_score;

-- Grading latency per (course, assignment, lane), in seconds, over finished submissions:
-- wait = submitted -> picked up by a grader, run = picked up -> finished, total = submitted ->
-- finished.
CREATE VIEW gradeq.v_grading_latency AS
SELECT c.code AS course,
       a.name AS assignment,
       s.lane,
       count(*) AS finished,
       count(*) FILTER (WHERE s.status = 'error') AS errors,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM s.picked_up_at - s.submitted_at))::numeric, 3) AS wait_p50_s,
       round(percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM s.picked_up_at - s.submitted_at))::numeric, 3) AS wait_p95_s,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM s.finished_at - s.picked_up_at))::numeric, 3) AS run_p50_s,
       round(percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM s.finished_at - s.picked_up_at))::numeric, 3) AS run_p95_s,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM s.finished_at - s.submitted_at))::numeric, 3) AS total_p50_s,
       round(percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM s.finished_at - s.submitted_at))::numeric, 3) AS total_p90_s,
       round(percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM s.finished_at - s.submitted_at))::numeric, 3) AS total_p95_s,
       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM s.finished_at - s.submitted_at))::numeric, 3) AS total_p99_s,
       round(max(extract(epoch FROM s.finished_at - s.submitted_at)), 3) AS total_max_s,
       max(s.finished_at) AS last_finished_at
  FROM gradeq.submissions s
  JOIN gradeq.assignment_versions v ON v.id = s.assignment_version_id
  JOIN gradeq.assignments a ON a.id = v.assignment_id
  JOIN gradeq.courses c ON c.id = a.course_id
 WHERE s.status IN ('graded', 'error') AND s.finished_at IS NOT NULL AND s.picked_up_at IS NOT NULL
 GROUP BY c.code, a.name, s.lane;

-- Queue health, one row per (course, lane), every course and both lanes (zeros when idle).
-- Ages in seconds, at the time of the query. Dead letters whose job named no known submission
-- belong to no course and are not counted here (see gradeq.dead_letters).
CREATE VIEW gradeq.v_queue_health AS
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
                    min(s.submitted_at) FILTER (WHERE s.status = 'queued') AS oldest_queued_at
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

GRANT SELECT ON gradeq.v_test_pass_rates, gradeq.v_test_times, gradeq.v_students_at_risk,
                gradeq.v_grading_latency, gradeq.v_queue_health TO gradeq_reporting;

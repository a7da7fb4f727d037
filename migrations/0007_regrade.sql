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

-- gradeq schema, version 1: courses, assignments with spec versions, submissions and their files,
-- grading runs and per-test results, and the reporting views of DESIGN.md.
-- Append-only: never edit this file once applied; add 0002_... instead.

CREATE SCHEMA IF NOT EXISTS gradeq;

CREATE TABLE gradeq.courses (
  id          bigserial PRIMARY KEY,
  code        text NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE gradeq.assignments (
  id          bigserial PRIMARY KEY,
  course_id   bigint NOT NULL REFERENCES gradeq.courses(id),
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (course_id, name)
);

-- Every distinct spec is a version; submissions point at the version they were made against.
-- spec is the normalized spec (defaults applied, expected outputs inlined): it holds hidden
-- expectations, so the reporting role never sees this table.
CREATE TABLE gradeq.assignment_versions (
  id             bigserial PRIMARY KEY,
  assignment_id  bigint NOT NULL REFERENCES gradeq.assignments(id),
  version        integer NOT NULL CHECK (version >= 1),
  spec           jsonb NOT NULL,
  spec_source    text NOT NULL,
  spec_sha256    text NOT NULL,
  max_score      numeric NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (assignment_id, version),
  UNIQUE (assignment_id, spec_sha256)
);

CREATE TABLE gradeq.batches (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  assignment_id  bigint NOT NULL REFERENCES gradeq.assignments(id),
  label          text,
  created_at     timestamptz NOT NULL DEFAULT now()
);

-- status: queued -> running -> graded | error. error is the system's fault and carries a reason.
CREATE TABLE gradeq.submissions (
  id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  assignment_version_id  bigint NOT NULL REFERENCES gradeq.assignment_versions(id),
  student                text NOT NULL,
  batch_id               uuid REFERENCES gradeq.batches(id),
  lane                   text NOT NULL DEFAULT 'interactive' CHECK (lane IN ('interactive', 'bulk')),
  status                 text NOT NULL DEFAULT 'queued'
                           CHECK (status IN ('queued', 'running', 'graded', 'error')),
  attempt                integer NOT NULL DEFAULT 1 CHECK (attempt >= 1),
  error_reason           text,
  submitted_at           timestamptz NOT NULL DEFAULT now(),
  picked_up_at           timestamptz,
  started_at             timestamptz,
  finished_at            timestamptz,
  latest_run_id          bigint
);
CREATE INDEX submissions_batch_idx ON gradeq.submissions (batch_id);
CREATE INDEX submissions_status_idx ON gradeq.submissions (status) WHERE status IN ('queued', 'running');
CREATE INDEX submissions_student_idx ON gradeq.submissions (assignment_version_id, student);

CREATE TABLE gradeq.submission_files (
  submission_id  uuid NOT NULL REFERENCES gradeq.submissions(id) ON DELETE CASCADE,
  path           text NOT NULL,
  content        bytea NOT NULL,
  PRIMARY KEY (submission_id, path)
);

-- One grading of one submission attempt. UNIQUE (submission_id, attempt) makes result writes
-- idempotent: a redelivered job cannot create a second run.
CREATE TABLE gradeq.grading_runs (
  id              bigserial PRIMARY KEY,
  submission_id   uuid NOT NULL REFERENCES gradeq.submissions(id) ON DELETE CASCADE,
  attempt         integer NOT NULL,
  score           numeric NOT NULL,
  max_score       numeric NOT NULL,
  compile_ok      boolean NOT NULL,
  compile_output  text NOT NULL DEFAULT '',
  container_ms    bigint,
  grader          text,
  started_at      timestamptz NOT NULL,
  finished_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (submission_id, attempt)
);

ALTER TABLE gradeq.submissions
  ADD CONSTRAINT submissions_latest_run_fk FOREIGN KEY (latest_run_id) REFERENCES gradeq.grading_runs(id);

-- Verdicts are stored as text with a CHECK: readable in plain SQL, and the set is explicit.
CREATE TABLE gradeq.test_results (
  run_id        bigint NOT NULL REFERENCES gradeq.grading_runs(id) ON DELETE CASCADE,
  ordinal       integer NOT NULL,
  test_name     text NOT NULL,
  verdict       text NOT NULL CHECK (verdict IN ('passed', 'wrong_answer', 'runtime_error',
                  'time_limit', 'memory_limit', 'output_limit', 'compile_error', 'skipped')),
  points        numeric NOT NULL,
  max_points    numeric NOT NULL,
  duration_ms   bigint,
  exit_code     integer,
  term_signal   integer,
  hidden        boolean NOT NULL DEFAULT false,
  message       text NOT NULL DEFAULT '',
  stdout        text NOT NULL DEFAULT '',
  stderr        text NOT NULL DEFAULT '',
  PRIMARY KEY (run_id, ordinal)
);

-- Reporting views (stable contract, DESIGN.md "Reporting contract").

CREATE VIEW gradeq.v_results AS
SELECT s.id AS submission_id,
       c.code AS course,
       a.name AS assignment,
       s.student,
       s.status,
       r.score,
       COALESCE(r.max_score, v.max_score) AS max_score,
       CASE WHEN r.id IS NULL THEN NULL ELSE
         COALESCE((SELECT array_agg(t.test_name ORDER BY t.ordinal)
                     FROM gradeq.test_results t
                    WHERE t.run_id = r.id AND t.verdict <> 'passed'), '{}'::text[])
       END AS failed_tests,
       r.finished_at AS graded_at
  FROM gradeq.submissions s
  JOIN gradeq.assignment_versions v ON v.id = s.assignment_version_id
  JOIN gradeq.assignments a ON a.id = v.assignment_id
  JOIN gradeq.courses c ON c.id = a.course_id
  LEFT JOIN gradeq.grading_runs r ON r.id = s.latest_run_id;

CREATE VIEW gradeq.v_test_results AS
SELECT s.id AS submission_id,
       t.test_name,
       t.verdict,
       t.points,
       t.max_points,
       t.duration_ms
  FROM gradeq.submissions s
  JOIN gradeq.test_results t ON t.run_id = s.latest_run_id;

-- Latest graded submission per (course, assignment, student).
CREATE VIEW gradeq.v_gradebook AS
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
 WHERE s.status = 'graded'
 ORDER BY c.code, a.name, s.student, s.submitted_at DESC, s.id;

-- Read-only reporting role: the views, not source code or hidden expectations.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gradeq_reporting') THEN
    CREATE ROLE gradeq_reporting NOLOGIN;
  END IF;
END
$$;
GRANT USAGE ON SCHEMA gradeq TO gradeq_reporting;
GRANT SELECT ON gradeq.v_results, gradeq.v_test_results, gradeq.v_gradebook TO gradeq_reporting;

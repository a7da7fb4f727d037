-- LMS imports (gradeq-producer import): which submissions came from which LMS export, so that
-- importing the same export again stores nothing new.
--
-- idempotency_key: the LMS, its identifiers of the submission (Canvas user and submission IDs,
-- Moodle participant, a folder's or manifest's student) and the SHA-256 of the files; a changed
-- file is a new key, hence a new submission. Written in the same transaction as the submissions.
-- Append-only: never edit this file once applied.

CREATE TABLE gradeq.imports (
  assignment_id    bigint NOT NULL REFERENCES gradeq.assignments(id),
  idempotency_key  text NOT NULL,
  submission_id    uuid NOT NULL REFERENCES gradeq.submissions(id) ON DELETE CASCADE,
  imported_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (assignment_id, idempotency_key)
);
CREATE INDEX imports_submission_idx ON gradeq.imports (submission_id);

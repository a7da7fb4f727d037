-- gradeq schema, version 2: delivery guarantees (DESIGN.md "Delivery semantics").
--
--  * gradeq.jobs, the outbox: one row per (submission, attempt), written in the same transaction
--    as the submission (or the regrade). published_at is set once the broker has confirmed the
--    message; a job still unpublished after a grace period (the producer died between commit and
--    publish, or the broker was down) is published by the sweeper.
--  * submissions.lease_until: set when a grader claims a submission, to the end of the longest
--    time its container may take. A submission still `running` past its lease lost its grader
--    (and its message, or the broker would have redelivered it): the sweeper republishes it.
--  * submissions.last_fault / deliveries: the last system fault met while grading this attempt
--    and how many times a grader claimed it, so that an attempt given up on says why.
--  * gradeq.dead_letters: every message that reached the dead-letter queue (poison, or over the
--    delivery limit), with the reason, recorded once.

CREATE TABLE gradeq.jobs (
  submission_id  uuid NOT NULL REFERENCES gradeq.submissions(id) ON DELETE CASCADE,
  attempt        integer NOT NULL CHECK (attempt >= 1),
  lane           text NOT NULL CHECK (lane IN ('interactive', 'bulk')),
  created_at     timestamptz NOT NULL DEFAULT now(),
  published_at   timestamptz,
  publish_count  integer NOT NULL DEFAULT 0,
  PRIMARY KEY (submission_id, attempt)
);
CREATE INDEX jobs_unpublished_idx ON gradeq.jobs (created_at) WHERE published_at IS NULL;

-- Submissions stored before this migration were published by the producer of version 1.
INSERT INTO gradeq.jobs (submission_id, attempt, lane, created_at, published_at, publish_count)
SELECT id, attempt, lane, submitted_at, submitted_at, 1 FROM gradeq.submissions;

ALTER TABLE gradeq.submissions
  ADD COLUMN lease_until timestamptz,
  ADD COLUMN last_fault  text,
  ADD COLUMN deliveries  integer NOT NULL DEFAULT 0;
CREATE INDEX submissions_lease_idx ON gradeq.submissions (lease_until) WHERE status = 'running';

CREATE TABLE gradeq.dead_letters (
  id             bigserial PRIMARY KEY,
  -- Identifies one death of one message (md5 of the body, the queue and the time of death), so
  -- that a dead letter redelivered to its recorder is recorded once.
  dead_key       text NOT NULL UNIQUE,
  queue          text NOT NULL,            -- the lane queue it died in
  death_reason   text NOT NULL,            -- RabbitMQ's: rejected | delivery_limit | expired | maxlen
  reason         text NOT NULL,            -- ours: why, in words
  deliveries     integer,
  submission_id  uuid REFERENCES gradeq.submissions(id) ON DELETE SET NULL,
  attempt        integer,
  body           text NOT NULL,
  dead_at        timestamptz NOT NULL,
  recorded_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dead_letters_submission_idx ON gradeq.dead_letters (submission_id);

-- gradeq schema: result events and webhooks (README "Webhooks").
--
--  * submissions.webhook_url, assignments.webhook_url: where a submission's result is POSTed
--    (the submission's own URL, else its assignment's; neither: no webhook). Only http:// and
--    https:// URLs (the producer checks them with a clear message; the CHECK is the backstop).
--  * gradeq.events, an outbox of result events: one row each time a submission reaches a final
--    state (graded or error), written by a trigger in the transaction that stores the result, so
--    an event exists exactly when the result was committed (none lost, none invented). The
--    payload is the submission's result as gradeq.v_results shows it. published_at is set once
--    the broker confirmed the event on the exchange <prefix>.events (routing key = kind);
--    NOTIFY gradeq_events wakes the dispatcher (`gradeq-producer webhooks`) at commit.
--  * gradeq.webhook_deliveries: every POST attempt of an event, with the HTTP status or the
--    error, and its outcome: retrying (another attempt is scheduled), delivered, or failed (the
--    last attempt failed; no more).

ALTER TABLE gradeq.submissions
  ADD COLUMN webhook_url text CHECK (webhook_url ~* '^https?://[^[:space:]]+$');
ALTER TABLE gradeq.assignments
  ADD COLUMN webhook_url text CHECK (webhook_url ~* '^https?://[^[:space:]]+$');

CREATE TABLE gradeq.events (
  id             bigserial PRIMARY KEY,
  kind           text NOT NULL CHECK (kind IN ('submission.graded', 'submission.error')),
  submission_id  uuid NOT NULL REFERENCES gradeq.submissions(id) ON DELETE CASCADE,
  attempt        integer NOT NULL,
  payload        jsonb NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  published_at   timestamptz
);
CREATE INDEX events_unpublished_idx ON gradeq.events (id) WHERE published_at IS NULL;
CREATE INDEX events_submission_idx ON gradeq.events (submission_id);

CREATE TABLE gradeq.webhook_deliveries (
  id           bigserial PRIMARY KEY,
  event_id     bigint NOT NULL REFERENCES gradeq.events(id) ON DELETE CASCADE,
  attempt      integer NOT NULL CHECK (attempt >= 1),
  url          text NOT NULL,
  status_code  integer,        -- the HTTP status; NULL when no response came (see error)
  error        text,           -- connection refused, timeout, ... or why a status is a failure
  outcome      text NOT NULL CHECK (outcome IN ('retrying', 'delivered', 'failed')),
  duration_ms  bigint,
  at           timestamptz NOT NULL DEFAULT now(),
  UNIQUE (event_id, attempt)
);

-- SECURITY DEFINER: the payload reads gradeq.courses, whose row-level security (0003) must not
-- hide a course from the role that stores the result.
CREATE FUNCTION gradeq.record_result_event() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  body jsonb;
  event_id bigint;
BEGIN
  SELECT jsonb_build_object(
           'submission_id', NEW.id,
           'attempt', NEW.attempt,
           'course', c.code,
           'assignment', a.name,
           'student', NEW.student,
           'status', NEW.status,
           'score', r.score,
           'max_score', COALESCE(r.max_score, v.max_score),
           'failed_tests',
             CASE WHEN r.id IS NULL THEN NULL ELSE
               COALESCE((SELECT jsonb_agg(t.test_name ORDER BY t.ordinal)
                           FROM gradeq.test_results t
                          WHERE t.run_id = r.id AND t.verdict <> 'passed'), '[]'::jsonb)
             END,
           'graded_at', to_char(r.finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
           'error_reason', CASE WHEN NEW.status = 'error' THEN NEW.error_reason END)
    INTO body
    FROM gradeq.assignment_versions v
    JOIN gradeq.assignments a ON a.id = v.assignment_id
    JOIN gradeq.courses c ON c.id = a.course_id
    -- Only this attempt's grading: an attempt that ended in error has no score of its own.
    LEFT JOIN gradeq.grading_runs r ON r.id = NEW.latest_run_id AND r.attempt = NEW.attempt
   WHERE v.id = NEW.assignment_version_id;
  INSERT INTO gradeq.events (kind, submission_id, attempt, payload)
  VALUES ('submission.' || NEW.status, NEW.id, NEW.attempt, body)
  RETURNING id INTO event_id;
  PERFORM pg_notify('gradeq_events', event_id::text);
  RETURN NULL;
END
$$;

CREATE TRIGGER submissions_result_event
  AFTER UPDATE OF status ON gradeq.submissions
  FOR EACH ROW
  WHEN (NEW.status IN ('graded', 'error') AND OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION gradeq.record_result_event();

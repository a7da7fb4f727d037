-- gradeq schema: API keys of the HTTP API (`gradeq-producer serve`, README "HTTP API").
--
-- A key is shown once, when `gradeq-producer apikey create` makes it; only its SHA-256 (lowercase
-- hex) is stored. A key scoped to a course (course NOT NULL) sees and submits only that course's
-- submissions; an unscoped key sees every course. Revoking sets revoked_at (the row stays, for the
-- record); a name is unique among the keys not revoked, so a revoked key's name may be reused.
-- last_used_at is refreshed at most once a minute. Not granted to the reporting role.

CREATE TABLE gradeq.api_keys (
  id            bigserial PRIMARY KEY,
  name          text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,63}$'),
  course        text,
  key_sha256    text NOT NULL UNIQUE CHECK (key_sha256 ~ '^[0-9a-f]{64}$'),
  created_at    timestamptz NOT NULL DEFAULT now(),
  revoked_at    timestamptz,
  last_used_at  timestamptz
);
CREATE UNIQUE INDEX api_keys_active_name_idx ON gradeq.api_keys (name) WHERE revoked_at IS NULL;

-- The staff console (/console): passwords, one-time invitations, sessions and sign-in attempts.
-- Passwords are argon2id hashes; invitation and session tokens are stored as SHA-256 hashes only.
ALTER TABLE users ADD COLUMN password_hash text;
ALTER TABLE users ADD COLUMN deactivated_at timestamptz;
CREATE INDEX users_email ON users (lower(email));

CREATE TABLE invitations (
  token_hash  text PRIMARY KEY,
  user_id     text NOT NULL REFERENCES users (id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  created_by  text NOT NULL
);
CREATE INDEX invitations_user ON invitations (user_id);

CREATE TABLE console_sessions (
  id_hash       text PRIMARY KEY,
  user_id       text NOT NULL REFERENCES users (id),
  csrf_token    text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_seen_at  timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);

-- Failed sign-ins, counted per email and per client address over a sliding window (shared by every API process).
CREATE TABLE sign_in_failures (
  id     bigserial PRIMARY KEY,
  email  text NOT NULL,
  ip     text NOT NULL,
  at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sign_in_failures_email ON sign_in_failures (email, at);
CREATE INDEX sign_in_failures_ip ON sign_in_failures (ip, at);

-- Photos taken with the phone's camera and sent with a grid worker's report, kept with the case. While a report is
-- refused they wait under 'pending:<member>:<form key>' so the resubmitted form keeps them.
CREATE TABLE case_photos (
  id            text PRIMARY KEY,
  case_id       text NOT NULL,
  content_type  text NOT NULL,
  bytes         bytea NOT NULL,
  sha256        text NOT NULL,
  uploaded_by   text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (case_id, sha256)
);
CREATE INDEX case_photos_case ON case_photos (case_id);

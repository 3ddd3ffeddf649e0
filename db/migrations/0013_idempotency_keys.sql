-- Idempotency-Key on every staff action (api/idempotency.ts): the first request with a key inserts a pending row;
-- its answer (status and body) is kept, so that a retry with the same key and body gets the same answer and the
-- action is done once. Keys belong to one member; a row lives until expires_at (24 hours).
CREATE TABLE idempotency_keys (
  actor_id     text        NOT NULL,
  key          text        NOT NULL,
  method       text        NOT NULL,
  path         text        NOT NULL,
  request_hash text        NOT NULL,
  status       integer,                -- NULL while the first request is in flight
  response     jsonb,                  -- { "headers": {...}, "body": "<text>" }
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  PRIMARY KEY (actor_id, key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

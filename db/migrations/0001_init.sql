-- Staff members. Tokens are stored as SHA-256 hashes only.
CREATE TABLE users (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  email       text NOT NULL,
  role        text NOT NULL,
  level       text,
  committee   text,
  area        text NOT NULL,
  token_hash  text NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  created_by  text
);
CREATE INDEX users_role_area ON users (role, area);

-- The case register and read model: one row per case, the latest snapshot wins (by version).
CREATE TABLE cases (
  id              text PRIMARY KEY,
  kind            text NOT NULL,
  status          text NOT NULL,
  level           text,
  area            text NOT NULL,
  category        text,
  summary         text NOT NULL,
  opened_at       timestamptz NOT NULL,
  closed_at       timestamptz,
  next_deadline   timestamptz,
  overdue         boolean NOT NULL DEFAULT false,
  policy_version  text NOT NULL,
  version         integer NOT NULL,
  snapshot        jsonb NOT NULL,
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cases_kind_status ON cases (kind, status);
CREATE INDEX cases_area ON cases (area text_pattern_ops);

-- The audit trail: who did what, when, with the state before and after. Ids are deterministic, so a retried
-- activity inserts nothing twice.
CREATE TABLE audit_events (
  id           text PRIMARY KEY,
  case_id      text,
  subject      text NOT NULL,
  seq          integer,
  at           timestamptz NOT NULL,
  actor_id     text NOT NULL,
  actor_name   text NOT NULL,
  actor_role   text NOT NULL,
  action       text NOT NULL,
  before       jsonb,
  after        jsonb,
  details      jsonb,
  recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_case ON audit_events (case_id, seq);

-- Every notice, once per key and recipient; status tells whether it left.
CREATE TABLE mail_outbox (
  key         text NOT NULL,
  recipient   text NOT NULL,
  template    text NOT NULL,
  subject     text NOT NULL,
  body        text NOT NULL,
  status      text NOT NULL DEFAULT 'pending',
  message_id  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  sent_at     timestamptz,
  PRIMARY KEY (key, recipient)
);

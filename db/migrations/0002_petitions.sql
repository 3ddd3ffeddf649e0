-- Documents issued by a process (the written reply 答复意见书, review and re-review opinions), archived once.
CREATE TABLE documents (
  id          text PRIMARY KEY,
  case_id     text NOT NULL,
  kind        text NOT NULL,
  title       text NOT NULL,
  body        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX documents_case ON documents (case_id);

-- The weekly dispatch meeting (信访稳定集中办公会议): agenda built from the register, then the minutes.
CREATE TABLE meetings (
  id           text PRIMARY KEY,
  held_on      timestamptz NOT NULL,
  chair        text NOT NULL,
  attendees    jsonb NOT NULL DEFAULT '[]',
  agenda       jsonb NOT NULL,
  directions   jsonb,
  flagged      jsonb,
  status       text NOT NULL DEFAULT 'agenda_sent',
  recorded_by  text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX meetings_held_on ON meetings (held_on DESC);

CREATE INDEX cases_petitioner ON cases ((snapshot->'petitioner'->>'name'), (snapshot->>'subject')) WHERE kind = 'petition';

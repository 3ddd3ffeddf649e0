-- The public objection rate limit, counted here so that every API process shares it: objections accepted per client
-- address and notice in a fixed window. Only accepted objections count (a refused or invalid one releases its place).
CREATE TABLE objection_rate (
  client text NOT NULL,
  notice_id text NOT NULL,
  window_start timestamptz NOT NULL,
  accepted integer NOT NULL DEFAULT 0 CHECK (accepted >= 0),
  PRIMARY KEY (client, notice_id, window_start)
);
CREATE INDEX objection_rate_window_start ON objection_rate (window_start);

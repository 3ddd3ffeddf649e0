-- 四议两公开 (village decisions). The matter itself is a row of `cases` (kind 'village_decision') with its audit trail
-- in `audit_events`; these tables hold what the public notice board shows: the notices (决议公开, 实施结果公开) and
-- the villagers' objections with the village's answers. Rows are written from the workflow's snapshot, newest
-- matter version wins, so a retried activity changes nothing.
CREATE TABLE public_notices (
  id              text PRIMARY KEY,
  matter_id       text NOT NULL,
  kind            text NOT NULL,          -- resolution | result
  area            text NOT NULL,          -- the village: county/township/village
  title           text NOT NULL,
  body            text NOT NULL,          -- rendered once, at publication, from templates/village/<kind>-notice.hbs
  starts_at       timestamptz NOT NULL,
  ends_at         timestamptz NOT NULL,
  ended           boolean NOT NULL DEFAULT false,
  view            jsonb NOT NULL,         -- the public view: matter, meetings and votes, objections and answers
  matter_version  integer NOT NULL,
  published_at    timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX public_notices_area ON public_notices (area text_pattern_ops);
CREATE INDEX public_notices_ends ON public_notices (ends_at);
CREATE INDEX public_notices_matter ON public_notices (matter_id);

CREATE TABLE objections (
  id              text PRIMARY KEY,
  notice_id       text NOT NULL REFERENCES public_notices (id),
  matter_id       text NOT NULL,
  filed_at        timestamptz NOT NULL,
  name            text,
  email           text,                   -- contact details: for the village's answer only, never on the board
  phone           text,
  text            text NOT NULL,
  answer          text,
  answered_at     timestamptz,
  answered_by     text,
  matter_version  integer NOT NULL
);
CREATE INDEX objections_notice ON objections (notice_id, filed_at);

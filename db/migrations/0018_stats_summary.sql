-- Statistics from a daily summary (issue 10, benchmark "register"): GET /api/v1/stats counted every case of the area
-- and period each time (p50 8.1 s at 1,000,000 cases). Two tables, kept by triggers on `cases` in the same
-- transaction as every write (the activities' upserts, a bulk INSERT ... SELECT, an UPDATE or DELETE by hand), so
-- whoever writes the register keeps them right:
--
-- case_stats_daily: per day opened (Asia/Shanghai, UTC+8 as domain/time.ts), county, township, kind, and ONE field
-- with its value, the number of cases; the row of field 'kind' also carries the sums the rates need. One row per
-- field rather than per combination of fields, because the statistics count each field on its own (by status, by
-- level, ...): at 1,000,000 cases over 10 townships and two years that is about 125,000 rows where the combinations
-- would be nearly one per case. Township and month are read from the key of the 'kind' rows.
--
-- case_durations: one row per mediation with an outcome or petition with a reply, with the milliseconds from the
-- report to it. The median and the 90th percentile (domain/statistics.ts) are order statistics of the exact values:
-- no bucketed histogram gives them exactly, so they are computed from these narrow rows through an index-only scan.
--
-- The definitions stay in domain/statistics.ts; the facts are the generated columns of 0017, counted the way the
-- direct query (api/stats.ts statisticsDirect) counts them. A village's figures are counted from `cases` directly
-- (its cases are few, and a village key would make a row per case).
CREATE TABLE case_stats_daily (
  county          text NOT NULL,
  day             date NOT NULL,
  township        text NOT NULL,     -- area_township, or the area itself when it has no township
  kind            text NOT NULL,
  field           text NOT NULL,     -- kind | status | level | category | overdue
  value           text NOT NULL,     -- a null value (a petition's level) is not counted, as in the direct query
  n               integer NOT NULL,
  outcomes        integer NOT NULL,  -- the sums below are on the rows of field 'kind' only, 0 elsewhere
  ended_village   integer NOT NULL,
  ended_township  integer NOT NULL,
  success         integer NOT NULL,
  with_deadline   integer NOT NULL,
  on_time         integer NOT NULL,
  replied         integer NOT NULL,
  replied_on_time integer NOT NULL,
  late_unreplied  integer NOT NULL,
  adopted         integer NOT NULL,
  rejected        integer NOT NULL,
  meetings        integer NOT NULL,
  no_quorum       integer NOT NULL,
  PRIMARY KEY (county, day, township, kind, field, value)
);
CREATE INDEX case_stats_daily_township ON case_stats_daily (township, day);

CREATE TABLE case_durations (
  case_id   text PRIMARY KEY,
  kind      text NOT NULL,
  county    text NOT NULL,
  township  text NOT NULL,
  day       date NOT NULL,
  ms        bigint NOT NULL       -- outcome (mediation) or reply (petition) minus opened_at, whole milliseconds
);
CREATE INDEX case_durations_county ON case_durations (county, day) INCLUDE (kind, ms);
CREATE INDEX case_durations_township ON case_durations (township, day) INCLUDE (kind, ms);

-- A snapshot's time as timestamptz; NULL (not an error that would refuse the register write) when it is not one.
-- STRICT: a NULL is answered without entering the block (each entry costs a subtransaction).
CREATE FUNCTION pingan_ts(t text) RETURNS timestamptz LANGUAGE plpgsql STABLE STRICT AS $$
BEGIN
  RETURN t::timestamptz;
EXCEPTION WHEN others THEN
  RETURN NULL;
END $$;

-- The statements that add a set of signed case rows (+1 new, -1 old) to both tables are written once, below, and
-- instantiated for each trigger's transition tables (INSERT: new rows; UPDATE: both; DELETE: old rows) and for the
-- backfill of the cases already there. Rows are upserted in key order, so that concurrent writers lock them in the
-- same order; a row whose sums do not change (an update that moves no figure) is not touched.
DO $do$
DECLARE
  cols constant text := 'id, kind, status, level, area, area_county, area_township, category, opened_at, overdue, outcome_kind, '
    'outcome_at, outcome_deadline, reply_at, replied_seq, handle_by_passed, handle_by_passed_seq, village_adopted, '
    'village_rejected, village_meetings, village_no_quorum';
  facts constant text := $f$
    SELECT s.sign, s.id, s.kind, s.status, s.level, s.category, s.overdue,
           ((s.opened_at AT TIME ZONE 'UTC') + interval '8 hours')::date AS day,
           s.area_county AS county, coalesce(s.area_township, s.area) AS township,
           (s.outcome_kind IS NOT NULL)::int AS outcomes,
           (s.outcome_kind IS NOT NULL AND s.level IS NOT DISTINCT FROM 'village')::int AS ended_village,
           (s.outcome_kind IS NOT NULL AND s.level IS NOT DISTINCT FROM 'township')::int AS ended_township,
           (s.outcome_kind IS NOT DISTINCT FROM 'agreement')::int AS success,
           (s.outcome_kind IS NOT NULL AND nullif(s.outcome_deadline, '') IS NOT NULL)::int AS with_deadline,
           coalesce(s.outcome_kind IS NOT NULL AND pingan_ts(s.outcome_at) <= pingan_ts(nullif(s.outcome_deadline, '')), false)::int AS on_time,
           (s.reply_at IS NOT NULL)::int AS replied,
           (s.reply_at IS NOT NULL AND NOT coalesce(s.handle_by_passed AND (s.replied_seq IS NULL OR s.handle_by_passed_seq < s.replied_seq), false))::int AS replied_on_time,
           coalesce(s.kind = 'petition' AND s.reply_at IS NULL AND s.handle_by_passed, false)::int AS late_unreplied,
           coalesce(s.village_adopted, false)::int AS adopted,
           coalesce(s.village_rejected AND NOT s.village_adopted, false)::int AS rejected,
           coalesce(s.village_meetings, 0) AS meetings,
           coalesce(s.village_no_quorum, 0) AS no_quorum,
           (floor(extract(epoch FROM CASE WHEN s.outcome_kind IS NOT NULL THEN pingan_ts(s.outcome_at) ELSE pingan_ts(s.reply_at) END) * 1000)
             - floor(extract(epoch FROM s.opened_at) * 1000))::bigint AS ms
      FROM ({{rows}}) s
  $f$;
  apply constant text := $a$
    INSERT INTO case_stats_daily AS t (county, day, township, kind, field, value, n, outcomes, ended_village, ended_township,
                                       success, with_deadline, on_time, replied, replied_on_time, late_unreplied, adopted,
                                       rejected, meetings, no_quorum)
    SELECT * FROM (
      SELECT f.county, f.day, f.township, f.kind, x.field, x.value, sum(f.sign)::int AS n,
             sum(f.sign * x.w * f.outcomes)::int AS outcomes, sum(f.sign * x.w * f.ended_village)::int AS ended_village,
             sum(f.sign * x.w * f.ended_township)::int AS ended_township, sum(f.sign * x.w * f.success)::int AS success,
             sum(f.sign * x.w * f.with_deadline)::int AS with_deadline, sum(f.sign * x.w * f.on_time)::int AS on_time,
             sum(f.sign * x.w * f.replied)::int AS replied, sum(f.sign * x.w * f.replied_on_time)::int AS replied_on_time,
             sum(f.sign * x.w * f.late_unreplied)::int AS late_unreplied, sum(f.sign * x.w * f.adopted)::int AS adopted,
             sum(f.sign * x.w * f.rejected)::int AS rejected, sum(f.sign * x.w * f.meetings)::int AS meetings,
             sum(f.sign * x.w * f.no_quorum)::int AS no_quorum
        FROM ({{facts}}) f
        CROSS JOIN LATERAL (VALUES ('kind', f.kind, 1), ('status', f.status, 0), ('level', f.level, 0),
                                   ('category', f.category, 0), ('overdue', f.overdue::text, 0)) x(field, value, w)
       WHERE x.value IS NOT NULL
       GROUP BY f.county, f.day, f.township, f.kind, x.field, x.value) d
     WHERE (n, outcomes, ended_village, ended_township, success, with_deadline, on_time, replied, replied_on_time,
            late_unreplied, adopted, rejected, meetings, no_quorum) IS DISTINCT FROM (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
     ORDER BY county, day, township, kind, field, value
    ON CONFLICT (county, day, township, kind, field, value) DO UPDATE SET
      n = t.n + EXCLUDED.n, outcomes = t.outcomes + EXCLUDED.outcomes,
      ended_village = t.ended_village + EXCLUDED.ended_village, ended_township = t.ended_township + EXCLUDED.ended_township,
      success = t.success + EXCLUDED.success, with_deadline = t.with_deadline + EXCLUDED.with_deadline,
      on_time = t.on_time + EXCLUDED.on_time, replied = t.replied + EXCLUDED.replied,
      replied_on_time = t.replied_on_time + EXCLUDED.replied_on_time, late_unreplied = t.late_unreplied + EXCLUDED.late_unreplied,
      adopted = t.adopted + EXCLUDED.adopted, rejected = t.rejected + EXCLUDED.rejected,
      meetings = t.meetings + EXCLUDED.meetings, no_quorum = t.no_quorum + EXCLUDED.no_quorum;
    INSERT INTO case_durations AS t (case_id, kind, county, township, day, ms)
    SELECT f.id, f.kind, f.county, f.township, f.day, f.ms FROM ({{facts}}) f
     WHERE f.sign = 1 AND f.ms IS NOT NULL ORDER BY f.id
    ON CONFLICT (case_id) DO UPDATE SET kind = EXCLUDED.kind, county = EXCLUDED.county, township = EXCLUDED.township,
      day = EXCLUDED.day, ms = EXCLUDED.ms
     WHERE (t.kind, t.county, t.township, t.day, t.ms) IS DISTINCT FROM (EXCLUDED.kind, EXCLUDED.county, EXCLUDED.township, EXCLUDED.day, EXCLUDED.ms);
  $a$;
  -- After an UPDATE or DELETE: the durations of cases that no longer have one.
  forget constant text := $d$
    DELETE FROM case_durations t
     USING ({{facts}}) f
     WHERE f.sign = -1 AND t.case_id = f.id
       AND NOT EXISTS (SELECT 1 FROM ({{facts}}) g WHERE g.sign = 1 AND g.id = f.id AND g.ms IS NOT NULL);
  $d$;
  source constant text := 'SELECT %s AS sign, ' || cols || ' FROM %s';
  fn text;
BEGIN
  FOR fn IN SELECT unnest(ARRAY['insert', 'update', 'delete']) LOOP
    -- An INSERT ... ON CONFLICT DO UPDATE fires both the INSERT and the UPDATE trigger, one of them with no rows:
    -- that one returns at once.
    EXECUTE format(
      'CREATE FUNCTION case_stats_on_%s() RETURNS trigger LANGUAGE plpgsql AS %L',
      fn,
      format('BEGIN IF NOT EXISTS (SELECT 1 FROM %s) THEN RETURN NULL; END IF; ', CASE fn WHEN 'delete' THEN 'old_rows' ELSE 'new_rows' END)
        || replace(replace(apply || CASE fn WHEN 'insert' THEN '' ELSE forget END, '{{facts}}', facts), '{{rows}}', CASE fn
        WHEN 'insert' THEN format(source, '1', 'new_rows')
        WHEN 'delete' THEN format(source, '-1', 'old_rows')
        ELSE format(source, '1', 'new_rows') || ' UNION ALL ' || format(source, '-1', 'old_rows') END) || ' RETURN NULL; END');
  END LOOP;
  CREATE TRIGGER case_stats_insert AFTER INSERT ON cases REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION case_stats_on_insert();
  CREATE TRIGGER case_stats_update AFTER UPDATE ON cases REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION case_stats_on_update();
  CREATE TRIGGER case_stats_delete AFTER DELETE ON cases REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION case_stats_on_delete();
  -- The cases already registered (the triggers exist from here on, and this transaction holds the table against
  -- writers until it commits).
  EXECUTE replace(replace(apply, '{{facts}}', facts), '{{rows}}', format(source, '1', 'cases'));
END $do$;

-- TRUNCATE fires no row triggers: empty the summaries with the register.
CREATE FUNCTION case_stats_on_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM case_stats_daily;
  DELETE FROM case_durations;
  RETURN NULL;
END $$;
CREATE TRIGGER case_stats_truncate AFTER TRUNCATE ON cases FOR EACH STATEMENT EXECUTE FUNCTION case_stats_on_truncate();

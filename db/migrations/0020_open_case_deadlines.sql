-- The console overview and /metrics from a summary of open cases by deadline day (issue 10, benchmark "register").
-- Both counted every open case whose deadline had passed, through cases_open_deadline / cases_unclosed: at 1,000,000
-- cases (about 285,000 open, all of them past their deadline) the overview took p50 503 ms and one scrape 484 ms, an
-- index-only scan of every such entry each time. "Overdue" and "due within 3 days" depend on now(), so no counter
-- holds them; a count of open cases per deadline DAY does: every day before today lies wholly before now, so
--   late(now) = the summary's rows of days before today (or flagged overdue)
--             + the cases whose deadline falls today before now (through the same indexes: one day of deadlines),
-- and "due within 3 days" is three days of deadlines read from cases_open_deadline (bounded by the deadlines of three
-- days, not by the backlog). Cases by kind and status (a pure counter) come from case_stats_daily (0018).
--
-- One row per kind, county, township, level, deadline day (UTC), overdue flag, and the two ways a case is open: the
-- overview reads cases NOT finished (the snapshot's flag), /metrics cases not closed (closed_at IS NULL). Rows of
-- cases that are neither are not kept. Kept by statement-level triggers on `cases`, in the same transaction as every
-- write, like 0018; a row whose count falls to 0 is deleted, so that the table holds the combinations in use, not
-- every day that ever had a deadline.
CREATE TABLE case_open_deadlines (
  kind      text NOT NULL,
  county    text NOT NULL,     -- area_county
  township  text NOT NULL,     -- area_township, or the area itself when it has no township (as the overview groups)
  level     text NOT NULL,     -- '' for none
  day       date NOT NULL,     -- the UTC day of next_deadline; 'infinity' for none
  overdue   boolean NOT NULL,
  finished  boolean NOT NULL,
  closed    boolean NOT NULL,  -- closed_at IS NOT NULL
  n         integer NOT NULL,
  PRIMARY KEY (kind, county, township, level, day, overdue, finished, closed)
);

DO $do$
DECLARE
  facts constant text := $f$
    SELECT s.sign, s.kind, s.area_county AS county, coalesce(s.area_township, s.area) AS township, coalesce(s.level, '') AS level,
           coalesce((s.next_deadline AT TIME ZONE 'UTC')::date, 'infinity'::date) AS day, s.overdue, s.finished,
           s.closed_at IS NOT NULL AS closed
      FROM ({{rows}}) s
     WHERE NOT s.finished OR s.closed_at IS NULL
  $f$;
  apply constant text := $a$
    INSERT INTO case_open_deadlines AS t (kind, county, township, level, day, overdue, finished, closed, n)
    SELECT * FROM (
      SELECT f.kind, f.county, f.township, f.level, f.day, f.overdue, f.finished, f.closed, sum(f.sign)::int AS n
        FROM ({{facts}}) f
       GROUP BY f.kind, f.county, f.township, f.level, f.day, f.overdue, f.finished, f.closed) d
     WHERE n <> 0
     ORDER BY kind, county, township, level, day, overdue, finished, closed
    ON CONFLICT (kind, county, township, level, day, overdue, finished, closed) DO UPDATE SET n = t.n + EXCLUDED.n;
  $a$;
  -- After an UPDATE or DELETE: the rows a case left that now count nothing.
  forget constant text := $d$
    DELETE FROM case_open_deadlines t
     USING (SELECT DISTINCT kind, county, township, level, day, overdue, finished, closed FROM ({{facts}}) f WHERE f.sign = -1) f
     WHERE t.n = 0 AND (t.kind, t.county, t.township, t.level, t.day, t.overdue, t.finished, t.closed)
                     = (f.kind, f.county, f.township, f.level, f.day, f.overdue, f.finished, f.closed);
  $d$;
  source constant text := 'SELECT %s AS sign, kind, area, area_county, area_township, level, next_deadline, overdue, finished, closed_at FROM %s';
  fn text;
BEGIN
  FOR fn IN SELECT unnest(ARRAY['insert', 'update', 'delete']) LOOP
    -- An INSERT ... ON CONFLICT DO UPDATE fires both the INSERT and the UPDATE trigger, one of them with no rows.
    EXECUTE format(
      'CREATE FUNCTION case_open_on_%s() RETURNS trigger LANGUAGE plpgsql AS %L',
      fn,
      format('BEGIN IF NOT EXISTS (SELECT 1 FROM %s) THEN RETURN NULL; END IF; ', CASE fn WHEN 'delete' THEN 'old_rows' ELSE 'new_rows' END)
        || replace(replace(apply || CASE fn WHEN 'insert' THEN '' ELSE forget END, '{{facts}}', facts), '{{rows}}', CASE fn
        WHEN 'insert' THEN format(source, '1', 'new_rows')
        WHEN 'delete' THEN format(source, '-1', 'old_rows')
        ELSE format(source, '1', 'new_rows') || ' UNION ALL ' || format(source, '-1', 'old_rows') END) || ' RETURN NULL; END');
  END LOOP;
  CREATE TRIGGER case_open_insert AFTER INSERT ON cases REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION case_open_on_insert();
  CREATE TRIGGER case_open_update AFTER UPDATE ON cases REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION case_open_on_update();
  CREATE TRIGGER case_open_delete AFTER DELETE ON cases REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION case_open_on_delete();
  -- The cases already registered (this transaction holds the table against writers until it commits).
  EXECUTE replace(replace(apply, '{{facts}}', facts), '{{rows}}', format(source, '1', 'cases'));
END $do$;

CREATE FUNCTION case_open_on_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM case_open_deadlines;
  RETURN NULL;
END $$;
CREATE TRIGGER case_open_truncate AFTER TRUNCATE ON cases FOR EACH STATEMENT EXECUTE FUNCTION case_open_on_truncate();

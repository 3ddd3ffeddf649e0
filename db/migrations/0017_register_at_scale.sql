-- The register at 1,000,000 cases (issue 10, benchmark "register"): lists, statistics, the overview and /metrics read
-- small columns through indexes instead of whole snapshots through sequential scans.
--
-- Area containment. sqlAreaWithin compares `area = X OR starts_with(area, X || '/')`; an OR of a prefix test cannot
-- walk an index in opened_at order, and the lists want "newest 20 inside X". Areas have at most three levels
-- (county/township/village, domain/areas.ts), so the enclosing county and township are stored as generated columns
-- (kept by PostgreSQL on every write, backfilled here): "inside county X" is `area_county = X`, "inside township X" is
-- `area_township = X`, and a village has nothing below it. Equality on these columns serves both the filter and the
-- order. Measured with EXPLAIN ANALYZE at 1,000,000 mediation rows (10 townships × 10 villages): a township's newest
-- 20 awaiting acceptance took 5.7 ms (cold) through cases_list_township against 2,526 ms with the plain `area = X OR
-- starts_with(...)` test (every matching row read, then sorted); a county's newest 20 overdue, or village level and
-- category land, 0.4 ms through cases_list_county. A LIKE prefix (text_pattern_ops / COLLATE "C") or an area-path
-- GIN index answers the filter but not the order, so they still read and sort every matching row.
--
-- The list indexes carry status, level, category and overdue as trailing key columns: PostgreSQL checks them on the
-- index entries while it walks newest first, so a filter that keeps one row in 70 still reads only the heap rows it
-- returns.
ALTER TABLE cases
  ADD COLUMN area_county text GENERATED ALWAYS AS (split_part(area, '/', 1)) STORED,
  ADD COLUMN area_township text GENERATED ALWAYS AS (
    CASE WHEN strpos(area, '/') > 0 THEN split_part(area, '/', 1) || '/' || split_part(area, '/', 2) END) STORED,
  -- The leader responsible for a petition (the leader's own list).
  ADD COLUMN leader_id text GENERATED ALWAYS AS (CASE WHEN kind = 'petition' THEN snapshot->'leader'->>'id' END) STORED,
  -- The process has ended (the snapshot's `finished`): the overview and work lists read open cases only.
  ADD COLUMN finished boolean GENERATED ALWAYS AS (coalesce(snapshot->'finished' = 'true'::jsonb, false)) STORED,
  -- The facts the statistics need (definitions: domain/statistics.ts), so that GET /api/v1/stats never opens a
  -- snapshot. Mediation: the recorded outcome, its time and the level deadline in force then.
  ADD COLUMN outcome_kind text GENERATED ALWAYS AS (
    CASE WHEN kind = 'mediation' AND jsonb_typeof(snapshot->'outcome') = 'object' THEN snapshot->'outcome'->>'kind' END) STORED,
  ADD COLUMN outcome_at text GENERATED ALWAYS AS (
    CASE WHEN kind = 'mediation' AND jsonb_typeof(snapshot->'outcome') = 'object' THEN snapshot->'outcome'->>'at' END) STORED,
  ADD COLUMN outcome_deadline text GENERATED ALWAYS AS (
    CASE WHEN kind = 'mediation' AND jsonb_typeof(snapshot->'outcome') = 'object' THEN snapshot->'outcome'->>'levelDeadline' END) STORED,
  -- Petitions (petitionReplyFacts): the written reply, the sequence numbers of the first `replied` event and of the
  -- first `deadline_passed` event for handleBy.
  ADD COLUMN reply_at text GENERATED ALWAYS AS (
    CASE WHEN kind = 'petition' AND jsonb_typeof(snapshot->'reply') = 'object' THEN snapshot->'reply'->>'at' END) STORED,
  ADD COLUMN replied_seq numeric GENERATED ALWAYS AS (
    CASE WHEN kind = 'petition' THEN jsonb_path_query_first(snapshot, '$.timeline[*] ? (@.action == "replied").seq ? (@.type() == "number")')::numeric END) STORED,
  ADD COLUMN handle_by_passed boolean GENERATED ALWAYS AS (
    CASE WHEN kind = 'petition' THEN jsonb_path_exists(snapshot, '$.timeline[*] ? (@.action == "deadline_passed" && @.details.deadline == "handleBy")') END) STORED,
  ADD COLUMN handle_by_passed_seq numeric GENERATED ALWAYS AS (
    CASE WHEN kind = 'petition' THEN jsonb_path_query_first(snapshot, '$.timeline[*] ? (@.action == "deadline_passed" && @.details.deadline == "handleBy").seq ? (@.type() == "number")')::numeric END) STORED,
  -- Village matters (villageFacts): resolution adopted, ended after a rejection, meetings and meetings without quorum.
  ADD COLUMN village_adopted boolean GENERATED ALWAYS AS (
    CASE WHEN kind = 'village_decision' THEN jsonb_path_exists(snapshot, '$.meetings[*] ? (@.step == "resolution" && @.passed == true)') END) STORED,
  ADD COLUMN village_rejected boolean GENERATED ALWAYS AS (
    CASE WHEN kind = 'village_decision' THEN coalesce(snapshot->'outcome' = '"ended_after_rejection"'::jsonb, false) END) STORED,
  ADD COLUMN village_meetings integer GENERATED ALWAYS AS (
    CASE WHEN kind = 'village_decision' THEN jsonb_array_length(jsonb_path_query_array(snapshot, '$.meetings[*]')) END) STORED,
  ADD COLUMN village_no_quorum integer GENERATED ALWAYS AS (
    CASE WHEN kind = 'village_decision' THEN jsonb_array_length(jsonb_path_query_array(snapshot, '$.meetings[*] ? (@.outcome == "no_quorum")')) END) STORED;

CREATE INDEX cases_list_county ON cases (kind, area_county, opened_at DESC, status, level, category, overdue);
CREATE INDEX cases_list_township ON cases (kind, area_township, opened_at DESC, status, level, category, overdue)
  WHERE area_township IS NOT NULL;
CREATE INDEX cases_list_leader ON cases (leader_id, opened_at DESC) WHERE leader_id IS NOT NULL;
-- Open cases by deadline (the overview, the overdue figures of /metrics): its worst cases in deadline order, and its
-- counts by township and level from the index alone (an index-only scan, no snapshot read).
CREATE INDEX cases_open_deadline ON cases (kind, area_county, next_deadline) INCLUDE (area_township, area, level, overdue)
  WHERE NOT finished;
-- /metrics: cases by kind and status (cases_kind_status), and the unclosed cases overdue or past their deadline, read
-- from the index alone.
CREATE INDEX cases_unclosed ON cases (kind, next_deadline) INCLUDE (overdue) WHERE closed_at IS NULL;

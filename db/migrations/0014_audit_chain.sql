-- The audit trail becomes a hash chain that nobody can quietly change (issue 11). Every event belongs to a chain: its
-- case (`case:<case_id>`), or, for events without a case (members, tokens, passwords), its subject (`subject:<subject>`).
-- A BEFORE INSERT trigger, whoever inserts (activities/register.ts, platform/users.ts, api/console/*), takes the
-- chain's advisory lock, reads the hash of the chain's last event and sets:
--   chain      the chain's key, as above
--   chain_pos  the event's position in its chain: 1, 2, 3, ... (without gaps)
--   prev_hash  the hash of the event at chain_pos - 1 (NULL for the first)
--   hash       hex sha256 over the canonical form below
-- and UPDATE, DELETE and TRUNCATE are refused: the table is append-only. `npm run audit:verify`
-- (scripts/audit-verify.ts) recomputes every chain in TypeScript from the same canonical form and names the first
-- broken link.
--
-- Canonical form (version 1), UTF-8, one line per field in this fixed order, each line `<name>=` followed by `~` for
-- NULL or by `<length in UTF-8 bytes>:<value>` (the length makes a value containing a newline unambiguous):
--   the first line `pingan-audit/1`, then chain, chain_pos, prev_hash, id, case_id, subject, seq, at, recorded_at,
--   actor_id, actor_name, actor_role, action, before, after, details
-- joined with "\n". Integers in decimal; `at` and `recorded_at` in UTC as YYYY-MM-DDTHH:MM:SS.ffffffZ (microseconds);
-- before, after and details as PostgreSQL's jsonb text, which is canonical by construction (object keys sorted by
-- length then bytes, duplicate keys removed, one fixed spacing: `{"a": 1, "bb": [1, 2]}`).
-- A retried activity whose insert meets ON CONFLICT DO NOTHING inserts no row, so it leaves the chain as it was.

ALTER TABLE audit_events
  ADD COLUMN chain text,
  ADD COLUMN chain_pos integer,
  ADD COLUMN prev_hash text,
  ADD COLUMN hash text;

CREATE FUNCTION audit_chain_key(p_case_id text, p_subject text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN p_case_id IS NOT NULL THEN 'case:' || p_case_id ELSE 'subject:' || p_subject END
$$;

CREATE FUNCTION audit_canonical_field(p_name text, p_value text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT p_name || '=' || CASE WHEN p_value IS NULL THEN '~' ELSE octet_length(p_value)::text || ':' || p_value END
$$;

CREATE FUNCTION audit_time_text(p timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT to_char(p AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

CREATE FUNCTION audit_event_hash(e audit_events) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT encode(sha256(convert_to(concat_ws(E'\n',
    'pingan-audit/1',
    audit_canonical_field('chain', e.chain),
    audit_canonical_field('chain_pos', e.chain_pos::text),
    audit_canonical_field('prev_hash', e.prev_hash),
    audit_canonical_field('id', e.id),
    audit_canonical_field('case_id', e.case_id),
    audit_canonical_field('subject', e.subject),
    audit_canonical_field('seq', e.seq::text),
    audit_canonical_field('at', audit_time_text(e.at)),
    audit_canonical_field('recorded_at', audit_time_text(e.recorded_at)),
    audit_canonical_field('actor_id', e.actor_id),
    audit_canonical_field('actor_name', e.actor_name),
    audit_canonical_field('actor_role', e.actor_role),
    audit_canonical_field('action', e.action),
    audit_canonical_field('before', e.before::text),
    audit_canonical_field('after', e.after::text),
    audit_canonical_field('details', e.details::text)
  ), 'UTF8')), 'hex')
$$;

-- The events already recorded are chained in the order they happened: by seq within a case, then time, then id.
DO $$
DECLARE
  r record;
  prev_chain text := NULL;
  prev text := NULL;
  pos integer := 0;
  e audit_events;
BEGIN
  UPDATE audit_events SET chain = audit_chain_key(case_id, subject);
  FOR r IN SELECT id FROM audit_events ORDER BY chain, seq NULLS LAST, at, recorded_at, id LOOP
    SELECT * INTO e FROM audit_events WHERE id = r.id;
    IF prev_chain IS DISTINCT FROM e.chain THEN
      prev_chain := e.chain; prev := NULL; pos := 0;
    END IF;
    pos := pos + 1;
    e.chain_pos := pos;
    e.prev_hash := prev;
    e.hash := audit_event_hash(e);
    UPDATE audit_events SET chain_pos = e.chain_pos, prev_hash = e.prev_hash, hash = e.hash WHERE id = e.id;
    prev := e.hash;
  END LOOP;
END $$;

ALTER TABLE audit_events
  ALTER COLUMN chain SET NOT NULL,
  ALTER COLUMN chain_pos SET NOT NULL,
  ALTER COLUMN hash SET NOT NULL;
CREATE UNIQUE INDEX audit_events_chain_pos ON audit_events (chain, chain_pos);

CREATE FUNCTION audit_events_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  last_pos integer;
  last_hash text;
BEGIN
  NEW.chain := audit_chain_key(NEW.case_id, NEW.subject);
  -- One inserter per chain at a time, until its transaction ends, so two events never take the same predecessor.
  PERFORM pg_advisory_xact_lock(74310014, hashtext(NEW.chain));
  SELECT chain_pos, hash INTO last_pos, last_hash FROM audit_events WHERE chain = NEW.chain ORDER BY chain_pos DESC LIMIT 1;
  NEW.chain_pos := coalesce(last_pos, 0) + 1;
  NEW.prev_hash := last_hash;
  NEW.hash := audit_event_hash(NEW);
  RETURN NEW;
END $$;

CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_events_chain();

CREATE FUNCTION audit_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

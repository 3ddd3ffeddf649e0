-- The role the application runs as may not UPDATE or DELETE audit rows (issue 11). In production the schema is owned
-- by the role that migrates (`npm run migrate`), and the processes connect as a separate role named by the setting
-- `pingan.app_role` when this migration runs, for example
--   PGOPTIONS='-c pingan.app_role=pingan_app' DATABASE_URL=postgres://owner@db/pingan npm run migrate
-- or once `ALTER DATABASE pingan SET pingan.app_role = 'pingan_app'` before the first migration. That role gets the
-- ordinary reading and writing of every table, on audit_events INSERT and SELECT only, and the same on the tables of
-- later migrations (default privileges of the migrating role). Without the setting (the embedded database, a
-- developer's PostgreSQL) nothing changes; the triggers of 0014 refuse UPDATE and DELETE for every role anyway, and
-- this grant keeps the application's role from switching them off.
DO $$
DECLARE
  app text := nullif(current_setting('pingan.app_role', true), '');
BEGIN
  IF app IS NULL THEN
    RETURN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = app) THEN
    RAISE EXCEPTION 'pingan.app_role names the role %, which does not exist: create it first (CREATE ROLE % LOGIN PASSWORD ...)', app, app;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = app AND (rolsuper OR rolbypassrls)) OR app = current_user THEN
    RAISE EXCEPTION 'pingan.app_role % must be a separate, unprivileged role (not a superuser, not the migrating role)', app;
  END IF;
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', current_schema(), app);
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I', current_schema(), app);
  EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO %I', current_schema(), app);
  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I', current_schema(), app);
  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT ON SEQUENCES TO %I', current_schema(), app);
  EXECUTE format('REVOKE ALL ON audit_events FROM %I', app);
  EXECUTE format('GRANT SELECT, INSERT ON audit_events TO %I', app);
  -- schema_migrations is the migrator's: the application reads it at start-up to find nothing left to apply.
  EXECUTE format('REVOKE ALL ON schema_migrations FROM %I', app);
  EXECUTE format('GRANT SELECT ON schema_migrations TO %I', app);
END $$;

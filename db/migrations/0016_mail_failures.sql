-- Mail leaves the staff's path (workflows/mailroom.ts): each outbox row counts its delivery attempts, keeps the last
-- error, and ends 'failed' with its reason when the server refuses it for good (5xx, invalid address) or the bounded
-- retry schedule runs out. Statuses: pending, sent, failed.
ALTER TABLE mail_outbox ADD COLUMN attempts integer NOT NULL DEFAULT 0;
ALTER TABLE mail_outbox ADD COLUMN last_error text;
ALTER TABLE mail_outbox ADD COLUMN failed_at timestamptz;
-- The backlog and failure counts for /metrics read rows that are not sent.
CREATE INDEX mail_outbox_unsent ON mail_outbox (status) WHERE status <> 'sent';

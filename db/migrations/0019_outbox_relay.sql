-- The outbox relay (worker/relay.ts) delivers the rows of lean runs from the worker process, not from their workflow.
-- next_attempt_at: when the relay may try the row next (set when the row is written; NULL for a row its workflow's
-- mailroom delivers, runs from before the relay). lease_until: a relay that took the row for a send holds it until
-- then; a relay killed mid-send leaves it to be taken again once the lease has passed.
ALTER TABLE mail_outbox ADD COLUMN next_attempt_at timestamptz;
ALTER TABLE mail_outbox ADD COLUMN lease_until timestamptz;
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE status = 'pending' AND next_attempt_at IS NOT NULL;

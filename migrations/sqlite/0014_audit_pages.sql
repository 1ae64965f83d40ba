-- Keyset pages of the audit log, newest first by (at, seq), for each filter the console offers:
-- the whole log (audit_logs_account_at of 0007), one action, one actor email (compared
-- lower-cased), one actor (a token's own entries). A time range is a range of each.
CREATE INDEX audit_logs_action ON audit_logs (account_id, action_type, at, seq);
CREATE INDEX audit_logs_email ON audit_logs (account_id, lower(actor_email), at, seq);
CREATE INDEX audit_logs_actor ON audit_logs (account_id, actor_id, at, seq);

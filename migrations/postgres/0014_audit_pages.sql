-- Keyset pages of the audit log, newest first by (at, seq), filtered by action, actor email
-- (compared lower-cased) or actor (a token's own entries): 0007's (account_id, at, seq) index
-- widened with the filter columns, so that a filtered page tests index entries, not rows, until
-- it has a page, and a change still writes one entry of one index (no index per filter, which
-- would add a page to every revocation's commit).
DROP INDEX audit_logs_account_at;
CREATE INDEX audit_logs_pages ON audit_logs (account_id, at, seq, action_type, actor_id, lower(actor_email));

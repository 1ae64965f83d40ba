-- Administration in Cloudflare's model (issue 9): token policies, validity, IP condition, owner and
-- last use; zone and user modification times; the audit log. Existing tokens become one allow
-- policy with the SSL permission group of their old read/write permission over the same zones.
ALTER TABLE api_tokens ADD COLUMN policies TEXT NOT NULL DEFAULT '[]';  -- Cloudflare's policies, JSON
ALTER TABLE api_tokens ADD COLUMN condition TEXT;                       -- {"request_ip": {"in", "not_in"}}, JSON
ALTER TABLE api_tokens ADD COLUMN not_before BIGINT;
ALTER TABLE api_tokens ADD COLUMN expires_on BIGINT;
ALTER TABLE api_tokens ADD COLUMN modified_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE api_tokens ADD COLUMN last_used_at BIGINT;                  -- kept to the minute
ALTER TABLE api_tokens ADD COLUMN owner_user_id TEXT REFERENCES users(id); -- NULL: made by the CLI

UPDATE api_tokens SET
    modified_at = created_at,
    policies = json_array(json_object(
        'id', id,
        'effect', 'allow',
        'permission_groups', json_array(json(CASE permission
            WHEN 'write' THEN '{"id":"c03055bc037c4ea9afb9a9f104b7b721","name":"SSL and Certificates Write"}'
            ELSE '{"id":"7b7216b327b04b8fbc8f524e1f9b7531","name":"SSL and Certificates Read"}' END)),
        'resources', json(CASE WHEN all_zones
            THEN json_object('com.cloudflare.api.account.' || account_id, '*')
            ELSE (SELECT json_group_object('com.cloudflare.api.account.zone.' || zone_id, '*')
                  FROM api_token_zones WHERE token_id = api_tokens.id) END)));

ALTER TABLE api_tokens DROP COLUMN permission;
ALTER TABLE api_tokens DROP COLUMN all_zones;
DROP TABLE api_token_zones;
CREATE INDEX api_tokens_account_name ON api_tokens (account_id, name);

ALTER TABLE users ADD COLUMN modified_at BIGINT NOT NULL DEFAULT 0;
UPDATE users SET modified_at = created_at;
CREATE INDEX users_email_lower ON users (lower(email));

ALTER TABLE zones ADD COLUMN modified_at BIGINT NOT NULL DEFAULT 0;
UPDATE zones SET modified_at = created_at;

-- One entry per change, written in the change's own transaction. Secrets never appear here.
CREATE TABLE audit_logs (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,  -- order of writing, for paging
    id             TEXT NOT NULL UNIQUE,               -- UUID
    account_id     TEXT NOT NULL REFERENCES accounts(id),
    at             BIGINT NOT NULL,                    -- unix seconds
    action_type    TEXT NOT NULL,                      -- issue, revoke, reactivate, create, update, delete, roll, disable, enable, rotate, import, install
    action_result  BOOLEAN NOT NULL,
    actor_type     TEXT NOT NULL,                      -- user (API key or token), admin (CLI)
    actor_id       TEXT NOT NULL,                      -- token id, user id, or the CLI's OS user
    actor_email    TEXT NOT NULL,                      -- the user's email, or '' for a token without owner
    actor_ip       TEXT NOT NULL,                      -- client IP, '' for the CLI
    interface      TEXT NOT NULL CHECK (interface IN ('api', 'cli', 'console')),
    resource_type  TEXT NOT NULL,                      -- certificate, token, zone, user, certificate_authority
    resource_id    TEXT NOT NULL,
    old_value      TEXT,                               -- JSON, where it applies
    new_value      TEXT
);
CREATE INDEX audit_logs_account_at ON audit_logs (account_id, at, seq);

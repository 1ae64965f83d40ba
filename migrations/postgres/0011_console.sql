-- The web console (issue 10): its sign-in sessions, the worker's last run for its overview, and the
-- indexes behind its pages on a database of a million certificates.

-- One row per signed-in browser. The cookie holds a random id; only its SHA-256 is stored. The
-- session acts as the credential it was opened with, looked up again on every request by that
-- credential's stored hash: a token rolled, disabled or deleted (a user disabled) ends it.
CREATE TABLE console_sessions (
    id_hash          TEXT PRIMARY KEY,          -- hex SHA-256 of the cookie's session id
    account_id       TEXT NOT NULL REFERENCES accounts(id),
    credential       TEXT NOT NULL CHECK (credential IN ('token', 'key')),
    credential_hash  TEXT NOT NULL,             -- api_tokens.secret_hash, or users.key_hash
    email            TEXT NOT NULL,             -- the user's email for 'key', '' for 'token'
    csrf_token       TEXT NOT NULL,             -- sent back with every change, compared in constant time
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL
);
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);

-- The last completed run of each background job, whichever replica ran it.
CREATE TABLE worker_runs (
    name         TEXT PRIMARY KEY,
    holder       TEXT NOT NULL,
    finished_at  BIGINT NOT NULL,
    duration_ms  BIGINT NOT NULL,
    revoked      BIGINT NOT NULL,
    reactivated  BIGINT NOT NULL
);

-- Keyset pages, newest first, of one zone (client_certificates_zone_seq, made by 0010), of one
-- status, and of every certificate (the rowid).
CREATE INDEX client_certificates_status_seq ON client_certificates (status, seq);
-- Search by common-name prefix, in name order (id, serial and fingerprint are indexed already).
CREATE INDEX client_certificates_cn ON client_certificates (common_name, seq);
-- The overview's per-day figures. "Expiring within" pages: (status, expires_on) of 0009
-- does not hold seq on Postgres: one that does keeps those pages in index order.
CREATE INDEX client_certificates_issued ON client_certificates (issued_on);
CREATE INDEX client_certificates_revocations ON client_certificates (revocation_requested_at)
    WHERE revocation_requested_at IS NOT NULL;
CREATE INDEX client_certificates_status_expiry_seq ON client_certificates (status, expires_on, seq);

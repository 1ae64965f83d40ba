-- mtls-ca schema (SQLite). Instants are unix seconds (BIGINT); ids are lowercase hex TEXT.
CREATE TABLE accounts (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE certificate_authorities (
    id               TEXT PRIMARY KEY,             -- UUID, certificate_authority.id on the wire
    account_id       TEXT NOT NULL UNIQUE REFERENCES accounts(id),
    name             TEXT NOT NULL,
    key_algorithm    TEXT NOT NULL,
    certificate_der  BLOB NOT NULL,
    private_key      BLOB NOT NULL,                -- PKCS#8 DER, or EncryptedPrivateKeyInfo DER
    key_encrypted    BOOLEAN NOT NULL,
    not_before       BIGINT NOT NULL,
    not_after        BIGINT NOT NULL,
    created_at       BIGINT NOT NULL
);

CREATE TABLE zones (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts(id),
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (account_id, name)
);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts(id),
    name         TEXT NOT NULL,
    secret_hash  TEXT NOT NULL UNIQUE,             -- hex SHA-256 of the secret; the secret is never stored
    permission   TEXT NOT NULL CHECK (permission IN ('read', 'write')),
    all_zones    BOOLEAN NOT NULL,
    disabled     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   BIGINT NOT NULL
);

CREATE TABLE api_token_zones (
    token_id  TEXT NOT NULL REFERENCES api_tokens(id),
    zone_id   TEXT NOT NULL REFERENCES zones(id),
    PRIMARY KEY (token_id, zone_id)
);

CREATE TABLE users (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts(id),
    email       TEXT NOT NULL UNIQUE,
    key_hash    TEXT NOT NULL UNIQUE,              -- hex SHA-256 of the Global API Key
    disabled    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE client_certificates (
    seq                      INTEGER PRIMARY KEY AUTOINCREMENT,  -- creation order, for listing
    id                       TEXT NOT NULL UNIQUE,
    zone_id                  TEXT NOT NULL REFERENCES zones(id),
    ca_id                    TEXT NOT NULL REFERENCES certificate_authorities(id),
    serial_number            TEXT NOT NULL UNIQUE,
    certificate              TEXT NOT NULL,
    csr                      TEXT NOT NULL,
    common_name              TEXT NOT NULL,
    country                  TEXT NOT NULL,
    state                    TEXT NOT NULL,
    location                 TEXT NOT NULL,
    organization             TEXT NOT NULL,
    organizational_unit      TEXT NOT NULL,
    fingerprint_sha256       TEXT NOT NULL,
    ski                      TEXT NOT NULL,
    signature                TEXT NOT NULL,
    status                   TEXT NOT NULL CHECK (status IN ('active', 'pending_revocation', 'revoked', 'pending_reactivation')),
    validity_days            BIGINT NOT NULL,
    issued_on                BIGINT NOT NULL,
    expires_on               BIGINT NOT NULL,
    status_changed_at        BIGINT NOT NULL,      -- when the current status was requested or reached
    revocation_requested_at  BIGINT                -- when the last DELETE was accepted
);

CREATE INDEX client_certificates_zone_status ON client_certificates (zone_id, status, seq);
CREATE INDEX client_certificates_pending ON client_certificates (status)
    WHERE status IN ('pending_revocation', 'pending_reactivation');

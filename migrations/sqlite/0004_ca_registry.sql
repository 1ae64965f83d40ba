-- A registry of CAs per account: every CA keeps its row and gets a role; exactly one per account is
-- `issuing` (the partial unique index), earlier ones are `retired`, and a CA requested from an
-- outside root is `pending` (a sealed key and a CSR, no certificate yet) until it is installed.
-- SQLite cannot drop the old UNIQUE (account_id) or make columns nullable in place, so the table is
-- rebuilt (https://sqlite.org/lang_altertable.html#otheralter); mtls-ca runs migrations on a
-- connection with foreign keys off, as that procedure requires, so the references of
-- client_certificates and crls survive the swap.
CREATE TABLE certificate_authorities_v4 (
    id               TEXT PRIMARY KEY,             -- UUID, certificate_authority.id on the wire
    account_id       TEXT NOT NULL REFERENCES accounts(id),
    seq              BIGINT NOT NULL,              -- creation order in the account: its ca_generation then
    name             TEXT NOT NULL,
    role             TEXT NOT NULL CHECK (role IN ('issuing', 'retired', 'pending')),
    key_algorithm    TEXT NOT NULL,
    certificate_der  BLOB,                         -- NULL while pending
    chain_pem        TEXT NOT NULL DEFAULT '',     -- the certificates above it, issuer first; '' for a root
    request_pem      TEXT,                         -- the CSR of a requested CA
    private_key      BLOB NOT NULL,                -- PKCS#8 DER, or EncryptedPrivateKeyInfo DER
    key_encrypted    BOOLEAN NOT NULL,
    not_before       BIGINT,                       -- NULL while pending
    not_after        BIGINT,
    created_at       BIGINT NOT NULL,
    activated_at     BIGINT,                       -- when it became the issuing CA
    retired_at       BIGINT                        -- when another one replaced it
);
INSERT INTO certificate_authorities_v4 (id, account_id, seq, name, role, key_algorithm, certificate_der,
    private_key, key_encrypted, not_before, not_after, created_at, activated_at)
SELECT id, account_id, 1, name, 'issuing', key_algorithm, certificate_der, private_key, key_encrypted,
    not_before, not_after, created_at, created_at
FROM certificate_authorities;
DROP TABLE certificate_authorities;
ALTER TABLE certificate_authorities_v4 RENAME TO certificate_authorities;
CREATE UNIQUE INDEX certificate_authorities_one_issuing ON certificate_authorities (account_id)
    WHERE role = 'issuing';
CREATE UNIQUE INDEX certificate_authorities_account ON certificate_authorities (account_id, seq);
-- Bumped first by every change of an account's CAs (which also serialises them), so other processes
-- notice a rotation by polling it; a new CA takes the bumped value as its seq.
ALTER TABLE accounts ADD COLUMN ca_generation BIGINT NOT NULL DEFAULT 0;
UPDATE accounts SET ca_generation = 1
    WHERE EXISTS (SELECT 1 FROM certificate_authorities WHERE account_id = accounts.id);
-- Which CAs still have unexpired certificates (the trust bundle, CRL publication).
CREATE INDEX client_certificates_ca_expiry ON client_certificates (ca_id, expires_on);

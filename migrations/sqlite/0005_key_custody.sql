-- Key custody: a CA's private key is sealed in this table (`local`), or lives in a PKCS#11 token
-- (`pkcs11`) or in a separate signer process (`remote`), which this table then only names (`key_ref`:
-- an RFC 7512 PKCS#11 URI, or the signer's key id). A non-local CA has no private_key here at all.
-- SQLite cannot make private_key nullable in place: the table is rebuilt as in 0004.
CREATE TABLE certificate_authorities_v5 (
    id               TEXT PRIMARY KEY,             -- UUID, certificate_authority.id on the wire
    account_id       TEXT NOT NULL REFERENCES accounts(id),
    seq              BIGINT NOT NULL,              -- creation order in the account: its ca_generation then
    name             TEXT NOT NULL,
    role             TEXT NOT NULL CHECK (role IN ('issuing', 'retired', 'pending')),
    key_algorithm    TEXT NOT NULL,
    certificate_der  BLOB,                         -- NULL while pending
    chain_pem        TEXT NOT NULL DEFAULT '',     -- the certificates above it, issuer first; '' for a root
    request_pem      TEXT,                         -- the CSR of a requested CA
    private_key      BLOB,                         -- local: PKCS#8 DER, or EncryptedPrivateKeyInfo DER
    key_encrypted    BOOLEAN NOT NULL,
    key_custody      TEXT NOT NULL CHECK (key_custody IN ('local', 'pkcs11', 'remote')),
    key_ref          TEXT,                         -- pkcs11: RFC 7512 URI; remote: the signer's key id
    not_before       BIGINT,                       -- NULL while pending
    not_after        BIGINT,
    created_at       BIGINT NOT NULL,
    activated_at     BIGINT,                       -- when it became the issuing CA
    retired_at       BIGINT,                       -- when another one replaced it
    CHECK ((key_custody = 'local' AND private_key IS NOT NULL AND key_ref IS NULL)
        OR (key_custody <> 'local' AND private_key IS NULL AND key_ref IS NOT NULL))
);
INSERT INTO certificate_authorities_v5 (id, account_id, seq, name, role, key_algorithm, certificate_der,
    chain_pem, request_pem, private_key, key_encrypted, key_custody, not_before, not_after, created_at,
    activated_at, retired_at)
SELECT id, account_id, seq, name, role, key_algorithm, certificate_der, chain_pem, request_pem,
    private_key, key_encrypted, 'local', not_before, not_after, created_at, activated_at, retired_at
FROM certificate_authorities;
DROP TABLE certificate_authorities;
ALTER TABLE certificate_authorities_v5 RENAME TO certificate_authorities;
CREATE UNIQUE INDEX certificate_authorities_one_issuing ON certificate_authorities (account_id)
    WHERE role = 'issuing';
CREATE UNIQUE INDEX certificate_authorities_account ON certificate_authorities (account_id, seq);
-- The keys of a signer process (`mtls-ca signer` with the local backend), in the signer's own
-- database: empty in a database `serve` uses.
CREATE TABLE signer_keys (
    id             TEXT PRIMARY KEY,   -- the key reference the signer hands out: the CA id it was made for
    key_algorithm  TEXT NOT NULL,
    public_key     BLOB NOT NULL,      -- subjectPublicKey bits
    private_key    BLOB NOT NULL,      -- PKCS#8 DER, or EncryptedPrivateKeyInfo DER
    key_encrypted  BOOLEAN NOT NULL,
    created_at     BIGINT NOT NULL
);

-- Key custody: a CA's private key is sealed in this table (`local`), or lives in a PKCS#11 token
-- (`pkcs11`) or in a separate signer process (`remote`), which this table then only names (`key_ref`:
-- an RFC 7512 PKCS#11 URI, or the signer's key id). A non-local CA has no private_key here at all.
ALTER TABLE certificate_authorities
    ADD COLUMN key_custody TEXT NOT NULL DEFAULT 'local' CHECK (key_custody IN ('local', 'pkcs11', 'remote')),
    ADD COLUMN key_ref TEXT,
    ALTER COLUMN private_key DROP NOT NULL;
ALTER TABLE certificate_authorities ALTER COLUMN key_custody DROP DEFAULT;
ALTER TABLE certificate_authorities ADD CONSTRAINT certificate_authorities_key_place CHECK (
    (key_custody = 'local' AND private_key IS NOT NULL AND key_ref IS NULL)
    OR (key_custody <> 'local' AND private_key IS NULL AND key_ref IS NOT NULL));
-- The keys of a signer process (`mtls-ca signer` with the local backend), in the signer's own
-- database: empty in a database `serve` uses.
CREATE TABLE signer_keys (
    id             TEXT PRIMARY KEY,   -- the key reference the signer hands out: the CA id it was made for
    key_algorithm  TEXT NOT NULL,
    public_key     BYTEA NOT NULL,     -- subjectPublicKey bits
    private_key    BYTEA NOT NULL,     -- PKCS#8 DER, or EncryptedPrivateKeyInfo DER
    key_encrypted  BOOLEAN NOT NULL,
    created_at     BIGINT NOT NULL
);

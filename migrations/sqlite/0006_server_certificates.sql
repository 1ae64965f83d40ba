-- The API's own TLS server certificates (MTLS_CA_TLS_SELF_ISSUED), issued by the account's CA and
-- shared by every replica; renewed when two thirds of their lifetime have passed. The key is sealed
-- like a CA key (encrypted with MTLS_CA_KEY_PASSPHRASE when set).
CREATE TABLE server_certificates (
    names            TEXT PRIMARY KEY,   -- the DNS names and IPs it is for, sorted, comma-separated
    ca_id            TEXT NOT NULL REFERENCES certificate_authorities(id),
    certificate_pem  TEXT NOT NULL,      -- the certificate, then its CA and the CA's chain
    private_key      BLOB NOT NULL,      -- PKCS#8 DER, or EncryptedPrivateKeyInfo DER
    key_encrypted    BOOLEAN NOT NULL,
    serial_number    TEXT NOT NULL,
    not_before       BIGINT NOT NULL,
    not_after        BIGINT NOT NULL,
    created_at       BIGINT NOT NULL
);

-- Client certificates as credentials (MTLS_CA_TLS_CLIENT_AUTH=optional): a certificate of this CA
-- bound to a token authenticates as that token. A certificate is bound to at most one token.
CREATE TABLE api_token_certificates (
    certificate_id  TEXT PRIMARY KEY REFERENCES client_certificates(id),
    token_id        TEXT NOT NULL REFERENCES api_tokens(id),
    created_at      BIGINT NOT NULL
);
CREATE INDEX api_token_certificates_token ON api_token_certificates (token_id);

-- A presented certificate is found by its fingerprint.
CREATE INDEX client_certificates_fingerprint ON client_certificates (fingerprint_sha256);

-- Revocation publication: one row per CA holding its current CRL, served as stored.
-- last_number hands out CRL numbers (UPDATE ... + 1 RETURNING): never reused, also across replicas.
-- crl_number is the number of the stored CRL, and the version OCSP answers are computed from;
-- the other columns are NULL until the first CRL is stored.
CREATE TABLE crls (
    ca_id               TEXT PRIMARY KEY REFERENCES certificate_authorities(id),
    last_number         BIGINT NOT NULL,
    crl_number          BIGINT,
    der                 BLOB,
    content_hash        TEXT,                  -- hex SHA-256 of the sorted (serial, revocation time) list
    entries             BIGINT,
    this_update         BIGINT,
    next_update         BIGINT,
    content_changed_at  BIGINT                 -- when the list of revoked certificates last changed
);

-- The certificates a CRL is built from, without scanning the active ones.
CREATE INDEX client_certificates_revocation ON client_certificates (ca_id, status)
    WHERE status IN ('revoked', 'pending_revocation', 'pending_reactivation');

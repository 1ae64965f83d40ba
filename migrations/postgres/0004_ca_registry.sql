-- A registry of CAs per account: every CA keeps its row and gets a role; exactly one per account is
-- `issuing` (the partial unique index), earlier ones are `retired`, and a CA requested from an
-- outside root is `pending` (a sealed key and a CSR, no certificate yet) until it is installed.
ALTER TABLE certificate_authorities DROP CONSTRAINT IF EXISTS certificate_authorities_account_id_key;
ALTER TABLE certificate_authorities
    ADD COLUMN seq BIGINT NOT NULL DEFAULT 1,
    ADD COLUMN role TEXT NOT NULL DEFAULT 'issuing' CHECK (role IN ('issuing', 'retired', 'pending')),
    ADD COLUMN chain_pem TEXT NOT NULL DEFAULT '',
    ADD COLUMN request_pem TEXT,
    ADD COLUMN activated_at BIGINT,
    ADD COLUMN retired_at BIGINT,
    ALTER COLUMN certificate_der DROP NOT NULL,
    ALTER COLUMN not_before DROP NOT NULL,
    ALTER COLUMN not_after DROP NOT NULL;
ALTER TABLE certificate_authorities ALTER COLUMN role DROP DEFAULT, ALTER COLUMN seq DROP DEFAULT;
UPDATE certificate_authorities SET activated_at = created_at;
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

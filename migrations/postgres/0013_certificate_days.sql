-- The console overview's per-day figures that cover most certificates, kept as 0010 keeps the
-- counts by status: certificates by the day of their notBefore (issued_on) and by the day of their
-- notAfter (expires_on), whatever their status, per zone. A day is unix seconds / 86400 (UTC).
-- Neither moves when a certificate is revoked or reactivated, so no status change writes here:
-- the overview subtracts the few certificates that are not active (counted from the
-- (status, expires_on) index) to get the active ones expiring, and counts revocation requests
-- from their own partial index.
--
-- Triggers keep it true for every write, plain SQL included, by appending delta rows to
-- client_certificate_day_deltas, a table without an index (an issuance adds two heap rows and
-- nothing else, and concurrent writers never wait on one another); the worker moves them into
-- client_certificate_days, one row per (kind, day, zone), now and then. A figure is the sum over
-- both.
CREATE TABLE client_certificate_days (
    kind     TEXT NOT NULL,      -- 'issued' or 'expiry'
    day      BIGINT NOT NULL,
    zone_id  TEXT NOT NULL,
    n        BIGINT NOT NULL,
    PRIMARY KEY (kind, day, zone_id)
);
CREATE TABLE client_certificate_day_deltas (
    kind     TEXT NOT NULL,
    day      BIGINT NOT NULL,
    zone_id  TEXT NOT NULL,
    n        BIGINT NOT NULL     -- certificates added (or, negative, removed)
);

INSERT INTO client_certificate_days (kind, day, zone_id, n)
    SELECT 'issued', issued_on / 86400, zone_id, count(*) FROM client_certificates GROUP BY 2, 3;
INSERT INTO client_certificate_days (kind, day, zone_id, n)
    SELECT 'expiry', expires_on / 86400, zone_id, count(*) FROM client_certificates GROUP BY 2, 3;

CREATE FUNCTION client_certificates_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        INSERT INTO client_certificate_day_deltas (kind, day, zone_id, n)
            VALUES ('issued', OLD.issued_on / 86400, OLD.zone_id, -1),
                   ('expiry', OLD.expires_on / 86400, OLD.zone_id, -1);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO client_certificate_day_deltas (kind, day, zone_id, n)
            VALUES ('issued', NEW.issued_on / 86400, NEW.zone_id, 1),
                   ('expiry', NEW.expires_on / 86400, NEW.zone_id, 1);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER client_certificates_days_insert AFTER INSERT OR DELETE ON client_certificates
    FOR EACH ROW EXECUTE FUNCTION client_certificates_days();
-- Only plain SQL changes these columns; a status change does not name them and never fires it.
CREATE TRIGGER client_certificates_days_update AFTER UPDATE OF zone_id, issued_on, expires_on ON client_certificates
    FOR EACH ROW WHEN (OLD.zone_id IS DISTINCT FROM NEW.zone_id
                       OR OLD.issued_on / 86400 IS DISTINCT FROM NEW.issued_on / 86400
                       OR OLD.expires_on / 86400 IS DISTINCT FROM NEW.expires_on / 86400)
    EXECUTE FUNCTION client_certificates_days();

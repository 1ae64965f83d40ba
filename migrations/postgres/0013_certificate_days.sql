-- The console overview's per-day figures, kept as 0010 keeps the counts by status: certificates
-- issued per day (issued_on), revocations requested per day (revocation_requested_at, the last
-- request of each certificate) and active certificates by the day their notAfter falls on
-- (expires_on, while status is 'active'), per zone. A day is unix seconds / 86400 (UTC).
-- Triggers keep it true for every write, plain SQL included, by appending delta rows (never
-- updating one in place, so concurrent writers and replicas never wait on one another); the
-- worker folds the deltas of each (kind, day, zone) into one row.
CREATE TABLE client_certificate_days (
    seq      BIGSERIAL PRIMARY KEY,
    kind     TEXT NOT NULL,      -- 'issued', 'revocation' or 'expiry'
    day      BIGINT NOT NULL,
    zone_id  TEXT NOT NULL,
    n        BIGINT NOT NULL     -- certificates added (or, negative, removed)
);
CREATE INDEX client_certificate_days_kind ON client_certificate_days (kind, day, zone_id, n);

INSERT INTO client_certificate_days (kind, day, zone_id, n)
    SELECT 'issued', issued_on / 86400, zone_id, count(*) FROM client_certificates GROUP BY 2, 3;
INSERT INTO client_certificate_days (kind, day, zone_id, n)
    SELECT 'revocation', revocation_requested_at / 86400, zone_id, count(*) FROM client_certificates
    WHERE revocation_requested_at IS NOT NULL GROUP BY 2, 3;
INSERT INTO client_certificate_days (kind, day, zone_id, n)
    SELECT 'expiry', expires_on / 86400, zone_id, count(*) FROM client_certificates
    WHERE status = 'active' GROUP BY 2, 3;

-- An update moves a certificate from the old day to the new one only when its day (or zone)
-- changed: a second revocation request on the same day, or a status change between two
-- non-active states, writes nothing.
CREATE FUNCTION client_certificates_days() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    had_old boolean := TG_OP <> 'INSERT';  -- OLD was counted
    has_new boolean := TG_OP <> 'DELETE';  -- NEW is counted
    issued boolean := true;
    revocation boolean := true;
    expiry boolean := true;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        issued := OLD.zone_id IS DISTINCT FROM NEW.zone_id
            OR OLD.issued_on / 86400 IS DISTINCT FROM NEW.issued_on / 86400;
        revocation := OLD.zone_id IS DISTINCT FROM NEW.zone_id
            OR OLD.revocation_requested_at / 86400 IS DISTINCT FROM NEW.revocation_requested_at / 86400;
        expiry := (OLD.status = 'active') IS DISTINCT FROM (NEW.status = 'active')
            OR (NEW.status = 'active' AND (OLD.zone_id IS DISTINCT FROM NEW.zone_id
                OR OLD.expires_on / 86400 IS DISTINCT FROM NEW.expires_on / 86400));
    END IF;
    IF issued AND had_old THEN
        INSERT INTO client_certificate_days (kind, day, zone_id, n)
            VALUES ('issued', OLD.issued_on / 86400, OLD.zone_id, -1);
    END IF;
    IF issued AND has_new THEN
        INSERT INTO client_certificate_days (kind, day, zone_id, n)
            VALUES ('issued', NEW.issued_on / 86400, NEW.zone_id, 1);
    END IF;
    IF revocation AND had_old AND OLD.revocation_requested_at IS NOT NULL THEN
        INSERT INTO client_certificate_days (kind, day, zone_id, n)
            VALUES ('revocation', OLD.revocation_requested_at / 86400, OLD.zone_id, -1);
    END IF;
    IF revocation AND has_new AND NEW.revocation_requested_at IS NOT NULL THEN
        INSERT INTO client_certificate_days (kind, day, zone_id, n)
            VALUES ('revocation', NEW.revocation_requested_at / 86400, NEW.zone_id, 1);
    END IF;
    IF expiry AND had_old AND OLD.status = 'active' THEN
        INSERT INTO client_certificate_days (kind, day, zone_id, n)
            VALUES ('expiry', OLD.expires_on / 86400, OLD.zone_id, -1);
    END IF;
    IF expiry AND has_new AND NEW.status = 'active' THEN
        INSERT INTO client_certificate_days (kind, day, zone_id, n)
            VALUES ('expiry', NEW.expires_on / 86400, NEW.zone_id, 1);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER client_certificates_days_insert AFTER INSERT OR DELETE ON client_certificates
    FOR EACH ROW EXECUTE FUNCTION client_certificates_days();
CREATE TRIGGER client_certificates_days_update
    AFTER UPDATE OF zone_id, status, issued_on, expires_on, revocation_requested_at ON client_certificates
    FOR EACH ROW WHEN (OLD.zone_id IS DISTINCT FROM NEW.zone_id OR OLD.status IS DISTINCT FROM NEW.status
                       OR OLD.issued_on IS DISTINCT FROM NEW.issued_on
                       OR OLD.expires_on IS DISTINCT FROM NEW.expires_on
                       OR OLD.revocation_requested_at IS DISTINCT FROM NEW.revocation_requested_at)
    EXECUTE FUNCTION client_certificates_days();

-- The console overview's per-day figures, kept as 0010 keeps the counts by status: certificates
-- issued per day (issued_on), revocations requested per day (revocation_requested_at, the last
-- request of each certificate) and active certificates by the day their notAfter falls on
-- (expires_on, while status is 'active'), per zone. A day is unix seconds / 86400 (UTC).
-- Triggers keep it true for every write, plain SQL included, by appending delta rows (never
-- updating one in place); the worker folds the deltas of each (kind, day, zone) into one row.
CREATE TABLE client_certificate_days (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    kind     TEXT NOT NULL,      -- 'issued', 'revocation' or 'expiry'
    day      INTEGER NOT NULL,
    zone_id  TEXT NOT NULL,
    n        INTEGER NOT NULL    -- certificates added (or, negative, removed)
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

CREATE TRIGGER client_certificates_days_insert AFTER INSERT ON client_certificates
BEGIN
    INSERT INTO client_certificate_days (kind, day, zone_id, n)
        SELECT 'issued', NEW.issued_on / 86400, NEW.zone_id, 1
        UNION ALL SELECT 'revocation', NEW.revocation_requested_at / 86400, NEW.zone_id, 1
            WHERE NEW.revocation_requested_at IS NOT NULL
        UNION ALL SELECT 'expiry', NEW.expires_on / 86400, NEW.zone_id, 1 WHERE NEW.status = 'active';
END;

CREATE TRIGGER client_certificates_days_delete AFTER DELETE ON client_certificates
BEGIN
    INSERT INTO client_certificate_days (kind, day, zone_id, n)
        SELECT 'issued', OLD.issued_on / 86400, OLD.zone_id, -1
        UNION ALL SELECT 'revocation', OLD.revocation_requested_at / 86400, OLD.zone_id, -1
            WHERE OLD.revocation_requested_at IS NOT NULL
        UNION ALL SELECT 'expiry', OLD.expires_on / 86400, OLD.zone_id, -1 WHERE OLD.status = 'active';
END;

-- An update moves a certificate from the old day to the new one only when its day (or zone)
-- changed: a second revocation request on the same day, or a status change between two
-- non-active states, writes nothing.
CREATE TRIGGER client_certificates_days_issued AFTER UPDATE OF zone_id, issued_on ON client_certificates
    WHEN OLD.zone_id IS NOT NEW.zone_id OR OLD.issued_on / 86400 IS NOT NEW.issued_on / 86400
BEGIN
    INSERT INTO client_certificate_days (kind, day, zone_id, n)
        VALUES ('issued', OLD.issued_on / 86400, OLD.zone_id, -1),
               ('issued', NEW.issued_on / 86400, NEW.zone_id, 1);
END;

CREATE TRIGGER client_certificates_days_revocation
    AFTER UPDATE OF zone_id, revocation_requested_at ON client_certificates
    WHEN OLD.zone_id IS NOT NEW.zone_id
        OR OLD.revocation_requested_at / 86400 IS NOT NEW.revocation_requested_at / 86400
BEGIN
    INSERT INTO client_certificate_days (kind, day, zone_id, n)
        SELECT 'revocation', OLD.revocation_requested_at / 86400, OLD.zone_id, -1
            WHERE OLD.revocation_requested_at IS NOT NULL
        UNION ALL SELECT 'revocation', NEW.revocation_requested_at / 86400, NEW.zone_id, 1
            WHERE NEW.revocation_requested_at IS NOT NULL;
END;

CREATE TRIGGER client_certificates_days_expiry AFTER UPDATE OF zone_id, status, expires_on ON client_certificates
    WHEN (OLD.status = 'active') IS NOT (NEW.status = 'active')
        OR (NEW.status = 'active'
            AND (OLD.zone_id IS NOT NEW.zone_id OR OLD.expires_on / 86400 IS NOT NEW.expires_on / 86400))
BEGIN
    INSERT INTO client_certificate_days (kind, day, zone_id, n)
        SELECT 'expiry', OLD.expires_on / 86400, OLD.zone_id, -1 WHERE OLD.status = 'active'
        UNION ALL SELECT 'expiry', NEW.expires_on / 86400, NEW.zone_id, 1 WHERE NEW.status = 'active';
END;

-- How many certificates each zone holds per status, in blocks of 4096 creation sequence numbers,
-- so a list finds its total_count and the start of any page without counting or skipping rows:
-- it adds up at most a few hundred block counts, then skips fewer than 4096 rows of one block.
-- Triggers keep it true for every write, plain SQL included; each change appends a delta row (no
-- row is ever updated in place, so concurrent writers and replicas never wait on one another),
-- and the worker folds the deltas of each block into one row now and then.
CREATE TABLE client_certificate_counts (
    seq      BIGSERIAL PRIMARY KEY,
    zone_id  TEXT NOT NULL,
    status   TEXT NOT NULL,
    block    BIGINT NOT NULL,    -- client_certificates.seq / 4096
    n        BIGINT NOT NULL     -- certificates added (or, negative, removed)
);
CREATE INDEX client_certificate_counts_zone ON client_certificate_counts (zone_id, status, block, n);

INSERT INTO client_certificate_counts (zone_id, status, block, n)
    SELECT zone_id, status, seq / 4096, count(*) FROM client_certificates GROUP BY 1, 2, 3;

CREATE FUNCTION client_certificates_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO client_certificate_counts (zone_id, status, block, n)
            VALUES (OLD.zone_id, OLD.status, OLD.seq / 4096, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO client_certificate_counts (zone_id, status, block, n)
            VALUES (NEW.zone_id, NEW.status, NEW.seq / 4096, 1);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER client_certificates_counted_insert AFTER INSERT OR DELETE ON client_certificates
    FOR EACH ROW EXECUTE FUNCTION client_certificates_counted();
CREATE TRIGGER client_certificates_counted_update AFTER UPDATE OF zone_id, status, seq ON client_certificates
    FOR EACH ROW WHEN (OLD.zone_id IS DISTINCT FROM NEW.zone_id OR OLD.status IS DISTINCT FROM NEW.status
                       OR OLD.seq IS DISTINCT FROM NEW.seq)
    EXECUTE FUNCTION client_certificates_counted();

-- A zone's certificates in creation order, for the list without a status filter.
CREATE INDEX client_certificates_zone_seq ON client_certificates (zone_id, seq);

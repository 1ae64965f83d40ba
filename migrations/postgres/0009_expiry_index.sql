-- Active certificates by expiry: the /metrics gauges of certificates expiring within 7 and 30 days
-- count a range of this index.
CREATE INDEX client_certificates_status_expiry ON client_certificates (status, expires_on);

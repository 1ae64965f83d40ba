-- One row per job that must run on exactly one replica at a time. The holder renews its lease on
-- every run; another replica takes over once `expires_at` (unix seconds) has passed.
CREATE TABLE worker_leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);

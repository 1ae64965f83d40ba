-- A deleted zone that kept certificates (all revoked or being revoked: certificates are never
-- deleted) stays as a row for them to point at, with the time it was deleted; its name is then
-- prefixed with its id and a space (no live zone name has a space), so the name is free again.
-- An empty zone is deleted outright, as before.
ALTER TABLE zones ADD COLUMN deleted_at BIGINT;

//! Certificates about to expire, for `/metrics`: active certificates whose notAfter falls within the
//! next 7 and 30 days, counted by the worker at most once a minute (one index range each).

use super::Services;
use crate::db::certificates as repo;
use crate::error::Result;
use crate::metrics::EXPIRY_WINDOWS_DAYS;

impl Services {
    /// Counts the active certificates expiring within each window when the last count is a minute
    /// old, and sets `mtls_ca_certificates_expiring{within_days}`.
    pub async fn count_expiring(&self, now: i64) -> Result<()> {
        if !self.metrics.expiring_due(now) {
            return Ok(());
        }
        let bounds: Vec<i64> = EXPIRY_WINDOWS_DAYS
            .iter()
            .map(|days| now + days * 86_400)
            .collect();
        let counts = repo::count_active_expiring(&self.db, now, &bounds).await?;
        self.metrics.record_expiring(&counts);
        Ok(())
    }
}

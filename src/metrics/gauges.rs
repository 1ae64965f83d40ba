//! The gauges set from the state of the CAs, their CRLs and the certificates about to expire.

use std::sync::atomic::Ordering;

use super::labels::{CaLabels, CrlLabels, WindowLabels};
use super::{Metrics, EXPIRING_RECOUNT_SECONDS, EXPIRY_WINDOWS_DAYS};

impl Metrics {
    /// Sets the seconds to expiry of every CA: `(id, role, notAfter)`, at `now`. A CA no longer
    /// listed (or whose role changed) stops being reported.
    pub fn record_ca_expiry(&self, cas: &[(String, &str, i64)], now: i64) {
        self.ca_expiry.clear();
        for (ca_id, role, not_after) in cas {
            self.ca_expiry
                .get_or_create(&CaLabels {
                    ca_id: ca_id.clone(),
                    role: (*role).to_owned(),
                })
                .set(not_after - now);
        }
    }

    /// Whether the expiring certificates are due to be counted again at `now` (at most once a
    /// minute); when true, the caller counts and calls [`Metrics::record_expiring`].
    pub fn expiring_due(&self, now: i64) -> bool {
        let last = self.expiring_counted_at.load(Ordering::Relaxed);
        now.saturating_sub(last) >= EXPIRING_RECOUNT_SECONDS
            && self
                .expiring_counted_at
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }

    /// Sets the count of active certificates expiring within each of [`EXPIRY_WINDOWS_DAYS`].
    pub fn record_expiring(&self, counts: &[i64]) {
        for (days, n) in EXPIRY_WINDOWS_DAYS.iter().zip(counts) {
            self.expiring
                .get_or_create(&WindowLabels {
                    within_days: days.to_string(),
                })
                .set(*n);
        }
    }

    /// Sets the age and the seconds to nextUpdate of each live CA's current CRL, `(ca id,
    /// thisUpdate, nextUpdate)`, at `now`; a CA no longer listed stops being reported.
    pub fn record_crl_freshness(&self, crls: &[(&str, i64, i64)], now: i64) {
        self.crl_age.clear();
        self.crl_next_update.clear();
        for (ca_id, this_update, next_update) in crls {
            let labels = CrlLabels {
                ca_id: (*ca_id).to_owned(),
            };
            self.crl_age.get_or_create(&labels).set(now - this_update);
            self.crl_next_update
                .get_or_create(&labels)
                .set(next_update - now);
        }
    }
}

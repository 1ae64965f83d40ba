//! The console's overview: certificates by status, issued and revoked per day (30 days), active
//! ones expiring per week (12 weeks), the CAs, each live CA's CRL, and the worker's last run; over
//! the zones the caller may read.

use super::auth::Caller;
use super::crl_status::CrlFreshness;
use super::{CaEntry, Services};
use crate::db::console_stats as repo;
use crate::db::worker_runs::{self, WorkerRun};
use crate::error::Result;
use crate::model::CertStatus;

const DAY: i64 = 86_400;
/// Days of the per-day charts.
pub const DAYS: i64 = 30;
/// Weeks of the expiry chart.
pub const WEEKS: i64 = 12;

/// What the overview shows.
#[derive(Debug, Clone)]
pub struct Overview {
    /// Certificates per status, every status listed.
    pub by_status: Vec<(CertStatus, i64)>,
    /// The first instant of the per-day charts (midnight UTC, 29 days ago).
    pub days_from: i64,
    /// Issued per day, oldest day first.
    pub issued_per_day: Vec<i64>,
    /// Revocations requested per day, oldest day first.
    pub revoked_per_day: Vec<i64>,
    /// Active certificates expiring in each of the next weeks, from now.
    pub expiring_per_week: Vec<i64>,
    /// Every CA of the account.
    pub cas: Vec<std::sync::Arc<CaEntry>>,
    /// The stored CRL of each live CA.
    pub crls: Vec<CrlFreshness>,
    /// The worker's last completed run.
    pub worker: Option<WorkerRun>,
}

fn spread(rows: Vec<(i64, i64)>, len: i64) -> Vec<i64> {
    let mut out = vec![0; usize::try_from(len).unwrap_or(0)];
    for (i, n) in rows {
        if let Some(slot) = usize::try_from(i).ok().and_then(|i| out.get_mut(i)) {
            *slot += n;
        }
    }
    out
}

impl Services {
    /// The overview at `now`.
    pub async fn overview(&self, caller: &Caller, now: i64) -> Result<Overview> {
        let zones = self.readable_zones(caller).await?;
        let zones = zones.as_deref();
        let days_from = (now / DAY - (DAYS - 1)) * DAY;
        let (counts, issued, revoked, expiring) = tokio::try_join!(
            repo::counts_by_status(&self.db, zones),
            repo::issued_per_day(&self.db, days_from, zones),
            repo::revocations_per_day(&self.db, days_from, zones),
            repo::expiring_per_week(&self.db, now, now + WEEKS * 7 * DAY, zones),
        )?;
        let by_status = CertStatus::ALL
            .into_iter()
            .map(|s| {
                let n = counts
                    .iter()
                    .find(|(name, _)| name == s.as_str())
                    .map_or(0, |(_, n)| *n);
                (s, n)
            })
            .collect();
        Ok(Overview {
            by_status,
            days_from,
            issued_per_day: spread(issued, DAYS),
            revoked_per_day: spread(revoked, DAYS),
            expiring_per_week: spread(expiring, WEEKS),
            cas: self.cas.all(),
            crls: self.crl_freshness(now).await?,
            worker: worker_runs::last(&self.db, crate::worker::LEASE).await?,
        })
    }
}

//! The console's overview: certificates by status, issued and revoked per day (30 days), active
//! ones expiring per week (12 weeks), the CAs, each live CA's CRL, and the worker's last run; over
//! the zones the caller may read. The certificate figures come from the counts the triggers keep
//! and from index ranges over the certificates revoked lately (`db::console_stats`), at the same
//! cost on any number of certificates; [`Services::figures_kept_and_counted`] counts them again,
//! to check that they are true.

use super::auth::Caller;
use super::crl_status::CrlFreshness;
use super::{CaEntry, Services};
use crate::db::console_stats::{self as repo, counted, DayKind, Standing, DAY};
use crate::db::worker_runs::{self, WorkerRun};
use crate::error::Result;
use crate::model::CertStatus;

/// Days of the per-day charts.
pub const DAYS: i64 = 30;
/// Weeks of the expiry chart.
pub const WEEKS: i64 = 12;

/// The overview's certificate figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figures {
    /// Certificates per status, every status listed.
    pub by_status: Vec<(CertStatus, i64)>,
    /// The first instant of the per-day charts (midnight UTC, 29 days ago).
    pub days_from: i64,
    /// Issued per day, oldest day first.
    pub issued_per_day: Vec<i64>,
    /// Revocations requested per day, oldest day first.
    pub revoked_per_day: Vec<i64>,
    /// Active certificates expiring in each of the next weeks: the first from now to the end of
    /// the sixth day after today (UTC), each next one the seven days after.
    pub expiring_per_week: Vec<i64>,
}

/// What the overview shows.
#[derive(Debug, Clone)]
pub struct Overview {
    /// Certificates by status, per day and per week.
    pub figures: Figures,
    /// Every CA of the account.
    pub cas: Vec<std::sync::Arc<CaEntry>>,
    /// The stored CRL of each live CA.
    pub crls: Vec<CrlFreshness>,
    /// The worker's last completed run.
    pub worker: Option<WorkerRun>,
}

/// `(index, n)` rows into `len` slots (`index` = `(key - base) / width`).
fn spread(rows: Vec<(i64, i64)>, base: i64, width: i64, len: i64) -> Vec<i64> {
    let mut out = vec![0; usize::try_from(len).unwrap_or(0)];
    for (key, n) in rows {
        let i = (key - base).div_euclid(width);
        if let Some(slot) = usize::try_from(i).ok().and_then(|i| out.get_mut(i)) {
            *slot += n;
        }
    }
    out
}

/// The figures from `(key, n)` rows: issuances and revocations by day from `first`, expiries
/// by day from `today`.
fn figures(
    counts: Vec<(String, i64)>,
    first: i64,
    issued: Vec<(i64, i64)>,
    revoked: Vec<(i64, i64)>,
    today: i64,
    expiring: Vec<(i64, i64)>,
) -> Figures {
    Figures {
        by_status: by_status(&counts),
        days_from: first * DAY,
        issued_per_day: spread(issued, first, 1, DAYS),
        revoked_per_day: spread(revoked, first, 1, DAYS),
        expiring_per_week: spread(expiring, today, 7, WEEKS),
    }
}

fn by_status(counts: &[(String, i64)]) -> Vec<(CertStatus, i64)> {
    CertStatus::ALL
        .into_iter()
        .map(|s| {
            let n = counts
                .iter()
                .filter(|(name, _)| name == s.as_str())
                .map(|(_, n)| *n)
                .sum();
            (s, n)
        })
        .collect()
}

impl Services {
    /// The overview at `now`.
    pub async fn overview(&self, caller: &Caller, now: i64) -> Result<Overview> {
        let zones = self.readable_zones(caller).await?;
        let (figures, crls, worker) = tokio::try_join!(
            self.figures(zones.as_deref(), now),
            self.crl_freshness(now),
            async { Ok(worker_runs::last(&self.db, crate::worker::LEASE).await?) },
        )?;
        Ok(Overview {
            figures,
            cas: self.cas.all(),
            crls,
            worker,
        })
    }

    /// The figures from the kept counts: certificates by status, and by issuance day; the active
    /// ones expiring on each whole day are all expiring then (kept) less those not active
    /// (counted); revocation requests, and what is left of today in the expiry chart, are counted
    /// from their indexes.
    async fn figures(&self, zones: Option<&[String]>, now: i64) -> Result<Figures> {
        let today = now.div_euclid(DAY);
        let first = today - (DAYS - 1);
        let (until_day, tomorrow) = (today + 7 * WEEKS, (today + 1) * DAY);
        let (counts, issued, revoked, all, not_active, rest_of_today) = tokio::try_join!(
            repo::counts_by_status(&self.db, zones),
            repo::per_day(&self.db, DayKind::Issued, first, today + 1, zones),
            repo::revocations_per_day(&self.db, first, today + 1, zones),
            repo::per_day(&self.db, DayKind::Expiry, today + 1, until_day, zones),
            repo::expiring_per_day(
                &self.db,
                Standing::NotActive,
                tomorrow,
                until_day * DAY,
                zones
            ),
            repo::expiring_per_day(&self.db, Standing::Active, now, tomorrow, zones),
        )?;
        let mut expiring = all;
        expiring.extend(not_active.into_iter().map(|(day, n)| (day, -n)));
        expiring.extend(rest_of_today);
        Ok(figures(counts, first, issued, revoked, today, expiring))
    }

    /// The overview's figures over the zones `caller` may read as the overview shows them (kept),
    /// and the same counted from the certificates themselves (slow on a big database): the two
    /// are equal whenever the triggers are right.
    pub async fn figures_kept_and_counted(
        &self,
        caller: &Caller,
        now: i64,
    ) -> Result<(Figures, Figures)> {
        let zones = self.readable_zones(caller).await?;
        let zones = zones.as_deref();
        let today = now.div_euclid(DAY);
        let first = today - (DAYS - 1);
        let until = (today + 7 * WEEKS) * DAY;
        let counts = counted::counts_by_status(&self.db, zones).await?;
        let issued = counted::per_day(&self.db, DayKind::Issued, first, today + 1, zones).await?;
        let revoked = repo::revocations_per_day(&self.db, first, today + 1, zones).await?;
        let expiring =
            repo::expiring_per_day(&self.db, Standing::Active, now, until, zones).await?;
        let counted = figures(counts, first, issued, revoked, today, expiring);
        Ok((self.figures(zones, now).await?, counted))
    }
}

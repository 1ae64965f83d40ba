//! The background worker: publishes the CRL of every live CA (the issuing one, and each retired one
//! while a certificate it issued is unexpired), then carries `pending_revocation` to `revoked` and
//! `pending_reactivation` to `active`. `run_once` is idempotent and called directly by tests; the
//! scheduler only calls it.
//!
//! Publish first, flip second: a certificate reads `revoked` only once the stored CRL (which OCSP
//! answers from) lists it, and `active` again only once it no longer does. A crash between the two
//! steps leaves certificates pending and already published; the next run finds the CRL current
//! and flips them.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::Mutex;
use tokio_cron_scheduler::{Job, JobScheduler};

use crate::clock;
use crate::db::crl::RevocationRow;
use crate::model::CertStatus;
use crate::service::Services;

/// Most certificates moved per status per run; the rest wait for the next run.
pub const BATCH: i64 = 10_000;

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Certificates moved to `revoked`.
    pub revoked: u64,
    /// Certificates moved to `active`.
    pub reactivated: u64,
}

/// One pass: publish the CRL from one snapshot of the revocation state, then move the pending
/// certificates it already accounts for, each by compare-and-set (a DELETE or PATCH that lands
/// meanwhile is never overwritten) and only while that CRL is still the stored one.
pub async fn run_once(s: &Services, now: i64) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let mut outcome = Outcome::default();
    for ca in s.cas.live(now).await.context("listing the live CAs")? {
        let publication = s
            .publish_crl(&ca.id, now)
            .await
            .with_context(|| format!("publishing the CRL of CA {}", ca.id))?;
        let Some(p) = publication else {
            continue;
        };
        outcome.revoked += complete(
            s,
            &p.to_revoke,
            CertStatus::Revoked,
            p.crl_number,
            p.content_changed_at,
            now,
        )
        .await?;
        outcome.reactivated += complete(
            s,
            &p.to_reactivate,
            CertStatus::Active,
            p.crl_number,
            p.content_changed_at,
            now,
        )
        .await?;
    }
    s.metrics
        .record_transitions(CertStatus::Revoked.as_str(), outcome.revoked);
    s.metrics
        .record_transitions(CertStatus::Active.as_str(), outcome.reactivated);
    s.count_expiring(now)
        .await
        .context("counting expiring certificates")?;
    s.fold_certificate_counts()
        .await
        .context("folding the certificate counts")?;
    let elapsed = started.elapsed();
    s.metrics.record_worker_run(elapsed.as_secs_f64());
    s.record_run(LEASE, now, elapsed, outcome.revoked, outcome.reactivated)
        .await
        .context("recording the worker's run")?;
    s.forget_ended_sessions(now)
        .await
        .context("forgetting ended console sessions")?;
    Ok(outcome)
}

/// Flips up to [`BATCH`] of `certs` to `to`; each successful flip observes how long its request
/// waited for the publication (`published_at`) that made it true.
async fn complete(
    s: &Services,
    certs: &[RevocationRow],
    to: CertStatus,
    crl_number: i64,
    published_at: i64,
    now: i64,
) -> anyhow::Result<u64> {
    let mut moved = 0;
    for cert in certs
        .iter()
        .take(usize::try_from(BATCH).unwrap_or(usize::MAX))
    {
        if s.complete_published(cert, to, crl_number, now)
            .await
            .with_context(|| format!("moving {} to {}", cert.id, to.as_str()))?
        {
            moved += 1;
            s.metrics
                .record_revocation_latency(to.as_str(), published_at - cert.status_changed_at);
        }
    }
    Ok(moved)
}

/// The lease that makes one replica at a time run the worker.
pub const LEASE: &str = "worker";

/// One scheduled tick: notices a change of the CAs made by another process (every replica does, so
/// each issues from a new CA within one interval of a rotation), takes (or renews) the worker lease
/// for `lease_secs`, and runs `run_once` only when this replica holds it; then logs, as errors,
/// the CRLs nobody re-signed in time. Returns `None` when another replica holds the lease.
pub async fn tick(s: &Services, now: i64, lease_secs: i64) -> anyhow::Result<Option<Outcome>> {
    if s.cas.refresh().await.context("refreshing the CAs")? {
        tracing::info!(issuing = ?s.cas.issuing().ok().map(|c| c.id.clone()), "the CAs changed");
        s.cas
            .load_signers()
            .await
            .context("loading the keys of new CAs")?;
    }
    let held = s
        .take_lease(LEASE, now, now + lease_secs)
        .await
        .context("taking the worker lease")?;
    let outcome = if held {
        run_once(s, now).await.map(Some)
    } else {
        Ok(None)
    };
    // Every replica watches the CRLs (also after a failed run), so a worker that cannot sign, or
    // a lease holder that stopped working, is noticed.
    if let Err(e) = s.log_late_crls(now).await {
        tracing::warn!(error = %e, "cannot check how fresh the CRLs are");
    }
    outcome
}

/// Runs `tick` every `interval` until `shutdown` completes, then gives the lease up.
/// Overlapping ticks are skipped. A replica that dies loses the lease after three intervals.
pub async fn run_scheduled(
    services: Arc<Services>,
    interval: Duration,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let mut scheduler = JobScheduler::new()
        .await
        .context("creating the scheduler")?;
    let busy = Arc::new(Mutex::new(()));
    let lease_secs = i64::try_from(interval.as_secs().saturating_mul(3).max(3)).unwrap_or(i64::MAX);
    let for_release = services.clone();
    let busy_release = busy.clone();
    let job = Job::new_repeated_async(interval, move |_id, _sched| {
        let (services, busy) = (services.clone(), busy.clone());
        Box::pin(async move {
            let Ok(_guard) = busy.try_lock() else {
                return;
            };
            match tick(&services, clock::now(), lease_secs).await {
                Ok(Some(o)) if o != Outcome::default() => {
                    tracing::info!(
                        revoked = o.revoked,
                        reactivated = o.reactivated,
                        "worker run"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = format!("{e:#}"), "worker run failed"),
            }
        })
    })
    .context("creating the worker job")?;
    scheduler.add(job).await.context("scheduling the worker")?;
    scheduler.start().await.context("starting the scheduler")?;
    shutdown.await;
    scheduler
        .shutdown()
        .await
        .context("stopping the scheduler")?;
    // Wait for a run in progress, then hand the lease on.
    let _idle = busy_release.lock().await;
    if let Err(e) = for_release.release_lease(LEASE).await {
        tracing::warn!(error = %e, "could not release the worker lease");
    }
    Ok(())
}

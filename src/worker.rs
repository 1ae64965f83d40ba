//! The background worker: carries `pending_revocation` to `revoked` and `pending_reactivation` to
//! `active`. `run_once` is idempotent and called directly by tests; the scheduler only calls it.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::Mutex;
use tokio_cron_scheduler::{Job, JobScheduler};

use crate::clock;
use crate::db::certificates as repo;
use crate::db::leases;
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

/// One pass: every pending certificate is moved by compare-and-set, so a DELETE or PATCH that
/// lands meanwhile is never overwritten.
pub async fn run_once(s: &Services, now: i64) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let revoked = complete(s, CertStatus::PendingRevocation, CertStatus::Revoked, now).await?;
    let reactivated = complete(s, CertStatus::PendingReactivation, CertStatus::Active, now).await?;
    s.metrics
        .record_transitions(CertStatus::Revoked.as_str(), revoked);
    s.metrics
        .record_transitions(CertStatus::Active.as_str(), reactivated);
    s.metrics.record_worker_run(started.elapsed().as_secs_f64());
    Ok(Outcome {
        revoked,
        reactivated,
    })
}

async fn complete(s: &Services, from: CertStatus, to: CertStatus, now: i64) -> anyhow::Result<u64> {
    let pending = repo::pending(&s.db, from.as_str(), BATCH)
        .await
        .with_context(|| format!("listing {} certificates", from.as_str()))?;
    let mut moved = 0;
    for cert in pending {
        if repo::complete_transition(&s.db, &cert.id, from.as_str(), to.as_str(), now)
            .await
            .with_context(|| format!("moving {} to {}", cert.id, to.as_str()))?
        {
            moved += 1;
        }
    }
    Ok(moved)
}

/// The lease that makes one replica at a time run the worker.
pub const LEASE: &str = "worker";

/// One scheduled tick: takes (or renews) the worker lease for `lease_secs`, and runs `run_once`
/// only when this replica holds it. Returns `None` when another replica holds the lease.
pub async fn tick(s: &Services, now: i64, lease_secs: i64) -> anyhow::Result<Option<Outcome>> {
    let held = leases::acquire(&s.db, LEASE, &s.instance_id, now, now + lease_secs)
        .await
        .context("taking the worker lease")?;
    if !held {
        return Ok(None);
    }
    run_once(s, now).await.map(Some)
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
    if let Err(e) = leases::release(&for_release.db, LEASE, &for_release.instance_id).await {
        tracing::warn!(error = %e, "could not release the worker lease");
    }
    Ok(())
}

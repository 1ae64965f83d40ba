//! The background worker's steps that touch storage, so that `worker` calls services only: the
//! lease that makes one replica at a time run it, each certificate's move once its CRL is stored,
//! the record of a run for the console, and forgetting ended console sessions.

use std::time::Duration;

use super::Services;
use crate::db::crl::{self, RevocationRow};
use crate::db::worker_runs::{self, WorkerRun};
use crate::db::{leases, sessions};
use crate::error::Result;
use crate::model::CertStatus;

impl Services {
    /// Takes (or renews) the lease `name` for this replica until `until`; whether it holds it.
    pub async fn take_lease(&self, name: &str, now: i64, until: i64) -> Result<bool> {
        Ok(leases::acquire(&self.db, name, &self.instance_id, now, until).await?)
    }

    /// Gives the lease `name` up, when this replica holds it.
    pub async fn release_lease(&self, name: &str) -> Result<()> {
        Ok(leases::release(&self.db, name, &self.instance_id).await?)
    }

    /// Moves `cert` to `to` when it is still in the state it was published in and CRL
    /// `crl_number` of its CA is still the stored one; whether it moved.
    pub async fn complete_published(
        &self,
        cert: &RevocationRow,
        to: CertStatus,
        crl_number: i64,
        now: i64,
    ) -> Result<bool> {
        Ok(crl::complete_published(&self.db, &cert.id, cert.status, to, now, crl_number).await?)
    }

    /// Records a completed run of the job `name` by this replica, for the console's overview.
    pub async fn record_run(
        &self,
        name: &str,
        finished_at: i64,
        took: Duration,
        revoked: u64,
        reactivated: u64,
    ) -> Result<()> {
        let run = WorkerRun {
            name: name.to_owned(),
            holder: self.instance_id.clone(),
            finished_at,
            duration_ms: i64::try_from(took.as_millis()).unwrap_or(i64::MAX),
            revoked: i64::try_from(revoked).unwrap_or(i64::MAX),
            reactivated: i64::try_from(reactivated).unwrap_or(i64::MAX),
        };
        Ok(worker_runs::record(&self.db, &run).await?)
    }

    /// Forgets the console sessions that ended before `now`; how many.
    pub async fn forget_ended_sessions(&self, now: i64) -> Result<u64> {
        Ok(sessions::delete_expired(&self.db, now).await?)
    }
}

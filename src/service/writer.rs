//! The batching writer: one task commits many issued certificates per transaction.
//!
//! Requests hand their row to the writer and wait for its answer, so a 200 still means committed;
//! under load the writer drains everything queued and commits it at once, which costs one fsync
//! for the whole batch instead of one per certificate, and leaves SQLite a single writer.

use tokio::sync::{mpsc, oneshot};

use crate::db::audit::AuditRow;
use crate::db::certificates::{insert_batch, CertRow};
use crate::db::{Db, DbError};
use crate::error::{Error, Result};

type Job = (CertRow, AuditRow, oneshot::Sender<Result<()>>);

/// The handle requests use to have a row committed.
#[derive(Clone)]
pub struct CertWriter {
    tx: mpsc::Sender<Job>,
}

impl CertWriter {
    /// Starts the writer task on the current runtime; it ends when every handle is dropped.
    pub fn spawn(db: Db, max_batch: usize) -> Self {
        let (tx, rx) = mpsc::channel(max_batch.max(1) * 4);
        tokio::spawn(run(db, rx, max_batch.max(1)));
        Self { tx }
    }

    /// Commits the row with its audit entry; returns once both are durable (or failed).
    pub async fn insert(&self, row: CertRow, audit: AuditRow) -> Result<()> {
        let (done, answer) = oneshot::channel();
        self.tx
            .send((row, audit, done))
            .await
            .map_err(|_| Error::Unavailable("the certificate writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| Error::Internal("the certificate writer dropped a request".into()))?
    }
}

async fn run(db: Db, mut rx: mpsc::Receiver<Job>, max_batch: usize) {
    let mut batch: Vec<Job> = Vec::with_capacity(max_batch);
    while rx.recv_many(&mut batch, max_batch).await > 0 {
        let rows: Vec<CertRow> = batch.iter().map(|(row, _, _)| row.clone()).collect();
        let audits: Vec<AuditRow> = batch.iter().map(|(_, a, _)| a.clone()).collect();
        match insert_batch(&db, &rows, &audits).await {
            Ok(()) => {
                for (_, _, done) in batch.drain(..) {
                    let _ = done.send(Ok(()));
                }
            }
            // One bad row must not fail its neighbours: retry each alone so each gets its own answer.
            Err(err) if batch.len() > 1 => {
                tracing::warn!(error = %err, size = batch.len(), "batch insert failed; retrying rows one by one");
                for (row, audit, done) in batch.drain(..) {
                    let result = insert_batch(
                        &db,
                        std::slice::from_ref(&row),
                        std::slice::from_ref(&audit),
                    )
                    .await;
                    let _ = done.send(result.map_err(to_error));
                }
            }
            Err(err) => {
                if let Some((_, _, done)) = batch.pop() {
                    let _ = done.send(Err(to_error(err)));
                }
            }
        }
    }
}

fn to_error(err: DbError) -> Error {
    match err {
        DbError::Unavailable(m) => Error::Unavailable(m),
        // The zone was deleted while the certificate was being signed.
        DbError::ForeignKeyViolation => Error::NotFound,
        other => Error::Internal(format!("storing a certificate: {other}")),
    }
}

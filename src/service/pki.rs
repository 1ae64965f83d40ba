//! Revocation publication: the CA certificate, and the CRL that the worker publishes before it
//! flips any status (see [`crate::worker`]).
//!
//! What is revoked is what the stored CRL lists: certificates `revoked` or `pending_revocation`
//! when it was built. OCSP answers from the same stored CRL (`pki_ocsp`), so the CRL and OCSP never
//! disagree, and a status flip that follows a publication is true of both. A revoked certificate
//! stays listed until one CRL issued after its notAfter has listed it (RFC 5280 §3.3); the next
//! one leaves it out, so the CRL does not grow forever (its status stays `revoked`, and OCSP still
//! says so).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ring::digest;

use super::pki_ocsp::OcspState;
use super::{CaEntry, Services};
use crate::db::crl::{self as repo, NewCrl, RevocationRow};
use crate::error::{Error, Result};
use crate::model::CertStatus;
use crate::signer::{CrlEntry, CrlInput};

const DAY: i64 = 86_400;

/// Per-process state of the PKI endpoints.
pub struct PkiState {
    /// thisUpdate to nextUpdate of each CRL, seconds.
    crl_validity: i64,
    /// The OCSP responder's memory, per CA.
    ocsp: Mutex<HashMap<String, Arc<OcspState>>>,
    /// The late CRLs already logged (see `crl_status`).
    pub(super) late_logged: super::crl_status::LateLog,
}

impl PkiState {
    /// Fresh state; CRLs are valid for `crl_validity_days`.
    pub fn new(crl_validity_days: u32) -> Self {
        Self {
            crl_validity: i64::from(crl_validity_days.max(1)) * DAY,
            ocsp: Mutex::new(HashMap::new()),
            late_logged: Default::default(),
        }
    }

    /// The OCSP responder's memory of CA `ca_id`.
    pub(super) fn ocsp(&self, ca_id: &str) -> Arc<OcspState> {
        let mut map = self.ocsp.lock().unwrap_or_else(|p| p.into_inner());
        Arc::clone(map.entry(ca_id.to_owned()).or_default())
    }
}

/// The CRL as served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlDocument {
    /// Its CRL number: the `ETag`.
    pub crl_number: i64,
    /// thisUpdate, unix seconds: `Last-Modified`.
    pub this_update: i64,
    /// nextUpdate, unix seconds.
    pub next_update: i64,
    /// The signed CRL.
    pub der: Vec<u8>,
}

/// What [`Services::publish_crl`] found or made: the stored CRL, and the pending certificates
/// whose new status it already states (so the worker may now flip them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Publication {
    /// The stored CRL's number; flips are allowed only while it is still the stored one.
    pub crl_number: i64,
    /// When the stored list last changed: the moment the CRL and OCSP started saying it.
    pub content_changed_at: i64,
    /// Whether this call signed and stored a new CRL.
    pub rebuilt: bool,
    /// `pending_revocation` certificates the CRL lists.
    pub to_revoke: Vec<RevocationRow>,
    /// `pending_reactivation` certificates the CRL does not list.
    pub to_reactivate: Vec<RevocationRow>,
}

impl Services {
    /// The CA `ca_id` with its certificate; `NotFound` for an unknown or pending CA.
    pub(super) async fn known_ca(&self, ca_id: &str) -> Result<Arc<CaEntry>> {
        match self.cas.find(ca_id).await? {
            Some(ca) if ca.certificate.is_some() => Ok(ca),
            _ => Err(Error::NotFound),
        }
    }

    /// The CA certificate, DER.
    pub async fn ca_certificate_der(&self, ca_id: &str) -> Result<Vec<u8>> {
        Ok(self.known_ca(ca_id).await?.der().to_vec())
    }

    /// The CA certificate, PEM.
    pub async fn ca_certificate_pem(&self, ca_id: &str) -> Result<String> {
        Ok(self.known_ca(ca_id).await?.pem())
    }

    /// The CA certificate followed by the chain above it up to the root, PEM.
    pub async fn ca_chain_pem(&self, ca_id: &str) -> Result<String> {
        let ca = self.known_ca(ca_id).await?;
        Ok(ca.chain_pem().unwrap_or_default())
    }

    /// The trust bundle: every CA whose certificates may still be valid, with their chains.
    pub async fn trust_bundle_pem(&self, now: i64) -> Result<String> {
        self.cas.refresh().await?;
        self.cas.bundle_pem(now).await
    }

    /// The Prometheus text of this process's metrics, with every CA's seconds to expiry and every
    /// live CA's CRL age and seconds to nextUpdate as of `now` (left out when the database is away).
    pub async fn metrics_text(&self, now: i64) -> String {
        let cas: Vec<(String, &str, i64)> = self
            .cas
            .all()
            .iter()
            .filter_map(|c| Some((c.id.clone(), c.role.as_str(), c.not_after()?)))
            .collect();
        self.metrics.record_ca_expiry(&cas, now);
        let crls = match self.crl_freshness(now).await {
            Ok(crls) => crls,
            Err(e) => {
                tracing::warn!(error = %e, "metrics: cannot read the stored CRLs");
                Vec::new()
            }
        };
        let crls: Vec<_> = crls
            .iter()
            .map(|c| (c.ca_id.as_str(), c.this_update, c.next_update))
            .collect();
        self.metrics.record_crl_freshness(&crls, now);
        self.metrics.render()
    }

    /// The stored CRL. Before the worker's first run it publishes one (and flips nothing).
    pub async fn current_crl(&self, ca_id: &str, now: i64) -> Result<CrlDocument> {
        self.known_ca(ca_id).await?;
        if repo::current(&self.db, ca_id).await?.is_none() {
            self.publish_crl(ca_id, now).await?;
        }
        let crl = repo::current(&self.db, ca_id)
            .await?
            .ok_or_else(|| Error::Unavailable("no CRL has been published yet".into()))?;
        Ok(CrlDocument {
            crl_number: crl.crl_number,
            this_update: crl.this_update,
            next_update: crl.next_update,
            der: crl.der,
        })
    }

    /// Makes the stored CRL list exactly the certificates that are `revoked` (and not expired
    /// before the stored CRL was issued) or `pending_revocation` in one snapshot, re-signing it when that list changed or the stored one is half-way to its
    /// nextUpdate. `None` when another publisher stored a CRL meanwhile (nothing may be flipped on
    /// the strength of this snapshot then; the next run starts over).
    pub async fn publish_crl(&self, ca_id: &str, now: i64) -> Result<Option<Publication>> {
        let stored = repo::meta(&self.db, ca_id).await?;
        let fresh = stored.as_ref().is_some_and(|m| is_fresh(m, now));
        if let Some(m) = stored.as_ref().filter(|_| fresh) {
            if !repo::has_pending(&self.db, ca_id).await? {
                return Ok(Some(Publication {
                    crl_number: m.crl_number,
                    content_changed_at: m.content_changed_at,
                    ..Publication::default()
                }));
            }
        }
        let expired_before = stored.as_ref().map_or(0, |m| m.this_update);
        let (listed, to_reactivate): (Vec<_>, Vec<_>) =
            repo::snapshot(&self.db, ca_id, expired_before)
                .await?
                .into_iter()
                .partition(|r| r.status != CertStatus::PendingReactivation);
        let mut entries: Vec<(&str, i64)> = listed
            .iter()
            .map(|r| {
                let at = r.revocation_requested_at.unwrap_or(r.status_changed_at);
                (r.serial_number.as_str(), at)
            })
            .collect();
        entries.sort_unstable();
        let hash = content_hash(&entries);
        let mut publication = Publication {
            to_revoke: listed
                .iter()
                .filter(|r| r.status == CertStatus::PendingRevocation)
                .cloned()
                .collect(),
            to_reactivate,
            ..Publication::default()
        };
        match stored {
            Some(m) if fresh && m.content_hash == hash => {
                publication.crl_number = m.crl_number;
                publication.content_changed_at = m.content_changed_at;
                return Ok(Some(publication));
            }
            Some(ref m) if m.content_hash == hash => {
                publication.content_changed_at = m.content_changed_at
            }
            _ => publication.content_changed_at = now,
        }
        let crl_entries = entries
            .iter()
            .map(|(serial, at)| {
                hex::decode(serial)
                    .map(|serial| CrlEntry {
                        serial,
                        revoked_at: *at,
                    })
                    .map_err(|_| Error::Internal(format!("stored serial {serial:?} is not hex")))
            })
            .collect::<Result<Vec<_>>>()?;
        let number = repo::reserve_number(&self.db, ca_id).await?;
        let (this_update, next_update) = (now, now + self.pki.crl_validity);
        let signer = self.cas.signer(ca_id).await?;
        let der = tokio::task::spawn_blocking(move || {
            signer.sign_crl(&CrlInput {
                number: u64::try_from(number).unwrap_or_default(),
                this_update,
                next_update,
                entries: &crl_entries,
            })
        })
        .await
        .map_err(|e| Error::Internal(format!("CRL signing task failed: {e}")))?
        .map_err(|e| super::custody::signing_error("signing the CRL", e))?;
        let new = NewCrl {
            crl_number: number,
            der,
            content_hash: hash,
            entries: i64::try_from(entries.len()).unwrap_or(i64::MAX),
            this_update,
            next_update,
        };
        let expected = stored.map_or(0, |m| m.crl_number);
        if !repo::store(&self.db, ca_id, expected, &new).await? {
            tracing::info!(number, "another publisher stored a CRL first");
            return Ok(None);
        }
        self.metrics.record_crl_published(entries.len());
        self.pki.ocsp(ca_id).invalidate();
        publication.crl_number = number;
        publication.rebuilt = true;
        Ok(Some(publication))
    }
}

/// Whether the stored CRL `m` is less than half-way to its nextUpdate at `now` (a CRL dated in the
/// future is not: the clock went back).
pub(super) fn is_fresh(m: &repo::CrlMeta, now: i64) -> bool {
    now >= m.this_update && now - m.this_update < (m.next_update - m.this_update) / 2
}

/// Hex SHA-256 over the sorted `serial:time` lines: equal lists, equal hashes.
fn content_hash(sorted: &[(&str, i64)]) -> String {
    let mut ctx = digest::Context::new(&digest::SHA256);
    for (serial, at) in sorted {
        ctx.update(format!("{serial}:{at}\n").as_bytes());
    }
    hex::encode(ctx.finish())
}

//! The OCSP responder (RFC 6960): answers from the stored CRL, signed by the CA.
//!
//! Every request reads, in one small query, the stored CRL's number (the version of the published
//! revocation state) and whether the CA issued the serial. A certificate is `revoked` iff the CRL
//! stored under that version lists it (or it is `revoked` and past its notAfter, so that its entry
//! may have left the CRL), `good` if the CA issued it otherwise, `unknown` if not. The
//! listed serials of the current version are held in memory and reloaded when the version moves;
//! signed answers to nonce-less requests are cached under the version, so a publication by any
//! replica is seen by the very next request on every replica. Never an HTTP error: a request that
//! cannot be answered gets an OCSP error status.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use super::Services;
use crate::db::crl as repo;
use crate::error::{Error, Result};
use crate::signer::{OcspFailure, OcspStatus, OcspTimes};
use crate::x509::{crl_entries, OcspQuery, OcspRefusal};

/// nextUpdate - thisUpdate of every answer, seconds.
pub const OCSP_VALIDITY: i64 = 3600;
/// How long a signed answer may be served again, seconds (while the version holds).
const CACHE_SECONDS: i64 = 300;
/// Most cached answers; the cache starts over when full.
const CACHE_ENTRIES: usize = 100_000;

/// The serials one stored CRL lists, with their revocation times.
#[derive(Debug, Default)]
struct RevokedSet {
    version: i64,
    serials: HashMap<String, i64>,
}

#[derive(Debug, Default)]
struct Cache {
    version: i64,
    answers: HashMap<Vec<u8>, (i64, Vec<u8>)>,
}

/// The responder's per-process memory.
#[derive(Debug, Default)]
pub struct OcspState {
    revoked: RwLock<Arc<RevokedSet>>,
    loading: tokio::sync::Mutex<()>,
    cache: Mutex<Cache>,
}

impl OcspState {
    fn cached(&self, version: i64, key: &[u8], now: i64) -> Option<Vec<u8>> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        match cache.answers.get(key) {
            Some((at, der)) if cache.version == version && now - at < CACHE_SECONDS => {
                Some(der.clone())
            }
            _ => None,
        }
    }

    fn remember(&self, version: i64, key: Vec<u8>, now: i64, der: Vec<u8>) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if version < cache.version {
            return;
        }
        if version > cache.version || cache.answers.len() >= CACHE_ENTRIES {
            cache.answers.clear();
            cache.version = version;
        }
        cache.answers.insert(key, (now, der));
    }

    /// Drops every cached answer (a new CRL was stored here).
    pub fn invalidate(&self) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.answers.clear();
    }

    fn revoked(&self) -> Arc<RevokedSet> {
        Arc::clone(&self.revoked.read().unwrap_or_else(|p| p.into_inner()))
    }
}

impl Services {
    /// Answers a DER OCSP request about certificates of CA `ca_id`: always a DER OCSPResponse
    /// (`malformedRequest`, `unauthorized`, `tryLater` when the database is away, `internalError`).
    /// The only error is `NotFound` for an unknown CA.
    pub async fn ocsp(&self, ca_id: &str, request: &[u8], now: i64) -> Result<Vec<u8>> {
        let ca = match self.known_ca(ca_id).await {
            Ok(ca) => ca,
            Err(Error::Unavailable(cause)) => {
                tracing::warn!(%cause, "OCSP: database unavailable, answering tryLater");
                self.metrics.record_ocsp("try_later");
                return Ok(OcspFailure::TryLater.der());
            }
            Err(e) => return Err(e),
        };
        let parsed = match &ca.certificate {
            Some(cert) => cert.parse_ocsp_request(request),
            None => return Err(Error::NotFound),
        };
        let query = match parsed {
            Ok(q) => q,
            Err(refusal) => {
                let (label, failure) = match refusal {
                    OcspRefusal::Malformed(_) => {
                        ("malformed_request", OcspFailure::MalformedRequest)
                    }
                    OcspRefusal::Unauthorized(_) => ("unauthorized", OcspFailure::Unauthorized),
                };
                tracing::debug!(%refusal, "OCSP request refused");
                self.metrics.record_ocsp(label);
                return Ok(failure.der());
            }
        };
        match self.answer_ocsp(ca_id, &query, now).await {
            Ok(der) => Ok(der),
            Err(Error::Unavailable(cause)) => {
                tracing::warn!(%cause, "OCSP: database unavailable, answering tryLater");
                self.metrics.record_ocsp("try_later");
                Ok(OcspFailure::TryLater.der())
            }
            Err(e) => {
                tracing::error!(error = %e, "OCSP: answering internalError");
                self.metrics.record_ocsp("internal_error");
                Ok(OcspFailure::InternalError.der())
            }
        }
    }

    async fn answer_ocsp(&self, ca_id: &str, query: &OcspQuery, now: i64) -> Result<Vec<u8>> {
        let state = self.pki.ocsp(ca_id);
        let mut version = 0;
        let mut facts = Vec::with_capacity(query.serials().len());
        for (i, serial) in query.serials().iter().enumerate() {
            let mut f = repo::ocsp_lookup(&self.db, ca_id, serial, now).await?;
            if i == 0 {
                version = f.crl_number.unwrap_or(0);
            }
            f.issued &= !serial.is_empty();
            facts.push(f);
        }
        // An answer that relies on a certificate's own status (an expired, revoked one whose
        // entry left the CRL) is not cached under the CRL's version.
        let key = query.cache_key().filter(|_| {
            facts
                .iter()
                .all(|f| f.issued && f.expired_revoked_at.is_none())
        });
        if let Some(der) = key.as_ref().and_then(|k| state.cached(version, k, now)) {
            self.metrics.record_ocsp("cached");
            return Ok(der);
        }
        let revoked = self.revoked_set(ca_id, &state, version).await?;
        let statuses: Vec<OcspStatus> = query
            .serials()
            .iter()
            .zip(&facts)
            .map(|(serial, f)| match revoked.serials.get(serial) {
                _ if !f.issued => OcspStatus::Unknown,
                Some(&at) => OcspStatus::Revoked(at),
                None => f
                    .expired_revoked_at
                    .map_or(OcspStatus::Good, OcspStatus::Revoked),
            })
            .collect();
        for s in &statuses {
            self.metrics.record_ocsp(match s {
                OcspStatus::Good => "good",
                OcspStatus::Revoked(_) => "revoked",
                OcspStatus::Unknown => "unknown",
            });
        }
        let times = OcspTimes {
            this_update: now,
            next_update: now + OCSP_VALIDITY,
        };
        let (signer, q) = (self.cas.signer(ca_id).await?, query.clone());
        let der =
            tokio::task::spawn_blocking(move || signer.sign_ocsp_response(&q, &statuses, times))
                .await
                .map_err(|e| Error::Internal(format!("OCSP signing task failed: {e}")))?
                .map_err(|e| super::custody::signing_error("signing an OCSP response", e))?;
        if let Some(k) = key {
            state.remember(revoked.version, k, now, der.clone());
        }
        Ok(der)
    }

    /// The serials listed by the stored CRL of version `version` or newer, loading them once per
    /// version (concurrent requests wait for the one load).
    async fn revoked_set(
        &self,
        ca_id: &str,
        state: &OcspState,
        version: i64,
    ) -> Result<Arc<RevokedSet>> {
        let current = state.revoked();
        if current.version >= version {
            return Ok(current);
        }
        let _one_load = state.loading.lock().await;
        let current = state.revoked();
        if current.version >= version {
            return Ok(current);
        }
        let stored = repo::current(&self.db, ca_id)
            .await?
            .ok_or_else(|| Error::Internal(format!("CRL {version} vanished")))?;
        let number = stored.crl_number;
        let entries = tokio::task::spawn_blocking(move || crl_entries(&stored.der))
            .await
            .map_err(|e| Error::Internal(format!("CRL reading task failed: {e}")))?
            .map_err(|e| Error::Internal(format!("the stored CRL is unreadable: {e}")))?;
        let set = Arc::new(RevokedSet {
            version: number,
            serials: entries.into_iter().collect(),
        });
        *state.revoked.write().unwrap_or_else(|p| p.into_inner()) = Arc::clone(&set);
        Ok(set)
    }
}

//! How fresh each live CA's stored CRL is, for the people and programs that depend on it: the
//! `/metrics` gauges, the error log when nobody re-signed a CRL in time, the public index of CAs
//! (`/pki/index.json`), and the CRL that `crl sync` writes from the database.
//!
//! The worker re-signs a CRL half-way to its nextUpdate. A CRL three quarters of the way there is
//! late (the worker has missed many runs: it is stopped, or cannot sign); one past its nextUpdate
//! makes every TLS server that checks it refuse every client.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::Serialize;

use super::pki::CrlDocument;
use super::Services;
use crate::clock::rfc3339;
use crate::db::crl as repo;
use crate::error::Result;

/// How overdue a CRL is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Lateness {
    /// Past three quarters of its validity: it should have been re-signed at half.
    Late,
    /// Past its nextUpdate: relying parties that check it refuse every certificate.
    Expired,
}

/// How overdue, at `now`, a CRL valid from `this_update` to `next_update` is; `None` when on time.
pub fn lateness(this_update: i64, next_update: i64, now: i64) -> Option<Lateness> {
    if now >= next_update {
        Some(Lateness::Expired)
    } else if now >= this_update + (next_update - this_update) / 4 * 3 {
        Some(Lateness::Late)
    } else {
        None
    }
}

/// The stored CRL of a live CA, as of its last publication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlFreshness {
    /// The CA's id.
    pub ca_id: String,
    /// The stored CRL's number.
    pub crl_number: i64,
    /// Its thisUpdate, unix seconds.
    pub this_update: i64,
    /// Its nextUpdate, unix seconds.
    pub next_update: i64,
}

/// The late CRLs already logged: per CA, the CRL number and how late it was when logged.
#[derive(Debug, Default)]
pub struct LateLog(Mutex<HashMap<String, (i64, Lateness)>>);

/// A live CA as the public index lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexedCa {
    /// `certificate_authority.id`: the `{ca_id}` of `/pki/{ca_id}/...`.
    pub id: String,
    /// Its name.
    pub name: String,
    /// `issuing` or `retired`.
    pub role: &'static str,
    /// Its certificate's notAfter, RFC 3339.
    pub not_after: String,
}

impl Services {
    /// The stored CRL of every live CA that has one (the CAs whose CRLs the worker keeps fresh).
    pub async fn crl_freshness(&self, now: i64) -> Result<Vec<CrlFreshness>> {
        let mut out = Vec::new();
        for ca in self.cas.live(now).await? {
            if let Some(m) = repo::meta(&self.db, &ca.id).await? {
                out.push(CrlFreshness {
                    ca_id: ca.id.clone(),
                    crl_number: m.crl_number,
                    this_update: m.this_update,
                    next_update: m.next_update,
                });
            }
        }
        Ok(out)
    }

    /// Logs, at error level, each live CA's CRL that is late or expired at `now`: once per CA, CRL
    /// and degree of lateness, not at every call. Returns what it logged.
    pub async fn log_late_crls(&self, now: i64) -> Result<Vec<(String, Lateness)>> {
        let crls = self.crl_freshness(now).await?;
        let mut logged = self
            .pki
            .late_logged
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let mut out = Vec::new();
        for crl in crls {
            let Some(late) = lateness(crl.this_update, crl.next_update, now) else {
                logged.remove(&crl.ca_id);
                continue;
            };
            if logged.get(&crl.ca_id) == Some(&(crl.crl_number, late)) {
                continue;
            }
            let next_update = rfc3339(crl.next_update);
            match late {
                Lateness::Late => tracing::error!(
                    ca_id = %crl.ca_id, crl_number = crl.crl_number, %next_update,
                    "the CA's CRL was not re-signed in time (is the worker running, can it sign?); \
                     TLS servers that check it refuse every client after its nextUpdate"
                ),
                Lateness::Expired => tracing::error!(
                    ca_id = %crl.ca_id, crl_number = crl.crl_number, %next_update,
                    "the CA's CRL is past its nextUpdate: TLS servers that check it refuse every client"
                ),
            }
            logged.insert(crl.ca_id.clone(), (crl.crl_number, late));
            out.push((crl.ca_id, late));
        }
        Ok(out)
    }

    /// The public index of the live CAs, oldest first: what `crl sync --url` syncs.
    pub async fn pki_index(&self, now: i64) -> Result<Vec<IndexedCa>> {
        self.cas.refresh().await?;
        Ok(self
            .cas
            .live(now)
            .await?
            .iter()
            .map(|ca| IndexedCa {
                id: ca.id.clone(),
                name: ca.name.clone(),
                role: ca.role.as_str(),
                not_after: ca.not_after().map(rfc3339).unwrap_or_default(),
            })
            .collect())
    }

    /// The CRL `crl sync` writes from the database: the stored one, re-signed first when it is
    /// half-way to its nextUpdate (as the worker would, so that a host where `serve` is not running
    /// still gets fresh CRLs). When re-signing fails while the stored CRL is still valid, the
    /// failure is logged and the stored CRL returned.
    pub async fn crl_for_sync(&self, ca_id: &str, now: i64) -> Result<CrlDocument> {
        let meta = repo::meta(&self.db, ca_id).await?;
        if !meta.as_ref().is_some_and(|m| super::pki::is_fresh(m, now)) {
            if let Err(e) = self.publish_crl(ca_id, now).await {
                match meta {
                    Some(m) if m.next_update > now => {
                        tracing::warn!(%ca_id, error = %e, "could not re-sign the CRL; using the stored one")
                    }
                    _ => return Err(e),
                }
            }
        }
        self.current_crl(ca_id, now).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crl_is_late_after_three_quarters_of_its_validity_and_expired_at_its_next_update() {
        assert_eq!(lateness(0, 400, 0), None);
        assert_eq!(lateness(0, 400, 299), None);
        assert_eq!(lateness(0, 400, 300), Some(Lateness::Late));
        assert_eq!(lateness(0, 400, 399), Some(Lateness::Late));
        assert_eq!(lateness(0, 400, 400), Some(Lateness::Expired));
    }
}

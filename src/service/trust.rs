//! What relying parties must trust: the live CAs (the issuing one, and each retired one while a
//! certificate it issued is unexpired) and the trust bundle made of them and their chains.

use std::collections::HashSet;
use std::sync::Arc;

use super::ca_entry::CaEntry;
use super::ca_registry::CaRegistry;
use crate::db::cas;
use crate::error::Result;
use crate::model::CaRole;

impl CaRegistry {
    /// Whether CA `entry` still matters to relying parties at `now`: it has a valid certificate and
    /// is the issuing CA or issued a certificate that has not expired. Such a CA is in the trust
    /// bundle, and the worker keeps its CRL fresh.
    async fn is_live(&self, entry: &CaEntry, now: i64) -> Result<bool> {
        match (entry.role, entry.not_after()) {
            (CaRole::Pending, _) | (_, None) => Ok(false),
            (_, Some(not_after)) if not_after <= now => Ok(false),
            (CaRole::Issuing, _) => Ok(true),
            (CaRole::Retired, _) => Ok(cas::latest_expiry(self.db(), &entry.id)
                .await?
                .is_some_and(|last| last > now)),
        }
    }

    /// Every live CA (see [`CaRegistry::is_live`]), oldest first.
    pub async fn live(&self, now: i64) -> Result<Vec<Arc<CaEntry>>> {
        let mut live = Vec::new();
        for entry in self.all() {
            if self.is_live(&entry, now).await? {
                live.push(entry);
            }
        }
        Ok(live)
    }

    /// The trust bundle: every live CA with the chain above it, each certificate once, PEM. A TLS
    /// server that trusts it accepts the certificates of every CA during a rotation's overlap.
    pub async fn bundle_pem(&self, now: i64) -> Result<String> {
        let mut seen = HashSet::new();
        let mut out = String::new();
        for entry in self.live(now).await? {
            let Some(chain) = entry.chain_pem() else {
                continue;
            };
            for block in chain.split_inclusive("-----END CERTIFICATE-----\n") {
                if seen.insert(block.to_owned()) {
                    out.push_str(block);
                }
            }
        }
        Ok(out)
    }
}

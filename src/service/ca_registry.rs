//! The CA registry: the one place that knows an account's CAs. It answers "the issuing CA" and "the CA
//! with this id" from memory, notices a change made by another process by polling the account's CA
//! generation ([`CaRegistry::refresh`]), and hands out each CA's signer, loading (and decrypting) a
//! key only when something is about to sign with it.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::ca_entry::CaEntry;
use super::custody::{self, key_error};
use crate::db::cas;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::model::{AccountId, CaRole};
use crate::signer::{KeyCustody, Signer};

#[derive(Debug, Default)]
struct Snapshot {
    generation: i64,
    entries: Vec<Arc<CaEntry>>,
}

/// The CAs of one account, and their signers.
pub struct CaRegistry {
    db: Db,
    account_id: AccountId,
    custody: Arc<dyn KeyCustody>,
    snapshot: RwLock<Arc<Snapshot>>,
    signers: RwLock<HashMap<String, Arc<Signer>>>,
    loading: tokio::sync::Mutex<()>,
}

impl CaRegistry {
    /// Reads the account's CAs (no key is touched).
    pub async fn load(
        db: Db,
        account_id: AccountId,
        custody: Arc<dyn KeyCustody>,
    ) -> Result<CaRegistry> {
        let registry = CaRegistry {
            db,
            account_id,
            custody,
            snapshot: RwLock::new(Arc::new(Snapshot::default())),
            signers: RwLock::new(HashMap::new()),
            loading: tokio::sync::Mutex::new(()),
        };
        registry.reload().await?;
        Ok(registry)
    }

    /// The account these CAs belong to.
    pub fn account_id(&self) -> &AccountId {
        &self.account_id
    }

    pub(super) fn db(&self) -> &Db {
        &self.db
    }

    /// Who holds this process's CA keys.
    pub fn custody(&self) -> &Arc<dyn KeyCustody> {
        &self.custody
    }

    pub(super) fn remember_signer(&self, ca_id: &str, signer: Signer) {
        self.signers
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(ca_id.to_owned(), Arc::new(signer));
    }

    fn current(&self) -> Arc<Snapshot> {
        Arc::clone(&self.snapshot.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Reads every CA of the account again.
    pub async fn reload(&self) -> Result<()> {
        // The generation first: a change committed between the two reads is seen again next time.
        let generation = cas::generation(&self.db, self.account_id.as_str()).await?;
        let entries = cas::list(&self.db, self.account_id.as_str())
            .await?
            .into_iter()
            .map(|r| CaEntry::from_record(r).map(Arc::new))
            .collect::<Result<Vec<_>>>()?;
        *self.snapshot.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(Snapshot {
            generation,
            entries,
        });
        Ok(())
    }

    /// Reloads when another process changed the account's CAs; true when it did.
    pub async fn refresh(&self) -> Result<bool> {
        let generation = cas::generation(&self.db, self.account_id.as_str()).await?;
        if generation == self.current().generation {
            return Ok(false);
        }
        self.reload().await?;
        Ok(true)
    }

    /// Every CA, oldest first.
    pub fn all(&self) -> Vec<Arc<CaEntry>> {
        self.current().entries.clone()
    }

    /// The issuing CA.
    pub fn issuing(&self) -> Result<Arc<CaEntry>> {
        self.current()
            .entries
            .iter()
            .find(|e| e.role == CaRole::Issuing && e.certificate.is_some())
            .cloned()
            .ok_or_else(|| Error::Internal("the account has no issuing CA".into()))
    }

    /// The CA with this id, as last loaded.
    pub fn get(&self, ca_id: &str) -> Option<Arc<CaEntry>> {
        self.current()
            .entries
            .iter()
            .find(|e| e.id == ca_id)
            .cloned()
    }

    /// The CA with this id, looking in the database when it is not known here yet (made by another
    /// process since the last refresh).
    pub async fn find(&self, ca_id: &str) -> Result<Option<Arc<CaEntry>>> {
        if let Some(entry) = self.get(ca_id) {
            return Ok(Some(entry));
        }
        self.refresh().await?;
        Ok(self.get(ca_id))
    }

    /// The signer of CA `ca_id`, loading and unsealing its key on first use.
    pub async fn signer(&self, ca_id: &str) -> Result<Arc<Signer>> {
        if let Some(s) = self.cached_signer(ca_id) {
            return Ok(s);
        }
        let _one_load = self.loading.lock().await;
        if let Some(s) = self.cached_signer(ca_id) {
            return Ok(s);
        }
        let entry = self.find(ca_id).await?.ok_or(Error::NotFound)?;
        let cert = entry
            .certificate
            .as_ref()
            .ok_or_else(|| Error::Internal(format!("CA {ca_id} is pending: it cannot sign")))?
            .der()
            .to_vec();
        let cols = cas::key_of(&self.db, ca_id).await?.ok_or(Error::NotFound)?;
        let stored = custody::stored(&entry.name, &*self.custody, cols)?;
        let (keys, alg) = (Arc::clone(&self.custody), entry.algorithm);
        let signer = tokio::task::spawn_blocking(move || Signer::open(&*keys, &cert, &stored, alg))
            .await
            .map_err(|e| Error::Internal(format!("CA loading task failed: {e}")))?
            .map_err(|e| key_error(&entry.name, e))?;
        let signer = Arc::new(signer);
        self.signers
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(ca_id.to_owned(), Arc::clone(&signer));
        Ok(signer)
    }

    fn cached_signer(&self, ca_id: &str) -> Option<Arc<Signer>> {
        self.signers
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(ca_id)
            .cloned()
    }

    /// Loads the signer of every CA that has a certificate, so a missing or wrong passphrase (or
    /// PIN, or token) stops `serve` at start rather than failing the first request. A signer
    /// process that is not up yet does not: its CAs load on first use.
    pub async fn load_signers(&self) -> Result<()> {
        for entry in self.all() {
            if entry.certificate.is_none() {
                continue;
            }
            match self.signer(&entry.id).await {
                Ok(_) => {}
                Err(Error::Unavailable(cause)) => {
                    tracing::warn!(ca_id = %entry.id, %cause, "the signer is not reachable yet; issuance answers 503 until it is");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

//! Changing an account's CAs: rotation to a new self-signed CA, a CA requested from an outside root
//! and installed once signed, and the import of an existing CA. Every check runs before anything is
//! stored, so a refusal changes nothing; the switch of the issuing CA is one transaction that
//! retires the old one, and other processes see it through the CA generation.

use std::sync::Arc;

use secrecy::SecretString;

use super::audit::ResourceType;
use super::auth::Caller;
use super::bootstrap::self_signed_record;
use super::ca_entry::CaEntry;
use super::ca_registry::CaRegistry;
use super::custody::{self, key_error};
use crate::db::cas::{self, Installed, NewCaRecord};
use crate::error::{Error, Result};
use crate::model::{CaRole, KeyAlgorithm};
use crate::signer::{self, SignerError};
use crate::x509;

use super::ca_checks::{
    blocking, chain_text, checked_ca, creation_error, lost_race, prove_key, refused,
};

impl CaRegistry {
    /// A new self-signed CA (of `alg`, or the issuing CA's algorithm) becomes the issuing CA; the
    /// old one is retired and keeps publishing for what it issued.
    pub async fn rotate(
        &self,
        caller: &Caller,
        alg: Option<KeyAlgorithm>,
        now: i64,
    ) -> Result<Arc<CaEntry>> {
        self.reload().await?;
        let current = self.issuing()?;
        self.check_passphrase().await?;
        let alg = alg.unwrap_or(current.algorithm);
        let name = format!(
            "mtls-ca CA G{} for account {}",
            self.all().len() + 1,
            self.account_id()
        );
        let id = uuid::Uuid::new_v4().to_string();
        let (cn, label, keys) = (name.clone(), id.clone(), Arc::clone(self.custody()));
        let new = blocking(move || signer::create_ca(&*keys, alg, &cn, &label, now))
            .await?
            .map_err(|e| creation_error("creating the CA", e))?;
        let record = self_signed_record(id, name, alg, self.custody().kind(), new);
        self.switch_to(caller, "rotate", &current.id, record, now)
            .await
    }

    /// A new key of `alg` (default: the issuing CA's) for a CA named `subject`, and its CSR for an
    /// outside root to sign; the CA is `pending` until [`CaRegistry::install`].
    pub async fn request(
        &self,
        caller: &Caller,
        subject: &str,
        alg: Option<KeyAlgorithm>,
        now: i64,
    ) -> Result<Arc<CaEntry>> {
        let dn = x509::parse_subject(subject).map_err(|e| refused(format!("--subject: {e}")))?;
        self.check_passphrase().await?;
        let name = x509::names::common_name_of(&dn).unwrap_or_else(|| subject.to_owned());
        let alg = match alg {
            Some(alg) => alg,
            None => self.issuing()?.algorithm,
        };
        let id = uuid::Uuid::new_v4().to_string();
        let (label, keys) = (id.clone(), Arc::clone(self.custody()));
        let request = blocking(move || signer::request_ca(&*keys, alg, dn, &label))
            .await?
            .map_err(|e| creation_error("creating the CA key", e))?;
        let record = NewCaRecord {
            id,
            name,
            key_algorithm: alg,
            certificate_der: None,
            chain_pem: String::new(),
            request_pem: Some(request.csr_pem),
            key: custody::columns(self.custody().kind(), request.key),
            validity: None,
        };
        let audit = caller.audit(
            "request",
            ResourceType::CertificateAuthority,
            &record.id,
            None,
            Some(ca_json(&record, CaRole::Pending, None)),
            now,
        );
        cas::insert_pending(self.db(), self.account_id().as_str(), &record, now, &audit).await?;
        self.reload().await?;
        self.get(&record.id)
            .ok_or_else(|| Error::Internal("the requested CA vanished".into()))
    }

    /// Completes the pending CA `ca_id` with the certificate an outside root signed for its key
    /// (and that root's chain); it becomes the issuing CA.
    pub async fn install(
        &self,
        caller: &Caller,
        ca_id: &str,
        cert_pem: &str,
        chain_pem: Option<&str>,
        now: i64,
    ) -> Result<Arc<CaEntry>> {
        self.reload().await?;
        let pending = self
            .get(ca_id)
            .ok_or_else(|| refused(format!("there is no CA {ca_id}")))?;
        if pending.role != CaRole::Pending {
            return Err(refused(format!(
                "CA {ca_id} is {}, not pending: only a requested CA (ca request) can be installed",
                pending.role.as_str()
            )));
        }
        let (cert, chain) = checked_ca(cert_pem, chain_pem, now)?;
        self.check_passphrase().await?;
        let cols = cas::key_of(self.db(), ca_id)
            .await?
            .ok_or(Error::NotFound)?;
        let stored = custody::stored(&pending.name, &**self.custody(), cols)?;
        let (keys, alg) = (Arc::clone(self.custody()), pending.algorithm);
        let key = blocking(move || keys.open(&stored, alg))
            .await?
            .map_err(|e| key_error(&pending.name, e))?;
        let mismatch = format!(
            "the certificate {:?} is not for the key of CA {ca_id} (its public key differs)",
            cert.common_name()
        );
        let signer = prove_key(&cert, key, mismatch).await?;
        let current = self.issuing()?;
        let installed = Installed {
            certificate_der: cert.der().to_vec(),
            chain_pem: chain_text(&chain),
            name: cert.common_name().to_owned(),
            validity: (cert.not_before(), cert.not_after()),
        };
        let audit = caller.audit(
            "install",
            ResourceType::CertificateAuthority,
            ca_id,
            Some(serde_json::json!({"id": ca_id, "role": "pending"})),
            Some(serde_json::json!({
                "id": ca_id,
                "name": installed.name,
                "role": "issuing",
                "retired": current.id,
            })),
            now,
        );
        if !cas::install(
            self.db(),
            self.account_id().as_str(),
            &current.id,
            ca_id,
            &installed,
            now,
            &audit,
        )
        .await?
        {
            return Err(lost_race());
        }
        self.remember_signer(ca_id, signer);
        self.reload().await?;
        self.get(ca_id)
            .ok_or_else(|| Error::Internal("the installed CA vanished".into()))
    }

    /// An existing CA (certificate, PKCS#8 key, chain) becomes the issuing CA; its key is sealed
    /// like a generated one. `key_passphrase` opens an encrypted key file.
    pub async fn import(
        &self,
        caller: &Caller,
        cert_pem: &str,
        key_pem: &str,
        chain_pem: Option<&str>,
        key_passphrase: Option<SecretString>,
        now: i64,
    ) -> Result<Arc<CaEntry>> {
        self.reload().await?;
        let (cert, chain) = checked_ca(cert_pem, chain_pem, now)?;
        if self.all().iter().any(|e| {
            e.certificate
                .as_ref()
                .is_some_and(|c| c.der() == cert.der())
        }) {
            return Err(refused(format!(
                "{:?} is already one of this account's CAs",
                cert.common_name()
            )));
        }
        self.check_passphrase().await?;
        let id = uuid::Uuid::new_v4().to_string();
        let (key_text, label, keys) = (key_pem.to_owned(), id.clone(), Arc::clone(self.custody()));
        let new = blocking(move || {
            signer::import_key(&*keys, &key_text, key_passphrase.as_ref(), &label)
        })
        .await?
        .map_err(|e| match e {
            SignerError::WrongPassphrase => {
                refused("the key passphrase does not decrypt the key file")
            }
            SignerError::Unavailable(_) => key_error(cert.common_name(), e),
            other => refused(format!("the key file: {other}")),
        })?;
        let mismatch = format!(
            "the key does not match the certificate {:?} (its public key is another one)",
            cert.common_name()
        );
        let signer = prove_key(&cert, new.key, mismatch).await?;
        let current = self.issuing()?;
        let record = NewCaRecord {
            id,
            name: cert.common_name().to_owned(),
            key_algorithm: cert.algorithm(),
            certificate_der: Some(cert.der().to_vec()),
            chain_pem: chain_text(&chain),
            request_pem: None,
            key: custody::columns(self.custody().kind(), new.stored),
            validity: Some((cert.not_before(), cert.not_after())),
        };
        let id = record.id.clone();
        let entry = self
            .switch_to(caller, "import", &current.id, record, now)
            .await?;
        self.remember_signer(&id, signer);
        Ok(entry)
    }

    /// A new key is sealed with the passphrase this process has (or made in its token, or by its
    /// signer): refuse when this process cannot use the keys already stored (a missing passphrase
    /// would leave the new key in the clear, a wrong one would seal it under a passphrase nobody
    /// else uses, another custody would split the CAs between two places).
    async fn check_passphrase(&self) -> Result<()> {
        let issuing = self.issuing()?;
        self.signer(&issuing.id).await.map(|_| ())
    }

    async fn switch_to(
        &self,
        caller: &Caller,
        action: &str,
        current: &str,
        record: NewCaRecord,
        now: i64,
    ) -> Result<Arc<CaEntry>> {
        let audit = caller.audit(
            action,
            ResourceType::CertificateAuthority,
            &record.id,
            None,
            Some(ca_json(&record, CaRole::Issuing, Some(current))),
            now,
        );
        let account = self.account_id().as_str();
        if !cas::insert_issuing(self.db(), account, current, &record, now, &audit).await? {
            return Err(lost_race());
        }
        self.reload().await?;
        tracing::info!(ca_id = %record.id, retired = %current, "the issuing CA changed");
        self.get(&record.id)
            .ok_or_else(|| Error::Internal("the new CA vanished".into()))
    }
}

/// What the audit log records of a new CA (never its key).
fn ca_json(record: &NewCaRecord, role: CaRole, retired: Option<&str>) -> serde_json::Value {
    serde_json::json!({
        "id": record.id,
        "name": record.name,
        "key_algorithm": record.key_algorithm.as_str(),
        "role": role.as_str(),
        "retired": retired,
    })
}

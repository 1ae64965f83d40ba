//! First use of a database: the default account and its first CA, created when missing, and keys
//! stored in the clear sealed once a passphrase is set. Safe to run from several processes at once.

use std::sync::Arc;

use anyhow::Context;
use secrecy::SecretString;

use crate::db::accounts::{self, AccountRow};
use crate::db::cas::{self, NewCaRecord};
use crate::db::Db;
use crate::model::{random_hex_id, AccountId, CaRole, Custody, KeyAlgorithm};
use crate::signer::{self, KeyCustody, NewCa, SealedKey};

/// The name of the account every zone belongs to.
pub const DEFAULT_ACCOUNT: &str = "default";

/// The default account, created when missing.
pub async fn ensure_account(db: &Db, now: i64) -> anyhow::Result<AccountId> {
    let account = accounts::ensure_account(
        db,
        &AccountRow {
            id: random_hex_id(),
            name: DEFAULT_ACCOUNT.to_owned(),
            created_at: now,
        },
    )
    .await
    .context("creating the default account")?;
    AccountId::parse(&account.id).map_err(|e| anyhow::anyhow!("stored account id is corrupt: {e}"))
}

/// Creates the account's first CA (self-signed, `alg`, its key made by `custody`) when it has no
/// issuing CA.
pub async fn ensure_first_ca(
    db: &Db,
    account_id: &AccountId,
    alg: KeyAlgorithm,
    custody: &Arc<dyn KeyCustody>,
    now: i64,
) -> anyhow::Result<()> {
    let existing = cas::list(db, account_id.as_str()).await?;
    if existing.iter().any(|c| c.role == CaRole::Issuing) {
        return Ok(());
    }
    let name = format!("mtls-ca Managed CA for account {account_id}");
    let id = uuid::Uuid::new_v4().to_string();
    let (cn, label, keys) = (name.clone(), id.clone(), Arc::clone(custody));
    let new = tokio::task::spawn_blocking(move || signer::create_ca(&*keys, alg, &cn, &label, now))
        .await
        .context("CA creation task failed")?
        .context("creating the CA")?;
    let record = self_signed_record(id, name, alg, custody.kind(), new);
    if cas::insert_first(db, account_id.as_str(), &record, now)
        .await
        .context("storing the CA")?
    {
        tracing::info!(algorithm = alg.as_str(), ca_id = %record.id, "created the managed CA");
    }
    Ok(())
}

/// The record of a new self-signed CA `id`, its key held by `custody`.
pub(super) fn self_signed_record(
    id: String,
    name: String,
    alg: KeyAlgorithm,
    custody: Custody,
    new: NewCa,
) -> NewCaRecord {
    NewCaRecord {
        id,
        name,
        key_algorithm: alg,
        certificate_der: Some(new.certificate_der),
        chain_pem: String::new(),
        request_pem: None,
        key: super::custody::columns(custody, new.key),
        validity: Some((new.not_before, new.not_after)),
    }
}

/// Encrypts every key of the account stored in the clear, once a passphrase is set.
pub async fn seal_plain_keys(
    db: &Db,
    account_id: &AccountId,
    passphrase: &SecretString,
) -> anyhow::Result<()> {
    for ca in cas::list(db, account_id.as_str()).await? {
        if ca.key_encrypted || ca.key_custody != Custody::Local {
            continue;
        }
        let Some(cas::KeyColumns {
            private_key: Some(der),
            encrypted: false,
            ..
        }) = cas::key_of(db, &ca.id).await?
        else {
            continue;
        };
        let (plain, pass) = (
            SealedKey {
                der,
                encrypted: false,
            },
            passphrase.clone(),
        );
        let sealed = tokio::task::spawn_blocking(move || signer::encrypt_stored_key(&plain, &pass))
            .await
            .context("key encryption task failed")?
            .context("encrypting a CA key")?;
        if cas::encrypt_key(db, &ca.id, &sealed.der).await? {
            tracing::info!(ca_id = %ca.id, "encrypted the stored CA key with MTLS_CA_KEY_PASSPHRASE");
        }
    }
    Ok(())
}

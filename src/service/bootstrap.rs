//! First use of a database: the default account and its first CA, created when missing, and keys
//! stored in the clear sealed once a passphrase is set. Safe to run from several processes at once.

use anyhow::Context;
use secrecy::SecretString;

use crate::db::accounts::{self, AccountRow};
use crate::db::cas::{self, NewCaRecord};
use crate::db::Db;
use crate::model::{random_hex_id, AccountId, CaRole, KeyAlgorithm};
use crate::signer::{self, NewCa, SealedKey};

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

/// Creates the account's first CA (self-signed, `alg`) when it has no issuing CA.
pub async fn ensure_first_ca(
    db: &Db,
    account_id: &AccountId,
    alg: KeyAlgorithm,
    passphrase: Option<&SecretString>,
    now: i64,
) -> anyhow::Result<()> {
    let existing = cas::list(db, account_id.as_str()).await?;
    if existing.iter().any(|c| c.role == CaRole::Issuing) {
        return Ok(());
    }
    let name = format!("mtls-ca Managed CA for account {account_id}");
    let (cn, pass) = (name.clone(), passphrase.cloned());
    let new = tokio::task::spawn_blocking(move || signer::create_ca(alg, &cn, now, pass.as_ref()))
        .await
        .context("CA creation task failed")?
        .context("creating the CA")?;
    let record = self_signed_record(name, alg, new);
    if cas::insert_first(db, account_id.as_str(), &record, now)
        .await
        .context("storing the CA")?
    {
        tracing::info!(algorithm = alg.as_str(), ca_id = %record.id, "created the managed CA");
    }
    Ok(())
}

/// The record of a new self-signed CA, under a fresh id.
pub(super) fn self_signed_record(name: String, alg: KeyAlgorithm, new: NewCa) -> NewCaRecord {
    NewCaRecord {
        id: uuid::Uuid::new_v4().to_string(),
        name,
        key_algorithm: alg,
        certificate_der: Some(new.certificate_der),
        chain_pem: String::new(),
        request_pem: None,
        private_key: new.key.der,
        key_encrypted: new.key.encrypted,
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
        if ca.key_encrypted {
            continue;
        }
        let Some((der, false)) = cas::sealed_key(db, &ca.id).await? else {
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

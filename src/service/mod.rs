//! The service layer: every use case of the HTTP API, the CLI and the worker, on top of `db` and `signer`.

pub mod auth;
pub mod auth_cache;
pub mod certificates;
pub mod credentials;
pub mod limiter;
pub mod listing;
pub mod pki;
pub mod pki_ocsp;
pub mod view;
pub mod writer;
pub mod zones;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use secrecy::SecretString;

use crate::config::Settings;
use crate::db::accounts::{self, AccountRow, CaRow};
use crate::db::{Db, PoolSettings};
use crate::metrics::Metrics;
use crate::model::{random_hex_id, AccountId, KeyAlgorithm};
use crate::signer::{self, SealedKey, Signer, SignerError};

/// The name of the account every zone belongs to.
pub const DEFAULT_ACCOUNT: &str = "default";

/// The managed CA of the default account.
pub struct Ca {
    /// UUID, `certificate_authority.id`.
    pub id: String,
    /// `certificate_authority.name`.
    pub name: String,
    /// The only holder of the private key.
    pub signer: Arc<Signer>,
}

/// Everything a use case needs, built once per process.
pub struct Services {
    /// The storage pool.
    pub db: Db,
    /// This process's metrics.
    pub metrics: Arc<Metrics>,
    /// The default account.
    pub account_id: AccountId,
    /// The default account's CA.
    pub ca: Ca,
    /// Base URL written into certificates.
    pub public_url: String,
    /// Random id of this process, the holder name for leases.
    pub instance_id: String,
    /// CRL settings and the OCSP responder's memory.
    pub pki: pki::PkiState,
    writer: writer::CertWriter,
    limiter: Option<limiter::Limiter>,
    auth_cache: Option<auth_cache::AuthCache>,
}

impl Services {
    /// Connects, migrates, and creates the default account and its CA when they are missing.
    pub async fn open(settings: &Settings, now: i64) -> anyhow::Result<Arc<Services>> {
        let db = Db::connect(
            &settings.database_url,
            PoolSettings {
                max_connections: settings.db_max_connections,
                acquire_timeout: Duration::from_secs(settings.db_acquire_timeout),
            },
        )
        .await?;
        db.migrate().await.context("applying database migrations")?;
        let account = accounts::ensure_account(
            &db,
            &AccountRow {
                id: random_hex_id(),
                name: DEFAULT_ACCOUNT.to_owned(),
                created_at: now,
            },
        )
        .await
        .context("creating the default account")?;
        let account_id = AccountId::parse(&account.id)
            .map_err(|e| anyhow::anyhow!("stored account id is corrupt: {e}"))?;
        let ca = ensure_ca(
            &db,
            &account_id,
            settings.key_algorithm,
            settings.key_passphrase.clone(),
            now,
        )
        .await?;
        let writer = writer::CertWriter::spawn(db.clone(), settings.write_batch_size);
        Ok(Arc::new(Services {
            db,
            metrics: Arc::new(Metrics::new()),
            account_id,
            ca,
            public_url: settings.public_url(),
            instance_id: random_hex_id(),
            pki: pki::PkiState::new(settings.crl_validity_days),
            writer,
            limiter: limiter::Limiter::new(settings.rate_limit_per_second),
            auth_cache: auth_cache::AuthCache::new(Duration::from_secs(
                settings.auth_cache_seconds,
            )),
        }))
    }

    /// True when the database answers.
    pub async fn ready(&self) -> bool {
        self.db.ping().await
    }
}

async fn ensure_ca(
    db: &Db,
    account_id: &AccountId,
    alg: KeyAlgorithm,
    passphrase: Option<SecretString>,
    now: i64,
) -> anyhow::Result<Ca> {
    let row = match accounts::find_ca_by_account(db, account_id.as_str()).await? {
        Some(row) => row,
        None => {
            let name = format!("mtls-ca Managed CA for account {account_id}");
            let (cn, pass) = (name.clone(), passphrase.clone());
            let new = tokio::task::spawn_blocking(move || {
                signer::create_ca(alg, &cn, now, pass.as_ref())
            })
            .await
            .context("CA creation task failed")?
            .context("creating the CA")?;
            tracing::info!(algorithm = alg.as_str(), "created the managed CA");
            accounts::ensure_ca(
                db,
                &CaRow {
                    id: uuid::Uuid::new_v4().to_string(),
                    account_id: account_id.to_string(),
                    name,
                    key_algorithm: alg.as_str().to_owned(),
                    certificate_der: new.certificate_der,
                    private_key: new.key.der,
                    key_encrypted: new.key.encrypted,
                    not_before: new.not_before,
                    not_after: new.not_after,
                    created_at: now,
                },
            )
            .await
            .context("storing the CA")?
        }
    };
    let row = match &passphrase {
        Some(pass) if !row.key_encrypted => encrypt_existing_key(db, row, pass.clone()).await?,
        _ => row,
    };
    let (id, name) = (row.id.clone(), row.name.clone());
    let signer = tokio::task::spawn_blocking(move || {
        let sealed = SealedKey {
            der: row.private_key,
            encrypted: row.key_encrypted,
        };
        Signer::load(&row.certificate_der, &sealed, passphrase.as_ref())
    })
    .await
    .context("CA loading task failed")?
    .map_err(|e| match e {
        SignerError::PassphraseRequired => anyhow::anyhow!(
            "the CA private key is stored encrypted: set MTLS_CA_KEY_PASSPHRASE to its passphrase"
        ),
        SignerError::WrongPassphrase => anyhow::anyhow!(
            "MTLS_CA_KEY_PASSPHRASE does not decrypt the CA private key (wrong passphrase)"
        ),
        other => anyhow::anyhow!("cannot load the CA: {other}"),
    })?;
    Ok(Ca {
        id,
        name,
        signer: Arc::new(signer),
    })
}

/// A CA created without a passphrase gets its key encrypted once one is set.
async fn encrypt_existing_key(
    db: &Db,
    row: CaRow,
    passphrase: SecretString,
) -> anyhow::Result<CaRow> {
    let plain = SealedKey {
        der: row.private_key.clone(),
        encrypted: false,
    };
    let sealed =
        tokio::task::spawn_blocking(move || signer::encrypt_stored_key(&plain, &passphrase))
            .await
            .context("key encryption task failed")?
            .context("encrypting the CA key")?;
    if accounts::encrypt_ca_key(db, &row.id, &sealed.der).await? {
        tracing::info!("encrypted the stored CA key with MTLS_CA_KEY_PASSPHRASE");
    }
    // Read it back: another process may have encrypted it first.
    accounts::find_ca(db, &row.id)
        .await?
        .context("the CA vanished while its key was being encrypted")
}

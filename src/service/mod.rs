//! The service layer: every use case of the HTTP API, the CLI and the worker, on top of `db` and
//! `signer`. [`Services::open`] only connects and assembles; the CAs live in the [`CaRegistry`].

pub mod abilities;
pub mod audit;
pub mod audit_pages;
pub mod auth;
pub mod auth_cache;
pub mod bootstrap;
pub mod ca_admin;
mod ca_checks;
pub mod ca_entry;
pub mod ca_registry;
pub mod cert_auth;
pub mod cert_search;
mod certificate_pages;
pub mod certificates;
pub mod console_sessions;
pub mod crl_status;
pub mod custody;
mod expiry;
pub mod limiter;
pub mod listing;
pub mod overview;
pub mod paging;
pub mod pki;
pub mod pki_ocsp;
mod policy_input;
pub mod principal;
pub mod secrets;
pub mod server_tls;
pub mod token_input;
mod token_rights;
mod token_verify;
pub mod token_view;
pub mod tokens;
pub mod trust;
pub mod usage;
pub mod users;
pub mod view;
mod worker_steps;
pub mod writer;
pub mod zones;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context;

pub use bootstrap::DEFAULT_ACCOUNT;
pub use ca_entry::CaEntry;
pub use ca_registry::CaRegistry;

use crate::config::Settings;
use crate::db::{Db, PoolSettings};
use crate::metrics::Metrics;
use crate::model::{random_hex_id, AccountId};

/// Everything a use case needs, built once per process.
pub struct Services {
    /// The storage pool.
    pub db: Db,
    /// This process's metrics.
    pub metrics: Arc<Metrics>,
    /// The default account.
    pub account_id: AccountId,
    /// The default account's CAs and their signers.
    pub cas: Arc<CaRegistry>,
    /// Base URL written into certificates.
    pub public_url: String,
    /// Random id of this process, the holder name for leases.
    pub instance_id: String,
    /// CRL settings and the OCSP responder's memory.
    pub pki: pki::PkiState,
    /// Peers whose `X-Forwarded-For` names the client (`MTLS_CA_TRUSTED_PROXIES`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Seals the keys this process makes outside a custody (the API's TLS key).
    key_passphrase: Option<secrecy::SecretString>,
    write_batch_size: usize,
    writer: OnceLock<writer::CertWriter>,
    limiter: Option<limiter::Limiter>,
    auth_cache: Option<auth_cache::AuthCache>,
    usage: usage::TokenUsage,
}

impl Services {
    /// Connects, migrates, and creates the default account and its first CA when they are missing.
    /// No CA key is decrypted here: only what signs loads a key ([`CaRegistry::signer`]).
    /// A SQLite file that does not exist yet is created (`serve`, `init`).
    pub async fn open(settings: &Settings, now: i64) -> anyhow::Result<Arc<Services>> {
        Self::open_with(settings, now, true).await
    }

    /// Like [`Services::open`], but a SQLite file that does not exist is an error naming its
    /// absolute path (every admin command other than `serve`, `migrate`, `init`, `restore`).
    pub async fn open_existing(settings: &Settings, now: i64) -> anyhow::Result<Arc<Services>> {
        Self::open_with(settings, now, false).await
    }

    async fn open_with(
        settings: &Settings,
        now: i64,
        create: bool,
    ) -> anyhow::Result<Arc<Services>> {
        let pool = PoolSettings {
            max_connections: settings.db_max_connections,
            acquire_timeout: Duration::from_secs(settings.db_acquire_timeout),
        };
        let db = if create {
            Db::connect(&settings.database_url, pool).await?
        } else {
            Db::connect_existing(&settings.database_url, pool).await?
        };
        db.migrate().await.context("applying database migrations")?;
        let account_id = bootstrap::ensure_account(&db, now).await?;
        let keys = crate::signer::lazy_custody(settings.custody()?);
        bootstrap::ensure_first_ca(&db, &account_id, settings.key_algorithm, &keys, now).await?;
        if let (Some(pass), crate::model::Custody::Local) = (&settings.key_passphrase, keys.kind())
        {
            bootstrap::seal_plain_keys(&db, &account_id, pass).await?;
        }
        let cas = CaRegistry::load(db.clone(), account_id.clone(), keys)
            .await
            .context("loading the CAs")?;
        Ok(Arc::new(Services {
            db,
            metrics: Arc::new(Metrics::new()),
            account_id,
            cas: Arc::new(cas),
            public_url: settings.public_url(),
            instance_id: random_hex_id(),
            pki: pki::PkiState::new(settings.crl_validity_days),
            trusted_proxies: settings.trusted_proxies()?,
            key_passphrase: settings.key_passphrase.clone(),
            write_batch_size: settings.write_batch_size,
            writer: OnceLock::new(),
            limiter: limiter::Limiter::new(settings.rate_limit_per_second),
            auth_cache: auth_cache::AuthCache::new(Duration::from_secs(
                settings.auth_cache_seconds,
            )),
            usage: usage::TokenUsage::default(),
        }))
    }

    /// True when the database answers.
    pub async fn ready(&self) -> bool {
        self.db.ping().await
    }

    /// The batching writer, started on first use (a CLI command that never issues starts none).
    fn writer(&self) -> &writer::CertWriter {
        self.writer
            .get_or_init(|| writer::CertWriter::spawn(self.db.clone(), self.write_batch_size))
    }
}

//! `mtls-ca signer --listen URL`: the process that alone holds CA keys. It serves the signer
//! protocol over HTTP/2 on a unix socket, with the `local` backend (keys sealed in the signer's
//! own database, never a CA service's) or the `pkcs11` one behind it; `serve` replicas started
//! with `MTLS_CA_SIGNER=remote:URL` send it what to sign.

mod inspect;
mod routes;
mod store;

use std::future::Future;
use std::sync::Arc;

use anyhow::Context;

pub use inspect::{inspect, Summary};
pub use store::{KeyStore, StoreError};

use crate::config::Settings;
use crate::db::{signer_keys, Db, PoolSettings};
use crate::model::Custody;
use crate::signer::remote::Endpoint;

/// Opens the key store the settings name: the custody, and for `local` the signer's database,
/// which must not be a CA service's.
pub async fn open_store(settings: &Settings) -> anyhow::Result<KeyStore> {
    let config = settings.custody()?;
    anyhow::ensure!(
        config.kind() != Custody::Remote,
        "the signer itself holds the keys: MTLS_CA_SIGNER must be local or pkcs11 for `mtls-ca signer`"
    );
    let db = if config.kind() == Custody::Local {
        let pool = PoolSettings {
            max_connections: settings.db_max_connections,
            acquire_timeout: std::time::Duration::from_secs(settings.db_acquire_timeout),
        };
        let db = Db::connect(&settings.database_url, pool).await?;
        db.migrate().await.context("applying database migrations")?;
        let cas = signer_keys::ca_count(&db).await?;
        anyhow::ensure!(
            cas == 0,
            "{} is a CA service's database ({cas} CAs): give the signer a database of its own \
             (MTLS_CA_DATABASE_URL), so that no key is where `serve` can read it",
            crate::config::redact_url(&settings.database_url)
        );
        Some(db)
    } else {
        None
    };
    let custody = tokio::task::spawn_blocking(move || crate::signer::open_custody(&config))
        .await
        .context("opening the key custody")??;
    Ok(KeyStore::new(custody, db))
}

/// Serves the signer protocol on `listen` until `shutdown` completes.
pub async fn run(
    settings: &Settings,
    listen: &str,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let endpoint = Endpoint::parse(listen)?;
    // TLS files are checked before any key is touched.
    let tls = match &endpoint {
        Endpoint::Https { .. } => Some(settings.signer_tls()?.server_config()?),
        Endpoint::Unix(_) => None,
    };
    let store = Arc::new(open_store(settings).await?);
    let router = routes::router(store);
    let path = match (endpoint, tls) {
        (Endpoint::Unix(path), _) => path,
        (Endpoint::Https { authority }, config) => {
            let config = config.context("TLS settings")?;
            let tcp = tokio::net::TcpListener::bind(&authority)
                .await
                .with_context(|| format!("listening on {authority}"))?;
            tracing::info!(listen = %tcp.local_addr()?, signer = %settings.signer, "signer listening (mutual TLS)");
            let listener = crate::tls::TlsListener::new(tcp, config)?;
            axum::serve(listener, router)
                .with_graceful_shutdown(shutdown)
                .await
                .context("signer server")?;
            return Ok(());
        }
    };
    // A socket left by a signer that died is replaced; anything else at the path is not.
    if let Ok(meta) = std::fs::symlink_metadata(&path) {
        use std::os::unix::fs::FileTypeExt;
        anyhow::ensure!(
            meta.file_type().is_socket(),
            "{} exists and is not a socket",
            path.display()
        );
        std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
    }
    let listener = tokio::net::UnixListener::bind(&path)
        .with_context(|| format!("listening on {}", path.display()))?;
    // Only the owner (and its group: run serve in the signer's group) may connect.
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o660))
            .with_context(|| format!("restricting {}", path.display()))?;
    }
    tracing::info!(socket = %path.display(), signer = %settings.signer, "signer listening");
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
        .context("signer server")?;
    let _ = std::fs::remove_file(&path);
    Ok(())
}

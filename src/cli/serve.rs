//! `mtls-ca serve`: bind the listeners, start the app, stop on SIGINT or SIGTERM.

use anyhow::Context;
use tokio::net::TcpListener;

use crate::app::App;
use crate::config::Settings;

/// Runs the API (and the PKI listener) and the worker until SIGINT or SIGTERM.
pub(super) async fn serve(settings: Settings) -> anyhow::Result<()> {
    tracing::info!(settings = ?settings, "starting");
    let app = App::build(settings.clone()).await?;
    let listener = TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    let pki = match settings.pki_listen {
        Some(addr) => Some(
            TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr} (MTLS_CA_PKI_LISTEN)"))?,
        ),
        None => None,
    };
    if settings.https() && pki.is_none() {
        tracing::warn!("HTTPS without MTLS_CA_PKI_LISTEN: CRL and OCSP pointers are https:// URLs, which relying parties may not fetch");
    }
    tracing::info!(
        database = %app.services.db.location(),
        listen = %settings.listen,
        https = settings.https(),
        pki_listen = ?settings.pki_listen,
        issuing_ca = %app.services.cas.issuing().map(|c| c.id.clone()).unwrap_or_default(),
        engine = app.services.db.engine(),
        "listening"
    );
    app.serve_on(
        crate::app::Listeners { api: listener, pki },
        shutdown_signal(),
    )
    .await
}

/// Completes on SIGINT or SIGTERM.
pub(super) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

//! Wiring: `App::build` opens the services; `App::serve` runs the HTTP API and the worker until shutdown.

use std::future::{Future, IntoFuture};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::Settings;
use crate::service::Services;
use crate::{clock, http, worker};

/// A built application: services plus the settings it serves with.
pub struct App {
    /// The service layer.
    pub services: Arc<Services>,
    settings: Settings,
}

impl App {
    /// Connects, migrates, bootstraps the account and CA.
    pub async fn build(settings: Settings) -> anyhow::Result<App> {
        let services = Services::open(&settings, clock::now()).await?;
        // Every key this process will sign with, loaded now: a missing or wrong passphrase stops
        // the start instead of failing requests.
        services
            .cas
            .load_signers()
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(App { services, settings })
    }

    /// The HTTP router.
    pub fn router(&self) -> Router {
        http::router(self.services.clone(), self.limits())
    }

    /// Serves the API on `listener` until `shutdown` completes; see [`App::serve_on`].
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        self.serve_on(
            Listeners {
                api: listener,
                pki: None,
            },
            shutdown,
        )
        .await
    }

    /// Serves until `shutdown` completes: the API on `listeners.api` (HTTPS when the settings name
    /// a certificate, which is re-read when its files change or on SIGHUP), the PKI routes on
    /// `listeners.pki` over plain HTTP; then in-flight requests finish, the worker stops, the
    /// database closes.
    pub async fn serve_on(
        self,
        listeners: Listeners,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let names = self.settings.self_issued_names();
        let tls = match (&self.settings.tls_cert, &self.settings.tls_key) {
            (Some(cert), Some(key)) => Some(
                crate::tls::ReloadingCert::load(cert, key).context("the API's TLS certificate")?,
            ),
            _ if !names.is_empty() => {
                let own = self
                    .services
                    .server_certificate(&names, clock::now())
                    .await
                    .map_err(|e| anyhow::anyhow!("the API's self-issued certificate: {e}"))?;
                Some(
                    crate::tls::ReloadingCert::from_memory(
                        &own.chain_pem,
                        secrecy::ExposeSecret::expose_secret(&own.key_der),
                    )
                    .context("the API's self-issued certificate")?,
                )
            }
            _ => None,
        };
        let (stop_tx, stop_rx) = watch::channel(false);
        let stopped = move || {
            let mut rx = stop_rx.clone();
            async move {
                let _ = rx.wait_for(|stop| *stop).await;
            }
        };
        let worker = tokio::spawn(worker::run_scheduled(
            self.services.clone(),
            Duration::from_secs(self.settings.worker_interval),
            stopped(),
        ));
        let pki = listeners.pki.map(|listener| {
            let router = http::pki_router(self.services.clone(), self.limits());
            tokio::spawn(
                axum::serve(listener, router)
                    .with_graceful_shutdown(stopped())
                    .into_future(),
            )
        });
        let signal = tokio::spawn(async move {
            shutdown.await;
            tracing::info!("shutting down: finishing in-flight requests");
            let _ = stop_tx.send(true);
        });
        let router = self.router();
        let result = match tls {
            Some(cert) => {
                tokio::spawn(crate::tls::watch(Arc::clone(&cert), stopped()));
                if !names.is_empty() {
                    tokio::spawn(renew_own_certificate(
                        self.services.clone(),
                        names,
                        Arc::clone(&cert),
                        stopped(),
                    ));
                }
                let config = crate::tls::api_server_config(cert, self.settings.client_auth()?)?;
                let listener = crate::tls::TlsListener::new(listeners.api, config)?;
                axum::serve(
                    listener,
                    router
                        .layer(axum::Extension(http::console::session::OverTls))
                        .layer(axum::middleware::map_response(http::hsts))
                        .into_make_service_with_connect_info::<http::auth::PeerAddr>(),
                )
                .with_graceful_shutdown(stopped())
                .await
            }
            None => {
                axum::serve(
                    listeners.api,
                    router.into_make_service_with_connect_info::<http::auth::PeerAddr>(),
                )
                .with_graceful_shutdown(stopped())
                .await
            }
        }
        .context("serving HTTP");
        signal.abort();
        if let Some(pki) = pki {
            match pki.await {
                Ok(Err(e)) => tracing::warn!(error = %e, "the PKI listener stopped with an error"),
                Err(e) => tracing::warn!(error = %e, "the PKI listener task failed"),
                Ok(Ok(())) => {}
            }
        }
        match worker.await {
            Ok(Err(e)) => tracing::warn!(error = format!("{e:#}"), "worker stopped with an error"),
            Err(e) => tracing::warn!(error = %e, "worker task failed"),
            Ok(Ok(())) => {}
        }
        self.services.db.close().await;
        tracing::info!("stopped");
        result
    }

    fn limits(&self) -> http::Limits {
        http::Limits {
            body: self.settings.body_limit,
            timeout: Duration::from_secs(self.settings.request_timeout),
        }
    }
}

/// How often a self-issued API certificate is checked for renewal.
const RENEWAL_CHECK: Duration = Duration::from_secs(600);

/// Until `stop`, renews the self-issued API certificate when it is due (or another replica did).
async fn renew_own_certificate(
    services: Arc<Services>,
    names: Vec<String>,
    cert: Arc<crate::tls::ReloadingCert>,
    stop: impl Future<Output = ()>,
) {
    tokio::pin!(stop);
    let mut serial = String::new();
    loop {
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(RENEWAL_CHECK) => {}
        }
        match services.server_certificate(&names, clock::now()).await {
            Ok(own) if own.serial != serial => {
                let key = secrecy::ExposeSecret::expose_secret(&own.key_der);
                match cert.replace(&own.chain_pem, key) {
                    Ok(()) => serial = own.serial,
                    Err(e) => {
                        tracing::warn!(error = %e, "the renewed API certificate does not load")
                    }
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "renewing the API's certificate failed; trying again later")
            }
        }
    }
}

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, TcpListener>>
    for http::auth::PeerAddr
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, TcpListener>) -> Self {
        Self {
            addr: *stream.remote_addr(),
            client_cert: None,
        }
    }
}

impl
    axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, crate::tls::TlsListener>>
    for http::auth::PeerAddr
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, crate::tls::TlsListener>) -> Self {
        let (_, tls) = stream.io().get_ref();
        Self {
            addr: *stream.remote_addr(),
            client_cert: tls
                .peer_certificates()
                .and_then(|chain| chain.first())
                .map(|der| Arc::from(der.as_ref())),
        }
    }
}

/// The listeners `serve` runs on.
pub struct Listeners {
    /// The API (and, with TLS off or no PKI listener, the PKI routes).
    pub api: TcpListener,
    /// The plain-HTTP listener of `/pki/*`, `/healthz`, `/readyz` (`MTLS_CA_PKI_LISTEN`).
    pub pki: Option<TcpListener>,
}

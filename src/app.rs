//! Wiring: `App::build` opens the services; `App::serve` runs the HTTP API and the worker until shutdown.

use std::future::Future;
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
        http::router(
            self.services.clone(),
            http::Limits {
                body: self.settings.body_limit,
                timeout: Duration::from_secs(self.settings.request_timeout),
            },
        )
    }

    /// Serves on `listener` until `shutdown` completes: in-flight requests finish, the worker
    /// stops, the database closes.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut worker_stop = stop_rx.clone();
        let worker = tokio::spawn(worker::run_scheduled(
            self.services.clone(),
            Duration::from_secs(self.settings.worker_interval),
            async move {
                let _ = worker_stop.wait_for(|stop| *stop).await;
            },
        ));
        let router = self.router();
        let result = axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                shutdown.await;
                tracing::info!("shutting down: finishing in-flight requests");
            })
            .await
            .context("serving HTTP");
        let _ = stop_tx.send(true);
        match worker.await {
            Ok(Err(e)) => tracing::warn!(error = format!("{e:#}"), "worker stopped with an error"),
            Err(e) => tracing::warn!(error = %e, "worker task failed"),
            Ok(Ok(())) => {}
        }
        self.services.db.close().await;
        tracing::info!("stopped");
        result
    }
}

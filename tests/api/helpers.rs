//! Test harness: spawn the app on a fresh database, typed request helpers, CSR factories.
#![allow(dead_code)]

use std::sync::Arc;

use mtls_ca::app::App;
use mtls_ca::config::Settings;
use mtls_ca::model::{Permission, ZoneId};
use mtls_ca::service::auth::Caller;
use mtls_ca::service::Services;
use reqwest::{Method, Response, StatusCode};
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use tokio::sync::oneshot;

/// Which engine a test database lives on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// A file in a temporary folder.
    Sqlite,
    /// A fresh database on the server `TEST_DATABASE_URL` names.
    Postgres,
}

/// The engines to run a test on: SQLite always, Postgres when `TEST_DATABASE_URL` is set.
pub fn engines() -> Vec<Engine> {
    let mut v = vec![Engine::Sqlite];
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        v.push(Engine::Postgres);
    } else {
        crate::skips::postgres_skipped();
    }
    v
}

/// A fresh, empty database; dropped with the temp dir (SQLite) or left for the server to hold.
pub struct TestDb {
    /// The URL to give the app.
    pub url: String,
    /// Keeps the SQLite folder alive.
    pub dir: tempfile::TempDir,
    /// The Postgres database's name, dropped by [`TestDb::remove`].
    pg_name: Option<String>,
}

impl TestDb {
    /// Creates an empty database on `engine`.
    pub async fn new(engine: Engine) -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut pg_name = None;
        let url = match engine {
            Engine::Sqlite => format!("sqlite://{}", dir.path().join("ca.db").display()),
            Engine::Postgres => {
                use sqlx::Connection;
                let admin = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL");
                let name = format!("mtlsca_test_{}", mtls_ca::model::random_hex_id());
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .expect("connect to TEST_DATABASE_URL");
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                let mut url = url::Url::parse(&admin).expect("TEST_DATABASE_URL is a URL");
                url.set_path(&name);
                pg_name = Some(name);
                url.to_string()
            }
        };
        TestDb { url, dir, pg_name }
    }

    /// Drops a Postgres test database (its pools must be closed); a SQLite folder goes with `self`.
    pub async fn remove(self) {
        use sqlx::Connection;
        let (Some(name), Ok(admin)) = (self.pg_name, std::env::var("TEST_DATABASE_URL")) else {
            return;
        };
        if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await;
        }
    }
}

/// Settings for a test app on `url`.
pub fn settings(url: &str) -> Settings {
    Settings {
        database_url: url.to_owned(),
        listen: "127.0.0.1:0".parse().expect("addr"),
        // The worker is driven through run_once unless a test asks for the scheduler.
        worker_interval: 3600,
        db_max_connections: 8,
        ..Settings::default()
    }
}

/// A running app with a zone and a write token ready.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The app's services, for driving the worker and reading state.
    pub services: Arc<Services>,
    /// HTTP client.
    pub client: reqwest::Client,
    /// A zone created for the test.
    pub zone: String,
    /// A write token for every zone.
    pub token: String,
    /// The database URL (to restart on it).
    pub db_url: String,
    /// The engine.
    pub engine: Engine,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    db: Option<TestDb>,
    /// The signer process holding the CA keys under `TEST_SIGNER=remote`.
    pub signer: Option<std::sync::Arc<crate::signers::SignerProcess>>,
}

/// The signer process of the apps on `database_url`, started for the first of them and stopped
/// with the last.
fn shared_signer(database_url: &str) -> std::sync::Arc<crate::signers::SignerProcess> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock, Weak};
    static SIGNERS: OnceLock<Mutex<HashMap<String, Weak<crate::signers::SignerProcess>>>> =
        OnceLock::new();
    let mut all = SIGNERS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(live) = all.get(database_url).and_then(Weak::upgrade) {
        return live;
    }
    // Its keys stay in a folder named after the database, so an app started on it after the
    // others stopped gets a signer with the same keys.
    let name = hex::encode(
        &ring::digest::digest(&ring::digest::SHA256, database_url.as_bytes()).as_ref()[..8],
    );
    let root = std::env::temp_dir()
        .join(format!("mtls-ca-test-signers-{}", std::process::id()))
        .join(name);
    let signer = Arc::new(crate::signers::SignerProcess::start_in(root));
    all.insert(database_url.to_owned(), Arc::downgrade(&signer));
    signer
}

/// Settings with the custody `TEST_SIGNER` asks for, unless the test chose one; the signer process
/// it needs (the one given, for a restart, or a new one).
fn with_test_custody(
    mut settings: Settings,
    signer: Option<std::sync::Arc<crate::signers::SignerProcess>>,
) -> (
    Settings,
    Option<std::sync::Arc<crate::signers::SignerProcess>>,
) {
    use crate::signers::{test_signer, TestSigner};
    if settings.signer != "local" {
        return (settings, signer);
    }
    match test_signer() {
        TestSigner::Local => (settings, signer),
        TestSigner::Pkcs11 => {
            let var = |k: &str| {
                std::env::var(k).unwrap_or_else(|_| panic!("TEST_SIGNER=pkcs11 needs {k}"))
            };
            settings.signer = "pkcs11".into();
            settings.pkcs11_module = Some(var("MTLS_CA_PKCS11_MODULE").into());
            settings.pkcs11_token = Some(var("MTLS_CA_PKCS11_TOKEN"));
            settings.pkcs11_pin = Some(var("MTLS_CA_PKCS11_PIN").into());
            (settings, signer)
        }
        TestSigner::Remote => {
            // Every app on one database (replicas, restarts) shares one signer.
            let signer = signer.unwrap_or_else(|| shared_signer(&settings.database_url));
            settings.signer = signer.url();
            (settings, Some(signer))
        }
    }
}

impl TestApp {
    /// A fresh app on a fresh database of `engine`.
    pub async fn spawn(engine: Engine) -> TestApp {
        let db = TestDb::new(engine).await;
        let s = settings(&db.url);
        let mut app = Self::start(s, engine).await;
        app.db = Some(db);
        app
    }

    /// An app with custom settings on `db`, which it owns (and drops when stopped).
    pub async fn start_on(db: TestDb, settings: Settings, engine: Engine) -> TestApp {
        let mut app = Self::start(settings, engine).await;
        app.db = Some(db);
        app
    }

    /// An app with custom settings (the database must exist or be creatable).
    pub async fn start(settings: Settings, engine: Engine) -> TestApp {
        Self::start_with_signer(settings, engine, None).await
    }

    async fn start_with_signer(
        settings: Settings,
        engine: Engine,
        signer: Option<std::sync::Arc<crate::signers::SignerProcess>>,
    ) -> TestApp {
        let (mut settings, signer) = with_test_custody(settings, signer);
        // TEST_HTTPS=1: the API over HTTPS with a certificate its own CA issues it, and the PKI
        // routes for relying parties on a plain-HTTP listener the certificates point at.
        let mut pki = None;
        if std::env::var("TEST_HTTPS").is_ok_and(|v| v == "1") && !settings.https() {
            settings.tls_self_issued = Some("127.0.0.1,localhost".into());
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind the PKI listener");
            let addr = listener.local_addr().expect("addr");
            settings.pki_listen = Some(addr);
            settings
                .public_url
                .get_or_insert_with(|| format!("http://{addr}"));
            pki = Some(listener);
        }
        let db_url = settings.database_url.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let scheme = if settings.https() { "https" } else { "http" };
        if settings.public_url.is_none() {
            settings.public_url = Some(format!("{scheme}://{addr}"));
        }
        let app = App::build(settings).await.expect("app builds");
        let services = app.services.clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let listeners = mtls_ca::app::Listeners { api: listener, pki };
        let task = tokio::spawn(app.serve_on(listeners, async move {
            let _ = stopped.await;
        }));
        let now = mtls_ca::clock::now();
        let cli = Caller::cli(services.account_id.as_str());
        let zone = services
            .create_zone(
                &cli,
                &format!("zone-{}.example", mtls_ca::model::random_hex_id()),
                now,
            )
            .await
            .expect("zone")
            .id;
        let token = services
            .create_cli_token(
                &cli,
                &format!("test-{}", mtls_ca::model::random_hex_id()),
                Permission::Write,
                &[],
                now,
            )
            .await
            .expect("token")
            .1
            .expose_secret()
            .to_owned();
        let client = if scheme == "https" {
            let bundle = services.cas.bundle_pem(now).await.expect("bundle");
            let mut builder = reqwest::Client::builder().tls_built_in_root_certs(false);
            for root in reqwest::Certificate::from_pem_bundle(bundle.as_bytes()).expect("bundle") {
                builder = builder.add_root_certificate(root);
            }
            builder.build().expect("client")
        } else {
            reqwest::Client::new()
        };
        TestApp {
            base: format!("{scheme}://{addr}"),
            services,
            client,
            zone,
            token,
            db_url,
            engine,
            stop: Some(stop),
            task: Some(task),
            db: None,
            signer,
        }
    }

    /// The issuing CA's id (`certificate_authority.id` of new certificates).
    pub fn ca_id(&self) -> String {
        self.services
            .cas
            .issuing()
            .expect("an issuing CA")
            .id
            .clone()
    }

    /// The issuing CA's certificate, PEM.
    pub fn ca_pem(&self) -> String {
        self.services.cas.issuing().expect("an issuing CA").pem()
    }

    /// The issuing CA's certificate, DER.
    pub fn ca_der(&self) -> Vec<u8> {
        self.services
            .cas
            .issuing()
            .expect("an issuing CA")
            .der()
            .to_vec()
    }

    /// Stops the server gracefully and waits for it; returns the database so it can be reused.
    pub async fn stop(self) {
        if let Some(db) = self.shutdown().await {
            db.remove().await;
        }
    }

    /// Stops the server and hands back its database, kept for a restart.
    async fn shutdown(self) -> Option<TestDb> {
        self.shutdown_keeping_signer().await.0
    }

    async fn shutdown_keeping_signer(
        mut self,
    ) -> (
        Option<TestDb>,
        Option<std::sync::Arc<crate::signers::SignerProcess>>,
    ) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await
                .expect("server task")
                .expect("server stopped cleanly");
        }
        (self.db.take(), self.signer.take())
    }

    /// Restarts on the same database: stop, then start a new app with the same settings.
    pub async fn restart(self) -> TestApp {
        let (engine, url, zone, token) = (
            self.engine,
            self.db_url.clone(),
            self.zone.clone(),
            self.token.clone(),
        );
        let (db, signer) = self.shutdown_keeping_signer().await;
        let mut app = Self::start_with_signer(settings(&url), engine, signer).await;
        app.zone = zone;
        app.token = token;
        app.db = db;
        app
    }

    /// Creates another zone.
    pub async fn new_zone(&self) -> String {
        self.services
            .create_zone(
                &self.cli(),
                &format!("zone-{}.example", mtls_ca::model::random_hex_id()),
                mtls_ca::clock::now(),
            )
            .await
            .expect("zone")
            .id
    }

    /// Creates a token with `permission`, limited to `zones` (empty = all).
    pub async fn new_token(&self, permission: Permission, zones: &[&str]) -> String {
        let zones: Vec<ZoneId> = zones
            .iter()
            .map(|z| ZoneId::parse(z).expect("zone id"))
            .collect();
        self.services
            .create_cli_token(
                &self.cli(),
                &format!("scoped-{}", mtls_ca::model::random_hex_id()),
                permission,
                &zones,
                mtls_ca::clock::now(),
            )
            .await
            .expect("token")
            .1
            .expose_secret()
            .to_owned()
    }

    /// The CLI's caller (the operator) on this app's account.
    pub fn cli(&self) -> Caller {
        Caller::cli(self.services.account_id.as_str())
    }

    /// `{base}/client/v4{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}/client/v4{path}", self.base)
    }

    /// `/zones/{zone}/client_certificates`.
    pub fn certs_path(&self) -> String {
        format!("/zones/{}/client_certificates", self.zone)
    }

    /// A request with the test's write token.
    pub fn req(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(&self.token)
    }

    /// POSTs a CSR to the test zone.
    pub async fn create(&self, csr: &str, days: i64) -> Response {
        self.req(Method::POST, &self.certs_path())
            .json(&json!({ "csr": csr, "validity_days": days }))
            .send()
            .await
            .expect("request")
    }

    /// Creates a certificate and returns its `result`, asserting success.
    pub async fn issue(&self, csr: &str, days: i64) -> Value {
        let res = self.create(csr, days).await;
        let (status, body) = json_of(res).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["result"].clone()
    }

    /// GET, DELETE or PATCH a certificate of the test zone.
    pub async fn on_cert(&self, method: Method, id: &str) -> (StatusCode, Value) {
        let res = self
            .req(method, &format!("{}/{id}", self.certs_path()))
            .send()
            .await
            .expect("request");
        json_of(res).await
    }

    /// GET the list with a query string.
    pub async fn list(&self, query: &str) -> (StatusCode, Value) {
        let res = self
            .req(Method::GET, &format!("{}?{query}", self.certs_path()))
            .send()
            .await
            .expect("request");
        json_of(res).await
    }

    /// Runs the worker once.
    pub async fn run_worker(&self) -> mtls_ca::worker::Outcome {
        mtls_ca::worker::run_once(&self.services, mtls_ca::clock::now())
            .await
            .expect("worker run")
    }
}

/// Status and JSON body of a response.
pub async fn json_of(res: Response) -> (StatusCode, Value) {
    let status = res.status();
    let text = res.text().await.expect("body");
    let body =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    (status, body)
}

/// A PEM CSR for a fresh P-256 key with `cn` and the usual subject fields.
pub fn csr_p256(cn: &str) -> String {
    csr_with(&rcgen::PKCS_ECDSA_P256_SHA256, cn)
}

/// A PEM CSR for a fresh key of `alg` with subject CN, C, ST, L, O, OU.
pub fn csr_with(alg: &'static rcgen::SignatureAlgorithm, cn: &str) -> String {
    let key = rcgen::KeyPair::generate_for(alg).expect("key");
    csr_for_key(&key, cn)
}

/// A PEM CSR for `key`.
pub fn csr_for_key(key: &rcgen::KeyPair, cn: &str) -> String {
    let mut params =
        rcgen::CertificateParams::new(vec![format!("{cn}.svc.internal")]).expect("params");
    let dn = &mut params.distinguished_name;
    dn.push(rcgen::DnType::CommonName, cn);
    dn.push(rcgen::DnType::CountryName, "US");
    dn.push(rcgen::DnType::StateOrProvinceName, "California");
    dn.push(rcgen::DnType::LocalityName, "San Francisco");
    dn.push(rcgen::DnType::OrganizationName, "Example Inc");
    dn.push(rcgen::DnType::OrganizationalUnitName, "Platform");
    params
        .serialize_request(key)
        .expect("csr")
        .pem()
        .expect("pem")
}

/// The Python of the repo's `.venv` (or `MTLS_CA_SDK_PYTHON`) when it can import `module`.
/// Outside CI a missing venv skips the caller's test; under CI (`CI` set) it is a failure.
pub fn venv_python(module: &str) -> Option<std::path::PathBuf> {
    let candidate = std::env::var_os("MTLS_CA_SDK_PYTHON")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python")
        });
    let ok = std::process::Command::new(&candidate)
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(candidate);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{module} is missing from .venv: python3 -m venv .venv && .venv/bin/pip install -r tests/sdk/requirements.txt"
    );
    crate::skips::skipped(
        &format!("the tests that need Python's {module} (SDK, pkilint, Compose)"),
        "python3 -m venv .venv && .venv/bin/pip install -r tests/sdk/requirements.txt",
    );
    None
}

/// The Prometheus text of `{base}/metrics`.
pub async fn fetch_metrics(client: &reqwest::Client, base: &str) -> String {
    client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text")
}

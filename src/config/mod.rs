//! Settings: built-in defaults, then `config/default.toml` (or the file `--config` or `MTLS_CA_CONFIG`
//! names), then `MTLS_CA_*` environment variables. Loaded once at start-up and passed down; what is
//! not understood stops the start ([`strict`]); `config show` says where each value came from.

use std::net::SocketAddr;
mod access;
mod custody;
mod show;
mod strict;

use std::path::{Path, PathBuf};

pub use show::Sources;

/// The prefix of every environment variable the settings are read from.
const ENV_PREFIX: &str = "MTLS_CA_";

use anyhow::Context;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::model::KeyAlgorithm;

/// Everything the service and the CLI can be configured with.
#[derive(Clone, Serialize, Deserialize)]
pub struct Settings {
    /// `sqlite://PATH`, `sqlite:///abs/path.db` or `postgres://...`.
    pub database_url: String,
    /// The HTTP listen address.
    pub listen: SocketAddr,
    /// Base URL written into issued certificates; `http://<listen>` when unset.
    pub public_url: Option<String>,
    /// Seconds between background-worker runs.
    pub worker_interval: u64,
    /// Key algorithm of a CA when it is first created.
    pub key_algorithm: KeyAlgorithm,
    /// When set, the CA private key is encrypted at rest with it.
    #[serde(skip_serializing)]
    pub key_passphrase: Option<SecretString>,
    /// Maximum connections in the database pool.
    pub db_max_connections: u32,
    /// Seconds to wait for a database connection before failing a request.
    pub db_acquire_timeout: u64,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    /// Seconds a request may take before it is answered 503.
    pub request_timeout: u64,
    /// Seconds a successful authentication and zone grant are remembered; 0 disables the cache.
    pub auth_cache_seconds: u64,
    /// Requests per second allowed to one credential; 0 disables rate limiting.
    pub rate_limit_per_second: u32,
    /// Most issued certificates committed in one transaction by the batching writer.
    pub write_batch_size: usize,
    /// Days from a CRL's thisUpdate to its nextUpdate; it is re-signed half-way.
    pub crl_validity_days: u32,
    /// Who holds CA keys: `local`, `pkcs11` or `remote:URL`.
    pub signer: String,
    /// The PKCS#11 module (`.so`) for `signer = "pkcs11"`.
    pub pkcs11_module: Option<PathBuf>,
    /// The label of the PKCS#11 token.
    pub pkcs11_token: Option<String>,
    /// The token's user PIN; set `MTLS_CA_PKCS11_PIN` or `pkcs11_pin_file` rather than this.
    #[serde(skip_serializing)]
    pub pkcs11_pin: Option<SecretString>,
    /// A file holding the token's user PIN (trailing newline ignored).
    pub pkcs11_pin_file: Option<PathBuf>,
    /// The API's server certificate (PEM); with `tls_key`, the API listens with HTTPS.
    pub tls_cert: Option<PathBuf>,
    /// The API's server key (PEM).
    pub tls_key: Option<PathBuf>,
    /// DNS names and IPs, comma-separated: the API serves HTTPS with a certificate the issuing CA
    /// issues it (and renews).
    pub tls_self_issued: Option<String>,
    /// A plain-HTTP listener for `/pki/*`, `/healthz` and `/readyz` only.
    pub pki_listen: Option<SocketAddr>,
    /// The signer link over https: this end's certificate (PEM; `serve`: its client certificate,
    /// `signer`: its server certificate).
    pub signer_tls_cert: Option<PathBuf>,
    /// This end's private key (PEM).
    pub signer_tls_key: Option<PathBuf>,
    /// The CA the other end's certificate must be issued by (PEM).
    pub signer_ca: Option<PathBuf>,
    /// Comma-separated CIDRs of reverse proxies whose `X-Forwarded-For` is believed when a
    /// token's IP condition is checked.
    pub trusted_proxies: Option<String>,
    /// `off` or `optional`: with HTTPS, a client certificate of this CA bound to a token
    /// authenticates as that token.
    pub tls_client_auth: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: "sqlite://data/mtls-ca.db".to_owned(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            worker_interval: 5,
            key_algorithm: KeyAlgorithm::EcdsaP256,
            key_passphrase: None,
            db_max_connections: 16,
            db_acquire_timeout: 5,
            body_limit: 64 * 1024,
            request_timeout: 30,
            auth_cache_seconds: 5,
            rate_limit_per_second: 0,
            write_batch_size: 256,
            crl_validity_days: 7,
            signer: "local".to_owned(),
            pkcs11_module: None,
            pkcs11_token: None,
            pkcs11_pin: None,
            pkcs11_pin_file: None,
            tls_cert: None,
            tls_key: None,
            tls_self_issued: None,
            pki_listen: None,
            signer_tls_cert: None,
            signer_tls_key: None,
            signer_ca: None,
            trusted_proxies: None,
            tls_client_auth: "off".to_owned(),
        }
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("database_url", &redact_url(&self.database_url))
            .field("listen", &self.listen)
            .field("public_url", &self.public_url)
            .field("worker_interval", &self.worker_interval)
            .field("key_algorithm", &self.key_algorithm)
            .field(
                "key_passphrase",
                &self.key_passphrase.as_ref().map(|_| "[redacted]"),
            )
            .field("signer", &self.signer)
            .finish_non_exhaustive()
    }
}

impl Settings {
    /// Loads defaults, the config file and the environment, in that order of precedence (last wins).
    /// The file is `MTLS_CA_CONFIG`, else `config/default.toml` (optional). An unknown key in the
    /// file or an unknown `MTLS_CA_*` variable is an error naming the nearest known one.
    pub fn load() -> anyhow::Result<Self> {
        Self::load_from(None).map(|(settings, _)| settings)
    }

    /// Like [`Settings::load`], with the config file named by `--config` (which wins over
    /// `MTLS_CA_CONFIG`); also returns where each setting came from.
    pub fn load_from(config: Option<&Path>) -> anyhow::Result<(Self, Sources)> {
        let (file, named) = match (config, std::env::var_os("MTLS_CA_CONFIG")) {
            (Some(path), _) => (path.to_owned(), Some("--config")),
            (None, Some(path)) => (PathBuf::from(path), Some("MTLS_CA_CONFIG")),
            (None, None) => (PathBuf::from("config/default.toml"), None),
        };
        if let (Some(by), false) = (named, file.exists()) {
            anyhow::bail!("config file {} ({by}) does not exist", file.display());
        }
        let toml = Toml::file(&file);
        let env = Env::prefixed(ENV_PREFIX).ignore(&["config", "key_passphrase", "pkcs11_pin"]);
        strict::check_keys(&toml, &env, &file)?;
        let figment = Figment::from(Serialized::defaults(Settings::default()))
            .merge(toml)
            .merge(env);
        let mut settings = Self::from_figment(figment.clone()).with_context(|| {
            format!(
                "invalid configuration (file {}, MTLS_CA_* environment)",
                file.display()
            )
        })?;
        // Read raw: figment would turn a numeric passphrase into a number.
        // An empty value counts as unset (Compose passes `${VAR:-}` through as "").
        match std::env::var("MTLS_CA_KEY_PASSPHRASE") {
            Ok(pass) if !pass.is_empty() => {
                settings.key_passphrase = Some(SecretString::from(pass))
            }
            _ => {}
        }
        match std::env::var("MTLS_CA_PKCS11_PIN") {
            Ok(pin) if !pin.is_empty() => settings.pkcs11_pin = Some(SecretString::from(pin)),
            _ => {}
        }
        Ok((settings, Sources { figment, file }))
    }

    fn from_figment(figment: Figment) -> anyhow::Result<Self> {
        let settings: Settings = figment
            .extract()
            .map_err(|e| anyhow::anyhow!(e.to_string()))?;
        anyhow::ensure!(
            settings.worker_interval >= 1,
            "worker_interval must be at least 1 second"
        );
        anyhow::ensure!(
            settings.db_max_connections >= 1,
            "db_max_connections must be at least 1"
        );
        anyhow::ensure!(
            settings.write_batch_size >= 1,
            "write_batch_size must be at least 1"
        );
        anyhow::ensure!(
            (1..=365).contains(&settings.crl_validity_days),
            "crl_validity_days must be from 1 to 365"
        );
        settings.custody_kind()?;
        settings.trusted_proxies()?;
        settings.client_auth()?;
        anyhow::ensure!(
            settings.tls_cert.is_some() == settings.tls_key.is_some(),
            "MTLS_CA_TLS_CERT and MTLS_CA_TLS_KEY go together: set both for HTTPS, or neither"
        );
        anyhow::ensure!(
            !(settings.tls_cert.is_some() && settings.tls_self_issued.is_some()),
            "MTLS_CA_TLS_SELF_ISSUED and MTLS_CA_TLS_CERT are two ways to get the API's certificate: set one"
        );
        if let Some(url) = &settings.public_url {
            url::Url::parse(url).with_context(|| format!("public_url {url:?} is not a URL"))?;
        }
        Ok(settings)
    }

    /// The base URL written into certificates, without a trailing slash.
    /// Whether the API listens with HTTPS.
    pub fn https(&self) -> bool {
        self.tls_cert.is_some() || self.tls_self_issued.is_some()
    }

    /// The names of `tls_self_issued`.
    pub fn self_issued_names(&self) -> Vec<String> {
        self.tls_self_issued
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty())
            .collect()
    }

    /// Unset, it is the plain-HTTP PKI listener when there is one (relying parties fetch CRLs and
    /// OCSP without TLS), else the API listener.
    pub fn public_url(&self) -> String {
        match (&self.public_url, self.pki_listen) {
            (Some(url), _) => url.trim_end_matches('/').to_owned(),
            (None, Some(pki)) => format!("http://{pki}"),
            (None, None) if self.https() => format!("https://{}", self.listen),
            (None, None) => format!("http://{}", self.listen),
        }
    }
}

/// The URL with any password replaced by `***`, for logs and errors.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(_) => url.to_owned(),
        Err(_) => match url.split_once('@') {
            Some((_, rest)) => format!("***@{rest}"),
            None => url.to_owned(),
        },
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)]
mod tests;

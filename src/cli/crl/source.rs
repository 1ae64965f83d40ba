//! Where `crl sync` reads from: the database, through the services like every admin command, or
//! a running server's public PKI endpoints (`--url`), so that a TLS terminator needs only the
//! binary. Both give the same material: the trust bundle, and each live CA's certificate and CRL.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;

use crate::cli::user_error;
use crate::service::Services;

/// One live CA's certificate and current CRL, DER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaCrl {
    /// `certificate_authority.id`.
    pub ca_id: String,
    /// The CA certificate.
    pub ca_der: Vec<u8>,
    /// Its current CRL.
    pub crl_der: Vec<u8>,
}

/// Everything a sync writes, before it is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Material {
    /// `ca export --bundle` / `GET /pki/bundle.pem`.
    pub bundle_pem: String,
    /// Every live CA, oldest first.
    pub cas: Vec<CaCrl>,
}

/// The database or a server.
pub enum Source {
    /// The configured database.
    Database(Arc<Services>),
    /// A server's PKI endpoints.
    Http(HttpSource),
}

impl Source {
    /// Reads the current material at `now`.
    pub async fn fetch(&self, now: i64) -> anyhow::Result<Material> {
        match self {
            Source::Database(s) => from_database(s, now).await,
            Source::Http(h) => h.fetch().await,
        }
    }
}

async fn from_database(s: &Services, now: i64) -> anyhow::Result<Material> {
    let bundle_pem = s.trust_bundle_pem(now).await.map_err(user_error)?;
    let mut cas = Vec::new();
    for ca in s.cas.live(now).await.map_err(user_error)? {
        let crl = s
            .crl_for_sync(&ca.id, now)
            .await
            .map_err(user_error)
            .with_context(|| format!("the CRL of CA {}", ca.id))?;
        cas.push(CaCrl {
            ca_id: ca.id.clone(),
            ca_der: ca.der().to_vec(),
            crl_der: crl.der,
        });
    }
    Ok(Material { bundle_pem, cas })
}

/// `GET /pki/index.json`.
#[derive(Debug, Deserialize)]
struct Index {
    certificate_authorities: Vec<IndexedCa>,
}

#[derive(Debug, Deserialize)]
struct IndexedCa {
    id: String,
}

/// A server's public PKI endpoints under a base URL.
pub struct HttpSource {
    base: String,
    client: reqwest::Client,
}

impl HttpSource {
    /// The server at `url` (`http://` or `https://`, optionally with a path prefix); `cacert`: the
    /// PEM roots to trust for HTTPS (none are built in).
    pub fn new(url: &str, cacert: Option<&Path>) -> anyhow::Result<HttpSource> {
        let parsed = url::Url::parse(url).with_context(|| format!("--url {url} is not a URL"))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            anyhow::bail!("--url {url} must be http://HOST[:PORT] or https://HOST[:PORT]");
        }
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60));
        if let Some(path) = cacert {
            let pem =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            for cert in reqwest::Certificate::from_pem_bundle(&pem)
                .with_context(|| format!("{} is not PEM certificates", path.display()))?
            {
                builder = builder.add_root_certificate(cert);
            }
        }
        Ok(HttpSource {
            base: parsed.as_str().trim_end_matches('/').to_owned(),
            client: builder.build().context("cannot build the HTTP client")?,
        })
    }

    async fn get(&self, path: &str) -> anyhow::Result<Vec<u8>> {
        let url = format!("{}{path}", self.base);
        let res = self
            .client
            .get(&url)
            .send()
            .await
            .with_context(|| format!("GET {url}"))?;
        let status = res.status();
        if !status.is_success() {
            anyhow::bail!("GET {url}: HTTP {status}");
        }
        Ok(res
            .bytes()
            .await
            .with_context(|| format!("GET {url}"))?
            .to_vec())
    }

    async fn fetch(&self) -> anyhow::Result<Material> {
        let index: Index = serde_json::from_slice(&self.get("/pki/index.json").await?)
            .context("GET /pki/index.json: not the index of an mtls-ca server")?;
        let bundle = self.get("/pki/bundle.pem").await?;
        let bundle_pem = String::from_utf8(bundle).context("GET /pki/bundle.pem: not text")?;
        let mut cas = Vec::new();
        for ca in index.certificate_authorities {
            // The id becomes a file name: only a UUID, spelled canonically, is accepted.
            let ca_id = uuid::Uuid::parse_str(&ca.id)
                .with_context(|| format!("the index names a CA {:?} that is not a UUID", ca.id))?
                .to_string();
            let ca_der = self.get(&format!("/pki/{ca_id}/ca.der")).await?;
            let crl_der = self.get(&format!("/pki/{ca_id}/crl")).await?;
            cas.push(CaCrl {
                ca_id,
                ca_der,
                crl_der,
            });
        }
        Ok(Material { bundle_pem, cas })
    }
}

//! `remote` custody: keys held by a separate `mtls-ca signer` process, reached over HTTP/2 on a
//! unix socket or over mutual TLS ([`protocol`]). This process holds no key; every signature is a request. When the
//! signer is down the request fails as [`SignerError::Unavailable`], and the next one reconnects.

mod endpoint;
pub mod protocol;

pub use endpoint::Endpoint;

use std::sync::Arc;
use std::time::Duration;

use secrecy::zeroize::Zeroize;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::custody::{KeyCustody, NewKey, StoredKey};
use super::key::{CaKey, SignKind};
use super::SignerError;
use crate::model::{Custody, KeyAlgorithm};
use crate::tls::MutualTls;
use protocol::{Failure, KeyInfo};

struct Client {
    http: reqwest::Client,
    base: String,
    runtime: tokio::runtime::Handle,
    url: String,
}

impl Client {
    /// Runs a request to completion from a blocking thread.
    fn run<T>(
        &self,
        request: reqwest::RequestBuilder,
        read: impl AsyncFnOnce(reqwest::Response) -> Result<T, SignerError>,
    ) -> Result<T, SignerError> {
        self.runtime.block_on(async {
            let response = request.send().await.map_err(|e| {
                SignerError::Unavailable(format!("cannot reach the signer at {}: {e}", self.url))
            })?;
            if response.status().is_success() {
                return read(response).await;
            }
            let status = response.status();
            let failure: Failure = response.json().await.unwrap_or(Failure {
                error: "unknown".into(),
                message: format!("HTTP {status}"),
            });
            Err(match status.as_u16() {
                400 | 413 => SignerError::Refused(failure.message),
                404 => SignerError::WrongCustody(failure.message),
                503 => SignerError::Unavailable(failure.message),
                _ => SignerError::Token(failure.message),
            })
        })
    }

    fn key_call(&self, path: &str, body: &impl Serialize) -> Result<KeyInfo, SignerError> {
        let request = self.http.post(format!("{}{path}", self.base)).json(body);
        self.run(request, json::<KeyInfo>)
    }
}

async fn json<T: DeserializeOwned>(r: reqwest::Response) -> Result<T, SignerError> {
    r.json()
        .await
        .map_err(|e| SignerError::Unavailable(format!("the signer's answer broke off: {e}")))
}

/// The client of one signer process.
pub struct RemoteCustody {
    client: Arc<Client>,
}

impl RemoteCustody {
    /// A client for the signer at `url` (`tls`: this end's certificate and key, and the CA of the
    /// signer's certificate, for `https://`); nothing is sent yet. Call it inside the runtime.
    pub fn new(url: &str, tls: Option<&MutualTls>) -> Result<RemoteCustody, SignerError> {
        let builder = reqwest::Client::builder()
            .http2_prior_knowledge()
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(30));
        let (builder, base) = match (Endpoint::parse(url)?, tls) {
            (Endpoint::Unix(path), _) => (builder.unix_socket(path), "http://mtls-ca-signer".into()),
            (Endpoint::Https { authority }, Some(tls)) => {
                let config = tls
                    .client_config()
                    .map_err(|e| SignerError::Token(format!("signer TLS: {e}")))?;
                (builder.use_preconfigured_tls(config), format!("https://{authority}"))
            }
            (Endpoint::Https { .. }, None) => {
                return Err(SignerError::Token(format!(
                    "{url}: a signer over https needs MTLS_CA_SIGNER_TLS_CERT, MTLS_CA_SIGNER_TLS_KEY and MTLS_CA_SIGNER_CA"
                )))
            }
        };
        let http = builder
            .build()
            .map_err(|e| SignerError::Token(format!("signer client: {e}")))?;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            SignerError::Token("the remote signer client needs a tokio runtime".into())
        })?;
        Ok(RemoteCustody {
            client: Arc::new(Client {
                http,
                base,
                runtime,
                url: url.to_owned(),
            }),
        })
    }

    fn key(&self, info: KeyInfo, expected: KeyAlgorithm) -> Result<Arc<RemoteKey>, SignerError> {
        let public = info.public_key_bytes().ok_or_else(|| {
            SignerError::Token("the signer sent a public key that is not base64".into())
        })?;
        if info.algorithm != expected {
            return Err(SignerError::KeyMismatch);
        }
        Ok(Arc::new(RemoteKey {
            client: Arc::clone(&self.client),
            key_ref: info.key_ref,
            algorithm: info.algorithm,
            public,
        }))
    }
}

impl KeyCustody for RemoteCustody {
    fn kind(&self) -> Custody {
        Custody::Remote
    }

    fn generate(&self, alg: KeyAlgorithm, label: &str) -> Result<NewKey, SignerError> {
        let info = self.client.key_call(
            "/v1/keys",
            &protocol::Generate {
                algorithm: alg,
                label: label.to_owned(),
            },
        )?;
        let key = self.key(info, alg)?;
        Ok(NewKey {
            stored: StoredKey::Reference(key.key_ref.clone()),
            key,
        })
    }

    fn open(&self, stored: &StoredKey, alg: KeyAlgorithm) -> Result<Arc<dyn CaKey>, SignerError> {
        let StoredKey::Reference(key_ref) = stored else {
            return Err(SignerError::WrongCustody(
                "the key is sealed in the database (local custody); with MTLS_CA_SIGNER=remote \
                 this process loads no key: use MTLS_CA_SIGNER=local for it"
                    .into(),
            ));
        };
        let info = self.client.key_call(
            "/v1/keys/open",
            &protocol::Open {
                key_ref: key_ref.clone(),
                algorithm: alg,
            },
        )?;
        Ok(self.key(info, alg)?)
    }

    fn import(&self, pkcs8: &[u8], label: &str) -> Result<NewKey, SignerError> {
        let mut body = protocol::Import {
            label: label.to_owned(),
            pkcs8: protocol::b64(pkcs8),
        };
        let info = self.client.key_call("/v1/keys/import", &body);
        body.pkcs8.zeroize();
        let info = info?;
        let alg = info.algorithm;
        let key = self.key(info, alg)?;
        Ok(NewKey {
            stored: StoredKey::Reference(key.key_ref.clone()),
            key,
        })
    }
}

/// A key in the signer process.
struct RemoteKey {
    client: Arc<Client>,
    key_ref: String,
    algorithm: KeyAlgorithm,
    public: Vec<u8>,
}

impl CaKey for RemoteKey {
    fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    fn public_key(&self) -> &[u8] {
        &self.public
    }

    fn sign(&self, kind: SignKind, tbs: &[u8]) -> Result<Vec<u8>, SignerError> {
        let request = self
            .client
            .http
            .post(format!("{}/v1/sign/{}", self.client.base, kind.as_str()))
            .query(&[
                ("key", self.key_ref.as_str()),
                ("algorithm", self.algorithm.as_str()),
            ])
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(tbs.to_vec());
        self.client.run(request, async |r| {
            r.bytes().await.map(|b| b.to_vec()).map_err(|e| {
                SignerError::Unavailable(format!("the signer's answer broke off: {e}"))
            })
        })
    }
}

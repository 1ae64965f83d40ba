//! The signer protocol's handlers ([`crate::signer::remote::protocol`]): thin adapters over the
//! [`KeyStore`], plus the check of what is signed and one audit line per signature.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;

use super::inspect::inspect;
use super::store::{KeyStore, StoreError};
use crate::model::KeyAlgorithm;
use crate::signer::remote::protocol::{self, Failure, Generate, Import, KeyInfo, Open};
use crate::signer::{CaKey, SignKind};

/// The signer's router.
pub fn router(store: Arc<KeyStore>) -> Router {
    Router::new()
        .route("/v1/keys", post(generate))
        .route("/v1/keys/open", post(open))
        .route("/v1/keys/import", post(import))
        .route("/v1/sign/{kind}", post(sign))
        .fallback(|| async { fail(StatusCode::NOT_FOUND, "not_found", "no such signer route") })
        .layer(DefaultBodyLimit::max(protocol::MAX_BODY))
        .with_state(store)
}

fn fail(status: StatusCode, error: &str, message: impl Into<String>) -> Response {
    let body = Failure {
        error: error.to_owned(),
        message: message.into(),
    };
    (status, Json(body)).into_response()
}

impl IntoResponse for StoreError {
    fn into_response(self) -> Response {
        match self {
            StoreError::Refused(m) => fail(StatusCode::BAD_REQUEST, "refused", m),
            StoreError::UnknownKey(m) => fail(StatusCode::NOT_FOUND, "unknown_key", m),
            StoreError::Unavailable(m) => {
                tracing::warn!(cause = %m, "answering 503");
                fail(StatusCode::SERVICE_UNAVAILABLE, "unavailable", m)
            }
            StoreError::Failed(m) => {
                tracing::error!(cause = %m, "signer failure");
                fail(StatusCode::INTERNAL_SERVER_ERROR, "failed", m)
            }
        }
    }
}

fn body<T>(json: Result<Json<T>, JsonRejection>) -> Result<T, StoreError> {
    json.map(|Json(t)| t)
        .map_err(|e| StoreError::Refused(format!("malformed request: {}", e.body_text())))
}

fn info(key_ref: String, key: &dyn CaKey) -> Json<KeyInfo> {
    Json(KeyInfo {
        key_ref,
        algorithm: key.algorithm(),
        public_key: protocol::b64(key.public_key()),
    })
}

async fn generate(
    State(store): State<Arc<KeyStore>>,
    req: Result<Json<Generate>, JsonRejection>,
) -> Result<Json<KeyInfo>, StoreError> {
    let req = body(req)?;
    let (key_ref, key) = store
        .generate(req.algorithm, &req.label, crate::clock::now())
        .await?;
    tracing::info!(target: "mtls_ca::signer::audit", action = "generate", key = %key_ref,
        algorithm = req.algorithm.as_str(), "created a key");
    Ok(info(key_ref, &*key))
}

async fn open(
    State(store): State<Arc<KeyStore>>,
    req: Result<Json<Open>, JsonRejection>,
) -> Result<Json<KeyInfo>, StoreError> {
    let req = body(req)?;
    let key = store.key(&req.key_ref, Some(req.algorithm)).await?;
    Ok(info(req.key_ref, &*key))
}

async fn import(
    State(store): State<Arc<KeyStore>>,
    req: Result<Json<Import>, JsonRejection>,
) -> Result<Json<KeyInfo>, StoreError> {
    let req = body(req)?;
    let pkcs8 = protocol::unb64(&req.pkcs8)
        .ok_or_else(|| StoreError::Refused("pkcs8 is not base64".into()))?;
    let (key_ref, key) = store.import(pkcs8, &req.label, crate::clock::now()).await?;
    tracing::info!(target: "mtls_ca::signer::audit", action = "import", key = %key_ref,
        algorithm = key.algorithm().as_str(), "imported a key");
    Ok(info(key_ref, &*key))
}

/// `?key=REF&algorithm=ALG`.
#[derive(Deserialize)]
struct SignQuery {
    key: String,
    algorithm: Option<KeyAlgorithm>,
}

async fn sign(
    State(store): State<Arc<KeyStore>>,
    Path(kind): Path<String>,
    query: Result<Query<SignQuery>, axum::extract::rejection::QueryRejection>,
    tbs: Bytes,
) -> Result<Vec<u8>, StoreError> {
    let kind = SignKind::parse(&kind)
        .ok_or_else(|| StoreError::Refused(format!("{kind:?} is not a kind of signature")))?;
    let Query(q) = query.map_err(|e| StoreError::Refused(format!("malformed request: {e}")))?;
    if tbs.len() > protocol::max_tbs(kind) {
        return Err(StoreError::Refused(format!(
            "{} bytes is more than a {} may be",
            tbs.len(),
            kind.as_str()
        )));
    }
    let key = store.key(&q.key, q.algorithm).await?;
    let summary = inspect(kind, &tbs, key.algorithm(), key.public_key())
        .map_err(|why| StoreError::Refused(format!("{}: {why}", kind.as_str())))?;
    let signer = Arc::clone(&key);
    let signature = tokio::task::spawn_blocking(move || signer.sign(kind, &tbs))
        .await
        .map_err(|e| StoreError::Failed(format!("signing task failed: {e}")))??;
    tracing::info!(target: "mtls_ca::signer::audit", action = "sign", kind = kind.as_str(),
        key = %q.key, serial = %summary.serial, subject = %summary.subject,
        entries = summary.entries, "signed");
    Ok(signature)
}

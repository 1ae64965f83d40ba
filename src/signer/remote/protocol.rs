//! The signer protocol: HTTP/2 between `serve` (the client) and `mtls-ca signer` (the server).
//!
//! - `POST /v1/keys` `{algorithm, label}`: a new key, `200 KeyInfo`.
//! - `POST /v1/keys/open` `{key_ref, algorithm}`: a key the signer holds, `200 KeyInfo`.
//! - `POST /v1/keys/import` `{label, pkcs8}`: an existing key taken in, `200 KeyInfo`.
//! - `POST /v1/sign/{kind}?key=REF`, body the DER to be signed: `200` with the signature bytes.
//!
//! Failures are `4xx`/`5xx` with a [`Failure`] body: `400` a request the signer refuses, `404` a
//! key it does not hold, `503` its token is unavailable.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::model::KeyAlgorithm;

/// The largest to-be-signed structure per kind: end-entity and CA certificates, CSRs and OCSP
/// responses are small; a CRL grows with its entries (about 40 bytes each).
pub fn max_tbs(kind: crate::signer::SignKind) -> usize {
    use crate::signer::SignKind;
    match kind {
        SignKind::Certificate | SignKind::CaCertificate | SignKind::CaRequest => 64 * 1024,
        SignKind::Ocsp => 256 * 1024,
        SignKind::Crl => MAX_BODY,
    }
}

/// The largest request body the signer reads: a CRL of about 800,000 entries.
pub const MAX_BODY: usize = 32 * 1024 * 1024;

/// `POST /v1/keys`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Generate {
    /// The algorithm of the new key.
    pub algorithm: KeyAlgorithm,
    /// Its label: the id of the CA it is for.
    pub label: String,
}

/// `POST /v1/keys/open`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Open {
    /// The reference [`KeyInfo::key_ref`] gave.
    pub key_ref: String,
    /// The algorithm the caller expects it to have.
    pub algorithm: KeyAlgorithm,
}

/// `POST /v1/keys/import`. `Debug` hides the key.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Import {
    /// Its label: the id of the CA it is for.
    pub label: String,
    /// The plaintext PKCS#8 DER, base64.
    pub pkcs8: String,
}

/// A key the signer holds.
#[derive(Debug, Serialize, Deserialize)]
pub struct KeyInfo {
    /// What to store and send back to use it.
    pub key_ref: String,
    /// Its algorithm.
    pub algorithm: KeyAlgorithm,
    /// subjectPublicKey bits, base64.
    pub public_key: String,
}

impl KeyInfo {
    /// The public key bits.
    pub fn public_key_bytes(&self) -> Option<Vec<u8>> {
        STANDARD.decode(&self.public_key).ok()
    }
}

/// A failure's body.
#[derive(Debug, Serialize, Deserialize)]
pub struct Failure {
    /// A short machine word: `refused`, `unknown_key`, `unavailable`, `token`.
    pub error: String,
    /// What went wrong, for the operator.
    pub message: String,
}

/// Base64 for the JSON bodies.
pub fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Decodes base64 from a JSON body.
pub fn unb64(text: &str) -> Option<Vec<u8>> {
    STANDARD.decode(text).ok()
}

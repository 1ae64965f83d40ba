//! CA keys that do not come with a self-signed certificate: a key made for an intermediate that an
//! outside root certifies ([`request_ca`]), and an existing CA's key brought in ([`import_key`]).
//! Either way the key goes straight into the custody, like a generated one.

use rcgen::{CertificateParams, DistinguishedName};
use secrecy::{ExposeSecret, SecretString};

use super::custody::{KeyCustody, NewKey, StoredKey};
use super::key::{SignKind, Signing};
use super::sealed::{self, SealedKey};
use super::SignerError;
use crate::model::KeyAlgorithm;

/// A new CA key and the CSR to have it certified.
#[derive(Debug, Clone)]
pub struct CaRequest {
    /// PKCS#10, PEM, signed by the new key, subject as requested.
    pub csr_pem: String,
    /// The new key, as the database keeps it.
    pub key: StoredKey,
}

/// Generates a CA key of `alg` in `custody` (labelled `label`, the CA's id) and a CSR for `subject`
/// signed by it. The root that signs it decides the extensions (it must make it a CA:
/// basicConstraints cA, keyCertSign, cRLSign).
pub fn request_ca(
    custody: &dyn KeyCustody,
    alg: KeyAlgorithm,
    subject: DistinguishedName,
    label: &str,
) -> Result<CaRequest, SignerError> {
    let new = custody.generate(alg, label)?;
    let mut params = CertificateParams::default();
    params.distinguished_name = subject;
    let signing = Signing::new(&*new.key, SignKind::CaRequest);
    let csr = signing.finish(params.serialize_request(&signing))?;
    Ok(CaRequest {
        csr_pem: csr.pem()?,
        key: new.stored,
    })
}

/// Reads an existing CA key (PEM PKCS#8, `PRIVATE KEY`, or `ENCRYPTED PRIVATE KEY` opened with
/// `key_passphrase`) into `custody` under `label`. Legacy SEC1/PKCS#1 PEM is refused with the
/// command that converts it.
pub fn import_key(
    custody: &dyn KeyCustody,
    pem_text: &str,
    key_passphrase: Option<&SecretString>,
    label: &str,
) -> Result<NewKey, SignerError> {
    let block = pem::parse(pem_text.trim())
        .map_err(|e| SignerError::CorruptKey(format!("the key file is not PEM ({e})")))?;
    let plain = match block.tag() {
        "PRIVATE KEY" => secrecy::SecretSlice::from(block.into_contents()),
        "ENCRYPTED PRIVATE KEY" => {
            let pass = key_passphrase.ok_or_else(|| {
                SignerError::CorruptKey(
                    "the key is encrypted: give its passphrase (--key-passphrase-file)".into(),
                )
            })?;
            let sealed = SealedKey {
                der: block.into_contents(),
                encrypted: true,
            };
            sealed::unseal(&sealed, Some(pass))?
        }
        tag @ ("EC PRIVATE KEY" | "RSA PRIVATE KEY") => {
            return Err(SignerError::CorruptKey(format!(
                "the key is a legacy {tag}: convert it to PKCS#8 first (openssl pkcs8 -topk8 -in KEY -out KEY.p8, which asks for a passphrase; add -nocrypt for none)"
            )))
        }
        other => {
            return Err(SignerError::CorruptKey(format!(
                "a {other} block where a PRIVATE KEY was expected"
            )))
        }
    };
    custody.import(plain.expose_secret(), label)
}

//! TEMPORARY placeholder with the signer's interface; replaced by the real module.
#![allow(missing_docs, dead_code, unused_variables)]
use crate::model::KeyAlgorithm;
use secrecy::SecretString;

#[derive(Debug, thiserror::Error)]
pub enum SignerError {
    #[error("passphrase required")]
    PassphraseRequired,
    #[error("wrong passphrase")]
    WrongPassphrase,
    #[error("corrupt key: {0}")]
    CorruptKey(String),
    #[error("certificate: {0}")]
    Certificate(String),
}
pub struct SealedKey {
    pub der: Vec<u8>,
    pub encrypted: bool,
}
pub struct NewCa {
    pub certificate_der: Vec<u8>,
    pub certificate_pem: String,
    pub key: SealedKey,
    pub not_before: i64,
    pub not_after: i64,
}
pub fn create_ca(
    alg: KeyAlgorithm,
    common_name: &str,
    now: i64,
    passphrase: Option<&SecretString>,
) -> Result<NewCa, SignerError> {
    Err(SignerError::Certificate("stub".into()))
}
pub struct Signer {
    alg: KeyAlgorithm,
}
impl Signer {
    pub fn load(
        certificate_der: &[u8],
        key: &SealedKey,
        passphrase: Option<&SecretString>,
    ) -> Result<Signer, SignerError> {
        Err(SignerError::Certificate("stub".into()))
    }
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.alg
    }
    pub fn certificate_der(&self) -> &[u8] {
        &[]
    }
    pub fn certificate_pem(&self) -> String {
        String::new()
    }
    pub fn not_after(&self) -> i64 {
        0
    }
    pub fn issue(
        &self,
        csr: &Csr,
        serial: [u8; 20],
        not_before: i64,
        not_after: i64,
        pointers: Option<&Pointers>,
    ) -> Result<IssuedCert, SignerError> {
        Err(SignerError::Certificate("stub".into()))
    }
}
pub struct Pointers {
    pub crl_url: String,
    pub ocsp_url: String,
    pub ca_issuers_url: String,
}
pub struct IssuedCert {
    pub der: Vec<u8>,
    pub pem: String,
    pub serial_hex: String,
    pub fingerprint_sha256: String,
    pub ski_hex: String,
}
pub struct Csr {
    subject: Subject,
}
#[derive(Default)]
pub struct Subject {
    pub common_name: String,
    pub country: String,
    pub state: String,
    pub location: String,
    pub organization: String,
    pub organizational_unit: String,
}
#[derive(Debug, thiserror::Error)]
pub enum CsrError {
    #[error("not pem")]
    NotPem,
    #[error("malformed {0}")]
    Malformed(String),
    #[error("bad sig")]
    BadSignature,
    #[error("key {0}")]
    KeyNotAllowed(String),
    #[error("unsupported {0}")]
    Unsupported(String),
}
impl Csr {
    pub fn parse(pem: &str) -> Result<Csr, CsrError> {
        Err(CsrError::NotPem)
    }
    pub fn subject(&self) -> &Subject {
        &self.subject
    }
}

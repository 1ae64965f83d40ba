//! What the CA registry knows of one CA: everything public about it, no key.

use crate::db::cas::CaRecord;
use crate::error::{Error, Result};
use crate::model::{CaRole, KeyAlgorithm};
use crate::x509::CaCertificate;

/// What the registry knows of one CA: everything public, no key.
#[derive(Debug, Clone)]
pub struct CaEntry {
    /// UUID, `certificate_authority.id`.
    pub id: String,
    /// `certificate_authority.name`.
    pub name: String,
    /// Issuing, retired or pending.
    pub role: CaRole,
    /// The key's algorithm.
    pub algorithm: KeyAlgorithm,
    /// The CA certificate; `None` while pending.
    pub certificate: Option<CaCertificate>,
    /// The certificates above it, issuer first, PEM (empty for a root).
    pub chain_pem: String,
    /// A pending CA's CSR.
    pub request_pem: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// When it became the issuing CA.
    pub activated_at: Option<i64>,
    /// When another CA replaced it.
    pub retired_at: Option<i64>,
}

impl CaEntry {
    pub(super) fn from_record(r: CaRecord) -> Result<CaEntry> {
        let certificate = r
            .certificate_der
            .as_deref()
            .map(CaCertificate::parse)
            .transpose()
            .map_err(|e| Error::Internal(format!("stored CA {} is unusable: {e}", r.id)))?;
        Ok(CaEntry {
            id: r.id,
            name: r.name,
            role: r.role,
            algorithm: r.key_algorithm,
            certificate,
            chain_pem: r.chain_pem,
            request_pem: r.request_pem,
            created_at: r.created_at,
            activated_at: r.activated_at,
            retired_at: r.retired_at,
        })
    }

    /// notAfter of its certificate (`None` while pending).
    pub fn not_after(&self) -> Option<i64> {
        self.certificate.as_ref().map(CaCertificate::not_after)
    }

    /// The CA certificate, PEM (empty while pending).
    pub fn pem(&self) -> String {
        self.certificate
            .as_ref()
            .map(CaCertificate::pem)
            .unwrap_or_default()
    }

    /// The CA certificate, DER (empty while pending).
    pub fn der(&self) -> &[u8] {
        self.certificate.as_ref().map_or(&[], CaCertificate::der)
    }

    /// The CA certificate and the chain above it, PEM, up to the root.
    pub fn chain_pem(&self) -> Option<String> {
        let cert = self.certificate.as_ref()?;
        Some(format!("{}{}", cert.pem(), self.chain_pem))
    }
}

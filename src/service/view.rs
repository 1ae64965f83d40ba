//! The client-certificate object as the API shows it: exactly Cloudflare's fields.

use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::Services;
use crate::db::certificates::CertRow;

/// `certificate_authority` of the API object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaRef {
    /// UUID.
    pub id: String,
    /// Display name.
    pub name: String,
}

/// The client-certificate object, exactly Cloudflare's fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientCertificate {
    /// 32 hex digits.
    pub id: String,
    /// PEM.
    pub certificate: String,
    /// The issuing CA.
    pub certificate_authority: CaRef,
    /// Subject CN.
    pub common_name: String,
    /// Subject C.
    pub country: String,
    /// The CSR exactly as sent.
    pub csr: String,
    /// notAfter, RFC 3339.
    pub expires_on: String,
    /// Hex SHA-256 of the DER.
    pub fingerprint_sha256: String,
    /// notBefore, RFC 3339.
    pub issued_on: String,
    /// Subject L.
    pub location: String,
    /// Subject O.
    pub organization: String,
    /// Subject OU.
    pub organizational_unit: String,
    /// Lowercase hex.
    pub serial_number: String,
    /// Go spelling of the CA's signature algorithm.
    pub signature: String,
    /// Hex Subject Key Identifier.
    pub ski: String,
    /// Subject ST.
    pub state: String,
    /// Life-cycle status.
    pub status: String,
    /// As requested.
    pub validity_days: i64,
}

/// RFC 3339 in UTC with whole seconds and `Z`.
pub fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

impl Services {
    /// The API object of a stored certificate.
    pub(crate) fn view(&self, row: CertRow) -> ClientCertificate {
        ClientCertificate {
            certificate_authority: CaRef {
                name: if row.ca_id == self.ca.id {
                    self.ca.name.clone()
                } else {
                    String::new()
                },
                id: row.ca_id,
            },
            expires_on: rfc3339(row.expires_on),
            issued_on: rfc3339(row.issued_on),
            id: row.id,
            certificate: row.certificate,
            common_name: row.common_name,
            country: row.country,
            csr: row.csr,
            fingerprint_sha256: row.fingerprint_sha256,
            location: row.location,
            organization: row.organization,
            organizational_unit: row.organizational_unit,
            serial_number: row.serial_number,
            signature: row.signature,
            ski: row.ski,
            state: row.state,
            status: row.status,
            validity_days: row.validity_days,
        }
    }
}

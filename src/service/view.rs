//! The client-certificate object as the API shows it: exactly Cloudflare's fields.

use serde::Serialize;

use super::{CaEntry, Services};
use crate::db::certificates::CertRow;
use crate::error::Result;

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

pub use crate::clock::rfc3339;

impl Services {
    /// The API object of a stored certificate issued by `ca`.
    pub(crate) fn view_of(&self, ca: &CaEntry, row: CertRow) -> ClientCertificate {
        view(Some(ca), row)
    }

    /// The API object of a stored certificate, its CA looked up in the registry (which reloads
    /// when the CA was made by another process since it last looked).
    pub(crate) async fn view(&self, row: CertRow) -> Result<ClientCertificate> {
        let ca = self.cas.find(&row.ca_id).await?;
        Ok(view(ca.as_deref(), row))
    }

    /// The API objects of stored certificates.
    pub(crate) async fn views(&self, rows: Vec<CertRow>) -> Result<Vec<ClientCertificate>> {
        if rows.iter().any(|r| self.cas.get(&r.ca_id).is_none()) {
            self.cas.refresh().await?;
        }
        Ok(rows
            .into_iter()
            .map(|row| {
                let ca = self.cas.get(&row.ca_id);
                view(ca.as_deref(), row)
            })
            .collect())
    }
}

fn view(ca: Option<&CaEntry>, row: CertRow) -> ClientCertificate {
    ClientCertificate {
        certificate_authority: CaRef {
            name: ca.map(|c| c.name.clone()).unwrap_or_default(),
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
        status: row.status.as_str().to_owned(),
        validity_days: row.validity_days,
    }
}

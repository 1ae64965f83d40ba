//! Client certificates: issue from a CSR, read, list, and request revocation or reactivation.

use std::sync::Arc;

use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::listing::{ListQuery, ResultInfo};
use super::Services;
use crate::db::certificates::{self as repo, CertRow};
use crate::error::{codes, Error, Result};
use crate::model::{random_bytes, CertId, CertStatus, Permission, ZoneId};
use crate::service::auth::Principal;
use crate::signer::{Csr, CsrError, Pointers};

/// Longest validity a client certificate can be issued for.
pub const MAX_VALIDITY_DAYS: i64 = 3650;
const DAY: i64 = 86_400;

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

/// An issuance request as it arrives.
#[derive(Debug, Clone)]
pub struct CreateRequest {
    /// PEM CSR, echoed back exactly.
    pub csr: String,
    /// 1..=3650.
    pub validity_days: i64,
}

impl Services {
    fn view(&self, row: CertRow) -> ClientCertificate {
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

    /// The URLs every issued certificate points to.
    pub fn pointers(&self) -> Pointers {
        let base = format!("{}/pki/{}", self.public_url, self.ca.id);
        Pointers {
            crl_url: format!("{base}/crl"),
            ocsp_url: format!("{base}/ocsp"),
            ca_issuers_url: format!("{base}/ca.der"),
        }
    }

    /// Issues a certificate for the CSR; returns once it is committed.
    pub async fn create_certificate(
        &self,
        p: &Principal,
        zone: &ZoneId,
        req: CreateRequest,
        now: i64,
    ) -> Result<ClientCertificate> {
        self.authorize(p, zone, Permission::Write).await?;
        if !(1..=MAX_VALIDITY_DAYS).contains(&req.validity_days) {
            return Err(Error::invalid(
                codes::VALIDITY_OUT_OF_RANGE,
                format!(
                    "validity_days must be a whole number from 1 to {MAX_VALIDITY_DAYS}, not {}",
                    req.validity_days
                ),
                Some("/validity_days"),
            ));
        }
        let not_after = now + req.validity_days * DAY;
        let signer = Arc::clone(&self.ca.signer);
        if not_after > signer.not_after() {
            return Err(Error::invalid(
                codes::VALIDITY_EXCEEDS_CA,
                format!(
                    "validity_days {} would outlive the CA certificate, which expires {}",
                    req.validity_days,
                    rfc3339(signer.not_after())
                ),
                Some("/validity_days"),
            ));
        }
        let pointers = self.pointers();
        let pem = req.csr.clone();
        let (csr, issued) = tokio::task::spawn_blocking(move || {
            let csr = Csr::parse(&pem).map_err(csr_error)?;
            let issued = signer
                .issue(&csr, random_bytes::<20>(), now, not_after, Some(&pointers))
                .map_err(|e| Error::Internal(format!("signing failed: {e}")))?;
            Ok::<_, Error>((csr, issued))
        })
        .await
        .map_err(|e| Error::Internal(format!("signing task failed: {e}")))??;
        let subject = csr.subject();
        let row = CertRow {
            id: CertId::generate().to_string(),
            zone_id: zone.to_string(),
            ca_id: self.ca.id.clone(),
            serial_number: issued.serial_hex,
            certificate: issued.pem,
            csr: req.csr,
            common_name: subject.common_name.clone(),
            country: subject.country.clone(),
            state: subject.state.clone(),
            location: subject.location.clone(),
            organization: subject.organization.clone(),
            organizational_unit: subject.organizational_unit.clone(),
            fingerprint_sha256: issued.fingerprint_sha256,
            ski: issued.ski_hex,
            signature: self.ca.signer.algorithm().signature_name().to_owned(),
            status: CertStatus::Active.as_str().to_owned(),
            validity_days: req.validity_days,
            issued_on: now,
            expires_on: not_after,
            status_changed_at: now,
            revocation_requested_at: None,
        };
        self.writer.insert(row.clone()).await?;
        self.metrics.record_issued();
        Ok(self.view(row))
    }

    /// One certificate of the zone.
    pub async fn get_certificate(
        &self,
        p: &Principal,
        zone: &ZoneId,
        id: &CertId,
    ) -> Result<ClientCertificate> {
        self.authorize(p, zone, Permission::Read).await?;
        let row = repo::get(&self.db, zone.as_str(), id.as_str())
            .await?
            .ok_or(Error::NotFound)?;
        Ok(self.view(row))
    }

    /// A page of the zone's certificates, oldest first.
    pub async fn list_certificates(
        &self,
        p: &Principal,
        zone: &ZoneId,
        query: &ListQuery,
    ) -> Result<(Vec<ClientCertificate>, ResultInfo)> {
        self.authorize(p, zone, Permission::Read).await?;
        let status = query.status.map(CertStatus::as_str);
        let filtered = repo::count(&self.db, zone.as_str(), status).await?;
        let window = query.window(u64::try_from(filtered).unwrap_or(0));
        let rows = if window.take == 0 {
            Vec::new()
        } else {
            repo::list(
                &self.db,
                zone.as_str(),
                status,
                i64::try_from(window.skip).unwrap_or(i64::MAX),
                i64::try_from(window.take).unwrap_or(i64::MAX),
            )
            .await?
        };
        let info = query.result_info(rows.len() as u64, window.total);
        Ok((rows.into_iter().map(|r| self.view(r)).collect(), info))
    }

    /// DELETE: `active` (or `pending_reactivation`) becomes `pending_revocation`; a revoked or
    /// pending-revocation certificate is returned unchanged.
    pub async fn revoke_certificate(
        &self,
        p: &Principal,
        zone: &ZoneId,
        id: &CertId,
        now: i64,
    ) -> Result<ClientCertificate> {
        self.authorize(p, zone, Permission::Write).await?;
        self.transition(zone, id, now, Transition::Revoke).await
    }

    /// PATCH: `revoked` (or `pending_revocation`) becomes `pending_reactivation`; an active or
    /// pending-reactivation certificate is returned unchanged.
    pub async fn reactivate_certificate(
        &self,
        p: &Principal,
        zone: &ZoneId,
        id: &CertId,
        reactivate: bool,
        now: i64,
    ) -> Result<ClientCertificate> {
        self.authorize(p, zone, Permission::Write).await?;
        if !reactivate {
            return self.get_certificate(p, zone, id).await;
        }
        self.transition(zone, id, now, Transition::Reactivate).await
    }

    async fn transition(
        &self,
        zone: &ZoneId,
        id: &CertId,
        now: i64,
        t: Transition,
    ) -> Result<ClientCertificate> {
        // A compare-and-set that lost to a concurrent change is retried against the new status.
        for _ in 0..4 {
            let moved = match t {
                Transition::Revoke => {
                    repo::request_revocation(&self.db, zone.as_str(), id.as_str(), now).await?
                }
                Transition::Reactivate => {
                    repo::request_reactivation(&self.db, zone.as_str(), id.as_str(), now).await?
                }
            };
            if let Some(row) = moved {
                return Ok(self.view(row));
            }
            let row = repo::get(&self.db, zone.as_str(), id.as_str())
                .await?
                .ok_or(Error::NotFound)?;
            let unchanged = match t {
                Transition::Revoke => ["revoked", "pending_revocation"],
                Transition::Reactivate => ["active", "pending_reactivation"],
            };
            if unchanged.contains(&row.status.as_str()) {
                return Ok(self.view(row));
            }
        }
        Err(Error::Unavailable(
            "the certificate is changing too fast; try again".into(),
        ))
    }
}

#[derive(Clone, Copy)]
enum Transition {
    Revoke,
    Reactivate,
}

fn csr_error(e: CsrError) -> Error {
    let code = match e {
        CsrError::NotPem | CsrError::Malformed(_) => codes::CSR_MALFORMED,
        CsrError::BadSignature => codes::CSR_BAD_SIGNATURE,
        CsrError::KeyNotAllowed(_) => codes::CSR_KEY_NOT_ALLOWED,
        CsrError::Unsupported(_) => codes::CSR_UNSUPPORTED,
    };
    Error::invalid(code, e.to_string(), Some("/csr"))
}

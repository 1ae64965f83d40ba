//! Client certificates: issue from a CSR, read, list, and request revocation or reactivation.

use super::audit::ResourceType;
use super::auth::Caller;
use super::listing::{ListQuery, ResultInfo};
use super::view::{rfc3339, ClientCertificate};
use super::Services;
use crate::db::certificates::{self as repo, CertRow};
use crate::error::{codes, Error, Result};
use crate::model::policy::PermissionGroup;
use crate::model::{time_ordered_serial, CertId, CertStatus, ZoneId};
use crate::signer::{IssuedCert, Pointers, Signer};
use crate::x509::{Csr, CsrError};

/// Longest validity a client certificate can be issued for.
pub const MAX_VALIDITY_DAYS: i64 = 3650;
const DAY: i64 = 86_400;

/// An issuance request as it arrives.
#[derive(Debug, Clone)]
pub struct CreateRequest {
    /// PEM CSR, echoed back exactly.
    pub csr: String,
    /// 1..=3650.
    pub validity_days: i64,
}

impl Services {
    /// The URLs a certificate of CA `ca_id` points to.
    pub fn pointers(&self, ca_id: &str) -> Pointers {
        let base = format!("{}/pki/{}", self.public_url, ca_id);
        Pointers {
            crl_url: format!("{base}/crl"),
            ocsp_url: format!("{base}/ocsp"),
            ca_issuers_url: format!("{base}/ca.der"),
        }
    }

    /// Issues a certificate for the CSR; returns once it is committed.
    pub async fn create_certificate(
        &self,
        caller: &Caller,
        zone: &ZoneId,
        req: CreateRequest,
        now: i64,
    ) -> Result<ClientCertificate> {
        self.authorize(&caller.principal, zone, PermissionGroup::SslWrite)
            .await?;
        check_validity_days(req.validity_days)?;
        let ca = self.cas.issuing()?;
        let signer = self.cas.signer(&ca.id).await?;
        let not_after = not_after(req.validity_days, now, signer.not_after())?;
        let pointers = self.pointers(&ca.id);
        let quick = signer.issues_quickly();
        let issue = move |pem: &str| {
            issue_for_csr(
                &signer,
                pem,
                time_ordered_serial(now),
                now,
                not_after,
                &pointers,
            )
        };
        // A hop to the blocking pool and back costs more than a quick issuance itself.
        let (csr, issued) = if quick {
            issue(&req.csr)?
        } else {
            let pem = req.csr.clone();
            tokio::task::spawn_blocking(move || issue(&pem))
                .await
                .map_err(|e| Error::Internal(format!("signing task failed: {e}")))??
        };
        let subject = csr.subject();
        let row = CertRow {
            id: CertId::generate_at(now).to_string(),
            zone_id: zone.to_string(),
            ca_id: ca.id.clone(),
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
            signature: ca.algorithm.signature_name().to_owned(),
            status: CertStatus::Active,
            validity_days: req.validity_days,
            issued_on: now,
            expires_on: not_after,
            status_changed_at: now,
            revocation_requested_at: None,
        };
        let audit = caller.audit(
            "issue",
            ResourceType::Certificate,
            &row.id,
            None,
            Some(serde_json::json!({
                "zone_id": row.zone_id,
                "serial_number": row.serial_number,
                "common_name": row.common_name,
                "expires_on": rfc3339(row.expires_on),
                "status": row.status.as_str(),
            })),
            now,
        );
        self.writer().insert(row.clone(), audit).await?;
        self.metrics.record_issued();
        Ok(self.view_of(&ca, row))
    }

    /// One certificate of the zone.
    pub async fn get_certificate(
        &self,
        caller: &Caller,
        zone: &ZoneId,
        id: &CertId,
    ) -> Result<ClientCertificate> {
        self.authorize(&caller.principal, zone, PermissionGroup::SslRead)
            .await?;
        let row = repo::get(&self.db, zone.as_str(), id.as_str())
            .await?
            .ok_or(Error::NotFound)?;
        self.view(row).await
    }

    /// The zone a certificate id belongs to (404 when unknown), for callers that know only the id.
    pub async fn certificate_zone(&self, id: &CertId) -> Result<ZoneId> {
        let zone = repo::zone_of(&self.db, id.as_str())
            .await?
            .ok_or(Error::NotFound)?;
        ZoneId::parse(&zone).map_err(|e| Error::Internal(format!("stored zone id: {e}")))
    }

    /// A page of the zone's certificates, oldest first.
    pub async fn list_certificates(
        &self,
        caller: &Caller,
        zone: &ZoneId,
        query: &ListQuery,
    ) -> Result<(Vec<ClientCertificate>, ResultInfo)> {
        self.authorize(&caller.principal, zone, PermissionGroup::SslRead)
            .await?;
        let (rows, total) = self.certificate_page(zone, query).await?;
        let info = query.result_info(rows.len() as u64, total);
        Ok((self.views(rows).await?, info))
    }

    /// DELETE: `active` (or `pending_reactivation`) becomes `pending_revocation`; a revoked or
    /// pending-revocation certificate is returned unchanged.
    pub async fn revoke_certificate(
        &self,
        caller: &Caller,
        zone: &ZoneId,
        id: &CertId,
        now: i64,
    ) -> Result<ClientCertificate> {
        self.authorize(&caller.principal, zone, PermissionGroup::SslWrite)
            .await?;
        self.transition(caller, zone, id, now, Transition::Revoke)
            .await
    }

    /// PATCH: `revoked` (or `pending_revocation`) becomes `pending_reactivation`; an active or
    /// pending-reactivation certificate is returned unchanged.
    pub async fn reactivate_certificate(
        &self,
        caller: &Caller,
        zone: &ZoneId,
        id: &CertId,
        reactivate: bool,
        now: i64,
    ) -> Result<ClientCertificate> {
        self.authorize(&caller.principal, zone, PermissionGroup::SslWrite)
            .await?;
        if !reactivate {
            return self.get_certificate(caller, zone, id).await;
        }
        self.transition(caller, zone, id, now, Transition::Reactivate)
            .await
    }

    async fn transition(
        &self,
        caller: &Caller,
        zone: &ZoneId,
        id: &CertId,
        now: i64,
        t: Transition,
    ) -> Result<ClientCertificate> {
        let (action, to) = match t {
            Transition::Revoke => ("revoke", CertStatus::PendingRevocation),
            Transition::Reactivate => ("reactivate", CertStatus::PendingReactivation),
        };
        let audit = caller.audit(
            action,
            ResourceType::Certificate,
            id.as_str(),
            None,
            Some(serde_json::json!({"zone_id": zone.as_str(), "status": to.as_str()})),
            now,
        );
        // A compare-and-set that lost to a concurrent change is retried against the new status.
        for _ in 0..4 {
            let moved = match t {
                Transition::Revoke => {
                    repo::request_revocation(&self.db, zone.as_str(), id.as_str(), now, &audit)
                        .await?
                }
                Transition::Reactivate => {
                    repo::request_reactivation(&self.db, zone.as_str(), id.as_str(), now, &audit)
                        .await?
                }
            };
            if let Some(row) = moved {
                return self.view(row).await;
            }
            let row = repo::get(&self.db, zone.as_str(), id.as_str())
                .await?
                .ok_or(Error::NotFound)?;
            let unchanged = match t {
                Transition::Revoke => [CertStatus::Revoked, CertStatus::PendingRevocation],
                Transition::Reactivate => [CertStatus::Active, CertStatus::PendingReactivation],
            };
            if unchanged.contains(&row.status) {
                return self.view(row).await;
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

/// `validity_days` is 1..=[`MAX_VALIDITY_DAYS`].
pub(crate) fn check_validity_days(days: i64) -> Result<()> {
    if (1..=MAX_VALIDITY_DAYS).contains(&days) {
        return Ok(());
    }
    Err(Error::invalid(
        codes::VALIDITY_OUT_OF_RANGE,
        format!("validity_days must be a whole number from 1 to {MAX_VALIDITY_DAYS}, not {days}"),
        Some("/validity_days"),
    ))
}

/// The notAfter of a certificate valid for `days` (already checked) from `now`, within the CA's.
pub(crate) fn not_after(days: i64, now: i64, ca_not_after: i64) -> Result<i64> {
    let not_after = now + days * DAY;
    if not_after > ca_not_after {
        return Err(Error::invalid(
            codes::VALIDITY_EXCEEDS_CA,
            format!(
                "validity_days {days} would outlive the CA certificate, which expires {}",
                rfc3339(ca_not_after)
            ),
            Some("/validity_days"),
        ));
    }
    Ok(not_after)
}

/// Parses and verifies the PEM CSR `pem`, then has `signer` issue its certificate: every refusal
/// of the CSR is a 400 about `/csr`; a signing failure is internal (or unavailable).
pub(crate) fn issue_for_csr(
    signer: &Signer,
    pem: &str,
    serial: [u8; 20],
    now: i64,
    not_after: i64,
    pointers: &Pointers,
) -> Result<(Csr, IssuedCert)> {
    let csr = Csr::parse(pem).map_err(csr_error)?;
    let issued = signer
        .issue(&csr, serial, now, not_after, Some(pointers))
        .map_err(|e| super::custody::signing_error("signing the certificate", e))?;
    Ok((csr, issued))
}

fn csr_error(e: CsrError) -> Error {
    let code = match e {
        CsrError::NotPem | CsrError::Malformed(_) => codes::CSR_MALFORMED,
        CsrError::BadSignature => codes::CSR_BAD_SIGNATURE,
        CsrError::KeyNotAllowed(_) => codes::CSR_KEY_NOT_ALLOWED,
        CsrError::Unsupported(_) => codes::CSR_UNSUPPORTED,
        CsrError::InvalidName(_) => codes::CSR_NAME_INVALID,
    };
    Error::invalid(code, e.to_string(), Some("/csr"))
}

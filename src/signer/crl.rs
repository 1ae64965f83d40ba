//! Certificate revocation lists: signing one, and reading back which serials one lists.

use rcgen::{
    CertificateRevocationListParams, Issuer, KeyIdMethod, RevocationReason, RevokedCertParams,
    SerialNumber,
};

use super::key::{SignKind, Signing};
use super::{validity, Signer, SignerError};

/// One revoked certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlEntry {
    /// The serial, big-endian octets of a positive integer.
    pub serial: Vec<u8>,
    /// When the revocation was requested, unix seconds.
    pub revoked_at: i64,
}

/// What a CRL says, besides who signs it.
#[derive(Debug, Clone, Copy)]
pub struct CrlInput<'a> {
    /// The CRL number; larger than any this CA signed before.
    pub number: u64,
    /// thisUpdate, unix seconds.
    pub this_update: i64,
    /// nextUpdate, unix seconds; later than `this_update`.
    pub next_update: i64,
    /// The revoked certificates, each listed with reason certificateHold.
    pub entries: &'a [CrlEntry],
}

impl Signer {
    /// Signs an X.509 v2 CRL: issuer = the CA subject, Authority Key Identifier = the CA's SKI, the
    /// CRL number, thisUpdate, nextUpdate and one entry per revoked certificate with its revocation
    /// time and reason code certificateHold (a hold can be lifted: the certificate leaves the next
    /// CRL when it is reactivated). No issuing distribution point: the CRL is complete for the CA.
    pub fn sign_crl(&self, input: &CrlInput<'_>) -> Result<Vec<u8>, SignerError> {
        let revoked_certs = input
            .entries
            .iter()
            .map(|e| {
                Ok(RevokedCertParams {
                    serial_number: SerialNumber::from_slice(&e.serial),
                    revocation_time: validity::datetime(e.revoked_at)?,
                    reason_code: Some(RevocationReason::CertificateHold),
                    invalidity_date: None,
                })
            })
            .collect::<Result<Vec<_>, SignerError>>()?;
        let params = CertificateRevocationListParams {
            this_update: validity::datetime(input.this_update)?,
            next_update: validity::datetime(input.next_update)?,
            crl_number: SerialNumber::from(input.number),
            issuing_distribution_point: None,
            revoked_certs,
            key_identifier_method: KeyIdMethod::PreSpecified(self.ski.clone()),
        };
        let issuer = Issuer::from_params(&self.params, Signing::new(&*self.key, SignKind::Crl));
        let crl = issuer.key().finish(params.signed_by(&issuer))?;
        Ok(crl.der().to_vec())
    }
}

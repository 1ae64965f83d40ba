//! Issuing client certificates for verified CSRs.

use rcgen::{
    CertificateParams, CrlDistributionPoint, CustomExtension, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyIdMethod, KeyUsagePurpose, SerialNumber,
};
use ring::digest;

use super::ca::{certificate_pem, Signer};
use super::splice::{self, Capture};
use super::{keys, validity, SignerError};
use crate::x509::{der, precheck, Csr};

/// Where relying parties find revocation status and the CA certificate. All three must be ASCII URLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pointers {
    /// Written as the CRL distribution point (fullName URI).
    pub crl_url: String,
    /// Written as the OCSP access method of Authority Information Access.
    pub ocsp_url: String,
    /// Written as the caIssuers access method of Authority Information Access.
    pub ca_issuers_url: String,
}

/// An issued certificate and the facts the API reports about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCert {
    /// DER.
    pub der: Vec<u8>,
    /// PEM (LF line endings).
    pub pem: String,
    /// The serial: 40 lowercase hex digits, no colons (always 20 bytes, first byte 0x01..=0x7f).
    pub serial_hex: String,
    /// Lowercase hex of SHA-256 over the DER.
    pub fingerprint_sha256: String,
    /// Lowercase hex of the Subject Key Identifier (SHA-1 of the subject's public key bits).
    pub ski_hex: String,
}

impl Signer {
    /// Issues a client certificate for `csr`: its subject exactly as the CSR has it (see
    /// [`crate::x509::Csr::subject_der`]) and its requested subjectAltName, its exact public key, extendedKeyUsage clientAuth, critical keyUsage digitalSignature (plus keyEncipherment for RSA
    /// keys), critical basicConstraints `CA:FALSE`, SKI, AKI = the CA's SKI, and with `pointers` a CRL
    /// distribution point and Authority Information Access (OCSP, caIssuers).
    ///
    /// `serial` should be 20 random bytes (`random_bytes::<20>()`). Its first byte is forced into
    /// 0x01..=0x7f (top bit cleared, zero made one) so the DER INTEGER is positive and exactly 20 bytes;
    /// [`IssuedCert::serial_hex`] is the serial actually written. notBefore and notAfter are exactly as
    /// given; notAfter must be later than notBefore and no later than the CA's own notAfter.
    ///
    /// The key signs once. The certificate is then checked afresh ([`precheck::check_issued`]; its
    /// signature too when the key is held outside this process); a certificate that fails is never
    /// returned (`SignerError::Certificate`, a bug to log).
    pub fn issue(
        &self,
        csr: &Csr,
        serial: [u8; 20],
        not_before: i64,
        not_after: i64,
        pointers: Option<&Pointers>,
    ) -> Result<IssuedCert, SignerError> {
        if not_after <= not_before {
            return Err(SignerError::Validity(format!(
                "notAfter ({not_after}) must be later than notBefore ({not_before})"
            )));
        }
        if not_after > self.not_after {
            return Err(SignerError::Validity(format!(
                "notAfter ({not_after}) is later than the CA certificate's notAfter ({})",
                self.not_after
            )));
        }
        let serial = keys::positive_serial(serial);

        let mut params = CertificateParams::default();
        params.distinguished_name = splice::placeholder_subject(csr.subject.is_empty);
        params.subject_alt_names = csr.subject_alt_names.clone();
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = if csr.is_rsa() {
            vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::KeyEncipherment,
            ]
        } else {
            vec![KeyUsagePurpose::DigitalSignature]
        };
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.serial_number = Some(SerialNumber::from_slice(&serial));
        params.not_before = validity::datetime(not_before)?;
        params.not_after = validity::datetime(not_after)?;
        // rcgen writes the SKI for an explicit CA:FALSE certificate; PreSpecified makes it method 1.
        params.key_identifier_method = KeyIdMethod::PreSpecified(csr.key_identifier.clone());
        // The AKI comes from the issuer's PreSpecified key identifier: the CA certificate's own SKI.
        params.use_authority_key_identifier_extension = true;
        if let Some(pointers) = pointers {
            add_pointers(&mut params, pointers)?;
        }

        let capture = Capture::new(&*self.key);
        let issuer = Issuer::from_params(&self.params, capture);
        params.signed_by(&csr.public_key, &issuer)?;
        let tbs = issuer.key().take()?;
        let der = splice::sign_with_subject(&tbs, csr.subject_der(), &*self.key)?;
        let signature = match self.key.signs_in_process() {
            true => precheck::Signature::SignedHere,
            false => precheck::Signature::Verify,
        };
        precheck::check_issued(&der, csr, &self.certificate_der, signature).map_err(|why| {
            SignerError::Certificate(format!(
                "the pre-issuance check refused the certificate: {why}"
            ))
        })?;
        Ok(IssuedCert {
            pem: certificate_pem(&der),
            serial_hex: hex::encode(serial),
            fingerprint_sha256: hex::encode(digest::digest(&digest::SHA256, &der)),
            ski_hex: hex::encode(&csr.key_identifier),
            der,
        })
    }
}

fn add_pointers(params: &mut CertificateParams, p: &Pointers) -> Result<(), SignerError> {
    for (what, url) in [
        ("CRL", &p.crl_url),
        ("OCSP", &p.ocsp_url),
        ("CA issuers", &p.ca_issuers_url),
    ] {
        // IA5String is ASCII; rcgen would panic on anything else.
        if url.is_empty() || !url.is_ascii() {
            return Err(SignerError::Certificate(format!(
                "the {what} URL {url:?} must be a non-empty ASCII string"
            )));
        }
    }
    params.crl_distribution_points = vec![CrlDistributionPoint {
        uris: vec![p.crl_url.clone()],
    }];
    params
        .custom_extensions
        .push(CustomExtension::from_oid_content(
            der::OID_AUTHORITY_INFO_ACCESS,
            der::authority_info_access(&p.ocsp_url, &p.ca_issuers_url),
        ));
    Ok(())
}

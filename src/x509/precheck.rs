//! The last look at a client certificate before it is stored and returned: its DER is parsed afresh
//! with x509-parser (not with the structures that built it), and must follow the same name rules a
//! CSR is held to, carry exactly the subject, subjectAltName and key it was issued for, chain to
//! its CA by name (and by signature, for a key held outside this process), and not be a CA. A bug in
//! building or splicing, or a token or signer process that returns a bad signature, then fails the
//! issuance instead of emitting a certificate.

use rcgen::PublicKeyData;
use x509_parser::certificate::X509Certificate;

use super::{alt_names, name_rules, san_rules, Csr};

/// Why an issued certificate was held back. For the log only: this is a bug, not the user's input.
pub(crate) type Refusal = String;

/// Whether the certificate's signature is verified with the CA's public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signature {
    /// Verified: the key is held elsewhere (a PKCS#11 token, a signer process).
    Verify,
    /// Not verified again: the key signed in this process and was proven to be the CA
    /// certificate's when it was loaded. A third of the CPU an issuance costs on a P-256 CA.
    SignedHere,
}

/// Checks the certificate `der`, issued for `csr` by the CA whose certificate is `ca_der`.
pub(crate) fn check_issued(
    der: &[u8],
    csr: &Csr,
    ca_der: &[u8],
    signature: Signature,
) -> Result<(), Refusal> {
    let (rest, cert) = x509_parser::parse_x509_certificate(der)
        .map_err(|e| format!("the certificate does not parse ({e})"))?;
    if !rest.is_empty() {
        return Err("the certificate is followed by trailing bytes".into());
    }
    let (_, ca) = x509_parser::parse_x509_certificate(ca_der)
        .map_err(|e| format!("the CA certificate does not parse ({e})"))?;
    if cert.issuer().as_raw() != ca.subject().as_raw() {
        return Err("the issuer is not the CA's subject".into());
    }
    if cert.signature_algorithm != cert.tbs_certificate.signature {
        return Err("the two signature algorithms differ".into());
    }
    if signature == Signature::Verify {
        cert.verify_signature(Some(ca.public_key()))
            .map_err(|e| format!("the signature does not verify with the CA's key ({e})"))?;
    }
    if cert.public_key().raw != csr.public_key.subject_public_key_info().as_slice() {
        return Err("the public key is not the CSR's".into());
    }
    if !matches!(cert.basic_constraints(), Ok(Some(bc)) if !bc.value.ca) {
        return Err("basicConstraints is missing or says CA".into());
    }
    check_subject(&cert, csr)?;
    check_alt_names(&cert, csr)
}

fn check_subject(cert: &X509Certificate<'_>, csr: &Csr) -> Result<(), Refusal> {
    if cert.subject().as_raw() != csr.subject_der() {
        return Err("the subject is not the one copied from the CSR".into());
    }
    let rdns = name_rules::subject(cert.subject()).map_err(|e| format!("the subject: {e}"))?;
    if let Some(a) = rdns.iter().flatten().find(|a| a.rewrite_as.is_some()) {
        return Err(format!(
            "the subject's {} is a {}, a string type RFC 5280 does not allow for it",
            a.name,
            super::strings::tag_name(a.tag)
        ));
    }
    Ok(())
}

fn check_alt_names(cert: &X509Certificate<'_>, csr: &Csr) -> Result<(), Refusal> {
    let san = cert
        .subject_alternative_name()
        .map_err(|e| format!("the subjectAltName does not parse ({e})"))?;
    let Some(san) = san else {
        return match csr.subject_alt_names.is_empty() {
            true => Ok(()),
            false => Err("the subjectAltName the CSR asked for is missing".into()),
        };
    };
    if cert.subject().iter().next().is_none() && !san.critical {
        return Err("the subject is empty but the subjectAltName is not critical".into());
    }
    san_rules::alt_names(&san.value.general_names)
        .map_err(|e| format!("the subjectAltName: {e}"))?;
    let granted = alt_names::subject_alt_names(&san.value.general_names)
        .map_err(|e| format!("the subjectAltName: {e}"))?;
    if granted != csr.subject_alt_names {
        return Err("the subjectAltName is not the one the CSR asked for".into());
    }
    Ok(())
}

#[cfg(test)]
#[path = "precheck_tests.rs"]
mod tests;

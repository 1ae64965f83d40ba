//! X.509 parsing that holds no key: CSRs, names and the rules they must follow, key policy, OCSP
//! requests, CRLs read back, CA certificates (their facts, and the checks an installed or imported CA
//! must pass), the check of every issued certificate before it leaves the signer, and the DER
//! helpers the signer builds extensions with. Nothing here signs, knows HTTP, SQL or the clock.

pub(crate) mod alt_names;
pub mod ca_cert;
mod chain;
pub mod crl;
pub mod csr;
pub(crate) mod der;
pub mod describe;
pub(crate) mod exact_subject;
mod name_rules;
pub(crate) mod names;
pub mod ocsp;
pub(crate) mod policy;
pub(crate) mod precheck;
pub(crate) mod san_rules;
mod strings;
pub mod subject;

pub use ca_cert::{parse_certificates_pem, CaCertificate, CaCheckError};
pub use csr::{Csr, CsrError, Subject};
pub use ocsp::{serial_hex, OcspQuery, OcspRefusal, MAX_REQUESTS};
pub use subject::parse_subject;

use ring::digest;
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;

/// RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING contents.
pub fn key_identifier(subject_public_key: &[u8]) -> Vec<u8> {
    digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, subject_public_key)
        .as_ref()
        .to_vec()
}

/// PEM with LF line endings whatever the platform.
pub fn pem_encode(label: &str, der: &[u8]) -> String {
    let config = pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF);
    pem::encode_config(&pem::Pem::new(label, der.to_vec()), config)
}

/// The entries of a DER CRL: each serial (lowercase hex, as [`serial_hex`] writes it) with its
/// revocation time. The signature is not checked: this reads back a CRL the signer made.
pub fn crl_entries(der: &[u8]) -> Result<Vec<(String, i64)>, String> {
    let (rest, crl) =
        CertificateRevocationList::from_der(der).map_err(|e| format!("unreadable CRL: {e}"))?;
    if !rest.is_empty() {
        return Err("the CRL is followed by trailing bytes".into());
    }
    Ok(crl
        .iter_revoked_certificates()
        .map(|r| (serial_hex(r.raw_serial()), r.revocation_date.timestamp()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_identifier_is_sha1_of_the_key_bits() {
        // SHA-1("abc"), FIPS 180 test vector.
        assert_eq!(
            hex::encode(key_identifier(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
    }
}

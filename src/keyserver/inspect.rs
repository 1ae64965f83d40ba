//! What the signer checks before it signs: the bytes must be a well-formed to-be-signed structure
//! of the kind asked for, naming the key's own signature algorithm, and within what that kind may
//! be. A client that can reach the socket still cannot get a CA certificate for another key, a
//! certificate that is a CA, or anything that is not X.509.

use ring::digest;
use x509_cert::der::oid::AssociatedOid;
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::pkix::BasicConstraints;
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_ocsp::{ResponderId, ResponseData};

use crate::model::KeyAlgorithm;
use crate::signer::SignKind;

/// What was signed, for the audit log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// The certificate's serial (hex), or the CRL number.
    pub serial: String,
    /// The certificate's subject, the CSR's, or the CRL's issuer (RFC 4514).
    pub subject: String,
    /// Entries of a CRL, responses of an OCSP response.
    pub entries: usize,
}

/// Checks `tbs` as a `kind` structure for the key with `public_key` bits and algorithm `alg`.
pub fn inspect(
    kind: SignKind,
    tbs: &[u8],
    alg: KeyAlgorithm,
    public_key: &[u8],
) -> Result<Summary, String> {
    let malformed = |what: &str, e: x509_cert::der::Error| format!("not a well-formed {what}: {e}");
    match kind {
        SignKind::Certificate | SignKind::CaCertificate => {
            let t = x509_cert::TbsCertificate::from_der(tbs)
                .map_err(|e| malformed("TBSCertificate", e))?;
            check_algorithm(&t.signature, alg)?;
            let own = is_own(&t.subject_public_key_info, public_key);
            let ca = t
                .extensions
                .iter()
                .flatten()
                .filter(|e| e.extn_id == BasicConstraints::OID)
                .any(|e| BasicConstraints::from_der(e.extn_value.as_bytes()).is_ok_and(|b| b.ca));
            if kind == SignKind::Certificate && (ca || own) {
                return Err(
                    "an end-entity certificate may not be a CA or for the CA's own key".into(),
                );
            }
            if kind == SignKind::CaCertificate && !(own && t.issuer == t.subject) {
                return Err("a CA certificate is signed only self-signed, for this key".into());
            }
            Ok(Summary {
                serial: hex::encode(t.serial_number.as_bytes()),
                subject: t.subject.to_string(),
                entries: 0,
            })
        }
        SignKind::CaRequest => {
            let info = x509_cert::request::CertReqInfo::from_der(tbs)
                .map_err(|e| malformed("CertificationRequestInfo", e))?;
            if !is_own(&info.public_key, public_key) {
                return Err("a CSR is signed only for this key".into());
            }
            Ok(Summary {
                subject: info.subject.to_string(),
                ..Summary::default()
            })
        }
        SignKind::Crl => {
            let t = x509_cert::crl::TbsCertList::from_der(tbs)
                .map_err(|e| malformed("TBSCertList", e))?;
            check_algorithm(&t.signature, alg)?;
            let number = t
                .crl_extensions
                .iter()
                .flatten()
                .find(|e| e.extn_id.to_string() == "2.5.29.20")
                .map(|e| hex::encode(e.extn_value.as_bytes()))
                .unwrap_or_default();
            Ok(Summary {
                serial: number,
                subject: t.issuer.to_string(),
                entries: t.revoked_certificates.map_or(0, |r| r.len()),
            })
        }
        SignKind::Ocsp => {
            let t = ResponseData::from_der(tbs).map_err(|e| malformed("OCSP ResponseData", e))?;
            let hash = digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, public_key);
            if !matches!(&t.responder_id, ResponderId::ByKey(k) if k.as_bytes() == hash.as_ref()) {
                return Err("an OCSP response must name this key as its responder".into());
            }
            Ok(Summary {
                serial: t
                    .responses
                    .iter()
                    .map(|r| hex::encode(r.cert_id.serial_number.as_bytes()))
                    .collect::<Vec<_>>()
                    .join(","),
                entries: t.responses.len(),
                ..Summary::default()
            })
        }
    }
}

fn check_algorithm(id: &AlgorithmIdentifierOwned, alg: KeyAlgorithm) -> Result<(), String> {
    if id.oid.to_string() != alg.signature_oid() {
        return Err(format!(
            "the structure names signature algorithm {}, this key signs {}",
            id.oid,
            alg.signature_oid()
        ));
    }
    Ok(())
}

fn is_own(spki: &SubjectPublicKeyInfoOwned, public_key: &[u8]) -> bool {
    spki.subject_public_key.raw_bytes() == public_key && spki.to_der().is_ok()
}

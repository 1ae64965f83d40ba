//! CRLs as a relying party reads them: the signature checked against the issuing CA's certificate,
//! and the validity window a TLS server will hold them to.

use x509_parser::certificate::X509Certificate;
use x509_parser::error::X509Error;
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;

/// The validity window of a checked CRL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrlWindow {
    /// thisUpdate, unix seconds.
    pub this_update: i64,
    /// nextUpdate, unix seconds.
    pub next_update: i64,
}

/// Checks that `crl_der` is a CRL issued by the CA certificate `ca_der` (same name, signature by
/// its key) with a nextUpdate; returns its window. A signature algorithm the verifier does not
/// know (RSA-PSS with unusual parameters, P-521) is not checked, only the issuer's name.
pub fn check_crl(crl_der: &[u8], ca_der: &[u8]) -> Result<CrlWindow, String> {
    let (rest, crl) =
        CertificateRevocationList::from_der(crl_der).map_err(|e| format!("unreadable CRL: {e}"))?;
    if !rest.is_empty() {
        return Err("the CRL is followed by trailing bytes".into());
    }
    let (_, ca) =
        X509Certificate::from_der(ca_der).map_err(|e| format!("unreadable CA certificate: {e}"))?;
    if crl.issuer().as_raw() != ca.subject().as_raw() {
        return Err(format!(
            "the CRL is issued by {}, not by the CA {}",
            crl.issuer(),
            ca.subject()
        ));
    }
    match crl.verify_signature(ca.public_key()) {
        Ok(()) | Err(X509Error::SignatureUnsupportedAlgorithm) => {}
        Err(e) => return Err(format!("the CRL's signature does not verify: {e}")),
    }
    let next_update = crl
        .next_update()
        .ok_or("the CRL has no nextUpdate")?
        .timestamp();
    Ok(CrlWindow {
        this_update: crl.last_update().timestamp(),
        next_update,
    })
}

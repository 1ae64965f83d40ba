//! Whether a chain certifies a CA: names, signatures, usability and path length, up to a root.

use super::ca_cert::{parse_der, refuse, CaCertificate, CaCheckError};

impl CaCertificate {
    /// Checks that `chain` (issuer first, root last) certifies this CA at `now`: each certificate
    /// names and signs the one below it, is a usable CA whose pathLenConstraint allows the CAs
    /// below it, and the last is a root whose own signature verifies. A self-signed CA needs no
    /// chain; any other needs one.
    pub fn verify_chain(&self, chain: &[CaCertificate], now: i64) -> Result<(), CaCheckError> {
        if chain.is_empty() {
            if !self.self_issued() {
                return refuse(format!(
                    "{:?} is not self-signed: give the chain of its issuers up to the root (--chain)",
                    self.common_name
                ));
            }
            return verify_signature(self, self).map_err(|_| {
                CaCheckError(format!(
                    "the self-signature of {:?} does not verify",
                    self.common_name
                ))
            });
        }
        let mut below = self;
        for (depth, issuer) in chain.iter().enumerate() {
            if below.issuer_raw != issuer.subject_raw {
                return refuse(format!(
                    "the chain does not verify: {:?} is not the issuer of {:?}",
                    issuer.common_name, below.common_name
                ));
            }
            if verify_signature(below, issuer).is_err() {
                return refuse(format!(
                    "the chain does not verify: the signature on {:?} does not verify with the key of {:?}",
                    below.common_name, issuer.common_name
                ));
            }
            issuer.check_usable(now, "the chain's CA")?;
            let intermediates_below = u32::try_from(depth + 1).unwrap_or(u32::MAX);
            if issuer.path_len.is_some_and(|max| max < intermediates_below) {
                return refuse(format!(
                    "the chain does not allow it: {:?} has pathLenConstraint {} but {} CA(s) would follow it",
                    issuer.common_name,
                    issuer.path_len.unwrap_or_default(),
                    intermediates_below
                ));
            }
            below = issuer;
        }
        if !below.self_issued() || verify_signature(below, below).is_err() {
            return refuse(format!(
                "the chain ends at {:?}, which is not a self-signed root: include the root",
                below.common_name
            ));
        }
        Ok(())
    }
}

/// Whether `cert`'s signature verifies with `issuer`'s public key.
fn verify_signature(cert: &CaCertificate, issuer: &CaCertificate) -> Result<(), CaCheckError> {
    let subject = parse_der(&cert.der)?;
    let signer = parse_der(&issuer.der)?;
    subject
        .verify_signature(Some(signer.public_key()))
        .map_err(|e| CaCheckError(e.to_string()))
}

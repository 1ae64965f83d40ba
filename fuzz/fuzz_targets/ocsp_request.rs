//! An OCSP request to the `/pki` responder: the first byte picks the form (even: `POST` with the
//! rest as the DER body; odd: `GET` with the rest as the percent-decoded path segment, base64),
//! then parsing, the CertID checks against the test CA, and signing the answer. A request that
//! parses must be answered with a signed response that parses back; signing may not fail.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mtls_ca::fuzzing::OcspOutcome;
use mtls_ca_fuzz::{ca, NOW};
use x509_cert::der::Decode;
use x509_ocsp::OcspResponse;

fuzz_target!(|data: &[u8]| {
    let Some((&form, rest)) = data.split_first() else {
        return;
    };
    let outcome = if form % 2 == 0 {
        ca().ocsp_post(rest, NOW)
    } else {
        ca().ocsp_get(&String::from_utf8_lossy(rest), NOW)
    };
    match outcome {
        Ok(OcspOutcome::Refused(_)) => {}
        Ok(OcspOutcome::Signed(der)) => {
            OcspResponse::from_der(&der).expect("the signed OCSP response parses");
        }
        Err(e) => panic!("an OCSP request made signing fail (internalError): {e}"),
    }
});

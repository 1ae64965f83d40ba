//! A CSR as sent: the bytes as the PEM text of `csr`, and as the DER inside a PEM block, through
//! parsing, the key policy, the signature and the name rules up to issuance; and the same bytes
//! as a bare subject Name and subjectAltName, through the name rules alone (a mutated CSR rarely
//! keeps a valid signature, so this is how the rules meet mutated names). The Name, and the text
//! as an operator's `--subject`, also go the way of a CA's subject: copied, then written by rcgen.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mtls_ca::fuzzing::{alt_name_rules, ca_subject, operator_subject, subject_rules};
use mtls_ca::x509::pem_encode;
use mtls_ca_fuzz::{assert_client_error, ca, NOW};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        assert_client_error(&ca().issue(text, NOW));
        let _ = operator_subject(text);
    }
    assert_client_error(&ca().issue(&pem_encode("CERTIFICATE REQUEST", data), NOW));
    let _ = subject_rules(data);
    let _ = alt_name_rules(data);
    let _ = ca_subject(data);
});

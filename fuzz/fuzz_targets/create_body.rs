//! The body of `POST /zones/{id}/client_certificates`: the JSON extractor, the handler's field
//! checks, the service's validity checks, then the CSR and issuance.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mtls_ca_fuzz::{assert_client_error, ca, NOW};

fuzz_target!(|data: &[u8]| {
    assert_client_error(&ca().create(data, NOW));
});

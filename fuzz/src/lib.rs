//! What the fuzz targets share: the fixed test CA (`ca/`, a throwaway P-256 key made for fuzzing
//! only), the instant every run takes as now, and the property every target checks: whatever the
//! input, a refusal is the client's error (a 400), never an internal one (a 500).

use std::sync::OnceLock;

use mtls_ca::error::{Error, Result};
use mtls_ca::fuzzing::FuzzCa;
use mtls_ca::signer::IssuedCert;

/// 2027-12-28, inside the test CA's validity (2026-12-03 to 2076-03-15); fixed so runs repeat.
pub const NOW: i64 = 1_830_000_000;

/// The test CA, loaded once.
pub fn ca() -> &'static FuzzCa {
    static CA: OnceLock<FuzzCa> = OnceLock::new();
    CA.get_or_init(|| {
        FuzzCa::load(
            include_bytes!("../ca/ca.der"),
            include_bytes!("../ca/key.pk8"),
        )
        .expect("the fuzz CA loads")
    })
}

/// Panics (a crash for libFuzzer) when issuance failed for any reason but the client's input.
pub fn assert_client_error(result: &Result<IssuedCert>) {
    match result {
        Ok(_) | Err(Error::Invalid(_)) => {}
        Err(other) => panic!("a 5xx from client input: {other}"),
    }
}

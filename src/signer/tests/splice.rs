//! The spliced subject: signed once, accepted by the remote signer's inspection, and carried
//! byte for byte, for every CA algorithm.

use std::sync::{Arc, Mutex};

use super::csr::exotic_subject_csr;
use super::fixtures::{cas, Dir, DAY, NOW};
use super::leaf::{check_fields, check_with_openssl, Expected};
use crate::model::{random_bytes, KeyAlgorithm};
use crate::signer::{CaKey, SignKind, Signer, SignerError};
use crate::x509::Csr;

/// A CA key that checks each request as `mtls-ca signer` does before signing, and records it.
struct Inspecting {
    inner: Arc<dyn CaKey>,
    signed: Mutex<Vec<SignKind>>,
}

impl CaKey for Inspecting {
    fn algorithm(&self) -> KeyAlgorithm {
        self.inner.algorithm()
    }

    fn public_key(&self) -> &[u8] {
        self.inner.public_key()
    }

    fn sign(&self, kind: SignKind, tbs: &[u8]) -> Result<Vec<u8>, SignerError> {
        crate::keyserver::inspect(kind, tbs, self.algorithm(), self.public_key())
            .map_err(SignerError::Refused)?;
        self.signed.lock().unwrap().push(kind);
        self.inner.sign(kind, tbs)
    }
}

#[test]
fn a_directory_subject_is_signed_once_passes_the_signers_inspection_and_is_kept_byte_for_byte() {
    let dir = Dir::new();
    let newkey = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-multivalue-rdn",
    ];
    let directory = dir.openssl_csr(
        &newkey,
        "/DC=com/DC=example/OU=Eng/OU=Platform/CN=svc+UID=svc-1",
        Some("subjectAltName=DNS:svc.example.com,URI:spiffe://example.com/svc"),
    );
    for ca in cas() {
        let key = Arc::new(Inspecting {
            inner: Arc::clone(&ca.signer.key),
            signed: Mutex::new(Vec::new()),
        });
        let signer = Signer::load(&ca.new.certificate_der, key.clone()).unwrap();
        for pem in [directory.clone(), exotic_subject_csr()] {
            key.signed.lock().unwrap().clear();
            let csr = Csr::parse(&pem).unwrap();
            let issued = signer
                .issue(&csr, random_bytes::<20>(), NOW, NOW + DAY, None)
                .unwrap_or_else(|e| panic!("{:?}: {e}", ca.alg));
            assert_eq!(*key.signed.lock().unwrap(), [SignKind::Certificate]);
            let exp = Expected {
                ca: ca.into(),
                csr_pem: &pem,
                rsa: false,
                not_before: NOW,
                not_after: NOW + DAY,
                pointers: None,
            };
            // Subject bytes equal to the CSR's, SAN as requested, signature good, chain verifies.
            check_fields(&issued, &exp);
            check_with_openssl(&issued, &exp);
        }
    }
}

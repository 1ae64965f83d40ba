//! The pre-issuance check fed certificates made to break one rule each (built with rcgen directly,
//! not by the signer), and one that breaks none.

use rcgen::{BasicConstraints, CertificateParams, DnType, DnValue, IsCa, Issuer, KeyPair, SanType};

use super::{check_issued, Signature};
use crate::x509::Csr;

struct Ca {
    key: KeyPair,
    params: CertificateParams,
    der: Vec<u8>,
}

fn new_ca() -> Ca {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::default();
    params
        .distinguished_name
        .push(DnType::CommonName, "Precheck CA");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let der = params.self_signed(&key).unwrap().der().to_vec();
    Ca { key, params, der }
}

fn good_params() -> CertificateParams {
    let mut params = CertificateParams::new(vec!["ok.example".to_owned()]).unwrap();
    params.distinguished_name.push(DnType::CommonName, "ok");
    params.is_ca = IsCa::ExplicitNoCa;
    params
}

/// A leaf for `key` signed by `ca`, from `params`.
fn leaf(ca: &Ca, key: &KeyPair, params: &CertificateParams) -> Vec<u8> {
    let issuer = Issuer::from_params(&ca.params, &ca.key);
    params.signed_by(key, &issuer).unwrap().der().to_vec()
}

/// The CSR of `key` with the good subject and SAN, parsed, then told that its subject and SAN
/// are whatever `cert` has: so only the rules, not the comparison with the CSR, can refuse.
fn csr_matching(key: &KeyPair, cert: &[u8], sans: Vec<SanType>) -> Csr {
    let pem = good_params().serialize_request(key).unwrap().pem().unwrap();
    let mut csr = Csr::parse(&pem).unwrap();
    let (_, parsed) = x509_parser::parse_x509_certificate(cert).unwrap();
    csr.subject.der = parsed.subject().as_raw().to_vec();
    csr.subject_alt_names = sans;
    csr
}

fn refused(cert: &[u8], csr: &Csr, ca: &Ca) -> String {
    check_issued(cert, csr, &ca.der, Signature::Verify).expect_err("the check must refuse")
}

#[test]
fn a_certificate_that_follows_every_rule_passes() {
    let (ca, key) = (new_ca(), KeyPair::generate().unwrap());
    let cert = leaf(&ca, &key, &good_params());
    let csr = csr_matching(&key, &cert, good_params().subject_alt_names);
    assert_eq!(
        check_issued(&cert, &csr, &ca.der, Signature::Verify),
        Ok(())
    );
}

#[test]
fn a_certificate_whose_subject_breaks_a_name_rule_is_refused_naming_the_attribute() {
    let (ca, key) = (new_ca(), KeyPair::generate().unwrap());
    let sans = good_params().subject_alt_names;
    let long = "x".repeat(65);
    let cases: [(DnType, DnValue, &str); 4] = [
        (
            DnType::CommonName,
            DnValue::Utf8String(long),
            "commonName is 65 characters",
        ),
        (
            DnType::CommonName,
            DnValue::Utf8String("a\0b".into()),
            "commonName contains the control character U+0000",
        ),
        (
            DnType::CountryName,
            DnValue::Utf8String("US".into()),
            "countryName is a UTF8String",
        ),
        (
            DnType::CountryName,
            DnValue::PrintableString("us".try_into().unwrap()),
            "countryName is \"us\"",
        ),
    ];
    for (ty, value, why) in cases {
        let mut params = good_params();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(ty, value);
        let cert = leaf(&ca, &key, &params);
        let csr = csr_matching(&key, &cert, sans.clone());
        let got = refused(&cert, &csr, &ca);
        assert!(got.contains(why), "{why}: {got}");
    }
}

#[test]
fn a_certificate_with_a_bad_or_unrequested_subject_alt_name_is_refused() {
    let (ca, key) = (new_ca(), KeyPair::generate().unwrap());
    let mut params = good_params();
    params.subject_alt_names = vec![SanType::DnsName("-bad.example".try_into().unwrap())];
    let cert = leaf(&ca, &key, &params);
    let csr = csr_matching(&key, &cert, params.subject_alt_names.clone());
    assert!(refused(&cert, &csr, &ca).contains("hyphen"));

    let cert = leaf(&ca, &key, &good_params());
    let other = vec![SanType::DnsName("other.example".try_into().unwrap())];
    let csr = csr_matching(&key, &cert, other);
    assert!(refused(&cert, &csr, &ca).contains("not the one the CSR asked for"));
    let csr = csr_matching(&key, &cert, Vec::new());
    assert!(refused(&cert, &csr, &ca).contains("not the one the CSR asked for"));
}

#[test]
fn a_certificate_for_another_subject_key_or_issuer_or_that_is_a_ca_is_refused() {
    let (ca, key) = (new_ca(), KeyPair::generate().unwrap());
    let sans = good_params().subject_alt_names;
    let cert = leaf(&ca, &key, &good_params());

    let pem = good_params()
        .serialize_request(&key)
        .unwrap()
        .pem()
        .unwrap();
    let mut csr = Csr::parse(&pem).unwrap();
    csr.subject.der = vec![0x30, 0x00];
    assert!(refused(&cert, &csr, &ca).contains("subject is not the one copied"));

    let other_key = KeyPair::generate().unwrap();
    let csr = csr_matching(&other_key, &cert, sans.clone());
    assert!(refused(&cert, &csr, &ca).contains("public key is not the CSR's"));

    // Same name, another key: the name matches, the signature does not.
    let impostor = new_ca();
    let csr = csr_matching(&key, &cert, sans.clone());
    assert!(refused(&cert, &csr, &impostor).contains("signature does not verify"));

    let mut params = good_params();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let cert = leaf(&ca, &key, &params);
    let csr = csr_matching(&key, &cert, sans);
    assert!(refused(&cert, &csr, &ca).contains("basicConstraints"));
}

#[test]
fn a_signature_made_here_is_not_verified_again_but_every_other_rule_still_holds() {
    let (ca, key) = (new_ca(), KeyPair::generate().unwrap());
    let sans = good_params().subject_alt_names;
    let cert = leaf(&ca, &key, &good_params());
    let csr = csr_matching(&key, &cert, sans.clone());
    let impostor = new_ca();
    let here =
        |cert: &[u8], csr: &Csr, ca: &Ca| check_issued(cert, csr, &ca.der, Signature::SignedHere);
    assert_eq!(here(&cert, &csr, &impostor), Ok(()));

    let other_key = KeyPair::generate().unwrap();
    let other = csr_matching(&other_key, &cert, sans.clone());
    assert!(here(&cert, &other, &ca)
        .unwrap_err()
        .contains("public key is not the CSR's"));

    // The outer signatureAlgorithm (after the TBS) says SHA-384, the TBS's says SHA-256.
    let ecdsa_sha256 = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
    let at = cert
        .windows(ecdsa_sha256.len())
        .rposition(|w| w == ecdsa_sha256)
        .unwrap();
    let mut mixed = cert.clone();
    mixed[at + ecdsa_sha256.len() - 1] = 0x03;
    for signature in [Signature::Verify, Signature::SignedHere] {
        let why = check_issued(&mixed, &csr, &ca.der, signature).unwrap_err();
        assert!(why.contains("signature algorithms differ"), "{why}");
    }
}

//! CSR parsing: PEM tolerance, subject fields, and every refusal with its reason.

use rcgen::string::{BmpString, TeletexString, UniversalString};
use rcgen::{CertificateParams, DistinguishedName, DnType, DnValue, KeyPair};

use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::prelude::FromDer;

use super::fixtures::{csrs, rcgen_csr, Dir, SAN};
use crate::x509::{Csr, CsrError, Subject};

fn openssl_csr(newkey: &[&str], subject: &str, san: Option<&str>) -> String {
    Dir::new().openssl_csr(newkey, subject, san)
}

fn p256() -> [&'static str; 4] {
    ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
}

#[test]
fn subject_fields_come_from_the_first_cn_c_st_l_o_ou() {
    let csr = Csr::parse(&csrs()[0].pem).unwrap();
    assert_eq!(
        csr.subject(),
        &Subject {
            common_name: "client-1".into(),
            country: "US".into(),
            state: "California".into(),
            location: "San Francisco".into(),
            organization: "Example Inc".into(),
            organizational_unit: "Platform".into(),
        }
    );
    let only_cn = Csr::parse(&rcgen_csr(&rcgen::PKCS_ED25519, "lonely", false)).unwrap();
    assert_eq!(only_cn.subject().common_name, "lonely");
    assert_eq!(only_cn.subject().country, "");
    assert_eq!(only_cn.subject().organizational_unit, "");
}

#[test]
fn pem_with_crlf_whitespace_or_the_new_label_is_accepted() {
    let pem = &csrs()[1].pem;
    let crlf = format!("\r\n  \t{}\r\n\r\n", pem.replace('\n', "\r\n"));
    let new_label = pem.replace("CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST");
    for text in [pem.as_str(), &crlf, &new_label] {
        assert_eq!(
            Csr::parse(text).unwrap().der(),
            Csr::parse(pem).unwrap().der()
        );
    }
}

#[test]
fn text_that_is_not_a_pem_csr_is_refused() {
    assert_eq!(Csr::parse("").unwrap_err(), CsrError::NotPem);
    assert_eq!(Csr::parse("hello world").unwrap_err(), CsrError::NotPem);
    let garbage_base64 = "-----BEGIN CERTIFICATE REQUEST-----\n!!!not*base64***\n-----END CERTIFICATE REQUEST-----\n";
    assert!(
        matches!(Csr::parse(garbage_base64), Err(CsrError::Malformed(m)) if m.contains("base64"))
    );
    let not_der = "-----BEGIN CERTIFICATE REQUEST-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE REQUEST-----\n";
    assert!(matches!(Csr::parse(not_der), Err(CsrError::Malformed(m)) if m.contains("PKCS#10")));
    let certificate = csrs()[0].pem.replace("CERTIFICATE REQUEST", "CERTIFICATE");
    assert!(
        matches!(Csr::parse(&certificate), Err(CsrError::Malformed(m)) if m.contains("found \"CERTIFICATE\""))
    );
}

#[test]
fn a_tampered_csr_fails_its_signature_check() {
    for csr in csrs() {
        let der = pem::parse(&csr.pem).unwrap().into_contents();
        let mut last = der.clone();
        *last.last_mut().unwrap() ^= 0x01;
        // "client" appears in every test subject; changing a letter keeps the DER valid.
        let at = der.windows(6).position(|w| w == b"client").unwrap();
        let mut subject = der.clone();
        subject[at] = b'C';
        for tampered in [last, subject] {
            let text = pem::encode(&pem::Pem::new("CERTIFICATE REQUEST", tampered));
            assert_eq!(
                Csr::parse(&text).unwrap_err(),
                CsrError::BadSignature,
                "{}",
                csr.name
            );
        }
    }
}

#[test]
fn keys_outside_the_policy_are_refused_with_the_reason() {
    let dir = Dir::new();
    let dsa_params = dir.path("dsa.param");
    let dsa_params = dsa_params.to_str().unwrap();
    super::fixtures::openssl_ok(&[
        "genpkey",
        "-genparam",
        "-algorithm",
        "DSA",
        "-pkeyopt",
        "dsa_paramgen_bits:1024",
        "-out",
        dsa_params,
    ]);
    let dsa = format!("dsa:{dsa_params}");
    let cases: [(&[&str], &str); 6] = [
        (
            &["-newkey", "rsa:1024"],
            "RSA key of 1024 bits; 2048 to 8192 are accepted",
        ),
        (
            &["-newkey", "rsa:2048", "-pkeyopt", "rsa_keygen_pubexp:3"],
            "public exponent 3; only 65537",
        ),
        (
            &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-521"],
            "curve P-521",
        ),
        (
            &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:secp256k1"],
            "curve secp256k1",
        ),
        (&["-newkey", "ed448"], "Ed448"),
        (&["-newkey", &dsa], "DSA key"),
    ];
    for (newkey, why) in cases {
        match Csr::parse(&dir.openssl_csr(newkey, "/CN=refused", None)) {
            Err(CsrError::KeyNotAllowed(m)) => {
                assert!(m.contains(why), "{newkey:?}: {m}");
                assert!(m.contains("accepted"), "{m}");
            }
            other => panic!("{newkey:?} gave {other:?}"),
        }
    }
}

#[test]
fn san_types_other_than_dns_email_uri_ip_are_unsupported() {
    for (san, kind) in [
        (
            "subjectAltName=DNS:ok.example,otherName:1.3.6.1.4.1.311.20.2.3;UTF8:u@example",
            "otherName",
        ),
        ("subjectAltName=RID:1.2.3.4", "registeredID"),
    ] {
        match Csr::parse(&openssl_csr(&p256(), "/CN=san", Some(san))) {
            Err(CsrError::Unsupported(m)) => assert!(m.contains(kind), "{m}"),
            other => panic!("{san} gave {other:?}"),
        }
    }
    assert!(Csr::parse(&openssl_csr(&p256(), "/CN=san", Some(SAN))).is_ok());
}

#[test]
fn repeated_types_and_multi_valued_rdns_are_kept_and_the_fields_come_from_the_first() {
    let mut newkey = p256().to_vec();
    newkey.push("-multivalue-rdn");
    let pem = openssl_csr(
        &newkey,
        "/DC=com/DC=example/OU=Eng/OU=Platform/CN=svc+UID=svc-1",
        None,
    );
    let csr = Csr::parse(&pem).unwrap();
    let der = pem::parse(&pem).unwrap().into_contents();
    let (_, req) = X509CertificationRequest::from_der(&der).unwrap();
    assert_eq!(
        csr.subject_der(),
        req.certification_request_info.subject.as_raw()
    );
    assert_eq!(csr.subject().common_name, "svc");
    assert_eq!(csr.subject().organizational_unit, "Eng");

    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    let empty = params.serialize_request(&key).unwrap().pem().unwrap();
    assert!(
        matches!(Csr::parse(&empty), Err(CsrError::Unsupported(m)) if m.contains("empty subject"))
    );
}

#[test]
fn a_csr_field_holding_more_than_one_block_or_other_text_is_refused() {
    let pem = csrs()[1].pem.trim_end();
    let other = csrs()[2].pem.trim_end();
    for (text, why) in [
        (format!("{pem}\n{other}\n"), "2 PEM blocks"),
        (format!("{pem}\n{pem}"), "2 PEM blocks"),
        (format!("my csr:\n{pem}"), "text before"),
        (format!("{pem}\nthanks"), "text after"),
        (format!("{pem}."), "text after"),
        (
            pem.replacen("-----\n", "-----\nProc-Type: 4,ENCRYPTED\n\n", 1),
            "headers",
        ),
    ] {
        match Csr::parse(&text) {
            Err(CsrError::Malformed(m)) => assert!(m.contains(why), "{text}: {m}"),
            other => panic!("{text}: {other:?}"),
        }
    }
    assert!(Csr::parse(&format!(" \t\r\n{pem}\r\n\n ")).is_ok());
}

#[test]
fn a_universal_string_is_refused_naming_its_attribute() {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::default();
    let universal = UniversalString::try_from("Unité").unwrap();
    params.distinguished_name.push(
        DnType::OrganizationalUnitName,
        DnValue::UniversalString(universal),
    );
    let pem = params.serialize_request(&key).unwrap().pem().unwrap();
    assert!(
        matches!(Csr::parse(&pem), Err(CsrError::Unsupported(m)) if m.contains("organizationalUnitName is a UniversalString"))
    );
}

/// A subject with every string type a certificate may carry, and an attribute rcgen has no name for.
pub(super) fn exotic_subject_csr() -> String {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(
        DnType::CountryName,
        DnValue::PrintableString("NZ".try_into().unwrap()),
    );
    let bmp = BmpString::try_from("Zoë Ōtautahi").unwrap();
    dn.push(DnType::CommonName, DnValue::BmpString(bmp));
    dn.push(
        DnType::OrganizationName,
        DnValue::TeletexString(TeletexString::try_from("Teletex Org").unwrap()),
    );
    dn.push(
        DnType::OrganizationalUnitName,
        DnValue::Utf8String("Unité".into()),
    );
    dn.push(
        DnType::CustomDnType(vec![2, 5, 4, 5]),
        DnValue::PrintableString("SN-42".try_into().unwrap()),
    );
    dn.push(
        DnType::CustomDnType(vec![1, 2, 840, 113549, 1, 9, 1]),
        DnValue::Ia5String("a@b.example".try_into().unwrap()),
    );
    params.distinguished_name = dn;
    params.serialize_request(&key).unwrap().pem().unwrap()
}

#[test]
fn every_string_type_is_read_for_the_display_fields() {
    let csr = Csr::parse(&exotic_subject_csr()).unwrap();
    assert_eq!(csr.subject().common_name, "Zoë Ōtautahi");
    assert_eq!(csr.subject().organization, "Teletex Org");
    assert_eq!(csr.subject().organizational_unit, "Unité");
    assert_eq!(csr.subject().country, "NZ");
}

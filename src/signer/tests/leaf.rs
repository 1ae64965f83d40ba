//! Checks one issued certificate against its CA and CSR, with x509-parser and with openssl.

use ring::digest;
use x509_parser::certificate::X509Certificate;
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::extensions::{DistributionPointName, GeneralName, ParsedExtension};
use x509_parser::prelude::FromDer;
use x509_parser::x509::X509Version;

use super::fixtures::{colon_hex, iso, openssl_ok, Dir, TestCa};
use crate::signer::{IssuedCert, Pointers};
use crate::x509::key_identifier;

/// The issuing CA's certificate.
#[derive(Clone, Copy)]
pub(super) struct ExpectedCa<'a> {
    pub(super) certificate_der: &'a [u8],
    pub(super) certificate_pem: &'a str,
}

impl<'a> From<&'a TestCa> for ExpectedCa<'a> {
    fn from(ca: &'a TestCa) -> Self {
        Self {
            certificate_der: &ca.new.certificate_der,
            certificate_pem: &ca.new.certificate_pem,
        }
    }
}

/// What the certificate was issued from.
pub(super) struct Expected<'a> {
    pub(super) ca: ExpectedCa<'a>,
    pub(super) csr_pem: &'a str,
    pub(super) rsa: bool,
    pub(super) not_before: i64,
    pub(super) not_after: i64,
    pub(super) pointers: Option<&'a Pointers>,
}

fn extension<T>(
    cert: &X509Certificate<'_>,
    pick: impl Fn(&ParsedExtension<'_>) -> Option<T>,
) -> Option<T> {
    cert.iter_extensions()
        .find_map(|e| pick(e.parsed_extension()))
}

fn uri(name: &GeneralName<'_>) -> String {
    match name {
        GeneralName::URI(u) => (*u).to_owned(),
        other => panic!("expected a URI, got {other:?}"),
    }
}

/// Field-by-field checks with x509-parser.
pub(super) fn check_fields(issued: &IssuedCert, exp: &Expected<'_>) {
    let (_, leaf) = x509_parser::parse_x509_certificate(&issued.der).unwrap();
    let (_, root) = x509_parser::parse_x509_certificate(exp.ca.certificate_der).unwrap();
    let csr_der = pem::parse(exp.csr_pem).unwrap().into_contents();
    let (_, req) = X509CertificationRequest::from_der(&csr_der).unwrap();
    let info = &req.certification_request_info;

    leaf.verify_signature(Some(root.public_key())).unwrap();
    assert_eq!(leaf.version(), X509Version::V3);
    assert_eq!(
        leaf.issuer().as_raw(),
        root.subject().as_raw(),
        "issuer bytes"
    );
    assert_eq!(
        leaf.subject().as_raw(),
        info.subject.as_raw(),
        "subject bytes"
    );
    assert_eq!(
        leaf.public_key().raw,
        info.subject_pki.raw,
        "public key bytes"
    );
    assert_eq!(leaf.validity().not_before.timestamp(), exp.not_before);
    assert_eq!(leaf.validity().not_after.timestamp(), exp.not_after);
    assert_eq!(
        leaf.raw_serial(),
        hex::decode(&issued.serial_hex).unwrap().as_slice()
    );
    assert_eq!(issued.serial_hex.len(), 40);
    assert!((0x01..=0x7f).contains(&leaf.raw_serial()[0]));
    let sha256 = digest::digest(&digest::SHA256, &issued.der);
    assert_eq!(issued.fingerprint_sha256, hex::encode(sha256));
    assert_eq!(
        pem::parse(&issued.pem).unwrap().contents(),
        issued.der.as_slice()
    );

    let bc = leaf.basic_constraints().unwrap().unwrap();
    assert!(bc.critical && !bc.value.ca);
    let ku = leaf.key_usage().unwrap().unwrap();
    assert!(ku.critical);
    // x509-parser numbers key usage bits from the first: digitalSignature = 1, keyEncipherment = 4.
    assert_eq!(ku.value.flags, if exp.rsa { 0b101 } else { 0b001 });
    let eku = leaf.extended_key_usage().unwrap().unwrap().value;
    assert!(eku.client_auth && !eku.server_auth && !eku.any && eku.other.is_empty());
    assert!(!eku.code_signing && !eku.email_protection && !eku.time_stamping && !eku.ocsp_signing);

    let ski = extension(&leaf, |e| match e {
        ParsedExtension::SubjectKeyIdentifier(id) => Some(id.0.to_vec()),
        _ => None,
    });
    let expected_ski = key_identifier(&leaf.public_key().subject_public_key.data);
    assert_eq!(ski.as_ref(), Some(&expected_ski));
    assert_eq!(issued.ski_hex, hex::encode(&expected_ski));
    let root_ski = extension(&root, |e| match e {
        ParsedExtension::SubjectKeyIdentifier(id) => Some(id.0.to_vec()),
        _ => None,
    });
    let aki = extension(&leaf, |e| match e {
        ParsedExtension::AuthorityKeyIdentifier(aki) => {
            aki.key_identifier.as_ref().map(|k| k.0.to_vec())
        }
        _ => None,
    });
    assert_eq!(aki, root_ski);

    let requested = req.requested_extensions().and_then(|mut exts| {
        exts.find_map(|e| match e {
            ParsedExtension::SubjectAlternativeName(san) => {
                Some(format!("{:?}", san.general_names))
            }
            _ => None,
        })
    });
    let granted = leaf
        .subject_alternative_name()
        .unwrap()
        .map(|san| format!("{:?}", san.value.general_names));
    assert_eq!(granted, requested, "subjectAltName");

    let crl = extension(&leaf, |e| match e {
        ParsedExtension::CRLDistributionPoints(points) => Some(
            points
                .iter()
                .map(|p| match &p.distribution_point {
                    Some(DistributionPointName::FullName(names)) => names.iter().map(uri).collect(),
                    other => panic!("unexpected distribution point {other:?}"),
                })
                .collect::<Vec<Vec<String>>>(),
        ),
        _ => None,
    });
    let aia = extension(&leaf, |e| match e {
        ParsedExtension::AuthorityInfoAccess(aia) => Some(
            aia.accessdescs
                .iter()
                .map(|d| (d.access_method.to_id_string(), uri(&d.access_location)))
                .collect::<Vec<_>>(),
        ),
        _ => None,
    });
    match exp.pointers {
        Some(p) => {
            assert_eq!(crl, Some(vec![vec![p.crl_url.clone()]]));
            let want = vec![
                ("1.3.6.1.5.5.7.48.1".to_owned(), p.ocsp_url.clone()),
                ("1.3.6.1.5.5.7.48.2".to_owned(), p.ca_issuers_url.clone()),
            ];
            assert_eq!(aia, Some(want));
        }
        None => assert!(crl.is_none() && aia.is_none()),
    }
}

/// openssl must verify the chain strictly for client authentication and print what we promised.
pub(super) fn check_with_openssl(issued: &IssuedCert, exp: &Expected<'_>) {
    let dir = Dir::new();
    let ca = dir.write("ca.pem", exp.ca.certificate_pem);
    let leaf = dir.write("leaf.pem", &issued.pem);
    let attime = (exp.not_before + 60).to_string();
    let verified = openssl_ok(&[
        "verify",
        "-x509_strict",
        "-purpose",
        "sslclient",
        "-attime",
        &attime,
        "-CAfile",
        &ca,
        &leaf,
    ]);
    assert!(verified.trim_end().ends_with(": OK"), "{verified}");

    let text = openssl_ok(&[
        "x509",
        "-in",
        &leaf,
        "-noout",
        "-serial",
        "-fingerprint",
        "-sha256",
        "-dates",
        "-dateopt",
        "iso_8601",
        "-text",
    ]);
    let head = format!(
        "serial={}\nsha256 Fingerprint={}\nnotBefore={}\nnotAfter={}\n",
        issued.serial_hex.to_uppercase(),
        colon_hex(&issued.fingerprint_sha256),
        iso(exp.not_before),
        iso(exp.not_after),
    );
    assert!(text.starts_with(&head), "expected\n{head}got\n{text}");
    let (_, root) = x509_parser::parse_x509_certificate(exp.ca.certificate_der).unwrap();
    let root_ski = key_identifier(&root.public_key().subject_public_key.data);
    let usage = if exp.rsa {
        "Digital Signature, Key Encipherment"
    } else {
        "Digital Signature"
    };
    let mut needles = vec![
        "X509v3 Basic Constraints: critical\n                CA:FALSE\n".to_owned(),
        format!("X509v3 Key Usage: critical\n                {usage}\n"),
        "X509v3 Extended Key Usage: \n                TLS Web Client Authentication\n".to_owned(),
        format!(
            "X509v3 Subject Key Identifier: \n                {}\n",
            colon_hex(&issued.ski_hex)
        ),
        format!(
            "X509v3 Authority Key Identifier: \n                {}\n",
            colon_hex(&hex::encode(root_ski))
        ),
    ];
    if let Some(p) = exp.pointers {
        needles.push(format!("X509v3 CRL Distribution Points: \n                Full Name:\n                  URI:{}\n", p.crl_url));
        needles.push(format!(
            "Authority Information Access: \n                OCSP - URI:{}\n                CA Issuers - URI:{}\n",
            p.ocsp_url, p.ca_issuers_url
        ));
    }
    for needle in needles {
        assert!(text.contains(&needle), "missing {needle:?} in\n{text}");
    }
}

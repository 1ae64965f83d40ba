//! A CSR that is well signed by its own key, so the fuzzer gets past the signature check: built by
//! rcgen from fuzzed subject attributes and subjectAltName entries, or encoded here from fuzzed
//! parts rcgen would refuse (any OID bytes, string tag and value in any RDN shape, any GeneralName,
//! any extra requested extension). Then the whole create path: parsing, key policy, signature,
//! name rules, issuance by the test CA and the check of the issued certificate.
#![no_main]

use std::net::IpAddr;
use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mtls_ca::x509::pem_encode;
use mtls_ca_fuzz::{assert_client_error, ca, NOW};
use rcgen::string::{BmpString, Ia5String, PrintableString, TeletexString, UniversalString};
use rcgen::{
    CertificateParams, DistinguishedName, DnType, DnValue, KeyPair, OtherNameValue, PublicKeyData,
    SanType, SigningKey,
};

#[derive(Arbitrary, Debug)]
struct Input {
    key: u8,
    request: Request,
}

#[derive(Arbitrary, Debug)]
enum Request {
    /// rcgen writes it (one value per attribute type: rcgen keeps a map).
    Built {
        subject: Vec<(AttrType, Value)>,
        sans: Vec<San>,
    },
    /// Encoded here.
    Parts {
        subject: Vec<Vec<RawAttr>>,
        sans: Option<Vec<RawName>>,
        extensions: Vec<RawExt>,
    },
}

#[derive(Arbitrary, Debug)]
enum AttrType {
    Known(u8),
    Custom(u8, u64, Vec<u64>),
}

#[derive(Arbitrary, Debug)]
enum Value {
    Utf8(String),
    Printable(String),
    Ia5(String),
    Teletex(String),
    Bmp(String),
    Universal(String),
}

#[derive(Arbitrary, Debug)]
enum San {
    Dns(String),
    Email(String),
    Uri(String),
    Ip(IpAddr),
    Other(Vec<u64>, String),
}

/// An AttributeTypeAndValue: the OID's content octets, the value's tag byte and content octets.
#[derive(Arbitrary, Debug)]
struct RawAttr {
    oid: Vec<u8>,
    tag: u8,
    value: Vec<u8>,
}

/// A GeneralName: its context tag number (constructed when above 0x1f) and content octets.
#[derive(Arbitrary, Debug)]
struct RawName {
    tag: u8,
    value: Vec<u8>,
}

#[derive(Arbitrary, Debug)]
struct RawExt {
    oid: Vec<u8>,
    critical: bool,
    value: Vec<u8>,
}

const KNOWN: &[&[u64]] = &[
    &[2, 5, 4, 3],
    &[2, 5, 4, 6],
    &[2, 5, 4, 7],
    &[2, 5, 4, 8],
    &[2, 5, 4, 10],
    &[2, 5, 4, 11],
    &[2, 5, 4, 5],
    &[2, 5, 4, 12],
    &[2, 5, 4, 46],
    &[2, 5, 4, 42],
    &[0, 9, 2342, 19200300, 100, 1, 25],
    &[1, 2, 840, 113549, 1, 9, 1],
];

/// The request keys (throwaway, made for fuzzing) and the DER AlgorithmIdentifier each signs with.
fn keys() -> &'static [(KeyPair, &'static [u8])] {
    static KEYS: OnceLock<Vec<(KeyPair, &'static [u8])>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let load = |der: &[u8]| KeyPair::try_from(der).expect("the fuzz key loads");
        vec![
            (
                load(include_bytes!("../keys/p256.pk8")),
                &[
                    0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02,
                ],
            ),
            (
                load(include_bytes!("../keys/ed25519.pk8")),
                &[0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70],
            ),
            (
                load(include_bytes!("../keys/rsa2048.pk8")),
                &[
                    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b,
                    0x05, 0x00,
                ],
            ),
        ]
    })
}

fuzz_target!(|input: Input| {
    // RSA signs a thousand times slower: one request in eight.
    let key = &keys()[match input.key % 8 {
        0..=3 => 0,
        4..=6 => 1,
        _ => 2,
    }];
    let pem = match input.request {
        Request::Built { subject, sans } => match built(&key.0, subject, sans) {
            Some(pem) => pem,
            None => return,
        },
        Request::Parts {
            subject,
            sans,
            extensions,
        } => encoded(key, &subject, sans.as_deref(), &extensions),
    };
    assert_client_error(&ca().issue(&pem, NOW));
});

fn built(key: &KeyPair, subject: Vec<(AttrType, Value)>, sans: Vec<San>) -> Option<String> {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    for (ty, value) in subject {
        dn.push(attr_type(ty), dn_value(value)?);
    }
    params.distinguished_name = dn;
    params.subject_alt_names = sans.into_iter().map(san).collect::<Option<_>>()?;
    params.serialize_request(key).ok()?.pem().ok()
}

/// An attribute type rcgen can write (yasna asserts a valid first and second arc).
fn attr_type(ty: AttrType) -> DnType {
    match ty {
        AttrType::Known(i) => DnType::from_oid(KNOWN[usize::from(i) % KNOWN.len()]),
        AttrType::Custom(first, second, rest) => {
            let first = u64::from(first % 3);
            let second = if first < 2 { second % 40 } else { second >> 8 };
            let mut arcs = vec![first, second];
            arcs.extend(rest);
            DnType::CustomDnType(arcs)
        }
    }
}

fn dn_value(value: Value) -> Option<DnValue> {
    Some(match value {
        Value::Utf8(s) => DnValue::Utf8String(s),
        // yasna 0.6 panics on '?' in a PrintableString, which rcgen lets through.
        Value::Printable(s) if s.contains('?') => return None,
        Value::Printable(s) => DnValue::PrintableString(PrintableString::try_from(s).ok()?),
        Value::Ia5(s) => DnValue::Ia5String(Ia5String::try_from(s).ok()?),
        Value::Teletex(s) => DnValue::TeletexString(TeletexString::try_from(s).ok()?),
        Value::Bmp(s) => DnValue::BmpString(BmpString::try_from(s).ok()?),
        Value::Universal(s) => DnValue::UniversalString(UniversalString::try_from(s).ok()?),
    })
}

fn san(san: San) -> Option<SanType> {
    Some(match san {
        San::Dns(s) => SanType::DnsName(Ia5String::try_from(s).ok()?),
        San::Email(s) => SanType::Rfc822Name(Ia5String::try_from(s).ok()?),
        San::Uri(s) => SanType::URI(Ia5String::try_from(s).ok()?),
        San::Ip(ip) => SanType::IpAddress(ip),
        San::Other(arcs, s) => {
            if arcs.len() < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] >= 40) || arcs[1] > 1 << 56
            {
                return None;
            }
            SanType::OtherName((arcs, OtherNameValue::Utf8String(s)))
        }
    })
}

/// The PEM of a CSR encoded from parts and signed by `key`.
fn encoded(
    (key, algorithm): &(KeyPair, &[u8]),
    subject: &[Vec<RawAttr>],
    sans: Option<&[RawName]>,
    extensions: &[RawExt],
) -> String {
    let name: Vec<u8> = subject
        .iter()
        .map(|rdn| {
            let attrs: Vec<u8> = rdn
                .iter()
                .map(|a| tlv(0x30, &[tlv(0x06, &a.oid), tlv(a.tag, &a.value)].concat()))
                .collect::<Vec<_>>()
                .concat();
            tlv(0x31, &attrs)
        })
        .collect::<Vec<_>>()
        .concat();
    let mut exts = Vec::new();
    if let Some(sans) = sans {
        let names: Vec<u8> = sans
            .iter()
            .map(|n| {
                let tag = if n.tag > 0x1f {
                    0xa0 | (n.tag & 0x1f)
                } else {
                    0x80 | n.tag
                };
                tlv(tag, &n.value)
            })
            .collect::<Vec<_>>()
            .concat();
        exts.extend(extension(&[0x55, 0x1d, 0x11], false, &tlv(0x30, &names)));
    }
    for e in extensions {
        exts.extend(extension(&e.oid, e.critical, &e.value));
    }
    // extensionRequest (1.2.840.113549.1.9.14), in the [0] IMPLICIT attributes.
    let ext_request_oid = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x0e];
    let attributes = if exts.is_empty() {
        tlv(0xa0, &[])
    } else {
        let attr = tlv(
            0x30,
            &[tlv(0x06, &ext_request_oid), tlv(0x31, &tlv(0x30, &exts))].concat(),
        );
        tlv(0xa0, &attr)
    };
    let info = tlv(
        0x30,
        &[
            vec![0x02, 0x01, 0x00],
            tlv(0x30, &name),
            key.subject_public_key_info(),
            attributes,
        ]
        .concat(),
    );
    let signature = key.sign(&info).expect("the fuzz key signs");
    let bits = [&[0u8][..], &signature].concat();
    let csr = tlv(0x30, &[info, algorithm.to_vec(), tlv(0x03, &bits)].concat());
    pem_encode("CERTIFICATE REQUEST", &csr)
}

fn extension(oid: &[u8], critical: bool, value: &[u8]) -> Vec<u8> {
    let critical = if critical {
        vec![0x01, 0x01, 0xff]
    } else {
        Vec::new()
    };
    tlv(0x30, &[tlv(0x06, oid), critical, tlv(0x04, value)].concat())
}

/// A DER TLV with a definite length.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

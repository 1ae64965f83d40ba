//! Copying distinguished names into rcgen: attribute types that do not encode back, '?' in a
//! PrintableString, and the attributes RFC 5280 wants as PrintableString.

use super::*;
use x509_parser::prelude::FromDer;

#[test]
fn an_attribute_type_asn1_rs_reads_as_arcs_no_oid_has_is_refused_not_handed_to_rcgen() {
    // asn1-rs reads the type 0x81 0x00 (2.48) as 3.9.0, 0x78 (2.40) as 3.0 and 0x00 (0.0) as the
    // lone arc 0; rcgen's writer panicked on each. A type that encodes back is copied.
    let name = |oid: &[u8]| {
        let atv = [&[0x06, oid.len() as u8][..], oid, &[0x0c, 0x01, b'x']].concat();
        let rdn = [&[0x30, atv.len() as u8][..], &atv].concat();
        let set = [&[0x31, rdn.len() as u8][..], &rdn].concat();
        [&[0x30, set.len() as u8][..], &set].concat()
    };
    for oid in [
        &[0x81, 0x00][..],
        &[0x78],
        &[0x00],
        &[],
        &[0x2a, 0x80, 0x01],
    ] {
        let der = name(oid);
        let (_, parsed) = X509Name::from_der(&der).unwrap();
        assert!(
            matches!(distinguished_name(&parsed), Err(NameError::Unsupported(m)) if m.contains("cannot be copied")),
            "{oid:x?}"
        );
    }
    let der = name(&[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37]);
    let (_, parsed) = X509Name::from_der(&der).unwrap();
    let dn = distinguished_name(&parsed).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = dn;
    assert!(params.serialize_request(&key).is_ok());
}

#[test]
fn a_printable_string_with_a_question_mark_is_copied_as_utf8_since_rcgen_cannot_write_it() {
    // Found by fuzz/csr_signed, whose own use of rcgen hit it: rcgen accepts '?' in a
    // PrintableString, then yasna 0.6 panics writing it. countryName, serialNumber and dnQualifier ("SN?") stay UTF8String ...
    let mut dn = DistinguishedName::new();
    dn.push(
        DnType::from_oid(&[2, 5, 4, 5]),
        DnValue::Utf8String("SN?".into()),
    );
    dn.push(DnType::CommonName, DnValue::Utf8String("svc".into()));
    let out = printable_where_required(dn);
    assert!(matches!(
        out.get(&DnType::from_oid(&[2, 5, 4, 5])),
        Some(DnValue::Utf8String(s)) if s == "SN?"
    ));
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = out;
    assert!(params.serialize_request(&key).is_ok());
    // ... and a CA subject `O=A?` sent as a PrintableString is copied as text rcgen can write
    // (the CA is then refused because its subject does not re-encode to the same bytes).
    let name = [
        0x30, 0x0d, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x13, 0x02, b'A', b'?',
    ];
    let (_, name) = X509Name::from_der(&name).unwrap();
    let dn = distinguished_name(&name).unwrap();
    assert!(matches!(
        dn.get(&DnType::OrganizationName),
        Some(DnValue::Utf8String(s)) if s == "A?"
    ));
}

#[test]
fn country_serial_and_dn_qualifier_become_printable_strings_other_attributes_keep_their_type() {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, DnValue::Utf8String("US".into()));
    dn.push(DnType::CommonName, DnValue::Utf8String("svc".into()));
    dn.push(
        DnType::from_oid(&[2, 5, 4, 5]),
        DnValue::Utf8String("SN-1".into()),
    );
    dn.push(
        DnType::from_oid(&[2, 5, 4, 46]),
        DnValue::Utf8String("q_1".into()),
    );
    let out = printable_where_required(dn);
    assert!(
        matches!(out.get(&DnType::CountryName), Some(DnValue::PrintableString(p)) if p.as_str() == "US")
    );
    assert!(matches!(out.get(&DnType::CommonName), Some(DnValue::Utf8String(s)) if s == "svc"));
    assert!(matches!(
        out.get(&DnType::from_oid(&[2, 5, 4, 5])),
        Some(DnValue::PrintableString(_))
    ));
    // '_' is not a PrintableString character: kept as sent rather than refused.
    assert!(matches!(
        out.get(&DnType::from_oid(&[2, 5, 4, 46])),
        Some(DnValue::Utf8String(_))
    ));
    let order: Vec<_> = out.iter().map(|(t, _)| t.clone()).collect();
    assert_eq!(order[0], DnType::CountryName);
    assert_eq!(order[1], DnType::CommonName);
}

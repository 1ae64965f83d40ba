//! Distinguished names copied from parsed X.509 into rcgen, attribute by attribute (keeping each
//! value's string type where rcgen has it); subjectAltName entries are copied by `alt_names`.
//!
//! rcgen keeps a distinguished name as a map from attribute type to one value, so a name that repeats a
//! type (`OU=a, OU=b`) or joins attributes with `+` cannot be reproduced here; such names are refused
//! rather than silently changed. That limits CA subjects (the issuer rcgen writes) only: a client
//! certificate's subject is copied exactly by [`super::exact_subject`] and spliced into the
//! certificate, so it may have both.

use rcgen::string::{BmpString, Ia5String, PrintableString, TeletexString, UniversalString};
use rcgen::{DistinguishedName, DnType, DnValue};
use x509_cert::der::oid::ObjectIdentifier;
use x509_parser::der_parser::asn1_rs::{Oid, Tag};
use x509_parser::objects::{oid2abbrev, oid_registry};
use x509_parser::x509::{AttributeTypeAndValue, X509Name};

/// Why a name cannot be copied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NameError {
    /// The encoding is broken.
    #[error("{0}")]
    Malformed(String),
    /// Well-formed, but not something the CA can reproduce.
    #[error("{0}")]
    Unsupported(String),
    /// Well-formed, but breaks a rule of the CA's name policy (RFC 5280 bounds, syntax).
    #[error("{0}")]
    Invalid(String),
}

/// Copies every attribute of `name`, in order.
pub(crate) fn distinguished_name(name: &X509Name<'_>) -> Result<DistinguishedName, NameError> {
    let mut dn = DistinguishedName::new();
    for rdn in name.iter() {
        let mut attrs = rdn.iter();
        let (Some(attr), None) = (attrs.next(), attrs.next()) else {
            return Err(NameError::Unsupported(
                "the subject has a multi-valued RDN (attributes joined with '+'); put each attribute in its own RDN".into(),
            ));
        };
        let label = label(attr.attr_type());
        let ty = DnType::from_oid(&arcs(attr.attr_type(), &label)?);
        if dn.get(&ty).is_some() {
            return Err(NameError::Unsupported(format!(
                "the subject has more than one {label} attribute; each attribute type may appear only once"
            )));
        }
        dn.push(ty, value(attr, &label)?);
    }
    Ok(dn)
}

/// The arcs of an attribute type, when they encode back to its own bytes. rcgen writes a type
/// from its arcs, and asn1-rs reads a first sub-identifier over 119 as arcs `3.x` (an OID of one
/// arc, or none, as just that), on which yasna, rcgen's DER writer, panics.
fn arcs(oid: &Oid<'_>, label: &str) -> Result<Vec<u64>, NameError> {
    let unsupported = || {
        NameError::Unsupported(format!(
            "the attribute type {label} cannot be copied exactly"
        ))
    };
    let arcs: Vec<u64> = oid.iter().ok_or_else(unsupported)?.collect();
    let small = arcs
        .iter()
        .map(|&a| u32::try_from(a))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| unsupported())?;
    match ObjectIdentifier::from_arcs(small) {
        Ok(back) if back.as_bytes() == oid.as_bytes() => Ok(arcs),
        _ => Err(unsupported()),
    }
}

/// countryName, serialNumber and dnQualifier are PrintableString in RFC 5280 (Appendix A); a CSR
/// that sends them as another string type gets them re-encoded as PrintableString when the text
/// allows, so the certificate conforms (the text, and so the API fields, are unchanged).
pub(crate) fn printable_where_required(dn: DistinguishedName) -> DistinguishedName {
    const PRINTABLE_ONLY: [&[u64]; 3] = [&[2, 5, 4, 6], &[2, 5, 4, 5], &[2, 5, 4, 46]];
    let mut out = DistinguishedName::new();
    for (ty, value) in dn.iter() {
        let required = PRINTABLE_ONLY
            .iter()
            .any(|arcs| ty == &DnType::from_oid(arcs));
        let value = match printable_string(&text(value)) {
            Some(p) if required => DnValue::PrintableString(p),
            _ => value.clone(),
        };
        out.push(ty.clone(), value);
    }
    out
}

/// `text` as a PrintableString rcgen can write. PrintableString has '?', and rcgen accepts it, but
/// yasna 0.6 (which writes rcgen's DER) panics on it; such text stays a UTF8String.
fn printable_string(text: &str) -> Option<PrintableString> {
    if text.contains('?') {
        return None;
    }
    PrintableString::try_from(text).ok()
}

/// The value with its ASN.1 string type; types rcgen lacks (NumericString, VisibleString) become
/// PrintableString when the text allows, else UTF8String, which every verifier accepts for these attributes.
fn value(attr: &AttributeTypeAndValue<'_>, label: &str) -> Result<DnValue, NameError> {
    let any = attr.attr_value();
    let malformed =
        || NameError::Malformed(format!("the subject attribute {label} is not valid text"));
    let text = || std::str::from_utf8(any.data).map_err(|_| malformed());
    let printable_or_utf8 = |s: &str| {
        printable_string(s)
            .map(DnValue::PrintableString)
            .unwrap_or_else(|| DnValue::Utf8String(s.to_owned()))
    };
    Ok(match any.tag() {
        Tag::Utf8String => DnValue::Utf8String(text()?.to_owned()),
        Tag::PrintableString | Tag::NumericString | Tag::VisibleString => {
            printable_or_utf8(text()?)
        }
        Tag::Ia5String => {
            DnValue::Ia5String(Ia5String::try_from(text()?).map_err(|_| malformed())?)
        }
        Tag::T61String => {
            DnValue::TeletexString(TeletexString::try_from(text()?).map_err(|_| malformed())?)
        }
        Tag::BmpString => {
            DnValue::BmpString(BmpString::from_utf16be(any.data.to_vec()).map_err(|_| malformed())?)
        }
        Tag::UniversalString => DnValue::UniversalString(
            UniversalString::from_utf32be(any.data.to_vec()).map_err(|_| malformed())?,
        ),
        other => {
            return Err(NameError::Unsupported(format!(
                "the subject attribute {label} is a {other:?}, not a string"
            )))
        }
    })
}

/// The text of a value, for display fields.
pub(crate) fn text(value: &DnValue) -> String {
    match value {
        DnValue::Utf8String(s) => s.clone(),
        DnValue::PrintableString(s) => s.as_str().to_owned(),
        DnValue::Ia5String(s) => s.as_str().to_owned(),
        DnValue::TeletexString(s) => s.as_str().to_owned(),
        DnValue::BmpString(s) => {
            let units: Vec<u16> = s
                .as_bytes()
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        DnValue::UniversalString(s) => s
            .as_bytes()
            .chunks_exact(4)
            .filter_map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
            .collect(),
        // DnValue is non-exhaustive; a future string type shows as empty rather than failing.
        _ => String::new(),
    }
}

/// The commonName of a name built here, when it has one.
pub fn common_name_of(dn: &DistinguishedName) -> Option<String> {
    dn.get(&DnType::CommonName).map(text)
}

/// A short name for an attribute type (`CN`, `OU`...), or its dotted OID.
pub(crate) fn label(oid: &Oid<'_>) -> String {
    oid2abbrev(oid, oid_registry())
        .map(str::to_owned)
        .unwrap_or_else(|_| oid.to_id_string())
}

#[cfg(test)]
#[path = "names_tests.rs"]
mod tests;

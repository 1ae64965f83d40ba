//! A CSR's subject as the certificate will carry it: every RDN in order, repeated attribute types,
//! multi-valued RDNs, and each value's string type and bytes, exactly as sent. Two changes only,
//! both required for DER and RFC 5280: the attributes inside one multi-valued RDN are written in
//! DER's SET order, and a value sent in a string type RFC 5280 does not allow for its attribute
//! (countryName as UTF8String, say) is rewritten in the type it must have, with the same text.
//!
//! The name is encoded with the RustCrypto `x509-cert` types, which model RFC 5280 names fully.

use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::der::asn1::{Any, SetOfVec};
use x509_cert::der::oid::ObjectIdentifier;
use x509_cert::der::{Encode, Tag};
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_parser::der_parser::asn1_rs::Tag as ParsedTag;
use x509_parser::x509::X509Name;

use super::csr::Subject;
use super::name_rules::{self, Attribute};
use super::names::NameError;

/// The subject a certificate gets for a CSR's `name`: its DER and its display fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExactSubject {
    /// The Name, DER.
    pub(crate) der: Vec<u8>,
    /// The first CN, C, ST, L, O and OU.
    pub(crate) fields: Subject,
    /// Whether it has no attribute at all.
    pub(crate) is_empty: bool,
}

/// Checks `name` by [`name_rules`] and encodes it.
pub(crate) fn copy(name: &X509Name<'_>) -> Result<ExactSubject, NameError> {
    let rdns = name_rules::subject(name)?;
    let sequence = rdns
        .iter()
        .map(|rdn| {
            let attrs = rdn
                .iter()
                .map(encode_attribute)
                .collect::<Result<Vec<_>, _>>()?;
            SetOfVec::try_from(attrs)
                .map(RelativeDistinguishedName)
                .map_err(|_| {
                    NameError::Invalid(
                        "the subject has an RDN that holds one attribute twice".into(),
                    )
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let der = Name::from(RdnSequence(sequence))
        .to_der()
        .map_err(|e| NameError::Malformed(format!("the subject cannot be encoded ({e})")))?;
    Ok(ExactSubject {
        der,
        fields: fields(&rdns),
        is_empty: rdns.is_empty(),
    })
}

fn encode_attribute(a: &Attribute) -> Result<AttributeTypeAndValue, NameError> {
    let oid = ObjectIdentifier::from_bytes(&a.oid_der)
        .map_err(|_| NameError::Unsupported(format!("the attribute type {} is too long", a.oid)))?;
    let (tag, bytes) = match a.rewrite_as {
        Some(tag) => (tag, a.text.as_bytes().to_vec()),
        None => (a.tag, a.bytes.clone()),
    };
    let tag = der_tag(tag).ok_or_else(|| {
        NameError::Unsupported(format!(
            "the subject's {} has a string type this CA does not write",
            a.name
        ))
    })?;
    let value = Any::new(tag, bytes).map_err(|e| {
        NameError::Malformed(format!("the subject's {} cannot be encoded ({e})", a.name))
    })?;
    Ok(AttributeTypeAndValue { oid, value })
}

/// The `der` tag of a string type; rewrites only produce PrintableString, IA5String or UTF8String,
/// whose bytes are the text's.
fn der_tag(tag: ParsedTag) -> Option<Tag> {
    Some(match tag {
        ParsedTag::Utf8String => Tag::Utf8String,
        ParsedTag::PrintableString => Tag::PrintableString,
        ParsedTag::Ia5String => Tag::Ia5String,
        ParsedTag::T61String => Tag::TeletexString,
        ParsedTag::BmpString => Tag::BmpString,
        ParsedTag::VisibleString => Tag::VisibleString,
        ParsedTag::NumericString => Tag::NumericString,
        _ => return None,
    })
}

/// The API's single-valued fields: the first occurrence of each type.
fn fields(rdns: &[Vec<Attribute>]) -> Subject {
    let first = |oid: &str| {
        rdns.iter()
            .flatten()
            .find(|a| a.oid == oid)
            .map(|a| a.text.clone())
            .unwrap_or_default()
    };
    Subject {
        common_name: first("2.5.4.3"),
        country: first("2.5.4.6"),
        state: first("2.5.4.8"),
        location: first("2.5.4.7"),
        organization: first("2.5.4.10"),
        organizational_unit: first("2.5.4.11"),
    }
}

//! What a subject attribute may hold: RFC 5280's upper bounds (Appendix A), the string types RFC 5280
//! fixes for some attributes, valid text in the declared string type, and no control characters.
//!
//! The same rules run twice: on a CSR's subject before anything is built ([`subject`]), and on the
//! finished certificate's subject before it is stored ([`super::precheck`]). Lengths count characters
//! (Unicode scalar values), not bytes.

use x509_parser::der_parser::asn1_rs::{Class, Tag};
use x509_parser::objects::{oid2sn, oid_registry};
use x509_parser::x509::{AttributeTypeAndValue, X509Name};

use super::names::NameError;

/// The most attributes a subject may have.
pub(crate) const MAX_ATTRIBUTES: usize = 32;
/// The bound of an attribute with no smaller RFC 5280 bound (and of attribute types not listed here).
pub(crate) const DEFAULT_MAX: usize = 256;

/// The string types an attribute may be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Syntax {
    /// X.520 DirectoryString: UTF8String, PrintableString, TeletexString or BMPString.
    Directory,
    /// PrintableString only (countryName, serialNumber, dnQualifier).
    Printable,
    /// IA5String only (domainComponent, emailAddress).
    Ia5,
    /// An attribute type without a rule here: any string type, kept as sent.
    Any,
}

/// (OID, name, syntax, most characters). countryName is also exactly two letters.
const RULES: &[(&str, &str, Syntax, usize)] = &[
    ("2.5.4.3", "commonName", Syntax::Directory, 64),
    ("2.5.4.6", "countryName", Syntax::Printable, 2),
    ("2.5.4.7", "localityName", Syntax::Directory, 128),
    ("2.5.4.8", "stateOrProvinceName", Syntax::Directory, 128),
    ("2.5.4.10", "organizationName", Syntax::Directory, 64),
    ("2.5.4.11", "organizationalUnitName", Syntax::Directory, 64),
    ("2.5.4.12", "title", Syntax::Directory, 64),
    ("2.5.4.5", "serialNumber", Syntax::Printable, 64),
    ("2.5.4.46", "dnQualifier", Syntax::Printable, DEFAULT_MAX),
    ("2.5.4.65", "pseudonym", Syntax::Directory, 128),
    ("2.5.4.4", "surname", Syntax::Directory, DEFAULT_MAX),
    ("2.5.4.41", "name", Syntax::Directory, DEFAULT_MAX),
    ("2.5.4.42", "givenName", Syntax::Directory, DEFAULT_MAX),
    ("2.5.4.43", "initials", Syntax::Directory, DEFAULT_MAX),
    (
        "2.5.4.44",
        "generationQualifier",
        Syntax::Directory,
        DEFAULT_MAX,
    ),
    (
        "0.9.2342.19200300.100.1.25",
        "domainComponent",
        Syntax::Ia5,
        63,
    ),
    ("1.2.840.113549.1.9.1", "emailAddress", Syntax::Ia5, 255),
];

/// One checked attribute of a subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Attribute {
    /// The attribute type, dotted.
    pub(crate) oid: String,
    /// The attribute type's OID content octets.
    pub(crate) oid_der: Vec<u8>,
    /// Its name for messages (`commonName`), or the dotted OID.
    pub(crate) name: String,
    /// The string type it was sent as.
    pub(crate) tag: Tag,
    /// The value's content octets as sent.
    pub(crate) bytes: Vec<u8>,
    /// Its text.
    pub(crate) text: String,
    /// The string type RFC 5280 requires instead of `tag`, when `tag` is not allowed for the type.
    pub(crate) rewrite_as: Option<Tag>,
}

/// Checks every attribute of `name`, RDN by RDN, in order.
pub(crate) fn subject(name: &X509Name<'_>) -> Result<Vec<Vec<Attribute>>, NameError> {
    let count: usize = name.iter().map(|rdn| rdn.iter().count()).sum();
    if count > MAX_ATTRIBUTES {
        return Err(NameError::Invalid(format!(
            "the subject has {count} attributes; at most {MAX_ATTRIBUTES} are allowed"
        )));
    }
    name.iter()
        .map(|rdn| {
            let attrs = rdn.iter().map(attribute).collect::<Result<Vec<_>, _>>()?;
            if attrs.is_empty() {
                return Err(NameError::Malformed("the subject has an empty RDN".into()));
            }
            for (i, a) in attrs.iter().enumerate() {
                if attrs[..i]
                    .iter()
                    .any(|b| b.oid == a.oid && b.text == a.text)
                {
                    return Err(NameError::Invalid(format!(
                        "the subject has an RDN that holds the same {} twice",
                        a.name
                    )));
                }
            }
            Ok(attrs)
        })
        .collect()
}

fn attribute(attr: &AttributeTypeAndValue<'_>) -> Result<Attribute, NameError> {
    let oid = attr.attr_type().to_id_string();
    let rule = RULES.iter().find(|r| r.0 == oid);
    let name = match rule {
        Some(r) => r.1.to_owned(),
        None => oid2sn(attr.attr_type(), oid_registry())
            .map(str::to_owned)
            .unwrap_or_else(|_| oid.clone()),
    };
    let (syntax, max) = rule.map_or((Syntax::Any, DEFAULT_MAX), |r| (r.2, r.3));
    let value = attr.attr_value();
    let tag = value.tag();
    if value.class() != Class::Universal || value.header.is_constructed() {
        return Err(NameError::Unsupported(format!(
            "the subject's {name} is not a string"
        )));
    }
    let text = decode(tag, value.data, &name)?;
    let invalid = |why: String| Err(NameError::Invalid(format!("the subject's {name} {why}")));
    let chars = text.chars().count();
    if chars == 0 {
        return invalid("is empty".into());
    }
    if let Some(c) = text.chars().find(|c| c.is_control()) {
        return invalid(format!(
            "contains the control character U+{:04X}",
            u32::from(c)
        ));
    }
    if oid == "2.5.4.6" {
        if chars != 2 || !text.chars().all(|c| c.is_ascii_uppercase()) {
            return invalid(format!(
                "is {text:?}; it must be two capital letters (an ISO 3166 code such as \"US\")"
            ));
        }
    } else if chars > max {
        return invalid(format!(
            "is {chars} characters; {} allows at most {max}",
            if rule.is_some_and(|r| r.3 != DEFAULT_MAX) {
                "RFC 5280"
            } else {
                "this CA"
            }
        ));
    }
    let rewrite_as = match syntax {
        Syntax::Printable if tag != Tag::PrintableString => {
            if !is_printable(&text) {
                return invalid(format!(
                    "{text:?} must be a PrintableString (letters, digits, space and '()+,-./:=?)"
                ));
            }
            Some(Tag::PrintableString)
        }
        Syntax::Ia5 if tag != Tag::Ia5String => {
            if !text.is_ascii() {
                return invalid(format!("{text:?} must be an IA5String (ASCII)"));
            }
            Some(Tag::Ia5String)
        }
        Syntax::Directory
            if !matches!(
                tag,
                Tag::Utf8String | Tag::PrintableString | Tag::T61String | Tag::BmpString
            ) =>
        {
            Some(if is_printable(&text) {
                Tag::PrintableString
            } else {
                Tag::Utf8String
            })
        }
        _ => None,
    };
    Ok(Attribute {
        oid,
        oid_der: attr.attr_type().as_bytes().to_vec(),
        name,
        tag,
        bytes: value.data.to_vec(),
        text,
        rewrite_as,
    })
}

/// The text of a string value, checked against its type's character set.
fn decode(tag: Tag, data: &[u8], name: &str) -> Result<String, NameError> {
    let malformed =
        |what: &str| NameError::Malformed(format!("the subject's {name} is not a valid {what}"));
    let ascii = |what: &str, ok: fn(u8) -> bool| {
        if data.iter().all(|&b| ok(b)) {
            Ok(data.iter().map(|&b| char::from(b)).collect())
        } else {
            Err(malformed(what))
        }
    };
    match tag {
        Tag::Utf8String => std::str::from_utf8(data)
            .map(str::to_owned)
            .map_err(|_| malformed("UTF8String (its bytes are not UTF-8)")),
        Tag::PrintableString => ascii("PrintableString", |b| printable_byte(b)),
        Tag::Ia5String => ascii("IA5String", |b| b.is_ascii()),
        Tag::VisibleString => ascii("VisibleString", |b| (0x20..=0x7e).contains(&b)),
        Tag::NumericString => ascii("NumericString", |b| b.is_ascii_digit() || b == b' '),
        // Read as ASCII: an 8-bit TeletexString is ambiguous (T.61 or Latin-1, depending on the reader).
        Tag::T61String => {
            ascii("TeletexString", |b| b.is_ascii()).map_err(|_| {
                NameError::Unsupported(format!(
                    "the subject's {name} is a TeletexString with bytes outside ASCII, which readers decode differently; send it as a UTF8String"
                ))
            })
        }
        Tag::BmpString if data.len() % 2 == 0 => {
            let units = data.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]]));
            // BMPString is UCS-2: surrogates have no place in it.
            char::decode_utf16(units)
                .map(|c| c.ok().filter(|c| u32::from(*c) <= 0xffff))
                .collect::<Option<String>>()
                .ok_or_else(|| malformed("BMPString"))
        }
        Tag::BmpString => Err(malformed("BMPString (odd length)")),
        Tag::UniversalString => Err(NameError::Unsupported(format!(
            "the subject's {name} is a UniversalString, which this CA does not issue (RFC 5280 asks for UTF8String); send it as a UTF8String"
        ))),
        other => Err(NameError::Unsupported(format!(
            "the subject's {name} is {}, not a string type a certificate may carry",
            tag_name(other)
        ))),
    }
}

/// The ASN.1 name of a value's type, for messages.
pub(crate) fn tag_name(tag: Tag) -> String {
    match tag {
        Tag::Utf8String => "UTF8String".into(),
        Tag::PrintableString => "PrintableString".into(),
        Tag::Ia5String => "IA5String".into(),
        Tag::T61String => "TeletexString".into(),
        Tag::BmpString => "BMPString".into(),
        Tag::UniversalString => "UniversalString".into(),
        Tag::VisibleString => "VisibleString".into(),
        Tag::NumericString => "NumericString".into(),
        Tag::Integer => "an INTEGER".into(),
        Tag::Sequence => "a SEQUENCE".into(),
        other => format!("ASN.1 tag {}", other.0),
    }
}

fn printable_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b" '()+,-./:=?".contains(&b)
}

/// Whether `text` fits PrintableString's character set.
pub(crate) fn is_printable(text: &str) -> bool {
    text.bytes().all(printable_byte) && text.is_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_strings_take_letters_digits_and_a_few_marks_only() {
        assert!(is_printable("Example Inc. (EU), 1-2/3:=?+'"));
        assert!(!is_printable("a_b"));
        assert!(!is_printable("a@b"));
        assert!(!is_printable("Zoë"));
    }

    #[test]
    fn string_types_decode_only_their_own_character_sets() {
        let ok = |tag, data: &[u8]| decode(tag, data, "commonName").unwrap();
        let err = |tag, data: &[u8]| decode(tag, data, "commonName").unwrap_err();
        assert_eq!(ok(Tag::Utf8String, "Zoë".as_bytes()), "Zoë");
        assert!(
            matches!(err(Tag::Utf8String, b"a\xff"), NameError::Malformed(m) if m.contains("not UTF-8"))
        );
        assert!(matches!(
            err(Tag::PrintableString, b"a_b"),
            NameError::Malformed(_)
        ));
        assert_eq!(ok(Tag::BmpString, &[0, b'h', 0, 0xeb]), "hë");
        assert!(matches!(
            err(Tag::BmpString, &[0xd8, 0x3d, 0xde, 0x00]),
            NameError::Malformed(_)
        ));
        assert!(matches!(
            err(Tag::BmpString, &[0, b'h', 0]),
            NameError::Malformed(_)
        ));
        assert!(matches!(
            err(Tag::UniversalString, &[0, 0, 0, b'a']),
            NameError::Unsupported(_)
        ));
        assert!(matches!(
            err(Tag::T61String, b"caf\xe9"),
            NameError::Unsupported(_)
        ));
        assert!(matches!(err(Tag::Integer, &[1]), NameError::Unsupported(_)));
        assert_eq!(ok(Tag::NumericString, b"12 34"), "12 34");
    }
}

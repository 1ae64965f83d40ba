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
use super::strings::{decode, is_printable};

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

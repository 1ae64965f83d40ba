//! The ASN.1 string types a name may hold: each value's text, read only if its bytes are valid in
//! its declared type (UTF-8 for UTF8String, UCS-2 for BMPString, the PrintableString and IA5String
//! character sets...), and the types' names for messages.

use x509_parser::der_parser::asn1_rs::Tag;

use super::names::NameError;

/// The text of a string value, checked against its type's character set.
pub(crate) fn decode(tag: Tag, data: &[u8], name: &str) -> Result<String, NameError> {
    let malformed =
        |what: &str| NameError::Malformed(format!("the subject's {name} is not a valid {what}"));
    // ASCII control characters pass here so that the caller refuses them as such, whatever the type.
    let ascii = |what: &str, ok: fn(u8) -> bool| {
        if data.iter().all(|&b| ok(b) || b.is_ascii_control()) {
            Ok(data.iter().map(|&b| char::from(b)).collect())
        } else {
            Err(malformed(what))
        }
    };
    match tag {
        Tag::Utf8String => std::str::from_utf8(data)
            .map(str::to_owned)
            .map_err(|_| malformed("UTF8String (its bytes are not UTF-8)")),
        Tag::PrintableString => ascii("PrintableString", printable_byte),
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

//! Subject and subjectAltName rules through the API: a table of inputs, each either issued (and
//! openssl shows exactly what was allowed, string types included) or refused with a 400 whose code
//! and pointer are fixed and whose message names the field; and the framing of the `csr` field.
//!
//! The CSRs are written byte by byte ([`raw_csr`]) so that a row can hold what no CSR tool would
//! write (bytes that are not UTF-8, an unsorted multi-valued RDN), and signed with a real key.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

const CN: &[u8] = &[0x55, 0x04, 0x03];
const C: &[u8] = &[0x55, 0x04, 0x06];
const L: &[u8] = &[0x55, 0x04, 0x07];
const ST: &[u8] = &[0x55, 0x04, 0x08];
const O: &[u8] = &[0x55, 0x04, 0x0a];
const OU: &[u8] = &[0x55, 0x04, 0x0b];
const DC: &[u8] = &[0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19];
const EMAIL: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01];
const UTF8: u8 = 0x0c;
const PRINTABLE: u8 = 0x13;
const IA5: u8 = 0x16;
const BMP: u8 = 0x1e;
/// GeneralName tags: rfc822Name [1], dNSName [2], uniformResourceIdentifier [6], iPAddress [7].
const MAIL: u8 = 0x81;
const DNS: u8 = 0x82;
const URI: u8 = 0x86;
const IP: u8 = 0x87;

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// One attribute: (type OID content octets, string tag, value bytes).
type Attr = (&'static [u8], u8, Vec<u8>);

/// A P-256 CSR with these RDNs (attributes of one RDN written in the order given) and SAN entries.
fn raw_csr(rdns: &[Vec<Attr>], sans: &[San]) -> String {
    use rcgen::{PublicKeyData, SigningKey};
    let key = rcgen::KeyPair::generate().expect("key");
    let rdns: Vec<u8> = rdns
        .iter()
        .flat_map(|rdn| {
            let attrs: Vec<u8> = rdn
                .iter()
                .flat_map(|(oid, tag, value)| {
                    tlv(0x30, &[tlv(0x06, oid), tlv(*tag, value)].concat())
                })
                .collect();
            tlv(0x31, &attrs)
        })
        .collect();
    let mut info = [
        tlv(0x02, &[0]),
        tlv(0x30, &rdns),
        key.subject_public_key_info(),
    ]
    .concat();
    let mut attributes = Vec::new();
    if !sans.is_empty() {
        let names: Vec<u8> = sans.iter().flat_map(|(t, v)| tlv(*t, v)).collect();
        let san = [
            tlv(0x06, &[0x55, 0x1d, 0x11]),
            tlv(0x04, &tlv(0x30, &names)),
        ]
        .concat();
        let extension_request = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x0e];
        let extensions = tlv(0x31, &tlv(0x30, &tlv(0x30, &san)));
        attributes = tlv(0x30, &[tlv(0x06, &extension_request), extensions].concat());
    }
    info.extend(tlv(0xa0, &attributes));
    let info = tlv(0x30, &info);
    let signature = key.sign(&info).expect("sign");
    let ecdsa_with_sha256 = tlv(
        0x30,
        &tlv(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]),
    );
    let bits = [&[0u8][..], &signature].concat();
    let der = tlv(0x30, &[info, ecdsa_with_sha256, tlv(0x03, &bits)].concat());
    pem::encode(&pem::Pem::new("CERTIFICATE REQUEST", der))
}

fn utf8(oid: &'static [u8], text: &str) -> Vec<Attr> {
    vec![(oid, UTF8, text.as_bytes().to_vec())]
}

/// What a row must give.
enum Want {
    /// 200, and openssl prints this subject (`-nameopt RFC2253,show_type,-esc_msb`) and SAN.
    Issued(&'static str, &'static str),
    /// 400 with this code, pointer `/csr`, and a message containing this.
    Refused(u64, &'static str),
}
use Want::*;

fn bmp(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

/// One SAN entry: (GeneralName tag, value bytes).
type San = (u8, Vec<u8>);
/// One row: (what, RDNs, SAN entries, want).
type Row = (&'static str, Vec<Vec<Attr>>, Vec<San>, Want);

fn rows() -> Vec<Row> {
    let x = |n: usize| "x".repeat(n);
    let cn = |text: &str| vec![utf8(CN, text)];
    let san = |tag: u8, text: &str| vec![(tag, text.as_bytes().to_vec())];
    let ok = "subjectAltName=absent";
    let cn64: &'static str = format!("CN=UTF8STRING:{}", x(64)).leak();
    let l128: &'static str = format!("CN=UTF8STRING:a,L=UTF8STRING:{}", x(128)).leak();
    let st128: &'static str = format!("CN=UTF8STRING:a,ST=UTF8STRING:{}", x(128)).leak();
    let o64: &'static str = format!("CN=UTF8STRING:a,O=UTF8STRING:{}", x(64)).leak();
    let ou64: &'static str = format!("CN=UTF8STRING:a,OU=UTF8STRING:{}", x(64)).leak();
    let with_cn = |attr: Vec<Attr>| vec![attr, utf8(CN, "a")];
    let long_label = format!("{}.example", x(64));
    #[rustfmt::skip]
    let rows = vec![
        ("CN of 64", cn(&x(64)), vec![], Issued(cn64, ok)),
        ("CN of 65", cn(&x(65)), vec![], Refused(1414, "the subject's commonName is 65 characters; RFC 5280 allows at most 64")),
        ("CN of 10 kB", cn(&x(10_240)), vec![], Refused(1414, "commonName is 10240 characters")),
        ("CN with NUL", cn("svc\0evil"), vec![], Refused(1414, "commonName contains the control character U+0000")),
        ("a PrintableString O with NUL", vec![vec![(O, PRINTABLE, b"Example\0Inc".to_vec())]], vec![], Refused(1414, "organizationName contains the control character U+0000")),
        ("CN with ESC", cn("svc\x1b[31m"), vec![], Refused(1414, "commonName contains the control character U+001B")),
        ("CN with a C1 control", cn("svc\u{85}"), vec![], Refused(1414, "commonName contains the control character U+0085")),
        ("CN of bytes that are not UTF-8", vec![vec![(CN, UTF8, vec![b's', 0xff, 0xfe])]], vec![], Refused(1410, "commonName is not a valid UTF8String")),
        ("an empty CN", cn(""), vec![], Refused(1414, "commonName is empty")),
        ("C of two letters", with_cn(vec![(C, PRINTABLE, b"NZ".to_vec())]), vec![], Issued("CN=UTF8STRING:a,C=PRINTABLESTRING:NZ", ok)),
        ("C as a UTF8String", with_cn(utf8(C, "NZ")), vec![], Issued("CN=UTF8STRING:a,C=PRINTABLESTRING:NZ", ok)),
        ("C of three letters", with_cn(vec![(C, PRINTABLE, b"NZL".to_vec())]), vec![], Refused(1414, "countryName is \"NZL\"; it must be two capital letters")),
        ("C in lower case", with_cn(vec![(C, PRINTABLE, b"nz".to_vec())]), vec![], Refused(1414, "countryName is \"nz\"")),
        ("C of digits", with_cn(vec![(C, PRINTABLE, b"12".to_vec())]), vec![], Refused(1414, "countryName is \"12\"")),
        ("L of 128", with_cn(utf8(L, &x(128))), vec![], Issued(l128, ok)),
        ("L of 129", with_cn(utf8(L, &x(129))), vec![], Refused(1414, "localityName is 129 characters; RFC 5280 allows at most 128")),
        ("ST of 128", with_cn(utf8(ST, &x(128))), vec![], Issued(st128, ok)),
        ("ST of 129", with_cn(utf8(ST, &x(129))), vec![], Refused(1414, "stateOrProvinceName is 129 characters")),
        ("O of 64", with_cn(utf8(O, &x(64))), vec![], Issued(o64, ok)),
        ("O of 65", with_cn(utf8(O, &x(65))), vec![], Refused(1414, "organizationName is 65 characters")),
        ("OU of 64", with_cn(utf8(OU, &x(64))), vec![], Issued(ou64, ok)),
        ("OU of 65", with_cn(utf8(OU, &x(65))), vec![], Refused(1414, "organizationalUnitName is 65 characters")),
        ("a directory DN with repeated DC and OU",
            vec![vec![(DC, IA5, b"com".to_vec())], vec![(DC, IA5, b"example".to_vec())], utf8(OU, "Eng"), utf8(OU, "Platform"), utf8(CN, "svc")], vec![],
            Issued("CN=UTF8STRING:svc,OU=UTF8STRING:Platform,OU=UTF8STRING:Eng,DC=IA5STRING:example,DC=IA5STRING:com", ok)),
        ("a multi-valued RDN, written out of DER order",
            vec![vec![(OU, UTF8, b"Eng".to_vec()), (CN, UTF8, b"svc".to_vec())]], vec![],
            // openssl prints RDNs, and the attributes of one, last first: CN then OU, DER's order.
            Issued("OU=UTF8STRING:Eng+CN=UTF8STRING:svc", ok)),
        ("DC as a UTF8String", vec![utf8(DC, "example"), utf8(CN, "a")], vec![], Issued("CN=UTF8STRING:a,DC=IA5STRING:example", ok)),
        ("emailAddress with a control character", vec![vec![(EMAIL, IA5, b"a\x07@example.com".to_vec())]], vec![], Refused(1414, "emailAddress contains the control character U+0007")),
        ("BMPString and PrintableString kept", vec![vec![(O, PRINTABLE, b"Example Inc".to_vec())], vec![(CN, BMP, bmp("Zoë"))]], vec![],
            Issued("CN=BMPSTRING:Zoë,O=PRINTABLESTRING:Example Inc", ok)),
        ("a DNS name with a leading hyphen", cn("a"), san(DNS, "-bad.example"), Refused(1414, "the subjectAltName DNS name \"-bad.example\"")),
        ("a DNS name with an empty label", cn("a"), san(DNS, "a..b"), Refused(1414, "DNS name \"a..b\" has an empty label")),
        ("a DNS label of 64", cn("a"), san(DNS, &long_label), Refused(1414, "has a label of 64 characters")),
        ("a DNS name with an underscore", cn("a"), san(DNS, "_srv.example"), Refused(1414, "contains an underscore")),
        ("a DNS name with a trailing dot", cn("a"), san(DNS, "svc.example."), Refused(1414, "ends with a dot")),
        ("a wildcard DNS name", cn("a"), san(DNS, "*.svc.example"), Issued("CN=UTF8STRING:a", "DNS:*.svc.example")),
        ("DNS names and IPs", vec![], vec![(DNS, b"svc.example".to_vec()), (IP, vec![192, 0, 2, 7]), (IP, [0x20, 0x01, 0x0d, 0xb8].into_iter().chain([0; 11]).chain([7]).collect())],
            Issued("", "DNS:svc.example, IP Address:192.0.2.7, IP Address:2001:DB8:0:0:0:0:0:7")),
        ("an IP of 5 bytes", cn("a"), vec![(IP, vec![1, 2, 3, 4, 5])], Refused(1410, "IP address has 5 bytes")),
        ("an e-mail address", cn("a"), san(MAIL, "ops@example.com"), Issued("CN=UTF8STRING:a", "email:ops@example.com")),
        ("an e-mail address without @", cn("a"), san(MAIL, "ops.example.com"), Refused(1414, "the subjectAltName e-mail address \"ops.example.com\" has no '@'")),
        ("a SPIFFE URI", cn("a"), san(URI, "spiffe://example.com/ns/prod/sa/api"), Issued("CN=UTF8STRING:a", "URI:spiffe://example.com/ns/prod/sa/api")),
        ("a relative URI", cn("a"), san(URI, "ns/prod/sa/api"), Refused(1414, "the subjectAltName URI \"ns/prod/sa/api\" has no scheme")),
        ("a URI with a space", cn("a"), san(URI, "https://example.com/a b"), Refused(1414, "contains ' '")),
    ];
    rows
}

/// openssl's view of the issued certificate: the subject line and the SAN entries.
async fn openssl_view(pem: &str) -> (String, String) {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("leaf.pem"), pem).expect("write");
    let out = tokio::process::Command::new("openssl")
        .args([
            "x509",
            "-in",
            "leaf.pem",
            "-noout",
            "-subject",
            "-nameopt",
            "RFC2253,show_type,-esc_msb",
            "-ext",
            "subjectAltName",
        ])
        .current_dir(dir.path())
        .output()
        .await
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let mut lines = text.lines();
    let subject = lines
        .next()
        .expect("subject line")
        .trim_start_matches("subject=")
        .to_owned();
    let san = lines.skip(1).map(str::trim).collect::<Vec<_>>().join(" ");
    let san = if san.is_empty() {
        "subjectAltName=absent".to_owned()
    } else {
        san
    };
    (subject, san)
}

fn error_of(body: &Value) -> (u64, &str, Option<&str>) {
    let e = &body["errors"][0];
    (
        e["code"].as_u64().unwrap_or_default(),
        e["message"].as_str().unwrap_or_default(),
        e["source"]["pointer"].as_str(),
    )
}

#[tokio::test]
async fn each_subject_and_san_row_is_issued_exactly_as_allowed_or_refused_naming_the_field() {
    let rows = rows();
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let mut issued = 0;
        let mut wrong = Vec::new();
        for (what, rdns, sans, want) in &rows {
            let (status, body) = json_of(app.create(&raw_csr(rdns, sans), 30).await).await;
            match want {
                Issued(subject, san) => {
                    assert_eq!(status, StatusCode::OK, "{what}: {body}");
                    let pem = body["result"]["certificate"].as_str().expect("pem");
                    let (got_subject, got_san) = openssl_view(pem).await;
                    if (got_subject.as_str(), got_san.as_str()) != (*subject, *san) {
                        wrong.push(format!("{what}: openssl shows {got_subject:?} {got_san:?}"));
                    }
                    issued += 1;
                }
                Refused(code, field) => {
                    assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {body}");
                    let (got, message, pointer) = error_of(&body);
                    assert_eq!((got, pointer), (*code, Some("/csr")), "{what}: {body}");
                    if !message.contains(field) {
                        wrong.push(format!("{what}: {message}"));
                    }
                }
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
        let (_, listed) = app.list("").await;
        assert_eq!(
            listed["result_info"]["total_count"], issued,
            "only the allowed rows were issued"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn a_directory_subject_keeps_its_bytes_and_the_api_reports_the_first_of_each_field() {
    use x509_parser::prelude::FromDer;
    let p256 = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-multivalue-rdn",
    ];
    let csr = crate::errors::openssl_csr(
        "/DC=com/DC=example/O=Example/OU=Eng/OU=Platform/CN=svc+UID=svc-1",
        &p256,
    );
    let csr_der = pem::parse(&csr).expect("pem").into_contents();
    let (_, req) = x509_parser::certification_request::X509CertificationRequest::from_der(&csr_der)
        .expect("csr");
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let cert = app.issue(&csr, 30).await;
        assert_eq!(cert["common_name"], "svc");
        assert_eq!(cert["organizational_unit"], "Eng");
        assert_eq!(cert["organization"], "Example");
        assert_eq!(cert["country"], "");
        let pem = cert["certificate"].as_str().expect("pem");
        let (_, block) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).expect("pem");
        let x = block.parse_x509().expect("x509");
        assert_eq!(
            x.subject().as_raw(),
            req.certification_request_info.subject.as_raw()
        );
        let (subject, _) = openssl_view(pem).await;
        assert_eq!(
            subject,
            "UID=UTF8STRING:svc-1+CN=UTF8STRING:svc,OU=UTF8STRING:Platform,OU=UTF8STRING:Eng,\
             O=UTF8STRING:Example,DC=IA5STRING:example,DC=IA5STRING:com"
        );
        // The stored certificate reads back the same.
        let (_, got) = app
            .on_cert(reqwest::Method::GET, cert["id"].as_str().expect("id"))
            .await;
        assert_eq!(got["result"]["organizational_unit"], "Eng");
        app.stop().await;
    }
}

#[tokio::test]
async fn a_csr_field_with_two_blocks_or_text_around_its_block_is_refused_and_whitespace_is_not() {
    let one = csr_p256("framing");
    let two = csr_p256("second");
    let cases = [
        ("two CSRs", format!("{one}{two}"), Some("2 PEM blocks")),
        (
            "a CSR and a certificate",
            format!("{one}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
            Some("2 PEM blocks"),
        ),
        (
            "text before",
            format!("Here is my CSR:\n{one}"),
            Some("text before the PEM block"),
        ),
        (
            "text after",
            format!("{one}-- \nsent from my phone\n"),
            Some("text after the PEM block"),
        ),
        (
            "whitespace around",
            format!("\n\t  {}\r\n\r\n  ", one.replace('\n', "\r\n")),
            None,
        ),
    ];
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        for (what, csr, refusal) in &cases {
            let (status, body) = json_of(app.create(csr, 30).await).await;
            match refusal {
                Some(why) => {
                    assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {body}");
                    let (code, message, pointer) = error_of(&body);
                    assert_eq!((code, pointer), (1410, Some("/csr")), "{what}: {body}");
                    assert!(message.contains(why), "{what}: {message}");
                }
                None => {
                    assert_eq!(status, StatusCode::OK, "{what}: {body}");
                    // The csr is echoed exactly as sent, whitespace included.
                    assert_eq!(body["result"]["csr"].as_str(), Some(csr.as_str()));
                }
            }
        }
        app.stop().await;
    }
}

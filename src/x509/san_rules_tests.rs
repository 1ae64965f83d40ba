//! The SAN syntax rules, entry kind by entry kind.

use super::*;

#[test]
fn dns_names_follow_the_preferred_syntax() {
    for ok in [
        "a",
        "client-1.example.com",
        "1password.com",
        "*.example.com",
        "xn--bcher-kva.example",
        "A.B",
    ] {
        assert_eq!(dns_name(ok), Ok(()), "{ok}");
    }
    let long_label = format!("{}.example", "a".repeat(64));
    let long_name = format!("{}.example", vec!["a".repeat(60); 5].join("."));
    for (bad, why) in [
        ("-bad.example", "hyphen"),
        ("bad-.example", "hyphen"),
        ("a..b", "empty label"),
        (".a", "empty label"),
        ("a.", "dot"),
        ("under_score.example", "underscore"),
        ("sp ace.example", "' '"),
        ("a.*.example", "wildcard"),
        ("*.com", "fewer than two"),
        ("w*.example.com", "wildcard"),
        ("192.0.2.1", "IP address"),
        ("", "empty label"),
        (long_label.as_str(), "63"),
        (long_name.as_str(), "253"),
    ] {
        let got = dns_name(bad).unwrap_err();
        assert!(got.contains(why), "{bad}: {got}");
    }
}

#[test]
fn mailboxes_are_dot_atoms_at_host_names() {
    for ok in [
        "ops@example.com",
        "first.last+tag@sub.example",
        "o'neil@example.org",
    ] {
        assert_eq!(mailbox(ok), Ok(()), "{ok}");
    }
    for bad in [
        "ops",
        "@example.com",
        "a..b@example.com",
        ".a@example.com",
        "\"q\"@example.com",
        "a@b_c.example",
        "a@[192.0.2.1]",
        "a b@example.com",
        "a@*.example.com",
    ] {
        assert!(mailbox(bad).is_err(), "{bad}");
    }
}

#[test]
fn uris_are_absolute_and_escaped() {
    for ok in [
        "spiffe://example.org/ns/prod/sa/api",
        "https://example.com/a?b=c#d",
        "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66",
        "mailto:a@example.com",
        "https://[2001:db8::1]/x%20y",
    ] {
        assert_eq!(uri(ok), Ok(()), "{ok}");
    }
    for (bad, why) in [
        ("example.com/x", "scheme"),
        ("/relative/path", "scheme"),
        ("1http://x", "scheme"),
        ("http:", "nothing after"),
        ("http://exa mple.com", "' '"),
        ("http://example.com/\"q\"", "'\"'"),
        ("http://example.com/%zz", "hex digits"),
        ("http://example.com/<x>", "'<'"),
        ("spiffe:///path", "host"),
    ] {
        let got = uri(bad).unwrap_err();
        assert!(got.contains(why), "{bad}: {got}");
    }
}

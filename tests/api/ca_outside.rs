//! CAs that come from outside (CONTRACT section 6): an intermediate requested here and signed by a
//! root that openssl makes in the test, and CAs imported with their key (plain and encrypted). Each
//! refusal says why and changes nothing; leaves of the new CA verify with openssl.

use std::path::Path;

use mtls_ca::service::CaRegistry;
use reqwest::StatusCode;

use crate::ca_rotation::get_text;
use crate::helpers::*;
use crate::pki::openssl;

pub const CA_EXT: &str = "basicConstraints=critical,CA:TRUE,pathlen:0\n\
    keyUsage=critical,digitalSignature,keyCertSign,cRLSign\n\
    subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid:always\n";

pub async fn run(args: &[&str], dir: &Path) {
    let (ok, text) = openssl(args, dir).await;
    assert!(ok, "openssl {args:?}: {text}");
}

/// A self-signed root `name` (`name.pem`, `name.key`, PKCS#8) with the given keyUsage.
pub async fn openssl_root(dir: &Path, name: &str, key_usage: &str) {
    let (key, pem) = (format!("{name}.key"), format!("{name}.pem"));
    run(
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &pem,
            "-days",
            "3650",
            "-subj",
            &format!("/O=Outside Org/CN={name}"),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            &format!("keyUsage=critical,{key_usage}"),
        ],
        dir,
    )
    .await;
}

/// Signs `csr` with root `root` into `out`, with the extensions in `ext`.
pub async fn sign(dir: &Path, root: &str, csr: &str, ext: &str, out: &str) {
    std::fs::write(dir.join("ext.cnf"), ext).expect("ext");
    run(
        &[
            "x509",
            "-req",
            "-in",
            csr,
            "-CA",
            &format!("{root}.pem"),
            "-CAkey",
            &format!("{root}.key"),
            "-CAcreateserial",
            "-days",
            "1825",
            "-extfile",
            "ext.cnf",
            "-out",
            out,
        ],
        dir,
    )
    .await;
}

/// An intermediate requested from `app` with `subject`, signed by a fresh openssl root `root` in
/// `dir` (`root.pem`, `int.pem`) and installed: it is the issuing CA now. Returns (its id, root PEM).
pub async fn install_intermediate(app: &TestApp, dir: &Path, subject: &str) -> (String, String) {
    openssl_root(dir, "root", "keyCertSign,cRLSign").await;
    let now = mtls_ca::clock::now;
    let pending = app
        .services
        .cas
        .request(&app.cli(), subject, None, now())
        .await
        .expect("request");
    std::fs::write(
        dir.join("int.csr"),
        pending.request_pem.as_deref().expect("csr"),
    )
    .expect("w");
    sign(dir, "root", "int.csr", CA_EXT, "int.pem").await;
    let (int, root) = (read(dir, "int.pem"), read(dir, "root.pem"));
    app.services
        .cas
        .install(&app.cli(), &pending.id, &int, Some(&root), now())
        .await
        .expect("install");
    (pending.id.clone(), root)
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).expect("read")
}

/// The registry as (id, role) pairs, to show that a refusal changed nothing.
fn snapshot(cas: &CaRegistry) -> Vec<(String, String)> {
    cas.all()
        .iter()
        .map(|c| (c.id.clone(), c.role.as_str().to_owned()))
        .collect()
}

fn refusal(e: mtls_ca::error::Error) -> String {
    match e {
        mtls_ca::error::Error::Invalid(inv) => inv.message,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Issues a leaf from the app's issuing CA into `leaf.pem`; returns its `certificate_authority.id`.
async fn issue_leaf(app: &TestApp, dir: &Path) -> String {
    let cert = app.issue(&csr_p256("leaf-of-intermediate"), 30).await;
    std::fs::write(
        dir.join("leaf.pem"),
        cert["certificate"].as_str().expect("pem"),
    )
    .expect("w");
    cert["certificate_authority"]["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

#[tokio::test]
async fn an_intermediate_requested_here_and_signed_by_an_outside_root_becomes_the_issuing_ca() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let cas = &app.services.cas;
        let cli = app.cli();
        let dir = tempfile::tempdir().expect("dir");
        let d = dir.path();
        openssl_root(d, "root", "keyCertSign,cRLSign").await;
        openssl_root(d, "other-root", "keyCertSign,cRLSign").await;

        let pending = cas
            .request(
                &cli,
                "/C=US/O=Example/CN=Example Issuing CA",
                None,
                mtls_ca::clock::now(),
            )
            .await
            .expect("request");
        assert_eq!(pending.role.as_str(), "pending");
        assert_eq!(pending.name, "Example Issuing CA");
        std::fs::write(
            d.join("int.csr"),
            pending.request_pem.as_deref().expect("csr"),
        )
        .expect("w");
        run(&["req", "-in", "int.csr", "-noout", "-verify"], d).await;
        sign(d, "root", "int.csr", CA_EXT, "int.pem").await;
        // A pending CA has no certificate to serve yet.
        assert_eq!(
            get_text(&app, &format!("/pki/{}/ca.pem", pending.id))
                .await
                .0,
            StatusCode::NOT_FOUND
        );

        let before = snapshot(cas);
        let issuing = app.ca_id();
        let leaf = app.issue(&csr_p256("a-leaf"), 7).await;
        let other_key_csr = {
            run(
                &[
                    "req",
                    "-new",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:P-256",
                    "-nodes",
                    "-keyout",
                    "x.key",
                    "-out",
                    "x.csr",
                    "-subj",
                    "/CN=Someone Else",
                ],
                d,
            )
            .await;
            sign(d, "root", "x.csr", CA_EXT, "x.pem").await;
            read(d, "x.pem")
        };
        sign(
            d,
            "root",
            "int.csr",
            "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,cRLSign\n",
            "nosign.pem",
        )
        .await;
        sign(
            d,
            "root",
            "int.csr",
            "basicConstraints=critical,CA:FALSE\n",
            "notca.pem",
        )
        .await;
        let root = read(d, "root.pem");
        let other_root = read(d, "other-root.pem");
        let int = read(d, "int.pem");
        for (what, cert, chain, want) in [
            (
                "a leaf",
                leaf["certificate"].as_str().expect("pem").to_owned(),
                Some(root.clone()),
                "not a CA certificate",
            ),
            (
                "CA:FALSE",
                read(d, "notca.pem"),
                Some(root.clone()),
                "not a CA certificate",
            ),
            (
                "no keyCertSign",
                read(d, "nosign.pem"),
                Some(root.clone()),
                "no keyCertSign",
            ),
            (
                "another key",
                other_key_csr,
                Some(root.clone()),
                "not for the key",
            ),
            ("no chain", int.clone(), None, "not self-signed"),
            (
                "another root",
                int.clone(),
                Some(other_root.clone()),
                "chain does not verify",
            ),
            ("not PEM", "hello".to_owned(), None, "CERTIFICATE"),
        ] {
            let err = cas
                .install(
                    &cli,
                    &pending.id,
                    &cert,
                    chain.as_deref(),
                    mtls_ca::clock::now(),
                )
                .await
                .expect_err(what);
            let msg = refusal(err);
            assert!(msg.contains(want), "{engine:?} {what}: {msg}");
            assert_eq!(snapshot(cas), before, "{what}: nothing changed");
            assert_eq!(app.ca_id(), issuing);
        }
        let err = cas
            .install(&cli, &issuing, &int, Some(&root), mtls_ca::clock::now())
            .await
            .expect_err("only a pending CA can be installed");
        assert!(refusal(err).contains("not pending"));

        let installed = cas
            .install(&cli, &pending.id, &int, Some(&root), mtls_ca::clock::now())
            .await
            .expect("install");
        assert_eq!(installed.role.as_str(), "issuing");
        assert_eq!(app.ca_id(), pending.id);
        assert_eq!(issue_leaf(&app, d).await, pending.id);

        // chain.pem is the intermediate then the root; openssl verifies the leaf through it, and the
        // intermediate's CRL applies.
        let (status, chain) = get_text(&app, &format!("/pki/{}/chain.pem", pending.id)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(chain.matches("BEGIN CERTIFICATE").count(), 2, "{chain}");
        assert!(
            chain.ends_with(&root) || chain.ends_with(root.trim_end()),
            "{chain}"
        );
        std::fs::write(d.join("chain.pem"), &chain).expect("w");
        run(
            &[
                "verify",
                "-CAfile",
                "root.pem",
                "-untrusted",
                "chain.pem",
                "leaf.pem",
            ],
            d,
        )
        .await;
        let crl = crate::ca_rotation::crl_der(&app, &pending.id).await;
        std::fs::write(d.join("int.crl.der"), crl).expect("w");
        run(
            &[
                "crl",
                "-inform",
                "DER",
                "-in",
                "int.crl.der",
                "-out",
                "int.crl.pem",
            ],
            d,
        )
        .await;
        run(
            &[
                "verify",
                "-crl_check",
                "-CAfile",
                "root.pem",
                "-untrusted",
                "chain.pem",
                "-CRLfile",
                "int.crl.pem",
                "leaf.pem",
            ],
            d,
        )
        .await;
        // The bundle carries the root above the intermediate, so a TLS server can build the path.
        let (_, bundle) = get_text(&app, "/pki/bundle.pem").await;
        assert!(bundle.contains(root.trim_end()), "{bundle}");
        app.stop().await;
    }
}

#[tokio::test]
async fn an_existing_ca_is_imported_with_a_plain_or_an_encrypted_key_and_bad_ones_are_refused() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let cas = &app.services.cas;
        let cli = app.cli();
        let dir = tempfile::tempdir().expect("dir");
        let d = dir.path();
        openssl_root(d, "plain", "keyCertSign,cRLSign,digitalSignature").await;
        openssl_root(d, "sealed", "keyCertSign,cRLSign,digitalSignature").await;
        openssl_root(d, "nosign", "cRLSign,digitalSignature").await;
        run(
            &[
                "pkcs8",
                "-topk8",
                "-in",
                "sealed.key",
                "-out",
                "sealed.enc.key",
                "-passout",
                "pass:s3cret",
            ],
            d,
        )
        .await;
        std::fs::write(d.join("pass.txt"), "s3cret\n").expect("w");
        // An expired CA, made with rcgen.
        let expired_key = rcgen::KeyPair::generate().expect("key");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Expired CA");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.not_before = rcgen::date_time_ymd(2001, 1, 1);
        params.not_after = rcgen::date_time_ymd(2002, 1, 1);
        let expired = params.self_signed(&expired_key).expect("expired CA");

        let before = snapshot(cas);
        let leaf = app.issue(&csr_p256("not-a-ca"), 7).await;
        let pass = || Some(secrecy::SecretString::from("s3cret"));
        let wrong = || Some(secrecy::SecretString::from("wrong"));
        for (what, cert, key, passphrase, want) in [
            (
                "a leaf",
                leaf["certificate"].as_str().expect("pem").to_owned(),
                read(d, "plain.key"),
                None,
                "not a CA certificate",
            ),
            (
                "the wrong key",
                read(d, "plain.pem"),
                read(d, "sealed.key"),
                None,
                "does not match",
            ),
            (
                "no keyCertSign",
                read(d, "nosign.pem"),
                read(d, "nosign.key"),
                None,
                "no keyCertSign",
            ),
            (
                "expired",
                expired.pem(),
                expired_key.serialize_pem(),
                None,
                "has expired",
            ),
            (
                "no passphrase",
                read(d, "sealed.pem"),
                read(d, "sealed.enc.key"),
                None,
                "encrypted",
            ),
            (
                "wrong passphrase",
                read(d, "sealed.pem"),
                read(d, "sealed.enc.key"),
                wrong(),
                "does not decrypt",
            ),
            (
                "a certificate as key",
                read(d, "plain.pem"),
                read(d, "plain.pem"),
                None,
                "PRIVATE KEY",
            ),
        ] {
            let err = cas
                .import(&cli, &cert, &key, None, passphrase, mtls_ca::clock::now())
                .await
                .expect_err(what);
            let msg = refusal(err);
            assert!(
                msg.to_lowercase().contains(&want.to_lowercase()),
                "{engine:?} {what}: {msg}"
            );
            assert_eq!(snapshot(cas), before, "{what}: nothing changed");
        }

        for (name, key, passphrase) in [
            ("plain", "plain.key", None),
            ("sealed", "sealed.enc.key", pass()),
        ] {
            let imported = cas
                .import(
                    &cli,
                    &read(d, &format!("{name}.pem")),
                    &read(d, key),
                    None,
                    passphrase,
                    mtls_ca::clock::now(),
                )
                .await
                .expect("import");
            assert_eq!(imported.name, name);
            assert_eq!(app.ca_id(), imported.id);
            // The import wrote its audit entry with the change (refusals above wrote none).
            let filter = mtls_ca::db::audit::AuditFilter {
                action_type: Some("import".into()),
                ..Default::default()
            };
            let (entries, _) = app
                .services
                .list_audit(
                    &cli,
                    mtls_ca::service::audit::AuditScope::Account,
                    filter,
                    mtls_ca::service::paging::Paging {
                        page: 1,
                        per_page: 100,
                    },
                )
                .await
                .expect("audit");
            assert_eq!(
                entries[0]["resource"]["id"],
                imported.id.as_str(),
                "{entries:?}"
            );
            assert_eq!(entries[0]["resource"]["type"], "certificate_authority");
            assert_eq!(issue_leaf(&app, d).await, imported.id);
            run(
                &["verify", "-CAfile", &format!("{name}.pem"), "leaf.pem"],
                d,
            )
            .await;
        }
        let err = cas
            .import(
                &cli,
                &read(d, "plain.pem"),
                &read(d, "plain.key"),
                None,
                None,
                mtls_ca::clock::now(),
            )
            .await
            .expect_err("twice");
        assert!(refusal(err).contains("already"));
        let mut roles: Vec<_> = snapshot(cas).into_iter().map(|(_, r)| r).collect();
        roles.sort();
        assert_eq!(roles, ["issuing", "retired", "retired"]);
        app.stop().await;
    }
}

#[tokio::test]
async fn an_imported_key_is_sealed_with_the_passphrase_of_the_service() {
    let db = TestDb::new(Engine::Sqlite).await;
    let mut s = settings(&db.url);
    s.key_passphrase = Some(secrecy::SecretString::from("service-pass"));
    let app = TestApp::start_on(db, s, Engine::Sqlite).await;
    let cli = app.cli();
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    openssl_root(d, "imported", "keyCertSign,cRLSign,digitalSignature").await;
    let imported = app
        .services
        .cas
        .import(
            &cli,
            &read(d, "imported.pem"),
            &read(d, "imported.key"),
            None,
            None,
            mtls_ca::clock::now(),
        )
        .await
        .expect("import");
    let mtls_ca::db::Db::Sqlite(pool) = &app.services.db else {
        unreachable!("a SQLite test")
    };
    let (der, encrypted): (Vec<u8>, bool) = sqlx::query_as(
        "SELECT private_key, key_encrypted FROM certificate_authorities WHERE id = $1",
    )
    .bind(&imported.id)
    .fetch_one(pool)
    .await
    .expect("row");
    assert!(encrypted);
    std::fs::write(d.join("stored.der"), der).expect("w");
    run(
        &[
            "pkcs8",
            "-inform",
            "DER",
            "-in",
            "stored.der",
            "-passin",
            "pass:service-pass",
            "-out",
            "opened.pem",
        ],
        d,
    )
    .await;
    let (_, a) = openssl(&["pkey", "-in", "opened.pem", "-pubout"], d).await;
    let (_, b) = openssl(&["x509", "-in", "imported.pem", "-noout", "-pubkey"], d).await;
    assert_eq!(
        a, b,
        "the stored key is the imported one, sealed with MTLS_CA_KEY_PASSPHRASE"
    );
    app.stop().await;
}

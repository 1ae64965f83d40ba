//! A real mutual-TLS handshake: a rustls server (webpki client verifier, ring provider) that trusts
//! the CA and loads the CRL the app serves refuses a client certificate once it is revoked and
//! accepts it again once it is reactivated.

use std::sync::Arc;

use reqwest::Method;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{
    CertificateDer, CertificateRevocationListDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName,
};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::{TlsAcceptor, TlsConnector};

use crate::helpers::*;
use crate::pki::pki;

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The TLS server's own identity: a certificate for `localhost` from a throwaway CA.
pub struct ServerIdentity {
    ca: CertificateDer<'static>,
    cert: CertificateDer<'static>,
    key: KeyBytes,
}

type KeyBytes = Vec<u8>;

pub fn server_identity() -> ServerIdentity {
    let ca_key = rcgen::KeyPair::generate().expect("key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "throwaway server CA");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign];
    let ca = ca_params.self_signed(&ca_key).expect("ca");
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().expect("key");
    let params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
    let cert = params.signed_by(&key, &issuer).expect("server cert");
    ServerIdentity {
        ca: ca.der().clone(),
        cert: cert.der().clone(),
        key: key.serialize_der(),
    }
}

/// One handshake plus a ping/pong; the server's verdict: `Ok` or its error.
pub async fn mtls_handshake(
    server: &ServerIdentity,
    trusted_cas: &[Vec<u8>],
    crls: Vec<Vec<u8>>,
    client_cert: CertificateDer<'static>,
    client_key: &rcgen::KeyPair,
) -> Result<(), String> {
    let mut client_roots = RootCertStore::empty();
    for ca in trusted_cas {
        client_roots
            .add(CertificateDer::from(ca.clone()))
            .expect("CA");
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(client_roots), provider())
        .with_crls(crls.into_iter().map(CertificateRevocationListDer::from))
        .build()
        .expect("verifier");
    let server_config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![server.cert.clone()],
            PrivateKeyDer::from(PrivatePkcs8KeyDer::from(server.key.clone())),
        )
        .expect("server config");
    let mut server_roots = RootCertStore::empty();
    server_roots.add(server.ca.clone()).expect("server CA");
    let client_config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(server_roots)
        .with_client_auth_cert(
            vec![client_cert],
            PrivateKeyDer::from(PrivatePkcs8KeyDer::from(client_key.serialize_der())),
        )
        .expect("client config");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let acceptor = TlsAcceptor::from(Arc::new(server_config));
    let server_side = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.map_err(|e| e.to_string())?;
        let mut tls = acceptor.accept(tcp).await.map_err(|e| e.to_string())?;
        let mut ping = [0u8; 4];
        tls.read_exact(&mut ping).await.map_err(|e| e.to_string())?;
        tls.write_all(b"pong").await.map_err(|e| e.to_string())?;
        tls.shutdown().await.map_err(|e| e.to_string())
    });
    let connector = TlsConnector::from(Arc::new(client_config));
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let name = ServerName::try_from("localhost").expect("name");
    // With TLS 1.3 the client finishes before the server has judged its certificate; the
    // server's verdict is what counts, the client only has to play its part.
    if let Ok(mut tls) = connector.connect(name, tcp).await {
        let _ = tls.write_all(b"ping").await;
        let mut pong = [0u8; 4];
        let _ = tls.read_exact(&mut pong).await;
    }
    server_side.await.expect("server task")
}

async fn current_crl(app: &TestApp) -> Vec<u8> {
    let res = app
        .client
        .get(format!("{}/crl", pki(app)))
        .send()
        .await
        .expect("crl");
    res.bytes().await.expect("body").to_vec()
}

#[tokio::test]
async fn a_rustls_server_with_the_crl_refuses_a_revoked_client_and_accepts_it_again() {
    let server = server_identity();
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let ca = app.ca_der();
        let key = rcgen::KeyPair::generate().expect("client key");
        let cert = app.issue(&csr_for_key(&key, "tls-client"), 7).await;
        let id = cert["id"].as_str().expect("id").to_owned();
        let pem = cert["certificate"].as_str().expect("pem").to_owned();
        let der = rustls_pemfile::certs(&mut pem.as_bytes())
            .next()
            .expect("one certificate")
            .expect("PEM");

        let verdict = mtls_handshake(
            &server,
            std::slice::from_ref(&ca),
            vec![current_crl(&app).await],
            der.clone(),
            &key,
        )
        .await;
        assert_eq!(
            verdict,
            Ok(()),
            "{engine:?}: an active certificate is accepted"
        );

        app.on_cert(Method::DELETE, &id).await;
        app.run_worker().await;
        let verdict = mtls_handshake(
            &server,
            std::slice::from_ref(&ca),
            vec![current_crl(&app).await],
            der.clone(),
            &key,
        )
        .await;
        let err = verdict.expect_err("a revoked certificate is refused");
        assert!(err.contains("Revoked"), "{err}");

        app.on_cert(Method::PATCH, &id).await;
        app.run_worker().await;
        let verdict = mtls_handshake(
            &server,
            std::slice::from_ref(&ca),
            vec![current_crl(&app).await],
            der,
            &key,
        )
        .await;
        assert_eq!(
            verdict,
            Ok(()),
            "a reactivated certificate is accepted again"
        );
        app.stop().await;
    }
}

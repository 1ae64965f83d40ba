//! Issuance, reading and listing.

use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn a_csr_is_issued_as_an_active_certificate_with_the_contract_fields() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let csr = csr_p256("svc-a");
        let cert = app.issue(&csr, 30).await;
        assert_eq!(cert["status"], "active");
        assert_eq!(cert["csr"], csr.as_str());
        assert_eq!(cert["common_name"], "svc-a");
        assert_eq!(cert["country"], "US");
        assert_eq!(cert["state"], "California");
        assert_eq!(cert["location"], "San Francisco");
        assert_eq!(cert["organization"], "Example Inc");
        assert_eq!(cert["organizational_unit"], "Platform");
        assert_eq!(cert["validity_days"], 30);
        assert_eq!(cert["signature"], "ECDSAWithSHA256");
        assert_eq!(cert["certificate_authority"]["id"], app.services.ca.id.as_str());
        let (status, got) = app.on_cert(reqwest::Method::GET, cert["id"].as_str().unwrap_or("")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(got["result"], cert);
        app.stop().await;
    }
}

//! The integration suite: the real app on 127.0.0.1:0 with a fresh database per test, driven over HTTP.
//! Runs on SQLite always and on Postgres too when `TEST_DATABASE_URL` is set.

mod helpers;

mod admin;
mod admin_matrix;
mod auth;
mod backup;
mod ca_outside;
mod ca_rotation;
mod cert_auth;
mod certificates;
mod cli;
mod cli_ca;
mod compose;
mod console;
mod console_audit;
mod console_browser;
mod console_figures;
mod console_helpers;
mod crl_freshness;
mod crl_sync;
mod crl_tls;
mod custody;
mod errors;
mod go_sdk_wire;
mod https;
mod lifecycle;
mod listing;
mod names;
mod nginx;
mod outage;
mod pki;
mod pki_lint;
mod pki_ocsp;
mod pki_tls;
mod process;
mod replicas;
mod sdk;
mod signer_link;
mod signers;
mod skips;
mod terraform_wire;
mod x509;
mod zone_deletion;

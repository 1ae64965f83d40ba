//! mtls-ca: a self-hosted certificate authority for mutual-TLS client certificates, with an HTTP
//! API compatible with Cloudflare's API Shield client-certificate API.
//!
//! Data flows one way: `http` -> `service` -> (`db`, `signer`); `worker` and `cli` -> `service`.
//! `signer` is the only code that holds the CA private key; `x509` parses what it signs and serves,
//! holding no key.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
pub mod keyserver;
pub mod metrics;
pub mod model;
pub mod service;
pub mod signer;
pub mod tls;
pub mod worker;
pub mod x509;

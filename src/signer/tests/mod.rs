//! Signer tests that need real CAs, CSRs and an independent verifier (openssl on the PATH).

mod ca;
mod csr;
mod fixtures;
mod issue;
mod key_at_rest;
mod leaf;
mod load;
mod revocation;
mod splice;

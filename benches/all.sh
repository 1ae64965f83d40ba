#!/usr/bin/env bash
# Every figure the closing notes quote, in one run (so ratios compare like with like):
# issuance on SQLite and Postgres, batched and one commit per request, then CRL and OCSP, then
# CA rotation and two-CA CRL rebuilds.
# Postgres runs when BENCH_DATABASE_URL names a database whose role may create databases.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "### issuance, SQLite, batched commits (default)"
cargo bench -q --bench issuance -- --requests 4000 --runs 3
if [ -n "${BENCH_DATABASE_URL:-}" ]; then
  echo "### issuance, Postgres, batched commits (default)"
  cargo bench -q --bench issuance -- --requests 4000 --runs 3 --database-url "$BENCH_DATABASE_URL"
fi
echo "### issuance, SQLite, one commit per request"
cargo bench -q --bench issuance -- --requests 4000 --runs 3 --batch-size 1
if [ -n "${BENCH_DATABASE_URL:-}" ]; then
  echo "### issuance, Postgres, one commit per request"
  cargo bench -q --bench issuance -- --requests 4000 --runs 3 --batch-size 1 --database-url "$BENCH_DATABASE_URL"
fi
echo "### revocation: CRL rebuild and OCSP"
cargo bench -q --bench pki
echo "### CA hierarchy: rotation with 100,000 certificates stored, two CRLs of 50,000 entries"
cargo bench -q --bench rotation
if [ -n "${BENCH_DATABASE_URL:-}" ]; then
  cargo bench -q --bench rotation -- --database-url "$BENCH_DATABASE_URL"
fi
echo "### key custody: local, SoftHSM2 (pkcs11) and a remote signer on a unix socket, alternating"
cargo bench -q --bench issuance -- --requests 4000 --runs 3 --signers local,pkcs11,remote
echo "### transport: authenticated GETs over plain HTTP and over HTTPS (self-issued), alternating"
cargo bench -q --bench transport -- --runs 3

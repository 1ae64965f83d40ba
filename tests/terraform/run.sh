#!/usr/bin/env bash
# Terraform against a live mtls-ca: OpenTofu, built from the Go module proxy, with Cloudflare's
# provider v5 (a dev_overrides CLI configuration: no provider registry) applies main.tf (a zone, a
# client certificate, an API token) to a fresh server on a temporary SQLite database, then checks:
# the plan after apply is empty and nothing drifts; a new validity_days replaces the certificate and
# revokes the old one; a new token name updates the token in place; destroy revokes the certificate
# (OCSP says so) and deletes the token and the zone. Prints how long each phase took.
#
#   tests/terraform/run.sh            build what is missing into the cache, then run
#   tests/terraform/run.sh --build    only build
#
# TEST_TF_CACHE     the cache (default ~/.cache/mtls-ca-terraform): Go's module and build
#                   caches and the binaries; a second run builds nothing
# TEST_TF_PROVIDER  a terraform-provider-cloudflare binary to use. The Go module proxy serves
#                   no v5 of the provider (its go.mod has no /v5 suffix), so without it the
#                   script tries the proxy, says why that failed, and exits 3
# TEST_TF_BIN       a terraform or tofu binary to use instead of building OpenTofu
# TEST_MTLS_CA_BIN  the mtls-ca binary (default: `cargo build`, target/debug/mtls-ca)
# TEST_TF_KEEP      set: keep the work folder (state, logs, the server's log) and say where
set -euo pipefail
shopt -s inherit_errexit 2>/dev/null || true
cd "$(dirname "$0")/../.."
repo=$PWD

tofu_version=v1.12.6
provider_version=v5.22.0
cache=${TEST_TF_CACHE:-$HOME/.cache/mtls-ca-terraform}
export GOMODCACHE=$cache/go/mod GOCACHE=$cache/go/build GOTOOLCHAIN=local CGO_ENABLED=0
export GOFLAGS="-mod=mod -buildvcs=false"

started=$SECONDS
phase_started=$SECONDS
phase() {
  echo "== $*"
  phase_started=$SECONDS
}
took() { echo "(took $((SECONDS - phase_started))s)"; }
passed=0
check() { # check DESCRIPTION COMMAND...
  local what=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
    echo "ok: $what"
  else
    echo "FAILED: $what" >&2
    if [ -n "${work:-}" ] && [ -f "$work/tf.log" ]; then
      echo "-- the last tofu command said:" >&2
      cat "$work/tf.log" >&2
    fi
    echo "terraform: $passed passed, 1 failed"
    exit 1
  fi
}

# OpenTofu's go.mod has a replace directive, so `go install tofu@version` is refused: build it as a
# dependency of a small module that requires it and copies that directive.
build_tofu() {
  local src=$cache/src/opentofu-$tofu_version bin=$cache/bin/tofu-$tofu_version
  if [ -x "$bin" ]; then
    echo "cached: $bin"
    tfbin=$bin
    return
  fi
  mkdir -p "$src" "$cache/bin"
  local gomod
  gomod=$(go mod download -json "github.com/opentofu/opentofu@$tofu_version" | jq -r .GoMod)
  {
    echo "module mtls-ca-terraform/opentofu"
    grep '^go ' "$gomod"
    echo "require github.com/opentofu/opentofu $tofu_version"
    grep '^replace ' "$gomod" || true
  } >"$src/go.mod"
  (cd "$src" && go build -trimpath -ldflags "-s -w -X github.com/opentofu/opentofu/version.dev=no" \
    -o "$bin.partial" github.com/opentofu/opentofu/cmd/tofu)
  mv "$bin.partial" "$bin"
  tfbin=$bin
}

find_provider() {
  if [ -n "${TEST_TF_PROVIDER:-}" ]; then
    provider=$TEST_TF_PROVIDER
    [ -x "$provider" ] || {
      echo "TEST_TF_PROVIDER=$provider is not an executable file" >&2
      exit 2
    }
    return
  fi
  local bin=$cache/bin/cloudflare-$provider_version/terraform-provider-cloudflare
  if [ -x "$bin" ]; then
    provider=$bin
    return
  fi
  if GOBIN=$(dirname "$bin") go install "github.com/cloudflare/terraform-provider-cloudflare@$provider_version"; then
    provider=$bin
    return
  fi
  echo "not run: the Go module proxy does not serve terraform-provider-cloudflare $provider_version (the" \
    "module's go.mod says github.com/cloudflare/terraform-provider-cloudflare, without the /v5 that Go" \
    "requires of a v5 version); set TEST_TF_PROVIDER to a terraform-provider-cloudflare binary" >&2
  exit 3
}

phase "OpenTofu $tofu_version (built into $cache; TEST_TF_BIN overrides)"
command -v jq >/dev/null || {
  echo "jq is needed (apt-get install jq)" >&2
  exit 2
}
if [ -n "${TEST_TF_BIN:-}" ]; then
  tfbin=$TEST_TF_BIN
else
  build_tofu
fi
TF_CLI_CONFIG_FILE=/dev/null "$tfbin" version
took
phase "Cloudflare provider $provider_version"
find_provider
echo "$provider"
took
[ "${1:-}" = --build ] && exit 0

phase "mtls-ca"
if [ -n "${TEST_MTLS_CA_BIN:-}" ]; then
  ca=$TEST_MTLS_CA_BIN
else
  cargo build -q --bin mtls-ca
  ca=$repo/target/debug/mtls-ca
fi
work=$(mktemp -d)
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  if [ -n "${TEST_TF_KEEP:-}" ]; then
    echo "kept $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
export MTLS_CA_DATABASE_URL=sqlite://$work/mtls-ca.db MTLS_CA_LISTEN=127.0.0.1:$port MTLS_CA_WORKER_INTERVAL=1
"$ca" init >/dev/null
key=$("$ca" user create --email terraform@example.com | tail -1)
"$ca" serve 2>"$work/serve.log" &
server=$!
for _ in $(seq 1 100); do
  curl -sf "$base/readyz" >/dev/null && break
  sleep 0.1
done
admin=(-H "X-Auth-Email: terraform@example.com" -H "X-Auth-Key: $key")
api() { curl -s "${admin[@]}" "$base/client/v4$1"; }
account=$(api /accounts | jq -r '.result[0].id')
echo "serving on $base, account $account"
took

# The provider comes from the folder dev_overrides names, never from a registry; no init needed.
mkdir -p "$work/plugins" "$work/tf"
cp "$provider" "$work/plugins/terraform-provider-cloudflare"
cat >"$work/cli.tfrc" <<EOF
provider_installation {
  dev_overrides {
    "cloudflare/cloudflare" = "$work/plugins"
  }
  direct {}
}
EOF
cp tests/terraform/main.tf "$work/tf/"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/tf/billing.key" \
  -out "$work/tf/billing.csr" -subj "/C=US/O=Example/CN=billing-service" 2>/dev/null
export TF_CLI_CONFIG_FILE=$work/cli.tfrc TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1 TF_INPUT=0
export CLOUDFLARE_EMAIL=terraform@example.com CLOUDFLARE_API_KEY=$key
export TF_VAR_base_url=$base/client/v4 TF_VAR_account_id=$account TF_VAR_csr_file=billing.csr
# Runs tofu in the work folder; its whole output goes to tf.log (a failed check prints it), and the
# lines that say what it did are shown. The exit code is tofu's.
tf() {
  local code=0
  (cd "$work/tf" && "$tfbin" "$@" -no-color -compact-warnings) >"$work/tf.log" 2>&1 || code=$?
  grep -E '^(Plan:|Apply complete|Destroy complete|No changes|Error)|must be replaced|: (Creating|Destroying|Creation complete|Destruction complete|Modifying|Modifications complete)' \
    "$work/tf.log" || true
  return "$code"
}
out() { (cd "$work/tf" && "$tfbin" output -raw "$1"); }
pem() { # pem ZONE ID: the certificate, PEM
  api "/zones/$1/client_certificates/$2" | jq -r '.result.certificate'
}
cert_status() { # cert_status ZONE ID: the status GET reads with the admin key
  api "/zones/$1/client_certificates/$2" | jq -r '.result.status'
}
ocsp() { # ocsp PEM_FILE: good, revoked or unknown, as the responder says
  openssl ocsp -issuer "$work/ca.pem" -cert "$1" -url "$base/pki/$ca_id/ocsp" -CAfile "$work/ca.pem" \
    -no_nonce 2>/dev/null | sed -n "s|^$1: ||p"
}
within_15s() { # within_15s COMMAND...: true once COMMAND is (the worker publishes every second)
  for _ in $(seq 1 150); do
    "$@" && return 0
    sleep 0.1
  done
  return 1
}
ocsp_revoked() { [ "$(ocsp "$1")" = revoked ]; }
reads_revoked() { [ "$(cert_status "$1" "$2")" = revoked ]; }

phase "apply: zone, certificate (validity_days 30), token"
check "apply succeeds" tf apply -auto-approve -var validity_days=30
zone=$(out zone_id)
first=$(out certificate_id)
ca_id=$(out ca_id)
pem "$zone" "$first" >"$work/first.pem"
out certificate_pem >"$work/state.pem"
curl -s "$base/pki/$ca_id/ca.pem" >"$work/ca.pem"
check "the zone exists" test "$(api "/zones/$zone" | jq -r .result.name)" = example.com
check "the certificate is active, 30 days" \
  test "$(api "/zones/$zone/client_certificates/$first" | jq -r '"\(.result.status) \(.result.validity_days)"')" = "active 30"
check "the state holds the certificate the API serves" test "$(cat "$work/first.pem")" = "$(cat "$work/state.pem")"
check "OCSP says good" test "$(ocsp "$work/first.pem")" = good
check "the token holds the group the lookup by name found" \
  test "$(api "/user/tokens/$(out token_id)" | jq -r '.result.policies[0].permission_groups[0].name')" = "SSL and Certificates Read"
took

phase "plan: no changes"
code=0
tf plan -detailed-exitcode -var validity_days=30 || code=$?
check "plan -detailed-exitcode is 0" test "$code" = 0
# Drift in computed attributes does not make a plan; a refresh-only plan lists it. (Terraform 1.11
# exits 2 from a refresh-only plan that lists nothing, so the plan's JSON is read instead.)
check "a refresh-only plan succeeds" tf plan -refresh-only -var validity_days=30 -out=refresh.plan
drift=$(cd "$work/tf" && "$tfbin" show -json refresh.plan | jq '.resource_drift // [] | length')
check "a refresh-only plan finds no drift: every attribute reads back as stored" test "$drift" = 0
# Using the token changes only its last_used_on, which a plan does not count as a change.
read_as_token=$(curl -s -H "Authorization: Bearer $(out token_value)" "$base/client/v4/zones/$zone/client_certificates/$first" | jq -r .result.id)
check "the token made by Terraform reads the certificate" test "$read_as_token" = "$first"
code=0
tf plan -detailed-exitcode -var validity_days=30 || code=$?
check "plan -detailed-exitcode is still 0" test "$code" = 0
took

phase "validity_days 30 -> 60: the certificate is replaced"
code=0
tf plan -detailed-exitcode -var validity_days=60 || code=$?
check "plan -detailed-exitcode is 2" test "$code" = 2
check "the plan replaces the certificate and nothing else" \
  grep -q -e '^Plan: 1 to add, 0 to change, 1 to destroy' -e 'cloudflare_client_certificate.billing must be replaced' "$work/tf.log"
check "apply succeeds" tf apply -auto-approve -var validity_days=60
second=$(out certificate_id)
pem "$zone" "$second" >"$work/second.pem"
check "a new certificate id" test "$second" != "$first"
check "the new certificate is active, 60 days" \
  test "$(api "/zones/$zone/client_certificates/$second" | jq -r '"\(.result.status) \(.result.validity_days)"')" = "active 60"
status=$(cert_status "$zone" "$first")
check "the old certificate is revoked or pending revocation ($status)" \
  test "$status" = revoked -o "$status" = pending_revocation
check "OCSP says the old certificate is revoked" within_15s ocsp_revoked "$work/first.pem"
check "GET reads the old certificate revoked" within_15s reads_revoked "$zone" "$first"
code=0
tf plan -detailed-exitcode -var validity_days=60 || code=$?
check "then the plan is empty again" test "$code" = 0
took

phase "a new token name: the token is updated in place"
token=$(out token_id)
check "apply succeeds" tf apply -auto-approve -var validity_days=60 -var token_name=certificate-monitoring-2
check "the token keeps its id" test "$(out token_id)" = "$token"
check "the server has the new name" test "$(api "/user/tokens/$token" | jq -r .result.name)" = certificate-monitoring-2
code=0
tf plan -detailed-exitcode -var validity_days=60 -var token_name=certificate-monitoring-2 || code=$?
check "then the plan is empty again" test "$code" = 0
took

phase "destroy: the certificate is revoked, the token and the zone are deleted"
check "destroy succeeds" tf destroy -auto-approve -var validity_days=60 -var token_name=certificate-monitoring-2
check "OCSP says the certificate is revoked" within_15s ocsp_revoked "$work/second.pem"
check "the token is gone" test "$(api "/user/tokens/$token" | jq -r '.errors[0].code')" = 7003
check "the zone is gone" test "$(api "/zones/$zone" | jq -r '.errors[0].code')" = 7003
check "no zone is listed" test "$(api /zones | jq '.result | length')" = 0
took

if grep -E ' (ERROR|WARN) ' "$work/serve.log"; then
  echo "(the server logged the lines above)"
fi
echo "terraform: $passed passed, 0 failed"
echo "total: $((SECONDS - started))s"

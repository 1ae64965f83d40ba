#!/usr/bin/env bash
# Profile of the release `mtls-ca serve` issuing certificates under wrk (P-256 CA, SQLite file DB,
# the same single P-256 CSR as benches/vs_cfssl/, 64 connections), in one of two ways:
#
#   benches/profile.sh callgrind [SECONDS]    valgrind --tool=callgrind for SECONDS of load (default
#                                             30, about 1,000 issuances) after 5 s of warm-up:
#                                             instruction counts, stable on a noisy machine; user
#                                             space only
#   benches/profile.sh perf [SECONDS]         perf record -e cpu-clock -g for SECONDS (default 10)
#                                             at full speed: where the time goes, kernel included
#
# Output (callgrind.out, perf.data, the annotated reports) lands in target/profile/; the report
# divides by the certificates stored during the measured window, so it is per issued certificate.
# Needs valgrind or linux-perf, wrk, openssl, sqlite3; builds with `cargo build --release`
# unless SERVE_BIN names a binary.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-callgrind}
out=$PWD/target/profile
mkdir -p "$out"
bin=${SERVE_BIN:-}
if [ -z "$bin" ]; then
  cargo build --release -q
  bin=$PWD/target/release/mtls-ca
fi
dir=$(mktemp -d)
trap 'kill "${server:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"' EXIT
export MTLS_CA_DATABASE_URL="sqlite://$dir/ca.db"
"$bin" init >/dev/null
zone=$("$bin" zone create bench.example | tail -1)
token=$("$bin" token create --name bench --permission write | tail -1)
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
  -subj /CN=svc.bench.internal -addext subjectAltName=DNS:svc.bench.internal -out "$dir/csr.pem" 2>/dev/null
body=$(CSR="$dir/csr.pem" python3 -c 'import json,os; print(json.dumps({"csr": open(os.environ["CSR"]).read(), "validity_days": 365}))')
# Any non-200 is printed.
cat >"$dir/post.lua" <<EOF
wrk.method = "POST"
wrk.body = [==[$body]==]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
response = function(status)
  if status ~= 200 then io.write("status " .. status .. "\n") end
end
EOF
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port/client/v4/zones/$zone/client_certificates"
rows() { sqlite3 "$dir/ca.db" 'SELECT COUNT(*) FROM client_certificates'; }
wait_up() { for _ in $(seq 600); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && return; sleep 0.2; done; exit 1; }
# Voluntary and involuntary context switches of every thread of the server so far.
switches() { cat /proc/$server/task/*/status | awk '/ctxt_switches/ {n += $2} END {print n}'; }
load() { wrk -t2 -c64 -d"$1" --timeout=30s -s "$dir/post.lua" "$url"; }

case $mode in
callgrind)
  seconds=${2:-30}
  rm -f "$out"/callgrind.out*
  MTLS_CA_LISTEN=127.0.0.1:$port valgrind --tool=callgrind --instr-atstart=no \
    --callgrind-out-file="$out/callgrind.out" "$bin" serve 2>"$dir/serve.log" &
  server=$!
  wait_up
  callgrind_control -i on "$server" >/dev/null
  load 5s >/dev/null
  sleep 2
  callgrind_control -z "$server" >/dev/null
  before=$(rows)
  load "${seconds}s" | grep -E "requests in|status|Non-2xx|Socket" || true
  sleep 3
  callgrind_control -d "$server" >/dev/null
  issued=$(($(rows) - before))
  kill -INT "$server"; wait "$server" 2>/dev/null || true
  # callgrind_control -d wrote the window into callgrind.out.1; callgrind.out is what ran after it.
  last=$out/callgrind.out.1
  total=$(callgrind_annotate "$last" | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
  echo "certificates issued while collecting: $issued; instructions: $total; per certificate: $((total / issued))"
  callgrind_annotate --inclusive=yes --threshold=99 "$last" >"$out/callgrind-inclusive.txt"
  callgrind_annotate --threshold=95 "$last" >"$out/callgrind-self.txt"
  echo "reports: $out/callgrind-inclusive.txt, $out/callgrind-self.txt"
  ;;
perf)
  seconds=${2:-10}
  MTLS_CA_LISTEN=127.0.0.1:$port "$bin" serve 2>"$dir/serve.log" &
  server=$!
  wait_up
  load 2s >/dev/null
  before=$(rows)
  switches_before=$(switches)
  perf record -q -e cpu-clock -F 999 -g -p "$server" -o "$out/perf.data" -- sleep "$seconds" &
  recorder=$!
  load "${seconds}s" | grep -E "Requests/sec|Non-2xx" || true
  wait "$recorder" || true
  issued=$(($(rows) - before))
  echo "certificates issued while recording: $issued"
  echo "threads: $(ls /proc/$server/task | wc -l); context switches per certificate: $((($(switches) - switches_before) / issued))"
  perf report -i "$out/perf.data" --no-children --sort dso --stdio -g none 2>/dev/null >"$out/perf-dso.txt" || true
  perf report -i "$out/perf.data" --no-children --sort sym --stdio -g none 2>/dev/null >"$out/perf-sym.txt" || true
  echo "reports: $out/perf-dso.txt, $out/perf-sym.txt"
  ;;
*)
  echo "usage: $0 callgrind [REQUESTS] | perf [SECONDS]" >&2
  exit 2
  ;;
esac

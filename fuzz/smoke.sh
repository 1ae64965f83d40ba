#!/usr/bin/env bash
# The fuzz smoke run of CI: builds every fuzz target, then runs each for a fixed time on its
# committed corpus (fuzz/corpus/<target>/, only read: new finds go to a scratch directory). Fails
# on the first crash, panic or timeout, whose input libFuzzer leaves in fuzz/artifacts/<target>/.
# Prints each target's execs and exec/s.
#
#   fuzz/smoke.sh            20 s per target
#   FUZZ_SECONDS=600 fuzz/smoke.sh csr_signed
#   FUZZ_TARGET_DIR=DIR      build into DIR (scripts/test-all keeps one across runs)
#
# Works on stable Rust: `-s none` builds without AddressSanitizer (the code under test forbids
# `unsafe`; the targets look for panics and 5xx answers). RUSTC_BOOTSTRAP=1 lets a stable rustc
# take the -Z flags cargo-fuzz passes for a sanitizer; it is part of cargo's fingerprint, so set
# it for every `cargo fuzz` command alike or everything rebuilds.
set -euo pipefail
cd "$(dirname "$0")"
export RUSTC_BOOTSTRAP=1
seconds=${FUZZ_SECONDS:-20}
# cargo-fuzz's default of one codegen unit: 16 took more CPU in all (13.3 min against 10.7 min for
# a cold build) on a 2-core machine, where the crates build side by side anyway.
flags=(-s none)
if [ -n "${FUZZ_TARGET_DIR:-}" ]; then
  flags+=(--target-dir "$FUZZ_TARGET_DIR")
fi
started=$SECONDS
if [ $# -gt 0 ]; then
  targets=("$@")
  for t in "${targets[@]}"; do cargo fuzz build "${flags[@]}" "$t"; done
else
  targets=(csr csr_signed ocsp_request create_body list_query)
  cargo fuzz build "${flags[@]}"
fi
echo "fuzz build: $((SECONDS - started))s"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failed=()
for t in "${targets[@]}"; do
  mkdir -p "$scratch/$t" "corpus/$t"
  log="$scratch/$t.log"
  status=0
  cargo fuzz run "${flags[@]}" "$t" "$scratch/$t" "corpus/$t" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 >"$log" 2>&1 || status=$?
  execs=$(awk '/stat::number_of_executed_units:/ { print $2 }' "$log")
  rate=$(awk '/stat::average_exec_per_sec:/ { print $2 }' "$log")
  echo "fuzz $t: ${execs:-?} execs, ${rate:-?} exec/s in ${seconds}s"
  if [ "$status" -ne 0 ]; then
    tail -40 "$log"
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz smoke failed: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
  exit 1
fi
echo "fuzz smoke: $((SECONDS - started))s"

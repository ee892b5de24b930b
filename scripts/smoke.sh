#!/usr/bin/env bash
# End-to-end smoke test with the real AWS CLI: builds ferry, starts a server on
# a free loopback port, and runs every scripts/smoke_*.sh against it.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --quiet --locked -p ferry
target_dir=$(cargo metadata --format-version 1 --no-deps --locked |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
ferry="$target_dir/debug/ferry"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
data=$(mktemp -d)
"$ferry" serve --listen "127.0.0.1:$port" --data-dir "$data" --test-clock >"$data/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$data"' EXIT
up=0
for _ in $(seq 1 300); do
  if python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),0.2)" 2>/dev/null; then up=1; break; fi
  sleep 0.1
done
if [[ $up -ne 1 ]]; then
  echo "ferry did not start; its log:"
  cat "$data/server.log"
  exit 1
fi

export FERRY_BIN="$ferry"
export FERRY_ENDPOINT="http://127.0.0.1:$port"
export AWS_ACCESS_KEY_ID=ferry AWS_SECRET_ACCESS_KEY=ferry AWS_DEFAULT_REGION=us-east-1
export AWS_PAGER=""

passed=0
failed=0
for s in scripts/smoke_*.sh; do
  [[ -e $s ]] || continue
  echo "== $s"
  if bash "$s"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $s"; fi
done
echo "smoke scripts: $passed ok, $failed failed"
[[ $failed -eq 0 ]]

#!/usr/bin/env bash
# Smoke test of on-demand backups with the real AWS CLI: create-backup while
# the table has items, describe-backup polling until AVAILABLE, list-backups,
# restore-table-from-backup (with a billing override), the restored items,
# delete-backup and the BackupNotFoundException that follows.
#
# Uses $FERRY_ENDPOINT when set (scripts/smoke.sh sets it), else builds and
# starts `target/debug/ferry serve --in-memory --test-clock` on a free port.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z ${FERRY_ENDPOINT:-} ]]; then
  cargo build --quiet -p ferry
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  log=$(mktemp)
  "${FERRY_BIN:-./target/debug/ferry}" serve --in-memory --test-clock --listen "127.0.0.1:$port" >"$log" 2>&1 &
  pid=$!
  trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f "$log"' EXIT
  for _ in $(seq 1 100); do
    if python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),0.2)" 2>/dev/null; then break; fi
    sleep 0.1
  done
  export FERRY_ENDPOINT="http://127.0.0.1:$port"
  export AWS_ACCESS_KEY_ID=ferry AWS_SECRET_ACCESS_KEY=ferry AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=""
fi

aws() { command aws --endpoint-url "$FERRY_ENDPOINT" --output json "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
# json EXPR: evaluate a Python expression over the JSON document on stdin (`d`).
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

aws dynamodb create-table --table-name bk_music \
  --attribute-definitions AttributeName=Artist,AttributeType=S \
  --key-schema AttributeName=Artist,KeyType=HASH \
  --billing-mode PAY_PER_REQUEST >/dev/null
for a in Acme Beta Gamma; do
  aws dynamodb put-item --table-name bk_music --item "{\"Artist\":{\"S\":\"$a\"}}" >/dev/null
done

arn=$(aws dynamodb create-backup --table-name bk_music --backup-name bk_music_1 |
  json 'd["BackupDetails"]["BackupArn"]')
[[ $arn =~ ^arn:aws:dynamodb:us-east-1:[0-9]{12}:table/bk_music/backup/[0-9]{17}-[0-9a-f]{8}$ ]] ||
  fail "backup ARN shape: $arn"
status=""
for _ in $(seq 1 300); do
  status=$(aws dynamodb describe-backup --backup-arn "$arn" |
    json 'd["BackupDescription"]["BackupDetails"]["BackupStatus"]')
  [[ $status == AVAILABLE ]] && break
  sleep 0.1
done
[[ $status == AVAILABLE ]] || fail "backup stayed $status"
count=$(aws dynamodb describe-backup --backup-arn "$arn" |
  json 'd["BackupDescription"]["SourceTableDetails"]["ItemCount"]')
[[ $count == 3 ]] || fail "backup item count $count"
listed=$(aws dynamodb list-backups --table-name bk_music | json 'len(d["BackupSummaries"])')
[[ $listed == 1 ]] || fail "list-backups listed $listed"

aws dynamodb restore-table-from-backup --target-table-name bk_music_restored \
  --backup-arn "$arn" --billing-mode-override PROVISIONED \
  --provisioned-throughput-override ReadCapacityUnits=5,WriteCapacityUnits=5 >/dev/null
status=""
for _ in $(seq 1 300); do
  status=$(aws dynamodb describe-table --table-name bk_music_restored | json 'd["Table"]["TableStatus"]')
  [[ $status == ACTIVE ]] && break
  sleep 0.1
done
[[ $status == ACTIVE ]] || fail "restored table stayed $status"
items=$(aws dynamodb scan --table-name bk_music_restored | json 'd["Count"]')
[[ $items == 3 ]] || fail "restored table has $items items"

deleted=$(aws dynamodb delete-backup --backup-arn "$arn" |
  json 'd["BackupDescription"]["BackupDetails"]["BackupStatus"]')
[[ $deleted == DELETED ]] || fail "delete-backup answered $deleted"
if err=$(aws dynamodb describe-backup --backup-arn "$arn" 2>&1); then
  fail "describe-backup of a deleted backup succeeded"
fi
[[ $err == *BackupNotFoundException* ]] || fail "unexpected error: $err"
echo "backups smoke: ok"

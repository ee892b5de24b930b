#!/usr/bin/env bash
# Smoke test of point-in-time recovery and exports with the real AWS CLI, as
# AWS's guide runs them: update-continuous-backups, export-table-to-point-in-time
# (DynamoDB JSON and Ion), describe-export polling, list-exports, `aws s3 ls`
# of the output and a check of the manifests; an incremental export when the
# server's test clock can be moved; restore-table-to-point-in-time.
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

suffix=$RANDOM$RANDOM
bucket="ddb-export-musiccollection-$suffix"
table="MusicCollection$suffix"

aws s3 mb "s3://$bucket" >/dev/null
aws dynamodb create-table --table-name "$table" \
  --attribute-definitions AttributeName=Artist,AttributeType=S AttributeName=SongTitle,AttributeType=S \
  --key-schema AttributeName=Artist,KeyType=HASH AttributeName=SongTitle,KeyType=RANGE \
  --billing-mode PAY_PER_REQUEST | json 'd["TableDescription"]["TableStatus"]' | grep -qx ACTIVE ||
  fail "create-table did not answer ACTIVE"
table_arn=$(aws dynamodb describe-table --table-name "$table" | json 'd["Table"]["TableArn"]')
for i in 1 2 3; do
  aws dynamodb put-item --table-name "$table" \
    --item "{\"Artist\":{\"S\":\"Artist $i\"},\"SongTitle\":{\"S\":\"Song $i\"},\"Year\":{\"N\":\"199$i\"},\"Tags\":{\"SS\":[\"a\",\"b\"]}}"
done
[[ $(aws dynamodb scan --table-name "$table" --select COUNT | json 'd["Count"]') == 3 ]] || fail "3 items not written"

# Exports need PITR: the exact error first, then enable it.
if out=$(aws dynamodb export-table-to-point-in-time --table-arn "$table_arn" --s3-bucket "$bucket" 2>&1); then
  fail "export without PITR was accepted: $out"
fi
grep -q "PointInTimeRecoveryUnavailableException" <<<"$out" || fail "unexpected error: $out"
grep -q "Point in time recovery is not enabled for table '$table'" <<<"$out" || fail "unexpected message: $out"

aws dynamodb update-continuous-backups --table-name "$table" \
  --point-in-time-recovery-specification PointInTimeRecoveryEnabled=True |
  json 'd["ContinuousBackupsDescription"]["ContinuousBackupsStatus"]' | grep -qx ENABLED ||
  fail "update-continuous-backups did not answer ENABLED"
status=$(aws dynamodb describe-continuous-backups --table-name "$table" |
  json 'd["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"]')
[[ $status == ENABLED ]] || fail "PITR status $status"

wait_export() {
  local arn=$1 status=IN_PROGRESS
  for _ in $(seq 1 300); do
    status=$(aws dynamodb describe-export --export-arn "$arn" | json 'd["ExportDescription"]["ExportStatus"]')
    [[ $status != IN_PROGRESS ]] && break
    sleep 0.2
  done
  [[ $status == COMPLETED ]] || fail "export $arn ended $status: $(aws dynamodb describe-export --export-arn "$arn")"
  # The README's waiter agrees (it returns at once for a COMPLETED export).
  aws dynamodb wait export-completed --export-arn "$arn" || fail "wait export-completed failed for $arn"
}

# check_export ARN EXT: the objects listed by `aws s3 ls`, the manifests and their checksums.
check_export() {
  local arn=$1 ext=$2
  local desc manifest dir
  desc=$(aws dynamodb describe-export --export-arn "$arn")
  manifest=$(json 'd["ExportDescription"]["ExportManifest"]' <<<"$desc")
  dir=${manifest%/manifest-summary.json}
  local listing
  listing=$(aws s3 ls --recursive "s3://$bucket/$dir/")
  echo "$listing"
  for f in _started manifest-files.json manifest-files.md5 manifest-summary.json manifest-summary.md5; do
    grep -q "$dir/$f\$" <<<"$listing" || fail "missing $dir/$f"
  done
  local tmp
  tmp=$(mktemp -d)
  aws s3 cp --quiet --recursive "s3://$bucket/$dir/" "$tmp/"
  python3 - "$tmp" "$ext" "$desc" "$bucket" <<'EOF'
import base64, gzip, hashlib, json, os, subprocess, sys
tmp, ext, desc, bucket = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])["ExportDescription"], sys.argv[4]
def b64md5(b): return base64.b64encode(hashlib.md5(b).digest()).decode()
def read(p): return open(os.path.join(tmp, p), "rb").read()
for f in ("manifest-files", "manifest-summary"):
    assert read(f + ".md5").decode().strip() == b64md5(read(f + ".json")), f
summary = json.loads(read("manifest-summary.json"))
assert summary["exportArn"] == desc["ExportArn"], summary
assert summary["itemCount"] == desc["ItemCount"], (summary, desc)
total = 0
for line in read("manifest-files.json").decode().splitlines():
    entry = json.loads(line)
    key = entry["dataFileS3Key"]
    assert key.endswith(ext), key
    data = subprocess.run(["aws", "--endpoint-url", os.environ["FERRY_ENDPOINT"], "s3", "cp", f"s3://{bucket}/{key}", "-"],
                          check=True, capture_output=True).stdout
    assert entry["md5Checksum"] == b64md5(data), key
    lines = gzip.decompress(data).decode().splitlines()
    assert entry["itemCount"] == len(lines), key
    total += len(lines)
assert total == summary["itemCount"], (total, summary)
print(f"manifests ok: {total} items, version {summary['version']}, {summary['outputFormat']}")
EOF
  rm -rf "$tmp"
}

for format in DYNAMODB_JSON ION; do
  arn=$(aws dynamodb export-table-to-point-in-time --table-arn "$table_arn" --s3-bucket "$bucket" \
    --s3-prefix 2020-Nov --export-format "$format" --s3-sse-algorithm AES256 |
    json 'd["ExportDescription"]["ExportArn"]')
  echo "export $format: $arn"
  wait_export "$arn"
  items=$(aws dynamodb describe-export --export-arn "$arn" | json 'd["ExportDescription"]["ItemCount"]')
  [[ $items == 3 ]] || fail "ItemCount $items"
  if [[ $format == ION ]]; then check_export "$arn" .ion.gz; else check_export "$arn" .json.gz; fi
done
count=$(aws dynamodb list-exports --table-arn "$table_arn" | json 'len(d["ExportSummaries"])')
[[ $count == 2 ]] || fail "list-exports returned $count exports"

# Incremental export: needs the server's clock to move 15 minutes.
advance() {
  python3 - "$FERRY_ENDPOINT" "$1" <<'EOF'
import sys, urllib.request
req = urllib.request.Request(sys.argv[1] + "/", data=('{"Micros":%s}' % sys.argv[2]).encode(),
                             headers={"X-Amz-Target": "FerryTest.AdvanceClock", "Content-Type": "application/x-amz-json-1.0"})
urllib.request.urlopen(req).read()
EOF
}
if advance 1000000 2>/dev/null; then
  from=$(aws dynamodb describe-continuous-backups --table-name "$table" |
    json 'd["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["LatestRestorableDateTime"]')
  aws dynamodb put-item --table-name "$table" --item '{"Artist":{"S":"Artist 9"},"SongTitle":{"S":"New"}}'
  aws dynamodb delete-item --table-name "$table" --key '{"Artist":{"S":"Artist 1"},"SongTitle":{"S":"Song 1"}}'
  advance 960000000
  arn=$(aws dynamodb export-table-to-point-in-time --table-arn "$table_arn" --s3-bucket "$bucket" \
    --s3-prefix cdc --export-type INCREMENTAL_EXPORT \
    --incremental-export-specification "ExportFromTime=$from,ExportViewType=NEW_AND_OLD_IMAGES" |
    json 'd["ExportDescription"]["ExportArn"]')
  echo "incremental export: $arn"
  wait_export "$arn"
  check_export "$arn" .json.gz
  shared_data=$(aws s3 ls --recursive "s3://$bucket/cdc/AWSDynamoDB/data/")
  grep -q ".json.gz" <<<"$shared_data" || fail "no shared data folder"
else
  echo "skipping the incremental export: the server's test clock is off"
fi

# Restore to the latest restorable time.
aws dynamodb restore-table-to-point-in-time --source-table-name "$table" \
  --target-table-name "${table}Restored" --use-latest-restorable-time |
  json 'd["TableDescription"]["TableName"]' | grep -qx "${table}Restored" ||
  fail "restore-table-to-point-in-time did not describe ${table}Restored"
for _ in $(seq 1 100); do
  st=$(aws dynamodb describe-table --table-name "${table}Restored" | json 'd["Table"]["TableStatus"]')
  [[ $st == ACTIVE ]] && break
  sleep 0.2
done
[[ $st == ACTIVE ]] || fail "restored table is $st"
a=$(aws dynamodb scan --table-name "$table" | json 'd["Count"]')
b=$(aws dynamodb scan --table-name "${table}Restored" | json 'd["Count"]')
[[ $a == "$b" ]] || fail "restored $b items, source has $a"
echo "smoke_export: ok"

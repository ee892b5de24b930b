#!/usr/bin/env bash
# Smoke test of ImportTable with the real AWS CLI, as AWS's guide runs it:
# `aws s3 mb` / `aws s3 cp` of the source objects, `dynamodb import-table`
# (the guide's CSV example with HeaderList and a `;` delimiter, DynamoDB JSON
# gzip, and the guide's "Missing the key pk" example), `describe-import`
# polling, `list-imports`, the table queried once COMPLETED, and
# `logs get-log-events` printing the item error as the guide shows it. Also
# the guide's "Table already exists" error.
#
# Uses $FERRY_ENDPOINT when set (scripts/smoke.sh sets it), else builds and
# starts `target/debug/ferry serve --in-memory` on a free port. Exits non-zero
# on the first failed check.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z ${FERRY_ENDPOINT:-} ]]; then
  cargo build --quiet -p ferry
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  log=$(mktemp)
  "${FERRY_BIN:-./target/debug/ferry}" serve --in-memory --listen "127.0.0.1:$port" >"$log" 2>&1 &
  pid=$!
  trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f "$log"' EXIT
  up=0
  for _ in $(seq 1 300); do
    if python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),0.2)" 2>/dev/null; then up=1; break; fi
    sleep 0.1
  done
  [[ $up == 1 ]] || { echo "FAIL: ferry did not start: $(cat "$log")" >&2; exit 1; }
  export FERRY_ENDPOINT="http://127.0.0.1:$port"
  export AWS_ACCESS_KEY_ID=ferry AWS_SECRET_ACCESS_KEY=ferry AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=""
fi

aws() { command aws --endpoint-url "$FERRY_ENDPOINT" --output json "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
# json EXPR: evaluate a Python expression over the JSON document on stdin (`d`).
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# wait_import ARN: poll describe-import until the import ends; print its description.
wait_import() {
  local arn=$1 out status
  for _ in $(seq 1 600); do
    out=$(aws dynamodb describe-import --import-arn "$arn")
    status=$(json 'd["ImportTableDescription"]["ImportStatus"]' <<<"$out")
    if [[ $status != IN_PROGRESS ]]; then
      echo "$out"
      return
    fi
    sleep 0.1
  done
  fail "import $arn did not finish"
}

suffix=$RANDOM$RANDOM
bucket="import-source-$suffix"
work=$(mktemp -d)
trap_prev=$(trap -p EXIT | sed -E "s/^trap -- '(.*)' EXIT$/\1/")
trap "rm -rf '$work'; ${trap_prev:-true}" EXIT

aws s3 mb "s3://$bucket" >/dev/null

# 1. The guide's CLI example: CSV, HeaderList, ';' delimiter (the first line is data).
printf 'a1;The Dark Side of the Moon;Pink Floyd;1973\na2;"Wish; You Were Here";Pink Floyd;1975\na3;Animals;Pink Floyd;\n' >"$work/music.csv"
aws s3 cp "$work/music.csv" "s3://$bucket/prefix/music.csv" >/dev/null
out=$(aws dynamodb import-table --s3-bucket-source "S3Bucket=$bucket,S3KeyPrefix=prefix" \
  --input-format CSV --table-creation-parameters \
  '{"TableName":"target-table-'$suffix'","KeySchema":[{"AttributeName":"hk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"hk","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}' \
  --input-format-options '{"Csv": {"HeaderList": ["hk", "title", "artist", "year_of_release"], "Delimiter": ";"}}')
arn=$(json 'd["ImportTableDescription"]["ImportArn"]' <<<"$out")
[[ $(json 'd["ImportTableDescription"]["ImportStatus"]' <<<"$out") == IN_PROGRESS ]] || fail "import-table answered $out"
[[ $arn == arn:aws:dynamodb:us-east-1:*:table/target-table-$suffix/import/* ]] || fail "ImportArn $arn"
done_json=$(wait_import "$arn")
[[ $(json 'd["ImportTableDescription"]["ImportStatus"]' <<<"$done_json") == COMPLETED ]] || fail "CSV import: $done_json"
# The README's waiter agrees (it returns at once for a COMPLETED import).
aws dynamodb wait import-completed --import-arn "$arn" || fail "wait import-completed failed for $arn"
# The SDKs' retry of the same request (same ClientToken) after completion
# answers the same import, not "Table already exists".
token=$(json 'd["ImportTableDescription"]["ClientToken"]' <<<"$done_json")
again=$(aws dynamodb import-table --client-token "$token" --s3-bucket-source "S3Bucket=$bucket,S3KeyPrefix=prefix" \
  --input-format CSV --table-creation-parameters \
  '{"TableName":"target-table-'$suffix'","KeySchema":[{"AttributeName":"hk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"hk","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}' \
  --input-format-options '{"Csv": {"HeaderList": ["hk", "title", "artist", "year_of_release"], "Delimiter": ";"}}')
[[ $(json 'd["ImportTableDescription"]["ImportArn"]' <<<"$again") == "$arn" ]] || fail "token replay answered $again"
counts=$(json '"%d %d %d %d" % (d["ImportTableDescription"]["ProcessedItemCount"], d["ImportTableDescription"]["ImportedItemCount"], d["ImportTableDescription"]["ErrorCount"], d["ImportTableDescription"]["ProcessedSizeBytes"])' <<<"$done_json")
size=$(wc -c <"$work/music.csv" | tr -d ' ')
[[ $counts == "3 3 0 $size" ]] || fail "CSV counters $counts (expected 3 3 0 $size)"
[[ $(json 'd["ImportTableDescription"]["InputFormatOptions"]["Csv"]["Delimiter"]' <<<"$done_json") == ";" ]] || fail "InputFormatOptions not echoed"
item=$(aws dynamodb get-item --table-name "target-table-$suffix" --key '{"hk":{"S":"a2"}}')
[[ $(json 'd["Item"]["title"]["S"]' <<<"$item") == "Wish; You Were Here" ]] || fail "item a2: $item"
[[ $(json '"year_of_release" in d["Item"]' <<<"$(aws dynamodb get-item --table-name "target-table-$suffix" --key '{"hk":{"S":"a3"}}')") == False ]] ||
  fail "an empty CSV column must be omitted"
status=$(aws dynamodb describe-table --table-name "target-table-$suffix" | json 'd["Table"]["TableStatus"]')
[[ $status == ACTIVE ]] || fail "table status $status"

# 2. DynamoDB JSON, gzip, several objects, into a table with a GSI.
python3 - "$work" <<'EOF'
import gzip, json, sys
for part in range(3):
    with gzip.open(f"{sys.argv[1]}/part-{part}.json.gz", "wt") as f:
        for i in range(part * 400, (part + 1) * 400):
            f.write(json.dumps({"Item": {"pk": {"S": f"user#{i}"}, "color": {"S": ["red", "green", "blue"][i % 3]},
                                         "n": {"N": str(i)}, "tags": {"SS": ["a", "b"]}}}) + "\n")
EOF
for part in 0 1 2; do aws s3 cp "$work/part-$part.json.gz" "s3://$bucket/json/part-$part.json.gz" >/dev/null; done
out=$(aws dynamodb import-table --s3-bucket-source "S3Bucket=$bucket,S3KeyPrefix=json/" \
  --input-format DYNAMODB_JSON --input-compression-type GZIP --table-creation-parameters \
  '{"TableName":"users-'$suffix'","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"color","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST","GlobalSecondaryIndexes":[{"IndexName":"by_color","KeySchema":[{"AttributeName":"color","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"}}]}')
arn=$(json 'd["ImportTableDescription"]["ImportArn"]' <<<"$out")
done_json=$(wait_import "$arn")
[[ $(json 'd["ImportTableDescription"]["ImportStatus"]' <<<"$done_json") == COMPLETED ]] || fail "JSON import: $done_json"
[[ $(json 'd["ImportTableDescription"]["ImportedItemCount"]' <<<"$done_json") == 1200 ]] || fail "JSON import counters: $done_json"
count=$(aws dynamodb query --table-name "users-$suffix" --index-name by_color \
  --key-condition-expression 'color = :c' --expression-attribute-values '{":c":{"S":"green"}}' --select COUNT | json 'd["Count"]')
[[ $count == 400 ]] || fail "GSI query counted $count"

# 3. The guide's "Missing the key pk in the item" example, and its error log.
printf 'title,artist,year_of_release\nThe Dark Side of the Moon,Pink Floyd,1973' >"$work/import-test.csv"
aws s3 cp "$work/import-test.csv" "s3://$bucket/import-test.csv" >/dev/null
out=$(aws dynamodb import-table --s3-bucket-source "S3Bucket=$bucket,S3KeyPrefix=import-test.csv" \
  --input-format CSV --table-creation-parameters \
  '{"TableName":"target-table-pk-'$suffix'","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}')
arn=$(json 'd["ImportTableDescription"]["ImportArn"]' <<<"$out")
done_json=$(wait_import "$arn")
[[ $(json 'd["ImportTableDescription"]["ImportStatus"]' <<<"$done_json") == FAILED ]] || fail "missing-pk import: $done_json"
[[ $(json 'd["ImportTableDescription"]["FailureCode"]' <<<"$done_json") == ItemValidationError ]] || fail "FailureCode: $done_json"
[[ $(json 'd["ImportTableDescription"]["FailureMessage"]' <<<"$done_json") == "Some of the items failed validation checks and were not imported. Please check CloudWatch error logs for more details." ]] ||
  fail "FailureMessage: $done_json"
counts=$(json '"%d %d %d %d" % (d["ImportTableDescription"]["ProcessedItemCount"], d["ImportTableDescription"]["ImportedItemCount"], d["ImportTableDescription"]["ErrorCount"], d["ImportTableDescription"]["ProcessedSizeBytes"])' <<<"$done_json")
[[ $counts == "1 0 1 70" ]] || fail "missing-pk counters $counts (the guide: 1 0 1 70)"
import_id=${arn##*/}
events=$(aws logs get-log-events --log-group-name /aws-dynamodb/imports --log-stream-name "$import_id/error")
expected=$(python3 -c 'import json,sys; print(json.dumps({"itemS3Pointer":{"bucket":sys.argv[1],"key":"import-test.csv","itemIndex":0},"importArn":sys.argv[2],"errorMessages":["One or more parameter values were invalid: Missing the key pk in the item"]}, separators=(",",":")))' "$bucket" "$arn")
[[ $(json 'd["events"][0]["message"]' <<<"$events") == "$expected" ]] || fail "log event: $events"
[[ $(json 'len(d["events"])' <<<"$events") == 1 ]] || fail "log events: $events"
[[ $(json 'd["nextForwardToken"]' <<<"$events") =~ ^f/[0-9]{56}/s$ ]] || fail "nextForwardToken: $events"

# 4. The guide's "Table already exists".
if out=$(aws dynamodb import-table --s3-bucket-source "S3Bucket=$bucket,S3KeyPrefix=prefix" --input-format CSV \
  --table-creation-parameters '{"TableName":"target-table-'$suffix'","KeySchema":[{"AttributeName":"hk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"hk","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}' 2>&1); then
  fail "import into an existing table was accepted: $out"
fi
grep -q "An error occurred (ResourceInUseException) when calling the ImportTable operation: Table already exists: target-table-$suffix" <<<"$out" ||
  fail "unexpected error: $out"

# 5. list-imports shows all three.
listed=$(aws dynamodb list-imports | json 'len([s for s in d["ImportSummaryList"] if "'$suffix'" in s["TableArn"]])')
[[ $listed == 3 ]] || fail "list-imports listed $listed of 3"

echo "smoke_import: OK"

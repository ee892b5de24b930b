#!/usr/bin/env bash
# AWS CLI smoke test of DynamoDB Streams: enable a stream, write, then
# list-streams / describe-stream / get-shard-iterator / get-records.
# Needs $FERRY_ENDPOINT (scripts/smoke.sh sets it and starts the server).
set -euo pipefail
E=(--endpoint-url "$FERRY_ENDPOINT")
ddb() { aws "${E[@]}" dynamodb "$@"; }
streams() { aws "${E[@]}" dynamodbstreams "$@"; }
check() { python3 -c "import json,sys; d=json.load(sys.stdin); assert $1, d" ; }
field() { python3 -c "import json,sys; print($1)" ; }

ddb create-table --table-name smoke-stream \
  --attribute-definitions AttributeName=pk,AttributeType=S \
  --key-schema AttributeName=pk,KeyType=HASH --billing-mode PAY_PER_REQUEST \
  --stream-specification StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES \
  | check '"/stream/" in d["TableDescription"]["LatestStreamArn"]'
ddb put-item --table-name smoke-stream --item '{"pk":{"S":"a"},"v":{"N":"1"}}'
ddb put-item --table-name smoke-stream --item '{"pk":{"S":"a"},"v":{"N":"2"}}'
ddb delete-item --table-name smoke-stream --key '{"pk":{"S":"a"}}'

arn=$(streams list-streams --table-name smoke-stream | field 'json.load(sys.stdin)["Streams"][0]["StreamArn"]')
shard=$(streams describe-stream --stream-arn "$arn" | field 'json.load(sys.stdin)["StreamDescription"]["Shards"][0]["ShardId"]')
it=$(streams get-shard-iterator --stream-arn "$arn" --shard-id "$shard" --shard-iterator-type TRIM_HORIZON \
  | field 'json.load(sys.stdin)["ShardIterator"]')
streams get-records --shard-iterator "$it" \
  | check '[r["eventName"] for r in d["Records"]] == ["INSERT", "MODIFY", "REMOVE"] and d["NextShardIterator"]'
echo "streams smoke: ok"

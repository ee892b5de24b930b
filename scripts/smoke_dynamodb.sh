#!/usr/bin/env bash
# AWS CLI smoke test of the DynamoDB API: tables, items, query, scan, batch.
# Needs $FERRY_ENDPOINT (scripts/smoke.sh sets it and starts the server).
set -euo pipefail
E=(--endpoint-url "$FERRY_ENDPOINT")
ddb() { aws "${E[@]}" dynamodb "$@"; }
check() { python3 -c "import json,sys; d=json.load(sys.stdin); assert $1, d" ; }

ddb create-table --table-name smoke-music \
  --attribute-definitions AttributeName=artist,AttributeType=S AttributeName=song,AttributeType=S AttributeName=year,AttributeType=N \
  --key-schema AttributeName=artist,KeyType=HASH AttributeName=song,KeyType=RANGE \
  --global-secondary-indexes '[{"IndexName":"by-year","KeySchema":[{"AttributeName":"year","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"}}]' \
  --billing-mode PAY_PER_REQUEST | check 'd["TableDescription"]["TableName"] == "smoke-music"'

ddb list-tables | check '"smoke-music" in d["TableNames"]'

ddb put-item --table-name smoke-music --item '{"artist":{"S":"Pink Floyd"},"song":{"S":"Time"},"year":{"N":"1973"},"len":{"N":"7.05"}}' \
  --return-consumed-capacity TOTAL | check 'd["ConsumedCapacity"]["CapacityUnits"] == 2.0'  # the table and its GSI
# (checked by the get-item below: the number comes back canonical)
ddb put-item --table-name smoke-music --item '{"artist":{"S":"Pink Floyd"},"song":{"S":"Money"},"year":{"N":"1973.0"}}'
ddb batch-write-item --request-items '{"smoke-music":[{"PutRequest":{"Item":{"artist":{"S":"Queen"},"song":{"S":"Bohemian Rhapsody"},"year":{"N":"1975"}}}}]}' \
  | check 'd["UnprocessedItems"] == {}'

ddb get-item --table-name smoke-music --key '{"artist":{"S":"Pink Floyd"},"song":{"S":"Money"}}' \
  | check 'd["Item"]["year"]["N"] == "1973"'

ddb query --table-name smoke-music --key-condition-expression 'artist = :a AND begins_with(song, :p)' \
  --expression-attribute-values '{":a":{"S":"Pink Floyd"},":p":{"S":"T"}}' | check 'd["Count"] == 1'

ddb query --table-name smoke-music --index-name by-year --key-condition-expression '#y = :y' \
  --expression-attribute-names '{"#y":"year"}' --expression-attribute-values '{":y":{"N":"1973"}}' \
  | check 'd["Count"] == 2'

ddb update-item --table-name smoke-music --key '{"artist":{"S":"Queen"},"song":{"S":"Bohemian Rhapsody"}}' \
  --update-expression 'SET plays = if_not_exists(plays, :z) + :one' \
  --expression-attribute-values '{":z":{"N":"0"},":one":{"N":"1"}}' --return-values ALL_NEW \
  | check 'd["Attributes"]["plays"]["N"] == "1"'

out=$(ddb put-item --table-name smoke-music --item '{"artist":{"S":"Queen"},"song":{"S":"Bohemian Rhapsody"}}' \
  --condition-expression 'attribute_not_exists(artist)' 2>&1 || true)
grep -q ConditionalCheckFailedException <<<"$out" || { echo "expected ConditionalCheckFailedException: $out"; exit 1; }

s0=$(ddb scan --table-name smoke-music --total-segments 2 --segment 0 --select COUNT | python3 -c 'import json,sys; print(json.load(sys.stdin)["Count"])')
s1=$(ddb scan --table-name smoke-music --total-segments 2 --segment 1 --select COUNT | python3 -c 'import json,sys; print(json.load(sys.stdin)["Count"])')
[[ $((s0 + s1)) -eq 3 ]] || { echo "parallel scan segments counted $s0 + $s1, not 3"; exit 1; }
ddb scan --table-name smoke-music | check 'd["Count"] == 3'

out=$(ddb describe-table --table-name no-such-table 2>&1 || true)
grep -q ResourceNotFoundException <<<"$out" || { echo "expected ResourceNotFoundException: $out"; exit 1; }

ddb delete-table --table-name smoke-music | check 'd["TableDescription"]["TableStatus"] == "DELETING"'
ddb list-tables | check '"smoke-music" not in d["TableNames"]'
echo "dynamodb smoke ok"

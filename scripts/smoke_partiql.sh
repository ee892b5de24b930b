#!/usr/bin/env bash
# AWS CLI smoke test of PartiQL: execute-statement (INSERT, SELECT as Query
# and Scan, UPDATE ... RETURNING, DELETE), batch-execute-statement and
# execute-transaction. Needs $FERRY_ENDPOINT (scripts/smoke.sh sets it and
# starts the server).
set -euo pipefail
E=(--endpoint-url "$FERRY_ENDPOINT")
ddb() { aws "${E[@]}" dynamodb "$@"; }
check() { python3 -c "import json,sys; d=json.load(sys.stdin); assert $1, d" ; }

ddb create-table --table-name smoke-partiql \
  --attribute-definitions AttributeName=artist,AttributeType=S AttributeName=song,AttributeType=S \
  --key-schema AttributeName=artist,KeyType=HASH AttributeName=song,KeyType=RANGE \
  --billing-mode PAY_PER_REQUEST >/dev/null

ddb execute-statement --statement "INSERT INTO \"smoke-partiql\" VALUE {'artist': 'Queen', 'song': 'Bicycle', 'year': 1978, 'tags': <<'rock'>>}" \
  | check 'd["Items"] == []'
ddb execute-statement --statement "INSERT INTO \"smoke-partiql\" VALUE {'artist': ?, 'song': ?, 'year': ?}" \
  --parameters '[{"S":"Queen"},{"S":"Bohemian Rhapsody"},{"N":"1975"}]' >/dev/null

ddb execute-statement --statement "SELECT * FROM \"smoke-partiql\" WHERE artist = 'Queen' AND begins_with(song, 'Bo')" \
  | check 'len(d["Items"]) == 1 and d["Items"][0]["year"]["N"] == "1975"'
ddb execute-statement --statement "SELECT song FROM \"smoke-partiql\" WHERE year < 1980" \
  | check 'sorted(i["song"]["S"] for i in d["Items"]) == ["Bicycle", "Bohemian Rhapsody"]'
ddb execute-statement --statement "SELECT * FROM \"smoke-partiql\"" --limit 1 \
  | check 'len(d["Items"]) == 1 and "NextToken" in d'

ddb execute-statement --statement "UPDATE \"smoke-partiql\" SET plays = 1 SET tags = set_add(tags, <<'classic'>>) WHERE artist = 'Queen' AND song = 'Bicycle' RETURNING ALL NEW *" \
  | check 'd["Items"][0]["plays"]["N"] == "1" and sorted(d["Items"][0]["tags"]["SS"]) == ["classic", "rock"]'

out=$(ddb execute-statement --statement "INSERT INTO \"smoke-partiql\" VALUE {'artist': 'Queen', 'song': 'Bicycle'}" 2>&1 || true)
grep -q "DuplicateItemException" <<<"$out" || { echo "expected DuplicateItemException: $out"; exit 1; }
out=$(ddb execute-statement --statement "SELECT * FROM \"smoke-partiql\" WHERE" 2>&1 || true)
grep -q "Statement wasn't well formed, can't be processed: Unexpected term" <<<"$out" || { echo "expected a syntax error: $out"; exit 1; }

ddb batch-execute-statement --statements '[
  {"Statement": "SELECT year FROM \"smoke-partiql\" WHERE artist = '"'Queen'"' AND song = '"'Bicycle'"'"},
  {"Statement": "SELECT * FROM \"smoke-partiql\" WHERE artist = '"'Nobody'"' AND song = '"'x'"'"}]' \
  | check 'd["Responses"][0]["Item"]["year"]["N"] == "1978" and "Item" not in d["Responses"][1]'

out=$(ddb execute-transaction --transact-statements '[
  {"Statement": "UPDATE \"smoke-partiql\" SET plays = 99 WHERE artist = '"'Queen'"' AND song = '"'Bicycle'"'"},
  {"Statement": "UPDATE \"smoke-partiql\" SET plays = 99 WHERE artist = '"'Nobody'"' AND song = '"'x'"'"}]' 2>&1 || true)
grep -q "TransactionCanceledException" <<<"$out" || { echo "expected a cancelled transaction: $out"; exit 1; }
ddb execute-statement --statement "SELECT plays FROM \"smoke-partiql\" WHERE artist = 'Queen' AND song = 'Bicycle'" \
  | check 'd["Items"][0]["plays"]["N"] == "1"'

ddb execute-statement --statement "DELETE FROM \"smoke-partiql\" WHERE artist = 'Queen' AND song = 'Bicycle' RETURNING ALL OLD *" \
  | check 'd["Items"][0]["song"]["S"] == "Bicycle"'
ddb delete-table --table-name smoke-partiql >/dev/null
echo "partiql smoke ok"

#!/usr/bin/env bash
# AWS CLI smoke test of the S3 endpoint: mb, cp (multipart), ls, sync, rm, s3api.
# Needs $FERRY_ENDPOINT (scripts/smoke.sh sets it and starts the server).
set -euo pipefail
E=(--endpoint-url "$FERRY_ENDPOINT")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

aws "${E[@]}" s3 mb s3://smoke-s3 | grep -qx "make_bucket: smoke-s3" || { echo "mb failed"; exit 1; }
head -c 20000000 /dev/urandom >"$work/big.bin"
aws "${E[@]}" s3 cp "$work/big.bin" s3://smoke-s3/dir/big.bin >/dev/null
aws "${E[@]}" s3 cp s3://smoke-s3/dir/big.bin "$work/back.bin" >/dev/null
cmp "$work/big.bin" "$work/back.bin"

mkdir -p "$work/tree/a"
echo one >"$work/tree/a/1.txt"
echo two >"$work/tree/2 two+.txt"
aws "${E[@]}" s3 sync "$work/tree" s3://smoke-s3/tree/ >/dev/null
listing=$(aws "${E[@]}" s3 ls --recursive s3://smoke-s3/tree/)
grep -q "2 two+.txt" <<<"$listing" || { echo "sync missed a file: $listing"; exit 1; }
aws "${E[@]}" s3api head-object --bucket smoke-s3 --key "tree/a/1.txt" \
  | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["ContentLength"] == 4, d'
aws "${E[@]}" s3api list-objects-v2 --bucket smoke-s3 --delimiter / \
  | python3 -c 'import json,sys; d=json.load(sys.stdin); assert sorted(p["Prefix"] for p in d["CommonPrefixes"]) == ["dir/", "tree/"], d'
aws "${E[@]}" s3 rm --recursive s3://smoke-s3/ >/dev/null
[[ -z $(aws "${E[@]}" s3 ls --recursive s3://smoke-s3/) ]] || { echo "rm --recursive left objects"; exit 1; }
aws "${E[@]}" s3 rb s3://smoke-s3 | grep -qx "remove_bucket: smoke-s3" || { echo "rb failed"; exit 1; }
if aws "${E[@]}" s3api head-bucket --bucket smoke-s3 2>/dev/null; then echo "bucket still exists"; exit 1; fi
echo "s3 smoke ok"

#!/usr/bin/env python3
"""Streams consumer benchmark (issue 14): records/s a boto3 consumer reads
through GetRecords, and the write cost of an enabled stream, against a
running `ferry serve` (release build).

    cargo build --release -p ferry --bin ferry
    target/release/ferry serve --in-memory --listen 127.0.0.1:8123 &
    python3 scripts/bench-streams.py http://127.0.0.1:8123 [ITEMS]

Writes ITEMS items (BatchWriteItem, 25 per call, 4 client threads) into a
table without a stream and into one with NEW_AND_OLD_IMAGES, then reads the
second table's stream from TRIM_HORIZON with GetRecords (Limit 1000) until
every record is read. Prints wall-clock rates; the client is Python, so the
read rate is what a typical boto3 consumer sees, not the server's ceiling.
"""

import sys
import time
from concurrent.futures import ThreadPoolExecutor

import boto3

endpoint = sys.argv[1]
items = int(sys.argv[2]) if len(sys.argv) > 2 else 50000
kw = dict(endpoint_url=endpoint, region_name="us-east-1",
          aws_access_key_id="x", aws_secret_access_key="x")
ddb = boto3.client("dynamodb", **kw)
streams = boto3.client("dynamodbstreams", **kw)


def create(name, stream):
    args = dict(TableName=name, BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    if stream:
        args["StreamSpecification"] = {"StreamEnabled": True,
                                       "StreamViewType": "NEW_AND_OLD_IMAGES"}
    return ddb.create_table(**args)["TableDescription"]


def load(name):
    def batch(start):
        reqs = [{"PutRequest": {"Item": {"pk": {"S": f"k{i:08d}"},
                                         "v": {"S": "x" * 100}, "n": {"N": str(i)}}}}
                for i in range(start, min(start + 25, items))]
        ddb.batch_write_item(RequestItems={name: reqs})
    t = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(batch, range(0, items, 25)))
    return time.perf_counter() - t


suffix = str(int(time.time()))
create(f"plain{suffix}", False)
desc = create(f"streamed{suffix}", True)
plain = load(f"plain{suffix}")
streamed = load(f"streamed{suffix}")
print(f"puts without a stream: {items / plain:,.0f} items/s ({plain:.2f} s)")
print(f"puts with a stream:    {items / streamed:,.0f} items/s ({streamed:.2f} s)")

arn = desc["LatestStreamArn"]
shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
t = time.perf_counter()
read = calls = 0
for shard in shards:
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    while it and read < items:
        out = streams.get_records(ShardIterator=it, Limit=1000)
        calls += 1
        read += len(out["Records"])
        it = out.get("NextShardIterator")
        if not out["Records"] and read >= items:
            break
elapsed = time.perf_counter() - t
assert read == items, f"read {read} records, wrote {items}"
print(f"GetRecords: {read:,} records in {calls} calls, {elapsed:.2f} s, {read / elapsed:,.0f} records/s")

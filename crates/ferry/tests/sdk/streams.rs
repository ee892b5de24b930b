//! DynamoDB Streams through the real aws-sdk-dynamodbstreams: enabling and
//! disabling with DynamoDB's validation, the four Streams calls and their
//! errors, records rebuilt into the table, shard rollover, trimming, a
//! restart that keeps sequence numbers, and TTL deletions' `userIdentity`.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::{
    AttributeValue, Put, ScalarAttributeType, StreamSpecification, StreamViewType,
    TransactWriteItem,
};
use aws_sdk_dynamodbstreams::types::{Record, ShardIteratorType};

use crate::common::*;

const HOUR: i64 = 3_600_000_000;

pub(crate) fn spec(enabled: bool, view: Option<StreamViewType>) -> StreamSpecification {
    StreamSpecification::builder()
        .stream_enabled(enabled)
        .set_stream_view_type(view)
        .build()
        .unwrap()
}

/// A table `name` (hash key `pk`: S) with a NEW_AND_OLD_IMAGES stream.
async fn table_with_stream(server: &TestServer, name: &str) -> String {
    let ddb = server.dynamodb().await;
    create_table(&ddb, name, ("pk", ScalarAttributeType::S), None).await;
    ddb.update_table()
        .table_name(name)
        .stream_specification(spec(true, Some(StreamViewType::NewAndOldImages)))
        .send()
        .await
        .unwrap();
    latest_arn(&ddb, name).await.expect("a stream")
}

pub(crate) async fn latest_arn(ddb: &aws_sdk_dynamodb::Client, name: &str) -> Option<String> {
    let t = ddb.describe_table().table_name(name).send().await.unwrap();
    t.table().unwrap().latest_stream_arn().map(str::to_string)
}

pub(crate) async fn shard_ids(streams: &aws_sdk_dynamodbstreams::Client, arn: &str) -> Vec<String> {
    let d = streams
        .describe_stream()
        .stream_arn(arn)
        .send()
        .await
        .unwrap();
    let desc = d.stream_description().unwrap();
    desc.shards()
        .iter()
        .map(|s| s.shard_id().unwrap().to_string())
        .collect()
}

/// Every record of a shard from `iterator` until a read returns nothing
/// new (or the closed shard is drained).
async fn drain(
    streams: &aws_sdk_dynamodbstreams::Client,
    mut iterator: String,
) -> (Vec<Record>, Option<String>) {
    let mut out = Vec::new();
    loop {
        let r = streams
            .get_records()
            .shard_iterator(&iterator)
            .limit(7)
            .send()
            .await
            .unwrap();
        let got = r.records().len();
        out.extend(r.records().iter().cloned());
        match r.next_shard_iterator() {
            Some(next) if got > 0 => iterator = next.to_string(),
            Some(next) => return (out, Some(next.to_string())),
            None => return (out, None),
        }
    }
}

async fn iterator(
    streams: &aws_sdk_dynamodbstreams::Client,
    arn: &str,
    shard: &str,
    ty: ShardIteratorType,
    seq: Option<&str>,
) -> String {
    streams
        .get_shard_iterator()
        .stream_arn(arn)
        .shard_id(shard)
        .shard_iterator_type(ty)
        .set_sequence_number(seq.map(str::to_string))
        .send()
        .await
        .unwrap()
        .shard_iterator()
        .unwrap()
        .to_string()
}

fn seq_of(r: &Record) -> String {
    r.dynamodb().unwrap().sequence_number().unwrap().to_string()
}

#[tokio::test]
async fn stream_specification_validation_and_lifecycle() {
    let server = TestServer::start().await;
    let ddb = server.dynamodb().await;
    let streams = server.streams().await;
    let first = table_with_stream(&server, "Str1").await;
    assert!(first.starts_with("arn:aws:dynamodb:us-east-1:"), "{first}");
    assert!(first.contains(":table/Str1/stream/"), "{first}");

    let again = ddb
        .update_table()
        .table_name("Str1")
        .stream_specification(spec(true, Some(StreamViewType::KeysOnly)))
        .send()
        .await;
    assert_eq!(
        failure(again),
        (
            "ValidationException".to_string(),
            "Table already has an enabled stream: TableName: Str1".to_string()
        )
    );
    let bad = server
        .raw(
            "DynamoDB_20120810.UpdateTable",
            r#"{"TableName":"Str1","StreamSpecification":{"StreamEnabled":true,"StreamViewType":"Fisk"}}"#,
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.json()["message"],
        "1 validation error detected: Value 'Fisk' at 'streamSpecification.streamViewType' failed to satisfy constraint: Member must satisfy enum value set: [NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES, KEYS_ONLY]"
    );
    assert_eq!(
        latest_arn(&ddb, "Str1").await.as_deref(),
        Some(first.as_str()),
        "refusals changed nothing"
    );

    ddb.update_table()
        .table_name("Str1")
        .stream_specification(spec(false, None))
        .send()
        .await
        .unwrap();
    let t = ddb
        .describe_table()
        .table_name("Str1")
        .send()
        .await
        .unwrap();
    assert!(t.table().unwrap().stream_specification().is_none());
    let twice = ddb
        .update_table()
        .table_name("Str1")
        .stream_specification(spec(false, None))
        .send()
        .await;
    assert_eq!(
        failure(twice),
        (
            "ValidationException".to_string(),
            "Table has no stream to disable: TableName: Str1".to_string()
        )
    );
    let d = streams
        .describe_stream()
        .stream_arn(&first)
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.stream_description()
            .unwrap()
            .stream_status()
            .unwrap()
            .as_str(),
        "DISABLED"
    );

    ddb.update_table()
        .table_name("Str1")
        .stream_specification(spec(true, Some(StreamViewType::KeysOnly)))
        .send()
        .await
        .unwrap();
    let second = latest_arn(&ddb, "Str1").await.unwrap();
    assert_ne!(first, second, "a re-enabled stream is a new stream");
    let listed = streams
        .list_streams()
        .table_name("Str1")
        .send()
        .await
        .unwrap();
    let arns: Vec<&str> = listed
        .streams()
        .iter()
        .map(|s| s.stream_arn().unwrap())
        .collect();
    assert_eq!(arns, vec![first.as_str(), second.as_str()]);
    let page = streams.list_streams().limit(1).send().await.unwrap();
    assert_eq!(page.last_evaluated_stream_arn(), Some(first.as_str()));

    let missing = streams
        .describe_stream()
        .stream_arn(format!("{first}x"))
        .send()
        .await;
    assert_eq!(
        failure(missing),
        (
            "ResourceNotFoundException".to_string(),
            format!("Requested resource not found: Stream: {first}x not found")
        )
    );
    // An unknown Streams operation is refused like DynamoDB's.
    let unknown = server
        .raw("DynamoDBStreams_20120810.ListShards", "{}")
        .await;
    assert_eq!(unknown.status, 400);
}

#[tokio::test]
async fn consumer_rebuilds_the_table_from_the_records() {
    let server = TestServer::start().await;
    let ddb = server.dynamodb().await;
    let streams = server.streams().await;
    let arn = table_with_stream(&server, "Str2").await;
    let shard = shard_ids(&streams, &arn).await.remove(0);
    let mut it = iterator(&streams, &arn, &shard, ShardIteratorType::TrimHorizon, None).await;

    let writer = {
        let ddb = ddb.clone();
        tokio::spawn(async move {
            for i in 0..30 {
                let k = format!("k{}", i % 9);
                ddb.put_item()
                    .table_name("Str2")
                    .item("pk", s(&k))
                    .item("v", n(&i.to_string()))
                    .send()
                    .await
                    .unwrap();
                if i % 4 == 0 {
                    ddb.update_item()
                        .table_name("Str2")
                        .key("pk", s(&k))
                        .update_expression("SET w = :w")
                        .expression_attribute_values(":w", s("x"))
                        .send()
                        .await
                        .unwrap();
                }
                if i % 5 == 0 {
                    ddb.delete_item()
                        .table_name("Str2")
                        .key("pk", s(&format!("k{}", (i + 3) % 9)))
                        .send()
                        .await
                        .unwrap();
                }
                if i % 7 == 0 {
                    let put = |k: &str| {
                        TransactWriteItem::builder()
                            .put(
                                Put::builder()
                                    .table_name("Str2")
                                    .item("pk", s(k))
                                    .item("t", n(&i.to_string()))
                                    .build()
                                    .unwrap(),
                            )
                            .build()
                    };
                    ddb.transact_write_items()
                        .transact_items(put(&format!("t{i}a")))
                        .transact_items(put(&format!("t{i}b")))
                        .send()
                        .await
                        .unwrap();
                }
            }
        })
    };
    // Read while the writer runs, then until nothing new is left.
    let mut records = Vec::new();
    let mut finished = false;
    loop {
        let (got, next) = drain(&streams, it).await;
        let empty = got.is_empty();
        records.extend(got);
        it = next.expect("the open shard goes on");
        if finished && empty {
            break;
        }
        if writer.is_finished() {
            finished = true;
        }
        tokio::task::yield_now().await;
    }
    writer.await.unwrap();

    // Non-modifying writes leave no record.
    let before = records.len();
    let some = ddb
        .get_item()
        .table_name("Str2")
        .key("pk", s("t0a"))
        .send()
        .await
        .unwrap();
    ddb.put_item()
        .table_name("Str2")
        .set_item(some.item().cloned())
        .send()
        .await
        .unwrap();
    ddb.delete_item()
        .table_name("Str2")
        .key("pk", s("never"))
        .send()
        .await
        .unwrap();
    let (got, _) = drain(&streams, it).await;
    assert_eq!(got.len(), 0, "identical put / missing delete: {got:?}");
    assert!(before > 0);

    let mut rebuilt: BTreeMap<String, std::collections::HashMap<String, AttributeValue>> =
        BTreeMap::new();
    let mut last = String::new();
    for r in &records {
        let seq = seq_of(r);
        assert!(seq > last, "sequence numbers increase: {seq} after {last}");
        assert_eq!(seq.len(), 21);
        last = seq;
        assert_eq!(r.event_version(), Some("1.1"));
        assert_eq!(r.event_source(), Some("aws:dynamodb"));
        assert_eq!(r.aws_region(), Some("us-east-1"));
        let d = r.dynamodb().unwrap();
        let key = match d.keys().unwrap().get("pk") {
            Some(aws_sdk_dynamodbstreams::types::AttributeValue::S(k)) => k.clone(),
            other => panic!("key {other:?}"),
        };
        match r.event_name().unwrap().as_str() {
            "INSERT" | "MODIFY" => {
                assert_eq!(
                    r.event_name().unwrap().as_str() == "MODIFY",
                    d.old_image().is_some()
                );
                let img = d.new_image().unwrap();
                let item = img.iter().map(|(k, v)| (k.clone(), to_ddb(v))).collect();
                rebuilt.insert(key, item);
            }
            "REMOVE" => {
                assert!(d.old_image().is_some() && d.new_image().is_none());
                rebuilt.remove(&key);
            }
            other => panic!("event {other}"),
        }
    }
    let scan = ddb.scan().table_name("Str2").send().await.unwrap();
    let mut table: BTreeMap<String, std::collections::HashMap<String, AttributeValue>> =
        BTreeMap::new();
    for item in scan.items() {
        let AttributeValue::S(k) = &item["pk"] else {
            panic!()
        };
        table.insert(k.clone(), item.clone());
    }
    assert_eq!(rebuilt, table);
}

/// A Streams attribute value as a DynamoDB one (strings and numbers only).
pub(crate) fn to_ddb(v: &aws_sdk_dynamodbstreams::types::AttributeValue) -> AttributeValue {
    use aws_sdk_dynamodbstreams::types::AttributeValue as S;
    match v {
        S::S(x) => AttributeValue::S(x.clone()),
        S::N(x) => AttributeValue::N(x.clone()),
        other => panic!("unexpected value {other:?}"),
    }
}

#[tokio::test]
async fn iterator_errors_expiry_trimming_and_rollover() {
    let server = TestServer::start().await;
    let ddb = server.dynamodb().await;
    let streams = server.streams().await;
    let arn = table_with_stream(&server, "Str3").await;
    let shard = shard_ids(&streams, &arn).await.remove(0);
    ddb.put_item()
        .table_name("Str3")
        .item("pk", s("a"))
        .send()
        .await
        .unwrap();

    let garbage = streams
        .get_records()
        .shard_iterator("x".repeat(40))
        .send()
        .await;
    assert_eq!(
        failure(garbage),
        (
            "ValidationException".to_string(),
            "Invalid ShardIterator".to_string()
        )
    );
    let no_shard = streams
        .get_shard_iterator()
        .stream_arn(&arn)
        .shard_id("shardId-00000000000000000000-00000000")
        .shard_iterator_type(ShardIteratorType::TrimHorizon)
        .send()
        .await;
    assert_eq!(
        failure(no_shard),
        (
            "ResourceNotFoundException".to_string(),
            "Requested resource not found: Shard does not exist".to_string()
        )
    );
    let it = iterator(&streams, &arn, &shard, ShardIteratorType::TrimHorizon, None).await;
    let forged = it.replacen("|0|", "|1|", 1);
    assert_eq!(
        failure(streams.get_records().shard_iterator(&forged).send().await).0,
        "ValidationException"
    );
    let (first, _) = drain(&streams, it.clone()).await;
    assert_eq!(first.len(), 1);
    let first_seq = seq_of(&first[0]);

    server.advance_clock(16 * 60_000_000).await;
    let (code, msg) = failure(streams.get_records().shard_iterator(&it).send().await);
    assert_eq!(code, "ExpiredIteratorException");
    assert!(
        msg.starts_with("Iterator expired. The iterator was created at time "),
        "{msg}"
    );

    // Four hours on: a child shard; the parent is closed and drains to a
    // null NextShardIterator.
    server.advance_clock(4 * HOUR).await;
    ddb.put_item()
        .table_name("Str3")
        .item("pk", s("b"))
        .send()
        .await
        .unwrap();
    let d = streams
        .describe_stream()
        .stream_arn(&arn)
        .send()
        .await
        .unwrap();
    let shards = d.stream_description().unwrap().shards();
    assert_eq!(shards.len(), 2);
    assert!(
        shards[0]
            .sequence_number_range()
            .unwrap()
            .ending_sequence_number()
            .is_some()
    );
    assert!(
        shards[1]
            .sequence_number_range()
            .unwrap()
            .ending_sequence_number()
            .is_none()
    );
    assert_eq!(shards[1].parent_shard_id(), shards[0].shard_id());
    let it = iterator(
        &streams,
        &arn,
        &shard,
        ShardIteratorType::AtSequenceNumber,
        Some(&first_seq),
    )
    .await;
    let (again, next) = drain(&streams, it).await;
    assert_eq!(again.len(), 1);
    assert_eq!(next, None, "a drained closed shard ends");
    let child = shards[1].shard_id().unwrap();
    let it = iterator(&streams, &arn, child, ShardIteratorType::TrimHorizon, None).await;
    let (recs, _) = drain(&streams, it).await;
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].event_name().unwrap().as_str(), "INSERT");

    // A day later the first record is trimmed.
    server.advance_clock(21 * HOUR).await;
    let trimmed = streams
        .get_shard_iterator()
        .stream_arn(&arn)
        .shard_id(&shard)
        .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
        .sequence_number(&first_seq)
        .send()
        .await;
    assert_eq!(failure(trimmed).0, "TrimmedDataAccessException");
    let it = iterator(&streams, &arn, child, ShardIteratorType::TrimHorizon, None).await;
    assert_eq!(
        drain(&streams, it).await.0.len(),
        1,
        "the newer record is kept"
    );
    // A TRIM_HORIZON iterator of a day-old shard is readable a moment later
    // (the horizon moves on; the engine keeps 15 minutes more).
    let it = iterator(&streams, &arn, &shard, ShardIteratorType::TrimHorizon, None).await;
    server.advance_clock(1_000_000).await;
    let r = streams.get_records().shard_iterator(&it).send().await;
    assert!(r.is_ok(), "{r:?}");
}

#[tokio::test]
async fn restart_keeps_sequence_numbers_and_a_consumer_resumes() {
    let server = TestServer::start().await;
    let ddb = server.dynamodb().await;
    let streams = server.streams().await;
    let arn = table_with_stream(&server, "Str4").await;
    for i in 0..10 {
        ddb.put_item()
            .table_name("Str4")
            .item("pk", s(&format!("k{}", i % 4)))
            .item("v", n(&i.to_string()))
            .send()
            .await
            .unwrap();
    }
    let shard = shard_ids(&streams, &arn).await.remove(0);
    let it = iterator(&streams, &arn, &shard, ShardIteratorType::TrimHorizon, None).await;
    let (before, _) = drain(&streams, it).await;
    assert_eq!(
        before.len(),
        10,
        "PITR off: every change kept for the stream"
    );
    let checkpoint = seq_of(&before[5]);

    let dir = server.stop().await;
    let server = TestServer::start_in(dir, |_| {}).await;
    let ddb = server.dynamodb().await;
    let streams = server.streams().await;
    assert_eq!(
        latest_arn(&ddb, "Str4").await.as_deref(),
        Some(arn.as_str())
    );
    for i in 10..13 {
        ddb.put_item()
            .table_name("Str4")
            .item("pk", s(&format!("k{}", i % 4)))
            .item("v", n(&i.to_string()))
            .send()
            .await
            .unwrap();
    }
    let it = iterator(
        &streams,
        &arn,
        &shard,
        ShardIteratorType::AfterSequenceNumber,
        Some(&checkpoint),
    )
    .await;
    let (after, _) = drain(&streams, it).await;
    let resumed: Vec<String> = after.iter().map(seq_of).collect();
    let expected: Vec<String> = before[6..].iter().map(seq_of).collect();
    assert_eq!(
        &resumed[..4],
        &expected[..],
        "same sequence numbers after the restart"
    );
    assert_eq!(resumed.len(), 7, "no gap, no duplicate");
}

#[tokio::test]
async fn a_ttl_deletion_carries_the_service_identity() {
    use aws_sdk_dynamodb::types::TimeToLiveSpecification;
    let server = TestServer::start().await;
    let ddb = server.dynamodb().await;
    let streams = server.streams().await;
    let arn = table_with_stream(&server, "StrTtl").await;
    ddb.update_time_to_live()
        .table_name("StrTtl")
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("exp")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    for (pk, exp) in [("expires", now - 60), ("stays", now + 3_600)] {
        ddb.put_item()
            .table_name("StrTtl")
            .item("pk", s(pk))
            .item("exp", n(&exp.to_string()))
            .send()
            .await
            .unwrap();
    }
    ddb.delete_item()
        .table_name("StrTtl")
        .key("pk", s("stays"))
        .send()
        .await
        .unwrap();
    // AdvanceClock runs a TTL sweep.
    server.advance_clock(1).await;
    let shard = shard_ids(&streams, &arn).await.remove(0);
    let it = iterator(&streams, &arn, &shard, ShardIteratorType::TrimHorizon, None).await;
    let (records, _) = drain(&streams, it).await;
    // "<event> <pk> <userIdentity Type/PrincipalId, or ->".
    let seen: Vec<String> = records
        .iter()
        .map(|r| {
            let keys = r.dynamodb().unwrap().keys().unwrap();
            let who = r.user_identity().map_or("-".to_string(), |u| {
                format!("{}/{}", u.r#type().unwrap(), u.principal_id().unwrap())
            });
            format!(
                "{} {} {who}",
                r.event_name().unwrap().as_str(),
                keys["pk"].as_s().unwrap()
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            "INSERT expires -",
            "INSERT stays -",
            "REMOVE stays -",
            "REMOVE expires Service/dynamodb.amazonaws.com",
        ]
    );
}

#[tokio::test]
async fn a_deleted_tables_stream_stays_readable_for_a_day() {
    let server = TestServer::start().await;
    let ddb = server.dynamodb().await;
    let streams = server.streams().await;
    let arn = table_with_stream(&server, "StrDel").await;
    for i in 0..3 {
        ddb.put_item()
            .table_name("StrDel")
            .item("pk", s(&format!("k{i}")))
            .send()
            .await
            .unwrap();
    }
    let shard = shard_ids(&streams, &arn).await.remove(0);
    ddb.delete_table()
        .table_name("StrDel")
        .send()
        .await
        .unwrap();
    // A new table of the same name has no stream; the old one is listed.
    create_table(&ddb, "StrDel", ("pk", ScalarAttributeType::S), None).await;
    assert_eq!(latest_arn(&ddb, "StrDel").await, None);
    for filter in [None, Some("StrDel")] {
        let listed = streams
            .list_streams()
            .set_table_name(filter.map(str::to_string))
            .send()
            .await
            .unwrap();
        let arns: Vec<&str> = listed
            .streams()
            .iter()
            .filter_map(|s| s.stream_arn())
            .collect();
        assert_eq!(arns, vec![arn.as_str()], "{filter:?}");
    }
    let d = streams
        .describe_stream()
        .stream_arn(&arn)
        .send()
        .await
        .unwrap();
    let desc = d.stream_description().unwrap();
    assert_eq!(desc.stream_status().unwrap().as_str(), "DISABLED");
    let range = desc.shards()[0].sequence_number_range().unwrap();
    assert!(
        range.ending_sequence_number().is_some(),
        "the shard is closed"
    );
    let it = iterator(&streams, &arn, &shard, ShardIteratorType::TrimHorizon, None).await;
    let (records, next) = drain(&streams, it).await;
    assert_eq!(records.len(), 3);
    assert!(
        records
            .iter()
            .all(|r| r.event_name().unwrap().as_str() == "INSERT")
    );
    assert_eq!(next, None, "a closed shard, drained");

    // A day later it is gone.
    server.advance_clock(24 * HOUR + 1).await;
    let gone = streams.describe_stream().stream_arn(&arn).send().await;
    assert_eq!(
        failure(gone),
        (
            "ResourceNotFoundException".to_string(),
            format!("Requested resource not found: Stream: {arn} not found")
        )
    );
    let listed = streams.list_streams().send().await.unwrap();
    assert!(listed.streams().is_empty());
}

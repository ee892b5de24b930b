//! `kill -9` of the real binary while a stream consumer reads and a writer
//! writes: after the restart the consumer goes on from its last sequence
//! number and, in the end, has every acknowledged change exactly once, in
//! order, and its records rebuild the table.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use aws_sdk_dynamodb::types::{AttributeValue, ScalarAttributeType, StreamViewType};
use aws_sdk_dynamodbstreams::types::{OperationType, Record, ShardIteratorType};

use crate::common::{create_table, n, s};
use crate::faults::{DEADLINE, client_for, spawn_ferry, streams_for};
use crate::streams::{latest_arn, shard_ids, spec, to_ddb};

/// Item `i` of the writer: puts with a unique `v`, every fifth write a delete.
fn key_of(i: u64) -> String {
    format!("k{}", i % 13)
}

/// Every record after `after` (all: `None`) until a read brings nothing new.
async fn read_on(
    streams: &aws_sdk_dynamodbstreams::Client,
    arn: &str,
    shard: &str,
    after: Option<&str>,
) -> Vec<Record> {
    let (ty, seq) = match after {
        Some(seq) => (
            ShardIteratorType::AfterSequenceNumber,
            Some(seq.to_string()),
        ),
        None => (ShardIteratorType::TrimHorizon, None),
    };
    let mut it = streams
        .get_shard_iterator()
        .stream_arn(arn)
        .shard_id(shard)
        .shard_iterator_type(ty)
        .set_sequence_number(seq)
        .send()
        .await
        .unwrap()
        .shard_iterator()
        .unwrap()
        .to_string();
    let mut out = Vec::new();
    loop {
        let r = streams
            .get_records()
            .shard_iterator(&it)
            .limit(50)
            .send()
            .await
            .unwrap();
        if r.records().is_empty() {
            return out;
        }
        out.extend(r.records().iter().cloned());
        it = r.next_shard_iterator().unwrap().to_string();
    }
}

fn seq(r: &Record) -> String {
    r.dynamodb().unwrap().sequence_number().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_while_a_consumer_reads_then_it_resumes_without_gaps_or_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let ferry = spawn_ferry(&data).await;
    let ddb = client_for(&ferry.endpoint).await;
    create_table(&ddb, "cdc", ("pk", ScalarAttributeType::S), None).await;
    ddb.update_table()
        .table_name("cdc")
        .stream_specification(spec(true, Some(StreamViewType::NewAndOldImages)))
        .send()
        .await
        .unwrap();
    let arn = latest_arn(&ddb, "cdc").await.expect("a stream");
    let streams = streams_for(&ferry.endpoint).await;
    let shard = shard_ids(&streams, &arn).await.remove(0);

    // One writer, so its acknowledged writes have one order.
    let stop = Arc::new(AtomicBool::new(false));
    let acks = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (ddb, stop, acks) = (ddb.clone(), stop.clone(), acks.clone());
        tokio::spawn(async move {
            let mut acked = Vec::new();
            let mut i = 0u64;
            while !stop.load(Ordering::SeqCst) {
                let ok = if i % 5 == 4 {
                    ddb.delete_item()
                        .table_name("cdc")
                        .key("pk", s(&key_of(i)))
                        .send()
                        .await
                        .is_ok()
                } else {
                    ddb.put_item()
                        .table_name("cdc")
                        .item("pk", s(&key_of(i)))
                        .item("v", n(&i.to_string()))
                        .send()
                        .await
                        .is_ok()
                };
                if !ok {
                    break;
                }
                acked.push(i);
                acks.fetch_add(1, Ordering::SeqCst);
                i += 1;
            }
            acked
        })
    };

    // The consumer reads while the writer writes; the kill comes after a
    // fixed number of acknowledged writes and records read.
    let mut records: Vec<Record> = Vec::new();
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while records.len() < 150 || acks.load(Ordering::SeqCst) < 300 {
        let after = records.last().map(seq);
        records.extend(read_on(&streams, &arn, &shard, after.as_deref()).await);
        assert!(
            tokio::time::Instant::now() < deadline,
            "the consumer fell behind"
        );
    }
    ferry.kill9().await;
    stop.store(true, Ordering::SeqCst);
    let acked = writer.await.unwrap();
    assert!(acked.len() >= 300);

    // Restart; more writes; the consumer goes on from its last number.
    let ferry = spawn_ferry(&data).await;
    let ddb = client_for(&ferry.endpoint).await;
    let streams = streams_for(&ferry.endpoint).await;
    for i in 1_000_000..1_000_020u64 {
        ddb.put_item()
            .table_name("cdc")
            .item("pk", s(&key_of(i)))
            .item("v", n(&i.to_string()))
            .send()
            .await
            .unwrap();
    }
    let last = records.last().map(seq);
    records.extend(read_on(&streams, &arn, &shard, last.as_deref()).await);

    // No duplicate, in order.
    let seqs: Vec<u128> = records.iter().map(|r| seq(r).parse().unwrap()).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "sequence numbers increase"
    );
    // Every acknowledged put is there exactly once, in write order.
    let puts: Vec<u64> = records
        .iter()
        .filter_map(|r| r.dynamodb().unwrap().new_image())
        .map(|i| i["v"].as_n().unwrap().parse().unwrap())
        .collect();
    let mut wanted: Vec<u64> = acked.iter().copied().filter(|i| i % 5 != 4).collect();
    wanted.extend(1_000_000..1_000_020);
    let acked_puts: Vec<u64> = puts
        .iter()
        .copied()
        .filter(|v| wanted.binary_search(v).is_ok())
        .collect();
    assert_eq!(acked_puts, wanted, "every acknowledged put once, in order");
    // At most the one write in flight at the kill is there unacknowledged.
    assert!(puts.len() <= wanted.len() + 1, "{} puts", puts.len());

    // The records rebuild the table.
    let mut rebuilt: BTreeMap<String, HashMap<String, AttributeValue>> = BTreeMap::new();
    for r in &records {
        let d = r.dynamodb().unwrap();
        let pk = d.keys().unwrap()["pk"].as_s().unwrap().clone();
        match r.event_name().unwrap() {
            OperationType::Remove => {
                rebuilt.remove(&pk);
            }
            _ => {
                let img = d.new_image().unwrap();
                rebuilt.insert(
                    pk,
                    img.iter().map(|(k, v)| (k.clone(), to_ddb(v))).collect(),
                );
            }
        }
    }
    let scan = ddb.scan().table_name("cdc").send().await.unwrap();
    let table: BTreeMap<String, HashMap<String, AttributeValue>> = scan
        .items()
        .iter()
        .map(|i| (i["pk"].as_s().unwrap().clone(), i.clone()))
        .collect();
    assert_eq!(rebuilt, table);
    drop(ferry);
}

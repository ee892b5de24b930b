//! SDK tests: durability — a graceful restart keeps every table and item, and
//! so does `kill -9` of the real `ferry serve` process in the middle of a
//! write load: every acknowledged write is there after the restart.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::common::*;
use crate::faults::{client_for, spawn_ferry};
use aws_sdk_dynamodb::types::{
    BillingMode, GlobalSecondaryIndex, KeyType, Projection, ProjectionType, ScalarAttributeType,
};

#[tokio::test]
async fn restart_keeps_tables_indexes_and_items() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    client
        .create_table()
        .table_name("keep")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr_def("id", ScalarAttributeType::S))
        .attribute_definitions(attr_def("g", ScalarAttributeType::N))
        .key_schema(key_element("id", KeyType::Hash))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("by-g")
                .key_schema(key_element("g", KeyType::Hash))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    create_table(&client, "other", ("k", ScalarAttributeType::N), None).await;
    for i in 0..50 {
        client
            .put_item()
            .table_name("keep")
            .item("id", s(&format!("i{i}")))
            .item("g", n(&(i % 5).to_string()))
            .item("v", n("1.50"))
            .send()
            .await
            .unwrap();
    }
    client
        .delete_item()
        .table_name("keep")
        .key("id", s("i0"))
        .send()
        .await
        .unwrap();
    let before = client
        .describe_table()
        .table_name("keep")
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    let dir = server.stop().await;

    let server = TestServer::start_in(dir, |_| {}).await;
    let client = server.dynamodb().await;
    let tables = client.list_tables().send().await.unwrap();
    assert_eq!(tables.table_names(), &["keep", "other"]);
    let after = client
        .describe_table()
        .table_name("keep")
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(after.table_id(), before.table_id());
    assert_eq!(after.creation_date_time(), before.creation_date_time());
    assert_eq!(after.item_count(), Some(49));
    assert_eq!(
        after.global_secondary_indexes()[0].index_name(),
        Some("by-g")
    );
    let got = client
        .get_item()
        .table_name("keep")
        .key("id", s("i7"))
        .send()
        .await
        .unwrap();
    assert_eq!(got.item().unwrap()["v"], n("1.5"));
    assert!(
        client
            .get_item()
            .table_name("keep")
            .key("id", s("i0"))
            .send()
            .await
            .unwrap()
            .item()
            .is_none()
    );
    let q = client
        .query()
        .table_name("keep")
        .index_name("by-g")
        .key_condition_expression("g = :g")
        .expression_attribute_values(":g", n("2"))
        .send()
        .await
        .unwrap();
    assert_eq!(q.count(), 10);
    let scan = client
        .scan()
        .table_name("keep")
        .select(aws_sdk_dynamodb::types::Select::Count)
        .send()
        .await
        .unwrap();
    assert_eq!(scan.count(), 49);
    server.stop().await;
}

#[tokio::test]
async fn kill_9_keeps_every_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut child = spawn_ferry(&data).await;
    let client = client_for(&child.endpoint).await;
    create_table(
        &client,
        "crash",
        ("id", ScalarAttributeType::S),
        Some(("n", ScalarAttributeType::N)),
    )
    .await;

    // Writers run until the kill; each records what the server acknowledged.
    // The kill comes once a fixed number of writes were acknowledged (never
    // after a fixed time: the result must not depend on the machine's speed).
    let stop = Arc::new(AtomicBool::new(false));
    let acks = Arc::new(AtomicUsize::new(0));
    let mut writers = Vec::new();
    for w in 0..4 {
        let client = client.clone();
        let stop = stop.clone();
        let acks = acks.clone();
        writers.push(tokio::spawn(async move {
            let mut acked: Vec<(String, i64, String)> = Vec::new();
            let mut i = 0i64;
            while !stop.load(Ordering::Relaxed) {
                let id = format!("w{w}");
                let payload = format!("value-{w}-{i}");
                let r = client
                    .put_item()
                    .table_name("crash")
                    .item("id", s(&id))
                    .item("n", n(&i.to_string()))
                    .item("payload", s(&payload))
                    .send()
                    .await;
                match r {
                    Ok(_) => {
                        acked.push((id, i, payload));
                        acks.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => break,
                }
                i += 1;
            }
            acked
        }));
    }
    const BEFORE_KILL: usize = 200;
    let seen = acks.clone();
    wait_until(JOB_TIMEOUT, "writes to be acknowledged", || {
        let seen = seen.clone();
        async move { (seen.load(Ordering::Relaxed) >= BEFORE_KILL).then_some(()) }
    })
    .await;
    child.process.start_kill().expect("SIGKILL");
    child.process.wait().await.unwrap();
    stop.store(true, Ordering::Relaxed);
    let mut acked = Vec::new();
    for w in writers {
        acked.extend(w.await.unwrap());
    }
    assert!(acked.len() >= BEFORE_KILL, "{} acknowledged", acked.len());

    let child = spawn_ferry(&data).await;
    let client = client_for(&child.endpoint).await;
    let mut present: HashMap<(String, String), String> = HashMap::new();
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name("crash")
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        for it in page.items() {
            let key = (
                it["id"].as_s().unwrap().clone(),
                it["n"].as_n().unwrap().clone(),
            );
            present.insert(key, it["payload"].as_s().unwrap().clone());
        }
        match page.last_evaluated_key() {
            Some(k) => start = Some(k.clone()),
            None => break,
        }
    }
    for (id, i, payload) in &acked {
        let got = present.get(&(id.clone(), i.to_string()));
        assert_eq!(
            got,
            Some(payload),
            "acknowledged write {id}/{i} lost after kill -9"
        );
    }
    let described = client
        .describe_table()
        .table_name("crash")
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(described.key_schema().len(), 2);
    drop(child);
}

//! `kill -9` of the real binary while a background job runs (an export, a
//! restore, a GSI backfill, a TTL sweep, a PITR prune pass), right after the request that
//! started it was answered (`kill -9` during an import is
//! `imports::durability::kill_9_mid_import_resumes_on_restart`). After a restart the job is resumed and reports
//! success only with all its data, every acknowledged write is there, and
//! the server serves again.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeValue, ExportStatus, GlobalSecondaryIndexUpdate, IndexStatus, KeyType, Projection,
    ProjectionType, PutRequest, ScalarAttributeType, TableStatus, WriteRequest,
};

use super::*;
use crate::common::{attr_def, create_table, key_element, n, raw_post, s};

/// Writes items `id-00000 ..` with attributes `g` (one of 7), `v`, and
/// `exp` (epoch seconds: long past for even items, far ahead for odd ones)
/// through BatchWriteItem; returns them by id.
async fn load(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    count: usize,
) -> BTreeMap<String, HashMap<String, AttributeValue>> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut all = BTreeMap::new();
    let mut batch = Vec::new();
    for i in 0..count {
        let exp = if i % 2 == 0 {
            now - 1_000
        } else {
            now + 10_000_000
        };
        let id = format!("id-{i:05}");
        let item: HashMap<String, AttributeValue> = [
            ("id".to_string(), s(&id)),
            ("g".to_string(), s(&format!("g{}", i % 7))),
            (
                "v".to_string(),
                s(&format!("value {i} {}", "v".repeat(i % 50))),
            ),
            ("exp".to_string(), n(&exp.to_string())),
        ]
        .into();
        all.insert(id, item.clone());
        batch.push(
            WriteRequest::builder()
                .put_request(PutRequest::builder().set_item(Some(item)).build().unwrap())
                .build(),
        );
        if batch.len() == 25 || i + 1 == count {
            let out = client
                .batch_write_item()
                .request_items(table, std::mem::take(&mut batch))
                .send()
                .await
                .unwrap();
            assert!(out.unprocessed_items().is_none_or(|u| u.is_empty()));
        }
    }
    all
}

/// A table `id` (S) with PITR on, loaded with `count` items.
async fn pitr_source(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    count: usize,
) -> BTreeMap<String, HashMap<String, AttributeValue>> {
    create_table(client, table, ("id", ScalarAttributeType::S), None).await;
    crate::pitr::enable_pitr(client, table).await;
    load(client, table, count).await
}

/// Whether `load` wrote `item` with an expiry time in the past.
fn expired(item: &HashMap<String, AttributeValue>) -> bool {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    item["exp"].as_n().unwrap().parse::<u64>().unwrap() < now
}

/// UpdateTable adding the KEYS_ONLY GSI `by-g` on `g` (not yet sent).
fn add_gsi(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
) -> impl std::future::Future<
    Output = Result<
        aws_sdk_dynamodb::operation::update_table::UpdateTableOutput,
        aws_sdk_dynamodb::error::SdkError<
            aws_sdk_dynamodb::operation::update_table::UpdateTableError,
        >,
    >,
> + Send
+ 'static {
    client
        .update_table()
        .table_name(table)
        .attribute_definitions(attr_def("g", ScalarAttributeType::S))
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder()
                .create(
                    aws_sdk_dynamodb::types::CreateGlobalSecondaryIndexAction::builder()
                        .index_name("by-g")
                        .key_schema(key_element("g", KeyType::Hash))
                        .projection(
                            Projection::builder()
                                .projection_type(ProjectionType::KeysOnly)
                                .build(),
                        )
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
}

/// How many entries the index `by-g` holds for each of the 7 values of `g`.
async fn index_counts(client: &aws_sdk_dynamodb::Client, table: &str) -> Vec<usize> {
    let mut counts = Vec::new();
    for g in 0..7 {
        let mut count = 0;
        let mut start = None;
        loop {
            let page = client
                .query()
                .table_name(table)
                .index_name("by-g")
                .key_condition_expression("g = :g")
                .expression_attribute_values(":g", s(&format!("g{g}")))
                .set_exclusive_start_key(start)
                .send()
                .await
                .unwrap();
            count += page.count() as usize;
            match page.last_evaluated_key() {
                Some(k) => start = Some(k.clone()),
                None => break,
            }
        }
        counts.push(count);
    }
    counts
}

/// The same per-`g` counts, from the items themselves.
fn counts_by_g(items: &BTreeMap<String, HashMap<String, AttributeValue>>) -> Vec<usize> {
    (0..7)
        .map(|g| {
            let v = s(&format!("g{g}"));
            items.values().filter(|i| i["g"] == v).count()
        })
        .collect()
}

#[tokio::test]
async fn kill_9_during_an_export_then_it_completes_with_every_item() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let ferry = spawn_ferry(&data).await;
    let (client, s3) = (ferry.client().await, ferry.s3().await);
    s3.create_bucket().bucket("out").send().await.unwrap();
    let items = pitr_source(&client, "src", 5_000).await;
    let export_arn = client
        .export_table_to_point_in_time()
        .table_arn("arn:aws:dynamodb:us-east-1:000000000000:table/src")
        .s3_bucket("out")
        .send()
        .await
        .unwrap()
        .export_description()
        .and_then(|d| d.export_arn())
        .unwrap()
        .to_string();
    ferry.kill9().await;

    let ferry = spawn_ferry(&data).await;
    let (client, s3) = (ferry.client().await, ferry.s3().await);
    let d = crate::exports::wait_export(&client, &export_arn).await;
    assert_eq!(
        d.export_status(),
        Some(&ExportStatus::Completed),
        "{:?}",
        d.failure_message()
    );
    let out = crate::exports::read_export(&s3, "out", &d).await;
    let exported: Vec<String> = crate::exports::json_lines(&out)
        .iter()
        .map(|line| line["Item"]["id"]["S"].as_str().unwrap().to_string())
        .collect();
    let mut sorted = exported.clone();
    sorted.sort();
    assert_eq!(sorted, items.keys().cloned().collect::<Vec<_>>());
    assert_eq!(scan_all(&client, "src", "id").await, items);
    ferry.kill9().await;
}

#[tokio::test]
async fn kill_9_during_a_restore_then_the_target_holds_every_item() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let ferry = spawn_ferry(&data).await;
    let client = ferry.client().await;
    let items = pitr_source(&client, "src", 5_000).await;
    let out = client
        .restore_table_to_point_in_time()
        .source_table_name("src")
        .target_table_name("dst")
        .use_latest_restorable_time(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.table_description().unwrap().table_status(),
        Some(&TableStatus::Creating)
    );
    ferry.kill9().await;

    let ferry = spawn_ferry(&data).await;
    let client = ferry.client().await;
    let c = &client;
    until("the restored table to become ACTIVE", || async move {
        let d = c.describe_table().table_name("dst").send().await;
        let d = d.unwrap_or_else(|e| panic!("the restore target vanished: {e:?}"));
        (d.table().unwrap().table_status() == Some(&TableStatus::Active)).then_some(())
    })
    .await;
    assert_eq!(scan_all(&client, "dst", "id").await, items);
    assert_eq!(scan_all(&client, "src", "id").await, items);
    ferry.kill9().await;
}

#[tokio::test]
async fn kill_9_during_a_gsi_backfill_resumes_and_the_index_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let ferry = spawn_ferry(&data).await;
    let client = ferry.client().await;
    create_table(&client, "gsi", ("id", ScalarAttributeType::S), None).await;
    let items = load(&client, "gsi", 60_000).await;
    // UpdateTable answers at once, the backfill under way: kill then.
    let out = add_gsi(&client, "gsi").await.unwrap();
    let created = out.table_description().unwrap().global_secondary_indexes()[0].clone();
    assert_eq!(created.index_status(), Some(&IndexStatus::Creating));
    assert_eq!(created.backfilling(), Some(true));
    ferry.kill9().await;

    let ferry = spawn_ferry(&data).await;
    let client = ferry.client().await;
    let c = &client;
    let index = until("the index to become ACTIVE", || async move {
        let d = c.describe_table().table_name("gsi").send().await.ok()?;
        let gsi = d.table()?.global_secondary_indexes().first()?.clone();
        assert_eq!(
            gsi.index_name(),
            Some("by-g"),
            "the index survives the kill"
        );
        (gsi.index_status() == Some(&IndexStatus::Active)).then_some(gsi)
    })
    .await;
    // Every item is in the index, once, and the figures say so.
    assert_eq!(index_counts(&client, "gsi").await, counts_by_g(&items));
    assert_eq!(index.item_count(), Some(items.len() as i64));
    assert_eq!(scan_all(&client, "gsi", "id").await, items);
    ferry.kill9().await;
}

#[tokio::test]
async fn kill_9_during_a_ttl_sweep_deletes_only_expired_items_consistently() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut launch = Launch::new(&data);
    launch.test_clock = true;
    let ferry = launch.spawn().await.expect("ferry starts");
    let client = ferry.client().await;
    create_table(&client, "ttl", ("id", ScalarAttributeType::S), None).await;
    add_gsi(&client, "ttl").await.unwrap();
    let items = load(&client, "ttl", 20_000).await;
    client
        .update_time_to_live()
        .table_name("ttl")
        .time_to_live_specification(
            aws_sdk_dynamodb::types::TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("exp")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    // `FerryTest.AdvanceClock` runs a sweep; kill once it has deleted some.
    let addr: std::net::SocketAddr = ferry
        .endpoint
        .strip_prefix("http://")
        .unwrap()
        .parse()
        .unwrap();
    let sweep = tokio::spawn(async move {
        raw_post(
            addr,
            &[("X-Amz-Target", "FerryTest.AdvanceClock")],
            r#"{"Micros":0}"#,
        )
        .await
    });
    let c = &client;
    until("the sweep to delete items", || async move {
        let d = c.describe_table().table_name("ttl").send().await.ok()?;
        (d.table()?.item_count()? < 20_000).then_some(())
    })
    .await;
    ferry.kill9().await;
    let _ = sweep.await;

    let ferry = launch.spawn().await.expect("ferry restarts");
    let client = ferry.client().await;
    let after = scan_all(&client, "ttl", "id").await;
    for (id, item) in &items {
        match after.get(id) {
            Some(got) => assert_eq!(got, item, "{id}"),
            None => assert!(expired(item), "the unexpired item {id} was deleted"),
        }
    }
    let d = client
        .describe_table()
        .table_name("ttl")
        .send()
        .await
        .unwrap();
    assert_eq!(d.table().unwrap().item_count(), Some(after.len() as i64));
    assert_eq!(index_counts(&client, "ttl").await, counts_by_g(&after));

    // The next sweep deletes the rest of the expired items.
    let r = raw_post(
        ferry
            .endpoint
            .strip_prefix("http://")
            .unwrap()
            .parse()
            .unwrap(),
        &[("X-Amz-Target", "FerryTest.AdvanceClock")],
        r#"{"Micros":0}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let unexpired: BTreeMap<_, _> = items.into_iter().filter(|(_, i)| !expired(i)).collect();
    let after = scan_all(&client, "ttl", "id").await;
    assert_eq!(after, unexpired);
    assert_eq!(index_counts(&client, "ttl").await, counts_by_g(&after));
    ferry.kill9().await;
}

/// `FerryTest.AdvanceClock` of `micros` on a test-clock binary (it runs a
/// TTL sweep and a PITR prune pass before answering).
async fn advance(endpoint: &str, micros: i64) -> crate::common::RawResponse {
    raw_post(
        endpoint.strip_prefix("http://").unwrap().parse().unwrap(),
        &[("X-Amz-Target", "FerryTest.AdvanceClock")],
        &format!(r#"{{"Micros":{micros}}}"#),
    )
    .await
}

/// The table `table` restored (as `target`) to `micros`, scanned.
async fn restored_at(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    target: &str,
    micros: i64,
) -> BTreeMap<String, HashMap<String, AttributeValue>> {
    client
        .restore_table_to_point_in_time()
        .source_table_name(table)
        .target_table_name(target)
        .restore_date_time(crate::pitr::datetime(micros))
        .send()
        .await
        .unwrap();
    until("the restored table to become ACTIVE", || async move {
        let d = client
            .describe_table()
            .table_name(target)
            .send()
            .await
            .ok()?;
        (d.table()?.table_status() == Some(&TableStatus::Active)).then_some(())
    })
    .await;
    scan_all(client, target, "id").await
}

#[tokio::test]
async fn kill_9_during_pitr_pruning_loses_nothing_and_keeps_history_consistent() {
    use aws_sdk_dynamodb::types::DeleteRequest;
    const DAY: i64 = 24 * 3600 * 1_000_000;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut launch = Launch::new(&data);
    launch.test_clock = true;
    let ferry = launch.spawn().await.expect("ferry starts");
    let client = ferry.client().await;
    // Three versions of every item, then a tombstone for every tenth: all
    // of it history a prune pass removes once it is 35 days old.
    pitr_source(&client, "pruned", 6_000).await;
    load(&client, "pruned", 6_000).await;
    let mut items = load(&client, "pruned", 6_000).await;
    let doomed: Vec<String> = items.keys().step_by(10).cloned().collect();
    for chunk in doomed.chunks(25) {
        let requests = chunk
            .iter()
            .map(|id| {
                WriteRequest::builder()
                    .delete_request(DeleteRequest::builder().key("id", s(id)).build().unwrap())
                    .build()
            })
            .collect();
        let out = client
            .batch_write_item()
            .request_items("pruned", requests)
            .send()
            .await
            .unwrap();
        assert!(out.unprocessed_items().is_none_or(|u| u.is_empty()));
    }
    for id in &doomed {
        items.remove(id);
    }
    let written = crate::pitr::server_now(&client, "pruned").await;

    // 36 days on: the prune pass starts once the clock has moved; kill then.
    // The request is sent, its answer never read (the process dies first).
    let body = format!(r#"{{"Micros":{}}}"#, 36 * DAY);
    let addr = ferry.endpoint.strip_prefix("http://").unwrap();
    let mut pending = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nX-Amz-Target: FerryTest.AdvanceClock\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    tokio::io::AsyncWriteExt::write_all(&mut pending, request.as_bytes())
        .await
        .unwrap();
    let c = &client;
    until("the clock to move 36 days", || async move {
        let d = c
            .describe_continuous_backups()
            .table_name("pruned")
            .send()
            .await
            .ok()?;
        let p = d
            .continuous_backups_description()?
            .point_in_time_recovery_description()?;
        (crate::pitr::micros(p.latest_restorable_date_time()?) >= written + 36 * DAY).then_some(())
    })
    .await;
    ferry.kill9().await;
    drop(pending);

    // Every acknowledged write is there, and a finished prune pass keeps
    // what a read at the window's start sees: the same items.
    let ferry = launch.spawn().await.expect("ferry restarts");
    let client = ferry.client().await;
    assert_eq!(scan_all(&client, "pruned", "id").await, items);
    let r = advance(&ferry.endpoint, 36 * DAY).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(scan_all(&client, "pruned", "id").await, items);
    let d = client
        .describe_continuous_backups()
        .table_name("pruned")
        .send()
        .await
        .unwrap();
    let p = d
        .continuous_backups_description()
        .unwrap()
        .point_in_time_recovery_description()
        .unwrap();
    let earliest = crate::pitr::micros(p.earliest_restorable_date_time().unwrap());
    assert!(earliest > written, "every write is older than the window");
    // (A second in: the answer's times are rounded to seconds.)
    let at = earliest + 1_000_000;
    assert_eq!(restored_at(&client, "pruned", "at-start", at).await, items);
    let d = client
        .describe_table()
        .table_name("pruned")
        .send()
        .await
        .unwrap();
    assert_eq!(d.table().unwrap().item_count(), Some(items.len() as i64));
    ferry.kill9().await;
}

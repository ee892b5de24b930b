//! Online GSI creation: UpdateTable answers at once with the index CREATING
//! and `Backfilling`, the table keeps taking writes, reads of the index
//! (Query, Scan, PartiQL SELECT) are refused until it is ACTIVE, DynamoDB's
//! one-online-index-at-a-time rule, and the finished index equals the index
//! recomputed from the table, with exact `ItemCount` and `IndexSizeBytes`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeValue, CreateGlobalSecondaryIndexAction, DeleteGlobalSecondaryIndexAction,
    GlobalSecondaryIndexDescription, GlobalSecondaryIndexUpdate, IndexStatus, KeyType, Projection,
    ProjectionType, PutRequest, ScalarAttributeType, WriteRequest,
};

use crate::common::{TestServer, attr_def, create_table, failure, key_element, n, s};

/// How long a backfill may take before a test gives up.
const DEADLINE: Duration = Duration::from_secs(600);

/// Item `i`: `g` (one of 13 values) is missing on every tenth item, which the
/// index then leaves out.
pub(crate) fn row(i: u64, round: u64) -> HashMap<String, AttributeValue> {
    let mut it: HashMap<String, AttributeValue> = [
        ("id".to_string(), s(&format!("id-{i:07}"))),
        ("v".to_string(), n(&(i * 3 + round).to_string())),
        (
            "pad".to_string(),
            s(&"p".repeat(((i + round) % 40) as usize)),
        ),
    ]
    .into();
    if !(i + round).is_multiple_of(10) {
        it.insert("g".to_string(), s(&format!("g{}", (i + round) % 13)));
    }
    it
}

/// Writes rows `0..count` with BatchWriteItem, `tasks` requests at a time.
pub(crate) async fn load(client: &Client, table: &str, count: u64, tasks: u64) {
    let mut handles = Vec::new();
    for t in 0..tasks {
        let (client, table) = (client.clone(), table.to_string());
        handles.push(tokio::spawn(async move {
            let mut i = t * 25;
            while i < count {
                let reqs: Vec<WriteRequest> = (i..(i + 25).min(count))
                    .map(|j| {
                        let put = PutRequest::builder().set_item(Some(row(j, 0)));
                        WriteRequest::builder()
                            .put_request(put.build().unwrap())
                            .build()
                    })
                    .collect();
                let mut pending = HashMap::from([(table.clone(), reqs)]);
                while !pending.is_empty() {
                    let out = client
                        .batch_write_item()
                        .set_request_items(Some(pending))
                        .send()
                        .await
                        .unwrap();
                    pending = out.unprocessed_items.unwrap_or_default();
                }
                i += 25 * tasks;
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
}

/// UpdateTable creating the GSI `name` on `g` (S) with projection `ty`.
pub(crate) async fn create_gsi(
    client: &Client,
    table: &str,
    name: &str,
    ty: ProjectionType,
) -> Result<
    aws_sdk_dynamodb::operation::update_table::UpdateTableOutput,
    aws_sdk_dynamodb::error::SdkError<aws_sdk_dynamodb::operation::update_table::UpdateTableError>,
> {
    let action = CreateGlobalSecondaryIndexAction::builder()
        .index_name(name)
        .key_schema(key_element("g", KeyType::Hash))
        .projection(Projection::builder().projection_type(ty).build())
        .build()
        .unwrap();
    client
        .update_table()
        .table_name(table)
        .attribute_definitions(attr_def("g", ScalarAttributeType::S))
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder().create(action).build(),
        )
        .send()
        .await
}

async fn gsi(client: &Client, table: &str, name: &str) -> Option<GlobalSecondaryIndexDescription> {
    let d = client
        .describe_table()
        .table_name(table)
        .send()
        .await
        .unwrap();
    let t = d.table.unwrap();
    t.global_secondary_indexes
        .unwrap_or_default()
        .into_iter()
        .find(|i| i.index_name() == Some(name))
}

/// Polls DescribeTable until the index is ACTIVE (without `Backfilling`).
pub(crate) async fn wait_active(client: &Client, table: &str, name: &str) {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let g = gsi(client, table, name).await.expect("the index is listed");
        if g.index_status() == Some(&IndexStatus::Active) {
            assert_eq!(g.backfilling(), None, "Backfilling is left out once ACTIVE");
            return;
        }
        assert_eq!(g.index_status(), Some(&IndexStatus::Creating));
        assert_eq!(g.backfilling(), Some(true));
        assert!(
            tokio::time::Instant::now() < deadline,
            "{name} never became ACTIVE"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn scan(
    client: &Client,
    table: &str,
    index: Option<&str>,
) -> Vec<HashMap<String, AttributeValue>> {
    let mut out = Vec::new();
    let mut start = None;
    loop {
        let r = client
            .scan()
            .table_name(table)
            .set_index_name(index.map(str::to_string))
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        out.extend(r.items.unwrap_or_default());
        start = r.last_evaluated_key;
        if start.is_none() {
            return out;
        }
    }
}

/// Asserts that the ALL-projection index `name` on `g` holds exactly the
/// items of the table that have `g` (Scan of the table vs Scan of the
/// index), and that its `ItemCount` says so.
pub(crate) async fn assert_index_is_exact(client: &Client, table: &str, name: &str) {
    let id = |it: &HashMap<String, AttributeValue>| it["id"].as_s().unwrap().clone();
    let want: BTreeMap<String, HashMap<String, AttributeValue>> = scan(client, table, None)
        .await
        .into_iter()
        .filter(|it| matches!(it.get("g"), Some(AttributeValue::S(_))))
        .map(|it| (id(&it), it))
        .collect();
    let entries = scan(client, table, Some(name)).await;
    let got: BTreeMap<_, _> = entries.iter().map(|it| (id(it), it.clone())).collect();
    assert_eq!(entries.len(), got.len(), "one entry per item");
    assert_eq!(got.len(), want.len(), "entries of {name}");
    assert!(
        got == want,
        "the entries of {name} differ from the table's items"
    );
    let g = gsi(client, table, name).await.unwrap();
    assert_eq!(
        g.item_count(),
        Some(want.len() as i64),
        "ItemCount of {name}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_gsi_created_over_500000_items_while_a_client_writes_is_exact() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(&client, "big", ("id", ScalarAttributeType::S), None).await;
    load(&client, "big", 500_000, 8).await;

    // Another client writes (puts, updates that move or drop the index key,
    // deletes, new items) for the whole backfill.
    let stop = Arc::new(AtomicBool::new(false));
    let writes = Arc::new(AtomicU64::new(0));
    let writer = {
        let (client, stop, writes) = (client.clone(), stop.clone(), writes.clone());
        tokio::spawn(async move {
            let mut round = 1u64;
            while !stop.load(Ordering::SeqCst) {
                let i = (round * 7_919) % 520_000;
                if round.is_multiple_of(4) {
                    client
                        .delete_item()
                        .table_name("big")
                        .key("id", s(&format!("id-{i:07}")))
                        .send()
                        .await
                        .unwrap();
                } else {
                    client
                        .put_item()
                        .table_name("big")
                        .set_item(Some(row(i, round)))
                        .send()
                        .await
                        .unwrap();
                }
                writes.fetch_add(1, Ordering::SeqCst);
                round += 1;
            }
        })
    };

    let out = create_gsi(&client, "big", "by-g", ProjectionType::All)
        .await
        .unwrap();
    let desc = out.table_description.unwrap();
    let g = &desc.global_secondary_indexes()[0];
    assert_eq!(g.index_status(), Some(&IndexStatus::Creating));
    assert_eq!(g.backfilling(), Some(true));
    assert_eq!(
        desc.table_status(),
        Some(&aws_sdk_dynamodb::types::TableStatus::Active)
    );

    // Reads of the index are refused while it is backfilling.
    let q = client
        .query()
        .table_name("big")
        .index_name("by-g")
        .key_condition_expression("g = :g")
        .expression_attribute_values(":g", s("g1"))
        .send()
        .await;
    let msg = "Cannot read from backfilling global secondary index: by-g";
    assert_eq!(
        failure(q),
        ("ValidationException".to_string(), msg.to_string())
    );
    let sc = client
        .scan()
        .table_name("big")
        .index_name("by-g")
        .send()
        .await;
    assert_eq!(
        failure(sc),
        ("ValidationException".to_string(), msg.to_string())
    );
    // PartiQL's SELECT on the index is refused the same way.
    let select = client
        .execute_statement()
        .statement(r#"SELECT * FROM "big"."by-g" WHERE g = 'g1'"#)
        .send()
        .await;
    assert_eq!(
        failure(select),
        ("ValidationException".to_string(), msg.to_string())
    );

    // One online index at a time: a second one is refused and changes nothing.
    let again = create_gsi(&client, "big", "by-g2", ProjectionType::KeysOnly).await;
    assert_eq!(
        failure(again),
        (
            "LimitExceededException".to_string(),
            "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table".to_string()
        )
    );
    assert!(gsi(&client, "big", "by-g2").await.is_none());

    wait_active(&client, "big", "by-g").await;
    let during = writes.load(Ordering::SeqCst);
    stop.store(true, Ordering::SeqCst);
    writer.await.unwrap();
    eprintln!("{during} writes by the other client while the index was created");
    assert_index_is_exact(&client, "big", "by-g").await;
}

#[tokio::test]
async fn deleting_an_index_while_it_is_created_cancels_it() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(&client, "tbl", ("id", ScalarAttributeType::S), None).await;
    load(&client, "tbl", 20_000, 4).await;
    let before = scan(&client, "tbl", None).await.len();
    create_gsi(&client, "tbl", "by-g", ProjectionType::KeysOnly)
        .await
        .unwrap();
    let del = DeleteGlobalSecondaryIndexAction::builder()
        .index_name("by-g")
        .build()
        .unwrap();
    client
        .update_table()
        .table_name("tbl")
        .global_secondary_index_updates(GlobalSecondaryIndexUpdate::builder().delete(del).build())
        .send()
        .await
        .unwrap();
    assert!(gsi(&client, "tbl", "by-g").await.is_none());
    assert_eq!(scan(&client, "tbl", None).await.len(), before);
    // The name can be used again, and the new index is complete.
    create_gsi(&client, "tbl", "by-g", ProjectionType::All)
        .await
        .unwrap();
    wait_active(&client, "tbl", "by-g").await;
    assert_index_is_exact(&client, "tbl", "by-g").await;
}

#[tokio::test]
async fn index_figures_follow_puts_deletes_and_the_backfill() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(&client, "fig", ("id", ScalarAttributeType::S), None).await;
    // Every item has `g` (rows whose index is a multiple of 10 lack it).
    let with_g = |i: u64| row(i * 10 + 1, 0);
    for i in 0..300 {
        client
            .put_item()
            .table_name("fig")
            .set_item(Some(with_g(i)))
            .send()
            .await
            .unwrap();
    }
    create_gsi(&client, "fig", "all", ProjectionType::All)
        .await
        .unwrap();
    wait_active(&client, "fig", "all").await;
    let figures = |client: Client| async move {
        let d = client
            .describe_table()
            .table_name("fig")
            .send()
            .await
            .unwrap();
        let t = d.table.unwrap();
        let g = t.global_secondary_indexes()[0].clone();
        (
            (t.item_count(), t.table_size_bytes()),
            (g.item_count(), g.index_size_bytes()),
        )
    };
    // An ALL index holding every item is as large as the table.
    let (table, index) = figures(client.clone()).await;
    assert_eq!(table.0, Some(300));
    assert_eq!(index, table);
    for i in 0..50 {
        client
            .delete_item()
            .table_name("fig")
            .key("id", with_g(i)["id"].clone())
            .send()
            .await
            .unwrap();
    }
    for i in 300..320 {
        client
            .put_item()
            .table_name("fig")
            .set_item(Some(with_g(i)))
            .send()
            .await
            .unwrap();
    }
    let (table, index) = figures(client.clone()).await;
    assert_eq!(table.0, Some(270));
    assert_eq!(index, table);
    // An item without `g` counts for the table only.
    client
        .put_item()
        .table_name("fig")
        .set_item(Some(row(0, 0)))
        .send()
        .await
        .unwrap();
    let (table, index) = figures(client.clone()).await;
    assert_eq!(table.0, Some(271));
    assert_eq!(index.0, Some(270));
    assert!(index.1 < table.1);
    assert_index_is_exact(&client, "fig", "all").await;
}

//! SDK tests of DynamoDB's item limits on every write path (docs/limits.md):
//! nesting depth of the item an UpdateItem produces, table and index key
//! sizes, attribute names, key attribute names in CreateTable, the GSI
//! backfill leaving out unfit items, and a binary Ion import nested 3,000
//! deep. Every refusal is checked to have changed nothing.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeValue, BillingMode, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndex,
    GlobalSecondaryIndexUpdate, ImportStatus, InputFormat, KeyType, LocalSecondaryIndex,
    Projection, ProjectionType, PutRequest, ScalarAttributeType, WriteRequest,
};

use crate::common::*;
use crate::imports::{bucket, log_messages, params, put, scan_all, source, start, wait};

const TOO_DEEP: &str = "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit";
const HASH_TOO_LONG: &str = "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes";
const RANGE_TOO_LONG: &str = "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes";
const EMPTY_NAME: &str =
    "One or more parameter values were invalid: An attribute name cannot be empty";

type Item = HashMap<String, AttributeValue>;

/// `levels` maps `{a: {a: …}}` around `leaf` (0 = the leaf itself).
fn maps(levels: usize, leaf: AttributeValue) -> AttributeValue {
    (0..levels).fold(leaf, |v, _| AttributeValue::M(item(&[("a", v)])))
}

async fn get(client: &aws_sdk_dynamodb::Client, table: &str, key: Item) -> Option<Item> {
    client
        .get_item()
        .table_name(table)
        .set_key(Some(key))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
}

/// Issue 9 item 2: `SET a.a…(31 levels) = <value nested 32 deep>` made an
/// item 62 levels deep; past 64 levels it poisoned the table.
#[tokio::test]
async fn update_cannot_make_an_item_too_deep() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(&client, "deep", ("id", ScalarAttributeType::S), None).await;
    // `a` holds 30 maps; the innermost is empty.
    let original = item(&[
        ("id", s("k")),
        ("a", maps(29, AttributeValue::M(HashMap::new()))),
    ]);
    client
        .put_item()
        .table_name("deep")
        .set_item(Some(original.clone()))
        .send()
        .await
        .unwrap();
    let path = vec!["a"; 31].join(".");
    // 31 levels of maps around a scalar: 32 levels, a valid value.
    let value = maps(31, s("leaf"));
    assert_validation(
        client
            .update_item()
            .table_name("deep")
            .key("id", s("k"))
            .update_expression(format!("SET {path} = :v"))
            .expression_attribute_values(":v", value.clone())
            .send()
            .await,
        TOO_DEEP,
    );
    // Nothing changed; the table still reads and scans.
    assert_eq!(
        get(&client, "deep", item(&[("id", s("k"))])).await,
        Some(original.clone())
    );
    let scanned = client.scan().table_name("deep").send().await.unwrap();
    assert_eq!(scanned.items.unwrap_or_default(), vec![original]);
}

async fn indexed_table(client: &aws_sdk_dynamodb::Client, name: &str) {
    let projection = || {
        Projection::builder()
            .projection_type(ProjectionType::All)
            .build()
    };
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr_def("id", ScalarAttributeType::S))
        .attribute_definitions(attr_def("r", ScalarAttributeType::S))
        .attribute_definitions(attr_def("gh", ScalarAttributeType::S))
        .attribute_definitions(attr_def("gr", ScalarAttributeType::S))
        .attribute_definitions(attr_def("lr", ScalarAttributeType::B))
        .key_schema(key_element("id", KeyType::Hash))
        .key_schema(key_element("r", KeyType::Range))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("gsi")
                .key_schema(key_element("gh", KeyType::Hash))
                .key_schema(key_element("gr", KeyType::Range))
                .projection(projection())
                .build()
                .unwrap(),
        )
        .local_secondary_indexes(
            LocalSecondaryIndex::builder()
                .index_name("lsi")
                .key_schema(key_element("id", KeyType::Hash))
                .key_schema(key_element("lr", KeyType::Range))
                .projection(projection())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

/// Issue 12 item 1: table and index key sizes on PutItem, UpdateItem and
/// BatchWriteItem; a 66,500-byte GSI key answered HTTP 500.
#[tokio::test]
async fn key_sizes_on_every_write_path() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    indexed_table(&client, "keys").await;
    let long = |n: usize| s(&"x".repeat(n));
    let bin = |n: usize| AttributeValue::B(vec![7u8; n].into());
    let base = |id: &str| vec![("id", s(id)), ("r", s("1"))];
    let with = |id: &str, extra: (&'static str, AttributeValue)| {
        let mut pairs = base(id);
        pairs.push(extra);
        item(&pairs)
    };
    // At the limits: accepted.
    for (id, extra) in [
        ("ok1", ("gh", long(2048))),
        ("ok2", ("gr", long(1024))),
        ("ok3", ("lr", bin(1024))),
    ] {
        client
            .put_item()
            .table_name("keys")
            .set_item(Some(with(id, extra)))
            .send()
            .await
            .unwrap();
    }
    let cases = [
        (("id", long(2049)), HASH_TOO_LONG),
        (("r", long(1025)), RANGE_TOO_LONG),
        (("gh", long(2049)), HASH_TOO_LONG),
        (("gh", long(66_500)), HASH_TOO_LONG),
        (("gr", long(1025)), RANGE_TOO_LONG),
        (("lr", bin(1025)), RANGE_TOO_LONG),
    ];
    for (extra, message) in cases.clone() {
        // A later pair wins, so a key attribute is replaced.
        let bad = with("bad", extra.clone());
        assert_validation(
            client
                .put_item()
                .table_name("keys")
                .set_item(Some(bad.clone()))
                .send()
                .await,
            message,
        );
        assert_validation(
            client
                .batch_write_item()
                .request_items(
                    "keys",
                    vec![
                        WriteRequest::builder()
                            .put_request(PutRequest::builder().set_item(Some(bad)).build().unwrap())
                            .build(),
                    ],
                )
                .send()
                .await,
            message,
        );
        if extra.0 != "id" && extra.0 != "r" {
            assert_validation(
                client
                    .update_item()
                    .table_name("keys")
                    .key("id", s("ok1"))
                    .key("r", s("1"))
                    .update_expression("SET #k = :v")
                    .expression_attribute_names("#k", extra.0)
                    .expression_attribute_values(":v", extra.1)
                    .send()
                    .await,
                "One or more parameter values were invalid: The update expression attempted to update the secondary index key beyond allowed size limits",
            );
        }
    }
    // Only the three good items exist, unchanged.
    let mut ids: Vec<String> = scan_all(&client, "keys")
        .await
        .iter()
        .map(|i| i["id"].as_s().unwrap().clone())
        .collect();
    ids.sort();
    assert_eq!(ids, ["ok1", "ok2", "ok3"]);
    assert_eq!(
        get(&client, "keys", item(&base("ok1"))).await,
        Some(with("ok1", ("gh", long(2048))))
    );
}

/// Issue 12: UpdateTable creating a GSI over items whose would-be index key
/// is empty, too long or mistyped answered 500 (or indexed them); they are
/// left out of the index, as DynamoDB does.
#[tokio::test]
async fn gsi_backfill_leaves_out_unfit_items() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(&client, "fill", ("id", ScalarAttributeType::S), None).await;
    let values = [
        ("good", s("g")),
        ("empty", s("")),
        ("long", s(&"x".repeat(2049))),
        ("huge", s(&"x".repeat(66_500))),
        ("number", n("5")),
        ("edge", s(&"y".repeat(2048))),
    ];
    for (id, v) in &values {
        client
            .put_item()
            .table_name("fill")
            .set_item(Some(item(&[("id", s(id)), ("k", v.clone())])))
            .send()
            .await
            .unwrap();
    }
    client
        .update_table()
        .table_name("fill")
        .attribute_definitions(attr_def("k", ScalarAttributeType::S))
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder()
                .create(
                    CreateGlobalSecondaryIndexAction::builder()
                        .index_name("by_k")
                        .key_schema(key_element("k", KeyType::Hash))
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
        .await
        .unwrap();
    // The backfill runs in the background: the index is readable once ACTIVE.
    crate::indexes::wait_active(&client, "fill", "by_k").await;
    let mut indexed: Vec<String> = client
        .scan()
        .table_name("fill")
        .index_name("by_k")
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default()
        .iter()
        .map(|i| i["id"].as_s().unwrap().clone())
        .collect();
    indexed.sort();
    assert_eq!(indexed, ["edge", "good"]);
    assert_eq!(scan_all(&client, "fill").await.len(), values.len());
}

/// Issue 9 item 7 / issue 11 item 3: attribute names on every write path.
#[tokio::test]
async fn attribute_names_are_checked() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(&client, "names", ("id", ScalarAttributeType::S), None).await;
    let empty = item(&[("id", s("a")), ("", s("y"))]);
    assert_validation(
        client
            .put_item()
            .table_name("names")
            .set_item(Some(empty.clone()))
            .send()
            .await,
        EMPTY_NAME,
    );
    assert_validation(
        client
            .batch_write_item()
            .request_items(
                "names",
                vec![
                    WriteRequest::builder()
                        .put_request(PutRequest::builder().set_item(Some(empty)).build().unwrap())
                        .build(),
                ],
            )
            .send()
            .await,
        EMPTY_NAME,
    );
    assert_validation(
        client
            .update_item()
            .table_name("names")
            .key("id", s("a"))
            .update_expression("SET m = :m")
            .expression_attribute_values(":m", AttributeValue::M(item(&[("", s("y"))])))
            .send()
            .await,
        EMPTY_NAME,
    );
    let long_name = "n".repeat(65_536);
    assert_validation(
        client
            .put_item()
            .table_name("names")
            .set_item(Some(item(&[("id", s("a")), (long_name.as_str(), s("y"))])))
            .send()
            .await,
        "One or more parameter values were invalid: Size of an attribute name has exceeded the maximum size limit of 65535 bytes",
    );
    let longest = "n".repeat(65_535);
    client
        .put_item()
        .table_name("names")
        .set_item(Some(item(&[("id", s("b")), (longest.as_str(), s("y"))])))
        .send()
        .await
        .unwrap();
    let ids: Vec<String> = scan_all(&client, "names")
        .await
        .iter()
        .map(|i| i["id"].as_s().unwrap().clone())
        .collect();
    assert_eq!(ids, ["b"]);

    // Key attribute names: at most 255 bytes (API model constraint).
    let key_name = "k".repeat(256);
    let (code, message) = failure(
        client
            .create_table()
            .table_name("long_key")
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attr_def(&key_name, ScalarAttributeType::S))
            .key_schema(key_element(&key_name, KeyType::Hash))
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        format!(
            "2 validation errors detected: Value '{key_name}' at 'attributeDefinitions.1.member.attributeName' failed to satisfy constraint: Member must have length less than or equal to 255; Value '{key_name}' at 'keySchema.1.member.attributeName' failed to satisfy constraint: Member must have length less than or equal to 255"
        )
    );
    let tables = client.list_tables().send().await.unwrap();
    assert_eq!(tables.table_names(), ["names"]);
}

/// `depth` binary Ion lists, each holding the next (the innermost empty),
/// after the version marker.
fn binary_ion_lists(depth: usize) -> Vec<u8> {
    let mut value = vec![0xB0u8];
    for _ in 1..depth {
        let len = value.len();
        let mut header = Vec::new();
        if len < 14 {
            header.push(0xB0 | len as u8);
        } else {
            header.push(0xBE);
            let mut groups = vec![(len & 0x7F) as u8 | 0x80];
            let mut rest = len >> 7;
            while rest > 0 {
                groups.push((rest & 0x7F) as u8);
                rest >>= 7;
            }
            header.extend(groups.iter().rev());
        }
        header.extend(value);
        value = header;
    }
    let mut out = vec![0xE0, 0x01, 0x00, 0xEA];
    out.extend(value);
    out
}

/// Issue 9 item 1: an 8.9 KB binary Ion object nested 3,000 deep aborted the
/// server (stack overflow), again on every restart. Now it is one item error
/// in the log (the job ends FAILED / ItemValidationError, as AWS ends an
/// import with bad items); the other object imports and the server serves.
#[tokio::test]
async fn binary_ion_nested_3000_deep_is_an_item_error() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    bucket(&server, "deepion").await;
    put(&server, "deepion", "in/deep.ion", binary_ion_lists(3_000)).await;
    let good = ion_rs::Element::read_all("{Item:{id:\"after\"}}".as_bytes())
        .unwrap()
        .encode_as(ion_rs::v1_0::Binary)
        .unwrap();
    put(&server, "deepion", "in/good.ion", good).await;
    let started = start(
        &client,
        source("deepion", "in/"),
        InputFormat::Ion,
        None,
        None,
        params("deep_ion", ("id", ScalarAttributeType::S), None),
    )
    .await;
    let done = wait(&client, started.import_arn().unwrap()).await;
    // As AWS: the good items are imported, the job reports the bad ones.
    assert_eq!(done.import_status(), Some(&ImportStatus::Failed));
    assert_eq!(done.failure_code(), Some("ItemValidationError"));
    assert_eq!(done.imported_item_count(), 1);
    assert_eq!(done.error_count(), 1);
    let logged = log_messages(&server, &done).await;
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert!(
        logged[0].contains("Invalid Ion: values are nested deeper than 100 levels"),
        "{}",
        logged[0]
    );
    assert_eq!(
        scan_all(&client, "deep_ion").await,
        vec![item(&[("id", s("after"))])]
    );
    // Still serving.
    client.list_tables().send().await.unwrap();
}

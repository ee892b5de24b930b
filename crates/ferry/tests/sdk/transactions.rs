//! SDK tests: TransactWriteItems and TransactGetItems — all-or-nothing
//! writes across tables, cancellation reasons in request order, capacity,
//! ClientRequestToken idempotency, DynamoDB's validation messages (with the
//! tables unchanged after every refusal), and a concurrency test with an
//! export taken while transactions run.

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, Get, Put, ReturnConsumedCapacity,
    ReturnValuesOnConditionCheckFailure, ScalarAttributeType, TransactGetItem, TransactWriteItem,
    Update,
};

use crate::common::*;

mod concurrency;
mod refusals;

pub(super) type Item = HashMap<String, AttributeValue>;

pub(super) fn key(id: &str) -> Item {
    item(&[("id", s(id))])
}

pub(super) fn put(table: &str, it: Item) -> TransactWriteItem {
    TransactWriteItem::builder()
        .put(
            Put::builder()
                .table_name(table)
                .set_item(Some(it))
                .build()
                .unwrap(),
        )
        .build()
}

pub(super) fn put_if_absent(table: &str, it: Item) -> TransactWriteItem {
    TransactWriteItem::builder()
        .put(
            Put::builder()
                .table_name(table)
                .set_item(Some(it))
                .condition_expression("attribute_not_exists(id)")
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .build()
                .unwrap(),
        )
        .build()
}

pub(super) fn delete(table: &str, k: Item) -> TransactWriteItem {
    TransactWriteItem::builder()
        .delete(
            Delete::builder()
                .table_name(table)
                .set_key(Some(k))
                .build()
                .unwrap(),
        )
        .build()
}

pub(super) fn check(table: &str, k: Item, cond: &str) -> TransactWriteItem {
    TransactWriteItem::builder()
        .condition_check(
            ConditionCheck::builder()
                .table_name(table)
                .set_key(Some(k))
                .condition_expression(cond)
                .build()
                .unwrap(),
        )
        .build()
}

/// `SET b = b + :d` on `id`, when `b + :d >= 0` (`:d` may be negative).
pub(super) fn add(table: &str, id: &str, d: i64) -> TransactWriteItem {
    TransactWriteItem::builder()
        .update(
            Update::builder()
                .table_name(table)
                .set_key(Some(key(id)))
                .update_expression("SET b = b + :d")
                .condition_expression("b >= :min")
                .expression_attribute_values(":d", n(&d.to_string()))
                .expression_attribute_values(":min", n(&(-d).max(0).to_string()))
                .build()
                .unwrap(),
        )
        .build()
}

/// Every item of `table`, sorted by `id`.
pub(super) async fn scan_all(client: &aws_sdk_dynamodb::Client, table: &str) -> Vec<Item> {
    let out = client.scan().table_name(table).send().await.unwrap();
    let mut items = out.items().to_vec();
    items.sort_by_key(|i| format!("{:?}", i.get("id")));
    items
}

/// Two tables keyed by `id` (S): `accts` and `audit`.
pub(super) async fn two_tables(client: &aws_sdk_dynamodb::Client) {
    for t in ["accts", "audit"] {
        create_table(client, t, ("id", ScalarAttributeType::S), None).await;
    }
}

pub(super) fn account(id: &str, b: i64) -> Item {
    item(&[("id", s(id)), ("b", n(&b.to_string()))])
}

/// The reasons' codes and the message of a TransactionCanceledException.
pub(super) fn cancellation<T: std::fmt::Debug>(
    r: Result<T, aws_sdk_dynamodb::error::SdkError<TransactWriteItemsError>>,
) -> (String, Vec<aws_sdk_dynamodb::types::CancellationReason>) {
    match r.map_err(|e| e.into_service_error()) {
        Err(TransactWriteItemsError::TransactionCanceledException(e)) => (
            e.message().unwrap_or_default().to_string(),
            e.cancellation_reasons().to_vec(),
        ),
        other => panic!("expected TransactionCanceledException, got {other:?}"),
    }
}

#[tokio::test]
async fn writes_commit_together_across_tables() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    two_tables(&client).await;
    for (id, b) in [("a", 10), ("b", 20), ("gone", 1)] {
        client
            .put_item()
            .table_name("accts")
            .set_item(Some(account(id, b)))
            .send()
            .await
            .unwrap();
    }
    let out = client
        .transact_write_items()
        .transact_items(add("accts", "a", -4))
        .transact_items(add("accts", "b", 4))
        .transact_items(delete("accts", key("gone")))
        .transact_items(put_if_absent(
            "audit",
            item(&[("id", s("t1")), ("amount", n("4"))]),
        ))
        .transact_items(check("audit", key("nobody"), "attribute_not_exists(id)"))
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert_eq!(
        scan_all(&client, "accts").await,
        vec![account("a", 6), account("b", 24)]
    );
    assert_eq!(
        scan_all(&client, "audit").await,
        vec![item(&[("id", s("t1")), ("amount", n("4"))])]
    );
    // Transactional writes cost 2 units per KB, a condition check 2 read
    // units (strongly consistent) per 4 KB.
    let cc = out.consumed_capacity();
    assert_eq!(cc.len(), 2);
    assert_eq!(cc[0].table_name(), Some("accts"));
    assert_eq!(cc[0].capacity_units(), Some(6.0));
    assert_eq!(cc[0].write_capacity_units(), Some(6.0));
    assert_eq!(cc[0].read_capacity_units(), None);
    assert_eq!(cc[1].table_name(), Some("audit"));
    assert_eq!(cc[1].capacity_units(), Some(4.0));
    assert_eq!(cc[1].write_capacity_units(), Some(2.0));
    assert_eq!(cc[1].read_capacity_units(), Some(2.0));

    // TransactGetItems: one snapshot, projections, a missing item is `{}`.
    let got = client
        .transact_get_items()
        .transact_items(
            TransactGetItem::builder()
                .get(
                    Get::builder()
                        .table_name("accts")
                        .set_key(Some(key("a")))
                        .projection_expression("#b")
                        .expression_attribute_names("#b", "b")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .transact_items(
            TransactGetItem::builder()
                .get(
                    Get::builder()
                        .table_name("audit")
                        .set_key(Some(key("t1")))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .transact_items(
            TransactGetItem::builder()
                .get(
                    Get::builder()
                        .table_name("accts")
                        .set_key(Some(key("gone")))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    let r = got.responses();
    assert_eq!(r.len(), 3);
    assert_eq!(r[0].item(), Some(&item(&[("b", n("6"))])));
    assert_eq!(
        r[1].item(),
        Some(&item(&[("id", s("t1")), ("amount", n("4"))]))
    );
    assert_eq!(r[2].item(), None);
    let cc = got.consumed_capacity();
    assert_eq!(cc.len(), 2);
    assert_eq!(
        (cc[0].table_name(), cc[0].capacity_units()),
        (Some("accts"), Some(4.0))
    );
    assert_eq!(cc[0].read_capacity_units(), Some(4.0));
    assert_eq!(
        (cc[1].table_name(), cc[1].capacity_units()),
        (Some("audit"), Some(2.0))
    );
}

#[tokio::test]
async fn cancellation_reasons_in_request_order_and_nothing_written() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    two_tables(&client).await;
    client
        .put_item()
        .table_name("accts")
        .set_item(Some(account("a", 5)))
        .send()
        .await
        .unwrap();
    let before = scan_all(&client, "accts").await;
    let r = client
        .transact_write_items()
        .transact_items(put("audit", item(&[("id", s("x"))])))
        .transact_items(put_if_absent("accts", account("a", 99)))
        .transact_items(add("accts", "b", 1))
        .transact_items(check("audit", key("y"), "attribute_not_exists(id)"))
        .send()
        .await;
    let (message, reasons) = cancellation(r);
    assert_eq!(
        message,
        "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed, ConditionalCheckFailed, None]"
    );
    let codes: Vec<_> = reasons
        .iter()
        .map(|r| r.code().unwrap_or_default())
        .collect();
    assert_eq!(
        codes,
        [
            "None",
            "ConditionalCheckFailed",
            "ConditionalCheckFailed",
            "None"
        ]
    );
    assert_eq!(reasons[0].message(), None);
    assert_eq!(reasons[1].message(), Some("The conditional request failed"));
    // ALL_OLD on the Put: the item that failed it; not asked on the Update.
    assert_eq!(reasons[1].item(), Some(&account("a", 5)));
    assert_eq!(reasons[2].item(), None);
    assert_eq!(scan_all(&client, "accts").await, before);
    assert!(scan_all(&client, "audit").await.is_empty());

    // An update that fails while being applied is a ValidationError reason.
    client
        .put_item()
        .table_name("audit")
        .set_item(Some(item(&[("id", s("s")), ("b", s("text"))])))
        .send()
        .await
        .unwrap();
    let r = client
        .transact_write_items()
        .transact_items(add("accts", "a", 1))
        .transact_items(
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name("audit")
                        .set_key(Some(key("s")))
                        .update_expression("SET b = b + :one")
                        .expression_attribute_values(":one", n("1"))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await;
    let (message, reasons) = cancellation(r);
    assert_eq!(
        message,
        "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ValidationError]"
    );
    assert_eq!(
        reasons[1].message(),
        Some("An operand in the update expression has an incorrect data type")
    );
    assert_eq!(scan_all(&client, "accts").await, before);
}

#[tokio::test]
async fn client_request_token_is_idempotent_for_ten_minutes() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    two_tables(&client).await;
    client
        .put_item()
        .table_name("accts")
        .set_item(Some(account("a", 0)))
        .send()
        .await
        .unwrap();
    let send = |token: &str, d: i64| {
        client
            .transact_write_items()
            .client_request_token(token)
            .transact_items(add("accts", "a", d))
            .send()
    };
    let balance = || async { scan_all(&client, "accts").await[0]["b"].clone() };
    send("tok-1", 1).await.unwrap();
    send("tok-1", 1).await.unwrap();
    assert_eq!(balance().await, n("1"), "the retry wrote nothing");
    // The same token with other parameters.
    let (code, msg) = failure(send("tok-1", 2).await);
    assert_eq!(code, "IdempotentParameterMismatchException");
    assert_eq!(
        msg,
        "The request uses the same client token as a previous, but non-identical request."
    );
    assert_eq!(balance().await, n("1"));
    // A failed request does not hold its token.
    let (code, _) = failure(send("tok-2", -5).await);
    assert_eq!(code, "TransactionCanceledException");
    send("tok-2", 1).await.unwrap();
    assert_eq!(balance().await, n("2"));
    // Ten minutes after completion, the token names a new request.
    server.advance_clock(10 * 60 * 1_000_000 + 1).await;
    send("tok-1", 5).await.unwrap();
    send("tok-1", 5).await.unwrap();
    assert_eq!(balance().await, n("7"));
}

/// A committed request's token is recorded with its items: after a restart
/// a retry within ten minutes still writes nothing, a different request
/// with the token is refused, and the window still ends.
#[tokio::test]
async fn client_request_tokens_survive_a_restart() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    two_tables(&client).await;
    client
        .put_item()
        .table_name("accts")
        .set_item(Some(account("a", 0)))
        .send()
        .await
        .unwrap();
    let send = |client: &aws_sdk_dynamodb::Client, token: &str, d: i64| {
        client
            .transact_write_items()
            .client_request_token(token)
            .transact_items(add("accts", "a", d))
            .send()
    };
    send(&client, "durable", 1).await.unwrap();
    let dir = server.stop().await;

    let server = TestServer::start_in(dir, |_| {}).await;
    let client = server.dynamodb().await;
    let balance = || async { scan_all(&client, "accts").await[0]["b"].clone() };
    send(&client, "durable", 1).await.unwrap();
    assert_eq!(
        balance().await,
        n("1"),
        "the retry after a restart wrote nothing"
    );
    let (code, _) = failure(send(&client, "durable", 2).await);
    assert_eq!(code, "IdempotentParameterMismatchException");
    assert_eq!(balance().await, n("1"));
    server.advance_clock(10 * 60 * 1_000_000 + 1).await;
    send(&client, "durable", 5).await.unwrap();
    assert_eq!(balance().await, n("6"));
    server.stop().await;
}

#[tokio::test]
async fn indexes_metrics_and_index_capacity() {
    use aws_sdk_dynamodb::types::{
        KeyType, LocalSecondaryIndex, Projection, ProjectionType, ReturnItemCollectionMetrics,
    };
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    client
        .create_table()
        .table_name("lsi")
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .attribute_definitions(attr_def("id", ScalarAttributeType::S))
        .attribute_definitions(attr_def("sk", ScalarAttributeType::S))
        .attribute_definitions(attr_def("l", ScalarAttributeType::S))
        .key_schema(key_element("id", KeyType::Hash))
        .key_schema(key_element("sk", KeyType::Range))
        .local_secondary_indexes(
            LocalSecondaryIndex::builder()
                .index_name("by_l")
                .key_schema(key_element("id", KeyType::Hash))
                .key_schema(key_element("l", KeyType::Range))
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
    create_table(&client, "accts", ("id", ScalarAttributeType::S), None).await;
    let row = item(&[("id", s("p")), ("sk", s("1")), ("l", s("x"))]);
    let out = client
        .transact_write_items()
        .transact_items(put("lsi", row.clone()))
        .transact_items(put("accts", account("a", 1)))
        .return_item_collection_metrics(ReturnItemCollectionMetrics::Size)
        .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
        .send()
        .await
        .unwrap();
    let m = out
        .item_collection_metrics()
        .expect("ItemCollectionMetrics");
    assert_eq!(m.len(), 1, "only tables with local indexes: {m:?}");
    let lsi = &m["lsi"];
    assert_eq!(lsi.len(), 1);
    assert_eq!(lsi[0].item_collection_key(), Some(&item(&[("id", s("p"))])));
    assert_eq!(lsi[0].size_estimate_range_gb(), &[0.0, 1.0]);
    let cc = out.consumed_capacity();
    assert_eq!(cc[0].table_name(), Some("lsi"));
    assert_eq!(cc[0].capacity_units(), Some(4.0));
    assert_eq!(cc[0].table().and_then(|t| t.capacity_units()), Some(2.0));
    let by_l = &cc[0].local_secondary_indexes().unwrap()["by_l"];
    assert_eq!(by_l.capacity_units(), Some(2.0));
    // The index entry was written in the same commit.
    let q = client
        .query()
        .table_name("lsi")
        .index_name("by_l")
        .key_condition_expression("id = :p AND l = :x")
        .expression_attribute_values(":p", s("p"))
        .expression_attribute_values(":x", s("x"))
        .send()
        .await
        .unwrap();
    assert_eq!(q.items(), &[row]);
}

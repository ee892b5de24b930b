//! SDK tests: `ReturnConsumedCapacity` (TOTAL and INDEXES) on the item
//! operations, Query, Scan and the batches, by DynamoDB's rules, and
//! `ReturnItemCollectionMetrics` on tables with local secondary indexes.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeValue, BillingMode, ConsumedCapacity, DeleteRequest, GlobalSecondaryIndex, KeyType,
    KeysAndAttributes, LocalSecondaryIndex, Projection, ProjectionType, PutRequest,
    ReturnConsumedCapacity, ReturnItemCollectionMetrics, ScalarAttributeType, WriteRequest,
};

use crate::common::*;

/// `(TableName, CapacityUnits, Table units, GSI units, LSI units)`.
type Shape = (
    String,
    f64,
    Option<f64>,
    HashMap<String, f64>,
    HashMap<String, f64>,
);

fn shape(c: &ConsumedCapacity) -> Shape {
    assert_eq!(c.read_capacity_units(), None, "{c:?}");
    assert_eq!(c.write_capacity_units(), None, "{c:?}");
    let units = |m: Option<&HashMap<String, aws_sdk_dynamodb::types::Capacity>>| {
        m.map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.capacity_units().unwrap_or(-1.0)))
                .collect()
        })
        .unwrap_or_default()
    };
    (
        c.table_name().unwrap_or_default().to_string(),
        c.capacity_units().unwrap_or(-1.0),
        c.table().map(|t| t.capacity_units().unwrap_or(-1.0)),
        units(c.global_secondary_indexes()),
        units(c.local_secondary_indexes()),
    )
}

fn total(table: &str, units: f64) -> Shape {
    (table.into(), units, None, HashMap::new(), HashMap::new())
}

fn gsi(name: &str, units: f64) -> HashMap<String, f64> {
    HashMap::from([(name.to_string(), units)])
}

/// An item of exactly `size` bytes by DynamoDB's rules (`size` >= 10):
/// `id` (2) + its value (1), `g` (1) + its value (1), `d` (1) + the rest.
fn sized(id: &str, g: Option<&str>, size: usize) -> HashMap<String, AttributeValue> {
    assert_eq!(id.len(), 1);
    let mut i = item(&[("id", s(id))]);
    let mut used = 3;
    if let Some(g) = g {
        assert_eq!(g.len(), 1);
        i.insert("g".into(), s(g));
        used += 2;
    }
    i.insert("d".into(), s(&"x".repeat(size - used - 1)));
    i
}

async fn gsi_table(client: &aws_sdk_dynamodb::Client, name: &str) {
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr_def("id", ScalarAttributeType::S))
        .attribute_definitions(attr_def("g", ScalarAttributeType::S))
        .key_schema(key_element("id", KeyType::Hash))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("by_g")
                .key_schema(key_element("g", KeyType::Hash))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::KeysOnly)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn consumed_capacity_of_item_operations() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    gsi_table(&client, "cap").await;
    use ReturnConsumedCapacity::{Indexes, Total};

    // A 1 KB item outside the index: one unit on the table.
    let out = client
        .put_item()
        .table_name("cap")
        .set_item(Some(sized("a", None, 1024)))
        .return_consumed_capacity(Total)
        .send()
        .await
        .unwrap();
    assert_eq!(shape(out.consumed_capacity().unwrap()), total("cap", 1.0));
    // 1025 bytes, entering the KEYS_ONLY index: 2 on the table, 1 on the index.
    let out = client
        .put_item()
        .table_name("cap")
        .set_item(Some(sized("b", Some("k"), 1025)))
        .return_consumed_capacity(Indexes)
        .send()
        .await
        .unwrap();
    assert_eq!(
        shape(out.consumed_capacity().unwrap()),
        (
            "cap".into(),
            3.0,
            Some(2.0),
            gsi("by_g", 1.0),
            HashMap::new()
        )
    );
    // NONE and no parameter: no ConsumedCapacity.
    let out = client
        .put_item()
        .table_name("cap")
        .set_item(Some(sized("c", None, 100)))
        .return_consumed_capacity(ReturnConsumedCapacity::None)
        .send()
        .await
        .unwrap();
    assert!(out.consumed_capacity().is_none());

    // Reads: 4 KB units, halved when eventually consistent, missing = one unit.
    let get = |id: &str, consistent: bool| {
        client
            .get_item()
            .table_name("cap")
            .key("id", s(id))
            .consistent_read(consistent)
            .return_consumed_capacity(Total)
            .send()
    };
    let units = |o: aws_sdk_dynamodb::operation::get_item::GetItemOutput| {
        o.consumed_capacity().unwrap().capacity_units().unwrap()
    };
    assert_eq!(units(get("zz", false).await.unwrap()), 0.5);
    assert_eq!(units(get("zz", true).await.unwrap()), 1.0);
    client
        .put_item()
        .table_name("cap")
        .set_item(Some(sized("e", None, 4097)))
        .send()
        .await
        .unwrap();
    assert_eq!(units(get("e", true).await.unwrap()), 2.0);
    assert_eq!(units(get("e", false).await.unwrap()), 1.0);

    // An update moving the index key: the larger item on the table, a
    // delete plus a put on the index.
    let out = client
        .update_item()
        .table_name("cap")
        .key("id", s("b"))
        .update_expression("SET g = :g")
        .expression_attribute_values(":g", s("m"))
        .return_consumed_capacity(Indexes)
        .send()
        .await
        .unwrap();
    assert_eq!(
        shape(out.consumed_capacity().unwrap()),
        (
            "cap".into(),
            4.0,
            Some(2.0),
            gsi("by_g", 2.0),
            HashMap::new()
        )
    );
    // An update of an unprojected attribute: the index is not written.
    let out = client
        .update_item()
        .table_name("cap")
        .key("id", s("b"))
        .update_expression("SET d = :d")
        .expression_attribute_values(":d", s("short"))
        .return_consumed_capacity(Indexes)
        .send()
        .await
        .unwrap();
    assert_eq!(
        shape(out.consumed_capacity().unwrap()),
        ("cap".into(), 2.0, Some(2.0), HashMap::new(), HashMap::new())
    );
    // Deleting a missing item still costs one unit; deleting an indexed one
    // also removes its index entry.
    let del = |id: &str| {
        client
            .delete_item()
            .table_name("cap")
            .key("id", s(id))
            .return_consumed_capacity(Indexes)
            .send()
    };
    let out = del("nothing").await.unwrap();
    assert_eq!(
        shape(out.consumed_capacity().unwrap()),
        ("cap".into(), 1.0, Some(1.0), HashMap::new(), HashMap::new())
    );
    let out = del("b").await.unwrap();
    assert_eq!(
        shape(out.consumed_capacity().unwrap()),
        (
            "cap".into(),
            2.0,
            Some(1.0),
            gsi("by_g", 1.0),
            HashMap::new()
        )
    );
    server.stop().await;
}

#[tokio::test]
async fn consumed_capacity_of_queries_scans_and_batches() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    gsi_table(&client, "capq").await;
    use ReturnConsumedCapacity::{Indexes, Total};
    for id in ["a", "b", "c"] {
        client
            .put_item()
            .table_name("capq")
            .set_item(Some(sized(id, Some("k"), 3000)))
            .send()
            .await
            .unwrap();
    }
    // Scan: the summed size of the items read (9000 bytes = 3 units), even
    // when the filter keeps none of them.
    let out = client
        .scan()
        .table_name("capq")
        .filter_expression("d = :no")
        .expression_attribute_values(":no", s("no"))
        .return_consumed_capacity(Total)
        .send()
        .await
        .unwrap();
    assert_eq!(out.count(), 0);
    assert_eq!(shape(out.consumed_capacity().unwrap()), total("capq", 1.5));
    let out = client
        .scan()
        .table_name("capq")
        .consistent_read(true)
        .limit(1)
        .return_consumed_capacity(Indexes)
        .send()
        .await
        .unwrap();
    assert_eq!(
        shape(out.consumed_capacity().unwrap()),
        (
            "capq".into(),
            1.0,
            Some(1.0),
            HashMap::new(),
            HashMap::new()
        )
    );
    // Query: the same rule on the items of the partition.
    let out = client
        .query()
        .table_name("capq")
        .key_condition_expression("id = :a")
        .expression_attribute_values(":a", s("a"))
        .return_consumed_capacity(Total)
        .send()
        .await
        .unwrap();
    assert_eq!(shape(out.consumed_capacity().unwrap()), total("capq", 0.5));
    // A Query of an index consumes on the index, not on the table.
    let out = client
        .query()
        .table_name("capq")
        .index_name("by_g")
        .key_condition_expression("g = :k")
        .expression_attribute_values(":k", s("k"))
        .return_consumed_capacity(Indexes)
        .send()
        .await
        .unwrap();
    assert_eq!(out.count(), 3);
    assert_eq!(
        shape(out.consumed_capacity().unwrap()),
        (
            "capq".into(),
            0.5,
            Some(0.0),
            gsi("by_g", 0.5),
            HashMap::new()
        )
    );

    // BatchGetItem: each key rounded on its own, a missing one included.
    let out = client
        .batch_get_item()
        .request_items(
            "capq",
            KeysAndAttributes::builder()
                .keys(item(&[("id", s("a"))]))
                .keys(item(&[("id", s("zz"))]))
                .build()
                .unwrap(),
        )
        .return_consumed_capacity(Total)
        .send()
        .await
        .unwrap();
    let caps: Vec<Shape> = out.consumed_capacity().iter().map(shape).collect();
    assert_eq!(caps, vec![total("capq", 1.0)]);

    // BatchWriteItem: per table, index writes and missing deletes included.
    create_table(&client, "capw", ("id", ScalarAttributeType::S), None).await;
    let put = |i: HashMap<String, AttributeValue>| {
        WriteRequest::builder()
            .put_request(PutRequest::builder().set_item(Some(i)).build().unwrap())
            .build()
    };
    let out = client
        .batch_write_item()
        .request_items(
            "capq",
            vec![
                put(sized("x", Some("k"), 100)),
                WriteRequest::builder()
                    .delete_request(
                        DeleteRequest::builder()
                            .key("id", s("nothing"))
                            .build()
                            .unwrap(),
                    )
                    .build(),
            ],
        )
        .request_items("capw", vec![put(sized("y", None, 2048))])
        .return_consumed_capacity(Indexes)
        .send()
        .await
        .unwrap();
    let mut caps: Vec<Shape> = out.consumed_capacity().iter().map(shape).collect();
    caps.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        caps,
        vec![
            (
                "capq".into(),
                3.0,
                Some(2.0),
                gsi("by_g", 1.0),
                HashMap::new()
            ),
            (
                "capw".into(),
                2.0,
                Some(2.0),
                HashMap::new(),
                HashMap::new()
            ),
        ]
    );
    server.stop().await;
}

#[tokio::test]
async fn item_collection_metrics_for_tables_with_local_indexes() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    client
        .create_table()
        .table_name("icm")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr_def("pk", ScalarAttributeType::S))
        .attribute_definitions(attr_def("sk", ScalarAttributeType::S))
        .attribute_definitions(attr_def("l", ScalarAttributeType::S))
        .key_schema(key_element("pk", KeyType::Hash))
        .key_schema(key_element("sk", KeyType::Range))
        .local_secondary_indexes(
            LocalSecondaryIndex::builder()
                .index_name("by_l")
                .key_schema(key_element("pk", KeyType::Hash))
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
    create_table(&client, "plain", ("pk", ScalarAttributeType::S), None).await;
    use ReturnItemCollectionMetrics::Size;
    let expect_key = item(&[("pk", s("p1"))]);

    let out = client
        .put_item()
        .table_name("icm")
        .set_item(Some(item(&[
            ("pk", s("p1")),
            ("sk", s("a")),
            ("l", s("x")),
        ])))
        .return_item_collection_metrics(Size)
        .send()
        .await
        .unwrap();
    let m = out.item_collection_metrics().unwrap();
    assert_eq!(m.item_collection_key().unwrap(), &expect_key);
    assert_eq!(m.size_estimate_range_gb(), &[0.0, 1.0]);
    let out = client
        .update_item()
        .table_name("icm")
        .key("pk", s("p1"))
        .key("sk", s("a"))
        .update_expression("SET v = :v")
        .expression_attribute_values(":v", n("1"))
        .return_item_collection_metrics(Size)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.item_collection_metrics().unwrap().item_collection_key(),
        Some(&expect_key)
    );
    let out = client
        .delete_item()
        .table_name("icm")
        .key("pk", s("p1"))
        .key("sk", s("a"))
        .return_item_collection_metrics(Size)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.item_collection_metrics().unwrap().item_collection_key(),
        Some(&expect_key)
    );
    // NONE, or a table without local indexes: no metrics.
    let out = client
        .put_item()
        .table_name("icm")
        .set_item(Some(item(&[("pk", s("p1")), ("sk", s("b"))])))
        .return_item_collection_metrics(ReturnItemCollectionMetrics::None)
        .send()
        .await
        .unwrap();
    assert!(out.item_collection_metrics().is_none());
    let out = client
        .put_item()
        .table_name("plain")
        .set_item(Some(item(&[("pk", s("p1"))])))
        .return_item_collection_metrics(Size)
        .send()
        .await
        .unwrap();
    assert!(out.item_collection_metrics().is_none());

    let out = client
        .batch_write_item()
        .request_items(
            "icm",
            vec![
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .item("pk", s("p2"))
                            .item("sk", s("a"))
                            .build()
                            .unwrap(),
                    )
                    .build(),
            ],
        )
        .return_item_collection_metrics(Size)
        .send()
        .await
        .unwrap();
    let all = out.item_collection_metrics().unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(
        all["icm"][0].item_collection_key().unwrap(),
        &item(&[("pk", s("p2"))])
    );
    assert_eq!(all["icm"][0].size_estimate_range_gb(), &[0.0, 1.0]);
    server.stop().await;
}

//! SDK tests: UpdateItem's UPDATED_OLD / UPDATED_NEW (only the updated
//! paths, nested structure kept), and the rules expressions must follow
//! about key attributes: keys are scalars (no `a.b` or `a[0]` into a table
//! or index key), keys cannot be updated, and a Query filter cannot read the
//! queried key.

use aws_sdk_dynamodb::types::{
    AttributeValue, BillingMode, GlobalSecondaryIndex, KeyType, KeysAndAttributes, Projection,
    ProjectionType, ReturnValue, ScalarAttributeType,
};

use crate::common::*;

const SCALARS: &str =
    "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed";

async fn keyed_table(client: &aws_sdk_dynamodb::Client, name: &str) {
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr_def("id", ScalarAttributeType::S))
        .attribute_definitions(attr_def("r", ScalarAttributeType::N))
        .attribute_definitions(attr_def("g", ScalarAttributeType::S))
        .key_schema(key_element("id", KeyType::Hash))
        .key_schema(key_element("r", KeyType::Range))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("by_g")
                .key_schema(key_element("g", KeyType::Hash))
                .key_schema(key_element("r", KeyType::Range))
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
}

#[tokio::test]
async fn updated_values_are_the_updated_paths_only() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(&client, "upd_paths", ("id", ScalarAttributeType::S), None).await;
    client
        .put_item()
        .table_name("upd_paths")
        .set_item(Some(item(&[
            ("id", s("a")),
            (
                "m",
                AttributeValue::M(item(&[("x", n("1")), ("y", n("2"))])),
            ),
            ("l", AttributeValue::L(vec![n("10"), n("20"), n("30")])),
            ("keep", s("untouched")),
            ("gone", s("bye")),
        ])))
        .send()
        .await
        .unwrap();
    let upd = |rv: ReturnValue| {
        client
            .update_item()
            .table_name("upd_paths")
            .key("id", s("a"))
            .update_expression("SET m.x = m.x + :one, l[1] = :v REMOVE gone")
            .expression_attribute_values(":one", n("1"))
            .expression_attribute_values(":v", s("new"))
            .return_values(rv)
            .send()
    };
    let out = upd(ReturnValue::UpdatedOld).await.unwrap();
    assert_eq!(
        out.attributes().unwrap(),
        &item(&[
            ("m", AttributeValue::M(item(&[("x", n("1"))]))),
            ("l", AttributeValue::L(vec![n("20")])),
            ("gone", s("bye")),
        ])
    );
    let out = upd(ReturnValue::UpdatedNew).await.unwrap();
    assert_eq!(
        out.attributes().unwrap(),
        &item(&[
            ("m", AttributeValue::M(item(&[("x", n("3"))]))),
            ("l", AttributeValue::L(vec![s("new")])),
        ])
    );
    // Nothing of the updated paths exists before a first write: no Attributes.
    let out = client
        .update_item()
        .table_name("upd_paths")
        .key("id", s("fresh"))
        .update_expression("SET v = :v")
        .expression_attribute_values(":v", n("5"))
        .return_values(ReturnValue::UpdatedOld)
        .send()
        .await
        .unwrap();
    assert!(out.attributes().is_none());
    server.stop().await;
}

#[tokio::test]
async fn key_attributes_in_expressions() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    keyed_table(&client, "keyrules").await;
    let upd = |expr: &str| {
        client
            .update_item()
            .table_name("keyrules")
            .key("id", s("a"))
            .key("r", n("1"))
            .update_expression(expr)
            .expression_attribute_values(":v", s("x"))
            .send()
    };
    assert_validation(upd("SET id.x = :v").await, &format!("{SCALARS}: Key: id"));
    assert_validation(
        upd("SET g[0] = :v").await,
        &format!("{SCALARS}: IndexKey: g"),
    );
    assert_validation(
        upd("SET r = :v").await,
        "One or more parameter values were invalid: Cannot update attribute r. This attribute is part of the key",
    );
    assert_validation(
        client
            .put_item()
            .table_name("keyrules")
            .set_item(Some(item(&[("id", s("a")), ("r", n("1"))])))
            .condition_expression("attribute_not_exists(id.b)")
            .send()
            .await,
        &format!("{SCALARS}: Key: id"),
    );
    assert_validation(
        client
            .delete_item()
            .table_name("keyrules")
            .key("id", s("a"))
            .key("r", n("1"))
            .condition_expression("g.z = :v")
            .expression_attribute_values(":v", s("x"))
            .send()
            .await,
        &format!("{SCALARS}: IndexKey: g"),
    );
    assert_validation(
        client
            .get_item()
            .table_name("keyrules")
            .key("id", s("a"))
            .key("r", n("1"))
            .projection_expression("#r[0]")
            .expression_attribute_names("#r", "r")
            .send()
            .await,
        &format!("{SCALARS}: Key: r"),
    );
    assert_validation(
        client
            .batch_get_item()
            .request_items(
                "keyrules",
                KeysAndAttributes::builder()
                    .keys(item(&[("id", s("a")), ("r", n("1"))]))
                    .projection_expression("g.deep")
                    .build()
                    .unwrap(),
            )
            .send()
            .await,
        &format!("{SCALARS}: IndexKey: g"),
    );
    assert_validation(
        client
            .scan()
            .table_name("keyrules")
            .filter_expression("size(id.x) > :z")
            .expression_attribute_values(":z", n("0"))
            .send()
            .await,
        &format!("{SCALARS}: Key: id"),
    );

    // Query filters cannot read the queried key, first one named.
    let query = |index: Option<&str>, kce: &str, filter: &str| {
        client
            .query()
            .table_name("keyrules")
            .set_index_name(index.map(str::to_string))
            .key_condition_expression(kce)
            .filter_expression(filter)
            .expression_attribute_values(":k", s("a"))
            .expression_attribute_values(":v", n("1"))
            .send()
    };
    let filter_key = |name: &str| {
        format!(
            "Filter Expression can only contain non-primary key attributes: Primary key attribute: {name}"
        )
    };
    assert_validation(
        query(None, "id = :k", "xy = :v OR r > :v").await,
        &filter_key("r"),
    );
    assert_validation(
        query(None, "id = :k", "attribute_exists(id.b) AND x = :v").await,
        &filter_key("id"),
    );
    assert_validation(
        query(Some("by_g"), "g = :k", "r = :v").await,
        &filter_key("r"),
    );
    // The table's hash key is not a key of the index: allowed there.
    let out = query(Some("by_g"), "g = :k", "size(id) > :v")
        .await
        .unwrap();
    assert_eq!(out.count(), 0);
    // A nested path into an index key in a filter.
    assert_validation(
        query(None, "id = :k", "g.x = :v").await,
        &format!("{SCALARS}: IndexKey: g"),
    );
    server.stop().await;
}

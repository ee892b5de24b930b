//! SDK tests: PutItem, GetItem, DeleteItem, UpdateItem, BatchWriteItem,
//! BatchGetItem — values of all ten types, conditions, return values,
//! index maintenance, and DynamoDB's validation messages.

use std::collections::HashMap;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeValue, BillingMode, DeleteRequest, GlobalSecondaryIndex, KeyType, KeysAndAttributes,
    Projection, ProjectionType, PutRequest, ReturnValue, ReturnValuesOnConditionCheckFailure,
    ScalarAttributeType, WriteRequest,
};

use crate::common::*;

fn all_types() -> HashMap<String, AttributeValue> {
    item(&[
        ("id", s("all")),
        ("s", s("text")),
        ("n", n("1.50")),
        ("b", AttributeValue::B(Blob::new(vec![0u8, 1, 2, 255]))),
        ("ss", AttributeValue::Ss(vec!["x".into(), "y".into()])),
        ("ns", AttributeValue::Ns(vec!["10".into(), "-0.500".into()])),
        (
            "bs",
            AttributeValue::Bs(vec![Blob::new(vec![1u8]), Blob::new(vec![2u8])]),
        ),
        (
            "m",
            AttributeValue::M(item(&[
                ("inner", n("007")),
                ("deep", AttributeValue::L(vec![AttributeValue::Null(true)])),
            ])),
        ),
        (
            "l",
            AttributeValue::L(vec![s("a"), n("2"), AttributeValue::Bool(false)]),
        ),
        ("null", AttributeValue::Null(true)),
        ("bool", AttributeValue::Bool(true)),
        ("empty", s("")),
    ])
}

#[tokio::test]
async fn put_get_all_types_with_canonical_numbers() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(&client, "things", ("id", ScalarAttributeType::S), None).await;
    let put = client
        .put_item()
        .table_name("things")
        .set_item(Some(all_types()))
        .send()
        .await
        .unwrap();
    assert!(put.attributes().is_none());
    let got = client
        .get_item()
        .table_name("things")
        .key("id", s("all"))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    let got = got.item().unwrap();
    assert_eq!(got["n"], n("1.5"));
    assert_eq!(got["m"].as_m().unwrap()["inner"], n("7"));
    let mut ns = got["ns"].as_ns().unwrap().clone();
    ns.sort();
    assert_eq!(ns, vec!["-0.5".to_string(), "10".to_string()]);
    assert_eq!(got["b"], AttributeValue::B(Blob::new(vec![0u8, 1, 2, 255])));
    assert_eq!(got["bs"].as_bs().unwrap().len(), 2);
    assert_eq!(got["ss"].as_ss().unwrap().len(), 2);
    assert_eq!(
        got["l"],
        AttributeValue::L(vec![s("a"), n("2"), AttributeValue::Bool(false)])
    );
    assert_eq!(got["null"], AttributeValue::Null(true));
    assert_eq!(got["bool"], AttributeValue::Bool(true));
    assert_eq!(got["empty"], s(""));
    assert_eq!(got.len(), 12);

    let proj = client
        .get_item()
        .table_name("things")
        .key("id", s("all"))
        .projection_expression("#s, n, m.#i")
        .expression_attribute_names("#s", "s")
        .expression_attribute_names("#i", "inner")
        .send()
        .await
        .unwrap();
    let p = proj.item().unwrap();
    assert_eq!(p.len(), 3);
    assert_eq!(p["s"], s("text"));
    assert_eq!(p["m"], AttributeValue::M(item(&[("inner", n("7"))])));

    let missing = client
        .get_item()
        .table_name("things")
        .key("id", s("nope"))
        .send()
        .await
        .unwrap();
    assert!(missing.item().is_none());
    server.stop().await;
}

#[tokio::test]
async fn conditional_writes_and_return_values() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(&client, "cond", ("id", ScalarAttributeType::S), None).await;
    let put_new = || {
        client
            .put_item()
            .table_name("cond")
            .item("id", s("k"))
            .item("v", n("1"))
            .condition_expression("attribute_not_exists(id)")
    };
    put_new().send().await.unwrap();
    let err = put_new().send().await.unwrap_err().into_service_error();
    assert!(err.is_conditional_check_failed_exception());
    assert_eq!(err.message(), Some("The conditional request failed"));

    let err = put_new()
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    match err {
        aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(e) => {
            assert_eq!(e.item().unwrap()["v"], n("1"));
        }
        other => panic!("{other:?}"),
    }

    let out = client
        .put_item()
        .table_name("cond")
        .item("id", s("k"))
        .item("v", n("2"))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    assert_eq!(out.attributes().unwrap()["v"], n("1"));

    assert_validation(
        client
            .put_item()
            .table_name("cond")
            .item("id", s("k"))
            .return_values(ReturnValue::AllNew)
            .send()
            .await,
        "ReturnValues can only be ALL_OLD or NONE",
    );

    let err = client
        .delete_item()
        .table_name("cond")
        .key("id", s("k"))
        .condition_expression("v = :one")
        .expression_attribute_values(":one", n("1"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_conditional_check_failed_exception());
    let out = client
        .delete_item()
        .table_name("cond")
        .key("id", s("k"))
        .condition_expression("v = :two")
        .expression_attribute_values(":two", n("2"))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    assert_eq!(out.attributes().unwrap()["v"], n("2"));
    let gone = client
        .get_item()
        .table_name("cond")
        .key("id", s("k"))
        .send()
        .await
        .unwrap();
    assert!(gone.item().is_none());
    let out = client
        .delete_item()
        .table_name("cond")
        .key("id", s("k"))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    assert!(out.attributes().is_none());
    server.stop().await;
}

#[tokio::test]
async fn update_item_expressions_and_return_values() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(
        &client,
        "upd",
        ("id", ScalarAttributeType::S),
        Some(("r", ScalarAttributeType::N)),
    )
    .await;
    let upd = || {
        client
            .update_item()
            .table_name("upd")
            .key("id", s("a"))
            .key("r", n("1"))
    };

    let out = upd()
        .update_expression("SET cnt = :z, tags = :t")
        .expression_attribute_values(":z", n("0"))
        .expression_attribute_values(":t", AttributeValue::Ss(vec!["red".into()]))
        .return_values(ReturnValue::AllNew)
        .send()
        .await
        .unwrap();
    let a = out.attributes().unwrap();
    assert_eq!(a.len(), 4);
    assert_eq!(a["cnt"], n("0"));

    let out = upd()
        .update_expression("ADD cnt :one SET note = :n")
        .expression_attribute_values(":one", n("1.0"))
        .expression_attribute_values(":n", s("hi"))
        .return_values(ReturnValue::UpdatedNew)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.attributes().unwrap(),
        &item(&[("cnt", n("1")), ("note", s("hi"))])
    );

    let out = upd()
        .update_expression("REMOVE note")
        .return_values(ReturnValue::UpdatedOld)
        .send()
        .await
        .unwrap();
    assert_eq!(out.attributes().unwrap(), &item(&[("note", s("hi"))]));

    let out = upd()
        .update_expression("SET cnt = cnt + :one")
        .condition_expression("cnt = :one")
        .expression_attribute_values(":one", n("1"))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    assert_eq!(out.attributes().unwrap()["cnt"], n("1"));
    let err = upd()
        .update_expression("SET cnt = cnt + :one")
        .condition_expression("cnt = :one")
        .expression_attribute_values(":one", n("1"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_conditional_check_failed_exception());

    assert_validation(
        upd()
            .update_expression("SET id = :v")
            .expression_attribute_values(":v", s("x"))
            .send()
            .await,
        "One or more parameter values were invalid: Cannot update attribute id. This attribute is part of the key",
    );
    assert_validation(
        upd()
            .update_expression("SET a = :v")
            .expression_attribute_values(":v", s("x"))
            .expression_attribute_values(":w", s("y"))
            .send()
            .await,
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}",
    );
    // UpdateItem without an expression creates the item with only its key.
    client
        .update_item()
        .table_name("upd")
        .key("id", s("b"))
        .key("r", n("2"))
        .send()
        .await
        .unwrap();
    let got = client
        .get_item()
        .table_name("upd")
        .key("id", s("b"))
        .key("r", n("2"))
        .send()
        .await
        .unwrap();
    assert_eq!(got.item().unwrap(), &item(&[("id", s("b")), ("r", n("2"))]));
    server.stop().await;
}

#[tokio::test]
async fn item_validation_messages() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(
        &client,
        "val",
        ("id", ScalarAttributeType::S),
        Some(("r", ScalarAttributeType::N)),
    )
    .await;
    let put = || client.put_item().table_name("val");

    assert_validation(
        put().item("r", n("1")).send().await,
        "One or more parameter values were invalid: Missing the key id in the item",
    );
    assert_validation(
        put().item("id", n("1")).item("r", n("1")).send().await,
        "One or more parameter values were invalid: Type mismatch for key id expected: S actual: N",
    );
    assert_validation(
        put().item("id", s("")).item("r", n("1")).send().await,
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: id",
    );
    assert_validation(
        put()
            .item("id", s("a"))
            .item("r", n("1"))
            .item("set", AttributeValue::Ss(vec![]))
            .send()
            .await,
        "One or more parameter values were invalid: An string set  may not be empty",
    );
    assert_validation(
        put()
            .item("id", s("a"))
            .item("r", n("1"))
            .item("set", AttributeValue::Ss(vec!["a".into(), "a".into()]))
            .send()
            .await,
        "One or more parameter values were invalid: Input collection [a, a] contains duplicates.",
    );
    assert_validation(
        put()
            .item("id", s("a"))
            .item("r", n("not-a-number"))
            .send()
            .await,
        "The parameter cannot be converted to a numeric value: not-a-number",
    );
    assert_validation(
        put().item("id", s("a")).item("r", n("1E+126")).send().await,
        "Number overflow. Attempting to store a number with magnitude larger than supported range",
    );
    assert_validation(
        put()
            .item("id", s("a"))
            .item("r", n("1"))
            .item("big", s(&"x".repeat(400 * 1024)))
            .send()
            .await,
        "Item size has exceeded the maximum allowed size",
    );
    assert_validation(
        client
            .get_item()
            .table_name("val")
            .key("id", s("a"))
            .send()
            .await,
        "The provided key element does not match the schema",
    );
    assert_validation(
        client
            .get_item()
            .table_name("val")
            .key("id", s("a"))
            .key("r", s("1"))
            .send()
            .await,
        "The provided key element does not match the schema",
    );
    assert_validation(
        client
            .get_item()
            .table_name("val")
            .key("id", s("a"))
            .key("r", n("1"))
            .key("x", n("1"))
            .send()
            .await,
        "The provided key element does not match the schema",
    );
    assert_validation(
        put()
            .item("id", s("a"))
            .item("r", n("1"))
            .condition_expression("attribute_exists(id)")
            .expected(
                "id",
                aws_sdk_dynamodb::types::ExpectedAttributeValue::builder()
                    .exists(true)
                    .value(s("a"))
                    .build(),
            )
            .send()
            .await,
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}",
    );
    assert_validation(
        put()
            .item("id", s("a"))
            .item("r", n("1"))
            .expression_attribute_values(":v", s("x"))
            .send()
            .await,
        "ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null",
    );
    let err = client
        .put_item()
        .table_name("no-such-table")
        .item("id", s("a"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception());
    assert_eq!(err.message(), Some("Requested resource not found"));
    // An item of exactly the largest size is accepted: 400 KB counting names.
    let filler = "x".repeat(400 * 1024 - "id".len() - 1 - "r".len() - 2 - "big".len());
    put()
        .item("id", s("a"))
        .item("r", n("1"))
        .item("big", s(&filler))
        .send()
        .await
        .unwrap();
    server.stop().await;
}

#[tokio::test]
async fn secondary_indexes_follow_writes() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    client
        .create_table()
        .table_name("idx")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr_def("id", ScalarAttributeType::S))
        .attribute_definitions(attr_def("email", ScalarAttributeType::S))
        .key_schema(key_element("id", KeyType::Hash))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("by-email")
                .key_schema(key_element("email", KeyType::Hash))
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
    let by_email = |e: &str| {
        client
            .query()
            .table_name("idx")
            .index_name("by-email")
            .key_condition_expression("email = :e")
            .expression_attribute_values(":e", s(e))
            .send()
    };
    client
        .put_item()
        .table_name("idx")
        .item("id", s("u1"))
        .item("email", s("a@x"))
        .item("age", n("3"))
        .send()
        .await
        .unwrap();
    client
        .put_item()
        .table_name("idx")
        .item("id", s("u2"))
        .item("age", n("4"))
        .send()
        .await
        .unwrap();
    let q = by_email("a@x").await.unwrap();
    assert_eq!(q.items(), &[item(&[("id", s("u1")), ("email", s("a@x"))])]);
    client
        .update_item()
        .table_name("idx")
        .key("id", s("u1"))
        .update_expression("SET email = :e")
        .expression_attribute_values(":e", s("b@x"))
        .send()
        .await
        .unwrap();
    assert_eq!(by_email("a@x").await.unwrap().count(), 0);
    assert_eq!(by_email("b@x").await.unwrap().count(), 1);
    client
        .delete_item()
        .table_name("idx")
        .key("id", s("u1"))
        .send()
        .await
        .unwrap();
    assert_eq!(by_email("b@x").await.unwrap().count(), 0);
    let scan = client
        .scan()
        .table_name("idx")
        .index_name("by-email")
        .send()
        .await
        .unwrap();
    assert_eq!(
        scan.count(),
        0,
        "items without the index key are not in the index"
    );
    assert_validation(
        client
            .put_item()
            .table_name("idx")
            .item("id", s("u3"))
            .item("email", n("5"))
            .send()
            .await,
        "One or more parameter values were invalid: Type mismatch for Index Key email Expected: S Actual: N IndexName: by-email",
    );
    server.stop().await;
}

#[tokio::test]
async fn batch_write_and_get() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(&client, "batch-a", ("id", ScalarAttributeType::S), None).await;
    create_table(&client, "batch-b", ("id", ScalarAttributeType::N), None).await;
    let put = |id: AttributeValue| {
        WriteRequest::builder()
            .put_request(
                PutRequest::builder()
                    .item("id", id)
                    .item("v", s("x"))
                    .build()
                    .unwrap(),
            )
            .build()
    };
    let del = |id: AttributeValue| {
        WriteRequest::builder()
            .delete_request(DeleteRequest::builder().key("id", id).build().unwrap())
            .build()
    };
    let a: Vec<WriteRequest> = (0..20).map(|i| put(s(&format!("a{i}")))).collect();
    let b: Vec<WriteRequest> = (0..5).map(|i| put(n(&i.to_string()))).collect();
    let out = client
        .batch_write_item()
        .request_items("batch-a", a)
        .request_items("batch-b", b)
        .send()
        .await
        .unwrap();
    assert!(out.unprocessed_items().unwrap().is_empty());

    let too_many: Vec<WriteRequest> = (0..26).map(|i| put(s(&format!("z{i}")))).collect();
    assert_validation(
        client
            .batch_write_item()
            .request_items("batch-a", too_many)
            .send()
            .await,
        "1 validation error detected: Value at 'RequestItems.batch-a.member' failed to satisfy constraint: Member must have length less than or equal to 25",
    );
    let over: Vec<WriteRequest> = (0..20).map(|i| put(s(&format!("o{i}")))).collect();
    let over_b: Vec<WriteRequest> = (0..6).map(|i| put(n(&(100 + i).to_string()))).collect();
    assert_validation(
        client
            .batch_write_item()
            .request_items("batch-a", over)
            .request_items("batch-b", over_b)
            .send()
            .await,
        "Too many items requested for the BatchWriteItem call",
    );
    assert_validation(
        client
            .batch_write_item()
            .request_items("batch-a", vec![put(s("d")), del(s("d"))])
            .send()
            .await,
        "Provided list of item keys contains duplicates",
    );
    assert_validation(
        client
            .batch_write_item()
            .request_items("batch-b", vec![put(s("wrong-type"))])
            .send()
            .await,
        "The provided key element does not match the schema",
    );
    let err = client
        .batch_write_item()
        .request_items("nope-table", vec![put(s("x"))])
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception());
    let out = client
        .batch_write_item()
        .request_items("batch-a", vec![del(s("a0")), del(s("never"))])
        .send()
        .await
        .unwrap();
    assert!(out.unprocessed_items().unwrap().is_empty());

    let keys_a: Vec<HashMap<String, AttributeValue>> = (0..20)
        .map(|i| item(&[("id", s(&format!("a{i}")))]))
        .collect();
    let got = client
        .batch_get_item()
        .request_items(
            "batch-a",
            KeysAndAttributes::builder()
                .set_keys(Some(keys_a))
                .projection_expression("id")
                .build()
                .unwrap(),
        )
        .request_items(
            "batch-b",
            KeysAndAttributes::builder()
                .keys(item(&[("id", n("3"))]))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let responses = got.responses().unwrap();
    assert_eq!(responses["batch-a"].len(), 19, "a0 was deleted");
    assert!(responses["batch-a"].iter().all(|i| i.len() == 1));
    assert_eq!(
        responses["batch-b"],
        vec![item(&[("id", n("3")), ("v", s("x"))])]
    );
    assert!(got.unprocessed_keys().unwrap().is_empty());

    let dup = KeysAndAttributes::builder()
        .keys(item(&[("id", s("a1"))]))
        .keys(item(&[("id", s("a1"))]))
        .build()
        .unwrap();
    assert_validation(
        client
            .batch_get_item()
            .request_items("batch-a", dup)
            .send()
            .await,
        "Provided list of item keys contains duplicates",
    );
    let many_a: Vec<HashMap<String, AttributeValue>> = (0..60)
        .map(|i| item(&[("id", s(&format!("m{i}")))]))
        .collect();
    let many_b: Vec<HashMap<String, AttributeValue>> = (0..41)
        .map(|i| item(&[("id", n(&i.to_string()))]))
        .collect();
    assert_validation(
        client
            .batch_get_item()
            .request_items(
                "batch-a",
                KeysAndAttributes::builder()
                    .set_keys(Some(many_a))
                    .build()
                    .unwrap(),
            )
            .request_items(
                "batch-b",
                KeysAndAttributes::builder()
                    .set_keys(Some(many_b))
                    .build()
                    .unwrap(),
            )
            .send()
            .await,
        "Too many items requested for the BatchGetItem call",
    );
    server.stop().await;
}

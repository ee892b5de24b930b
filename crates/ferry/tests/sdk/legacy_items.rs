//! SDK tests: the legacy item parameters — `AttributesToGet` (GetItem,
//! BatchGetItem), `Expected` with `ConditionalOperator` (PutItem,
//! DeleteItem, UpdateItem), `AttributeUpdates` (UpdateItem) — their
//! validation messages, the rule against mixing them with expressions, and
//! UpdateItem's remove-only updates on missing items.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeAction, AttributeValue, AttributeValueUpdate, ComparisonOperator, ConditionalOperator,
    ExpectedAttributeValue, KeysAndAttributes, ReturnValue, ScalarAttributeType,
};

use crate::common::*;

type Item = HashMap<String, AttributeValue>;

async fn setup() -> (TestServer, aws_sdk_dynamodb::Client) {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(&client, "legacy", ("id", ScalarAttributeType::S), None).await;
    (server, client)
}

async fn get(client: &aws_sdk_dynamodb::Client, id: &str) -> Option<Item> {
    client
        .get_item()
        .table_name("legacy")
        .key("id", s(id))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
}

async fn put(client: &aws_sdk_dynamodb::Client, it: Item) {
    client
        .put_item()
        .table_name("legacy")
        .set_item(Some(it))
        .send()
        .await
        .unwrap();
}

fn exists(flag: bool) -> ExpectedAttributeValue {
    ExpectedAttributeValue::builder().exists(flag).build()
}

fn value(v: AttributeValue) -> ExpectedAttributeValue {
    ExpectedAttributeValue::builder().value(v).build()
}

fn op(o: ComparisonOperator, values: &[AttributeValue]) -> ExpectedAttributeValue {
    ExpectedAttributeValue::builder()
        .comparison_operator(o)
        .set_attribute_value_list(Some(values.to_vec()))
        .build()
}

fn upd(action: AttributeAction, v: Option<AttributeValue>) -> AttributeValueUpdate {
    AttributeValueUpdate::builder()
        .action(action)
        .set_value(v)
        .build()
}

fn ss(xs: &[&str]) -> AttributeValue {
    AttributeValue::Ss(xs.iter().map(|x| x.to_string()).collect())
}

fn sorted_ss(v: &AttributeValue) -> Vec<String> {
    let mut out = v.as_ss().unwrap().clone();
    out.sort();
    out
}

#[tokio::test]
async fn attributes_to_get_on_get_item_and_batch_get_item() {
    let (_server, client) = setup().await;
    put(
        &client,
        item(&[("id", s("1")), ("a", s("x")), ("b", n("2")), ("c", s("z"))]),
    )
    .await;
    let got = client
        .get_item()
        .table_name("legacy")
        .key("id", s("1"))
        .attributes_to_get("a")
        .attributes_to_get("b")
        .attributes_to_get("missing")
        .send()
        .await
        .unwrap();
    assert_eq!(got.item.unwrap(), item(&[("a", s("x")), ("b", n("2"))]));

    let batch = client
        .batch_get_item()
        .request_items(
            "legacy",
            KeysAndAttributes::builder()
                .keys(item(&[("id", s("1"))]))
                .attributes_to_get("c")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        batch.responses().unwrap()["legacy"],
        vec![item(&[("c", s("z"))])]
    );

    assert_validation(
        client
            .get_item()
            .table_name("legacy")
            .key("id", s("1"))
            .attributes_to_get("a")
            .attributes_to_get("a")
            .send()
            .await,
        "One or more parameter values were invalid: Duplicate value in attribute name: a",
    );
    assert_validation(
        client
            .get_item()
            .table_name("legacy")
            .key("id", s("1"))
            .set_attributes_to_get(Some(vec![]))
            .send()
            .await,
        "1 validation error detected: Value '[]' at 'attributesToGet' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
}

#[tokio::test]
async fn expected_guards_put_delete_and_update() {
    let (_server, client) = setup().await;
    let original = item(&[("id", s("1")), ("n", n("5")), ("tag", s("red"))]);
    // Exists: false on a new item.
    client
        .put_item()
        .table_name("legacy")
        .set_item(Some(original.clone()))
        .expected("id", exists(false))
        .send()
        .await
        .unwrap();
    let (code, _) = failure(
        client
            .put_item()
            .table_name("legacy")
            .set_item(Some(item(&[("id", s("1"))])))
            .expected("id", exists(false))
            .send()
            .await,
    );
    assert_eq!(code, "ConditionalCheckFailedException");
    assert_eq!(get(&client, "1").await.unwrap(), original);

    // Value (implied Exists: true) and comparison operators, AND by default.
    let failed = client
        .put_item()
        .table_name("legacy")
        .set_item(Some(item(&[("id", s("1"))])))
        .expected("n", op(ComparisonOperator::Gt, &[n("4")]))
        .expected("tag", value(s("blue")))
        .send()
        .await;
    assert_eq!(failure(failed).0, "ConditionalCheckFailedException");
    assert_eq!(get(&client, "1").await.unwrap(), original);
    // ... and OR under ConditionalOperator.
    client
        .update_item()
        .table_name("legacy")
        .key("id", s("1"))
        .attribute_updates("tag", upd(AttributeAction::Put, Some(s("green"))))
        .expected("n", op(ComparisonOperator::Gt, &[n("4")]))
        .expected("tag", value(s("blue")))
        .conditional_operator(ConditionalOperator::Or)
        .send()
        .await
        .unwrap();
    assert_eq!(get(&client, "1").await.unwrap()["tag"], s("green"));

    // BETWEEN, IN, NOT_NULL, NULL, BEGINS_WITH on DeleteItem.
    let (code, _) = failure(
        client
            .delete_item()
            .table_name("legacy")
            .key("id", s("1"))
            .expected("n", op(ComparisonOperator::Between, &[n("6"), n("9")]))
            .send()
            .await,
    );
    assert_eq!(code, "ConditionalCheckFailedException");
    client
        .delete_item()
        .table_name("legacy")
        .key("id", s("1"))
        .expected("n", op(ComparisonOperator::In, &[n("1"), n("5")]))
        .expected("tag", op(ComparisonOperator::BeginsWith, &[s("gr")]))
        .expected("n", op(ComparisonOperator::NotNull, &[]))
        .expected("gone", op(ComparisonOperator::Null, &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(get(&client, "1").await, None);

    // ReturnValuesOnConditionCheckFailure works with Expected too.
    put(&client, original.clone()).await;
    let r = client
        .delete_item()
        .table_name("legacy")
        .key("id", s("1"))
        .expected("n", op(ComparisonOperator::Lt, &[n("5")]))
        .return_values_on_condition_check_failure(
            aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure::AllOld,
        )
        .send()
        .await;
    match r {
        Err(e) => {
            let e = e.into_service_error();
            assert!(e.is_conditional_check_failed_exception());
            if let aws_sdk_dynamodb::operation::delete_item::DeleteItemError::ConditionalCheckFailedException(c) = e {
                assert_eq!(c.item.unwrap(), original);
            }
        }
        Ok(v) => panic!("expected a failed condition, got {v:?}"),
    }
    assert_eq!(get(&client, "1").await.unwrap(), original);
}

#[tokio::test]
async fn expected_validation_messages() {
    let (_server, client) = setup().await;
    let original = item(&[("id", s("1")), ("n", n("5"))]);
    put(&client, original.clone()).await;
    let cases: Vec<(ExpectedAttributeValue, &str)> = vec![
        (
            ExpectedAttributeValue::builder().build(),
            "One or more parameter values were invalid: Value must be provided when Exists is null for Attribute: n",
        ),
        (
            exists(true),
            "One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: n",
        ),
        (
            ExpectedAttributeValue::builder()
                .exists(false)
                .value(n("1"))
                .build(),
            "One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: n",
        ),
        (
            ExpectedAttributeValue::builder()
                .exists(true)
                .comparison_operator(ComparisonOperator::Eq)
                .value(n("1"))
                .build(),
            "One or more parameter values were invalid: Exists and ComparisonOperator cannot be used together for Attribute: n",
        ),
        (
            ExpectedAttributeValue::builder()
                .value(n("1"))
                .attribute_value_list(n("1"))
                .comparison_operator(ComparisonOperator::Eq)
                .build(),
            "One or more parameter values were invalid: Value and AttributeValueList cannot be used together for Attribute: n",
        ),
        (
            ExpectedAttributeValue::builder()
                .attribute_value_list(n("1"))
                .build(),
            "One or more parameter values were invalid: AttributeValueList can only be used with a ComparisonOperator for Attribute: n",
        ),
        (
            ExpectedAttributeValue::builder()
                .comparison_operator(ComparisonOperator::Eq)
                .build(),
            "One or more parameter values were invalid: Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: n",
        ),
        (
            op(ComparisonOperator::Between, &[n("1")]),
            "One or more parameter values were invalid: Invalid number of argument(s) for the BETWEEN ComparisonOperator",
        ),
        (
            op(ComparisonOperator::NotNull, &[n("1")]),
            "One or more parameter values were invalid: Invalid number of argument(s) for the NOT_NULL ComparisonOperator",
        ),
        (
            op(ComparisonOperator::In, &[n("1"), s("x")]),
            "One or more parameter values were invalid: AttributeValues inside AttributeValueList must be of same type",
        ),
        (
            op(ComparisonOperator::Between, &[n("9"), n("1")]),
            "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound",
        ),
    ];
    for (expected, message) in cases {
        assert_validation(
            client
                .put_item()
                .table_name("legacy")
                .set_item(Some(item(&[("id", s("1")), ("new", s("x"))])))
                .expected("n", expected)
                .send()
                .await,
            message,
        );
    }
    assert_validation(
        client
            .put_item()
            .table_name("legacy")
            .set_item(Some(item(&[("id", s("1"))])))
            .expected(
                "n",
                ExpectedAttributeValue::builder()
                    .value(AttributeValue::Ns(vec!["1".into(), "1".into()]))
                    .build(),
            )
            .send()
            .await,
        "Input collection contains duplicates",
    );
    // A ComparisonOperator outside the enum is a constraint violation.
    let r = server_raw_put(
        &_server,
        r#"{"ComparisonOperator":"ALMOST","Value":{"N":"1"}}"#,
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["message"],
        "1 validation error detected: Value 'ALMOST' at 'expected.n.member.comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]"
    );
    assert_eq!(get(&client, "1").await.unwrap(), original);
}

async fn server_raw_put(server: &TestServer, expected_n: &str) -> RawResponse {
    server
        .raw(
            "DynamoDB_20120810.PutItem",
            &format!(
                r#"{{"TableName":"legacy","Item":{{"id":{{"S":"1"}}}},"Expected":{{"n":{expected_n}}}}}"#
            ),
        )
        .await
}

#[tokio::test]
async fn attribute_updates_put_add_delete() {
    let (_server, client) = setup().await;
    // On a missing item: ADD creates, DELETE does nothing.
    let out = client
        .update_item()
        .table_name("legacy")
        .key("id", s("1"))
        .attribute_updates("gone", upd(AttributeAction::Delete, None))
        .attribute_updates("set0", upd(AttributeAction::Delete, Some(ss(&["a"]))))
        .attribute_updates("count", upd(AttributeAction::Add, Some(n("5"))))
        .attribute_updates("tags", upd(AttributeAction::Add, Some(ss(&["a", "b"]))))
        .attribute_updates(
            "list",
            upd(AttributeAction::Add, Some(AttributeValue::L(vec![s("x")]))),
        )
        .return_values(ReturnValue::UpdatedNew)
        .send()
        .await
        .unwrap();
    let attrs = out.attributes.unwrap();
    assert_eq!(attrs.len(), 3, "{attrs:?}");
    assert_eq!(attrs["count"], n("5"));
    assert_eq!(sorted_ss(&attrs["tags"]), ["a", "b"]);
    assert_eq!(attrs["list"], AttributeValue::L(vec![s("x")]));

    // On the existing item: PUT (the default action), ADD, DELETE.
    let out = client
        .update_item()
        .table_name("legacy")
        .key("id", s("1"))
        .attribute_updates(
            "name",
            AttributeValueUpdate::builder().value(s("ferry")).build(),
        )
        .attribute_updates("count", upd(AttributeAction::Add, Some(n("-7"))))
        .attribute_updates("tags", upd(AttributeAction::Delete, Some(ss(&["a", "zz"]))))
        .attribute_updates(
            "list",
            upd(AttributeAction::Add, Some(AttributeValue::L(vec![s("y")]))),
        )
        .return_values(ReturnValue::UpdatedOld)
        .send()
        .await
        .unwrap();
    let old = out.attributes.unwrap();
    assert_eq!(old.len(), 3, "{old:?}");
    assert_eq!(old["count"], n("5"));
    let now = get(&client, "1").await.unwrap();
    assert_eq!(now["name"], s("ferry"));
    assert_eq!(now["count"], n("-2"));
    assert_eq!(sorted_ss(&now["tags"]), ["b"]);
    assert_eq!(now["list"], AttributeValue::L(vec![s("x"), s("y")]));

    // DELETE of the last members and of a whole attribute.
    client
        .update_item()
        .table_name("legacy")
        .key("id", s("1"))
        .attribute_updates("tags", upd(AttributeAction::Delete, Some(ss(&["b"]))))
        .attribute_updates("name", upd(AttributeAction::Delete, None))
        .send()
        .await
        .unwrap();
    let now = get(&client, "1").await.unwrap();
    assert!(
        !now.contains_key("tags") && !now.contains_key("name"),
        "{now:?}"
    );
}

#[tokio::test]
async fn attribute_updates_validation_and_type_mismatch() {
    let (_server, client) = setup().await;
    let original = item(&[("id", s("1")), ("tags", ss(&["a"])), ("count", n("1"))]);
    put(&client, original.clone()).await;
    let cases: Vec<(&str, AttributeValueUpdate, &str)> = vec![
        (
            "x",
            upd(AttributeAction::Put, None),
            "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified",
        ),
        (
            "x",
            upd(AttributeAction::Delete, Some(s("a"))),
            "One or more parameter values were invalid: DELETE action with value is not supported for the type S",
        ),
        (
            "x",
            upd(AttributeAction::Add, Some(s("a"))),
            "One or more parameter values were invalid: ADD action is not supported for the type S",
        ),
        (
            "tags",
            upd(
                AttributeAction::Add,
                Some(AttributeValue::Ns(vec!["1".into()])),
            ),
            "Type mismatch for attribute to update",
        ),
        (
            "count",
            upd(
                AttributeAction::Delete,
                Some(AttributeValue::Ns(vec!["1".into()])),
            ),
            "Type mismatch for attribute to update",
        ),
        (
            "id",
            upd(AttributeAction::Put, Some(s("2"))),
            "One or more parameter values were invalid: Cannot update attribute id. This attribute is part of the key",
        ),
    ];
    for (attr, u, message) in cases {
        assert_validation(
            client
                .update_item()
                .table_name("legacy")
                .key("id", s("1"))
                .attribute_updates(attr, u)
                .attribute_updates("other", upd(AttributeAction::Put, Some(s("v"))))
                .send()
                .await,
            message,
        );
    }
    assert_eq!(get(&client, "1").await.unwrap(), original);
}

#[tokio::test]
async fn legacy_and_expression_parameters_do_not_mix() {
    let (_server, client) = setup().await;
    put(&client, item(&[("id", s("1")), ("a", s("x"))])).await;
    let mixed = "Can not use both expression and non-expression parameters in the same request";
    assert_validation(
        client
            .get_item()
            .table_name("legacy")
            .key("id", s("1"))
            .attributes_to_get("a")
            .projection_expression("a")
            .send()
            .await,
        &format!(
            "{mixed}: Non-expression parameters: {{AttributesToGet}} Expression parameters: {{ProjectionExpression}}"
        ),
    );
    assert_validation(
        client
            .put_item()
            .table_name("legacy")
            .set_item(Some(item(&[("id", s("1"))])))
            .expected("a", exists(false))
            .condition_expression("attribute_exists(a)")
            .send()
            .await,
        &format!(
            "{mixed}: Non-expression parameters: {{Expected}} Expression parameters: {{ConditionExpression}}"
        ),
    );
    assert_validation(
        client
            .update_item()
            .table_name("legacy")
            .key("id", s("1"))
            .attribute_updates("a", upd(AttributeAction::Put, Some(s("y"))))
            .update_expression("SET a = :v")
            .condition_expression("attribute_exists(a)")
            .expression_attribute_values(":v", s("y"))
            .send()
            .await,
        &format!(
            "{mixed}: Non-expression parameters: {{AttributeUpdates}} Expression parameters: {{UpdateExpression, ConditionExpression}}"
        ),
    );
    assert_validation(
        client
            .update_item()
            .table_name("legacy")
            .key("id", s("1"))
            .attribute_updates("a", upd(AttributeAction::Put, Some(s("y"))))
            .expression_attribute_names("#a", "a")
            .send()
            .await,
        "ExpressionAttributeNames can only be specified when using expressions",
    );
    assert_eq!(
        get(&client, "1").await.unwrap(),
        item(&[("id", s("1")), ("a", s("x"))])
    );
}

#[tokio::test]
async fn remove_only_updates_on_a_missing_item_create_nothing() {
    let (_server, client) = setup().await;
    for expr in ["REMOVE a", "REMOVE a.b", "REMOVE a, b[2]"] {
        let out = client
            .update_item()
            .table_name("legacy")
            .key("id", s("ghost"))
            .update_expression(expr)
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{expr}: {e:?}"));
        assert_eq!(out.attributes, None, "{expr}");
        assert_eq!(get(&client, "ghost").await, None, "{expr}");
    }
    // The legacy DELETE-only form behaves the same.
    let out = client
        .update_item()
        .table_name("legacy")
        .key("id", s("ghost"))
        .attribute_updates("a", upd(AttributeAction::Delete, None))
        .return_values(ReturnValue::AllNew)
        .send()
        .await
        .unwrap();
    assert_eq!(out.attributes, None);
    assert_eq!(get(&client, "ghost").await, None);
    // An update with no actions still creates the item, as DynamoDB does.
    client
        .update_item()
        .table_name("legacy")
        .key("id", s("ghost"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        get(&client, "ghost").await,
        Some(item(&[("id", s("ghost"))]))
    );
}

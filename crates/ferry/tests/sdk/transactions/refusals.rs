//! Refused transactions: DynamoDB's validation messages, missing tables,
//! two actions on one item, the 100-action and 4 MB limits, action-level
//! validation errors as cancellation reasons — each leaving every table as
//! it was.

use aws_sdk_dynamodb::types::{Get, TransactGetItem};

use super::*;

const CANCELED: &str = "com.amazonaws.dynamodb.v20120810#TransactionCanceledException";

/// Seed `accts` with one account and return the tables' contents.
async fn seeded(client: &aws_sdk_dynamodb::Client) -> (Vec<Item>, Vec<Item>) {
    two_tables(client).await;
    client
        .put_item()
        .table_name("accts")
        .set_item(Some(account("a", 5)))
        .send()
        .await
        .unwrap();
    (
        scan_all(client, "accts").await,
        scan_all(client, "audit").await,
    )
}

fn get(table: &str, k: Item) -> TransactGetItem {
    TransactGetItem::builder()
        .get(
            Get::builder()
                .table_name(table)
                .set_key(Some(k))
                .build()
                .unwrap(),
        )
        .build()
}

#[tokio::test]
async fn request_validation_messages() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    let before = seeded(&client).await;
    let tx = || client.transact_write_items();

    assert_validation(
        tx().set_transact_items(Some(vec![])).send().await,
        "1 validation error detected: Value '[]' at 'transactItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
    let many: Vec<_> = (0..101)
        .map(|i| put("audit", key(&format!("k{i}"))))
        .collect();
    let (code, msg) = failure(tx().set_transact_items(Some(many)).send().await);
    assert_eq!(code, "ValidationException");
    assert!(
        msg.starts_with(
            "1 validation error detected: Value '[TransactWriteItem(conditionCheck=null, put=Put(item={id=AttributeValue(S=k0)}, tableName=audit, conditionExpression=null,"
        ),
        "{msg}"
    );
    assert!(
        msg.ends_with(
            "delete=null, update=null)]' at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100"
        ),
        "{msg}"
    );
    // 100 actions are fine.
    let hundred: Vec<_> = (0..100)
        .map(|i| check("audit", key(&format!("k{i}")), "attribute_not_exists(id)"))
        .collect();
    tx().set_transact_items(Some(hundred)).send().await.unwrap();

    assert_validation(
        tx().transact_items(put("accts", account("a", 1)))
            .transact_items(check("accts", key("a"), "attribute_exists(id)"))
            .send()
            .await,
        "Transaction request cannot include multiple operations on one item",
    );
    let (code, msg) = failure(
        tx().transact_items(put("audit", key("x")))
            .transact_items(put("ghost-table", key("x")))
            .send()
            .await,
    );
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("ResourceNotFoundException", "Requested resource not found")
    );
    assert_validation(
        tx().transact_items(add("accts", "a", 1))
            .client_request_token("t".repeat(37))
            .send()
            .await,
        &format!(
            "1 validation error detected: Value '{}' at 'clientRequestToken' failed to satisfy constraint: Member must have length less than or equal to 36",
            "t".repeat(37)
        ),
    );
    assert_validation(
        tx().transact_items(check("accts", key("a"), "attribute_exists(#nope)"))
            .send()
            .await,
        "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #nope",
    );
    // Over 4 MB of items: 11 items of ~390 KB.
    let big = "x".repeat(390 * 1024);
    let heavy: Vec<_> = (0..11)
        .map(|i| {
            put(
                "audit",
                item(&[("id", s(&format!("h{i}"))), ("v", s(&big))]),
            )
        })
        .collect();
    assert_validation(
        tx().set_transact_items(Some(heavy)).send().await,
        "Transaction size cannot exceed 4 MB: the aggregate size of the items in the transaction is too large",
    );
    assert_eq!(
        (
            scan_all(&client, "accts").await,
            scan_all(&client, "audit").await
        ),
        before
    );
}

#[tokio::test]
async fn member_level_messages_over_the_wire() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    let before = seeded(&client).await;
    let write = "DynamoDB_20120810.TransactWriteItems";
    let cases = [
        (
            r#"{}"#,
            "1 validation error detected: Value null at 'transactItems' failed to satisfy constraint: Member must not be null",
        ),
        (
            r#"{"TransactItems":[{"ConditionCheck":{"TableName":"accts","Key":{"id":{"S":"a"}}}}]}"#,
            "1 validation error detected: Value null at 'transactItems.1.member.conditionCheck.conditionExpression' failed to satisfy constraint: Member must not be null",
        ),
        (
            r#"{"TransactItems":[{"Put":{"TableName":"accts","Item":{"id":{"S":"q"}}}},{"Update":{"TableName":"ab","Key":{"id":{"S":"a"}}}}]}"#,
            "2 validation errors detected: Value 'ab' at 'transactItems.2.member.update.tableName' failed to satisfy constraint: Member must have length greater than or equal to 3; Value null at 'transactItems.2.member.update.updateExpression' failed to satisfy constraint: Member must not be null",
        ),
        (
            r#"{"TransactItems":[{"Delete":{"TableName":"accts","Key":{"id":{"S":"a"}},"ReturnValuesOnConditionCheckFailure":"SOME"}}],"ReturnConsumedCapacity":"ALL"}"#,
            "2 validation errors detected: Value 'SOME' at 'transactItems.1.member.delete.returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]; Value 'ALL' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]",
        ),
        (
            r#"{"TransactItems":[{"Put":{"TableName":"accts","Item":{"id":{"S":"q"}}},"Delete":{"TableName":"accts","Key":{"id":{"S":"a"}}}}]}"#,
            "TransactItems can only contain one of Check, Put, Update or Delete",
        ),
        (
            r#"{"TransactItems":[{"Put":{"TableName":"accts","Item":{"id":{"S":"q"}},"ConditionExpression":"hello!"}}]}"#,
            "Invalid ConditionExpression: Syntax error; token: \"!\", near: \"hello!\"",
        ),
    ];
    for (body, message) in cases {
        let r = server.raw(write, body).await;
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        let j = r.json();
        assert_eq!(
            j["__type"], "com.amazon.coral.validate#ValidationException",
            "{body}"
        );
        assert_eq!(j["message"], message, "{body}");
    }
    let get = "DynamoDB_20120810.TransactGetItems";
    let r = server
        .raw(
            get,
            r#"{"TransactItems":[{}, {"Get":{"Key":{"id":{"S":"a"}}}}]}"#,
        )
        .await;
    assert_eq!(
        r.json()["message"],
        "2 validation errors detected: Value null at 'transactItems.1.member.get' failed to satisfy constraint: Member must not be null; Value null at 'transactItems.2.member.get.tableName' failed to satisfy constraint: Member must not be null"
    );
    // The cancellation body as DynamoDB sends it ("Message", reasons).
    let r = server
        .raw(
            write,
            r#"{"TransactItems":[{"ConditionCheck":{"TableName":"accts","Key":{"id":{"S":"a"}},"ConditionExpression":"b > :z","ExpressionAttributeValues":{":z":{"N":"10"}},"ReturnValuesOnConditionCheckFailure":"ALL_OLD"}},{"Put":{"TableName":"audit","Item":{"id":{"S":"n"}}}}]}"#,
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json(),
        serde_json::json!({
            "__type": CANCELED,
            "Message": "Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None]",
            "CancellationReasons": [
                {"Code": "ConditionalCheckFailed", "Item": {"id": {"S": "a"}, "b": {"N": "5"}}, "Message": "The conditional request failed"},
                {"Code": "None"}
            ]
        })
    );
    assert_eq!(
        (
            scan_all(&client, "accts").await,
            scan_all(&client, "audit").await
        ),
        before
    );
}

#[tokio::test]
async fn a_bad_key_is_a_validation_error_reason() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    let before = seeded(&client).await;
    let r = client
        .transact_write_items()
        .transact_items(put("audit", key("fine")))
        .transact_items(put("audit", item(&[("id", n("7"))])))
        .transact_items(put("audit", item(&[("id", n("8"))])))
        .transact_items(check("accts", key("zz"), "attribute_exists(id)"))
        .send()
        .await;
    let (message, reasons) = cancellation(r);
    assert_eq!(
        message,
        "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ValidationError, None, None]"
    );
    assert_eq!(
        reasons[1].message(),
        Some(
            "One or more parameter values were invalid: Type mismatch for key id expected: S actual: N"
        )
    );
    assert_eq!(
        (
            scan_all(&client, "accts").await,
            scan_all(&client, "audit").await
        ),
        before
    );

    // TransactGetItems: the same rules.
    let gets = || client.transact_get_items();
    let (code, msg) = failure(
        gets()
            .transact_items(get("accts", key("a")))
            .transact_items(get("accts", key("a")))
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(
        msg,
        "Transaction request cannot include multiple operations on one item"
    );
    let (code, msg) = failure(gets().transact_items(get("nothere", key("a"))).send().await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("ResourceNotFoundException", "Requested resource not found")
    );
    let (code, msg) = failure(
        gets()
            .transact_items(get("accts", item(&[("id", n("1"))])))
            .send()
            .await,
    );
    assert_eq!(code, "TransactionCanceledException");
    assert_eq!(
        msg,
        "Transaction cancelled, please refer cancellation reasons for specific reasons [ValidationError]"
    );
    let many: Vec<_> = (0..101)
        .map(|i| get("accts", key(&format!("k{i}"))))
        .collect();
    let (code, msg) = failure(gets().set_transact_items(Some(many)).send().await);
    assert_eq!(code, "ValidationException");
    assert!(
        msg.ends_with("' at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100"),
        "{msg}"
    );
}

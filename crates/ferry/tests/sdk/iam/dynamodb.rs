//! DynamoDB under identity policies: allowed and refused paths, explicit
//! deny, wildcards, conditions, `dynamodb:LeadingKeys` on items, batches,
//! transactions and Query, indexes, and what `--iam` changes at the edge.

use aws_sdk_dynamodb::types::{
    DeleteRequest, GlobalSecondaryIndex, KeyType, Projection, ProjectionType, Put, PutRequest,
    ScalarAttributeType, TransactWriteItem, WriteRequest,
};

use super::*;

async fn books(server: &TestServer) -> aws_sdk_dynamodb::Client {
    let admin = server.dynamodb_as(ADMIN.0, ADMIN.1).await;
    create_table(&admin, "books", ("pk", ScalarAttributeType::S), None).await;
    create_table(&admin, "other", ("pk", ScalarAttributeType::S), None).await;
    admin
}

async fn count(client: &aws_sdk_dynamodb::Client, table: &str) -> usize {
    client
        .scan()
        .table_name(table)
        .send()
        .await
        .unwrap()
        .items()
        .len()
}

#[tokio::test]
async fn identity_policy_allows_its_actions_and_refuses_the_rest_with_awss_message() {
    let policy = allow(
        r#"["dynamodb:GetItem", "dynamodb:PutItem"]"#,
        &format!("\"{}\"", table_arn("books")),
    );
    let server = server(&format!("[{policy}]")).await;
    let admin = books(&server).await;
    let dave = server.dynamodb_as(DAVE.0, DAVE.1).await;

    dave.put_item()
        .table_name("books")
        .set_item(Some(item(&[("pk", s("a"))])))
        .send()
        .await
        .unwrap();
    let got = dave
        .get_item()
        .table_name("books")
        .set_key(Some(item(&[("pk", s("a"))])))
        .send()
        .await
        .unwrap();
    assert!(got.item().is_some());

    let r = dave
        .put_item()
        .table_name("other")
        .set_item(Some(item(&[("pk", s("a"))])))
        .send()
        .await;
    assert_access_denied(r, &not_allowed("dynamodb:PutItem", &table_arn("other")));
    assert_eq!(
        count(&admin, "other").await,
        0,
        "a refused PutItem writes nothing"
    );

    let r = dave
        .delete_item()
        .table_name("books")
        .set_key(Some(item(&[("pk", s("a"))])))
        .send()
        .await;
    assert_access_denied(r, &not_allowed("dynamodb:DeleteItem", &table_arn("books")));
    assert_eq!(count(&admin, "books").await, 1);

    let r = dave.list_tables().send().await;
    assert_access_denied(r, &not_allowed("dynamodb:ListTables", "*"));
    let r = dave.scan().table_name("books").send().await;
    assert_access_denied(r, &not_allowed("dynamodb:Scan", &table_arn("books")));
}

#[tokio::test]
async fn explicit_deny_wins_over_allow() {
    let server = server(&format!(
        r#"[{}, {{"Version": "2012-10-17", "Statement": {{"Effect": "Deny", "Action": "dynamodb:DeleteTable", "Resource": "*"}}}}]"#,
        allow(r#""dynamodb:*""#, r#""*""#)
    ))
    .await;
    let admin = books(&server).await;
    let dave = server.dynamodb_as(DAVE.0, DAVE.1).await;
    let r = dave.delete_table().table_name("books").send().await;
    assert_access_denied(r, &denied("dynamodb:DeleteTable", &table_arn("books")));
    admin
        .describe_table()
        .table_name("books")
        .send()
        .await
        .expect("the table is still there");
    dave.describe_table()
        .table_name("books")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn wildcards_in_actions_and_resources() {
    let policy = allow(
        r#""DynamoDB:Get*""#,
        &format!("\"arn:aws:dynamodb:*:{ACCOUNT}:table/boo?s\""),
    );
    let server = server(&format!("[{policy}]")).await;
    let _admin = books(&server).await;
    let dave = server.dynamodb_as(DAVE.0, DAVE.1).await;
    let key = item(&[("pk", s("x"))]);
    dave.get_item()
        .table_name("books")
        .set_key(Some(key.clone()))
        .send()
        .await
        .unwrap();
    let r = dave
        .get_item()
        .table_name("other")
        .set_key(Some(key.clone()))
        .send()
        .await;
    assert_access_denied(r, &not_allowed("dynamodb:GetItem", &table_arn("other")));
    let r = dave
        .put_item()
        .table_name("books")
        .set_item(Some(key))
        .send()
        .await;
    assert_access_denied(r, &not_allowed("dynamodb:PutItem", &table_arn("books")));
}

#[tokio::test]
async fn conditions_on_source_ip_and_username() {
    let server = server(
        r#"[{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "dynamodb:DescribeTable", "Resource": "*",
             "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}, "StringEquals": {"aws:username": "Dave"}}},
            {"Effect": "Allow", "Action": "dynamodb:DescribeTimeToLive", "Resource": "*",
             "Condition": {"NotIpAddress": {"aws:SourceIp": "127.0.0.0/8"}}},
            {"Effect": "Allow", "Action": "dynamodb:DescribeContinuousBackups", "Resource": "*",
             "Condition": {"StringEquals": {"aws:PrincipalAccount": "444455556666"}}}]}]"#,
    )
    .await;
    let _admin = books(&server).await;
    let dave = server.dynamodb_as(DAVE.0, DAVE.1).await;
    dave.describe_table()
        .table_name("books")
        .send()
        .await
        .unwrap();
    let r = dave
        .describe_time_to_live()
        .table_name("books")
        .send()
        .await;
    assert_access_denied(
        r,
        &not_allowed("dynamodb:DescribeTimeToLive", &table_arn("books")),
    );
    let r = dave
        .describe_continuous_backups()
        .table_name("books")
        .send()
        .await;
    assert_access_denied(
        r,
        &not_allowed("dynamodb:DescribeContinuousBackups", &table_arn("books")),
    );
}

/// The per-user partition policy of AWS's fine-grained access control guide.
const OWN_PARTITION: &str = r#"[{"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow",
    "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
               "dynamodb:BatchWriteItem", "dynamodb:BatchGetItem", "dynamodb:Query"],
    "Resource": ["arn:aws:dynamodb:us-east-1:111122223333:table/books",
                 "arn:aws:dynamodb:us-east-1:111122223333:table/books/index/*"],
    "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:username}"]}}}]}]"#;

#[tokio::test]
async fn leading_keys_confine_a_user_to_its_partition() {
    let server = server(OWN_PARTITION).await;
    let admin = books(&server).await;
    let dave = server.dynamodb_as(DAVE.0, DAVE.1).await;
    let own = item(&[("pk", s("Dave"))]);
    let theirs = item(&[("pk", s("Ann"))]);
    dave.put_item()
        .table_name("books")
        .set_item(Some(own.clone()))
        .send()
        .await
        .unwrap();
    let r = dave
        .put_item()
        .table_name("books")
        .set_item(Some(theirs.clone()))
        .send()
        .await;
    assert_access_denied(r, &not_allowed("dynamodb:PutItem", &table_arn("books")));
    let r = dave
        .get_item()
        .table_name("books")
        .set_key(Some(theirs.clone()))
        .send()
        .await;
    assert_access_denied(r, &not_allowed("dynamodb:GetItem", &table_arn("books")));

    // Query: the partition key of the key condition.
    let q = dave
        .query()
        .table_name("books")
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", s("Dave"))
        .send()
        .await
        .unwrap();
    assert_eq!(q.count(), 1);
    let r = dave
        .query()
        .table_name("books")
        .key_condition_expression("#k = :p")
        .expression_attribute_names("#k", "pk")
        .expression_attribute_values(":p", s("Ann"))
        .send()
        .await;
    assert_access_denied(r, &not_allowed("dynamodb:Query", &table_arn("books")));

    // A batch touching another partition is refused whole: nothing written.
    let put = |it: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>| {
        WriteRequest::builder()
            .put_request(
                PutRequest::builder()
                    .set_item(Some(it.clone()))
                    .build()
                    .unwrap(),
            )
            .build()
    };
    let r = dave
        .batch_write_item()
        .request_items(
            "books",
            vec![
                put(&item(&[("pk", s("Dave")), ("v", s("2"))])),
                put(&theirs),
            ],
        )
        .send()
        .await;
    assert_access_denied(
        r,
        &not_allowed("dynamodb:BatchWriteItem", &table_arn("books")),
    );
    let r = dave
        .batch_write_item()
        .request_items(
            "books",
            vec![
                WriteRequest::builder()
                    .delete_request(
                        DeleteRequest::builder()
                            .set_key(Some(theirs.clone()))
                            .build()
                            .unwrap(),
                    )
                    .build(),
            ],
        )
        .send()
        .await;
    assert_access_denied(
        r,
        &not_allowed("dynamodb:BatchWriteItem", &table_arn("books")),
    );
    let stored = admin
        .get_item()
        .table_name("books")
        .set_key(Some(own.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(stored.item(), Some(&own), "the refused batch wrote nothing");

    // A transaction: each action is checked, as PutItem here; the table is
    // also outside the policy's actions for the ConditionCheck.
    let tx_put =
        |it: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>| {
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name("books")
                        .set_item(Some(it.clone()))
                        .build()
                        .unwrap(),
                )
                .build()
        };
    dave.transact_write_items()
        .transact_items(tx_put(&item(&[("pk", s("Dave")), ("v", s("3"))])))
        .send()
        .await
        .unwrap();
    let r = dave
        .transact_write_items()
        .transact_items(tx_put(&item(&[("pk", s("Dave")), ("v", s("4"))])))
        .transact_items(tx_put(&theirs))
        .send()
        .await;
    assert_access_denied(r, &not_allowed("dynamodb:PutItem", &table_arn("books")));
    assert_eq!(
        count(&admin, "books").await,
        1,
        "the refused transaction wrote nothing"
    );
    let v = admin
        .get_item()
        .table_name("books")
        .set_key(Some(own))
        .send()
        .await
        .unwrap();
    assert_eq!(v.item().and_then(|i| i.get("v")), Some(&s("3")));
}

#[tokio::test]
async fn an_index_is_its_own_resource() {
    let policy = allow(
        r#""dynamodb:Query""#,
        &format!("\"{}/index/by_author\"", table_arn("shelf")),
    );
    let server = server(&format!("[{policy}]")).await;
    let admin = server.dynamodb_as(ADMIN.0, ADMIN.1).await;
    admin
        .create_table()
        .table_name("shelf")
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .attribute_definitions(attr_def("pk", ScalarAttributeType::S))
        .attribute_definitions(attr_def("author", ScalarAttributeType::S))
        .key_schema(key_element("pk", KeyType::Hash))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("by_author")
                .key_schema(key_element("author", KeyType::Hash))
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
    let dave = server.dynamodb_as(DAVE.0, DAVE.1).await;
    dave.query()
        .table_name("shelf")
        .index_name("by_author")
        .key_condition_expression("author = :a")
        .expression_attribute_values(":a", s("x"))
        .send()
        .await
        .unwrap();
    let r = dave
        .query()
        .table_name("shelf")
        .key_condition_expression("pk = :a")
        .expression_attribute_values(":a", s("x"))
        .send()
        .await;
    assert_access_denied(r, &not_allowed("dynamodb:Query", &table_arn("shelf")));
}

#[tokio::test]
async fn arns_carry_the_callers_account_and_unknown_keys_are_refused() {
    let server = server("[]").await;
    let admin = server.dynamodb_as(ADMIN.0, ADMIN.1).await;
    let created = admin
        .create_table()
        .table_name("tab")
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .attribute_definitions(attr_def("pk", ScalarAttributeType::S))
        .key_schema(key_element("pk", KeyType::Hash))
        .send()
        .await
        .unwrap();
    assert_eq!(
        created.table_description().and_then(|d| d.table_arn()),
        Some(table_arn("tab").as_str())
    );
    let dave = server.dynamodb_as(DAVE.0, DAVE.1).await;
    let r = dave.describe_table().table_name("tab").send().await;
    assert_access_denied(r, &not_allowed("dynamodb:DescribeTable", &table_arn("tab")));
    let stranger = server
        .dynamodb_as("AKIDFERRYTEST", "ferry-test-secret")
        .await;
    let (code, _) = failure(stranger.list_tables().send().await);
    assert_eq!(code, "UnrecognizedClientException");
}

#[tokio::test]
async fn partiql_statements_are_checked_as_partiql_actions() {
    let policy = allow(
        r#""dynamodb:PartiQLSelect""#,
        &format!("\"{}\"", table_arn("books")),
    );
    let server = server(&format!("[{policy}]")).await;
    let admin = books(&server).await;
    let dave = server.dynamodb_as(DAVE.0, DAVE.1).await;
    dave.execute_statement()
        .statement("SELECT * FROM books")
        .send()
        .await
        .unwrap();
    let r = dave
        .execute_statement()
        .statement("INSERT INTO books VALUE {'pk': 'z'}")
        .send()
        .await;
    assert_access_denied(
        r,
        &not_allowed("dynamodb:PartiQLInsert", &table_arn("books")),
    );
    assert_eq!(count(&admin, "books").await, 0);
}

#[tokio::test]
async fn streams_are_checked_on_their_arn() {
    let policy = allow(
        r#""dynamodb:DescribeStream""#,
        &format!("\"{}/stream/*\"", table_arn("books")),
    );
    let server = server(&format!("[{policy}]")).await;
    let admin = server.dynamodb_as(ADMIN.0, ADMIN.1).await;
    admin
        .create_table()
        .table_name("books")
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .attribute_definitions(attr_def("pk", ScalarAttributeType::S))
        .key_schema(key_element("pk", KeyType::Hash))
        .stream_specification(
            aws_sdk_dynamodb::types::StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(aws_sdk_dynamodb::types::StreamViewType::NewImage)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let stream_arn = admin
        .describe_table()
        .table_name("books")
        .send()
        .await
        .unwrap()
        .table()
        .and_then(|t| t.latest_stream_arn())
        .unwrap()
        .to_string();
    let dave = server.streams_as(DAVE.0, DAVE.1).await;
    dave.describe_stream()
        .stream_arn(&stream_arn)
        .send()
        .await
        .unwrap();
    let r = dave.list_streams().send().await;
    let (code, msg) = failure(r);
    assert_eq!(code, "AccessDeniedException");
    assert_eq!(msg, not_allowed("dynamodb:ListStreams", "*"));
}

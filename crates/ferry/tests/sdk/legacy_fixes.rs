//! SDK and wire tests for the behaviour fixes that came with the legacy
//! parameters: DeleteTable's description of a deleting table, tagging an
//! ARN of another account or region, TagResource's empty answer.

use aws_sdk_dynamodb::types::{BillingMode, KeyType, ScalarAttributeType, Tag};

use crate::common::*;

#[tokio::test]
async fn delete_table_answers_the_deleting_description() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(&client, "doomed", ("id", ScalarAttributeType::S), None).await;
    client
        .put_item()
        .table_name("doomed")
        .item("id", s("1"))
        .send()
        .await
        .unwrap();
    let r = server
        .raw("DynamoDB_20120810.DeleteTable", r#"{"TableName":"doomed"}"#)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let d = &r.json()["TableDescription"];
    let mut keys: Vec<&str> = d.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "BillingModeSummary",
            "DeletionProtectionEnabled",
            "ItemCount",
            "ProvisionedThroughput",
            "TableArn",
            "TableId",
            "TableName",
            "TableSizeBytes",
            "TableStatus",
        ]
    );
    assert_eq!(d["TableName"], "doomed");
    assert_eq!(d["TableStatus"], "DELETING");
    assert_eq!(
        d["TableArn"],
        "arn:aws:dynamodb:us-east-1:000000000000:table/doomed"
    );
    assert_eq!(d["ProvisionedThroughput"]["NumberOfDecreasesToday"], 0);
    assert_eq!(d["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST");
    // The SDK reads it too, and the table is gone.
    let (code, _) = failure(client.describe_table().table_name("doomed").send().await);
    assert_eq!(code, "ResourceNotFoundException");
}

#[tokio::test]
async fn tags_on_another_account_or_region_are_access_denied() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    client
        .create_table()
        .table_name("tagged")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr_def("id", ScalarAttributeType::S))
        .key_schema(key_element("id", KeyType::Hash))
        .send()
        .await
        .unwrap();
    let tag = Tag::builder().key("k").value("v").build().unwrap();
    for arn in [
        "arn:aws:dynamodb:us-east-1:111122223333:table/tagged",
        "arn:aws:dynamodb:eu-west-1:000000000000:table/tagged",
    ] {
        let (code, msg) = failure(
            client
                .list_tags_of_resource()
                .resource_arn(arn)
                .send()
                .await,
        );
        assert_eq!(code, "AccessDeniedException");
        assert_eq!(
            msg,
            format!(
                "User: arn:aws:iam::000000000000:root is not authorized to perform: dynamodb:ListTagsOfResource on resource: {arn}"
            )
        );
        let (code, msg) = failure(
            client
                .tag_resource()
                .resource_arn(arn)
                .tags(tag.clone())
                .send()
                .await,
        );
        assert_eq!(code, "AccessDeniedException");
        assert_eq!(
            msg,
            format!(
                "User: arn:aws:iam::000000000000:root is not authorized to perform: dynamodb:TagResource on resource: {arn}"
            )
        );
        let r = server
            .raw(
                "DynamoDB_20120810.TagResource",
                &format!(r#"{{"ResourceArn":"{arn}","Tags":[{{"Key":"k","Value":"v"}}]}}"#),
            )
            .await;
        assert_eq!(r.status, 400);
        assert_eq!(
            r.json()["__type"],
            "com.amazon.coral.service#AccessDeniedException"
        );
    }
    // Nothing was tagged.
    let own = "arn:aws:dynamodb:us-east-1:000000000000:table/tagged";
    let out = client
        .list_tags_of_resource()
        .resource_arn(own)
        .send()
        .await
        .unwrap();
    assert!(out.tags().is_empty());

    // TagResource and UntagResource answer an empty body.
    let r = server
        .raw(
            "DynamoDB_20120810.TagResource",
            &format!(r#"{{"ResourceArn":"{own}","Tags":[{{"Key":"k","Value":"v"}}]}}"#),
        )
        .await;
    assert_eq!((r.status, r.body.as_str()), (200, ""));
    let r = server
        .raw(
            "DynamoDB_20120810.UntagResource",
            &format!(r#"{{"ResourceArn":"{own}","TagKeys":["k"]}}"#),
        )
        .await;
    assert_eq!((r.status, r.body.as_str()), (200, ""));
}

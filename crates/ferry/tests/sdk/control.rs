//! SDK tests: the small control-plane operations SDK users and IaC tools
//! call — TagResource / UntagResource / ListTagsOfResource, DescribeTimeToLive
//! / UpdateTimeToLive with the expiry sweeper, DescribeEndpoints and
//! DescribeLimits.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::{
    BillingMode, KeyType, ScalarAttributeType, Tag, TimeToLiveSpecification, TimeToLiveStatus,
};

use crate::common::*;

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build().unwrap()
}

async fn tags_of(client: &aws_sdk_dynamodb::Client, arn: &str) -> Vec<(String, String)> {
    let out = client
        .list_tags_of_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap();
    let mut tags: Vec<(String, String)> = out
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    tags.sort();
    tags
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn tags_are_kept_listed_and_removed() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    client
        .create_table()
        .table_name("tagged")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr_def("id", ScalarAttributeType::S))
        .key_schema(key_element("id", KeyType::Hash))
        .tags(tag("env", "prod"))
        .send()
        .await
        .unwrap();
    let arn = "arn:aws:dynamodb:us-east-1:000000000000:table/tagged";
    assert_eq!(tags_of(&client, arn).await, pairs(&[("env", "prod")]));

    client
        .tag_resource()
        .resource_arn(arn)
        .tags(tag("team", "db"))
        .tags(tag("env", "dev"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags_of(&client, arn).await,
        pairs(&[("env", "dev"), ("team", "db")])
    );
    client
        .untag_resource()
        .resource_arn(arn)
        .tag_keys("env")
        .tag_keys("absent")
        .send()
        .await
        .unwrap();
    assert_eq!(tags_of(&client, arn).await, pairs(&[("team", "db")]));

    // Messages.
    let missing = "arn:aws:dynamodb:us-east-1:000000000000:table/nope";
    let (code, msg) = failure(
        client
            .list_tags_of_resource()
            .resource_arn(missing)
            .send()
            .await,
    );
    assert_eq!(code, "ResourceNotFoundException");
    assert_eq!(
        msg,
        format!("Requested resource not found: ResourcArn: {missing} not found")
    );
    let (code, _) = failure(
        client
            .tag_resource()
            .resource_arn(missing)
            .tags(tag("a", "b"))
            .send()
            .await,
    );
    assert_eq!(code, "ResourceNotFoundException");
    let index_arn = format!("{arn}/index/gsi");
    assert_validation(
        client
            .list_tags_of_resource()
            .resource_arn(&index_arn)
            .send()
            .await,
        &format!("Invalid TableArn: Invalid ResourceArn provided as input {index_arn}"),
    );
    assert_validation(
        client
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(Vec::new()))
            .send()
            .await,
        "Atleast one Tag needs to be provided as Input.",
    );
    assert_validation(
        client
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(Vec::new()))
            .send()
            .await,
        "Atleast one Tag Key needs to be provided as Input.",
    );
    assert_validation(
        client
            .tag_resource()
            .resource_arn(arn)
            .tags(tag("fine", "1"))
            .tags(tag("aws:cloudformation", "x"))
            .send()
            .await,
        "Tag Key cannot be prefixed with aws:, Key: aws:cloudformation",
    );
    assert_validation(
        client
            .tag_resource()
            .resource_arn(arn)
            .tags(tag("k", "a,b"))
            .send()
            .await,
        "The Tag Value provided is invalid, Value: a,b",
    );
    assert_validation(
        client
            .create_table()
            .table_name("badtags")
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attr_def("id", ScalarAttributeType::S))
            .key_schema(key_element("id", KeyType::Hash))
            .tags(tag("dup", "1"))
            .tags(tag("dup", "2"))
            .send()
            .await,
        "Duplicate Tag Keys provided as input: Duplicate Tag Key found dup",
    );
    let r = server.raw("DynamoDB_20120810.TagResource", "{}").await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["message"],
        "2 validation errors detected: Value null at 'resourceArn' failed to satisfy constraint: Member must not be null; Value null at 'tags' failed to satisfy constraint: Member must not be null"
    );
    // The good tag of a refused request was not applied.
    assert_eq!(tags_of(&client, arn).await, pairs(&[("team", "db")]));

    // Tags survive a restart, and an UpdateTable keeps them.
    let dir = server.stop().await;
    let server = TestServer::start_in(dir, |_| {}).await;
    let client = server.dynamodb().await;
    client
        .update_table()
        .table_name("tagged")
        .deletion_protection_enabled(false)
        .send()
        .await
        .unwrap();
    assert_eq!(tags_of(&client, arn).await, pairs(&[("team", "db")]));
    server.stop().await;
}

fn epoch_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

async fn ttl_of(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
) -> (TimeToLiveStatus, Option<String>) {
    let out = client
        .describe_time_to_live()
        .table_name(table)
        .send()
        .await
        .unwrap();
    let d = out.time_to_live_description().unwrap();
    (
        d.time_to_live_status().unwrap().clone(),
        d.attribute_name().map(str::to_string),
    )
}

#[tokio::test]
async fn time_to_live_setting_and_expiry() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(&client, "ttl_t", ("id", ScalarAttributeType::S), None).await;
    assert_eq!(
        ttl_of(&client, "ttl_t").await,
        (TimeToLiveStatus::Disabled, None)
    );
    let spec = |enabled: bool| {
        TimeToLiveSpecification::builder()
            .enabled(enabled)
            .attribute_name("exp")
            .build()
            .unwrap()
    };
    let out = client
        .update_time_to_live()
        .table_name("ttl_t")
        .time_to_live_specification(spec(true))
        .send()
        .await
        .unwrap();
    assert_eq!(out.time_to_live_specification(), Some(&spec(true)));
    assert_eq!(
        ttl_of(&client, "ttl_t").await,
        (TimeToLiveStatus::Enabled, Some("exp".into()))
    );
    assert_validation(
        client
            .update_time_to_live()
            .table_name("ttl_t")
            .time_to_live_specification(spec(true))
            .send()
            .await,
        "TimeToLive is already enabled",
    );

    let now = epoch_secs();
    let put = |id: &str, exp: aws_sdk_dynamodb::types::AttributeValue| {
        client
            .put_item()
            .table_name("ttl_t")
            .item("id", s(id))
            .item("exp", exp)
            .send()
    };
    put("expired", n(&(now - 60).to_string())).await.unwrap();
    put("later", n(&(now + 3600).to_string())).await.unwrap();
    put("as-string", s(&(now - 60).to_string())).await.unwrap();
    put("ancient", n("1000")).await.unwrap();
    let ids = || async {
        let out = client
            .scan()
            .table_name("ttl_t")
            .consistent_read(true)
            .send()
            .await
            .unwrap();
        let mut ids: Vec<String> = out
            .items()
            .iter()
            .map(|i| i["id"].as_s().unwrap().clone())
            .collect();
        ids.sort();
        ids
    };
    // AdvanceClock runs a sweep.
    server.advance_clock(1).await;
    assert_eq!(ids().await, vec!["ancient", "as-string", "later"]);
    server.advance_clock(2 * 3600 * 1_000_000).await;
    assert_eq!(ids().await, vec!["ancient", "as-string"]);

    // The setting survives a restart.
    let dir = server.stop().await;
    let server = TestServer::start_in(dir, |_| {}).await;
    let client = server.dynamodb().await;
    assert_eq!(
        ttl_of(&client, "ttl_t").await,
        (TimeToLiveStatus::Enabled, Some("exp".into()))
    );
    let out = client
        .update_time_to_live()
        .table_name("ttl_t")
        .time_to_live_specification(spec(false))
        .send()
        .await
        .unwrap();
    assert_eq!(out.time_to_live_specification(), Some(&spec(false)));
    assert_eq!(
        ttl_of(&client, "ttl_t").await,
        (TimeToLiveStatus::Disabled, None)
    );
    assert_validation(
        client
            .update_time_to_live()
            .table_name("ttl_t")
            .time_to_live_specification(spec(false))
            .send()
            .await,
        "TimeToLive is already disabled",
    );
    let (code, msg) = failure(
        client
            .describe_time_to_live()
            .table_name("nope")
            .send()
            .await,
    );
    assert_eq!(code, "ResourceNotFoundException");
    assert_eq!(msg, "Requested resource not found: Table: nope not found");
    let (code, msg) = failure(
        client
            .update_time_to_live()
            .table_name("nope")
            .time_to_live_specification(spec(true))
            .send()
            .await,
    );
    assert_eq!(code, "ResourceNotFoundException");
    assert_eq!(msg, "Requested resource not found: Table: nope not found");
    let r = server
        .raw(
            "DynamoDB_20120810.UpdateTimeToLive",
            r#"{"TableName":"ttl_t","TimeToLiveSpecification":{"Enabled":true,"AttributeName":""}}"#,
        )
        .await;
    assert_eq!(
        r.json()["message"],
        "1 validation error detected: Value '' at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must have length greater than or equal to 1"
    );
    let r = server
        .raw(
            "DynamoDB_20120810.UpdateTimeToLive",
            r#"{"TableName":"ttl_t"}"#,
        )
        .await;
    assert_eq!(
        r.json()["message"],
        "1 validation error detected: Value null at 'timeToLiveSpecification' failed to satisfy constraint: Member must not be null"
    );
    server.stop().await;
}

#[tokio::test]
async fn endpoints_and_limits() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    let out = client.describe_endpoints().send().await.unwrap();
    let endpoints = out.endpoints();
    assert_eq!(endpoints.len(), 1);
    assert_eq!(endpoints[0].address(), server.addr().to_string());
    assert_eq!(endpoints[0].cache_period_in_minutes(), 1440);
    let out = client.describe_limits().send().await.unwrap();
    assert_eq!(out.account_max_read_capacity_units(), Some(80_000));
    assert_eq!(out.account_max_write_capacity_units(), Some(80_000));
    assert_eq!(out.table_max_read_capacity_units(), Some(40_000));
    assert_eq!(out.table_max_write_capacity_units(), Some(40_000));
    server.stop().await;
}

//! SDK tests: the wire framing of the JSON protocol (errors, headers,
//! CRC32, protocol errors), the region of the signature in ARNs, and SigV4
//! verification when credentials are configured.

use aws_sdk_dynamodb::types::ScalarAttributeType;

use crate::common::*;

#[tokio::test]
async fn wire_framing_headers_and_protocol_errors() {
    let server = TestServer::start().await;
    let r = server.raw("DynamoDB_20120810.ListTables", "{}").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, r#"{"TableNames":[]}"#);
    assert_eq!(r.headers["content-type"], "application/x-amz-json-1.0");
    assert_eq!(
        r.headers["x-amz-crc32"],
        crc32(r.body.as_bytes()).to_string()
    );
    let id = &r.headers["x-amzn-requestid"];
    assert_eq!(id.len(), 52);
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
        "{id}"
    );

    let r = server
        .raw("DynamoDB_20120810.TransactFrobnicate", "{}")
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        r#"{"__type":"com.amazon.coral.service#UnknownOperationException"}"#
    );
    assert_eq!(
        r.headers["x-amz-crc32"],
        crc32(r.body.as_bytes()).to_string()
    );

    let r = server
        .raw("DynamoDB_20120810.ListTables", "{not json")
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        r#"{"__type":"com.amazon.coral.service#SerializationException"}"#
    );

    let r = server
        .raw(
            "DynamoDB_20120810.DescribeTable",
            r#"{"TableName":"missing"}"#,
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json(),
        serde_json::json!({
            "__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
            "message": "Requested resource not found: Table: missing not found"
        })
    );
    let r = server
        .raw(
            "DynamoDB_20120810.PutItem",
            r#"{"TableName":"abc","Item":{"a":{"S":5}}}"#,
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json(),
        serde_json::json!({
            "__type": "com.amazon.coral.service#SerializationException",
            "Message": "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String"
        })
    );
    let r = server
        .raw(
            "DynamoDB_20120810.PutItem",
            r#"{"TableName":"abc","Item":{"a":{"S":"x"}}}"#,
        )
        .await;
    assert_eq!(
        r.json()["__type"],
        "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
    );
    assert_eq!(r.json()["message"], "Requested resource not found");
    server.stop().await;
}

#[tokio::test]
async fn arns_use_the_region_of_the_signature() {
    let server = TestServer::start().await;
    let conf = server
        .dynamodb()
        .await
        .config()
        .to_builder()
        .region(aws_config::Region::new("eu-west-3"))
        .build();
    let client = aws_sdk_dynamodb::Client::from_conf(conf);
    create_table(&client, "regional", ("id", ScalarAttributeType::S), None).await;
    let t = client
        .describe_table()
        .table_name("regional")
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(
        t.table_arn(),
        Some("arn:aws:dynamodb:eu-west-3:000000000000:table/regional")
    );
    // An unsigned request falls back to the configured region.
    let r = server
        .raw(
            "DynamoDB_20120810.DescribeTable",
            r#"{"TableName":"regional"}"#,
        )
        .await;
    assert_eq!(
        r.json()["Table"]["TableArn"],
        "arn:aws:dynamodb:us-east-1:000000000000:table/regional"
    );
    server.stop().await;
}

#[tokio::test]
async fn signatures_are_verified_when_credentials_are_configured() {
    let server = TestServer::start_with(|c| {
        c.credentials = vec![("AKIDFERRYTEST".into(), "ferry-test-secret".into())];
    })
    .await;
    let client = server.dynamodb().await;
    create_table(&client, "signed", ("id", ScalarAttributeType::S), None).await;
    assert_eq!(
        client.list_tables().send().await.unwrap().table_names(),
        &["signed"]
    );

    let with_creds = |id: &str, secret: &str| {
        let conf = client
            .config()
            .to_builder()
            .credentials_provider(aws_credential_types::Credentials::new(
                id, secret, None, None, "t",
            ))
            .build();
        aws_sdk_dynamodb::Client::from_conf(conf)
    };
    let (code, msg) = failure(
        with_creds("AKIDFERRYTEST", "wrong")
            .list_tables()
            .send()
            .await,
    );
    assert_eq!(code, "InvalidSignatureException");
    assert!(
        msg.starts_with(
            "The request signature we calculated does not match the signature you provided."
        ),
        "{msg}"
    );
    let (code, msg) = failure(with_creds("AKIDUNKNOWN", "x").list_tables().send().await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "UnrecognizedClientException",
            "The security token included in the request is invalid."
        )
    );
    let r = server.raw("DynamoDB_20120810.ListTables", "{}").await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json(),
        serde_json::json!({
            "__type": "com.amazon.coral.service#MissingAuthenticationTokenException",
            "message": "Request is missing Authentication Token"
        })
    );
    server.stop().await;
}

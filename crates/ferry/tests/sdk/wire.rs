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

/// One raw request with a byte body; the status, lower-cased headers and the
/// body bytes of the answer (`Content-Length` framed).
async fn raw_bytes(
    addr: std::net::SocketAddr,
    method: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, std::collections::HashMap<String, String>, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = format!(
        "{method} / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let split = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&out[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines.next().unwrap()[9..12].parse().unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers, out[split + 4..].to_vec())
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[tokio::test]
async fn compressed_request_bodies_are_decoded_within_the_limits() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(&client, "gzip", ("id", ScalarAttributeType::S), None).await;
    let put = |id: &str| format!(r#"{{"TableName":"gzip","Item":{{"id":{{"S":"{id}"}}}}}}"#);
    let target = ("X-Amz-Target", "DynamoDB_20120810.PutItem");
    let (status, _, body) = raw_bytes(
        server.addr(),
        "POST",
        &[target, ("Content-Encoding", "gzip")],
        &gzip(put("gzipped").as_bytes()),
    )
    .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut z, put("deflated").as_bytes()).unwrap();
    let (status, _, _) = raw_bytes(
        server.addr(),
        "POST",
        &[target, ("Content-Encoding", "deflate")],
        &z.finish().unwrap(),
    )
    .await;
    assert_eq!(status, 200);

    // Refused, and nothing written: an unknown encoding, a lying one, a bomb.
    let refusals: [(&str, Vec<u8>, u16, &str); 3] = [
        (
            "br",
            put("br").into_bytes(),
            400,
            r#"{"__type":"com.amazon.coral.service#SerializationException","Message":"Content-Encoding 'br' is not supported; send gzip, deflate or identity"}"#,
        ),
        (
            "gzip",
            put("liar").into_bytes(),
            400,
            r#"{"__type":"com.amazon.coral.service#SerializationException","Message":"The request body is not valid gzip data"}"#,
        ),
        ("gzip", gzip(&vec![b' '; 16 * 1024 * 1024 + 1]), 413, ""),
    ];
    for (encoding, body, want_status, want_body) in refusals {
        let (status, _, got) = raw_bytes(
            server.addr(),
            "POST",
            &[target, ("Content-Encoding", encoding)],
            &body,
        )
        .await;
        assert_eq!(status, want_status, "{encoding}");
        if want_body.is_empty() {
            assert!(got.is_empty(), "{}", String::from_utf8_lossy(&got));
        } else {
            assert_eq!(
                serde_json::from_slice::<serde_json::Value>(&got).unwrap(),
                serde_json::from_str::<serde_json::Value>(want_body).unwrap()
            );
        }
    }
    let scan = client.scan().table_name("gzip").send().await.unwrap();
    let mut ids: Vec<&str> = scan
        .items()
        .iter()
        .map(|i| i["id"].as_s().unwrap().as_str())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, ["deflated", "gzipped"]);
    server.stop().await;
}

#[tokio::test]
async fn large_answers_are_gzipped_when_asked_with_the_crc_of_the_wire_bytes() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(&client, "big", ("id", ScalarAttributeType::S), None).await;
    client
        .put_item()
        .table_name("big")
        .item("id", s("k"))
        .item("blob", s(&"x".repeat(4000)))
        .send()
        .await
        .unwrap();
    let scan = [("X-Amz-Target", "DynamoDB_20120810.Scan")];
    let request = br#"{"TableName":"big"}"#;
    let (status, plain_headers, plain) = raw_bytes(server.addr(), "POST", &scan, request).await;
    assert_eq!(status, 200);
    assert!(!plain_headers.contains_key("content-encoding"));
    let with_gzip = [scan[0], ("Accept-Encoding", "gzip")];
    let (status, headers, wire) = raw_bytes(server.addr(), "POST", &with_gzip, request).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-encoding"], "gzip");
    assert_eq!(headers["x-amz-crc32"], crc32(&wire).to_string());
    let mut unzipped = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&wire[..]), &mut unzipped)
        .unwrap();
    assert_eq!(unzipped, plain);
    // A small answer stays plain.
    let list = [
        ("X-Amz-Target", "DynamoDB_20120810.ListTables"),
        with_gzip[1],
    ];
    let (_, headers, body) = raw_bytes(server.addr(), "POST", &list, b"{}").await;
    assert!(!headers.contains_key("content-encoding"));
    assert_eq!(body, br#"{"TableNames":["big"]}"#);
    server.stop().await;
}

#[tokio::test]
async fn browsers_health_checks_and_the_server_header() {
    let server = TestServer::start_with(|c| c.region = "eu-west-3".into()).await;
    let addr = server.addr();
    // A CORS preflight, answered as DynamoDB answers it.
    let (status, headers, body) = raw_bytes(
        addr,
        "OPTIONS",
        &[
            ("Origin", "http://localhost:3000"),
            ("Access-Control-Request-Method", "POST"),
            (
                "Access-Control-Request-Headers",
                "authorization,content-type,x-amz-date,x-amz-target",
            ),
        ],
        b"",
    )
    .await;
    assert_eq!(status, 200);
    assert!(body.is_empty());
    assert_eq!(headers["access-control-allow-origin"], "*");
    assert_eq!(headers["access-control-allow-methods"], "POST");
    assert_eq!(
        headers["access-control-allow-headers"],
        "authorization,content-type,x-amz-date,x-amz-target"
    );
    assert_eq!(headers["access-control-max-age"], "172800");
    // CORS headers on an answer to a browser, and the Server header always.
    let (_, headers, _) = raw_bytes(
        addr,
        "POST",
        &[
            ("X-Amz-Target", "DynamoDB_20120810.ListTables"),
            ("Origin", "http://localhost:3000"),
        ],
        b"{}",
    )
    .await;
    assert_eq!(headers["access-control-allow-origin"], "*");
    assert_eq!(
        headers["access-control-expose-headers"],
        "x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date,x-amz-crc32"
    );
    assert_eq!(headers["server"], "Server");
    let r = server.raw("DynamoDB_20120810.ListTables", "{}").await;
    assert_eq!(r.headers["server"], "Server");
    assert!(!r.headers.contains_key("access-control-allow-origin"));

    // The health line for an unsigned GET / from anything but a browser; a
    // browser (its Accept names text/html) is sent to the console.
    let (status, headers, body) = raw_bytes(addr, "GET", &[("Accept", "*/*")], b"").await;
    assert_eq!(status, 200);
    assert_eq!(body, b"healthy: dynamodb.eu-west-3.amazonaws.com ");
    assert_eq!(headers["content-type"], "text/plain");
    assert_eq!(headers["x-amz-crc32"], crc32(&body).to_string());
    assert_eq!(headers["x-amzn-requestid"].len(), 52);
    let (status, headers, _) = raw_bytes(
        addr,
        "GET",
        &[("Accept", "text/html,application/xhtml+xml")],
        b"",
    )
    .await;
    assert_eq!(status, 302);
    assert_eq!(headers["location"], "/_console/");
    // A signed GET / is still S3's ListBuckets.
    let s3 = server.s3().await;
    s3.create_bucket().bucket("still-s3").send().await.unwrap();
    let buckets = s3.list_buckets().send().await.unwrap();
    assert_eq!(buckets.buckets()[0].name(), Some("still-s3"));
    server.stop().await;
}

//! Test harness: start a Ferry server on 127.0.0.1:0 and build SDK clients for
//! it; raw HTTP requests for wire-level checks; the test clock; small helpers
//! to create tables and build attribute values.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub struct TestServer {
    pub handle: Option<ferry_server::ServerHandle>,
    pub endpoint: String,
    pub dir: tempfile::TempDir,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    /// Start with a data directory of its own; `tweak` may change the config.
    pub async fn start_with(tweak: impl FnOnce(&mut ferry_server::Config)) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        Self::start_in(dir, tweak).await
    }

    /// Start on an existing directory (a restart: data under `<dir>/data`).
    pub async fn start_in(
        dir: tempfile::TempDir,
        tweak: impl FnOnce(&mut ferry_server::Config),
    ) -> TestServer {
        let mut config = ferry_server::Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: Some(dir.path().join("data")),
            test_clock: true,
            ..Default::default()
        };
        tweak(&mut config);
        let handle = ferry_server::start(config).await.expect("server starts");
        let endpoint = format!("http://{}", handle.local_addr);
        TestServer {
            handle: Some(handle),
            endpoint,
            dir,
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn addr(&self) -> std::net::SocketAddr {
        self.handle.as_ref().expect("running").local_addr
    }

    async fn sdk_config(&self) -> aws_config::SdkConfig {
        self.sdk_config_as("AKIDFERRYTEST", "ferry-test-secret")
            .await
    }

    async fn sdk_config_as(&self, access_key: &str, secret: &str) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_credential_types::Credentials::new(
                access_key, secret, None, None, "test",
            ))
            .load()
            .await
    }

    /// A DynamoDB client signing with the given key.
    pub async fn dynamodb_as(&self, access_key: &str, secret: &str) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.sdk_config_as(access_key, secret).await)
    }

    /// A DynamoDB Streams client signing with the given key.
    pub async fn streams_as(
        &self,
        access_key: &str,
        secret: &str,
    ) -> aws_sdk_dynamodbstreams::Client {
        aws_sdk_dynamodbstreams::Client::new(&self.sdk_config_as(access_key, secret).await)
    }

    /// An S3 client (path-style) signing with the given key.
    pub async fn s3_as(&self, access_key: &str, secret: &str) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::from(&self.sdk_config_as(access_key, secret).await)
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    pub async fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.sdk_config().await)
    }

    pub async fn streams(&self) -> aws_sdk_dynamodbstreams::Client {
        aws_sdk_dynamodbstreams::Client::new(&self.sdk_config().await)
    }

    pub async fn s3(&self) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::from(&self.sdk_config().await)
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(h) = self.handle.take() {
            h.shutdown().await;
        }
        self.dir
    }

    /// Move the server's clock forward (needs `test_clock`, on by default here).
    pub async fn advance_clock(&self, micros: i64) {
        let r = self
            .raw(
                "FerryTest.AdvanceClock",
                &format!("{{\"Micros\":{micros}}}"),
            )
            .await;
        assert_eq!(r.status, 200, "advance clock: {}", r.body);
    }

    /// POST `body` with `X-Amz-Target: target` and return the raw answer.
    pub async fn raw(&self, target: &str, body: &str) -> RawResponse {
        raw_post(self.addr(), &[("X-Amz-Target", target)], body).await
    }
}

/// A raw HTTP answer.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    /// Header names lower-cased.
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl RawResponse {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// A minimal HTTP/1.1 POST (Connection: close) for wire-level tests.
pub async fn raw_post(
    addr: std::net::SocketAddr,
    headers: &[(&str, &str)],
    body: &str,
) -> RawResponse {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf).to_string();
    let (head, rest) = text.split_once("\r\n\r\n").expect("a full response");
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let body = if headers
        .get("transfer-encoding")
        .is_some_and(|t| t.contains("chunked"))
    {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    RawResponse {
        status,
        headers,
        body,
    }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
    out
}

pub fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

pub fn n(v: &str) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub fn item(pairs: &[(&str, AttributeValue)]) -> HashMap<String, AttributeValue> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

pub fn key_element(name: &str, ty: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(ty)
        .build()
        .unwrap()
}

pub fn attr_def(name: &str, ty: ScalarAttributeType) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ty)
        .build()
        .unwrap()
}

/// Create an on-demand table with a hash key and an optional range key.
pub async fn create_table(
    client: &aws_sdk_dynamodb::Client,
    name: &str,
    hash: (&str, ScalarAttributeType),
    range: Option<(&str, ScalarAttributeType)>,
) {
    let mut req = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr_def(hash.0, hash.1.clone()))
        .key_schema(key_element(hash.0, KeyType::Hash));
    if let Some((r, ty)) = range {
        req = req
            .attribute_definitions(attr_def(r, ty))
            .key_schema(key_element(r, KeyType::Range));
    }
    req.send()
        .await
        .unwrap_or_else(|e| panic!("create table {name}: {e:?}"));
}

pub use aws_sdk_dynamodb::error::ProvideErrorMetadata;

/// The error code and message of a call that must fail.
pub fn failure<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    r: Result<T, E>,
) -> (String, String) {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => (
            e.code()
                .unwrap_or_else(|| panic!("no error code: {e:?}"))
                .to_string(),
            e.message().unwrap_or_default().to_string(),
        ),
    }
}

/// Assert a call failed with `ValidationException` and exactly `message`.
#[track_caller]
pub fn assert_validation<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    r: Result<T, E>,
    message: &str,
) {
    let (code, msg) = failure(r);
    assert_eq!(code, "ValidationException", "message was: {msg}");
    assert_eq!(msg, message);
}

/// CRC32 (IEEE) of `data`, as DynamoDB's `x-amz-crc32`.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Poll `probe` until it yields `Some`, and return that value. `timeout`
/// only guards against a hang (the test then fails naming `what`); no result
/// ever depends on how fast the server is.
pub async fn wait_until<T, Fut>(
    timeout: std::time::Duration,
    what: &str,
    mut probe: impl FnMut() -> Fut,
) -> T
where
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// How long a test waits for a background job before it fails (a guard
/// against hangs, not a performance threshold).
pub const JOB_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

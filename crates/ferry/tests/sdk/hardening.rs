//! Small hardening items of issue 9 item 7, against the real binary or the
//! real server: the secret in `FERRY_CREDENTIALS` is never printed and may
//! hold commas, refused S3 requests write no ERROR lines, a range on an
//! empty object is unsatisfiable, and JSON nested past the parser's limit
//! gets DynamoDB's nesting message.

use tokio::io::{AsyncBufReadExt, AsyncReadExt};

use crate::common::*;
use crate::s3::s3_code;

const SECRET: &str = "top,secret+with/commas";

#[tokio::test]
async fn help_never_prints_the_credentials_secret() {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(["serve", "--help"])
        .env("FERRY_CREDENTIALS", format!("AKIDHELP:{SECRET}"))
        .output()
        .await
        .expect("run ferry --help");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("FERRY_CREDENTIALS"), "{text}");
    assert!(!text.contains("secret+with"), "{text}");
    assert!(!text.contains("AKIDHELP"), "{text}");
}

#[tokio::test]
async fn a_bad_credentials_value_is_refused_without_echoing_it() {
    // A deadline: a binary that accepted the value would serve for ever.
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(["serve", "--in-memory", "--listen", "127.0.0.1:0"])
        .env("FERRY_CREDENTIALS", "fragment/of+a:secret")
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(std::time::Duration::from_secs(60), run)
        .await
        .expect("ferry refuses the value and exits")
        .expect("run ferry");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("credentials value 1"), "{err}");
    assert!(
        !err.contains("fragment") && !err.contains("secret"),
        "{err}"
    );
}

/// With a comma in the secret, signed DynamoDB requests work; unsigned S3
/// requests are refused without any ERROR line in the log.
#[tokio::test]
async fn comma_secrets_work_and_refusals_do_not_flood_the_log() {
    let data = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data.path())
        .env("FERRY_CREDENTIALS", format!("AKIDONE:x,AKIDCOMMA:{SECRET}"))
        .env_remove("RUST_LOG")
        .env_remove("FERRY_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn ferry");
    let stdout = child.stdout.take().unwrap();
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let line = tokio::time::timeout(std::time::Duration::from_secs(60), lines.next_line())
        .await
        .expect("ferry prints its address")
        .unwrap()
        .expect("a line on stdout");
    let endpoint = line
        .strip_prefix("ferry listening on ")
        .unwrap_or_else(|| panic!("unexpected line {line:?}"))
        .to_string();
    let addr: std::net::SocketAddr = endpoint.trim_start_matches("http://").parse().unwrap();

    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(&endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "AKIDCOMMA",
            SECRET,
            None,
            None,
            "test",
        ))
        .load()
        .await;
    aws_sdk_dynamodb::Client::new(&conf)
        .list_tables()
        .send()
        .await
        .expect("a secret with commas signs requests");

    for _ in 0..3 {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let req =
            format!("GET /some-bucket/key HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        tokio::io::AsyncWriteExt::write_all(&mut stream, req.as_bytes())
            .await
            .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    }
    child.start_kill().unwrap();
    let out = child.wait_with_output().await.unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(!log.contains("ERROR"), "{log}");
}

#[tokio::test]
async fn a_range_on_an_empty_object_is_unsatisfiable() {
    let server = TestServer::start().await;
    let c = server.s3().await;
    c.create_bucket().bucket("empty").send().await.unwrap();
    c.put_object()
        .bucket("empty")
        .key("e")
        .body(Vec::new().into())
        .send()
        .await
        .unwrap();
    for range in ["bytes=-1", "bytes=0-", "bytes=0-0"] {
        assert_eq!(
            s3_code(
                c.get_object()
                    .bucket("empty")
                    .key("e")
                    .range(range)
                    .send()
                    .await
            ),
            "416/InvalidRange",
            "{range}"
        );
    }
    let whole = c
        .get_object()
        .bucket("empty")
        .key("e")
        .send()
        .await
        .unwrap();
    assert_eq!(whole.content_length(), Some(0));
    assert_eq!(whole.content_range(), None);
}

/// JSON nested past serde's limit was a bare SerializationException; it is
/// DynamoDB's nesting ValidationException, and nothing is written.
#[tokio::test]
async fn deeply_nested_json_gets_the_nesting_message() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(
        &client,
        "json_deep",
        ("id", aws_sdk_dynamodb::types::ScalarAttributeType::S),
        None,
    )
    .await;
    for levels in [40, 70, 10_000] {
        let value = format!(
            "{}{{\"S\":\"x\"}}{}",
            "{\"L\":[".repeat(levels),
            "]}".repeat(levels)
        );
        let body =
            format!(r#"{{"TableName":"json_deep","Item":{{"id":{{"S":"a"}},"v":{value}}}}}"#);
        let r = server.raw("DynamoDB_20120810.PutItem", &body).await;
        assert_eq!(r.status, 400, "{levels}: {}", r.body);
        let j = r.json();
        assert_eq!(
            j["__type"], "com.amazon.coral.validate#ValidationException",
            "{levels}"
        );
        assert_eq!(
            j["message"],
            "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit",
            "{levels}"
        );
    }
    let scanned = client.scan().table_name("json_deep").send().await.unwrap();
    assert_eq!(scanned.count(), 0);
}

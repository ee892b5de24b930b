//! SDK and raw-socket tests of the HTTP layer's limits: slow and idle
//! connections closed by their timeouts, the connection cap's 503, bodies
//! over 16 MB refused with 413 before they are read, unauthenticated bodies
//! never read, presigned expiry capped, and a signed request's body bound to
//! its signature whatever `x-amz-content-sha256` claims.

use std::time::Duration;

use aws_sdk_dynamodb::types::ScalarAttributeType;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::*;
use crate::s3::raw_http;

const AK: &str = "AKIDFERRYTEST";
const SK: &str = "ferry-test-secret";

/// Generous bound for "the server reacted": a hang fails the test instead of
/// blocking it; no test waits for it to pass.
const DEADLINE: Duration = Duration::from_secs(30);

async fn secured(tweak: impl FnOnce(&mut ferry_server::Config)) -> TestServer {
    TestServer::start_with(|c| {
        c.credentials = vec![(AK.into(), SK.into())];
        tweak(c);
    })
    .await
}

/// Reads until the server closes the connection; fails after [`DEADLINE`].
async fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    tokio::time::timeout(DEADLINE, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .expect("the server closed the connection before the deadline");
    out
}

/// Sends only a request head and returns the whole answer (the body is
/// never sent: an answer proves the server did not wait for it).
async fn head_only(addr: std::net::SocketAddr, head: &str) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(head.as_bytes()).await.unwrap();
    String::from_utf8_lossy(&read_until_closed(&mut s).await).into_owned()
}

fn status_of(answer: &str) -> u16 {
    answer.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0)
}

#[tokio::test]
async fn slow_and_idle_connections_are_closed_while_others_are_served() {
    let server = TestServer::start_with(|c| {
        c.header_read_timeout = Duration::from_secs(1);
        c.idle_timeout = Duration::from_secs(1);
    })
    .await;
    let addr = server.addr();
    // Half a request head, then nothing: closed by the header timeout.
    let mut partial = TcpStream::connect(addr).await.unwrap();
    partial
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Tar")
        .await
        .unwrap();
    // Connected, nothing sent: closed by the idle timeout.
    let mut silent = TcpStream::connect(addr).await.unwrap();
    // While both are held, other clients are served.
    let r = server.raw("DynamoDB_20120810.ListTables", "{}").await;
    assert_eq!(r.status, 200);
    let answer = read_until_closed(&mut partial).await;
    assert!(
        answer.is_empty() || String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 408"),
        "{answer:?}"
    );
    assert_eq!(read_until_closed(&mut silent).await, b"");
    server.stop().await;
}

#[tokio::test]
async fn a_stalled_body_ends_in_408_and_writes_nothing() {
    let server = TestServer::start_with(|c| c.body_read_timeout = Duration::from_secs(1)).await;
    let client = server.dynamodb().await;
    create_table(&client, "slow", ("id", ScalarAttributeType::S), None).await;
    let body = r#"{"TableName":"slow","Item":{"id":{"S":"a"}}}"#;
    let mut s = TcpStream::connect(server.addr()).await.unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.PutItem\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&body.as_bytes()[..10]).await.unwrap();
    let answer = String::from_utf8_lossy(&read_until_closed(&mut s).await).into_owned();
    assert_eq!(status_of(&answer), 408, "{answer}");
    let scan = client.scan().table_name("slow").send().await.unwrap();
    assert_eq!(scan.count(), 0);
    server.stop().await;
}

#[tokio::test]
async fn connections_over_the_cap_get_503_and_service_resumes() {
    let server = TestServer::start_with(|c| c.max_connections = 2).await;
    let addr = server.addr();
    let held: Vec<TcpStream> = vec![
        TcpStream::connect(addr).await.unwrap(),
        TcpStream::connect(addr).await.unwrap(),
    ];
    // The cap applies from accept on: wait until both are being served.
    let mut extra = TcpStream::connect(addr).await.unwrap();
    let answer = String::from_utf8_lossy(&read_until_closed(&mut extra).await).into_owned();
    assert!(
        answer.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
        "{answer}"
    );
    assert!(answer.contains("Retry-After: 1"), "{answer}");
    drop(held);
    // The server notices the closed sockets asynchronously; until then a
    // request may still be refused (503, or a reset of the refused socket).
    let served = tokio::time::timeout(DEADLINE, async {
        loop {
            let mut s = TcpStream::connect(addr).await.unwrap();
            let sent = s
                .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .await;
            let mut answer = Vec::new();
            if sent.is_ok() && s.read_to_end(&mut answer).await.is_ok() {
                let answer = String::from_utf8_lossy(&answer).into_owned();
                if status_of(&answer) == 200 {
                    break;
                }
                assert_eq!(status_of(&answer), 503, "{answer}");
            }
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert!(served.is_ok(), "service did not resume");
    server.stop().await;
}

#[tokio::test]
async fn bodies_over_16_mb_and_unauthenticated_bodies_are_not_read() {
    let server = secured(|_| {}).await;
    let addr = server.addr();
    // 16 MB + 1 declared, only the head sent: 413 at once, no body.
    let answer = head_only(
        addr,
        "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.PutItem\r\nContent-Length: 16777217\r\n\r\n",
    )
    .await;
    assert_eq!(status_of(&answer), 413, "{answer}");
    assert!(answer.contains("x-amzn-requestid: "), "{answer}");
    assert!(answer.ends_with("\r\n\r\n"), "no body expected: {answer}");
    // An unsigned 15 MB body: refused before a byte of it is read.
    let answer = head_only(
        addr,
        "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.PutItem\r\nContent-Length: 15728640\r\n\r\n",
    )
    .await;
    assert_eq!(status_of(&answer), 400, "{answer}");
    assert!(
        answer.contains("MissingAuthenticationTokenException"),
        "{answer}"
    );
    // A signature from an unknown key, same.
    let auth = "AWS4-HMAC-SHA256 Credential=AKIDUNKNOWN/20240301/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00";
    let head = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.PutItem\r\nX-Amz-Date: {}\r\nAuthorization: {}\r\nContent-Length: 15728640\r\n\r\n",
        now_basic(),
        auth.replace("20240301", &now_basic()[..8])
    );
    let answer = head_only(addr, &head).await;
    assert_eq!(status_of(&answer), 400, "{answer}");
    assert!(answer.contains("UnrecognizedClientException"), "{answer}");
    // The server still serves signed clients.
    let client = server.dynamodb().await;
    assert!(client.list_tables().send().await.is_ok());
    server.stop().await;
}

/// The current time in SigV4's basic format, from the system clock.
fn now_basic() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let days = secs / 86_400;
    let (y, m, d) = civil_from_days(days as i64);
    let rem = secs % 86_400;
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn presigned_target(date: &str, expires: &str) -> String {
    format!(
        "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={AK}%2F{}%2Fus-east-1%2Fdynamodb%2Faws4_request&X-Amz-Date={date}&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host&X-Amz-Signature=00",
        &date[..8]
    )
}

#[tokio::test]
async fn presigned_dynamodb_requests_expire_and_are_capped_at_a_week() {
    let server = secured(|_| {}).await;
    let addr = server.addr();
    let target = [("X-Amz-Target", "DynamoDB_20120810.ListTables")];
    let (status, text) = raw_http(
        addr,
        "POST",
        &presigned_target(&now_basic(), "10000000000000"),
        &target,
        b"{}",
    )
    .await;
    assert_eq!(status, 400, "{text}");
    let body = text.split_once("\r\n\r\n").unwrap().1;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(body).unwrap(),
        serde_json::json!({
            "__type": "com.amazon.coral.service#IncompleteSignatureException",
            "message": "X-Amz-Expires must be less than a week (in seconds) that is, the given X-Amz-Expires must be less than 604800 seconds"
        })
    );
    // Ten years old, claiming a week: expired.
    let (status, text) = raw_http(
        addr,
        "POST",
        &presigned_target("20161206T000000Z", "604800"),
        &target,
        b"{}",
    )
    .await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("InvalidSignatureException"), "{text}");
    assert!(
        text.contains("Signature expired: 20161206T000000Z is now earlier than"),
        "{text}"
    );
    assert!(server.dynamodb().await.list_tables().send().await.is_ok());
    server.stop().await;
}

#[tokio::test]
async fn presigned_s3_urls_are_capped_at_a_week() {
    let server = secured(|_| {}).await;
    let s3 = server.s3().await;
    s3.create_bucket().bucket("cap").send().await.unwrap();
    s3.put_object()
        .bucket("cap")
        .key("k")
        .body(aws_sdk_s3::primitives::ByteStream::from_static(b"v"))
        .send()
        .await
        .unwrap();
    let cfg =
        aws_sdk_s3::presigning::PresigningConfig::expires_in(Duration::from_secs(300)).unwrap();
    let url = s3
        .get_object()
        .bucket("cap")
        .key("k")
        .presigned(cfg)
        .await
        .unwrap();
    let target = url.uri().strip_prefix(&server.endpoint).unwrap().to_owned();
    let (status, text) = raw_http(server.addr(), "GET", &target, &[], b"").await;
    assert_eq!(status, 200, "{text}");
    for (expires, message) in [
        (
            "604801",
            "X-Amz-Expires must be less than a week (in seconds) that is, the given X-Amz-Expires must be less than 604800 seconds",
        ),
        (
            "10000000000000",
            "X-Amz-Expires must be less than a week (in seconds) that is, the given X-Amz-Expires must be less than 604800 seconds",
        ),
        ("-1", "X-Amz-Expires should be a number"),
    ] {
        let changed = target.replace("X-Amz-Expires=300", &format!("X-Amz-Expires={expires}"));
        let (status, text) = raw_http(server.addr(), "GET", &changed, &[], b"").await;
        assert_eq!(status, 400, "{text}");
        assert!(
            text.contains("<Code>AuthorizationQueryParametersError</Code>"),
            "{text}"
        );
        assert!(
            text.contains(&format!("<Message>{message}</Message>")),
            "{text}"
        );
    }
    // The same URL ten years older (date and scope moved together): expired.
    let day = target
        .split_once("X-Amz-Date=")
        .map(|(_, rest)| rest[..8].to_owned())
        .unwrap();
    let old = target.replace(&day, &(day.parse::<u32>().unwrap() - 100_000).to_string());
    let (status, text) = raw_http(server.addr(), "GET", &old, &[], b"").await;
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("<Code>AccessDenied</Code>"), "{text}");
    assert!(
        text.contains("<Message>Request has expired</Message>"),
        "{text}"
    );
    server.stop().await;
}

#[tokio::test]
async fn an_unsigned_payload_claim_cannot_carry_another_body() {
    use aws_sigv4::http_request::{
        PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings, sign,
    };
    let server = secured(|_| {}).await;
    let client = server.dynamodb().await;
    create_table(&client, "replay", ("id", ScalarAttributeType::S), None).await;
    let host = server.addr().to_string();
    let headers = [
        ("host", host.as_str()),
        ("x-amz-target", "DynamoDB_20120810.PutItem"),
        ("content-type", "application/x-amz-json-1.0"),
    ];
    let identity = aws_credential_types::Credentials::new(AK, SK, None, None, "t").into();
    let mut settings = SigningSettings::default();
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("dynamodb")
        .time(std::time::SystemTime::now())
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let signable = SignableRequest::new(
        "POST",
        format!("http://{host}/"),
        headers.iter().copied(),
        SignableBody::UnsignedPayload,
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut signed: Vec<(String, String)> = instructions
        .headers()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    signed.push(("X-Amz-Target".into(), "DynamoDB_20120810.PutItem".into()));
    signed.push(("Content-Type".into(), "application/x-amz-json-1.0".into()));
    let signed: Vec<(&str, &str)> = signed
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert!(signed.contains(&("x-amz-content-sha256", "UNSIGNED-PAYLOAD")));
    let body = br#"{"TableName":"replay","Item":{"id":{"S":"forged"}}}"#;
    let (status, text) = raw_http(server.addr(), "POST", "/", &signed, body).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("InvalidSignatureException"), "{text}");
    let scan = client.scan().table_name("replay").send().await.unwrap();
    assert_eq!(scan.count(), 0);
    server.stop().await;
}

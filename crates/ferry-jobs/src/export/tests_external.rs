//! Export to an external S3-compatible endpoint: moto's `moto_server`,
//! started on a free port (skipped with a notice when it is not installed
//! and `CI` is unset).

use std::io::Read;
use std::sync::Arc;

use base64::Engine as _;
use md5::Digest;
use serde_json::Value;

use super::tests::{engine, finish, gunzip, item, put, request, table};
use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_to_an_external_s3_endpoint() {
    use std::io::Write as _;
    let Some(moto) = ferry_objects::moto::start("the external-endpoint export test") else {
        return;
    };
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", moto.port)).unwrap();
    write!(conn, "PUT /ext-bucket HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", moto.port)
        .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    let client: Arc<dyn ferry_objects::ObjectClient> = Arc::new(
        ferry_objects::ExternalClient::new(ferry_objects::ExternalS3Config {
            endpoint: Some(format!("http://127.0.0.1:{}", moto.port)),
            region: Some("us-east-1".into()),
            access_key: Some("test".into()),
            secret_key: Some("test".into()),
            ..Default::default()
        }),
    );
    let resolver_client = client.clone();
    let sinks = Arc::new(objects::ObjectsSinks::new(
        Arc::new(move |_: &str| resolver_client.clone()),
        tokio::runtime::Handle::current(),
    ));
    let engine = engine();
    let t = table(&engine, "ext", true);
    for i in 0..500 {
        put(&t, item(&format!("k{i}"), i, &"v".repeat(100)));
    }
    let exports = Exports::new(
        engine.clone(),
        sinks,
        tokio::runtime::Handle::current(),
        ExportConfig {
            max_concurrent: 3,
            run: RunConfig {
                workers: 2,
                partitions: Some(3),
                ..Default::default()
            },
        },
    );
    let mut req = request(&t);
    req.s3_bucket = "ext-bucket".into();
    let rec = exports.start(req).unwrap();
    let rec = finish(&exports, &rec.export_arn).await;
    assert_eq!(
        rec.status,
        ExportStatus::Completed,
        "{:?}",
        rec.failure_message
    );
    assert_eq!(rec.item_count, Some(500));
    let summary_key = rec.manifest_key.clone().unwrap();
    let summary: Value =
        serde_json::from_slice(&client.get_bytes("ext-bucket", &summary_key).await.unwrap())
            .unwrap();
    let files = client
        .get_bytes(
            "ext-bucket",
            summary["manifestFilesS3Key"].as_str().unwrap(),
        )
        .await
        .unwrap();
    let mut total = 0;
    for line in std::str::from_utf8(&files).unwrap().lines() {
        let f: Value = serde_json::from_str(line).unwrap();
        let key = f["dataFileS3Key"].as_str().unwrap();
        let data = client.get_bytes("ext-bucket", key).await.unwrap();
        let meta = client.list_page("ext-bucket", key, None, 1).await.unwrap();
        assert_eq!(f["etag"].as_str().unwrap(), meta.objects[0].etag, "{key}");
        assert_eq!(
            f["md5Checksum"].as_str().unwrap(),
            base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(&data))
        );
        total += gunzip(&data).lines().count();
    }
    assert_eq!(total, 500);

    // A bucket the endpoint does not have: FAILED with S3's error.
    let mut req = request(&t);
    req.s3_bucket = "missing-bucket".into();
    let rec = exports.start(req).unwrap();
    let rec = finish(&exports, &rec.export_arn).await;
    assert_eq!(rec.status, ExportStatus::Failed);
    assert_eq!(
        rec.failure_code.as_deref(),
        Some("S3NoSuchBucket"),
        "{:?}",
        rec.failure_message
    );
    assert!(
        rec.failure_message.unwrap().starts_with(
            "The specified bucket does not exist (Service: Amazon S3; Status Code: 404"
        )
    );
}

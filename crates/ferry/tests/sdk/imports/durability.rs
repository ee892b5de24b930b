//! Imports across a graceful restart and a `kill -9`, and an import from an
//! external S3 endpoint (moto_server).

use std::time::Duration;

use aws_sdk_dynamodb::types::{
    ImportStatus, InputCompressionType, InputFormat, ScalarAttributeType,
};

use super::*;
use crate::common::*;

// ---------------------------------------------------------------- restarts

#[tokio::test]
async fn a_restart_mid_import_resumes_it_and_loses_nothing() {
    let server = TestServer::start().await;
    let db = server.dynamodb().await;
    bucket(&server, "src-bucket").await;
    for part in 0..4u64 {
        let data = ferry_formats::generator::json_lines(part * 50_000..(part + 1) * 50_000);
        put(
            &server,
            "src-bucket",
            &format!("big/part-{part}.json.gz"),
            gzip(&data),
        )
        .await;
    }
    let table = params(
        "Resumed",
        ("pk", ScalarAttributeType::S),
        Some(("sk", ScalarAttributeType::S)),
    );
    let started = start(
        &db,
        source("src-bucket", "big/"),
        InputFormat::DynamodbJson,
        Some(InputCompressionType::Gzip),
        None,
        table,
    )
    .await;
    let arn = started.import_arn().unwrap().to_string();
    // Stop at once: the import is cut short and stays IN_PROGRESS.
    let dir = server.stop().await;
    let server = TestServer::start_in(dir, |_| {}).await;
    let db = server.dynamodb().await;
    let done = wait(&db, &arn).await;
    assert_eq!(
        done.import_status(),
        Some(&ImportStatus::Completed),
        "{done:?}"
    );
    assert_eq!(
        (
            done.processed_item_count(),
            done.imported_item_count(),
            done.error_count()
        ),
        (200_000, 200_000, 0)
    );
    assert_eq!(done.table_id(), started.table_id());
    let count = db
        .scan()
        .table_name("Resumed")
        .select(aws_sdk_dynamodb::types::Select::Count)
        .send()
        .await
        .unwrap();
    let mut total = count.count();
    let mut start_key = count.last_evaluated_key;
    while let Some(k) = start_key {
        let r = db
            .scan()
            .table_name("Resumed")
            .select(aws_sdk_dynamodb::types::Select::Count)
            .set_exclusive_start_key(Some(k))
            .send()
            .await
            .unwrap();
        total += r.count();
        start_key = r.last_evaluated_key;
    }
    assert_eq!(total, 200_000);
}

// ------------------------------------------------------- an external S3

#[tokio::test]
async fn import_from_an_external_s3_endpoint() {
    let Some(moto) = ferry_objects::moto::start("the external-S3 import test") else {
        return;
    };
    let creds = aws_credential_types::Credentials::new("testing", "testing", None, None, "moto");
    let conf = aws_sdk_s3::config::Builder::new()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .endpoint_url(moto.endpoint())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .credentials_provider(creds)
        .force_path_style(true)
        .build();
    let s3 = aws_sdk_s3::Client::from_conf(conf);
    s3.create_bucket()
        .bucket("moto-source")
        .send()
        .await
        .unwrap();
    for (key, data) in [
        ("in/a.json.gz", gzip(SPEC_JSON.as_bytes())),
        (
            "in/b.json.gz",
            gzip(&ferry_formats::generator::json_lines(0..500)),
        ),
    ] {
        s3.put_object()
            .bucket("moto-source")
            .key(key)
            .body(data.into())
            .send()
            .await
            .unwrap();
    }
    let endpoint = moto.endpoint();
    let server = TestServer::start_with(move |c| {
        c.external_s3 = Some(ferry_objects::ExternalS3Config {
            endpoint: Some(endpoint),
            region: Some("us-east-1".into()),
            access_key: Some("testing".into()),
            secret_key: Some("testing".into()),
            session_token: None,
            virtual_hosted: false,
        });
    })
    .await;
    let db = server.dynamodb().await;
    let table = params(
        "FromMoto",
        ("pk", ScalarAttributeType::S),
        Some(("sk", ScalarAttributeType::S)),
    );
    // The three books have no pk: the spec file is the bad one here.
    let started = start(
        &db,
        source("moto-source", "in/b"),
        InputFormat::DynamodbJson,
        Some(InputCompressionType::Gzip),
        None,
        table,
    )
    .await;
    let done = wait(&db, started.import_arn().unwrap()).await;
    assert_eq!(
        done.import_status(),
        Some(&ImportStatus::Completed),
        "{done:?}"
    );
    assert_eq!(
        (
            done.processed_item_count(),
            done.imported_item_count(),
            done.error_count()
        ),
        (500, 500, 0)
    );
    assert_eq!(scan_all(&db, "FromMoto").await.len(), 500);
    let started = start(
        &db,
        source("moto-source", "in/a"),
        InputFormat::DynamodbJson,
        Some(InputCompressionType::Gzip),
        None,
        books("MotoBooks"),
    )
    .await;
    let done = wait(&db, started.import_arn().unwrap()).await;
    assert_eq!(
        done.import_status(),
        Some(&ImportStatus::Completed),
        "{done:?}"
    );
    assert_books(&db, "MotoBooks").await;
    let started = start(
        &db,
        source("moto-missing", "x"),
        InputFormat::DynamodbJson,
        None,
        None,
        books("MotoMissing"),
    )
    .await;
    let done = wait(&db, started.import_arn().unwrap()).await;
    assert_eq!(done.failure_code(), Some("S3NoSuchBucket"), "{done:?}");
}

/// A `ferry serve` child process on `data_dir` (for kill -9).
async fn spawn_ferry(data_dir: &std::path::Path) -> (tokio::process::Child, String) {
    use tokio::io::AsyncBufReadExt;
    let mut process = tokio::process::Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn ferry");
    let stdout = process.stdout.take().unwrap();
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .expect("ferry prints its address")
        .unwrap()
        .expect("a line on stdout");
    let endpoint = line
        .strip_prefix("ferry listening on ")
        .unwrap_or_else(|| panic!("unexpected line {line:?}"))
        .to_string();
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (process, endpoint)
}

async fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "AKIDFERRYTEST",
            "secret",
            None,
            None,
            "test",
        ))
        .load()
        .await
}

#[tokio::test]
async fn kill_9_mid_import_resumes_on_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, endpoint) = spawn_ferry(dir.path()).await;
    let conf = sdk_config(&endpoint).await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(true)
            .build(),
    );
    let db = aws_sdk_dynamodb::Client::new(&conf);
    s3.create_bucket()
        .bucket("src-bucket")
        .send()
        .await
        .unwrap();
    for part in 0..4u64 {
        let data = gzip(&ferry_formats::generator::json_lines(
            part * 40_000..(part + 1) * 40_000,
        ));
        s3.put_object()
            .bucket("src-bucket")
            .key(format!("k9/part-{part}.gz"))
            .body(data.into())
            .send()
            .await
            .unwrap();
    }
    let table = params(
        "Killed",
        ("pk", ScalarAttributeType::S),
        Some(("sk", ScalarAttributeType::S)),
    );
    let started = start(
        &db,
        source("src-bucket", "k9/"),
        InputFormat::DynamodbJson,
        Some(InputCompressionType::Gzip),
        None,
        table,
    )
    .await;
    let arn = started.import_arn().unwrap().to_string();
    // Kill as soon as some items are in (or the import is already over:
    // the restart must then change nothing).
    let (db_ref, arn_ref) = (&db, arn.as_str());
    wait_until(JOB_TIMEOUT, "the import to make progress", || async move {
        let d = describe(db_ref, arn_ref).await;
        (d.processed_item_count() > 0 || d.import_status() != Some(&ImportStatus::InProgress))
            .then_some(())
    })
    .await;
    child.start_kill().expect("SIGKILL");
    child.wait().await.unwrap();

    let (_child, endpoint) = spawn_ferry(dir.path()).await;
    let db = aws_sdk_dynamodb::Client::new(&sdk_config(&endpoint).await);
    let done = wait(&db, &arn).await;
    assert_eq!(
        done.import_status(),
        Some(&ImportStatus::Completed),
        "{done:?}"
    );
    assert_eq!(
        (
            done.processed_item_count(),
            done.imported_item_count(),
            done.error_count()
        ),
        (160_000, 160_000, 0)
    );
    let mut total = 0;
    let mut start_key = None;
    loop {
        let r = db
            .scan()
            .table_name("Killed")
            .select(aws_sdk_dynamodb::types::Select::Count)
            .set_exclusive_start_key(start_key)
            .send()
            .await
            .unwrap();
        total += r.count();
        start_key = r.last_evaluated_key;
        if start_key.is_none() {
            break;
        }
    }
    assert_eq!(total, 160_000, "no item lost, none left over");
}

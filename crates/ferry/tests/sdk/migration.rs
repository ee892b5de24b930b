//! Data directories written by older versions open with the same tables and
//! jobs: `tests/fixtures/catalog-v1/` was written by `ferry serve` before
//! table settings were typed (catalog format 1: the description fields as
//! one JSON document, also inside import and backup records, version 1;
//! `gen.py` beside it made it). Every table must be described, tagged,
//! TTL'd and scanned, and its import, export and backup described, exactly
//! as that version answered (`expected.json`), on the first open (which
//! migrates the records) and after a restart (which reads the migrated ones).

use std::path::Path;

use serde_json::{Value, json};

use crate::common::{TestServer, assert_validation};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

async fn call(server: &TestServer, op: &str, body: Value) -> Value {
    let r = server
        .raw(&format!("DynamoDB_20120810.{op}"), &body.to_string())
        .await;
    assert_eq!(r.status, 200, "{op}: {}", r.body);
    r.json()
}

async fn assert_same_answers(server: &TestServer, expected: &Value) {
    for job in expected["jobs"].as_array().unwrap() {
        let op = job["op"].as_str().unwrap();
        assert_eq!(
            call(server, op, job["body"].clone()).await,
            job["answer"],
            "{op}"
        );
    }
    let expected = &expected["tables"];
    let mut names = server
        .dynamodb()
        .await
        .list_tables()
        .send()
        .await
        .unwrap()
        .table_names
        .unwrap_or_default();
    names.sort();
    let expected_names: Vec<&String> = expected.as_object().unwrap().keys().collect();
    assert_eq!(names.iter().collect::<Vec<_>>(), expected_names);
    for (name, want) in expected.as_object().unwrap() {
        let table = json!({ "TableName": name });
        let described = call(server, "DescribeTable", table.clone()).await;
        assert_eq!(described["Table"], want["DescribeTable"], "{name}");
        let arn = described["Table"]["TableArn"].clone();
        assert_eq!(
            call(server, "DescribeTimeToLive", table.clone()).await,
            want["DescribeTimeToLive"],
            "{name}"
        );
        assert_eq!(
            call(server, "ListTagsOfResource", json!({ "ResourceArn": arn })).await,
            want["ListTagsOfResource"],
            "{name}"
        );
        let backups = call(server, "DescribeContinuousBackups", table.clone()).await;
        assert_eq!(
            backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"],
            want["PointInTimeRecoveryStatus"],
            "{name}"
        );
        assert_eq!(call(server, "Scan", table).await, want["Scan"], "{name}");
    }
}

#[tokio::test]
async fn a_format_1_catalog_opens_with_the_same_tables() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/catalog-v1");
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture.join("expected.json")).unwrap())
            .unwrap();
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture.join("data"), &dir.path().join("data"));

    let server = TestServer::start_in(dir, |_| {}).await;
    assert_same_answers(&server, &expected).await;
    let dir = server.stop().await;
    let server = TestServer::start_in(dir, |_| {}).await;
    assert_same_answers(&server, &expected).await;

    // The migrated settings are live ones: deletion protection still holds,
    // and turning TTL off changes only TTL.
    let ddb = server.dynamodb().await;
    assert_validation(
        ddb.delete_table().table_name("full").send().await,
        "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.",
    );
    ddb.update_time_to_live()
        .table_name("full")
        .time_to_live_specification(
            aws_sdk_dynamodb::types::TimeToLiveSpecification::builder()
                .enabled(false)
                .attribute_name("expires")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let described = call(&server, "DescribeTable", json!({ "TableName": "full" })).await;
    assert_eq!(
        described["Table"],
        expected["tables"]["full"]["DescribeTable"]
    );
    assert_eq!(
        call(
            &server,
            "DescribeTimeToLive",
            json!({ "TableName": "full" })
        )
        .await,
        json!({ "TimeToLiveDescription": { "TimeToLiveStatus": "DISABLED" } })
    );
}

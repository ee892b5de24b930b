//! SDK tests: point-in-time recovery — UpdateContinuousBackups,
//! DescribeContinuousBackups and RestoreTableToPointInTime — with the
//! shapes and messages real DynamoDB answers.

use aws_sdk_dynamodb::types::{
    ContinuousBackupsStatus, GlobalSecondaryIndex, KeyType, PointInTimeRecoverySpecification,
    PointInTimeRecoveryStatus, Projection, ProjectionType, ScalarAttributeType, TableStatus,
};
use aws_smithy_types::DateTime;

use crate::common::*;

pub(crate) fn spec(enabled: bool, days: Option<i32>) -> PointInTimeRecoverySpecification {
    PointInTimeRecoverySpecification::builder()
        .point_in_time_recovery_enabled(enabled)
        .set_recovery_period_in_days(days)
        .build()
        .unwrap()
}

/// Turn PITR on for `table`.
pub(crate) async fn enable_pitr(client: &aws_sdk_dynamodb::Client, table: &str) {
    client
        .update_continuous_backups()
        .table_name(table)
        .point_in_time_recovery_specification(spec(true, None))
        .send()
        .await
        .unwrap_or_else(|e| panic!("enable PITR on {table}: {e:?}"));
}

/// Microseconds since the epoch of an SDK timestamp.
pub(crate) fn micros(t: &DateTime) -> i64 {
    t.secs() * 1_000_000 + (i64::from(t.subsec_nanos()) + 500) / 1000
}

pub(crate) fn datetime(micros: i64) -> DateTime {
    DateTime::from_secs_and_nanos(
        micros.div_euclid(1_000_000),
        (micros.rem_euclid(1_000_000) * 1000) as u32,
    )
}

/// The server's current time: LatestRestorableDateTime of a PITR table.
pub(crate) async fn server_now(client: &aws_sdk_dynamodb::Client, table: &str) -> i64 {
    let out = client
        .describe_continuous_backups()
        .table_name(table)
        .send()
        .await
        .unwrap();
    let pitr = out
        .continuous_backups_description()
        .unwrap()
        .point_in_time_recovery_description()
        .unwrap();
    micros(pitr.latest_restorable_date_time().expect("PITR is on"))
}

#[tokio::test]
async fn continuous_backups_lifecycle() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(&client, "pitr1", ("pk", ScalarAttributeType::S), None).await;

    let out = client
        .describe_continuous_backups()
        .table_name("pitr1")
        .send()
        .await
        .unwrap();
    let d = out.continuous_backups_description().unwrap();
    assert_eq!(
        d.continuous_backups_status(),
        &ContinuousBackupsStatus::Enabled
    );
    let p = d.point_in_time_recovery_description().unwrap();
    assert_eq!(
        p.point_in_time_recovery_status(),
        Some(&PointInTimeRecoveryStatus::Disabled)
    );
    assert_eq!(p.recovery_period_in_days(), None);
    assert_eq!(p.earliest_restorable_date_time(), None);
    assert_eq!(p.latest_restorable_date_time(), None);

    let out = client
        .update_continuous_backups()
        .table_name("pitr1")
        .point_in_time_recovery_specification(spec(true, None))
        .send()
        .await
        .unwrap();
    let p = out
        .continuous_backups_description()
        .unwrap()
        .point_in_time_recovery_description()
        .unwrap();
    assert_eq!(
        p.point_in_time_recovery_status(),
        Some(&PointInTimeRecoveryStatus::Enabled)
    );
    assert_eq!(p.recovery_period_in_days(), Some(35));
    let earliest = micros(p.earliest_restorable_date_time().unwrap());
    let latest = micros(p.latest_restorable_date_time().unwrap());
    assert!(
        earliest <= latest && latest - earliest < 5_000_000,
        "{earliest} {latest}"
    );

    // Re-enabling keeps the window; the period changes in place.
    server.advance_clock(60_000_000).await;
    let out = client
        .update_continuous_backups()
        .table_name("pitr1")
        .point_in_time_recovery_specification(spec(true, Some(7)))
        .send()
        .await
        .unwrap();
    let p = out
        .continuous_backups_description()
        .unwrap()
        .point_in_time_recovery_description()
        .unwrap();
    assert_eq!(p.recovery_period_in_days(), Some(7));
    assert_eq!(micros(p.earliest_restorable_date_time().unwrap()), earliest);
    assert!(micros(p.latest_restorable_date_time().unwrap()) >= latest + 60_000_000);

    // Disabling forgets everything; re-enabling starts a new window of 35 days.
    let out = client
        .update_continuous_backups()
        .table_name("pitr1")
        .point_in_time_recovery_specification(spec(false, None))
        .send()
        .await
        .unwrap();
    let p = out
        .continuous_backups_description()
        .unwrap()
        .point_in_time_recovery_description()
        .unwrap();
    assert_eq!(
        p.point_in_time_recovery_status(),
        Some(&PointInTimeRecoveryStatus::Disabled)
    );
    assert_eq!(p.recovery_period_in_days(), None);
    enable_pitr(&client, "pitr1").await;
    let out = client
        .describe_continuous_backups()
        .table_name("pitr1")
        .send()
        .await
        .unwrap();
    let p = out
        .continuous_backups_description()
        .unwrap()
        .point_in_time_recovery_description()
        .unwrap();
    assert_eq!(p.recovery_period_in_days(), Some(35));
    assert!(micros(p.earliest_restorable_date_time().unwrap()) > earliest + 60_000_000);

    // The setting survives a restart.
    let dir = server.stop().await;
    let server = TestServer::start_in(dir, |_| {}).await;
    let client = server.dynamodb().await;
    let out = client
        .describe_continuous_backups()
        .table_name("pitr1")
        .send()
        .await
        .unwrap();
    let p = out
        .continuous_backups_description()
        .unwrap()
        .point_in_time_recovery_description()
        .unwrap();
    assert_eq!(
        p.point_in_time_recovery_status(),
        Some(&PointInTimeRecoveryStatus::Enabled)
    );
}

#[tokio::test]
async fn continuous_backups_errors() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(&client, "pitr2", ("pk", ScalarAttributeType::S), None).await;
    let (code, msg) = failure(
        client
            .describe_continuous_backups()
            .table_name("nope")
            .send()
            .await,
    );
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("TableNotFoundException", "Table not found: nope")
    );
    let (code, msg) = failure(
        client
            .update_continuous_backups()
            .table_name("nope")
            .point_in_time_recovery_specification(spec(true, None))
            .send()
            .await,
    );
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("TableNotFoundException", "Table not found: nope")
    );
    assert_validation(
        client
            .update_continuous_backups()
            .table_name("pitr2")
            .point_in_time_recovery_specification(spec(true, Some(36)))
            .send()
            .await,
        "1 validation error detected: Value '36' at 'pointInTimeRecoverySpecification.recoveryPeriodInDays' failed to satisfy constraint: Member must have value less than or equal to 35",
    );
    assert_validation(
        client
            .update_continuous_backups()
            .table_name("pitr2")
            .point_in_time_recovery_specification(spec(false, Some(7)))
            .send()
            .await,
        "Invalid Request: Cannot specify RecoveryPeriodInDays when disabling point-in-time recovery.",
    );
    // A table ARN works as TableName.
    let arn = "arn:aws:dynamodb:us-east-1:000000000000:table/pitr2";
    let out = client
        .describe_continuous_backups()
        .table_name(arn)
        .send()
        .await
        .unwrap();
    assert!(out.continuous_backups_description().is_some());
}

async fn scan_sorted(client: &aws_sdk_dynamodb::Client, table: &str) -> Vec<String> {
    let out = client.scan().table_name(table).send().await.unwrap();
    let mut v: Vec<String> = out
        .items()
        .iter()
        .map(|i| {
            let mut pairs: Vec<String> = i.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
            pairs.sort();
            pairs.join(",")
        })
        .collect();
    v.sort();
    v
}

async fn wait_active(client: &aws_sdk_dynamodb::Client, table: &str) {
    for _ in 0..500 {
        let out = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .unwrap();
        if out.table().unwrap().table_status() == Some(&TableStatus::Active) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("{table} never became ACTIVE");
}

#[tokio::test]
async fn restore_to_a_point_in_time() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    client
        .create_table()
        .table_name("src")
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .attribute_definitions(attr_def("pk", ScalarAttributeType::S))
        .attribute_definitions(attr_def("g", ScalarAttributeType::S))
        .key_schema(key_element("pk", KeyType::Hash))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("by-g")
                .key_schema(key_element("g", KeyType::Hash))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    enable_pitr(&client, "src").await;
    for i in 0..30 {
        client
            .put_item()
            .table_name("src")
            .set_item(Some(item(&[
                ("pk", s(&format!("k{i}"))),
                ("g", s(&format!("g{}", i % 3))),
                ("v", n("1")),
            ])))
            .send()
            .await
            .unwrap();
    }
    server.advance_clock(1_000_000).await;
    let t = server_now(&client, "src").await;
    let before = scan_sorted(&client, "src").await;
    server.advance_clock(1_000_000).await;
    for i in 0..10 {
        client
            .delete_item()
            .table_name("src")
            .set_key(Some(item(&[("pk", s(&format!("k{i}")))])))
            .send()
            .await
            .unwrap();
    }
    client
        .put_item()
        .table_name("src")
        .set_item(Some(item(&[("pk", s("late")), ("g", s("g0"))])))
        .send()
        .await
        .unwrap();

    let out = client
        .restore_table_to_point_in_time()
        .source_table_name("src")
        .target_table_name("dst")
        .restore_date_time(datetime(t))
        .send()
        .await
        .unwrap();
    let desc = out.table_description().unwrap();
    assert_eq!(desc.table_name(), Some("dst"));
    assert_eq!(desc.table_status(), Some(&TableStatus::Creating));
    let summary = desc.restore_summary().unwrap();
    assert_eq!(
        summary.source_table_arn(),
        Some("arn:aws:dynamodb:us-east-1:000000000000:table/src")
    );
    assert_eq!(micros(summary.restore_date_time()), t);
    assert!(summary.restore_in_progress());
    assert_eq!(desc.global_secondary_indexes().len(), 1);
    wait_active(&client, "dst").await;
    assert_eq!(scan_sorted(&client, "dst").await, before);
    let q = client
        .query()
        .table_name("dst")
        .index_name("by-g")
        .key_condition_expression("g = :g")
        .expression_attribute_values(":g", s("g1"))
        .send()
        .await
        .unwrap();
    assert_eq!(q.count(), 10);
    let out = client
        .describe_continuous_backups()
        .table_name("dst")
        .send()
        .await
        .unwrap();
    let p = out
        .continuous_backups_description()
        .unwrap()
        .point_in_time_recovery_description()
        .unwrap();
    assert_eq!(
        p.point_in_time_recovery_status(),
        Some(&PointInTimeRecoveryStatus::Disabled)
    );

    // Latest restorable time, by ARN, without the index.
    client
        .restore_table_to_point_in_time()
        .source_table_arn("arn:aws:dynamodb:us-east-1:000000000000:table/src")
        .target_table_name("dst2")
        .use_latest_restorable_time(true)
        .set_global_secondary_index_override(Some(vec![]))
        .send()
        .await
        .unwrap();
    wait_active(&client, "dst2").await;
    assert_eq!(
        scan_sorted(&client, "dst2").await,
        scan_sorted(&client, "src").await
    );
    let d = client
        .describe_table()
        .table_name("dst2")
        .send()
        .await
        .unwrap();
    assert!(d.table().unwrap().global_secondary_indexes().is_empty());
}

#[tokio::test]
async fn restore_errors() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(&client, "rst", ("pk", ScalarAttributeType::S), None).await;
    create_table(&client, "other", ("pk", ScalarAttributeType::S), None).await;
    let restore = || {
        client
            .restore_table_to_point_in_time()
            .source_table_name("rst")
            .target_table_name("new")
    };
    let (code, msg) = failure(restore().use_latest_restorable_time(true).send().await);
    assert_eq!(code, "PointInTimeRecoveryUnavailableException");
    assert_eq!(msg, "Point in time recovery is not enabled for table 'rst'");
    enable_pitr(&client, "rst").await;
    let now = server_now(&client, "rst").await;
    let (code, msg) = failure(
        restore()
            .restore_date_time(datetime(now - 3_600_000_000))
            .send()
            .await,
    );
    assert_eq!(code, "InvalidRestoreTimeException");
    assert!(
        msg.starts_with("RestoreDateTime '")
            && msg.contains("' must be within EarliestRestorableDateTime '"),
        "{msg}"
    );
    let (code, msg) = failure(
        client
            .restore_table_to_point_in_time()
            .source_table_name("rst")
            .target_table_name("other")
            .use_latest_restorable_time(true)
            .send()
            .await,
    );
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("TableAlreadyExistsException", "Table already exists: other")
    );
    let (code, msg) = failure(
        client
            .restore_table_to_point_in_time()
            .source_table_name("ghost")
            .target_table_name("new")
            .use_latest_restorable_time(true)
            .send()
            .await,
    );
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("TableNotFoundException", "Table not found: ghost")
    );
    assert_validation(
        restore()
            .use_latest_restorable_time(true)
            .restore_date_time(datetime(now))
            .send()
            .await,
        "Invalid Request: Both RestoreDateTime and UseLatestRestorableTime cannot be set for point-in-time restore request. Please specify either RestoreDateTime time or UseLatestRestorableTime",
    );
    assert_validation(
        restore().send().await,
        "Invalid Request: Either one of RestoreDateTime or UseLatestRestorableTime must be specified, but not both",
    );
    assert_validation(
        restore()
            .use_latest_restorable_time(true)
            .global_secondary_index_override(
                GlobalSecondaryIndex::builder()
                    .index_name("made-up")
                    .key_schema(key_element("pk", KeyType::Hash))
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::All)
                            .build(),
                    )
                    .build()
                    .unwrap(),
            )
            .send()
            .await,
        "Index made-up does not match a secondary index that existed in the source table and cannot be created during the restore operation",
    );
    // None of the refused requests created the target.
    assert_eq!(
        failure(client.describe_table().table_name("new").send().await).0,
        "ResourceNotFoundException"
    );
}

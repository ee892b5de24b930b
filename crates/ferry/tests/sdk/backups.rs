//! SDK tests: on-demand backups — CreateBackup, DescribeBackup, ListBackups,
//! DeleteBackup, RestoreTableFromBackup — their shapes, errors and the
//! consistency of a backup taken while writes go on. The `kill -9` test is
//! in `backups_faults.rs`.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::{
    AttributeValue, BackupStatus, BackupTypeFilter, BillingMode, ProvisionedThroughput,
    ScalarAttributeType, TableStatus,
};

use crate::common::*;
use crate::pitr::{datetime, enable_pitr, micros};

type Items = BTreeMap<String, HashMap<String, AttributeValue>>;

/// Every item of `table`, by its `id`.
pub(crate) async fn scan_by_id(client: &aws_sdk_dynamodb::Client, table: &str) -> Items {
    crate::imports::scan_all(client, table)
        .await
        .into_iter()
        .map(|it| (it["id"].as_s().expect("string id").clone(), it))
        .collect()
}

/// Put `count` items `id-<i>` with a value `v`.
async fn put_items(client: &aws_sdk_dynamodb::Client, table: &str, count: usize) -> Items {
    let mut all = BTreeMap::new();
    for i in 0..count {
        let id = format!("id-{i:04}");
        let it = item(&[("id", s(&id)), ("v", n(&i.to_string()))]);
        client
            .put_item()
            .table_name(table)
            .set_item(Some(it.clone()))
            .send()
            .await
            .unwrap();
        all.insert(id, it);
    }
    all
}

/// Create a backup and wait until it is AVAILABLE; returns its ARN.
pub(crate) async fn backup_available(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    name: &str,
) -> String {
    let out = client
        .create_backup()
        .table_name(table)
        .backup_name(name)
        .send()
        .await
        .unwrap();
    let arn = out.backup_details().unwrap().backup_arn().to_string();
    let c = client;
    let a = arn.clone();
    wait_until(JOB_TIMEOUT, "the backup to be AVAILABLE", || {
        let a = a.clone();
        async move {
            let d = c.describe_backup().backup_arn(&a).send().await.unwrap();
            let details = d.backup_description()?.backup_details()?.clone();
            (details.backup_status() == &BackupStatus::Available).then_some(())
        }
    })
    .await;
    arn
}

pub(crate) async fn wait_active(client: &aws_sdk_dynamodb::Client, table: &str) {
    wait_until(
        JOB_TIMEOUT,
        "the restored table to be ACTIVE",
        || async move {
            let d = client
                .describe_table()
                .table_name(table)
                .send()
                .await
                .unwrap();
            (d.table()?.table_status() == Some(&TableStatus::Active)).then_some(())
        },
    )
    .await;
}

fn is_backup_arn(arn: &str, table: &str) -> bool {
    let prefix = format!("arn:aws:dynamodb:us-east-1:000000000000:table/{table}/backup/");
    let Some(id) = arn.strip_prefix(&prefix) else {
        return false;
    };
    let b = id.as_bytes();
    b.len() == 26
        && b[..17].iter().all(u8::is_ascii_digit)
        && b[17] == b'-'
        && b[18..].iter().all(|c| c.is_ascii_hexdigit())
}

#[tokio::test]
async fn create_describe_list_restore_delete() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(&client, "src", ("id", ScalarAttributeType::S), None).await;
    let items = put_items(&client, "src", 30).await;

    let created = client
        .create_backup()
        .table_name("src")
        .backup_name("first")
        .send()
        .await
        .unwrap();
    let d = created.backup_details().unwrap();
    assert!(is_backup_arn(d.backup_arn(), "src"), "{}", d.backup_arn());
    assert_eq!(d.backup_name(), "first");
    assert_eq!(d.backup_type(), &aws_sdk_dynamodb::types::BackupType::User);
    assert_eq!(
        d.backup_arn()[d.backup_arn().len() - 26..][..17]
            .parse::<i64>()
            .unwrap(),
        micros(d.backup_creation_date_time()) / 1000
    );
    let arn = d.backup_arn().to_string();
    let arn2 = backup_available(&client, "src", "second").await;

    let desc = client
        .describe_backup()
        .backup_arn(&arn)
        .send()
        .await
        .unwrap();
    let desc = desc.backup_description().unwrap();
    assert_eq!(
        desc.backup_details().unwrap().backup_status(),
        &BackupStatus::Available
    );
    let src = desc.source_table_details().unwrap();
    assert_eq!(src.table_name(), "src");
    assert_eq!(src.item_count(), Some(30));
    assert_eq!(
        src.table_arn(),
        Some("arn:aws:dynamodb:us-east-1:000000000000:table/src")
    );
    assert_eq!(src.billing_mode(), Some(&BillingMode::PayPerRequest));
    assert!(desc.backup_details().unwrap().backup_size_bytes().unwrap() > 0);

    // ListBackups: filters and paging.
    let all = client.list_backups().send().await.unwrap();
    let arns: Vec<&str> = all
        .backup_summaries()
        .iter()
        .filter_map(|b| b.backup_arn())
        .collect();
    assert_eq!(arns.len(), 2);
    assert!(arns.contains(&arn.as_str()) && arns.contains(&arn2.as_str()));
    let page = client.list_backups().limit(1).send().await.unwrap();
    assert_eq!(page.backup_summaries().len(), 1);
    let next = page.last_evaluated_backup_arn().unwrap().to_string();
    let rest = client
        .list_backups()
        .exclusive_start_backup_arn(&next)
        .send()
        .await
        .unwrap();
    assert_eq!(rest.backup_summaries().len(), 1);
    assert!(rest.last_evaluated_backup_arn().is_none());
    assert_ne!(rest.backup_summaries()[0].backup_arn(), Some(next.as_str()));
    for (filter, expect) in [
        (BackupTypeFilter::System, 0),
        (BackupTypeFilter::AwsBackup, 0),
        (BackupTypeFilter::All, 2),
        (BackupTypeFilter::User, 2),
    ] {
        let l = client
            .list_backups()
            .backup_type(filter)
            .send()
            .await
            .unwrap();
        assert_eq!(l.backup_summaries().len(), expect);
    }
    let other = client
        .list_backups()
        .table_name("other")
        .send()
        .await
        .unwrap();
    assert!(other.backup_summaries().is_empty());
    let by_arn = client
        .list_backups()
        .table_name("arn:aws:dynamodb:us-east-1:000000000000:table/src")
        .send()
        .await
        .unwrap();
    assert_eq!(by_arn.backup_summaries().len(), 2);
    let created_at = desc.backup_details().unwrap().backup_creation_date_time();
    let upper = client
        .list_backups()
        .time_range_upper_bound(*created_at)
        .send()
        .await
        .unwrap();
    assert!(
        upper
            .backup_summaries()
            .iter()
            .all(|b| b.backup_arn() != Some(arn.as_str()))
    );
    let lower = client
        .list_backups()
        .time_range_lower_bound(*created_at)
        .send()
        .await
        .unwrap();
    assert!(
        lower
            .backup_summaries()
            .iter()
            .any(|b| b.backup_arn() == Some(arn.as_str()))
    );

    // Restore, with a billing override.
    let out = client
        .restore_table_from_backup()
        .backup_arn(&arn)
        .target_table_name("restored")
        .billing_mode_override(BillingMode::Provisioned)
        .provisioned_throughput_override(
            ProvisionedThroughput::builder()
                .read_capacity_units(5)
                .write_capacity_units(7)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let t = out.table_description().unwrap();
    assert_eq!(t.table_status(), Some(&TableStatus::Creating));
    let summary = t.restore_summary().unwrap();
    assert_eq!(summary.source_backup_arn(), Some(arn.as_str()));
    assert!(summary.restore_in_progress());
    wait_active(&client, "restored").await;
    assert_eq!(scan_by_id(&client, "restored").await, items);
    let d = client
        .describe_table()
        .table_name("restored")
        .send()
        .await
        .unwrap();
    let pt = d.table().unwrap().provisioned_throughput().unwrap();
    assert_eq!(
        (pt.read_capacity_units(), pt.write_capacity_units()),
        (Some(5), Some(7))
    );

    // Delete: DELETED once, then not found.
    let del = client
        .delete_backup()
        .backup_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        del.backup_description()
            .unwrap()
            .backup_details()
            .unwrap()
            .backup_status(),
        &BackupStatus::Deleted
    );
    let message = format!("Backup not found: {arn}");
    assert_eq!(
        failure(client.describe_backup().backup_arn(&arn).send().await),
        ("BackupNotFoundException".into(), message.clone())
    );
    assert_eq!(
        failure(client.delete_backup().backup_arn(&arn).send().await),
        ("BackupNotFoundException".into(), message.clone())
    );
    assert_eq!(
        failure(
            client
                .restore_table_from_backup()
                .backup_arn(&arn)
                .target_table_name("again")
                .send()
                .await
        ),
        ("BackupNotFoundException".into(), message)
    );
    let left = client.list_backups().send().await.unwrap();
    assert_eq!(left.backup_summaries().len(), 1);
    assert_eq!(left.backup_summaries()[0].backup_arn(), Some(arn2.as_str()));
    let tables = client.list_tables().send().await.unwrap();
    assert_eq!(tables.table_names(), ["restored", "src"]);
}

#[tokio::test]
async fn refused_requests_change_nothing() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(&client, "src", ("id", ScalarAttributeType::S), None).await;
    let items = put_items(&client, "src", 5).await;
    assert_eq!(
        failure(
            client
                .create_backup()
                .table_name("nope")
                .backup_name("bk1")
                .send()
                .await
        ),
        (
            "TableNotFoundException".into(),
            "Table not found: nope".into()
        )
    );
    assert_validation(
        client
            .create_backup()
            .table_name("src")
            .backup_name("ab")
            .send()
            .await,
        "1 validation error detected: Value 'ab' at 'backupName' failed to satisfy constraint: Member must have length greater than or equal to 3",
    );
    assert_validation(
        client
            .create_backup()
            .table_name("src")
            .backup_name("a b!")
            .send()
            .await,
        "1 validation error detected: Value 'a b!' at 'backupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
    );
    assert_validation(
        client
            .describe_backup()
            .backup_arn("arn:short")
            .send()
            .await,
        "1 validation error detected: Value 'arn:short' at 'backupArn' failed to satisfy constraint: Member must have length greater than or equal to 37",
    );
    assert_validation(
        client.list_backups().limit(0).send().await,
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    assert_validation(
        client.list_backups().limit(101).send().await,
        "1 validation error detected: Value '101' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100",
    );
    assert!(
        client
            .list_backups()
            .send()
            .await
            .unwrap()
            .backup_summaries()
            .is_empty()
    );

    let arn = backup_available(&client, "src", "good").await;
    assert_eq!(
        failure(
            client
                .restore_table_from_backup()
                .backup_arn(&arn)
                .target_table_name("src")
                .send()
                .await
        ),
        (
            "TableAlreadyExistsException".into(),
            "Table already exists: src".into()
        )
    );
    assert_validation(
        client
            .restore_table_from_backup()
            .backup_arn(&arn)
            .target_table_name("dst")
            .billing_mode_override(BillingMode::Provisioned)
            .send()
            .await,
        "Must override ProvisionedThroughput if BillingMode is overridden to PROVISIONED",
    );
    let missing = format!("{}0", &arn[..arn.len() - 1]);
    let missing = if missing == arn {
        format!("{}1", &arn[..arn.len() - 1])
    } else {
        missing
    };
    assert_eq!(
        failure(client.delete_backup().backup_arn(&missing).send().await),
        (
            "BackupNotFoundException".into(),
            format!("Backup not found: {missing}")
        )
    );
    let tables = client.list_tables().send().await.unwrap();
    assert_eq!(tables.table_names(), ["src"]);
    assert_eq!(scan_by_id(&client, "src").await, items);
    assert_eq!(
        client
            .list_backups()
            .send()
            .await
            .unwrap()
            .backup_summaries()
            .len(),
        1
    );
}

/// A writer runs while CreateBackup is answered; the table restored from
/// the backup equals the table as of BackupCreationDateTime (read through a
/// point-in-time restore of the source).
#[tokio::test]
async fn backup_taken_during_writes_equals_the_table_at_its_time() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(&client, "src", ("id", ScalarAttributeType::S), None).await;
    enable_pitr(&client, "src").await;
    put_items(&client, "src", 200).await;

    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (client, stop) = (client.clone(), stop.clone());
        tokio::spawn(async move {
            let mut i = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let id = format!("id-{:04}", i % 300);
                if i % 5 == 4 {
                    client
                        .delete_item()
                        .table_name("src")
                        .key("id", s(&id))
                        .send()
                        .await
                        .unwrap();
                } else {
                    client
                        .put_item()
                        .table_name("src")
                        .set_item(Some(item(&[("id", s(&id)), ("w", n(&i.to_string()))])))
                        .send()
                        .await
                        .unwrap();
                }
                i += 1;
            }
            i
        })
    };
    // Let the writer get going (counted by its writes, not by time).
    let c = &client;
    wait_until(JOB_TIMEOUT, "the writer to write", || async move {
        let it = c
            .get_item()
            .table_name("src")
            .key("id", s("id-0010"))
            .send()
            .await
            .ok()?;
        it.item()?.get("w").map(|_| ())
    })
    .await;
    let created = client
        .create_backup()
        .table_name("src")
        .backup_name("during")
        .send()
        .await
        .unwrap();
    let d = created.backup_details().unwrap().clone();
    let id = d.backup_arn().to_string();
    // Keep writing until some writes are surely after the backup.
    let after = client
        .describe_continuous_backups()
        .table_name("src")
        .send()
        .await
        .unwrap();
    assert!(after.continuous_backups_description().is_some());
    let c = &client;
    wait_until(JOB_TIMEOUT, "writes after the backup", || async move {
        let it = c
            .get_item()
            .table_name("src")
            .key("id", s("id-0250"))
            .send()
            .await
            .ok()?;
        it.item()?.get("w").map(|_| ())
    })
    .await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let writes = writer.await.unwrap();
    assert!(writes > 250);

    let c = &client;
    let a = id.clone();
    wait_until(JOB_TIMEOUT, "the backup to be AVAILABLE", || {
        let a = a.clone();
        async move {
            let d = c.describe_backup().backup_arn(&a).send().await.unwrap();
            (d.backup_description()?.backup_details()?.backup_status() == &BackupStatus::Available)
                .then_some(())
        }
    })
    .await;
    client
        .restore_table_from_backup()
        .backup_arn(&id)
        .target_table_name("from-backup")
        .send()
        .await
        .unwrap();
    client
        .restore_table_to_point_in_time()
        .source_table_name("src")
        .target_table_name("from-pitr")
        .restore_date_time(datetime(micros(d.backup_creation_date_time())))
        .send()
        .await
        .unwrap();
    wait_active(&client, "from-backup").await;
    wait_active(&client, "from-pitr").await;
    let restored = scan_by_id(&client, "from-backup").await;
    assert_eq!(restored, scan_by_id(&client, "from-pitr").await);
    assert_ne!(restored, scan_by_id(&client, "src").await);
}

/// A backup outlives its table and a restart.
#[tokio::test]
async fn backup_outlives_its_table_and_a_restart() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(&client, "src", ("id", ScalarAttributeType::S), None).await;
    let items = put_items(&client, "src", 40).await;
    let arn = backup_available(&client, "src", "keep").await;
    client
        .delete_table()
        .table_name("src")
        .send()
        .await
        .unwrap();
    let dir = server.stop().await;

    let server = TestServer::start_in(dir, |_| {}).await;
    let client = server.dynamodb().await;
    let d = client
        .describe_backup()
        .backup_arn(&arn)
        .send()
        .await
        .unwrap();
    let details = d.backup_description().unwrap().backup_details().unwrap();
    assert_eq!(details.backup_status(), &BackupStatus::Available);
    assert_eq!(details.backup_name(), "keep");
    client
        .restore_table_from_backup()
        .backup_arn(&arn)
        .target_table_name("src")
        .send()
        .await
        .unwrap();
    wait_active(&client, "src").await;
    assert_eq!(scan_by_id(&client, "src").await, items);
}

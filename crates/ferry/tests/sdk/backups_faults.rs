//! `kill -9` of the real binary during a restore from a backup: after the
//! restart the restore resumes and the target holds every item of the
//! backup; the backup itself is intact.

use aws_sdk_dynamodb::types::{
    BackupStatus, PutRequest, ScalarAttributeType, TableStatus, WriteRequest,
};

use crate::common::{create_table, item, n, s};
use crate::faults::{scan_all, spawn_ferry, until};

#[tokio::test]
async fn kill_9_during_a_restore_from_backup_then_the_target_holds_every_item() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let ferry = spawn_ferry(&data).await;
    let client = ferry.client().await;
    create_table(&client, "src", ("id", ScalarAttributeType::S), None).await;
    let mut batch = Vec::new();
    for i in 0..5_000 {
        let it = item(&[("id", s(&format!("id-{i:05}"))), ("v", n(&i.to_string()))]);
        batch.push(
            WriteRequest::builder()
                .put_request(PutRequest::builder().set_item(Some(it)).build().unwrap())
                .build(),
        );
        if batch.len() == 25 {
            client
                .batch_write_item()
                .request_items("src", std::mem::take(&mut batch))
                .send()
                .await
                .unwrap();
        }
    }
    let items = scan_all(&client, "src", "id").await;
    assert_eq!(items.len(), 5_000);
    let arn = crate::backups::backup_available(&client, "src", "bk1").await;
    let out = client
        .restore_table_from_backup()
        .backup_arn(&arn)
        .target_table_name("dst")
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.table_description().unwrap().table_status(),
        Some(&TableStatus::Creating)
    );
    ferry.kill9().await;

    let ferry = spawn_ferry(&data).await;
    let client = ferry.client().await;
    let c = &client;
    until("the restored table to become ACTIVE", || async move {
        let d = c.describe_table().table_name("dst").send().await;
        let d = d.unwrap_or_else(|e| panic!("the restore target vanished: {e:?}"));
        (d.table().unwrap().table_status() == Some(&TableStatus::Active)).then_some(())
    })
    .await;
    assert_eq!(scan_all(&client, "dst", "id").await, items);
    let d = client
        .describe_backup()
        .backup_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.backup_description()
            .unwrap()
            .backup_details()
            .unwrap()
            .backup_status(),
        &BackupStatus::Available
    );
    ferry.kill9().await;
}

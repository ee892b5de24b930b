//! SDK tests: a table still CREATING (here: being imported) answers
//! CreateBackup with TableInUseException, UpdateContinuousBackups with
//! ContinuousBackupsUnavailableException, and a restore onto its name with
//! TableInUseException; DescribeContinuousBackups keeps answering
//! TableNotFoundException. Every refused request changes nothing.
//!
//! The import stays CREATING deterministically: its bucket is on an
//! external S3 endpoint that accepts connections and never answers, until
//! the test closes it (the import then ends FAILED).

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, ImportStatus, InputFormat, KeySchemaElement, KeyType,
    PointInTimeRecoverySpecification, S3BucketSource, ScalarAttributeType, TableCreationParameters,
    TableStatus,
};

use crate::backups::backup_available;
use crate::common::*;
use crate::pitr::enable_pitr;

/// An S3 endpoint that holds every connection open without a byte of answer.
struct Silent {
    addr: std::net::SocketAddr,
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Silent {
    fn start() -> Silent {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut held = Vec::new();
            for conn in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(c) = conn {
                    held.push(c);
                }
            }
        });
        Silent { addr, stop, thread }
    }

    /// Close every connection and the listener.
    fn close(self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = std::net::TcpStream::connect(self.addr);
        self.thread.join().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_creating_table_is_in_use_for_backups() {
    let silent = Silent::start();
    let endpoint = format!("http://{}", silent.addr);
    let server = TestServer::start_with(move |c| {
        c.external_s3 = Some(ferry_objects::ExternalS3Config {
            endpoint: Some(endpoint),
            region: Some("us-east-1".into()),
            access_key: Some("test".into()),
            secret_key: Some("test".into()),
            session_token: None,
            virtual_hosted: false,
        });
        c.external_buckets = vec!["silent".into()];
    })
    .await;
    let client = server.dynamodb().await;
    create_table(&client, "Src", ("pk", ScalarAttributeType::S), None).await;
    enable_pitr(&client, "Src").await;
    let backup = backup_available(&client, "Src", "src-backup").await;

    let import = client
        .import_table()
        .s3_bucket_source(
            S3BucketSource::builder()
                .s3_bucket("silent")
                .build()
                .unwrap(),
        )
        .input_format(InputFormat::DynamodbJson)
        .table_creation_parameters(
            TableCreationParameters::builder()
                .table_name("Busy")
                .attribute_definitions(
                    AttributeDefinition::builder()
                        .attribute_name("pk")
                        .attribute_type(ScalarAttributeType::S)
                        .build()
                        .unwrap(),
                )
                .key_schema(
                    KeySchemaElement::builder()
                        .attribute_name("pk")
                        .key_type(KeyType::Hash)
                        .build()
                        .unwrap(),
                )
                .billing_mode(BillingMode::PayPerRequest)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let import_arn = import
        .import_table_description()
        .unwrap()
        .import_arn()
        .unwrap()
        .to_string();
    let status = |c: aws_sdk_dynamodb::Client| async move {
        c.describe_table()
            .table_name("Busy")
            .send()
            .await
            .unwrap()
            .table()
            .unwrap()
            .table_status()
            .cloned()
    };
    assert_eq!(status(client.clone()).await, Some(TableStatus::Creating));

    let r = client
        .create_backup()
        .table_name("Busy")
        .backup_name("busy-backup")
        .send()
        .await;
    assert_eq!(
        failure(r),
        (
            "TableInUseException".into(),
            "Table is being created: Busy".into()
        )
    );
    let r = client
        .update_continuous_backups()
        .table_name("Busy")
        .point_in_time_recovery_specification(
            PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(true)
                .build()
                .unwrap(),
        )
        .send()
        .await;
    assert_eq!(
        failure(r),
        (
            "ContinuousBackupsUnavailableException".into(),
            "Backups have not yet been enabled for this table.".into()
        )
    );
    let r = client
        .describe_continuous_backups()
        .table_name("Busy")
        .send()
        .await;
    assert_eq!(
        failure(r),
        (
            "TableNotFoundException".into(),
            "Table not found: Busy".into()
        )
    );
    let r = client
        .restore_table_from_backup()
        .backup_arn(&backup)
        .target_table_name("Busy")
        .send()
        .await;
    assert_eq!(
        failure(r),
        (
            "TableInUseException".into(),
            "Table is being created: Busy".into()
        )
    );
    let r = client
        .restore_table_to_point_in_time()
        .source_table_name("Src")
        .target_table_name("Busy")
        .use_latest_restorable_time(true)
        .send()
        .await;
    assert_eq!(
        failure(r),
        (
            "TableInUseException".into(),
            "Table is being created: Busy".into()
        )
    );

    // Nothing changed: one backup (of Src), the import's table still
    // CREATING with its own id.
    let listed = client.list_backups().send().await.unwrap();
    assert_eq!(listed.backup_summaries().len(), 1);
    assert_eq!(status(client.clone()).await, Some(TableStatus::Creating));
    let d = client
        .describe_import()
        .import_arn(&import_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.import_table_description().unwrap().import_status(),
        Some(&ImportStatus::InProgress)
    );

    // Closing the endpoint ends the import (FAILED), then the table is gone.
    silent.close();
    let c = client.clone();
    wait_until(Duration::from_secs(120), "the import to fail", || {
        let c = c.clone();
        let arn = import_arn.clone();
        async move {
            let d = c.describe_import().import_arn(arn).send().await.ok()?;
            let s = d.import_table_description()?.import_status()?.clone();
            (s == ImportStatus::Failed).then_some(())
        }
    })
    .await;
    server.stop().await;
}

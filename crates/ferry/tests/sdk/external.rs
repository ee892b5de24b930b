//! Import from and export to an external S3-compatible endpoint that Ferry
//! does not implement: moto's `moto_server`, started on a free port. Ferry is
//! configured as `ferry serve --s3-endpoint ... --s3-external-bucket ext-src,ext-dst`
//! would configure it, so only the named buckets go external.

use std::io::Write as _;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, ExportStatus, ImportStatus, InputCompressionType,
    InputFormat, KeySchemaElement, KeyType, PointInTimeRecoverySpecification, S3BucketSource,
    ScalarAttributeType, TableCreationParameters,
};
use aws_sdk_s3::primitives::ByteStream;

use crate::common::TestServer;

async fn moto_client(endpoint: &str) -> aws_sdk_s3::Client {
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .load()
        .await;
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(true)
            .build(),
    )
}

fn gzip(text: &str) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(text.as_bytes()).unwrap();
    enc.finish().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_from_and_export_to_an_external_endpoint() {
    let Some(moto) = ferry_objects::moto::start("the external-endpoint tests") else {
        return;
    };
    let external = moto_client(&moto.endpoint()).await;
    for b in ["ext-src", "ext-dst"] {
        external.create_bucket().bucket(b).send().await.unwrap();
    }
    let lines: String = (0..50)
        .map(|i| format!("{{\"Item\":{{\"pk\":{{\"S\":\"k{i}\"}},\"n\":{{\"N\":\"{i}\"}}}}}}\n"))
        .collect();
    external
        .put_object()
        .bucket("ext-src")
        .key("in/part-0.json.gz")
        .body(ByteStream::from(gzip(&lines)))
        .send()
        .await
        .unwrap();

    let endpoint = moto.endpoint();
    let server = TestServer::start_with(move |c| {
        c.external_s3 = Some(ferry_objects::ExternalS3Config {
            endpoint: Some(endpoint),
            region: Some("us-east-1".into()),
            access_key: Some("test".into()),
            secret_key: Some("test".into()),
            session_token: None,
            virtual_hosted: false,
        });
        c.external_buckets = vec!["ext-src".into(), "ext-dst".into()];
    })
    .await;
    let ddb = server.dynamodb().await;

    // The embedded store does not hold the external buckets.
    let embedded = server.s3().await;
    let err = embedded
        .head_bucket()
        .bucket("ext-src")
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_not_found());

    let import = ddb
        .import_table()
        .s3_bucket_source(
            S3BucketSource::builder()
                .s3_bucket("ext-src")
                .s3_key_prefix("in/")
                .build()
                .unwrap(),
        )
        .input_format(InputFormat::DynamodbJson)
        .input_compression_type(InputCompressionType::Gzip)
        .table_creation_parameters(
            TableCreationParameters::builder()
                .table_name("ext-imported")
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
    let arn = import
        .import_table_description()
        .unwrap()
        .import_arn()
        .unwrap()
        .to_string();
    let desc = crate::imports::wait(&ddb, &arn).await;
    assert_eq!(
        desc.import_status(),
        Some(&ImportStatus::Completed),
        "{desc:?}"
    );
    assert_eq!(desc.imported_item_count(), 50);
    assert_eq!(desc.error_count(), 0);
    let got = ddb
        .get_item()
        .table_name("ext-imported")
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S("k7".into()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.item().unwrap()["n"],
        aws_sdk_dynamodb::types::AttributeValue::N("7".into())
    );

    ddb.update_continuous_backups()
        .table_name("ext-imported")
        .point_in_time_recovery_specification(
            PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(true)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let table_arn = "arn:aws:dynamodb:us-east-1:000000000000:table/ext-imported";
    let export = ddb
        .export_table_to_point_in_time()
        .table_arn(table_arn)
        .s3_bucket("ext-dst")
        .s3_prefix("exports")
        .send()
        .await
        .unwrap();
    let export_arn = export
        .export_description()
        .unwrap()
        .export_arn()
        .unwrap()
        .to_string();
    let desc = crate::exports::wait_export(&ddb, &export_arn).await;
    assert_eq!(
        desc.export_status(),
        Some(&ExportStatus::Completed),
        "{desc:?}"
    );
    assert_eq!(desc.item_count(), Some(50));

    // The files are in moto, not in the embedded store.
    let export_id = export_arn.rsplit('/').next().unwrap();
    let summary = external
        .get_object()
        .bucket("ext-dst")
        .key(format!(
            "exports/AWSDynamoDB/{export_id}/manifest-summary.json"
        ))
        .send()
        .await
        .unwrap();
    let summary: serde_json::Value =
        serde_json::from_slice(&summary.body.collect().await.unwrap().into_bytes()).unwrap();
    assert_eq!(summary["itemCount"], 50);
    assert_eq!(summary["exportArn"], export_arn.as_str());
    let listed = external
        .list_objects_v2()
        .bucket("ext-dst")
        .prefix(format!("exports/AWSDynamoDB/{export_id}/data/"))
        .send()
        .await
        .unwrap();
    assert!(!listed.contents().is_empty());
    server.stop().await;
}

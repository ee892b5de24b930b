//! Exports cut by a restart, and exports imported back into new tables.

use super::*;

#[tokio::test]
async fn an_export_cut_by_a_restart_completes_with_matching_manifests() {
    let server = TestServer::start().await;
    let (client, s3) = (server.dynamodb().await, server.s3().await);
    s3.create_bucket().bucket("rst-bkt").send().await.unwrap();
    pitr_table(&client, "big").await;
    let mut batch = Vec::new();
    for i in 0..4000 {
        let mut it = rich_item(i, &"x".repeat(200));
        it.insert("pad".into(), s(&"p".repeat(800)));
        batch.push(
            aws_sdk_dynamodb::types::WriteRequest::builder()
                .put_request(
                    aws_sdk_dynamodb::types::PutRequest::builder()
                        .set_item(Some(it))
                        .build()
                        .unwrap(),
                )
                .build(),
        );
        if batch.len() == 25 {
            client
                .batch_write_item()
                .request_items("big", std::mem::take(&mut batch))
                .send()
                .await
                .unwrap();
        }
    }
    let out = client
        .export_table_to_point_in_time()
        .table_arn(arn("big"))
        .s3_bucket("rst-bkt")
        .send()
        .await
        .unwrap();
    let export_arn = out
        .export_description()
        .unwrap()
        .export_arn()
        .unwrap()
        .to_string();
    // Stopping right after the request interrupts the job (it was resumed
    // in every run measured here); either way the export must end COMPLETED
    // with manifests that match the files.
    let dir = server.stop().await;
    let server = TestServer::start_in(dir, |_| {}).await;
    let (client, s3) = (server.dynamodb().await, server.s3().await);
    let d = wait_export(&client, &export_arn).await;
    assert_eq!(
        d.export_status(),
        Some(&ExportStatus::Completed),
        "{:?}",
        d.failure_message()
    );
    let out = read_export(&s3, "rst-bkt", &d).await;
    assert_eq!(json_lines(&out).len(), 4000);
}

/// Export a table, then ImportTable its `data/` folder into a new table: the
/// same items come back, in both formats (empty partitions included).
#[tokio::test]
async fn exports_import_back_unchanged() {
    use aws_sdk_dynamodb::types::{
        BillingMode, ImportStatus, InputCompressionType, InputFormat, KeyType, S3BucketSource,
        TableCreationParameters,
    };
    let server = TestServer::start().await;
    let (client, s3) = (server.dynamodb().await, server.s3().await);
    s3.create_bucket().bucket("trip").send().await.unwrap();
    pitr_table(&client, "orig").await;
    for i in 0..25 {
        put(&client, "orig", rich_item(i, "v")).await;
    }
    let scan = |table: &'static str| {
        let client = client.clone();
        async move {
            let out = client.scan().table_name(table).send().await.unwrap();
            let mut v: Vec<String> = out
                .items()
                .iter()
                .map(|i| {
                    let mut pairs: Vec<String> = i
                        .iter()
                        .map(|(k, v)| match v {
                            AttributeValue::Ss(x) => {
                                let mut x = x.clone();
                                x.sort();
                                format!("{k}=SS{x:?}")
                            }
                            AttributeValue::Ns(x) => {
                                let mut x = x.clone();
                                x.sort();
                                format!("{k}=NS{x:?}")
                            }
                            AttributeValue::Bs(x) => {
                                let mut x: Vec<Vec<u8>> =
                                    x.iter().map(|b| b.as_ref().to_vec()).collect();
                                x.sort();
                                format!("{k}=BS{x:?}")
                            }
                            other => format!("{k}={other:?}"),
                        })
                        .collect();
                    pairs.sort();
                    pairs.join(",")
                })
                .collect();
            v.sort();
            v
        }
    };
    let original = scan("orig").await;
    assert_eq!(original.len(), 25);
    for (format, input, target) in [
        (
            ExportFormat::DynamodbJson,
            InputFormat::DynamodbJson,
            "fromjson",
        ),
        (ExportFormat::Ion, InputFormat::Ion, "fromion"),
    ] {
        let out = client
            .export_table_to_point_in_time()
            .table_arn(arn("orig"))
            .s3_bucket("trip")
            .s3_prefix(target)
            .export_format(format)
            .send()
            .await
            .unwrap();
        let d = wait_export(
            &client,
            out.export_description().unwrap().export_arn().unwrap(),
        )
        .await;
        let dir = d
            .export_manifest()
            .unwrap()
            .trim_end_matches("manifest-summary.json")
            .to_string();
        let started = client
            .import_table()
            .s3_bucket_source(
                S3BucketSource::builder()
                    .s3_bucket("trip")
                    .s3_key_prefix(format!("{dir}data/"))
                    .build()
                    .unwrap(),
            )
            .input_format(input)
            .input_compression_type(InputCompressionType::Gzip)
            .table_creation_parameters(
                TableCreationParameters::builder()
                    .table_name(target)
                    .attribute_definitions(attr_def("pk", ScalarAttributeType::S))
                    .attribute_definitions(attr_def("sk", ScalarAttributeType::N))
                    .key_schema(key_element("pk", KeyType::Hash))
                    .key_schema(key_element("sk", KeyType::Range))
                    .billing_mode(BillingMode::PayPerRequest)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        let import_arn = started
            .import_table_description()
            .unwrap()
            .import_arn()
            .unwrap()
            .to_string();
        let d = crate::imports::wait(&client, &import_arn).await;
        assert_eq!(d.error_count(), 0, "{d:?}");
        assert_eq!(d.imported_item_count(), 25);
        assert_eq!(d.import_status(), Some(&ImportStatus::Completed));
        assert_eq!(scan(target).await, original, "{target}");
    }
}

//! Export refusals as AWS answers them (measured against real DynamoDB, see
//! `docs/design/export.md`): ARNs of another account, partition or service,
//! another region, control characters in S3Prefix, and an incremental export
//! of a table without PITR. Each refused request leaves nothing behind.

use aws_sdk_dynamodb::types::{ExportType, IncrementalExportSpecification};

use super::*;

fn foreign_arns(table: &str) -> Vec<String> {
    vec![
        format!("arn:aws:dynamodb:us-east-1:111122223333:table/{table}"),
        format!("arn:aws-cn:dynamodb:us-east-1:000000000000:table/{table}"),
        format!("arn:aws:s3:us-east-1:000000000000:table/{table}"),
    ]
}

async fn no_exports(client: &aws_sdk_dynamodb::Client) {
    let listed = client.list_exports().send().await.unwrap();
    assert!(listed.export_summaries().is_empty(), "{listed:?}");
}

#[tokio::test]
async fn arns_of_another_account_partition_or_service_are_access_denied() {
    let server = TestServer::start().await;
    let (client, s3) = (server.dynamodb().await, server.s3().await);
    s3.create_bucket().bucket("bkt").send().await.unwrap();
    pitr_table(&client, "mine").await;
    for table_arn in foreign_arns("mine") {
        let (code, msg) = failure(
            client
                .export_table_to_point_in_time()
                .table_arn(&table_arn)
                .s3_bucket("bkt")
                .send()
                .await,
        );
        assert_eq!(
            (code.as_str(), msg.as_str()),
            ("AccessDeniedException", "Access is denied"),
            "{table_arn}"
        );
        let (code, msg) = failure(client.list_exports().table_arn(&table_arn).send().await);
        assert_eq!(
            (code.as_str(), msg.as_str()),
            ("AccessDeniedException", "Access is denied"),
            "{table_arn}"
        );
        let export_arn = format!("{table_arn}/export/01693685827463-2d8752fd");
        let (code, msg) = failure(
            client
                .describe_export()
                .export_arn(&export_arn)
                .send()
                .await,
        );
        assert_eq!(
            (code.as_str(), msg.as_str()),
            ("AccessDeniedException", "Access is denied"),
            "{export_arn}"
        );
    }
    no_exports(&client).await;
    // Only text that is not an export ARN is a ValidationException.
    assert_validation(
        client
            .describe_export()
            .export_arn("x".repeat(40))
            .send()
            .await,
        "Invalid Export ARN",
    );
}

#[tokio::test]
async fn an_export_arn_of_another_region_is_not_found_and_an_unknown_one_says_so() {
    let server = TestServer::start().await;
    let (client, s3) = (server.dynamodb().await, server.s3().await);
    s3.create_bucket().bucket("bkt").send().await.unwrap();
    pitr_table(&client, "reg").await;
    let out = client
        .export_table_to_point_in_time()
        .table_arn(arn("reg"))
        .s3_bucket("bkt")
        .send()
        .await
        .unwrap();
    let real = out.export_description().unwrap().export_arn().unwrap();
    wait_export(&client, real).await;
    let elsewhere = real.replace(":us-east-1:", ":eu-west-1:");
    let (code, msg) = failure(client.describe_export().export_arn(&elsewhere).send().await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "ExportNotFoundException",
            "Export not found: Invalid export arn"
        )
    );
    // AWS repeats "Export not found" for an unknown id (measured).
    let ghost = format!("{}/export/01693685827463-2d8752fd", arn("reg"));
    let (code, msg) = failure(client.describe_export().export_arn(&ghost).send().await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "ExportNotFoundException",
            format!("Export not found: Export not found: {ghost}").as_str()
        )
    );
}

#[tokio::test]
async fn s3_prefix_with_control_characters_is_refused() {
    let server = TestServer::start().await;
    let (client, s3) = (server.dynamodb().await, server.s3().await);
    s3.create_bucket().bucket("bkt").send().await.unwrap();
    pitr_table(&client, "pfx").await;
    for prefix in ["a\tb", "line\nbreak", "nul\u{0}", "del\u{7f}"] {
        assert_validation(
            client
                .export_table_to_point_in_time()
                .table_arn(arn("pfx"))
                .s3_bucket("bkt")
                .s3_prefix(prefix)
                .send()
                .await,
            &format!(
                "1 validation error detected: Value '{prefix}' at 's3Prefix' failed to satisfy constraint: Member must satisfy regular expression pattern: [^\\p{{Cc}}]*"
            ),
        );
    }
    no_exports(&client).await;
    // Spaces and non-ASCII text are fine.
    let out = client
        .export_table_to_point_in_time()
        .table_arn(arn("pfx"))
        .s3_bucket("bkt")
        .s3_prefix("my exports/é")
        .send()
        .await
        .unwrap();
    wait_export(
        &client,
        out.export_description().unwrap().export_arn().unwrap(),
    )
    .await;
}

#[tokio::test]
async fn incremental_export_without_pitr_answers_as_aws_does() {
    // Real DynamoDB (measured): a FULL export of a table without PITR is
    // PointInTimeRecoveryUnavailableException, but an INCREMENTAL one is
    // InvalidExportTimeException about the period's start, quoting it.
    let server = TestServer::start().await;
    let (client, s3) = (server.dynamodb().await, server.s3().await);
    s3.create_bucket().bucket("bkt").send().await.unwrap();
    create_table(&client, "plain", ("pk", ScalarAttributeType::S), None).await;
    let (code, msg) = failure(
        client
            .export_table_to_point_in_time()
            .table_arn(arn("plain"))
            .s3_bucket("bkt")
            .export_type(ExportType::IncrementalExport)
            .incremental_export_specification(
                IncrementalExportSpecification::builder()
                    .export_from_time(datetime(1_791_506_414_000_000))
                    .build(),
            )
            .send()
            .await,
    );
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "InvalidExportTimeException",
            "Incremental export period from time cannot be less than the table creation time : 2026-10-09T00:40:14Z"
        )
    );
    no_exports(&client).await;
}

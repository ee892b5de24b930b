//! ClientToken idempotency, ListImports paging and filtering, DescribeImport
//! errors, ImportTable validation messages, and live counters.

use aws_sdk_dynamodb::types::{
    BillingMode, CsvOptions, ImportStatus, InputCompressionType, InputFormat, InputFormatOptions,
    KeyType, ScalarAttributeType, TableCreationParameters, TableStatus,
};

use super::*;
use crate::common::*;

// ------------------------------------------------- tokens, listing, checks

#[tokio::test]
async fn client_token_returns_the_same_import_or_conflicts() {
    let server = TestServer::start().await;
    let db = server.dynamodb().await;
    bucket(&server, "src-bucket").await;
    put(
        &server,
        "src-bucket",
        "big.json",
        ferry_formats::generator::json_lines(0..20_000),
    )
    .await;
    let table = params(
        "Tokens",
        ("pk", ScalarAttributeType::S),
        Some(("sk", ScalarAttributeType::S)),
    );
    let send = |t: TableCreationParameters| {
        db.import_table()
            .client_token("my-token-1")
            .s3_bucket_source(source("src-bucket", "big.json"))
            .input_format(InputFormat::DynamodbJson)
            .table_creation_parameters(t)
            .send()
    };
    let first = send(table.clone())
        .await
        .unwrap()
        .import_table_description
        .unwrap();
    let again = send(table.clone())
        .await
        .unwrap()
        .import_table_description
        .unwrap();
    assert_eq!(first.client_token(), Some("my-token-1"));
    assert_eq!(again.import_arn(), first.import_arn());
    assert_eq!(again.table_id(), first.table_id());
    let other_params = || {
        params(
            "Tokens2",
            ("pk", ScalarAttributeType::S),
            Some(("sk", ScalarAttributeType::S)),
        )
    };
    let (code, message) = failure(send(other_params()).await);
    assert_eq!(code, "ImportConflictException");
    assert_eq!(
        message,
        "Import conflict: Duplicate request detected with conflicting parameters"
    );
    let done = wait(&db, first.import_arn().unwrap()).await;
    assert_eq!(done.import_status(), Some(&ImportStatus::Completed));
    // Finished: the token is checked before the table (which now exists), so
    // the SDK's automatic retry of the same request gets its own import back.
    let replay = send(table.clone())
        .await
        .unwrap()
        .import_table_description
        .unwrap();
    assert_eq!(replay, done, "the same description as DescribeImport");
    let (code, message) = failure(send(other_params()).await);
    assert_eq!(
        (code.as_str(), message.as_str()),
        (
            "ImportConflictException",
            "Import conflict: Duplicate request detected with conflicting parameters"
        )
    );
    // Another token for the same table meets the table check.
    let (code, message) = failure(
        db.import_table()
            .client_token("my-token-2")
            .s3_bucket_source(source("src-bucket", "big.json"))
            .input_format(InputFormat::DynamodbJson)
            .table_creation_parameters(table)
            .send()
            .await,
    );
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("ResourceInUseException", "Table already exists: Tokens")
    );
    let listed = db.list_imports().send().await.unwrap();
    assert_eq!(listed.import_summary_list().len(), 1, "no import was added");
    assert_eq!(scan_all(&db, "Tokens").await.len(), 20_000);
}

#[tokio::test]
async fn list_imports_pages_with_the_sdk_paginator_and_filters_by_table() {
    let server = TestServer::start().await;
    let db = server.dynamodb().await;
    bucket(&server, "src-bucket").await;
    put(&server, "src-bucket", "x.json", SPEC_JSON).await;
    let mut arns = Vec::new();
    for i in 0..7 {
        let d = start(
            &db,
            source("src-bucket", "x.json"),
            InputFormat::DynamodbJson,
            None,
            None,
            books(&format!("List{i}")),
        )
        .await;
        arns.push(d.import_arn().unwrap().to_string());
    }
    for arn in &arns {
        wait(&db, arn).await;
    }
    let first = db.list_imports().page_size(3).send().await.unwrap();
    assert_eq!(first.import_summary_list().len(), 3);
    let token = first.next_token().unwrap();
    assert!(
        token.len() >= 112 && token.len().is_multiple_of(16),
        "{token}"
    );
    let pages: Vec<_> = db
        .list_imports()
        .page_size(3)
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    assert_eq!(pages.len(), 3);
    let listed: Vec<String> = pages
        .into_iter()
        .flat_map(|p| p.unwrap().import_summary_list.unwrap_or_default())
        .map(|s| s.import_arn.unwrap())
        .collect();
    assert_eq!(listed, arns, "start order, each once");
    let table_arn = "arn:aws:dynamodb:us-east-1:000000000000:table/List4";
    let one = db.list_imports().table_arn(table_arn).send().await.unwrap();
    assert_eq!(one.import_summary_list().len(), 1);
    let summary = &one.import_summary_list()[0];
    assert_eq!(summary.import_arn(), Some(arns[4].as_str()));
    assert_eq!(summary.import_status(), Some(&ImportStatus::Completed));
    assert_eq!(summary.table_arn(), Some(table_arn));
    assert_eq!(summary.input_format(), Some(&InputFormat::DynamodbJson));
    assert_eq!(
        summary.s3_bucket_source().unwrap().s3_bucket(),
        "src-bucket"
    );
    assert!(summary.start_time().is_some() && summary.end_time().is_some());
    assert_eq!(
        summary.cloud_watch_log_group_arn(),
        Some("arn:aws:logs:us-east-1:000000000000:log-group:/aws-dynamodb/imports:*")
    );
    assert_validation(
        db.list_imports().page_size(26).send().await,
        "1 validation error detected: Value '26' at 'pageSize' failed to satisfy constraint: Member must have value less than or equal to 25",
    );
    assert_validation(
        db.list_imports().next_token("0".repeat(112)).send().await,
        "Invalid NextToken",
    );
}

#[tokio::test]
async fn describe_import_errors() {
    let server = TestServer::start().await;
    let db = server.dynamodb().await;
    let (code, message) = failure(
        db.describe_import()
            .import_arn(
                "arn:aws:dynamodb:us-east-1:000000000000:table/abc/import/01658528578619-c4d4e311",
            )
            .send()
            .await,
    );
    assert_eq!(code, "ImportNotFoundException");
    assert_eq!(
        message,
        "Import not found: arn:aws:dynamodb:us-east-1:000000000000:table/abc/import/01658528578619-c4d4e311"
    );
    assert_validation(
        db.describe_import()
            .import_arn(
                "arn:aws:dynamodb:us-east-1:000000000000:table/x/import/01658528578619-c4d4e311",
            )
            .send()
            .await,
        "Invalid Import ARN",
    );
}

#[tokio::test]
async fn import_table_validation_messages() {
    let server = TestServer::start().await;
    let db = server.dynamodb().await;
    let table = || params("Valid", ("pk", ScalarAttributeType::S), None);
    let csv = |d: &str| {
        InputFormatOptions::builder()
            .csv(CsvOptions::builder().delimiter(d).build())
            .build()
    };
    assert_validation(
        db.import_table()
            .s3_bucket_source(source("src-bucket", "p"))
            .input_format(InputFormat::Csv)
            .input_format_options(csv("x"))
            .table_creation_parameters(table())
            .send()
            .await,
        "1 validation error detected: Value 'x' at 'inputFormatOptions.csv.delimiter' failed to satisfy constraint: Member must satisfy regular expression pattern: [,;:|\\t ]",
    );
    assert_validation(
        db.import_table()
            .s3_bucket_source(source("src-bucket", "p"))
            .input_format(InputFormat::DynamodbJson)
            .input_format_options(csv(","))
            .table_creation_parameters(table())
            .send()
            .await,
        "One or more parameter values were invalid: InputFormatOptions can only be specified when InputFormat is CSV",
    );
    assert_validation(
        db.import_table()
            .s3_bucket_source(source("-nope!", "p"))
            .input_format(InputFormat::Csv)
            .table_creation_parameters(table())
            .send()
            .await,
        "1 validation error detected: Value '-nope!' at 's3BucketSource.s3Bucket' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-z0-9A-Z]+[\\.\\-\\w]*[a-z0-9A-Z]+$",
    );
    assert_validation(
        db.import_table()
            .client_token("has$dollar")
            .s3_bucket_source(source("src-bucket", "p"))
            .input_format(InputFormat::Csv)
            .table_creation_parameters(table())
            .send()
            .await,
        "1 validation error detected: Value 'has$dollar' at 'clientToken' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[^\\$]+$",
    );
    let bad_defs = TableCreationParameters::builder()
        .table_name("Valid")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr_def("unrelated", ScalarAttributeType::S))
        .key_schema(key_element("pk", KeyType::Hash))
        .build()
        .unwrap();
    assert_validation(
        db.import_table()
            .s3_bucket_source(source("src-bucket", "p"))
            .input_format(InputFormat::Csv)
            .table_creation_parameters(bad_defs)
            .send()
            .await,
        "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [pk], AttributeDefinitions: [unrelated]",
    );
    let headers = InputFormatOptions::builder()
        .csv(CsvOptions::builder().header_list("a,b").build())
        .build();
    assert_validation(
        db.import_table()
            .s3_bucket_source(source("src-bucket", "p"))
            .input_format(InputFormat::Csv)
            .input_format_options(headers)
            .table_creation_parameters(table())
            .send()
            .await,
        "1 validation error detected: Value 'a,b' at 'inputFormatOptions.csv.headerList.1.member' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\x20-\\x21\\x23-\\x2B\\x2D-\\x7E]*",
    );
    // None of these left a table or an import behind.
    assert!(
        db.list_tables()
            .send()
            .await
            .unwrap()
            .table_names()
            .is_empty()
    );
    assert!(
        db.list_imports()
            .send()
            .await
            .unwrap()
            .import_summary_list()
            .is_empty()
    );
}

/// Every DescribeImport of a running import is consistent: counters never
/// go back, a CREATING table refuses item operations, and the import ends
/// COMPLETED with every item. Nothing here depends on how fast the import
/// is; that DescribeImport shows the counters *while* an import runs is
/// checked deterministically, with an import held mid-way, by
/// `ferry-jobs`' `describe_shows_live_counters_while_the_import_runs`.
#[tokio::test]
async fn counters_move_while_the_import_runs() {
    let server = TestServer::start().await;
    let db = server.dynamodb().await;
    bucket(&server, "src-bucket").await;
    for part in 0..2u64 {
        let data = ferry_formats::generator::json_lines(part * 60_000..(part + 1) * 60_000);
        put(
            &server,
            "src-bucket",
            &format!("live/part-{part}.json.gz"),
            gzip(&data),
        )
        .await;
    }
    let table = params(
        "Live",
        ("pk", ScalarAttributeType::S),
        Some(("sk", ScalarAttributeType::S)),
    );
    let started = start(
        &db,
        source("src-bucket", "live/"),
        InputFormat::DynamodbJson,
        Some(InputCompressionType::Gzip),
        None,
        table,
    )
    .await;
    let arn = started.import_arn().unwrap();
    // The running import is listed.
    let listed = db.list_imports().send().await.unwrap();
    assert_eq!(listed.import_summary_list()[0].import_arn(), Some(arn));
    let last = std::sync::atomic::AtomicI64::new(0);
    let (db, last) = (&db, &last);
    let done = wait_until(JOB_TIMEOUT, "the import to end", || async move {
        let d = describe(db, arn).await;
        let before = last.swap(
            d.processed_item_count(),
            std::sync::atomic::Ordering::Relaxed,
        );
        assert!(d.processed_item_count() >= before, "counters never go back");
        if d.import_status() != Some(&ImportStatus::InProgress) {
            return Some(d);
        }
        assert_eq!(d.end_time(), None);
        assert!(d.imported_item_count() + d.error_count() <= d.processed_item_count());
        // A table still CREATING after the call was CREATING during it:
        // then the item operation must have been refused.
        let got = db
            .get_item()
            .table_name("Live")
            .key("pk", s("x"))
            .key("sk", s("y"))
            .send()
            .await;
        let t = db
            .describe_table()
            .table_name("Live")
            .send()
            .await
            .unwrap()
            .table
            .unwrap();
        if t.table_status() == Some(&TableStatus::Creating) {
            let (code, _) = failure(got);
            assert_eq!(
                code, "ResourceNotFoundException",
                "item operations wait for the import"
            );
        }
        None
    })
    .await;
    assert_eq!(done.import_status(), Some(&ImportStatus::Completed));
    assert_eq!(done.imported_item_count(), 120_000);
    assert!(done.processed_size_bytes().unwrap() > 0);
}

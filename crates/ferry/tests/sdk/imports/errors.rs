//! The user guide's error examples, item errors with their counters and log
//! events, corrupt objects, and GSIs (queryable when COMPLETED, key types
//! checked).

use aws_sdk_dynamodb::types::{
    BillingMode, GlobalSecondaryIndex, ImportStatus, InputCompressionType, InputFormat, KeyType,
    Projection, ProjectionType, ScalarAttributeType, TableCreationParameters, TableStatus,
};

use super::*;
use crate::common::*;

// ------------------------------------------------------- the guide's errors

#[tokio::test]
async fn spec_missing_pk_example() {
    let server = TestServer::start().await;
    let db = server.dynamodb().await;
    bucket(&server, "my-import-source").await;
    // Exactly the guide's object: 70 bytes, as its ProcessedSizeBytes says.
    let data = "title,artist,year_of_release\nThe Dark Side of the Moon,Pink Floyd,1973";
    assert_eq!(data.len(), 70);
    put(&server, "my-import-source", "import-test.csv", data).await;
    let started = start(
        &db,
        source("my-import-source", "import-test.csv"),
        InputFormat::Csv,
        None,
        None,
        params("target-table", ("pk", ScalarAttributeType::S), None),
    )
    .await;
    let done = wait(&db, started.import_arn().unwrap()).await;
    assert_eq!(done.import_status(), Some(&ImportStatus::Failed));
    assert_eq!(done.failure_code(), Some("ItemValidationError"));
    assert_eq!(counters(&done), (1, 0, 1, Some(70)));
    assert_eq!(
        done.s3_bucket_source().unwrap().s3_bucket_owner(),
        Some("000000000000")
    );
    assert_eq!(
        log_messages(&server, &done).await,
        vec![item_error(
            "my-import-source",
            "import-test.csv",
            0,
            done.import_arn().unwrap(),
            "One or more parameter values were invalid: Missing the key pk in the item"
        )]
    );
    // The table exists, ACTIVE and empty.
    let t = db
        .describe_table()
        .table_name("target-table")
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(t.table_status(), Some(&TableStatus::Active));
    assert!(scan_all(&db, "target-table").await.is_empty());
}

#[tokio::test]
async fn spec_target_table_exists_example() {
    let server = TestServer::start().await;
    let db = server.dynamodb().await;
    create_table(&db, "target-table", ("pk", ScalarAttributeType::S), None).await;
    let r = db
        .import_table()
        .s3_bucket_source(source("whatever", "import-test"))
        .input_format(InputFormat::Csv)
        .table_creation_parameters(params("target-table", ("pk", ScalarAttributeType::S), None))
        .send()
        .await;
    let (code, message) = failure(r);
    assert_eq!(code, "ResourceInUseException");
    assert_eq!(message, "Table already exists: target-table");
    let listed = db.list_imports().send().await.unwrap();
    assert!(
        listed.import_summary_list().is_empty(),
        "a refused request records nothing"
    );
}

#[tokio::test]
async fn spec_bucket_does_not_exist_example() {
    let server = TestServer::start().await;
    let db = server.dynamodb().await;
    let started = start(
        &db,
        source("bucket-does-not-exist", "import-test"),
        InputFormat::Csv,
        Some(InputCompressionType::None),
        None,
        params("target-table", ("pk", ScalarAttributeType::S), None),
    )
    .await;
    let done = wait(&db, started.import_arn().unwrap()).await;
    assert_eq!(done.import_status(), Some(&ImportStatus::Failed));
    assert_eq!(done.failure_code(), Some("S3NoSuchBucket"));
    let message = done.failure_message().unwrap();
    assert!(
        message.starts_with("The specified bucket does not exist (Service: Amazon S3; Status Code: 404; Error Code: NoSuchBucket; Request ID: "),
        "{message}"
    );
    assert!(
        message.contains("; S3 Extended Request ID: ") && message.ends_with("; Proxy: null)"),
        "{message}"
    );
    assert_eq!(counters(&done), (0, 0, 0, Some(0)));
    let (code, _) = failure(db.describe_table().table_name("target-table").send().await);
    assert_eq!(code, "ResourceNotFoundException", "no table is left behind");
}

#[tokio::test]
async fn empty_prefix_completes_with_an_empty_table() {
    let server = TestServer::start().await;
    let db = server.dynamodb().await;
    bucket(&server, "src-bucket").await;
    put(&server, "src-bucket", "other/x.json", SPEC_JSON).await;
    let done = wait(
        &db,
        start(
            &db,
            source("src-bucket", "nothing-here/"),
            InputFormat::DynamodbJson,
            None,
            None,
            books("Empty"),
        )
        .await
        .import_arn()
        .unwrap(),
    )
    .await;
    assert_eq!(done.import_status(), Some(&ImportStatus::Completed));
    assert_eq!(counters(&done), (0, 0, 0, Some(0)));
    assert!(scan_all(&db, "Empty").await.is_empty());
}

#[tokio::test]
async fn zero_byte_objects_with_gzip_or_zstd_import_as_nothing() {
    let server = TestServer::start().await;
    let db = server.dynamodb().await;
    bucket(&server, "src-bucket").await;
    for (i, (dir, compression, encode)) in [
        (
            "gz",
            InputCompressionType::Gzip,
            gzip as fn(&[u8]) -> Vec<u8>,
        ),
        (
            "zst",
            InputCompressionType::Zstd,
            zstd as fn(&[u8]) -> Vec<u8>,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        // An S3 console folder placeholder, an empty partition file, data.
        put(&server, "src-bucket", &format!("{dir}/"), Vec::new()).await;
        put(&server, "src-bucket", &format!("{dir}/part-0"), Vec::new()).await;
        put(
            &server,
            "src-bucket",
            &format!("{dir}/part-1"),
            encode(SPEC_JSON.as_bytes()),
        )
        .await;
        let table = format!("Empties{i}");
        let done = wait(
            &db,
            start(
                &db,
                source("src-bucket", &format!("{dir}/")),
                InputFormat::DynamodbJson,
                Some(compression.clone()),
                None,
                books(&table),
            )
            .await
            .import_arn()
            .unwrap(),
        )
        .await;
        assert_eq!(
            done.import_status(),
            Some(&ImportStatus::Completed),
            "{compression:?}: {done:?}"
        );
        assert_eq!(
            counters(&done),
            (3, 3, 0, Some(SPEC_JSON.len() as i64)),
            "{compression:?}"
        );
        assert_eq!(done.failure_code(), None);
        assert_books(&db, &table).await;
        assert!(log_messages(&server, &done).await.is_empty());
    }
}

#[tokio::test]
async fn corrupt_gzip_object_is_skipped_while_others_import() {
    let server = TestServer::start().await;
    let db = server.dynamodb().await;
    bucket(&server, "src-bucket").await;
    let good = ferry_formats::generator::json_lines(0..2000);
    let mut bad = gzip(&ferry_formats::generator::json_lines(2000..4000));
    let mid = bad.len() / 2;
    for b in &mut bad[mid..mid + 32] {
        *b = !*b;
    }
    put(&server, "src-bucket", "in/good.gz", gzip(&good)).await;
    put(&server, "src-bucket", "in/bad.gz", bad).await;
    // A file of two gzip members reads whole.
    let mut two = gzip(&ferry_formats::generator::json_lines(4000..4500));
    two.extend(gzip(&ferry_formats::generator::json_lines(4500..5000)));
    put(&server, "src-bucket", "in/two-members.gz", two).await;
    let table = params(
        "Gen",
        ("pk", ScalarAttributeType::S),
        Some(("sk", ScalarAttributeType::S)),
    );
    let done = wait(
        &db,
        start(
            &db,
            source("src-bucket", "in/"),
            InputFormat::DynamodbJson,
            Some(InputCompressionType::Gzip),
            None,
            table,
        )
        .await
        .import_arn()
        .unwrap(),
    )
    .await;
    assert_eq!(done.import_status(), Some(&ImportStatus::Failed));
    assert_eq!(done.failure_code(), Some("ItemValidationError"));
    assert_eq!(done.error_count(), 1);
    let from_bad = done.imported_item_count() - 3000;
    assert!((0..2000).contains(&from_bad), "{done:?}");
    assert_eq!(
        scan_all(&db, "Gen").await.len() as i64,
        done.imported_item_count()
    );
    let logs = log_messages(&server, &done).await;
    let event: serde_json::Value = serde_json::from_str(&logs[0]).unwrap();
    assert_eq!(event["itemS3Pointer"]["key"], "in/bad.gz");
    assert_eq!(event["itemS3Pointer"]["itemIndex"], from_bad);
    // Damaged deflate data may first inflate to garbage (an unparsable line)
    // before the checksum fails: either way one error ends the object.
    let message = event["errorMessages"][0].as_str().unwrap();
    assert!(
        message.starts_with("Unable to decompress the object as GZIP: ")
            || message.starts_with("Invalid JSON: "),
        "{message}"
    );
}

// ------------------------------------------------------------- tables, GSIs

#[tokio::test]
async fn gsi_is_queryable_when_completed_and_duplicates_overwrite() {
    let server = TestServer::start().await;
    let db = server.dynamodb().await;
    bucket(&server, "src-bucket").await;
    let mut data = String::new();
    for i in 0..300 {
        data.push_str(&format!("{{\"Item\":{{\"pk\":{{\"S\":\"k{i}\"}},\"color\":{{\"S\":\"c{}\"}},\"n\":{{\"N\":\"{i}\"}}}}}}\n", i % 3));
    }
    // k0 again: the last one wins.
    data.push_str(
        "{\"Item\":{\"pk\":{\"S\":\"k0\"},\"color\":{\"S\":\"c9\"},\"n\":{\"N\":\"-1\"}}}\n",
    );
    put(&server, "src-bucket", "gsi.json", data).await;
    let table = TableCreationParameters::builder()
        .table_name("Colors")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr_def("pk", ScalarAttributeType::S))
        .attribute_definitions(attr_def("color", ScalarAttributeType::S))
        .attribute_definitions(attr_def("n", ScalarAttributeType::N))
        .key_schema(key_element("pk", KeyType::Hash))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("by_color")
                .key_schema(key_element("color", KeyType::Hash))
                .key_schema(key_element("n", KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let started = start(
        &db,
        source("src-bucket", "gsi.json"),
        InputFormat::DynamodbJson,
        None,
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
        (301, 301, 0)
    );
    let q = db
        .query()
        .table_name("Colors")
        .index_name("by_color")
        .key_condition_expression("color = :c")
        .expression_attribute_values(":c", s("c1"))
        .send()
        .await
        .unwrap();
    assert_eq!(q.count(), 100);
    let q = db
        .query()
        .table_name("Colors")
        .index_name("by_color")
        .key_condition_expression("color = :c")
        .expression_attribute_values(":c", s("c9"))
        .send()
        .await
        .unwrap();
    assert_eq!(q.items().len(), 1);
    assert_eq!(q.items()[0]["n"], n("-1"));
    let q = db
        .query()
        .table_name("Colors")
        .index_name("by_color")
        .key_condition_expression("color = :c")
        .expression_attribute_values(":c", s("c0"))
        .send()
        .await
        .unwrap();
    assert_eq!(q.count(), 99, "k0 moved to c9");
    assert_eq!(scan_all(&db, "Colors").await.len(), 300);
}

#[tokio::test]
async fn gsi_key_of_the_wrong_type_is_an_item_error() {
    let server = TestServer::start().await;
    let db = server.dynamodb().await;
    bucket(&server, "src-bucket").await;
    put(
        &server,
        "src-bucket",
        "a.json",
        "{\"Item\":{\"pk\":{\"S\":\"a\"},\"g\":{\"N\":\"1\"}}}\n",
    )
    .await;
    put(
        &server,
        "src-bucket",
        "b.json",
        "{\"Item\":{\"pk\":{\"S\":\"b\"},\"g\":{\"S\":\"x\"}}}\n",
    )
    .await;
    let table = TableCreationParameters::builder()
        .table_name("GsiTypes")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr_def("pk", ScalarAttributeType::S))
        .attribute_definitions(attr_def("g", ScalarAttributeType::S))
        .key_schema(key_element("pk", KeyType::Hash))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("by_g")
                .key_schema(key_element("g", KeyType::Hash))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::KeysOnly)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let done = wait(
        &db,
        start(
            &db,
            source("src-bucket", ""),
            InputFormat::DynamodbJson,
            None,
            None,
            table,
        )
        .await
        .import_arn()
        .unwrap(),
    )
    .await;
    assert_eq!(done.import_status(), Some(&ImportStatus::Failed));
    assert_eq!(
        (
            done.processed_item_count(),
            done.imported_item_count(),
            done.error_count()
        ),
        (2, 1, 1)
    );
    let logs = log_messages(&server, &done).await;
    assert_eq!(
        logs,
        vec![item_error(
            "src-bucket",
            "a.json",
            0,
            done.import_arn().unwrap(),
            "One or more parameter values were invalid: Type mismatch for Index Key g Expected: S Actual: N IndexName: by_g"
        )]
    );
}

#[tokio::test]
async fn an_invalid_item_is_skipped_and_the_rest_of_its_object_imports() {
    let server = TestServer::start().await;
    let db = server.dynamodb().await;
    bucket(&server, "mid-bucket").await;
    // Row 2 (0-based over items) has no pk; the rows after it must still import.
    let data = "pk,title\nk0,zero\nk1,one\n,two\nk3,three\nk4,four\n";
    put(&server, "mid-bucket", "rows.csv", data).await;
    let started = start(
        &db,
        source("mid-bucket", "rows.csv"),
        InputFormat::Csv,
        None,
        None,
        params("mid-table", ("pk", ScalarAttributeType::S), None),
    )
    .await;
    let done = wait(&db, started.import_arn().unwrap()).await;
    assert_eq!(done.import_status(), Some(&ImportStatus::Failed));
    assert_eq!(done.failure_code(), Some("ItemValidationError"));
    assert_eq!(
        done.failure_message(),
        Some(
            "Some of the items failed validation checks and were not imported. Please check CloudWatch error logs for more details."
        )
    );
    assert_eq!(
        (
            done.processed_item_count(),
            done.imported_item_count(),
            done.error_count()
        ),
        (5, 4, 1)
    );
    assert_eq!(
        log_messages(&server, &done).await,
        vec![item_error(
            "mid-bucket",
            "rows.csv",
            2,
            done.import_arn().unwrap(),
            "One or more parameter values were invalid: Missing the key pk in the item"
        )]
    );
    let mut keys: Vec<String> = scan_all(&db, "mid-table")
        .await
        .into_iter()
        .map(|i| i["pk"].as_s().unwrap().clone())
        .collect();
    keys.sort();
    assert_eq!(keys, ["k0", "k1", "k3", "k4"]);
}

#[tokio::test]
async fn an_unreadable_line_abandons_its_object_and_says_how_many_lines_were_skipped() {
    let server = TestServer::start().await;
    let db = server.dynamodb().await;
    bucket(&server, "cut-bucket").await;
    // 5 good lines, one that is not JSON, then 9,995 lines (and blank ones,
    // which are not records) that can no longer be trusted.
    let mut data = ferry_formats::generator::json_lines(0..5);
    data.extend_from_slice(b"{\"Item\": oops\n\n");
    data.extend(ferry_formats::generator::json_lines(5..10_000));
    put(&server, "cut-bucket", "cut.json", data).await;
    let table = params(
        "cut-table",
        ("pk", ScalarAttributeType::S),
        Some(("sk", ScalarAttributeType::S)),
    );
    let done = wait(
        &db,
        start(
            &db,
            source("cut-bucket", "cut.json"),
            InputFormat::DynamodbJson,
            None,
            None,
            table,
        )
        .await
        .import_arn()
        .unwrap(),
    )
    .await;
    assert_eq!(done.import_status(), Some(&ImportStatus::Failed));
    assert_eq!(
        (
            done.processed_item_count(),
            done.imported_item_count(),
            done.error_count()
        ),
        (6, 5, 1)
    );
    let logs = log_messages(&server, &done).await;
    assert_eq!(logs.len(), 1, "{logs:?}");
    let event: serde_json::Value = serde_json::from_str(&logs[0]).unwrap();
    assert_eq!(
        event["itemS3Pointer"],
        serde_json::json!({"bucket": "cut-bucket", "key": "cut.json", "itemIndex": 5})
    );
    let message = event["errorMessages"][0].as_str().unwrap();
    assert!(
        message.starts_with("Invalid JSON: ")
            && message
                .ends_with(" (the rest of the object was not imported: 9995 more lines skipped)"),
        "{message}"
    );
    assert_eq!(scan_all(&db, "cut-table").await.len(), 5);
}

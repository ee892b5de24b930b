//! ImportTable / DescribeImport / ListImports through the AWS SDKs: every
//! format and compression, the CSV options, the user guide's own examples,
//! errors with their codes, messages, counters and log events, ClientToken
//! idempotency, ListImports paging, GSIs, and a restart mid-import.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeValue, BillingMode, CsvOptions, GlobalSecondaryIndex, ImportStatus,
    ImportTableDescription, InputCompressionType, InputFormat, InputFormatOptions, KeyType,
    Projection, ProjectionType, S3BucketSource, ScalarAttributeType, TableCreationParameters,
    TableStatus,
};

use crate::common::*;

// ------------------------------------------------------------------ helpers

pub async fn bucket(server: &TestServer, name: &str) {
    server
        .s3()
        .await
        .create_bucket()
        .bucket(name)
        .send()
        .await
        .unwrap();
}

pub async fn put(server: &TestServer, bucket: &str, key: &str, data: impl Into<Vec<u8>>) {
    server
        .s3()
        .await
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(data.into().into())
        .send()
        .await
        .unwrap_or_else(|e| panic!("put {bucket}/{key}: {e:?}"));
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub fn zstd(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 3).unwrap()
}

/// Table parameters: hash key `hash` (and `range`), on demand.
pub fn params(
    table: &str,
    hash: (&str, ScalarAttributeType),
    range: Option<(&str, ScalarAttributeType)>,
) -> TableCreationParameters {
    let mut b = TableCreationParameters::builder()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr_def(hash.0, hash.1))
        .key_schema(key_element(hash.0, KeyType::Hash));
    if let Some((r, ty)) = range {
        b = b
            .attribute_definitions(attr_def(r, ty))
            .key_schema(key_element(r, KeyType::Range));
    }
    b.build().unwrap()
}

pub fn source(bucket: &str, prefix: &str) -> S3BucketSource {
    S3BucketSource::builder()
        .s3_bucket(bucket)
        .s3_key_prefix(prefix)
        .build()
        .unwrap()
}

/// Start an import and return its description.
pub async fn start(
    db: &aws_sdk_dynamodb::Client,
    src: S3BucketSource,
    format: InputFormat,
    compression: Option<InputCompressionType>,
    options: Option<InputFormatOptions>,
    table: TableCreationParameters,
) -> ImportTableDescription {
    db.import_table()
        .s3_bucket_source(src)
        .input_format(format)
        .set_input_compression_type(compression)
        .set_input_format_options(options)
        .table_creation_parameters(table)
        .send()
        .await
        .unwrap_or_else(|e| panic!("import_table: {e:?}"))
        .import_table_description
        .unwrap()
}

/// Poll DescribeImport until the import ends.
pub async fn wait(db: &aws_sdk_dynamodb::Client, arn: &str) -> ImportTableDescription {
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let d = db
            .describe_import()
            .import_arn(arn)
            .send()
            .await
            .unwrap()
            .import_table_description
            .unwrap();
        if !matches!(d.import_status(), Some(ImportStatus::InProgress)) {
            return d;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "import {arn} did not finish"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub async fn scan_all(
    db: &aws_sdk_dynamodb::Client,
    table: &str,
) -> Vec<HashMap<String, AttributeValue>> {
    let mut out = Vec::new();
    let mut start = None;
    loop {
        let r = db
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        out.extend(r.items.unwrap_or_default());
        start = r.last_evaluated_key;
        if start.is_none() {
            return out;
        }
    }
}

/// The import id (last ARN element).
pub fn import_id(d: &ImportTableDescription) -> String {
    d.import_arn()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string()
}

/// The messages of the import's error log stream (raw Logs API call).
pub async fn log_messages(server: &TestServer, d: &ImportTableDescription) -> Vec<String> {
    let body = serde_json::json!({
        "logGroupName": "/aws-dynamodb/imports",
        "logStreamName": format!("{}/error", import_id(d)),
        "startFromHead": true
    });
    let r = server
        .raw("Logs_20140328.GetLogEvents", &body.to_string())
        .await;
    if r.status != 200 {
        return Vec::new();
    }
    r.json()["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_string())
        .collect()
}

fn counters(d: &ImportTableDescription) -> (i64, i64, i64, Option<i64>) {
    (
        d.processed_item_count(),
        d.imported_item_count(),
        d.error_count(),
        d.processed_size_bytes(),
    )
}

fn item_error(bucket: &str, key: &str, index: u64, arn: &str, message: &str) -> String {
    // AWS's member order (serde_json's `json!` would sort the keys).
    format!(
        "{{\"itemS3Pointer\":{{\"bucket\":{},\"key\":{},\"itemIndex\":{index}}},\"importArn\":{},\"errorMessages\":[{}]}}",
        serde_json::Value::from(bucket),
        serde_json::Value::from(key),
        serde_json::Value::from(arn),
        serde_json::Value::from(message)
    )
}

const SPEC_JSON: &str = r#"{"Item": {"Authors": {"SS": ["Author1", "Author2"]}, "Dimensions": {"S": "8.5 x 11.0 x 1.5"}, "ISBN": {"S": "333-3333333333"}, "Id": {"N": "103"}, "InPublication": {"BOOL": false}, "PageCount": {"N": "600"}, "Price": {"N": "2000"}, "ProductCategory": {"S": "Book"}, "Title": {"S": "Book 103 Title"}}}
{"Item": {"Authors": {"SS": ["Author1", "Author2"]}, "Dimensions": {"S": "8.5 x 11.0 x 1.5"}, "ISBN": {"S": "444-444444444"}, "Id": {"N": "104"}, "InPublication": {"BOOL": false}, "PageCount": {"N": "600"}, "Price": {"N": "2000"}, "ProductCategory": {"S": "Book"}, "Title": {"S": "Book 104 Title"}}}
{"Item": {"Authors": {"SS": ["Author1", "Author2"]}, "Dimensions": {"S": "8.5 x 11.0 x 1.5"}, "ISBN": {"S": "555-5555555555"}, "Id": {"N": "105"}, "InPublication": {"BOOL": false}, "PageCount": {"N": "600"}, "Price": {"N": "2000"}, "ProductCategory": {"S": "Book"}, "Title": {"S": "Book 105 Title"}}}
"#;

const SPEC_ION: &str = r#"$ion_1_0
[
  {
    Item:{
      Authors:$dynamodb_SS::["Author1","Author2"],
      Dimensions:"8.5 x 11.0 x 1.5",
      ISBN:"333-3333333333",
      Id:103.,
      InPublication:false,
      PageCount:6d2,
      Price:2d3,
      ProductCategory:"Book",
      Title:"Book 103 Title"
    }
  },
  {
    Item:{
      Authors:$dynamodb_SS::["Author1","Author2"],
      Dimensions:"8.5 x 11.0 x 1.5",
      ISBN:"444-4444444444",
      Id:104.,
      InPublication:false,
      PageCount:6d2,
      Price:2d3,
      ProductCategory:"Book",
      Title:"Book 104 Title"
    }
  },
  {
    Item:{
      Authors:$dynamodb_SS::["Author1","Author2"],
      Dimensions:"8.5 x 11.0 x 1.5",
      ISBN:"555-5555555555",
      Id:105.,
      InPublication:false,
      PageCount:6d2,
      Price:2d3,
      ProductCategory:"Book",
      Title:"Book 105 Title"
    }
  }
]
"#;

/// The three books of the user guide's examples, as the table must hold them.
async fn assert_books(db: &aws_sdk_dynamodb::Client, table: &str) {
    let mut items = scan_all(db, table).await;
    items.sort_by_key(|i| i["Id"].as_n().unwrap().clone());
    assert_eq!(items.len(), 3);
    for (item, id) in items.iter().zip(["103", "104", "105"]) {
        assert_eq!(item["Id"], n(id));
        let mut authors = item["Authors"].as_ss().unwrap().clone();
        authors.sort();
        assert_eq!(authors, vec!["Author1", "Author2"]);
        assert_eq!(item["Dimensions"], s("8.5 x 11.0 x 1.5"));
        assert_eq!(item["InPublication"], AttributeValue::Bool(false));
        assert_eq!(item["PageCount"], n("600"));
        assert_eq!(item["Price"], n("2000"));
        assert_eq!(item["ProductCategory"], s("Book"));
        assert_eq!(item["Title"], s(&format!("Book {id} Title")));
        assert_eq!(item.len(), 9);
    }
}

fn books(table: &str) -> TableCreationParameters {
    params(table, ("Id", ScalarAttributeType::N), None)
}

// --------------------------------------------------------------- the formats

#[tokio::test]
async fn spec_dynamodb_json_example_imports_every_compression() {
    let server = TestServer::start().await;
    let db = server.dynamodb().await;
    bucket(&server, "books").await;
    put(&server, "books", "plain/books.json", SPEC_JSON).await;
    put(
        &server,
        "books",
        "gzip/books.json.gz",
        gzip(SPEC_JSON.as_bytes()),
    )
    .await;
    put(
        &server,
        "books",
        "zstd/books.zst",
        zstd(SPEC_JSON.as_bytes()),
    )
    .await;
    let cases = [
        ("plain/", None, "BooksPlain"),
        ("gzip/", Some(InputCompressionType::Gzip), "BooksGzip"),
        ("zstd/", Some(InputCompressionType::Zstd), "BooksZstd"),
    ];
    for (prefix, compression, table) in cases {
        let started = start(
            &db,
            source("books", prefix),
            InputFormat::DynamodbJson,
            compression.clone(),
            None,
            books(table),
        )
        .await;
        assert_eq!(started.import_status(), Some(&ImportStatus::InProgress));
        assert_eq!(started.processed_item_count(), 0);
        assert_eq!(started.end_time(), None);
        assert!(
            started.client_token().is_some_and(|t| !t.is_empty()),
            "the SDK sends a ClientToken"
        );
        assert_eq!(
            started.cloud_watch_log_group_arn(),
            Some("arn:aws:logs:us-east-1:000000000000:log-group:/aws-dynamodb/imports:*")
        );
        let arn = started.import_arn().unwrap();
        let table_arn = format!("arn:aws:dynamodb:us-east-1:000000000000:table/{table}");
        assert_eq!(started.table_arn(), Some(table_arn.as_str()));
        assert!(arn.starts_with(&format!("{table_arn}/import/")), "{arn}");
        let id = import_id(&started);
        assert_eq!(id.len(), 23);
        let done = wait(&db, arn).await;
        assert_eq!(
            done.import_status(),
            Some(&ImportStatus::Completed),
            "{done:?}"
        );
        assert_eq!(
            counters(&done),
            (3, 3, 0, Some(SPEC_JSON.len() as i64)),
            "{prefix}"
        );
        assert_eq!(done.failure_code(), None);
        assert!(done.end_time().unwrap().secs() >= done.start_time().unwrap().secs());
        assert_eq!(
            done.input_compression_type(),
            Some(&compression.clone().unwrap_or(InputCompressionType::None))
        );
        assert_eq!(done.table_id(), started.table_id());
        let described = db
            .describe_table()
            .table_name(table)
            .send()
            .await
            .unwrap()
            .table
            .unwrap();
        assert_eq!(described.table_status(), Some(&TableStatus::Active));
        assert_eq!(described.table_id(), started.table_id());
        assert_books(&db, table).await;
    }
}

#[tokio::test]
async fn spec_ion_example_and_ion_lines_import() {
    let server = TestServer::start().await;
    let db = server.dynamodb().await;
    bucket(&server, "ion").await;
    put(&server, "ion", "list/books.ion", SPEC_ION).await;
    let done = wait(
        &db,
        start(
            &db,
            source("ion", "list/"),
            InputFormat::Ion,
            None,
            None,
            books("IonList"),
        )
        .await
        .import_arn()
        .unwrap(),
    )
    .await;
    assert_eq!(
        done.import_status(),
        Some(&ImportStatus::Completed),
        "{done:?}"
    );
    assert_eq!(counters(&done), (3, 3, 0, Some(SPEC_ION.len() as i64)));
    assert_books(&db, "IonList").await;

    let lines = "$ion_1_0 {Item:{Id:1.,B:{{aGVsbG8=}},L:[1,\"x\",true,null],M:{a:{b:2.5}},NS:$dynamodb_NS::[1,2]}}\n$ion_1_0 {Item:{Id:2.}}\n";
    put(&server, "ion", "lines/a.ion.gz", gzip(lines.as_bytes())).await;
    let started = start(
        &db,
        source("ion", "lines/"),
        InputFormat::Ion,
        Some(InputCompressionType::Gzip),
        None,
        books("IonLines"),
    )
    .await;
    let done = wait(&db, started.import_arn().unwrap()).await;
    assert_eq!(
        done.import_status(),
        Some(&ImportStatus::Completed),
        "{done:?}"
    );
    let got = db
        .get_item()
        .table_name("IonLines")
        .key("Id", n("1"))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(
        got["B"],
        AttributeValue::B(aws_smithy_types::Blob::new(b"hello".to_vec()))
    );
    assert_eq!(
        got["L"],
        AttributeValue::L(vec![
            n("1"),
            s("x"),
            AttributeValue::Bool(true),
            AttributeValue::Null(true)
        ])
    );
    assert_eq!(
        got["M"],
        AttributeValue::M(HashMap::from([(
            "a".to_string(),
            AttributeValue::M(HashMap::from([("b".to_string(), n("2.5"))]))
        )]))
    );
    let mut ns = got["NS"].as_ns().unwrap().clone();
    ns.sort();
    assert_eq!(ns, vec!["1", "2"]);
}

#[tokio::test]
async fn spec_csv_escaped_quotes_example() {
    let server = TestServer::start().await;
    let db = server.dynamodb().await;
    bucket(&server, "csv").await;
    put(
        &server,
        "csv",
        "good.csv",
        "id,value\n\"\"\"123\"\"\",\"Women's Full \"\"Length\"\" Dress\"\n",
    )
    .await;
    put(
        &server,
        "csv",
        "bad.csv",
        "id,value\n\"123\",Women's Full \"Length\" Dress\n",
    )
    .await;
    let table = params("Dresses", ("id", ScalarAttributeType::S), None);
    let done = wait(
        &db,
        start(
            &db,
            source("csv", "good.csv"),
            InputFormat::Csv,
            None,
            None,
            table,
        )
        .await
        .import_arn()
        .unwrap(),
    )
    .await;
    assert_eq!(
        done.import_status(),
        Some(&ImportStatus::Completed),
        "{done:?}"
    );
    let items = scan_all(&db, "Dresses").await;
    assert_eq!(
        items,
        vec![item(&[
            ("id", s("\"123\"")),
            ("value", s("Women's Full \"Length\" Dress"))
        ])]
    );

    let table = params("DressesBad", ("id", ScalarAttributeType::S), None);
    let started = start(
        &db,
        source("csv", "bad.csv"),
        InputFormat::Csv,
        None,
        None,
        table,
    )
    .await;
    let done = wait(&db, started.import_arn().unwrap()).await;
    assert_eq!(done.import_status(), Some(&ImportStatus::Failed));
    assert_eq!(done.failure_code(), Some("ItemValidationError"));
    assert_eq!(counters(&done), (1, 0, 1, Some(43)));
    assert!(scan_all(&db, "DressesBad").await.is_empty());
    let logs = log_messages(&server, &done).await;
    assert_eq!(logs.len(), 1);
    let event: serde_json::Value = serde_json::from_str(&logs[0]).unwrap();
    assert_eq!(
        event["itemS3Pointer"],
        serde_json::json!({"bucket": "csv", "key": "bad.csv", "itemIndex": 0})
    );
}

const HETEROGENEOUS: &str = "PK,SK,EntityType,Name,Email,OrderDate,Amount,ProductName,Quantity
USER#1,PROFILE,User,Alice,alice@example.com,,,,
USER#1,ORDER#2024-01-15,Order,,,2024-01-15,99.99,,
USER#1,ORDER#2024-02-10,Order,,,2024-02-10,149.50,,
PRODUCT#101,METADATA,Product,,,,,Laptop,50
PRODUCT#102,METADATA,Product,,,,,Mouse,200
USER#2,PROFILE,User,Bob,bob@example.com,,,,
USER#2,ORDER#2024-01-20,Order,,,2024-01-20,75.00,,
PRODUCT#103,METADATA,Product,,,,,Keyboard,150
USER#3,PROFILE,User,Charlie,charlie@example.com,,,,
PRODUCT#104,METADATA,Product,,,,,Monitor,30
";

#[tokio::test]
async fn spec_csv_heterogeneous_items_example() {
    let server = TestServer::start().await;
    let db = server.dynamodb().await;
    bucket(&server, "csv").await;
    put(&server, "csv", "hetero/entities.csv", HETEROGENEOUS).await;
    let table = params(
        "Entities",
        ("PK", ScalarAttributeType::S),
        Some(("SK", ScalarAttributeType::S)),
    );
    let done = wait(
        &db,
        start(
            &db,
            source("csv", "hetero/"),
            InputFormat::Csv,
            None,
            None,
            table,
        )
        .await
        .import_arn()
        .unwrap(),
    )
    .await;
    assert_eq!(
        done.import_status(),
        Some(&ImportStatus::Completed),
        "{done:?}"
    );
    assert_eq!(
        counters(&done),
        (10, 10, 0, Some(HETEROGENEOUS.len() as i64))
    );
    let order = db
        .get_item()
        .table_name("Entities")
        .key("PK", s("USER#1"))
        .key("SK", s("ORDER#2024-02-10"))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(
        order,
        item(&[
            ("PK", s("USER#1")),
            ("SK", s("ORDER#2024-02-10")),
            ("EntityType", s("Order")),
            ("OrderDate", s("2024-02-10")),
            // Not a key column: a string, as written.
            ("Amount", s("149.50")),
        ])
    );
    let product = db
        .get_item()
        .table_name("Entities")
        .key("PK", s("PRODUCT#104"))
        .key("SK", s("METADATA"))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(product.len(), 5);
    assert_eq!(product["Quantity"], s("30"));
}

#[tokio::test]
async fn csv_header_list_and_every_delimiter() {
    let server = TestServer::start().await;
    let db = server.dynamodb().await;
    bucket(&server, "bucket").await;
    for (i, delimiter) in [",", ";", ":", "|", "\t", " "].iter().enumerate() {
        let d = delimiter;
        let data = format!("a1{d}TheDarkSide{d}PinkFloyd{d}1973\na2{d}\"x{d}y\"{d}Artist{d}\n");
        let prefix = format!("music{i}/");
        put(
            &server,
            "bucket",
            &format!("{prefix}data.csv"),
            data.clone(),
        )
        .await;
        let options = InputFormatOptions::builder()
            .csv(
                CsvOptions::builder()
                    .delimiter(*delimiter)
                    .header_list("hk")
                    .header_list("title")
                    .header_list("artist")
                    .header_list("year_of_release")
                    .build(),
            )
            .build();
        let table = format!("Music{i}");
        let started = start(
            &db,
            source("bucket", &prefix),
            InputFormat::Csv,
            None,
            Some(options.clone()),
            params(&table, ("hk", ScalarAttributeType::S), None),
        )
        .await;
        assert_eq!(started.input_format_options(), Some(&options));
        let done = wait(&db, started.import_arn().unwrap()).await;
        assert_eq!(
            done.import_status(),
            Some(&ImportStatus::Completed),
            "delimiter {delimiter:?}: {done:?}"
        );
        assert_eq!(counters(&done), (2, 2, 0, Some(data.len() as i64)));
        let a1 = db
            .get_item()
            .table_name(&table)
            .key("hk", s("a1"))
            .send()
            .await
            .unwrap()
            .item
            .unwrap();
        assert_eq!(a1["year_of_release"], s("1973"));
        assert_eq!(a1["title"], s("TheDarkSide"));
        let a2 = db
            .get_item()
            .table_name(&table)
            .key("hk", s("a2"))
            .send()
            .await
            .unwrap()
            .item
            .unwrap();
        assert_eq!(a2.get("year_of_release"), None);
        assert_eq!(a2["title"], s(&format!("x{delimiter}y")));
    }
}

#[tokio::test]
async fn csv_number_keys_typed_by_attribute_definitions_and_bad_rows() {
    let server = TestServer::start().await;
    let db = server.dynamodb().await;
    bucket(&server, "src-bucket").await;
    put(
        &server,
        "src-bucket",
        "rows/a.csv",
        "id,v\n1,one\n2,two,extra\n3,three\n",
    )
    .await;
    put(
        &server,
        "src-bucket",
        "rows/b.csv",
        "id,v\nnot-a-number,x\n",
    )
    .await;
    put(&server, "src-bucket", "rows/c.csv", "id,v\n10,ten\n").await;
    let started = start(
        &db,
        source("src-bucket", "rows/"),
        InputFormat::Csv,
        None,
        None,
        params("Rows", ("id", ScalarAttributeType::N), None),
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
    // a.csv: row 0 imported, row 1 bad (the rest of the object is abandoned,
    // as DynamoDB does); b.csv: row 0 bad; c.csv: imported.
    assert_eq!(counters(&done).0, 4);
    assert_eq!(done.imported_item_count(), 2);
    assert_eq!(done.error_count(), 2);
    let mut ids: Vec<String> = scan_all(&db, "Rows")
        .await
        .iter()
        .map(|i| i["id"].as_n().unwrap().clone())
        .collect();
    ids.sort();
    assert_eq!(ids, vec!["1", "10"]);
    let mut logs: Vec<serde_json::Value> = log_messages(&server, &done)
        .await
        .iter()
        .map(|m| serde_json::from_str(m).unwrap())
        .collect();
    logs.sort_by_key(|l| l["itemS3Pointer"]["key"].as_str().unwrap().to_string());
    assert_eq!(logs.len(), 2);
    assert_eq!(
        logs[0]["itemS3Pointer"],
        serde_json::json!({"bucket": "src-bucket", "key": "rows/a.csv", "itemIndex": 1})
    );
    assert_eq!(
        logs[0]["errorMessages"][0].as_str().unwrap(),
        ferry_formats::errors::msg::csv_column_count(3, 2)
    );
    assert_eq!(
        logs[1]["itemS3Pointer"],
        serde_json::json!({"bucket": "src-bucket", "key": "rows/b.csv", "itemIndex": 0})
    );
    assert_eq!(logs[1]["importArn"].as_str(), done.import_arn());
}

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
async fn import_of_an_export_data_folder() {
    let server = TestServer::start().await;
    let db = server.dynamodb().await;
    bucket(&server, "exports").await;
    let base = "backups/AWSDynamoDB/01693685827463-2d8752fd";
    put(&server, "exports", &format!("{base}/_started"), "").await;
    put(
        &server,
        "exports",
        &format!("{base}/manifest-summary.json"),
        "{\"version\":\"2020-06-30\"}",
    )
    .await;
    put(
        &server,
        "exports",
        &format!("{base}/manifest-files.json"),
        "{\"itemCount\":3}\n",
    )
    .await;
    let mut lines = Vec::new();
    for i in 0..3000u64 {
        ferry_formats::ddb_json::write_item_line(&ferry_formats::generator::item(i), &mut lines);
    }
    let third = lines.len() / 3;
    let cut1 = third + lines[third..].iter().position(|b| *b == b'\n').unwrap() + 1;
    put(
        &server,
        "exports",
        &format!("{base}/data/sgad6417s6vss4p7owp0471bcq.json.gz"),
        gzip(&lines[..cut1]),
    )
    .await;
    put(
        &server,
        "exports",
        &format!("{base}/data/a5nhonhykq4mbmzvqpl2ikeeei.json.gz"),
        gzip(&lines[cut1..]),
    )
    .await;
    let table = params(
        "Restored",
        ("pk", ScalarAttributeType::S),
        Some(("sk", ScalarAttributeType::S)),
    );
    let done = wait(
        &db,
        start(
            &db,
            source("exports", &format!("{base}/data/")),
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
    assert_eq!(
        done.import_status(),
        Some(&ImportStatus::Completed),
        "{done:?}"
    );
    assert_eq!(counters(&done), (3000, 3000, 0, Some(lines.len() as i64)));
    let got = db
        .get_item()
        .table_name("Restored")
        .key("pk", s(&format!("customer#{:016x}", mix(7))))
        .key("sk", s("order#0000000007"))
        .send()
        .await
        .unwrap();
    assert!(got.item.is_some());
}

/// ferry_formats::gen's key mixing (SplitMix64), to name generated items.
fn mix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

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
    let other = params(
        "Tokens2",
        ("pk", ScalarAttributeType::S),
        Some(("sk", ScalarAttributeType::S)),
    );
    let (code, message) = failure(send(other).await);
    assert_eq!(code, "ImportConflictException");
    assert_eq!(
        message,
        "Duplicate request detected with conflicting parameters"
    );
    wait(&db, first.import_arn().unwrap()).await;
    // Finished: its table exists, which is checked first.
    let (code, message) = failure(send(table).await);
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("ResourceInUseException", "Table already exists: Tokens")
    );
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
    assert!(token.len() >= 112 && token.len().is_multiple_of(16), "{token}");
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

// ---------------------------------------------------------------- restarts

#[tokio::test]
async fn a_restart_mid_import_resumes_it_and_loses_nothing() {
    let server = TestServer::start().await;
    let db = server.dynamodb().await;
    bucket(&server, "src-bucket").await;
    for part in 0..4u64 {
        let data = ferry_formats::generator::json_lines(part * 50_000..(part + 1) * 50_000);
        put(
            &server,
            "src-bucket",
            &format!("big/part-{part}.json.gz"),
            gzip(&data),
        )
        .await;
    }
    let table = params(
        "Resumed",
        ("pk", ScalarAttributeType::S),
        Some(("sk", ScalarAttributeType::S)),
    );
    let started = start(
        &db,
        source("src-bucket", "big/"),
        InputFormat::DynamodbJson,
        Some(InputCompressionType::Gzip),
        None,
        table,
    )
    .await;
    let arn = started.import_arn().unwrap().to_string();
    // Stop at once: the import is cut short and stays IN_PROGRESS.
    let dir = server.stop().await;
    let server = TestServer::start_in(dir, |_| {}).await;
    let db = server.dynamodb().await;
    let done = wait(&db, &arn).await;
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
        (200_000, 200_000, 0)
    );
    assert_eq!(done.table_id(), started.table_id());
    let count = db
        .scan()
        .table_name("Resumed")
        .select(aws_sdk_dynamodb::types::Select::Count)
        .send()
        .await
        .unwrap();
    let mut total = count.count();
    let mut start_key = count.last_evaluated_key;
    while let Some(k) = start_key {
        let r = db
            .scan()
            .table_name("Resumed")
            .select(aws_sdk_dynamodb::types::Select::Count)
            .set_exclusive_start_key(Some(k))
            .send()
            .await
            .unwrap();
        total += r.count();
        start_key = r.last_evaluated_key;
    }
    assert_eq!(total, 200_000);
}

// ------------------------------------------------------- an external S3

/// `moto_server` on a free port (killed on drop).
struct Moto {
    child: std::process::Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts moto_server, or `None` with a notice when it is not installed and
/// `CI` is unset (in CI it must run).
fn start_moto() -> Option<Moto> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let spawned = std::process::Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    let child = match spawned {
        Ok(c) => c,
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!(
                "NOTICE: moto_server not runnable ({e}); skipping the external-S3 import test"
            );
            return None;
        }
        Err(e) => panic!("moto_server is required in CI: {e}"),
    };
    let moto = Moto {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "moto_server did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(moto)
}

#[tokio::test]
async fn import_from_an_external_s3_endpoint() {
    let Some(moto) = start_moto() else { return };
    let creds = aws_credential_types::Credentials::new("testing", "testing", None, None, "moto");
    let conf = aws_sdk_s3::config::Builder::new()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .endpoint_url(&moto.endpoint)
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .credentials_provider(creds)
        .force_path_style(true)
        .build();
    let s3 = aws_sdk_s3::Client::from_conf(conf);
    s3.create_bucket()
        .bucket("moto-source")
        .send()
        .await
        .unwrap();
    for (key, data) in [
        ("in/a.json.gz", gzip(SPEC_JSON.as_bytes())),
        (
            "in/b.json.gz",
            gzip(&ferry_formats::generator::json_lines(0..500)),
        ),
    ] {
        s3.put_object()
            .bucket("moto-source")
            .key(key)
            .body(data.into())
            .send()
            .await
            .unwrap();
    }
    let endpoint = moto.endpoint.clone();
    let server = TestServer::start_with(move |c| {
        c.external_s3 = Some(ferry_objects::ExternalS3Config {
            endpoint: Some(endpoint),
            region: Some("us-east-1".into()),
            access_key: Some("testing".into()),
            secret_key: Some("testing".into()),
            session_token: None,
            virtual_hosted: false,
        });
    })
    .await;
    let db = server.dynamodb().await;
    let table = params(
        "FromMoto",
        ("pk", ScalarAttributeType::S),
        Some(("sk", ScalarAttributeType::S)),
    );
    // The three books have no pk: the spec file is the bad one here.
    let started = start(
        &db,
        source("moto-source", "in/b"),
        InputFormat::DynamodbJson,
        Some(InputCompressionType::Gzip),
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
        (500, 500, 0)
    );
    assert_eq!(scan_all(&db, "FromMoto").await.len(), 500);
    let started = start(
        &db,
        source("moto-source", "in/a"),
        InputFormat::DynamodbJson,
        Some(InputCompressionType::Gzip),
        None,
        books("MotoBooks"),
    )
    .await;
    let done = wait(&db, started.import_arn().unwrap()).await;
    assert_eq!(
        done.import_status(),
        Some(&ImportStatus::Completed),
        "{done:?}"
    );
    assert_books(&db, "MotoBooks").await;
    let started = start(
        &db,
        source("moto-missing", "x"),
        InputFormat::DynamodbJson,
        None,
        None,
        books("MotoMissing"),
    )
    .await;
    let done = wait(&db, started.import_arn().unwrap()).await;
    assert_eq!(done.failure_code(), Some("S3NoSuchBucket"), "{done:?}");
}

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
    // The running import is listed, and its table is CREATING.
    let listed = db.list_imports().send().await.unwrap();
    assert_eq!(listed.import_summary_list()[0].import_arn(), Some(arn));
    let mut seen_progress = false;
    let mut last = 0;
    loop {
        let d = db
            .describe_import()
            .import_arn(arn)
            .send()
            .await
            .unwrap()
            .import_table_description
            .unwrap();
        assert!(d.processed_item_count() >= last, "counters never go back");
        last = d.processed_item_count();
        if d.import_status() != Some(&ImportStatus::InProgress) {
            assert_eq!(d.import_status(), Some(&ImportStatus::Completed));
            assert_eq!(d.imported_item_count(), 120_000);
            break;
        }
        if d.processed_item_count() > 0 {
            seen_progress = true;
            assert!(d.processed_size_bytes().unwrap() > 0);
            assert_eq!(d.end_time(), None);
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
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        seen_progress,
        "DescribeImport showed progress while running"
    );
}

#[tokio::test]
async fn every_format_with_every_compression() {
    let server = TestServer::start().await;
    let db = server.dynamodb().await;
    bucket(&server, "src-bucket").await;
    let formats = [
        (
            InputFormat::DynamodbJson,
            "json",
            ferry_formats::generator::json_lines(0..300),
        ),
        (
            InputFormat::Csv,
            "csv",
            ferry_formats::generator::csv(0..300),
        ),
        (
            InputFormat::Ion,
            "ion",
            ferry_formats::generator::ion_lines(0..300),
        ),
    ];
    let compressions = [
        (InputCompressionType::None, "none"),
        (InputCompressionType::Gzip, "gzip"),
        (InputCompressionType::Zstd, "zstd"),
    ];
    for (format, fname, data) in &formats {
        for (compression, cname) in &compressions {
            let body = match compression {
                InputCompressionType::Gzip => gzip(data),
                InputCompressionType::Zstd => zstd(data),
                _ => data.clone(),
            };
            // The object name carries no extension on purpose: the declared
            // compression wins.
            let prefix = format!("matrix/{fname}-{cname}/");
            put(&server, "src-bucket", &format!("{prefix}object"), body).await;
            let table = format!("Matrix-{fname}-{cname}");
            let started = start(
                &db,
                source("src-bucket", &prefix),
                format.clone(),
                Some(compression.clone()),
                None,
                params(
                    &table,
                    ("pk", ScalarAttributeType::S),
                    Some(("sk", ScalarAttributeType::S)),
                ),
            )
            .await;
            let done = wait(&db, started.import_arn().unwrap()).await;
            assert_eq!(
                done.import_status(),
                Some(&ImportStatus::Completed),
                "{fname}/{cname}: {done:?}"
            );
            assert_eq!(
                (
                    done.processed_item_count(),
                    done.imported_item_count(),
                    done.error_count(),
                    done.processed_size_bytes()
                ),
                (300, 300, 0, Some(data.len() as i64)),
                "{fname}/{cname}"
            );
            let got = db
                .get_item()
                .table_name(&table)
                .key("pk", s(&format!("customer#{:016x}", mix(42))))
                .key("sk", s("order#0000000042"))
                .send()
                .await
                .unwrap()
                .item
                .unwrap_or_else(|| panic!("{fname}/{cname}: item 42 missing"));
            let ferry_model::AttributeValue::S(status) =
                &ferry_formats::generator::item(42)["status"]
            else {
                panic!("generated status is a string")
            };
            assert_eq!(got["status"], s(status), "{fname}/{cname}");
        }
    }
}

/// A `ferry serve` child process on `data_dir` (for kill -9).
async fn spawn_ferry(data_dir: &std::path::Path) -> (tokio::process::Child, String) {
    use tokio::io::AsyncBufReadExt;
    let mut process = tokio::process::Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn ferry");
    let stdout = process.stdout.take().unwrap();
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .expect("ferry prints its address")
        .unwrap()
        .expect("a line on stdout");
    let endpoint = line
        .strip_prefix("ferry listening on ")
        .unwrap_or_else(|| panic!("unexpected line {line:?}"))
        .to_string();
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (process, endpoint)
}

async fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "AKIDFERRYTEST",
            "secret",
            None,
            None,
            "test",
        ))
        .load()
        .await
}

#[tokio::test]
async fn kill_9_mid_import_resumes_on_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, endpoint) = spawn_ferry(dir.path()).await;
    let conf = sdk_config(&endpoint).await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(true)
            .build(),
    );
    let db = aws_sdk_dynamodb::Client::new(&conf);
    s3.create_bucket()
        .bucket("src-bucket")
        .send()
        .await
        .unwrap();
    for part in 0..4u64 {
        let data = gzip(&ferry_formats::generator::json_lines(
            part * 40_000..(part + 1) * 40_000,
        ));
        s3.put_object()
            .bucket("src-bucket")
            .key(format!("k9/part-{part}.gz"))
            .body(data.into())
            .send()
            .await
            .unwrap();
    }
    let table = params(
        "Killed",
        ("pk", ScalarAttributeType::S),
        Some(("sk", ScalarAttributeType::S)),
    );
    let started = start(
        &db,
        source("src-bucket", "k9/"),
        InputFormat::DynamodbJson,
        Some(InputCompressionType::Gzip),
        None,
        table,
    )
    .await;
    let arn = started.import_arn().unwrap().to_string();
    // Kill as soon as some items are in.
    loop {
        let d = db
            .describe_import()
            .import_arn(&arn)
            .send()
            .await
            .unwrap()
            .import_table_description
            .unwrap();
        if d.processed_item_count() > 0 || d.import_status() != Some(&ImportStatus::InProgress) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.start_kill().expect("SIGKILL");
    child.wait().await.unwrap();

    let (_child, endpoint) = spawn_ferry(dir.path()).await;
    let db = aws_sdk_dynamodb::Client::new(&sdk_config(&endpoint).await);
    let done = wait(&db, &arn).await;
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
        (160_000, 160_000, 0)
    );
    let mut total = 0;
    let mut start_key = None;
    loop {
        let r = db
            .scan()
            .table_name("Killed")
            .select(aws_sdk_dynamodb::types::Select::Count)
            .set_exclusive_start_key(start_key)
            .send()
            .await
            .unwrap();
        total += r.count();
        start_key = r.last_evaluated_key;
        if start_key.is_none() {
            break;
        }
    }
    assert_eq!(total, 160_000, "no item lost, none left over");
}

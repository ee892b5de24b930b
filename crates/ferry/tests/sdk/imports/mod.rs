//! ImportTable / DescribeImport / ListImports through the AWS SDKs: every
//! format and compression, the CSV options, the user guide's own examples,
//! errors with their codes, messages, counters and log events, ClientToken
//! idempotency, ListImports paging, GSIs, and a restart mid-import.
//!
//! This file holds the shared helpers and the user guide's example data; the
//! tests are in `formats.rs`, `errors.rs`, `api.rs` and `durability.rs`.

mod api;
mod durability;
mod errors;
mod formats;

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeValue, BillingMode, ImportStatus, ImportTableDescription, InputCompressionType,
    InputFormat, InputFormatOptions, KeyType, S3BucketSource, ScalarAttributeType,
    TableCreationParameters,
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
    wait_until(
        JOB_TIMEOUT,
        &format!("import {arn} to end"),
        || async move {
            let d = describe(db, arn).await;
            (d.import_status() != Some(&ImportStatus::InProgress)).then_some(d)
        },
    )
    .await
}

/// DescribeImport's description of `arn`.
pub async fn describe(db: &aws_sdk_dynamodb::Client, arn: &str) -> ImportTableDescription {
    db.describe_import()
        .import_arn(arn)
        .send()
        .await
        .unwrap()
        .import_table_description
        .unwrap()
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

/// ferry_formats::gen's key mixing (SplitMix64), to name generated items.
fn mix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

//! Tests of the manifests against the AWS guide's examples.

use super::*;

/// The guide's examples are pretty-printed; no value holds a space.
fn compact(text: &str) -> String {
    text.split_whitespace().collect()
}

const FULL_EXAMPLE: &str = r#"{
   "version": "2020-06-30",
   "exportArn": "arn:aws:dynamodb:us-east-1:123456789012:table/ProductCatalog/export/01234567890123-a1b2c3d4",
   "startTime": "2020-11-04T07:28:34.028Z",
   "endTime": "2020-11-04T07:33:43.897Z",
   "tableArn": "arn:aws:dynamodb:us-east-1:123456789012:table/ProductCatalog",
   "tableId": "12345a12-abcd-123a-ab12-1234abc12345",
   "exportTime": "2020-11-04T07:28:34.028Z",
   "s3Bucket": "ddb-productcatalog-export",
   "s3Prefix": "2020-Nov",
   "s3SseAlgorithm": "AES256",
   "s3SseKmsKeyId": null,
   "manifestFilesS3Key": "AWSDynamoDB/01693685827463-2d8752fd/manifest-files.json",
   "billedSizeBytes": 0,
   "itemCount": 8,
   "outputFormat": "DYNAMODB_JSON",
   "exportType": "FULL_EXPORT"
}"#;

const INCREMENTAL_EXAMPLE: &str = r#"{
 "version": "2023-08-01",
 "exportArn": "arn:aws:dynamodb:us-east-1:599882009758:table/export-test/export/01695097218000-d6299cbd",
 "startTime": "2023-09-19T04:20:18.000Z",
 "endTime": "2023-09-19T04:40:24.780Z",
 "tableArn": "arn:aws:dynamodb:us-east-1:599882009758:table/export-test",
 "tableId": "b116b490-6460-4d4a-9a6b-5d360abf4fb3",
 "exportFromTime": "2023-09-18T17:00:00.000Z",
 "exportToTime": "2023-09-19T04:00:00.000Z",
 "s3Bucket": "jason-exports",
 "s3Prefix": "20230919-prefix",
 "s3SseAlgorithm": "AES256",
 "s3SseKmsKeyId": null,
 "manifestFilesS3Key": "20230919-prefix/AWSDynamoDB/01693685934212-ac809da5/manifest-files.json",
 "billedSizeBytes": 20901239349,
 "itemCount": 169928274,
 "outputFormat": "DYNAMODB_JSON",
 "outputView": "NEW_AND_OLD_IMAGES",
 "exportType": "INCREMENTAL_EXPORT"
}"#;

fn t(text: &str) -> IsoTime {
    IsoTime::parse(text).unwrap()
}

#[test]
fn full_summary_matches_the_guide_byte_for_byte() {
    let summary = ManifestSummary {
        version: FULL_EXPORT_VERSION.into(),
        export_arn: "arn:aws:dynamodb:us-east-1:123456789012:table/ProductCatalog/export/01234567890123-a1b2c3d4".into(),
        start_time: t("2020-11-04T07:28:34.028Z"),
        end_time: t("2020-11-04T07:33:43.897Z"),
        table_arn: "arn:aws:dynamodb:us-east-1:123456789012:table/ProductCatalog".into(),
        table_id: "12345a12-abcd-123a-ab12-1234abc12345".into(),
        export_time: Some(t("2020-11-04T07:28:34.028Z")),
        export_from_time: None,
        export_to_time: None,
        s3_bucket: "ddb-productcatalog-export".into(),
        s3_prefix: Some("2020-Nov".into()),
        s3_sse_algorithm: "AES256".into(),
        s3_sse_kms_key_id: None,
        manifest_files_s3_key: "AWSDynamoDB/01693685827463-2d8752fd/manifest-files.json".into(),
        billed_size_bytes: 0,
        item_count: 8,
        output_format: ExportFormat::DynamoDbJson,
        output_view: None,
        export_type: ExportType::Full,
    };
    let json = String::from_utf8(summary.to_json()).unwrap();
    assert_eq!(json, compact(FULL_EXAMPLE));
    let back: ManifestSummary = serde_json::from_str(FULL_EXAMPLE).unwrap();
    assert_eq!(back, summary);
}

#[test]
fn incremental_summary_matches_the_guide_byte_for_byte() {
    let summary: ManifestSummary = serde_json::from_str(INCREMENTAL_EXAMPLE).unwrap();
    assert_eq!(summary.version, INCREMENTAL_EXPORT_VERSION);
    assert_eq!(summary.export_type, ExportType::Incremental);
    assert_eq!(summary.output_view, Some(ExportViewType::NewAndOldImages));
    assert_eq!(summary.export_time, None);
    assert_eq!(summary.billed_size_bytes, 20_901_239_349);
    assert_eq!(
        String::from_utf8(summary.to_json()).unwrap(),
        compact(INCREMENTAL_EXAMPLE)
    );
}

#[test]
fn absent_prefix_and_kms_key_are_null() {
    let mut summary: ManifestSummary = serde_json::from_str(FULL_EXAMPLE).unwrap();
    summary.s3_prefix = None;
    let json = String::from_utf8(summary.to_json()).unwrap();
    assert!(
        json.contains(r#""s3Prefix":null,"s3SseAlgorithm":"AES256","s3SseKmsKeyId":null,"#),
        "{json}"
    );
}

#[test]
fn manifest_files_lines() {
    let entries = vec![
        ManifestFileEntry {
            item_count: 8,
            md5_checksum: "sQMSpEILNgoQmarvDFonGQ==".into(),
            etag: "af83d6f217c19b8b0fff8023d8ca4716-1".into(),
            data_file_s3_key: "AWSDynamoDB/01693685827463-2d8752fd/data/asdl123dasas.json.gz"
                .into(),
        },
        ManifestFileEntry {
            item_count: 0,
            md5_checksum: "1B2M2Y8AsgTpgAmY7PhCfg==".into(),
            etag: "d41d8cd98f00b204e9800998ecf8427e".into(),
            data_file_s3_key: "AWSDynamoDB/data/sgad6417s6vss4p7owp0471bcq.json.gz".into(),
        },
    ];
    let text = write_manifest_files(&entries);
    assert_eq!(
        String::from_utf8(text.clone()).unwrap(),
        concat!(
            r#"{"itemCount":8,"md5Checksum":"sQMSpEILNgoQmarvDFonGQ==","etag":"af83d6f217c19b8b0fff8023d8ca4716-1","dataFileS3Key":"AWSDynamoDB/01693685827463-2d8752fd/data/asdl123dasas.json.gz"}"#,
            "\n",
            r#"{"itemCount":0,"md5Checksum":"1B2M2Y8AsgTpgAmY7PhCfg==","etag":"d41d8cd98f00b204e9800998ecf8427e","dataFileS3Key":"AWSDynamoDB/data/sgad6417s6vss4p7owp0471bcq.json.gz"}"#,
            "\n"
        )
    );
    assert_eq!(parse_manifest_files(&text).unwrap(), entries);
    // The guide's multi-line rendering of one entry parses too.
    let pretty = br#"{
"itemCount": 8,
   "md5Checksum": "sQMSpEILNgoQmarvDFonGQ==",
   "etag": "af83d6f217c19b8b0fff8023d8ca4716-1",
   "dataFileS3Key": "AWSDynamoDB/01693685827463-2d8752fd/data/asdl123dasas.json.gz"
}"#;
    let one: ManifestFileEntry = serde_json::from_slice(pretty).unwrap();
    assert_eq!(one, entries[0]);
}

#[test]
fn iso_time_formats_with_milliseconds() {
    assert_eq!(IsoTime(0).to_string(), "1970-01-01T00:00:00.000Z");
    assert_eq!(
        IsoTime(1_604_474_914_028_999).to_string(),
        "2020-11-04T07:28:34.028Z"
    );
    assert_eq!(
        IsoTime(951_782_400_000_000).to_string(),
        "2000-02-29T00:00:00.000Z"
    );
    assert_eq!(IsoTime(-1_000).to_string(), "1969-12-31T23:59:59.999Z");
    assert_eq!(
        IsoTime(4_102_444_800_000_000).to_string(),
        "2100-01-01T00:00:00.000Z"
    );
}

#[test]
fn iso_time_parses_what_it_writes_and_rejects_garbage() {
    for micros in [
        0,
        1_604_474_914_028_000,
        951_782_400_000_000,
        1_695_097_218_000_000,
        -1_000,
    ] {
        assert_eq!(
            IsoTime::parse(&IsoTime(micros).to_string()),
            Some(IsoTime(micros))
        );
    }
    assert_eq!(t("2020-11-04T07:28:34Z"), t("2020-11-04T07:28:34.000Z"));
    assert_eq!(t("2020-11-04T07:28:34.123456Z").0 % 1_000_000, 123_456);
    for bad in [
        "",
        "2020-11-04",
        "2020-11-04T07:28:34.028",
        "2020-13-04T07:28:34.028Z",
        "2020-11-04T07:28:34.Z",
        "2020-11-04 07:28:34.028Z",
        "2020-11-04T07:28:3x.028Z",
    ] {
        assert_eq!(IsoTime::parse(bad), None, "{bad}");
    }
    let err = serde_json::from_str::<IsoTime>("\"nope\"").unwrap_err();
    assert_eq!(err.to_string(), "invalid ISO-8601 time nope");
}

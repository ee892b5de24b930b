//! SDK tests: ExportTableToPointInTime (full and incremental), DescribeExport
//! and ListExports — the export's objects read back through S3 and checked
//! against the manifests (MD5, ETag, item counts), Ion re-read with ion-rs.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use aws_sdk_dynamodb::types::{
    AttributeValue, ExportDescription, ExportFormat, ExportStatus, ExportType, ScalarAttributeType,
};
use base64::Engine as _;
use md5::Digest;
use serde_json::{Value, json};

use crate::common::*;
use crate::pitr::{datetime, enable_pitr, micros, server_now};

mod errors;
mod incremental;
mod ion;
mod round_trip;

pub(super) const MIN: i64 = 60_000_000;

pub(super) fn arn(table: &str) -> String {
    format!("arn:aws:dynamodb:us-east-1:000000000000:table/{table}")
}

pub(super) fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub(crate) async fn wait_export(
    client: &aws_sdk_dynamodb::Client,
    export_arn: &str,
) -> ExportDescription {
    wait_until(
        JOB_TIMEOUT,
        &format!("export {export_arn} to end"),
        || async move {
            let out = client
                .describe_export()
                .export_arn(export_arn)
                .send()
                .await
                .unwrap();
            let d = out.export_description().unwrap().clone();
            (d.export_status() != Some(&ExportStatus::InProgress)).then_some(d)
        },
    )
    .await
}

/// An export read back through S3, every checksum verified.
pub(crate) struct Output {
    pub summary: Value,
    /// Data file key -> decompressed lines.
    pub files: BTreeMap<String, Vec<String>>,
    /// Every key under the export's prefix.
    pub keys: Vec<String>,
}

pub(super) async fn get(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> (Vec<u8>, String) {
    let out = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{key}: {e:?}"));
    let etag = out
        .e_tag()
        .unwrap_or_default()
        .trim_matches('"')
        .to_string();
    (
        out.body.collect().await.unwrap().into_bytes().to_vec(),
        etag,
    )
}

pub(crate) async fn read_export(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    d: &ExportDescription,
) -> Output {
    let manifest = d.export_manifest().expect("ExportManifest");
    let dir = manifest
        .strip_suffix("/manifest-summary.json")
        .expect("summary key");
    let (started, _) = get(s3, bucket, &format!("{dir}/_started")).await;
    assert!(started.is_empty());
    let (summary_bytes, _) = get(s3, bucket, manifest).await;
    let (summary_md5, _) = get(s3, bucket, &format!("{dir}/manifest-summary.md5")).await;
    assert_eq!(
        String::from_utf8(summary_md5).unwrap(),
        b64(&md5::Md5::digest(&summary_bytes))
    );
    let summary: Value = serde_json::from_slice(&summary_bytes).unwrap();
    let files_key = summary["manifestFilesS3Key"].as_str().unwrap().to_string();
    assert_eq!(files_key, format!("{dir}/manifest-files.json"));
    let (files_bytes, _) = get(s3, bucket, &files_key).await;
    let (files_md5, _) = get(s3, bucket, &format!("{dir}/manifest-files.md5")).await;
    assert_eq!(
        String::from_utf8(files_md5).unwrap(),
        b64(&md5::Md5::digest(&files_bytes))
    );
    let mut files = BTreeMap::new();
    let mut total = 0;
    for line in String::from_utf8(files_bytes).unwrap().lines() {
        let entry: Value = serde_json::from_str(line).unwrap();
        let key = entry["dataFileS3Key"].as_str().unwrap().to_string();
        let (data, etag) = get(s3, bucket, &key).await;
        assert_eq!(
            entry["md5Checksum"].as_str().unwrap(),
            b64(&md5::Md5::digest(&data)),
            "{key}"
        );
        assert_eq!(entry["etag"].as_str().unwrap(), etag, "{key}");
        let mut text = String::new();
        flate2::read::MultiGzDecoder::new(&data[..])
            .read_to_string(&mut text)
            .unwrap();
        let lines: Vec<String> = text.lines().map(String::from).collect();
        assert_eq!(
            entry["itemCount"].as_u64().unwrap(),
            lines.len() as u64,
            "{key}"
        );
        total += lines.len() as i64;
        files.insert(key, lines);
    }
    assert_eq!(summary["itemCount"].as_i64().unwrap(), total);
    assert_eq!(d.item_count(), Some(total));
    let prefix = dir
        .split("AWSDynamoDB/")
        .next()
        .unwrap_or_default()
        .to_string();
    let listed = s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(&prefix)
        .send()
        .await
        .unwrap();
    let keys = listed
        .contents()
        .iter()
        .filter_map(|o| o.key().map(String::from))
        .collect();
    Output {
        summary,
        files,
        keys,
    }
}

/// Sort the members of sets (their order is not part of DynamoDB's data).
pub(super) fn normalize(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if matches!(k.as_str(), "SS" | "NS" | "BS") {
                    if let Value::Array(a) = x {
                        a.sort_by_key(|e| e.to_string());
                    }
                } else {
                    normalize(x);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(normalize),
        _ => {}
    }
}

pub(crate) fn json_lines(out: &Output) -> Vec<Value> {
    let mut v: Vec<Value> = out
        .files
        .values()
        .flatten()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            normalize(&mut v);
            v
        })
        .collect();
    v.sort_by_key(|x| x.to_string());
    v
}

pub(super) fn rich_item(i: i64, v: &str) -> HashMap<String, AttributeValue> {
    item(&[
        ("pk", s(&format!("k{i}"))),
        ("sk", n(&i.to_string())),
        ("s", s(&format!("h\u{e9}llo \"{v}\"\n"))),
        ("n", n("600")),
        ("d", n("-1.50")),
        ("b", AttributeValue::B(vec![0, 1, 2, 255].into())),
        ("ss", AttributeValue::Ss(vec!["b".into(), "a".into()])),
        ("ns", AttributeValue::Ns(vec!["2.5".into(), "10".into()])),
        (
            "bs",
            AttributeValue::Bs(vec![vec![1u8].into(), vec![2u8, 3].into()]),
        ),
        (
            "m",
            AttributeValue::M(item(&[(
                "odd name",
                AttributeValue::L(vec![
                    n("1"),
                    s("y"),
                    AttributeValue::Null(true),
                    AttributeValue::Bool(false),
                ]),
            )])),
        ),
        ("t", AttributeValue::Bool(true)),
        ("z", AttributeValue::Null(true)),
    ])
}

pub(super) fn rich_json(i: i64, v: &str) -> Value {
    let mut j = json!({"Item": {
        "pk": {"S": format!("k{i}")}, "sk": {"N": i.to_string()},
        "s": {"S": format!("h\u{e9}llo \"{v}\"\n")}, "n": {"N": "600"}, "d": {"N": "-1.5"},
        "b": {"B": "AAEC/w=="}, "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["10", "2.5"]},
        "bs": {"BS": ["AQ==", "AgM="]},
        "m": {"M": {"odd name": {"L": [{"N": "1"}, {"S": "y"}, {"NULL": true}, {"BOOL": false}]}}},
        "t": {"BOOL": true}, "z": {"NULL": true}
    }});
    normalize(&mut j);
    j
}

pub(super) async fn put(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    it: HashMap<String, AttributeValue>,
) {
    client
        .put_item()
        .table_name(table)
        .set_item(Some(it))
        .send()
        .await
        .unwrap();
}

pub(super) async fn del(client: &aws_sdk_dynamodb::Client, table: &str, i: i64) {
    client
        .delete_item()
        .table_name(table)
        .set_key(Some(item(&[
            ("pk", s(&format!("k{i}"))),
            ("sk", n(&i.to_string())),
        ])))
        .send()
        .await
        .unwrap();
}

/// A table `pk S, sk N` with PITR on.
pub(super) async fn pitr_table(client: &aws_sdk_dynamodb::Client, name: &str) {
    create_table(
        client,
        name,
        ("pk", ScalarAttributeType::S),
        Some(("sk", ScalarAttributeType::N)),
    )
    .await;
    enable_pitr(client, name).await;
}

#[tokio::test]
async fn full_export_is_the_table_as_of_export_time() {
    let server = TestServer::start().await;
    let (client, s3) = (server.dynamodb().await, server.s3().await);
    s3.create_bucket().bucket("exports").send().await.unwrap();
    pitr_table(&client, "snap").await;
    for i in 0..40 {
        put(&client, "snap", rich_item(i, "old")).await;
    }
    server.advance_clock(1_000_000).await;
    let t = server_now(&client, "snap").await;
    server.advance_clock(1_000_000).await;
    for i in 0..10 {
        put(&client, "snap", rich_item(i, "new")).await;
    }
    for i in 10..20 {
        del(&client, "snap", i).await;
    }
    put(&client, "snap", rich_item(99, "new")).await;

    let out = client
        .export_table_to_point_in_time()
        .table_arn(arn("snap"))
        .s3_bucket("exports")
        .s3_prefix("runs/one")
        .export_time(datetime(t))
        .send()
        .await
        .unwrap();
    let started = out.export_description().unwrap();
    assert_eq!(started.export_status(), Some(&ExportStatus::InProgress));
    assert!(
        started
            .export_arn()
            .unwrap()
            .starts_with(&format!("{}/export/", arn("snap")))
    );
    assert_eq!(
        started.client_token().map(str::len),
        Some(36),
        "a generated token"
    );
    assert_eq!(started.export_type(), None, "not echoed when not requested");
    assert_eq!(started.item_count(), None);
    let d = wait_export(&client, started.export_arn().unwrap()).await;
    assert_eq!(
        d.export_status(),
        Some(&ExportStatus::Completed),
        "{:?}",
        d.failure_message()
    );
    assert_eq!(micros(d.export_time().unwrap()), t);
    assert_eq!(d.export_format(), Some(&ExportFormat::DynamodbJson));
    assert_eq!(d.s3_bucket(), Some("exports"));
    assert_eq!(d.s3_prefix(), Some("runs/one"));
    assert_eq!(d.s3_bucket_owner(), None);
    assert_eq!(d.s3_sse_algorithm().map(|a| a.as_str()), Some("AES256"));
    assert_eq!(d.table_arn(), Some(arn("snap").as_str()));
    assert_eq!(d.table_id().map(str::len), Some(36));
    assert!(d.billed_size_bytes().unwrap() > 0);
    assert!(d.end_time().unwrap().secs() >= d.start_time().unwrap().secs());
    let id = d.export_arn().unwrap().rsplit('/').next().unwrap();
    assert_eq!(
        d.export_manifest(),
        Some(format!("runs/one/AWSDynamoDB/{id}/manifest-summary.json").as_str())
    );

    let out = read_export(&s3, "exports", &d).await;
    let expected: Vec<Value> = {
        // Items deleted or rewritten after the export time are there as they were.
        let mut v: Vec<Value> = (0..40).map(|i| rich_json(i, "old")).collect();
        v.sort_by_key(|x| x.to_string());
        v
    };
    assert_eq!(json_lines(&out), expected);
    assert!(out.files.keys().all(
        |k| k.starts_with(&format!("runs/one/AWSDynamoDB/{id}/data/")) && k.ends_with(".json.gz")
    ));
    let name = out
        .files
        .keys()
        .next()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .trim_end_matches(".json.gz")
        .to_string();
    assert!(
        name.len() == 26
            && name
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()),
        "{name}"
    );
    let s = &out.summary;
    assert_eq!(s["version"], "2020-06-30");
    assert_eq!(s["exportArn"], d.export_arn().unwrap());
    assert_eq!(s["tableArn"], arn("snap"));
    assert_eq!(s["tableId"], d.table_id().unwrap());
    assert_eq!(s["s3Bucket"], "exports");
    assert_eq!(s["s3Prefix"], "runs/one");
    assert_eq!(s["s3SseAlgorithm"], "AES256");
    assert_eq!(s["s3SseKmsKeyId"], Value::Null);
    assert_eq!(s["outputFormat"], "DYNAMODB_JSON");
    assert_eq!(s["exportType"], "FULL_EXPORT");
    assert_eq!(s["billedSizeBytes"].as_i64(), d.billed_size_bytes());
    let stamp = s["exportTime"].as_str().unwrap();
    assert!(stamp.len() == 24 && stamp.ends_with('Z'), "{stamp}");
    let mut expected_keys: Vec<String> = [
        "_started",
        "manifest-files.json",
        "manifest-files.md5",
        "manifest-summary.json",
        "manifest-summary.md5",
    ]
    .iter()
    .map(|f| format!("runs/one/AWSDynamoDB/{id}/{f}"))
    .chain(out.files.keys().cloned())
    .collect();
    expected_keys.sort();
    assert_eq!(out.keys, expected_keys);
}

#[tokio::test]
async fn refusals_and_failures() {
    let server = TestServer::start().await;
    let (client, s3) = (server.dynamodb().await, server.s3().await);
    s3.create_bucket().bucket("bkt").send().await.unwrap();
    create_table(&client, "nopitr", ("pk", ScalarAttributeType::S), None).await;
    pitr_table(&client, "yes").await;
    let export = |table: &str| {
        client
            .export_table_to_point_in_time()
            .table_arn(arn(table))
            .s3_bucket("bkt")
    };
    let (code, msg) = failure(export("nopitr").send().await);
    assert_eq!(code, "PointInTimeRecoveryUnavailableException");
    assert_eq!(
        msg,
        "Point in time recovery is not enabled for table 'nopitr'"
    );
    let (code, msg) = failure(export("ghost").send().await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "TableNotFoundException",
            "Table not found: arn:aws:dynamodb:us-east-1:000000000000:table/ghost"
        )
    );
    let now = server_now(&client, "yes").await;
    let (code, msg) = failure(
        export("yes")
            .export_time(datetime(now + 10 * MIN))
            .send()
            .await,
    );
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("InvalidExportTimeException", "Export Time is invalid")
    );
    let (code, msg) = failure(
        export("yes")
            .export_time(datetime(now - 60 * MIN))
            .send()
            .await,
    );
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("InvalidExportTimeException", "Export Time is invalid")
    );
    assert_validation(
        client
            .export_table_to_point_in_time()
            .table_arn("yes")
            .s3_bucket("bkt")
            .send()
            .await,
        "One or more parameter values were invalid: tableArn is not a valid ARN",
    );
    assert_validation(
        export("yes")
            .export_format(ExportFormat::from("CSV"))
            .send()
            .await,
        "1 validation error detected: Value 'CSV' at 'exportFormat' failed to satisfy constraint: Member must satisfy enum value set: [DYNAMODB_JSON, ION]",
    );
    assert_validation(
        client
            .export_table_to_point_in_time()
            .table_arn(arn("yes"))
            .s3_bucket("a b")
            .send()
            .await,
        "1 validation error detected: Value 'a b' at 's3Bucket' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-z0-9A-Z]+[\\.\\-\\w]*[a-z0-9A-Z]+$",
    );
    assert_validation(
        export("yes").s3_sse_kms_key_id("key").send().await,
        "Invalid Request: KMS Key Id is not supported for this encryption type",
    );

    // A missing bucket is accepted, then FAILED with S3's error.
    let out = client
        .export_table_to_point_in_time()
        .table_arn(arn("yes"))
        .s3_bucket("no-such-bucket")
        .send()
        .await
        .unwrap();
    let d = wait_export(
        &client,
        out.export_description().unwrap().export_arn().unwrap(),
    )
    .await;
    assert_eq!(d.export_status(), Some(&ExportStatus::Failed));
    assert_eq!(d.failure_code(), Some("S3NoSuchBucket"));
    let msg = d.failure_message().unwrap();
    assert!(
        msg.starts_with("The specified bucket does not exist (Service: Amazon S3; Status Code: 404; Error Code: NoSuchBucket; Request ID: "),
        "{msg}"
    );
    assert_eq!(d.item_count(), None);
    assert_eq!(d.export_manifest(), None);

    // ClientToken: same request, same export; other parameters, a conflict.
    let first = export("yes").client_token("tok-1").send().await.unwrap();
    let again = export("yes").client_token("tok-1").send().await.unwrap();
    let arn1 = first.export_description().unwrap().export_arn().unwrap();
    assert_eq!(again.export_description().unwrap().export_arn(), Some(arn1));
    assert_eq!(
        again.export_description().unwrap().client_token(),
        Some("tok-1")
    );
    let (code, msg) = failure(
        export("yes")
            .client_token("tok-1")
            .s3_prefix("other")
            .send()
            .await,
    );
    assert_eq!(code, "ExportConflictException");
    assert_eq!(
        msg,
        "Export conflict: Duplicate request detected with conflicting parameters"
    );
    wait_export(&client, arn1).await;
}

#[tokio::test]
async fn describe_and_list_exports() {
    let server = TestServer::start().await;
    let (client, s3) = (server.dynamodb().await, server.s3().await);
    s3.create_bucket().bucket("lst").send().await.unwrap();
    pitr_table(&client, "lst1").await;
    pitr_table(&client, "lst2").await;
    let mut arns = Vec::new();
    for t in ["lst1", "lst2", "lst1", "lst1", "lst2"] {
        let out = client
            .export_table_to_point_in_time()
            .table_arn(arn(t))
            .s3_bucket("lst")
            .send()
            .await
            .unwrap();
        let a = out
            .export_description()
            .unwrap()
            .export_arn()
            .unwrap()
            .to_string();
        wait_export(&client, &a).await;
        arns.push(a);
        server.advance_clock(2_000).await;
    }
    arns.reverse();
    let pages: Vec<_> = client
        .list_exports()
        .max_results(2)
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    assert_eq!(pages.len(), 3);
    let listed: Vec<String> = pages
        .into_iter()
        .flat_map(|p| p.unwrap().export_summaries().to_vec())
        .map(|s| {
            assert_eq!(s.export_status(), Some(&ExportStatus::Completed));
            assert_eq!(s.export_type(), Some(&ExportType::FullExport));
            s.export_arn().unwrap().to_string()
        })
        .collect();
    assert_eq!(listed, arns, "newest first");
    let l2 = client
        .list_exports()
        .table_arn(arn("lst2"))
        .send()
        .await
        .unwrap();
    let l2: Vec<&str> = l2
        .export_summaries()
        .iter()
        .filter_map(|s| s.export_arn())
        .collect();
    assert_eq!(l2, vec![arns[0].as_str(), arns[3].as_str()]);
    assert_eq!(l2.len(), 2);
    assert_validation(
        client.list_exports().max_results(26).send().await,
        "1 validation error detected: Value '26' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 25",
    );
    let bad = "0123456789abcdef".repeat(8);
    assert_validation(
        client.list_exports().next_token(&bad).send().await,
        &format!("Invalid Request: Provided nextToken is invalid: {bad}"),
    );

    assert_validation(
        client
            .describe_export()
            .export_arn(arn("lst1"))
            .send()
            .await,
        "Invalid Export ARN",
    );
    let ghost = format!("{}/export/01693685827463-2d8752fd", arn("lst1"));
    let (code, msg) = failure(client.describe_export().export_arn(&ghost).send().await);
    assert_eq!(code, "ExportNotFoundException");
    assert_eq!(msg, format!("Export not found: Export not found: {ghost}"));

    // Records survive a restart.
    let dir = server.stop().await;
    let server = TestServer::start_in(dir, |_| {}).await;
    let client = server.dynamodb().await;
    let d = client
        .describe_export()
        .export_arn(&arns[2])
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.export_description().unwrap().export_status(),
        Some(&ExportStatus::Completed)
    );
    assert_eq!(
        client
            .list_exports()
            .send()
            .await
            .unwrap()
            .export_summaries()
            .len(),
        5
    );
}

//! SDK tests: incremental exports — every row of the guide's table in both
//! view types and both formats, the tiling of consecutive periods, and the
//! period rules.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::{
    AttributeValue, ExportDescription, ExportFormat, ExportStatus, ExportType, ExportViewType,
    IncrementalExportSpecification,
};
use serde_json::{Value, json};

use super::ion::ion_lines;
use super::*;

async fn incremental(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    from: i64,
    to: i64,
    view: ExportViewType,
    format: ExportFormat,
) -> ExportDescription {
    let out = client
        .export_table_to_point_in_time()
        .table_arn(arn(table))
        .s3_bucket("inc")
        .s3_prefix("cdc")
        .export_format(format)
        .export_type(ExportType::IncrementalExport)
        .incremental_export_specification(
            IncrementalExportSpecification::builder()
                .export_from_time(datetime(from))
                .export_to_time(datetime(to))
                .export_view_type(view)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let d = wait_export(
        client,
        out.export_description().unwrap().export_arn().unwrap(),
    )
    .await;
    assert_eq!(
        d.export_status(),
        Some(&ExportStatus::Completed),
        "{:?}",
        d.failure_message()
    );
    d
}

fn simple(pk: &str, v: &str) -> HashMap<String, AttributeValue> {
    item(&[("pk", s(pk)), ("sk", n("1")), ("v", s(v))])
}

#[tokio::test]
async fn incremental_records_follow_the_spec_table() {
    let server = TestServer::start().await;
    let (client, s3) = (server.dynamodb().await, server.s3().await);
    s3.create_bucket().bucket("inc").send().await.unwrap();
    pitr_table(&client, "cdc").await;
    put(&client, "cdc", simple("upd", "before")).await;
    put(&client, "cdc", simple("del", "before")).await;
    put(&client, "cdc", simple("same", "before")).await;
    server.advance_clock(MIN).await;
    let from = server_now(&client, "cdc").await;
    server.advance_clock(1000).await;
    put(&client, "cdc", simple("ins", "x")).await;
    put(&client, "cdc", simple("upd", "middle")).await;
    put(&client, "cdc", simple("upd", "after")).await;
    client
        .delete_item()
        .table_name("cdc")
        .set_key(Some(item(&[("pk", s("del")), ("sk", n("1"))])))
        .send()
        .await
        .unwrap();
    put(&client, "cdc", simple("gone", "x")).await;
    client
        .delete_item()
        .table_name("cdc")
        .set_key(Some(item(&[("pk", s("gone")), ("sk", n("1"))])))
        .send()
        .await
        .unwrap();
    server.advance_clock(16 * MIN).await;
    let to = server_now(&client, "cdc").await;
    put(&client, "cdc", simple("upd", "too late")).await;

    let keys = |pk: &str| json!({"pk": {"S": pk}, "sk": {"N": "1"}});
    let image = |pk: &str, v: &str| json!({"pk": {"S": pk}, "sk": {"N": "1"}, "v": {"S": v}});
    for format in [ExportFormat::DynamodbJson, ExportFormat::Ion] {
        for view in [ExportViewType::NewAndOldImages, ExportViewType::NewImage] {
            let d = incremental(&client, "cdc", from, to, view.clone(), format.clone()).await;
            assert_eq!(d.export_time(), None);
            let spec = d.incremental_export_specification().unwrap();
            assert_eq!(micros(spec.export_from_time().unwrap()), from);
            assert_eq!(micros(spec.export_to_time().unwrap()), to);
            assert_eq!(spec.export_view_type(), Some(&view));
            assert_eq!(d.billed_size_bytes(), Some(10_000_000));
            let out = read_export(&s3, "inc", &d).await;
            assert!(
                out.files
                    .keys()
                    .all(|k| k.starts_with("cdc/AWSDynamoDB/data/")),
                "{:?}",
                out.files.keys()
            );
            assert_eq!(out.summary["version"], "2023-08-01");
            assert_eq!(out.summary["exportType"], "INCREMENTAL_EXPORT");
            assert_eq!(out.summary["outputView"], view.as_str());
            assert!(
                out.summary.get("exportFromTime").is_some()
                    && out.summary.get("exportTime").is_none()
            );
            let records: Vec<Value> = match format {
                ExportFormat::Ion => ion_lines(&out, "Record")
                    .into_iter()
                    .map(|v| v["Record"].clone())
                    .collect(),
                _ => json_lines(&out),
            };
            let with_old = view == ExportViewType::NewAndOldImages;
            let mut expected = vec![json!({"Keys": keys("ins"), "NewImage": image("ins", "x")})];
            let mut upd = json!({"Keys": keys("upd"), "NewImage": image("upd", "after")});
            let mut del = json!({"Keys": keys("del")});
            if with_old {
                upd["OldImage"] = image("upd", "before");
                del["OldImage"] = image("del", "before");
            }
            expected.extend([upd, del]);
            let mut got: Vec<Value> = records
                .into_iter()
                .map(|mut r| {
                    let ts = r["Metadata"]["WriteTimestampMicros"]
                        .as_str()
                        .unwrap()
                        .parse::<i64>()
                        .unwrap();
                    assert!(ts >= from && ts < to, "{ts}");
                    r.as_object_mut().unwrap().remove("Metadata");
                    r
                })
                .collect();
            got.sort_by_key(|x| x.to_string());
            expected.sort_by_key(|x| x.to_string());
            assert_eq!(got, expected, "{format:?} {view:?}");
        }
    }
}

#[tokio::test]
async fn incremental_exports_tile() {
    let server = TestServer::start().await;
    let (client, s3) = (server.dynamodb().await, server.s3().await);
    s3.create_bucket().bucket("inc").send().await.unwrap();
    pitr_table(&client, "tile").await;
    for i in 0..20 {
        put(&client, "tile", rich_item(i, "v0")).await;
    }
    server.advance_clock(MIN).await;
    let t0 = server_now(&client, "tile").await;
    server.advance_clock(1000).await;
    for i in 0..6 {
        put(&client, "tile", rich_item(i, "v1")).await;
        del(&client, "tile", i + 6).await;
        put(&client, "tile", rich_item(i + 100, "v1")).await;
    }
    server.advance_clock(16 * MIN).await;
    let t1 = server_now(&client, "tile").await;
    server.advance_clock(1000).await;
    for i in 0..6 {
        put(&client, "tile", rich_item(i + 6, "v2")).await;
        del(&client, "tile", i + 100).await;
        put(&client, "tile", rich_item(i, "v2")).await;
    }
    server.advance_clock(16 * MIN).await;
    let t2 = server_now(&client, "tile").await;

    let full = |at: i64| {
        let client = client.clone();
        let s3 = s3.clone();
        async move {
            let out = client
                .export_table_to_point_in_time()
                .table_arn(arn("tile"))
                .s3_bucket("inc")
                .export_time(datetime(at))
                .send()
                .await
                .unwrap();
            let d = wait_export(
                &client,
                out.export_description().unwrap().export_arn().unwrap(),
            )
            .await;
            json_lines(&read_export(&s3, "inc", &d).await)
        }
    };
    let base = full(t0).await;
    let target = full(t2).await;
    let a = json_lines(
        &read_export(
            &s3,
            "inc",
            &incremental(
                &client,
                "tile",
                t0,
                t1,
                ExportViewType::NewAndOldImages,
                ExportFormat::DynamodbJson,
            )
            .await,
        )
        .await,
    );
    let b = json_lines(
        &read_export(
            &s3,
            "inc",
            &incremental(
                &client,
                "tile",
                t1,
                t2,
                ExportViewType::NewImage,
                ExportFormat::DynamodbJson,
            )
            .await,
        )
        .await,
    );
    let key = |v: &Value| format!("{}|{}", v["pk"], v["sk"]);
    let mut state: BTreeMap<String, Value> =
        base.into_iter().map(|l| (key(&l["Item"]), l)).collect();
    for r in a.iter().chain(&b) {
        match r.get("NewImage") {
            Some(new) => {
                state.insert(key(&r["Keys"]), json!({"Item": new}));
            }
            None => {
                state.remove(&key(&r["Keys"]));
            }
        }
    }
    let mut applied: Vec<Value> = state.into_values().collect();
    applied.sort_by_key(|x| x.to_string());
    assert_eq!(applied, target);
    assert_eq!(target.len(), 20);
}

#[tokio::test]
async fn incremental_validation() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    pitr_table(&client, "ivt").await;
    server.advance_clock(30 * 60 * MIN).await;
    let now = server_now(&client, "ivt").await;
    let inc = |from: Option<i64>, to: Option<i64>| {
        client
            .export_table_to_point_in_time()
            .table_arn(arn("ivt"))
            .s3_bucket("b1")
            .export_type(ExportType::IncrementalExport)
            .incremental_export_specification(
                IncrementalExportSpecification::builder()
                    .set_export_from_time(from.map(datetime))
                    .set_export_to_time(to.map(datetime))
                    .build(),
            )
    };
    let err = |r| {
        let (code, msg) = failure(r);
        assert_eq!(code, "InvalidExportTimeException", "{msg}");
        msg
    };
    assert_eq!(
        err(inc(Some(now - 10 * MIN), None).send().await),
        "Difference between export period from time and export period to time is less than 15 minutes"
    );
    assert_eq!(
        err(inc(Some(now - 25 * 60 * MIN), Some(now)).send().await),
        "Difference between export period from time and export period to time is greater than 24 hours"
    );
    let msg = err(inc(Some(now - 60 * MIN), Some(now + 60 * MIN)).send().await);
    assert!(
        msg.starts_with(
            "Incremental export period to time cannot be greater than the current time : "
        ),
        "{msg}"
    );
    let msg = err(inc(Some(now - 40 * 60 * MIN), Some(now - 39 * 60 * MIN))
        .send()
        .await);
    assert!(
        msg.starts_with(
            "Incremental export period from time cannot be less than the table creation time : "
        ),
        "{msg}"
    );
    assert_validation(
        inc(None, None).send().await,
        "Invalid Request: ExportFromTime must be provided in IncrementalExportSpecification",
    );
    assert_validation(
        client
            .export_table_to_point_in_time()
            .table_arn(arn("ivt"))
            .s3_bucket("b1")
            .export_type(ExportType::IncrementalExport)
            .send()
            .await,
        "Invalid Request: Incremental Export Specification expected when export type is set as Incremental Export",
    );
    assert_validation(
        client
            .export_table_to_point_in_time()
            .table_arn(arn("ivt"))
            .s3_bucket("b1")
            .incremental_export_specification(
                IncrementalExportSpecification::builder()
                    .export_from_time(datetime(now - 20 * MIN))
                    .build(),
            )
            .send()
            .await,
        "Invalid Request: Export Type expected to be Incremental Export when incremental export specification is provided",
    );
}

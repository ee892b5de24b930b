//! Tests of incremental exports against a real engine and an in-memory
//! bucket: the records follow AWS's table of cases, applied to a full export
//! they give the later full export, and consecutive periods tile.

use std::sync::Arc;

use ferry_storage::Table;
use serde_json::Value;

use super::tests::*;
use super::*;
/// A full export at `t` read back as items keyed by (pk, sk).
async fn full_items(exports: &Arc<Exports>, sink: &MemorySink, t: &Table, at: i64) -> Vec<String> {
    let mut req = request(t);
    req.export_time = Some(at);
    let rec = exports.start(req).unwrap();
    let rec = finish(exports, &rec.export_arn).await;
    assert_eq!(
        rec.status,
        ExportStatus::Completed,
        "{:?}",
        rec.failure_message
    );
    verify_manifests(sink, &rec)
}

async fn incremental(
    exports: &Arc<Exports>,
    sink: &MemorySink,
    t: &Table,
    from: i64,
    to: i64,
    view: ExportViewType,
    format: ExportFormat,
) -> (ExportRecord, Vec<String>) {
    let mut req = request(t);
    req.export_type = Some(ExportType::Incremental);
    req.export_format = Some(format);
    req.incremental = Some(IncrementalSpec {
        from: Some(from),
        to: Some(to),
        view: Some(view),
    });
    let rec = exports.start(req).unwrap();
    let rec = finish(exports, &rec.export_arn).await;
    assert_eq!(
        rec.status,
        ExportStatus::Completed,
        "{:?}",
        rec.failure_message
    );
    let lines = verify_manifests(sink, &rec);
    (rec, lines)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incremental_records_follow_the_spec_table() {
    let engine = engine();
    let t = table(&engine, "inc", true);
    put(&t, item("upd", 1, "before"));
    put(&t, item("del", 1, "before"));
    put(&t, item("same", 1, "untouched"));
    engine.clock().advance(MIN);
    let from = engine.clock().now();
    let ins_ts = put(&t, item("ins", 1, "x"));
    put(&t, item("upd", 1, "middle"));
    let upd_ts = put(&t, item("upd", 1, "after"));
    let del_ts = del(&t, key("del", 1));
    put(&t, item("gone", 1, "x"));
    del(&t, key("gone", 1));
    engine.clock().advance(20 * MIN);
    let to = engine.clock().now();
    put(&t, item("upd", 1, "too late"));
    let sink = MemorySink::default();
    let exports = registry(&engine, &sink, 4);

    let j = |s: &str| -> Value { serde_json::from_str(s).unwrap() };
    let (rec, lines) = incremental(
        &exports,
        &sink,
        &t,
        from,
        to,
        ExportViewType::NewAndOldImages,
        ExportFormat::DynamoDbJson,
    )
    .await;
    assert_eq!(rec.item_count, Some(3));
    assert!(
        sink.keys()
            .iter()
            .filter(|k| k.contains("/data/"))
            .all(|k| k.starts_with("pre/AWSDynamoDB/data/"))
    );
    let by_pk = |pk: &str| -> Value {
        lines
            .iter()
            .map(|l| j(l))
            .find(|v| v["Keys"]["pk"]["S"] == pk)
            .unwrap_or(Value::Null)
    };
    let ins = by_pk("ins");
    assert_eq!(ins["Metadata"]["WriteTimestampMicros"], ins_ts.to_string());
    assert_eq!(
        ins["Keys"],
        serde_json::json!({"pk":{"S":"ins"},"sk":{"N":"1"}})
    );
    assert_eq!(ins["NewImage"]["v"]["S"], "x");
    assert!(ins.get("OldImage").is_none());
    let upd = by_pk("upd");
    assert_eq!(upd["Metadata"]["WriteTimestampMicros"], upd_ts.to_string());
    assert_eq!(upd["OldImage"]["v"]["S"], "before");
    assert_eq!(upd["NewImage"]["v"]["S"], "after");
    let d = by_pk("del");
    assert_eq!(d["Metadata"]["WriteTimestampMicros"], del_ts.to_string());
    assert_eq!(d["OldImage"]["v"]["S"], "before");
    assert!(d.get("NewImage").is_none());
    assert_eq!(by_pk("gone"), Value::Null);
    assert_eq!(by_pk("same"), Value::Null);
    let summary: Value =
        serde_json::from_slice(&sink.get(rec.manifest_key.as_ref().unwrap()).unwrap()).unwrap();
    assert_eq!(summary["version"], "2023-08-01");
    assert_eq!(summary["outputView"], "NEW_AND_OLD_IMAGES");
    assert_eq!(summary["exportFromTime"], iso_millis(from));
    assert_eq!(summary["exportToTime"], iso_millis(to));
    assert_eq!(summary["billedSizeBytes"], 10_000_000);

    let (_, lines) = incremental(
        &exports,
        &sink,
        &t,
        from,
        to,
        ExportViewType::NewImage,
        ExportFormat::DynamoDbJson,
    )
    .await;
    assert_eq!(lines.len(), 3);
    for l in &lines {
        assert!(j(l).get("OldImage").is_none(), "{l}");
    }
    let d = lines
        .iter()
        .map(|l| j(l))
        .find(|v| v["Keys"]["pk"]["S"] == "del")
        .unwrap();
    assert_eq!(
        d.as_object().unwrap().len(),
        2,
        "delete with NEW_IMAGE: Metadata + Keys only"
    );

    let (_, ion) = incremental(
        &exports,
        &sink,
        &t,
        from,
        to,
        ExportViewType::NewAndOldImages,
        ExportFormat::Ion,
    )
    .await;
    assert_eq!(ion.len(), 3);
    let upd = ion.iter().find(|l| l.contains("pk:\"upd\"")).unwrap();
    assert!(
        upd.starts_with(
            "$ion_1_0 {Record:{Keys:{pk:\"upd\",sk:1.},Metadata:{WriteTimestampMicros:"
        ),
        "{upd}"
    );
    assert!(
        upd.contains("OldImage:{pk:\"upd\",sk:1.,v:\"before\"}"),
        "{upd}"
    );
    assert!(
        upd.contains("NewImage:{pk:\"upd\",sk:1.,v:\"after\"}"),
        "{upd}"
    );
}

/// Apply incremental records (JSON lines) to a set of full-export lines.
fn apply(full: &[String], records: &[String], schema_keys: &[&str]) -> Vec<String> {
    let key_of = |v: &Value, member: &str| -> String {
        schema_keys
            .iter()
            .map(|k| v[member][*k].to_string())
            .collect::<Vec<_>>()
            .join("|")
    };
    let mut map: std::collections::BTreeMap<String, String> = full
        .iter()
        .map(|l| (key_of(&serde_json::from_str(l).unwrap(), "Item"), l.clone()))
        .collect();
    for r in records {
        let v: Value = serde_json::from_str(r).unwrap();
        let k = key_of(&v, "Keys");
        match v.get("NewImage") {
            Some(new) => {
                map.insert(k, serde_json::json!({ "Item": new }).to_string());
            }
            None => {
                map.remove(&k);
            }
        }
    }
    let mut out: Vec<String> = map
        .into_values()
        .map(|l| serde_json::from_str::<Value>(&l).unwrap().to_string())
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consecutive_incremental_exports_tile() {
    let engine = engine();
    let t = table(&engine, "tile", true);
    for i in 0..30 {
        put(&t, item(&format!("k{i}"), i, "v0"));
    }
    engine.clock().advance(MIN);
    let t0 = engine.clock().now();
    for i in 0..10 {
        put(&t, item(&format!("k{i}"), i, "v1"));
        del(&t, key(&format!("k{}", i + 10), i + 10));
        put(&t, item(&format!("n{i}"), i, "v1"));
    }
    engine.clock().advance(16 * MIN);
    let t1 = engine.clock().now();
    for i in 0..10 {
        put(&t, item(&format!("k{}", i + 10), i + 10, "v2"));
        del(&t, key(&format!("n{i}"), i));
        put(&t, item(&format!("k{i}"), i, "v2"));
    }
    engine.clock().advance(16 * MIN);
    let t2 = engine.clock().now();
    let sink = MemorySink::default();
    let exports = registry(&engine, &sink, 3);
    let norm = |ls: Vec<String>| -> Vec<String> {
        let mut v: Vec<String> = ls
            .iter()
            .map(|l| serde_json::from_str::<Value>(l).unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    let full0 = full_items(&exports, &sink, &t, t0).await;
    let full2 = norm(full_items(&exports, &sink, &t, t2).await);
    let (_, a) = incremental(
        &exports,
        &sink,
        &t,
        t0,
        t1,
        ExportViewType::NewAndOldImages,
        ExportFormat::DynamoDbJson,
    )
    .await;
    let (_, b) = incremental(
        &exports,
        &sink,
        &t,
        t1,
        t2,
        ExportViewType::NewImage,
        ExportFormat::DynamoDbJson,
    )
    .await;
    let applied = apply(&apply(&full0, &a, &["pk", "sk"]), &b, &["pk", "sk"]);
    assert_eq!(applied, full2);
    assert_eq!(full2.len(), 30);
}

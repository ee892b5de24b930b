//! Tests of the export and restore jobs against a real engine (temporary
//! directory) and an in-memory bucket.

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use ferry_model::{
    AttributeValue, Item, KeyAttr, KeySchema, Number, PitrSettings, PrimaryKey, ScalarType,
    TableDef, TableStatus,
};
use ferry_storage::{Engine, EngineConfig, Table, Write};
use md5::Digest;
use serde_json::Value;

use super::*;

pub(super) const MIN: i64 = 60_000_000;

pub(crate) fn engine() -> Arc<Engine> {
    Engine::open(EngineConfig {
        path: None,
        sync: false,
    })
    .unwrap()
}

pub(crate) fn table(engine: &Engine, name: &str, pitr: bool) -> Arc<Table> {
    let now = engine.clock().now();
    engine
        .create_table(TableDef {
            name: name.into(),
            id: uuid::Uuid::new_v4().to_string(),
            key: KeySchema {
                hash: KeyAttr {
                    name: "pk".into(),
                    ty: ScalarType::S,
                },
                range: Some(KeyAttr {
                    name: "sk".into(),
                    ty: ScalarType::N,
                }),
            },
            indexes: vec![],
            created_micros: now,
            status: TableStatus::Active,
            pitr: pitr.then_some(PitrSettings {
                recovery_period_days: 35,
                enabled_micros: now,
            }),
            settings: Default::default(),
        })
        .unwrap()
}

pub(crate) fn item(pk: &str, sk: i64, v: &str) -> Item {
    let mut i = Item::new();
    i.insert("pk".into(), AttributeValue::S(pk.into()));
    i.insert("sk".into(), AttributeValue::N(Number::from(sk)));
    i.insert("v".into(), AttributeValue::S(v.into()));
    i
}

pub(super) fn key(pk: &str, sk: i64) -> PrimaryKey {
    PrimaryKey {
        hash: AttributeValue::S(pk.into()),
        range: Some(AttributeValue::N(Number::from(sk))),
    }
}

pub(crate) fn put(t: &Table, it: Item) -> i64 {
    let k = PrimaryKey::from_item(&it, &t.def().key).unwrap();
    t.write(&k, |_| Ok::<_, ()>(Write::Put(it))).unwrap().1
}

pub(super) fn del(t: &Table, k: PrimaryKey) -> i64 {
    t.write(&k, |_| Ok::<_, ()>(Write::Delete)).unwrap().1
}

pub(super) fn request(t: &Table) -> ExportRequest {
    let name = t.def().name;
    ExportRequest {
        table_arn: format!("arn:aws:dynamodb:us-east-1:000000000000:table/{name}"),
        table_name: name,
        export_time: None,
        client_token: None,
        s3_bucket: "bucket".into(),
        s3_bucket_owner: None,
        s3_prefix: Some("pre".into()),
        s3_sse_algorithm: None,
        s3_sse_kms_key_id: None,
        export_format: None,
        export_type: None,
        incremental: None,
        without_pitr: false,
    }
}

pub(super) fn registry(engine: &Arc<Engine>, sink: &MemorySink, partitions: u32) -> Arc<Exports> {
    Exports::new(
        engine.clone(),
        Arc::new(sink.clone()),
        tokio::runtime::Handle::current(),
        ExportConfig {
            max_concurrent: 3,
            run: RunConfig {
                workers: 2,
                partitions: Some(partitions),
                ..Default::default()
            },
        },
    )
}

/// A guard against hangs while waiting for a job, never a speed threshold.
pub(super) const JOB_TIMEOUT: Duration = Duration::from_secs(300);

pub(super) async fn finish(exports: &Exports, arn: &str) -> ExportRecord {
    let deadline = std::time::Instant::now() + JOB_TIMEOUT;
    loop {
        let rec = exports.describe(arn).unwrap();
        if rec.is_terminal() {
            return rec;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "export {arn} did not finish"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

pub(super) fn gunzip(bytes: &[u8]) -> String {
    let mut s = String::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .read_to_string(&mut s)
        .unwrap();
    s
}

/// Check every manifest against the objects and return the data lines.
pub(super) fn verify_manifests(sink: &MemorySink, rec: &ExportRecord) -> Vec<String> {
    let summary_key = rec.manifest_key.clone().unwrap();
    let dir = summary_key
        .trim_end_matches("/manifest-summary.json")
        .to_string();
    assert_eq!(sink.get(&format!("{dir}/_started")).unwrap(), b"");
    let summary = sink.get(&summary_key).unwrap();
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(b));
    assert_eq!(
        String::from_utf8(sink.get(&format!("{dir}/manifest-summary.md5")).unwrap()).unwrap(),
        b64(&summary)
    );
    let summary: Value = serde_json::from_slice(&summary).unwrap();
    let files_key = summary["manifestFilesS3Key"].as_str().unwrap().to_string();
    assert_eq!(files_key, format!("{dir}/manifest-files.json"));
    let files = sink.get(&files_key).unwrap();
    assert_eq!(
        String::from_utf8(sink.get(&format!("{dir}/manifest-files.md5")).unwrap()).unwrap(),
        b64(&files)
    );
    let mut lines = Vec::new();
    let mut total = 0;
    for line in String::from_utf8(files).unwrap().lines() {
        let f: Value = serde_json::from_str(line).unwrap();
        let data = sink.get(f["dataFileS3Key"].as_str().unwrap()).unwrap();
        assert_eq!(f["md5Checksum"].as_str().unwrap(), b64(&data));
        assert_eq!(
            f["etag"].as_str().unwrap(),
            hex::encode(md5::Md5::digest(&data))
        );
        let text = gunzip(&data);
        let n = text.lines().count() as u64;
        assert_eq!(f["itemCount"].as_u64().unwrap(), n);
        total += n;
        lines.extend(text.lines().map(String::from));
    }
    assert_eq!(summary["itemCount"].as_u64().unwrap(), total);
    assert_eq!(rec.item_count, Some(total));
    lines.sort();
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_export_is_a_snapshot_with_matching_manifests() {
    let engine = engine();
    let t = table(&engine, "snap", true);
    for i in 0..50 {
        put(&t, item(&format!("k{i}"), i, "old"));
    }
    engine.clock().advance(1000);
    let export_time = engine.clock().now();
    engine.clock().advance(1000);
    for i in 0..10 {
        put(&t, item(&format!("k{i}"), i, "new"));
    }
    for i in 10..20 {
        del(&t, key(&format!("k{i}"), i));
    }
    put(&t, item("late", 1, "new"));
    let sink = MemorySink::default();
    let exports = registry(&engine, &sink, 5);
    let mut req = request(&t);
    req.export_time = Some(export_time);
    let started = exports.start(req).unwrap();
    assert_eq!(started.status, ExportStatus::InProgress);
    assert_eq!(started.export_time, Some(export_time));
    assert!(
        started
            .export_arn
            .starts_with("arn:aws:dynamodb:us-east-1:000000000000:table/snap/export/")
    );
    let rec = finish(&exports, &started.export_arn).await;
    assert_eq!(
        rec.status,
        ExportStatus::Completed,
        "{:?}",
        rec.failure_message
    );
    let lines = verify_manifests(&sink, &rec);
    let mut expected: Vec<String> = (0..50)
        .map(|i| {
            let mut out = Vec::new();
            ferry_formats::ddb_json::write_item_line(&item(&format!("k{i}"), i, "old"), &mut out);
            String::from_utf8(out).unwrap().trim_end().to_string()
        })
        .collect();
    expected.sort();
    assert_eq!(lines, expected);
    // 5 partitions = 5 data files (some may be empty), all under data/.
    let data: Vec<String> = sink
        .keys()
        .into_iter()
        .filter(|k| k.contains("/data/"))
        .collect();
    assert_eq!(data.len(), 5);
    assert!(data.iter().all(
        |k| k.starts_with(&format!("pre/AWSDynamoDB/{}/data/", rec.export_id))
            && k.ends_with(".json.gz")
    ));
    let summary: Value =
        serde_json::from_slice(&sink.get(rec.manifest_key.as_ref().unwrap()).unwrap()).unwrap();
    assert_eq!(summary["version"], "2020-06-30");
    assert_eq!(summary["exportType"], "FULL_EXPORT");
    assert_eq!(summary["outputFormat"], "DYNAMODB_JSON");
    assert_eq!(summary["s3Prefix"], "pre");
    assert_eq!(summary["s3SseKmsKeyId"], Value::Null);
    assert_eq!(summary["exportTime"], iso_millis(export_time));
    let keys: Vec<&str> = summary
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(keys.len(), 16, "{keys:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_partitions_are_empty_gzip_files() {
    let engine = engine();
    let t = table(&engine, "empty", true);
    let sink = MemorySink::default();
    let exports = registry(&engine, &sink, 3);
    let rec = exports.start(request(&t)).unwrap();
    let rec = finish(&exports, &rec.export_arn).await;
    assert_eq!(rec.item_count, Some(0));
    assert_eq!(verify_manifests(&sink, &rec), Vec::<String>::new());
    for k in sink.keys().into_iter().filter(|k| k.contains("/data/")) {
        let bytes = sink.get(&k).unwrap();
        assert_eq!(bytes.len(), 20, "an empty gzip member");
        assert_eq!(gunzip(&bytes), "");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_carry_aws_messages() {
    let engine = engine();
    let off = table(&engine, "nopitr", false);
    let on = table(&engine, "pitr", true);
    let sink = MemorySink::default();
    let exports = registry(&engine, &sink, 2);
    assert_eq!(
        exports.start(request(&off)).unwrap_err().to_string(),
        "Point in time recovery is not enabled for table 'nopitr'"
    );
    let mut missing = request(&on);
    missing.table_name = "ghost".into();
    missing.table_arn = "arn:aws:dynamodb:us-east-1:000000000000:table/ghost".into();
    assert_eq!(
        exports.start(missing).unwrap_err().to_string(),
        "Table not found: arn:aws:dynamodb:us-east-1:000000000000:table/ghost"
    );
    let mut future = request(&on);
    future.export_time = Some(engine.clock().now() + MIN);
    assert!(
        matches!(exports.start(future), Err(ExportError::InvalidExportTime(m)) if m == "Export Time is invalid")
    );
    let mut early = request(&on);
    early.export_time = Some(on.def().created_micros - MIN);
    assert!(matches!(
        exports.start(early),
        Err(ExportError::InvalidExportTime(_))
    ));
    // Nothing was recorded by refused requests.
    assert_eq!(exports.list(None, 25, None).unwrap().0.len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_tokens_are_idempotent_and_conflict_on_other_parameters() {
    let engine = engine();
    let t = table(&engine, "tok", true);
    let sink = MemorySink::default();
    let exports = registry(&engine, &sink, 1);
    let mut req = request(&t);
    req.client_token = Some("tok-1".into());
    let a = exports.start(req.clone()).unwrap();
    let b = exports.start(req.clone()).unwrap();
    assert_eq!(a.export_arn, b.export_arn);
    assert_eq!(b.client_token, "tok-1");
    finish(&exports, &a.export_arn).await;
    assert_eq!(
        exports.start(req.clone()).unwrap().export_arn,
        a.export_arn,
        "also after COMPLETED"
    );
    let mut other = req.clone();
    other.export_format = Some(ExportFormat::Ion);
    assert_eq!(
        exports.start(other).unwrap_err().to_string(),
        "Export conflict: Duplicate request detected with conflicting parameters"
    );
    // Without a token every call is a new export, with a generated token.
    let c = exports.start(request(&t)).unwrap();
    let d = exports.start(request(&t)).unwrap();
    assert_ne!(c.export_arn, d.export_arn);
    assert_eq!(c.client_token.len(), 36);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_bucket_fails_with_the_s3_error() {
    let engine = engine();
    let t = table(&engine, "nobucket", true);
    let sink = MemorySink::default();
    *sink.fail_with.lock().unwrap() = Some(SinkError {
        code: "NoSuchBucket".into(),
        message: "The specified bucket does not exist (Service: Amazon S3; Status Code: 404; Error Code: NoSuchBucket)".into(),
    });
    let exports = registry(&engine, &sink, 2);
    let rec = exports.start(request(&t)).unwrap();
    let rec = finish(&exports, &rec.export_arn).await;
    assert_eq!(rec.status, ExportStatus::Failed);
    assert_eq!(rec.failure_code.as_deref(), Some("S3NoSuchBucket"));
    assert!(
        rec.failure_message
            .unwrap()
            .starts_with("The specified bucket does not exist")
    );
    assert_eq!(rec.manifest_key, None);
    assert!(sink.keys().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_and_list() {
    let engine = engine();
    let t = table(&engine, "lst", true);
    let sink = MemorySink::default();
    let exports = registry(&engine, &sink, 1);
    let mut arns = Vec::new();
    for _ in 0..5 {
        let rec = exports.start(request(&t)).unwrap();
        finish(&exports, &rec.export_arn).await;
        arns.push(rec.export_arn);
        engine.clock().advance(2000);
    }
    arns.reverse();
    let (page1, tok) = exports.list(None, 2, None).unwrap();
    let (page2, tok2) = exports.list(None, 2, tok.as_deref()).unwrap();
    let (page3, tok3) = exports.list(None, 2, tok2.as_deref()).unwrap();
    let got: Vec<String> = page1
        .iter()
        .chain(&page2)
        .chain(&page3)
        .map(|r| r.export_arn.clone())
        .collect();
    assert_eq!(got, arns);
    assert_eq!(tok3, None);
    let arn = "arn:aws:dynamodb:us-east-1:000000000000:table/lst".to_string();
    assert_eq!(
        exports.list(Some((&arn, "lst")), 25, None).unwrap().0.len(),
        5
    );
    assert_eq!(
        exports
            .list(
                Some(("arn:aws:dynamodb:us-east-1:000000000000:table/x", "x")),
                25,
                None
            )
            .unwrap()
            .0
            .len(),
        0
    );
    assert_eq!(
        exports.describe(&arns[0]).unwrap().status,
        ExportStatus::Completed
    );
    assert_eq!(
        exports.describe(&arn).unwrap_err().to_string(),
        "Invalid Export ARN"
    );
    let ghost = format!("{arn}/export/01693685827463-2d8752fd");
    assert_eq!(
        exports.describe(&ghost).unwrap_err().to_string(),
        format!("Export not found: Export not found: {ghost}")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_export_is_resumed_with_the_same_data() {
    let engine = engine();
    let t = table(&engine, "resume", true);
    for i in 0..40 {
        put(&t, item(&format!("k{i}"), i, "v"));
    }
    let sink = MemorySink::default();
    // Record an export as a crashed process would have left it: IN_PROGRESS
    // with some stray data file and no manifest.
    let exports = registry(&engine, &sink, 2);
    let mut rec = exports.start(request(&t)).unwrap();
    finish(&exports, &rec.export_arn).await;
    rec.status = ExportStatus::InProgress;
    let store = record::RecordStore::new(engine.meta());
    store.put(&rec).unwrap();
    for i in 40..60 {
        put(&t, item(&format!("k{i}"), i, "after"));
    }
    let before: Vec<String> = sink.keys();
    let exports = registry(&engine, &sink, 2);
    assert_eq!(exports.recover().unwrap(), 1);
    let done = finish(&exports, &rec.export_arn).await;
    assert_eq!(done.status, ExportStatus::Completed);
    assert_eq!(
        done.item_count,
        Some(40),
        "the resumed export reads its own export time"
    );
    assert_eq!(verify_manifests(&sink, &done).len(), 40);
    assert!(
        sink.keys().len() > before.len(),
        "new data files were written"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_concurrent_export_limit_applies() {
    let engine = engine();
    let t = table(&engine, "lim", true);
    for i in 0..3000 {
        put(&t, item(&format!("k{i}"), i, &"x".repeat(200)));
    }
    let sink = MemorySink::default();
    let exports = Exports::new(
        engine.clone(),
        Arc::new(sink.clone()),
        tokio::runtime::Handle::current(),
        ExportConfig {
            max_concurrent: 1,
            run: RunConfig {
                workers: 1,
                partitions: Some(64),
                ..Default::default()
            },
        },
    );
    let a = exports.start(request(&t)).unwrap();
    match exports.start(request(&t)) {
        Err(ExportError::LimitExceeded(m)) => {
            assert_eq!(m, "You have exceeded the limit of 1 concurrent exports")
        }
        other => {
            // The first export may already have finished on a fast machine.
            assert!(!exports.is_running(&a.export_id), "{other:?}");
        }
    }
    finish(&exports, &a.export_arn).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_copies_the_table_as_of_a_time() {
    let engine = engine();
    let src = table(&engine, "src", true);
    for i in 0..100 {
        put(&src, item(&format!("k{i}"), i, "old"));
    }
    engine.clock().advance(1000);
    let at = engine.clock().now();
    for i in 0..50 {
        del(&src, key(&format!("k{i}"), i));
    }
    put(&src, item("new", 1, "x"));
    let mut def = src.def();
    def.name = "dst".into();
    def.id = uuid::Uuid::new_v4().to_string();
    def.status = TableStatus::Creating;
    def.pitr = None;
    let dst = engine.create_table(def).unwrap();
    let restores = restore::Restores::new(
        engine.clone(),
        tokio::runtime::Handle::current(),
        Arc::new(restore::activate),
    );
    restores.start(&src, &dst, at).unwrap();
    let deadline = std::time::Instant::now() + JOB_TIMEOUT;
    while dst.def().status != TableStatus::Active {
        assert!(
            std::time::Instant::now() < deadline,
            "the restore did not finish"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(!restores.is_running("dst"));
    for i in 0..100 {
        assert_eq!(
            dst.get(&key(&format!("k{i}"), i), None).unwrap(),
            Some(item(&format!("k{i}"), i, "old"))
        );
    }
    assert_eq!(dst.get(&key("new", 1), None).unwrap(), None);
}

/// `ferry export --data-dir` of a table without PITR: the current state
/// only; another ExportTime is refused; an interrupted one is not resumed
/// (the table may have changed) but ends FAILED.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_pitr_exports_now_and_is_never_resumed() {
    let engine = engine();
    let t = table(&engine, "nopitr", false);
    for i in 0..30 {
        put(&t, item(&format!("k{i}"), i, "v"));
    }
    let sink = MemorySink::default();
    let exports = registry(&engine, &sink, 3);
    let mut earlier = request(&t);
    earlier.without_pitr = true;
    earlier.export_time = Some(engine.clock().now() - 1);
    assert!(matches!(
        exports.start(earlier),
        Err(ExportError::InvalidExportTime(m)) if m == "Export Time is invalid"
    ));
    let mut req = request(&t);
    req.without_pitr = true;
    let started = exports.start(req).unwrap();
    let mut rec = finish(&exports, &started.export_arn).await;
    assert_eq!(
        rec.status,
        ExportStatus::Completed,
        "{:?}",
        rec.failure_message
    );
    assert_eq!(rec.item_count, Some(30));
    assert_eq!(verify_manifests(&sink, &rec).len(), 30);

    rec.status = ExportStatus::InProgress;
    record::RecordStore::new(engine.meta()).put(&rec).unwrap();
    let exports = registry(&engine, &sink, 3);
    assert_eq!(exports.recover().unwrap(), 0);
    let failed = exports.describe(&rec.export_arn).unwrap();
    assert_eq!(failed.status, ExportStatus::Failed);
    assert_eq!(
        failed.failure_code.as_deref(),
        Some("PointInTimeRecoveryUnavailableException")
    );
}

/// A job's progress is the sum of its finished files; nothing before the
/// first one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_counts_finished_files() {
    let engine = engine();
    let t = table(&engine, "progress", true);
    for i in 0..25 {
        put(&t, item(&format!("k{i}"), i, "v"));
    }
    let sink = MemorySink::default();
    let exports = registry(&engine, &sink, 4);
    let rec = exports.start(request(&t)).unwrap();
    let rec = finish(&exports, &rec.export_arn).await;
    assert_eq!(exports.progress(&rec.export_id), None, "not running");
    let progress = Progress::default();
    assert_eq!(progress.get(), None);
    let config = RunConfig {
        workers: 2,
        partitions: Some(4),
        ..Default::default()
    };
    let done = run_export(
        &engine,
        &sink,
        &config,
        &rec,
        &std::sync::atomic::AtomicBool::new(false),
        &progress,
    )
    .unwrap();
    assert_eq!(done.item_count, 25);
    assert_eq!(
        progress.get(),
        Some((done.item_count, done.billed_size_bytes))
    );
}

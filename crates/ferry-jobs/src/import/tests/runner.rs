//! The import runner against a real engine and an in-memory object source:
//! statuses, counters, failure codes, the error log, ClientToken rules,
//! limits, listing, and recovery after a restart.

use std::sync::Arc;

use ferry_model::{AttributeValue, TableStatus};
use ferry_storage::{Engine, EngineConfig, ScanSpec};

use super::fakes::*;
use crate::cwlogs::{GetEventsQuery, IMPORT_LOG_GROUP, LogStore};
use crate::import::spec::*;
use crate::import::{DescribeError, ImportConfig, Imports, StartError};

struct Env {
    engine: Arc<Engine>,
    logs: Arc<LogStore>,
    src: Arc<MemSource>,
    imports: Arc<Imports>,
}

fn env_at(config: EngineConfig, src: Arc<MemSource>) -> Env {
    let engine = Engine::open(config).unwrap();
    let logs = Arc::new(LogStore::new(engine.clone()));
    let imports = Imports::open(
        engine.clone(),
        logs.clone(),
        src.clone(),
        ImportConfig::default(),
    )
    .unwrap();
    Env {
        engine,
        logs,
        src,
        imports,
    }
}

fn env() -> Env {
    env_at(EngineConfig::default(), MemSource::new())
}

fn request(table_name: &str, bucket: &str, prefix: &str, format: InputFormat) -> ImportRequest {
    ImportRequest {
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        client_token: format!("token-{table_name}"),
        source: S3Source {
            bucket: bucket.into(),
            key_prefix: Some(prefix.into()),
            bucket_owner: None,
        },
        format,
        compression: None,
        format_options: None,
        table: table(table_name, false),
        table_creation_parameters: serde_json::json!({"TableName": table_name}),
        into_existing: false,
    }
}

fn finish(env: &Env, view: &ImportView) -> ImportView {
    env.imports.wait_idle();
    env.imports.describe(&view.record.arn).unwrap()
}

fn scan_keys(env: &Env, name: &str) -> Vec<String> {
    let table = env.engine.table(name).unwrap();
    let spec = ScanSpec {
        index: None,
        segment: None,
        exclusive_start: None,
    };
    let mut keys: Vec<String> = table
        .scan(&spec)
        .unwrap()
        .map(|i| match i.unwrap().get("pk") {
            Some(AttributeValue::S(s)) => s.clone(),
            other => format!("{other:?}"),
        })
        .collect();
    keys.sort();
    keys
}

fn error_events(env: &Env, view: &ImportView) -> Vec<String> {
    let q = GetEventsQuery {
        start_from_head: true,
        ..Default::default()
    };
    match env
        .logs
        .get_events(IMPORT_LOG_GROUP, &format!("{}/error", view.record.id), &q)
    {
        Ok(page) => page.events.into_iter().map(|e| e.message).collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn import_completes_and_the_table_becomes_active() {
    let env = env();
    env.src.put("b", "in/a.json", json_lines("a", 0..500));
    env.src.put("b", "in/b.json", json_lines("b", 0..500));
    let view = env
        .imports
        .start(request("Tab1", "b", "in/", InputFormat::DynamoDbJson))
        .unwrap();
    assert_eq!(view.record.status, ImportStatus::InProgress);
    assert_eq!(view.counters, Counters::default());
    assert_eq!(view.processed_size_bytes(), None);
    assert!(
        view.record
            .arn
            .starts_with("arn:aws:dynamodb:us-east-1:123456789012:table/Tab1/import/")
    );
    assert!(crate::ids::is_job_id(&view.record.id));
    assert_eq!(
        view.record.source.bucket_owner.as_deref(),
        Some("123456789012")
    );
    let done = finish(&env, &view);
    assert_eq!(done.record.status, ImportStatus::Completed);
    assert_eq!(done.record.failure, None);
    assert_eq!(done.counters.processed_items, 1000);
    assert_eq!(done.counters.imported_items, 1000);
    assert_eq!(done.counters.errors, 0);
    assert!(done.record.end_millis.unwrap() >= done.record.start_millis);
    let table = env.engine.table("Tab1").unwrap();
    assert_eq!(table.def().status, TableStatus::Active);
    assert_eq!(table.def().id, view.record.table_id);
    assert_eq!(scan_keys(&env, "Tab1").len(), 1000);
}

#[test]
fn bad_items_end_failed_with_item_validation_error_and_log_events() {
    let env = env();
    env.src.put(
        "b",
        "import-test.csv",
        b"title,artist,year_of_release\nThe Dark Side of the Moon,Pink Floyd,1973\n".to_vec(),
    );
    let mut req = request("target-table", "b", "import-test.csv", InputFormat::Csv);
    req.table = table("target-table", false);
    let view = env.imports.start(req).unwrap();
    let done = finish(&env, &view);
    assert_eq!(done.record.status, ImportStatus::Failed);
    let failure = done.record.failure.clone().unwrap();
    assert_eq!(failure.code, "ItemValidationError");
    assert_eq!(
        failure.message,
        "Some of the items failed validation checks and were not imported. Please check CloudWatch error logs for more details."
    );
    assert_eq!(
        done.counters,
        Counters {
            processed_bytes: 71,
            processed_items: 1,
            imported_items: 0,
            errors: 1
        }
    );
    assert_eq!(
        error_events(&env, &done),
        vec![format!(
            "{{\"itemS3Pointer\":{{\"bucket\":\"b\",\"key\":\"import-test.csv\",\"itemIndex\":0}},\"importArn\":\"{}\",\"errorMessages\":[\"One or more parameter values were invalid: Missing the key pk in the item\"]}}",
            done.record.arn
        )]
    );
    // The table exists, ACTIVE and empty.
    assert_eq!(
        env.engine.table("target-table").unwrap().def().status,
        TableStatus::Active
    );
    assert!(scan_keys(&env, "target-table").is_empty());
}

#[test]
fn missing_bucket_fails_without_a_table() {
    let env = env();
    let view = env
        .imports
        .start(request(
            "Tab2",
            "BUCKET_DOES_NOT_EXIST",
            "import-test",
            InputFormat::Csv,
        ))
        .unwrap();
    // The table exists (CREATING) while the import runs...
    let done = finish(&env, &view);
    assert_eq!(done.record.status, ImportStatus::Failed);
    let failure = done.record.failure.clone().unwrap();
    assert_eq!(failure.code, "S3NoSuchBucket");
    assert!(
        failure.message.starts_with("The specified bucket does not exist (Service: Amazon S3; Status Code: 404; Error Code: NoSuchBucket; Request ID: "),
        "{}",
        failure.message
    );
    assert_eq!(done.counters, Counters::default());
    assert_eq!(done.processed_size_bytes(), Some(0));
    // ... and is gone once it failed.
    assert!(env.engine.table("Tab2").is_none());
}

#[test]
fn empty_prefix_completes_with_an_empty_table() {
    let env = env();
    env.src.bucket("b");
    let done = finish(
        &env,
        &env.imports
            .start(request("Tab3", "b", "nothing/", InputFormat::DynamoDbJson))
            .unwrap(),
    );
    assert_eq!(done.record.status, ImportStatus::Completed);
    assert_eq!(
        env.engine.table("Tab3").unwrap().def().status,
        TableStatus::Active
    );
}

#[test]
fn duplicate_keys_overwrite_and_count_as_imported() {
    let env = env();
    let data = b"{\"Item\":{\"pk\":{\"S\":\"dup\"},\"w\":{\"S\":\"first\"}}}\n{\"Item\":{\"pk\":{\"S\":\"dup\"},\"w\":{\"S\":\"second\"}}}\n{\"Item\":{\"pk\":{\"S\":\"one\"}}}\n";
    env.src.put("b", "d", data.to_vec());
    let done = finish(
        &env,
        &env.imports
            .start(request("Tab4", "b", "d", InputFormat::DynamoDbJson))
            .unwrap(),
    );
    assert_eq!(done.record.status, ImportStatus::Completed);
    assert_eq!(done.counters.processed_items, 3);
    assert_eq!(done.counters.imported_items, 3);
    assert_eq!(scan_keys(&env, "Tab4"), vec!["dup", "one"]);
    let table = env.engine.table("Tab4").unwrap();
    let key = ferry_model::PrimaryKey {
        hash: AttributeValue::S("dup".into()),
        range: None,
    };
    let item = table.get(&key, None).unwrap().unwrap();
    assert_eq!(item.get("w"), Some(&AttributeValue::S("second".into())));
}

#[test]
fn existing_table_and_running_import_target_are_refused() {
    let env = env();
    env.src.put("b", "x", json_lines("a", 0..3));
    env.engine
        .create_table({
            let mut t = table("Taken", false);
            t.id = "00000000-0000-0000-0000-000000000000".into();
            t.status = TableStatus::Active;
            t
        })
        .unwrap();
    let e = env
        .imports
        .start(request("Taken", "b", "x", InputFormat::DynamoDbJson))
        .unwrap_err();
    assert!(matches!(&e, StartError::TableExists(n) if n == "Taken"));
    assert_eq!(e.to_string(), "Table already exists: Taken");
    assert_eq!(
        env.imports.list(None, None, 25).0.len(),
        0,
        "a refused request records nothing"
    );
}

#[test]
fn client_token_replays_and_conflicts() {
    let env = env();
    env.src.put("b", "x", json_lines("a", 0..3));
    // Hold the import in its listing phase so the replay sees it running.
    let gate = Arc::new(parking_lot::Mutex::new(()));
    let guard = gate.lock();
    let g2 = gate.clone();
    *env.src.on_open.lock() = Some(Box::new(move |_, _| drop(g2.lock())));
    let req = request("Tab5", "b", "x", InputFormat::DynamoDbJson);
    let first = env.imports.start(req.clone()).unwrap();
    let again = env.imports.start(req.clone()).unwrap();
    assert_eq!(again.record.arn, first.record.arn);
    assert_eq!(again.record.table_id, first.record.table_id);
    let mut other = req.clone();
    other.table.name = "Tab5b".into();
    let e = env.imports.start(other).unwrap_err();
    assert!(
        matches!(e, StartError::Conflict(ref m) if m == "Import conflict: Duplicate request detected with conflicting parameters")
    );
    let mut other = req.clone();
    other.source.key_prefix = Some("y".into());
    assert!(matches!(
        env.imports.start(other).unwrap_err(),
        StartError::Conflict(_)
    ));
    drop(guard);
    finish(&env, &first);
    // Finished: the token still names it (before the table check), and
    // other parameters still conflict rather than meet "Table already exists".
    let after = env.imports.start(req.clone()).unwrap();
    assert_eq!(after.record.arn, first.record.arn);
    assert_eq!(after.record.status, ImportStatus::Completed);
    let mut other = req;
    other.source.key_prefix = Some("y".into());
    assert!(matches!(
        env.imports.start(other).unwrap_err(),
        StartError::Conflict(_)
    ));
}

#[test]
fn too_many_imports_in_progress() {
    let env = env();
    env.src.put("b", "x", json_lines("a", 0..1));
    let gate = Arc::new(parking_lot::Mutex::new(()));
    let guard = gate.lock();
    let g2 = gate.clone();
    *env.src.on_open.lock() = Some(Box::new(move |_, _| drop(g2.lock())));
    for i in 0..50 {
        env.imports
            .start(request(
                &format!("L{i:02}"),
                "b",
                "x",
                InputFormat::DynamoDbJson,
            ))
            .unwrap();
    }
    let e = env
        .imports
        .start(request("L50", "b", "x", InputFormat::DynamoDbJson))
        .unwrap_err();
    assert!(matches!(e, StartError::LimitExceeded(_)));
    assert!(env.engine.table("L50").is_none());
    drop(guard);
    env.imports.wait_idle();
    let (page, next) = env.imports.list(None, None, 25);
    assert_eq!(page.len(), 25);
    let (rest, end) = env.imports.list(None, next.as_deref(), 25);
    assert_eq!(rest.len(), 25);
    assert_eq!(end, None);
    assert!(
        page.iter()
            .chain(rest.iter())
            .all(|v| v.record.status == ImportStatus::Completed)
    );
    let (one, _) = env.imports.list(Some(&page[3].record.table_arn), None, 25);
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].record.arn, page[3].record.arn);
}

#[test]
fn describe_rejects_malformed_and_unknown_arns() {
    let env = env();
    assert_eq!(
        env.imports.describe(
            "arn:aws:dynamodb:us-east-1:123456789012:table/x/import/01658528578619-c4d4e311"
        ),
        Err(DescribeError::InvalidArn(
            "arn:aws:dynamodb:us-east-1:123456789012:table/x/import/01658528578619-c4d4e311".into()
        ))
    );
    assert!(matches!(
        env.imports.describe("nonsense"),
        Err(DescribeError::InvalidArn(_))
    ));
    assert!(matches!(
        env.imports.describe(
            "arn:aws:dynamodb:us-east-1:123456789012:table/abc/import/01658528578619-c4d4e311"
        ),
        Err(DescribeError::NotFound(_))
    ));
}

#[test]
fn a_restart_mid_import_reruns_it_from_scratch() {
    let dir = tempfile::tempdir().unwrap();
    let config = EngineConfig {
        path: Some(dir.path().to_path_buf()),
        sync: false,
    };
    let src = MemSource::new();
    src.put("b", "in/a", json_lines("a", 0..300));
    src.put("b", "in/b", b"{\"Item\":{}}\n".to_vec());
    let arn;
    {
        let env = env_at(config.clone(), src.clone());
        // Stop the job while it reads its first object.
        let imports = env.imports.clone();
        *src.on_open.lock() = Some(Box::new(move |_, _| imports.stop_running()));
        let view = env
            .imports
            .start(request("Run1", "b", "in/", InputFormat::DynamoDbJson))
            .unwrap();
        arn = view.record.arn.clone();
        env.imports.wait_idle();
        let mid = env.imports.describe(&arn).unwrap();
        assert_eq!(mid.record.status, ImportStatus::InProgress);
        assert_eq!(
            env.engine.table("Run1").unwrap().def().status,
            TableStatus::Creating
        );
        *src.on_open.lock() = None;
        env.imports.shutdown();
        env.engine.flush().unwrap();
    }
    let env = env_at(config, src.clone());
    assert_eq!(
        env.imports.describe(&arn).unwrap().record.status,
        ImportStatus::InProgress
    );
    env.imports.recover();
    env.imports.wait_idle();
    let done = env.imports.describe(&arn).unwrap();
    assert_eq!(done.record.status, ImportStatus::Failed);
    assert_eq!(done.record.attempts, 2);
    assert_eq!(done.counters.imported_items, 300);
    assert_eq!(done.counters.errors, 1);
    assert_eq!(
        error_events(&env, &done).len(),
        1,
        "the log starts over with the import"
    );
    assert_eq!(scan_keys(&env, "Run1").len(), 300);
    assert_eq!(
        env.engine.table("Run1").unwrap().def().status,
        TableStatus::Active
    );
}

#[test]
fn describe_shows_live_counters_while_the_import_runs() {
    // Deterministic: the second object cannot be opened until the test lets
    // it, so the import is IN_PROGRESS with the first object's items counted.
    let env = env();
    env.src.put("b", "live/0.json", json_lines("a", 0..500));
    env.src.put("b", "live/1.json", json_lines("b", 0..500));
    let gate = Arc::new(parking_lot::Mutex::new(()));
    let guard = gate.lock();
    let g2 = gate.clone();
    *env.src.on_open.lock() = Some(Box::new(move |_, key| {
        if key.ends_with("1.json") {
            drop(g2.lock());
        }
    }));
    let view = env
        .imports
        .start(request("Live", "b", "live/", InputFormat::DynamoDbJson))
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let live = loop {
        let d = env.imports.describe(&view.record.arn).unwrap();
        if d.counters.imported_items == 500 {
            break d;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the first object was not imported: {:?}",
            d.counters
        );
        std::thread::yield_now();
    };
    assert_eq!(live.record.status, ImportStatus::InProgress);
    assert_eq!(live.record.end_millis, None);
    assert_eq!(
        (live.counters.processed_items, live.counters.errors),
        (500, 0)
    );
    assert!(live.counters.processed_bytes > 0);
    assert_eq!(
        env.engine.table("Live").unwrap().def().status,
        TableStatus::Creating
    );
    drop(guard);
    let done = finish(&env, &view);
    assert_eq!(done.record.status, ImportStatus::Completed);
    assert_eq!(done.counters.imported_items, 1000);
}

#[test]
fn an_unreadable_import_record_is_an_error_at_open_not_a_missing_import() {
    let dir = tempfile::tempdir().unwrap();
    let config = || EngineConfig {
        path: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    {
        let engine = Engine::open(config()).unwrap();
        engine
            .meta()
            .put("import.job", b"20260101000000-broken", b"{\"v\":1,\"id\":")
            .unwrap();
    }
    let engine = Engine::open(config()).unwrap();
    let logs = Arc::new(LogStore::new(engine.clone()));
    let opened = Imports::open(
        engine,
        logs,
        Arc::new(MemSource::default()),
        ImportConfig::default(),
    );
    let Err(e) = opened else {
        panic!("a corrupt import record must not be skipped");
    };
    assert!(
        e.to_string()
            .contains("import record 20260101000000-broken"),
        "{e}"
    );
}

//! Engine tests: catalog operations, restarts, table deletion, definition
//! changes, PITR retention and pruning, the version layout on disk.

use std::sync::Arc;

use ferry_model::{AttributeValue, PitrSettings, PrimaryKey, TableStatus};
use fjall::Readable;

use super::{item, n, s, table_def};
use crate::keys::split_version_key;
use crate::{Engine, EngineConfig, StorageError, Table, TableStats, Write};

fn key(pk: &str, sk: i64) -> PrimaryKey {
    PrimaryKey {
        hash: s(pk),
        range: Some(n(sk)),
    }
}

fn put(t: &Table, pk: &str, sk: i64, v: &str) -> i64 {
    let it = item(&[("pk", s(pk)), ("sk", n(sk)), ("v", s(v))]);
    t.write(&key(pk, sk), |_| Ok::<_, ()>(Write::Put(it)))
        .expect("put")
        .1
}

fn delete(t: &Table, pk: &str, sk: i64) -> i64 {
    t.write(&key(pk, sk), |_| Ok::<_, ()>(Write::Delete))
        .expect("delete")
        .1
}

fn value(t: &Table, pk: &str, sk: i64, at: Option<i64>) -> Option<String> {
    t.get(&key(pk, sk), at)
        .expect("get")
        .map(|it| match &it["v"] {
            AttributeValue::S(v) => v.clone(),
            other => panic!("unexpected {other:?}"),
        })
}

/// Commit stamps of every stored version of the table, newest first per key.
fn versions(t: &Table) -> Vec<i64> {
    let snap = t.store.snapshot();
    snap.prefix(&t.store.items, t.tid.to_be_bytes())
        .map(|g| {
            let k = g.key().expect("key");
            split_version_key(&k).expect("split").1
        })
        .collect()
}

fn open(dir: &std::path::Path) -> Arc<Engine> {
    Engine::open(EngineConfig {
        path: Some(dir.to_path_buf()),
        sync: true,
    })
    .expect("open")
}

#[test]
fn catalog_operations_and_errors() {
    let e = Engine::open(EngineConfig::default()).expect("open");
    e.create_table(table_def("b", vec![], false))
        .expect("create");
    e.create_table(table_def("a", vec![], false))
        .expect("create");
    let err = e
        .create_table(table_def("a", vec![], false))
        .err()
        .expect("exists");
    assert_eq!(err.to_string(), "table already exists: a");
    let names: Vec<String> = e.tables().iter().map(|t| t.def().name).collect();
    assert_eq!(names, vec!["a", "b"]);
    assert!(e.table("c").is_none());
    let err = e.delete_table("c").expect_err("missing");
    assert!(matches!(err, StorageError::TableNotFound(ref n) if n == "c"));
    let def = e.delete_table("a").expect("delete");
    assert_eq!(def.name, "a");
    assert!(e.table("a").is_none());
}

#[test]
fn everything_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let last_ts;
    {
        let e = open(dir.path());
        let t = e
            .create_table(table_def("t", vec![], true))
            .expect("create");
        put(&t, "a", 1, "one");
        put(&t, "a", 2, "two");
        put(&t, "b", 1, "x");
        delete(&t, "b", 1);
        last_ts = put(&t, "a", 1, "uno");
        t.update_def(&mut |d| d.status = TableStatus::Updating)
            .expect("update");
        e.meta().put("jobs", b"j1", b"record").expect("meta");
    }
    let e = open(dir.path());
    let t = e.table("t").expect("table is back");
    assert_eq!(t.def().status, TableStatus::Updating);
    assert_eq!(
        t.def().settings.billing_mode,
        Some(ferry_model::BillingMode::PayPerRequest)
    );
    assert_eq!(value(&t, "a", 1, None).as_deref(), Some("uno"));
    assert_eq!(value(&t, "a", 1, Some(last_ts - 1)).as_deref(), Some("one"));
    assert_eq!(value(&t, "b", 1, None), None);
    assert_eq!(t.stats().item_count, 2);
    assert_eq!(
        e.meta().get("jobs", b"j1").expect("meta"),
        Some(b"record".to_vec())
    );
    let ts = put(&t, "c", 1, "after");
    assert!(ts > last_ts, "stamps keep increasing across restarts");
}

#[test]
fn deleted_tables_are_purged_and_ids_not_reused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let e = open(dir.path());
    let t = e
        .create_table(table_def("t", vec![], false))
        .expect("create");
    for i in 0..100 {
        put(&t, "p", i, "v");
    }
    let old_tid = t.tid;
    e.delete_table("t").expect("delete");
    let err = t.get(&key("p", 1), None).expect_err("gone");
    assert_eq!(err.to_string(), "table not found: t");
    let err = t
        .write(&key("p", 1), |_| Ok::<_, ()>(Write::Delete))
        .expect_err("gone");
    assert_eq!(err.to_string(), "table not found: t");
    e.wait_for_purges();
    assert!(versions(&t).is_empty(), "data purged");
    let t2 = e
        .create_table(table_def("t", vec![], false))
        .expect("recreate");
    assert!(t2.tid > old_tid);
    assert_eq!(value(&t2, "p", 1, None), None);
    assert_eq!(t2.stats(), TableStats::default());
    drop((t, t2, e));
    let e = open(dir.path());
    assert_eq!(
        e.table("t").expect("new table").stats(),
        TableStats::default()
    );
}

#[test]
fn without_pitr_only_the_newest_version_is_kept() {
    let e = Engine::open(EngineConfig::default()).expect("open");
    let t = e
        .create_table(table_def("t", vec![], false))
        .expect("create");
    let t1 = put(&t, "a", 1, "one");
    let t2 = put(&t, "a", 1, "two");
    assert_eq!(versions(&t), vec![t2]);
    assert!(t2 > t1);
    delete(&t, "a", 1);
    assert!(versions(&t).is_empty(), "a delete removes the key");
    assert_eq!(t.earliest_restorable(), None);
}

#[test]
fn pitr_keeps_history_and_the_pruner_keeps_the_window() {
    let e = Engine::open(EngineConfig::default()).expect("open");
    let t = e
        .create_table(table_def("t", vec![], false))
        .expect("create");
    let enabled = e.clock().now();
    t.update_def(&mut |d| {
        d.pitr = Some(PitrSettings {
            recovery_period_days: 1,
            enabled_micros: enabled,
        })
    })
    .expect("enable pitr");
    assert_eq!(t.earliest_restorable(), Some(enabled));
    let v1 = put(&t, "a", 1, "one");
    let v2 = put(&t, "a", 1, "two");
    let d1 = delete(&t, "b", 1); // absent: no tombstone
    let b1 = put(&t, "b", 1, "bee");
    let b2 = delete(&t, "b", 1);
    assert!(d1 < b1);
    let mut all = versions(&t);
    all.sort();
    assert_eq!(all, vec![v1, v2, b1, b2]);
    assert_eq!(value(&t, "a", 1, Some(v1)).as_deref(), Some("one"));
    assert_eq!(value(&t, "b", 1, Some(b1)).as_deref(), Some("bee"));
    assert_eq!(value(&t, "b", 1, Some(b2)), None);
    assert_eq!(
        e.prune_history().expect("prune"),
        0,
        "all inside the window"
    );

    // Two days later: only what a read at the window start needs remains.
    e.clock().advance(2 * 86_400_000_000);
    let v3 = put(&t, "a", 1, "three");
    let start = t.earliest_restorable().expect("pitr on");
    assert!(start > v2 && start < v3);
    assert_eq!(e.prune_history().expect("prune"), 3);
    let mut left = versions(&t);
    left.sort();
    assert_eq!(left, vec![v2, v3], "v1 and b's tombstone + put are gone");
    assert_eq!(value(&t, "a", 1, Some(start)).as_deref(), Some("two"));
    assert_eq!(value(&t, "a", 1, None).as_deref(), Some("three"));
    assert_eq!(value(&t, "b", 1, Some(start)), None);

    // PITR off: the next pass leaves one version per key.
    t.update_def(&mut |d| d.pitr = None).expect("disable");
    assert_eq!(e.prune_history().expect("prune"), 1);
    assert_eq!(versions(&t), vec![v3]);
    assert!(!t.state().record.history);
    assert_eq!(e.prune_history().expect("prune"), 0);
}

#[test]
fn update_def_keeps_name_key_and_indexes() {
    let e = Engine::open(EngineConfig::default()).expect("open");
    let t = e
        .create_table(table_def("t", vec![], false))
        .expect("create");
    let def = t
        .update_def(&mut |d| {
            d.name = "renamed".to_string();
            d.key.range = None;
            d.status = TableStatus::Deleting;
            d.settings.ttl_attribute = Some("x".to_string());
        })
        .expect("update");
    assert_eq!(def.name, "t");
    assert!(def.key.range.is_some());
    assert_eq!(def.status, TableStatus::Deleting);
    assert_eq!(t.def(), def);
    assert_eq!(
        e.table("t").expect("table").def().settings.ttl_attribute,
        Some("x".to_string())
    );
}

#[test]
fn invalid_requests_are_refused() {
    let e = Engine::open(EngineConfig::default()).expect("open");
    let t = e
        .create_table(table_def("t", vec![], false))
        .expect("create");
    let bad = PrimaryKey {
        hash: n(1),
        range: Some(n(1)),
    };
    let err = t.get(&bad, None).expect_err("type");
    assert_eq!(
        err.to_string(),
        "invalid request: key attribute pk must be of type S, got N"
    );
    let other = item(&[("pk", s("b")), ("sk", n(1))]);
    let err = t
        .write(&key("a", 1), |_| Ok::<_, ()>(Write::Put(other)))
        .expect_err("mismatch");
    assert_eq!(
        err.to_string(),
        "invalid request: the item's key attributes do not match the key written"
    );
    let err = t
        .write_many(&[key("a", 1), key("a", 1)], |_| Ok::<_, ()>(vec![]))
        .expect_err("dup");
    assert_eq!(
        err.to_string(),
        "invalid request: duplicate keys in one write"
    );
    let err = t
        .write_many(&[key("a", 1)], |_| Ok::<_, ()>(vec![]))
        .expect_err("count");
    assert_eq!(
        err.to_string(),
        "invalid request: 0 writes decided for 1 keys"
    );
    let err = t
        .scan(&crate::ScanSpec {
            index: None,
            segment: Some((3, 3)),
            exclusive_start: None,
        })
        .err()
        .expect("segment");
    assert_eq!(
        err.to_string(),
        "invalid request: segment 3 out of range for 3 segments"
    );
    let err = t
        .query(&crate::QuerySpec {
            index: Some("nope".to_string()),
            hash: s("a"),
            sort: None,
            forward: true,
            exclusive_start: None,
        })
        .err()
        .expect("index");
    assert!(matches!(err, StorageError::IndexNotFound(ref i) if i == "nope"));
}

#[test]
fn concurrent_writers_on_two_threads() {
    let e = Engine::open(EngineConfig::default()).expect("open");
    let t = e
        .create_table(table_def("t", vec![], false))
        .expect("create");
    let counter = item(&[("pk", s("c")), ("sk", n(0)), ("n", n(0))]);
    put(&t, "c", 0, "start");
    t.write(&key("c", 0), |_| Ok::<_, ()>(Write::Put(counter)))
        .expect("init");
    std::thread::scope(|sc| {
        for w in 0..2 {
            let t = &t;
            sc.spawn(move || {
                for i in 0..200 {
                    put(t, &format!("w{w}"), i, "v");
                    t.write(&key("c", 0), |cur| {
                        let cur = cur.expect("counter exists");
                        let AttributeValue::N(v) = &cur["n"] else {
                            panic!("not a number")
                        };
                        let next = v
                            .checked_add(&ferry_model::Number::from(1i64))
                            .expect("add");
                        let mut it = cur.clone();
                        it.insert("n".to_string(), AttributeValue::N(next));
                        Ok::<_, ()>(Write::Put(it))
                    })
                    .expect("increment");
                }
            });
        }
    });
    let c = t.get(&key("c", 0), None).expect("get").expect("counter");
    assert_eq!(c["n"], n(400), "read-modify-write is atomic");
    assert_eq!(t.stats().item_count, 401);
}

/// The child half of `acknowledged_writes_survive_a_crash`: write, then die
/// without running any destructor (like `kill -9`).
fn crash_child(dir: &std::path::Path) -> ! {
    let e = Engine::open(EngineConfig {
        path: Some(dir.to_path_buf()),
        sync: false,
    })
    .expect("open");
    let t = e
        .create_table(table_def("t", vec![], false))
        .expect("create");
    for i in 0..300 {
        put(&t, "p", i, "v");
    }
    delete(&t, "p", 0);
    let loader = t.bulk_loader();
    let items = (0..1000)
        .map(|i| item(&[("pk", s("bulk")), ("sk", n(i)), ("v", s("b"))]))
        .collect();
    loader.write(items).expect("bulk");
    loader.finish().expect("finish");
    // A load that never finishes is lost as a whole.
    let lost = t.bulk_loader();
    lost.write(vec![item(&[
        ("pk", s("lost")),
        ("sk", n(1)),
        ("v", s("l")),
    ])])
    .expect("bulk");
    e.meta().put("ns", b"k", b"v").expect("meta");
    std::process::abort();
}

#[test]
fn acknowledged_writes_survive_a_crash() {
    const VAR: &str = "FERRY_STORAGE_CRASH_CHILD_DIR";
    if let Ok(dir) = std::env::var(VAR) {
        crash_child(std::path::Path::new(&dir));
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let status = std::process::Command::new(std::env::current_exe().expect("exe"))
        .args([
            "--exact",
            "tests::engine::acknowledged_writes_survive_a_crash",
            "--test-threads=1",
        ])
        .env(VAR, dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("child runs");
    assert!(!status.success(), "the child aborts");
    let e = open(dir.path());
    let t = e.table("t").expect("table survived");
    assert_eq!(value(&t, "p", 0, None), None);
    assert_eq!(value(&t, "p", 299, None).as_deref(), Some("v"));
    assert_eq!(value(&t, "bulk", 999, None).as_deref(), Some("b"));
    assert_eq!(value(&t, "lost", 1, None), None);
    assert_eq!(t.stats().item_count, 299 + 1000);
    assert_eq!(e.meta().get("ns", b"k").expect("meta"), Some(b"v".to_vec()));
}

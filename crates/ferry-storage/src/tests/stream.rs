//! Stream retention and change scans: a table with a stream and PITR off
//! keeps every version for 24 hours, the pruner keeps that window, and the
//! change scan gives one change per write in commit order (identical puts
//! and deletes of missing items are no change).

use ferry_model::PrimaryKey;
use fjall::Readable;

use super::{item, n, s, table_def};
use crate::{Engine, EngineConfig, STREAM_GRACE_MICROS, STREAM_RETENTION_MICROS, Table, Write};

fn key(pk: &str) -> PrimaryKey {
    PrimaryKey {
        hash: s(pk),
        range: Some(n(1)),
    }
}

fn put(t: &Table, pk: &str, v: i64) -> i64 {
    let it = item(&[("pk", s(pk)), ("sk", n(1)), ("v", n(v))]);
    t.write(&key(pk), |_| Ok::<_, ()>(Write::Put(it)))
        .expect("put")
        .1
}

fn delete(t: &Table, pk: &str) -> i64 {
    t.write(&key(pk), |_| Ok::<_, ()>(Write::Delete))
        .expect("delete")
        .1
}

/// (commit stamp, ordinal, whether old / new images exist) of every change.
fn changes(t: &Table, from: i64) -> Vec<(i64, u32, bool, bool)> {
    t.stream_changes(from, i64::MAX, usize::MAX)
        .expect("scan")
        .changes
        .iter()
        .map(|c| (c.ts, c.ordinal, c.old.is_some(), c.new.is_some()))
        .collect()
}

#[test]
fn a_stream_keeps_a_day_of_versions_without_pitr() {
    let e = Engine::open(EngineConfig::default()).expect("open");
    let t = e
        .create_table(table_def("t", vec![], false))
        .expect("create");
    let start = e.clock().now();
    t.set_stream_retention(i64::MAX).expect("keep");
    let a1 = put(&t, "a", 1);
    let a2 = put(&t, "a", 2);
    put(&t, "a", 2); // identical: no change
    delete(&t, "missing"); // no change either
    let b1 = put(&t, "b", 1);
    let b2 = delete(&t, "b");
    let (_, ts) = t
        .write_many(&[key("c"), key("d")], |_| {
            Ok::<_, ()>(vec![
                Write::Put(item(&[("pk", s("c")), ("sk", n(1))])),
                Write::Put(item(&[("pk", s("d")), ("sk", n(1))])),
            ])
        })
        .expect("batch");
    let want = vec![
        (a1, 0, false, true),
        (a2, 0, true, true),
        (b1, 0, false, true),
        (b2, 0, true, false),
        (ts, 0, false, true),
        (ts, 1, false, true),
    ];
    assert_eq!(changes(&t, start), want);
    assert_eq!(e.prune_history().expect("prune"), 0, "inside the day");
    assert_eq!(changes(&t, start), want);

    // A day and a bit later only the newest version per key is needed.
    e.clock()
        .advance(STREAM_RETENTION_MICROS + STREAM_GRACE_MICROS + 1);
    assert!(e.prune_history().expect("prune") > 0);
    let horizon = e.clock().now() - STREAM_RETENTION_MICROS - STREAM_GRACE_MICROS;
    assert_eq!(changes(&t, horizon), vec![]);
    let a3 = put(&t, "a", 3);
    assert_eq!(
        changes(&t, horizon),
        vec![(a3, 0, true, true)],
        "old image kept"
    );

    // Disabled and expired: the pruner ends the retention.
    t.set_stream_retention(e.clock().now()).expect("end");
    e.clock().advance(1);
    e.prune_history().expect("prune");
    assert_eq!(t.state().record.stream_until, None);
    assert!(!t.state().keeps_versions());
}

#[test]
fn a_ttl_deletion_is_marked_and_a_user_delete_is_not() {
    let e = Engine::open(EngineConfig::default()).expect("open");
    let t = e
        .create_table(table_def("t", vec![], false))
        .expect("create");
    let start = e.clock().now();
    t.set_stream_retention(i64::MAX).expect("keep");
    put(&t, "a", 1);
    put(&t, "b", 1);
    put(&t, "c", 1);
    delete(&t, "a");
    t.write(&key("b"), |_| Ok::<_, ()>(Write::Expire))
        .expect("expire");
    // In a multi-item commit only the expired item is marked.
    t.write_many(&[key("c"), key("d")], |_| {
        Ok::<_, ()>(vec![
            Write::Expire,
            Write::Put(item(&[("pk", s("d")), ("sk", n(1))])),
        ])
    })
    .expect("batch");
    let got: Vec<(PrimaryKey, bool, bool)> = t
        .stream_changes(start, i64::MAX, usize::MAX)
        .expect("scan")
        .changes
        .into_iter()
        .map(|c| (c.key, c.new.is_some(), c.expired))
        .collect();
    assert_eq!(
        got[..5],
        [
            (key("a"), true, false),
            (key("b"), true, false),
            (key("c"), true, false),
            (key("a"), false, false),
            (key("b"), false, true),
        ]
    );
    // The items of one commit come in stored-key order (hashed).
    assert_eq!(got.len(), 7);
    assert!(got[5..].contains(&(key("c"), false, true)));
    assert!(got[5..].contains(&(key("d"), true, false)));
    // Reads see an expired item as deleted.
    assert_eq!(t.get(&key("b"), None).expect("get"), None);
}

/// Puts, updates, identical puts, deletes (user and TTL) and multi-item
/// commits over a few keys, `rounds` times.
fn churn(t: &Table, rounds: i64) {
    for r in 0..rounds {
        let pk = |i: i64| format!("k{}", (r * 7 + i) % 11);
        put(t, &pk(0), r % 3);
        put(t, &pk(1), r % 3);
        if r % 4 == 0 {
            delete(t, &pk(2));
        }
        if r % 9 == 0 {
            t.write(&key(&pk(3)), |_| Ok::<_, ()>(Write::Expire))
                .expect("expire");
        }
        if r % 5 == 0 {
            let keys = [key(&pk(4)), key(&pk(5)), key(&pk(6))];
            t.write_many(&keys, |_| {
                Ok::<_, ()>(vec![
                    Write::Put(item(&[("pk", s(&pk(4))), ("sk", n(1)), ("v", n(r))])),
                    Write::Delete,
                    Write::Put(item(&[("pk", s(&pk(6))), ("sk", n(1))])),
                ])
            })
            .expect("batch");
        }
    }
}

/// Reads `[from, now]` in pieces of at most about `max` changes, as a
/// stream consumer does.
fn read_in_pieces(t: &Table, from: i64, max: usize) -> Vec<crate::StreamChange> {
    let mut out = Vec::new();
    let mut at = from;
    loop {
        let scan = t.stream_changes(at, i64::MAX, max).expect("scan");
        let done = scan.changes.is_empty();
        out.extend(scan.changes);
        if done {
            return out;
        }
        at = scan.read_to;
    }
}

#[test]
fn the_change_log_gives_what_a_pass_over_the_versions_gives_across_a_restart() {
    let dir = tempfile::tempdir().expect("dir");
    let cfg = EngineConfig {
        path: Some(dir.path().to_path_buf()),
        ..EngineConfig::default()
    };
    let start;
    let logged;
    {
        let e = Engine::open(cfg.clone()).expect("open");
        let t = e
            .create_table(table_def("t", vec![], false))
            .expect("create");
        churn(&t, 10); // before the stream: not logged
        start = e.clock().now();
        t.set_stream_retention(i64::MAX).expect("keep");
        let log_from = t.state().record.stream_log_from.expect("logging");
        // The log starts right after the table's last commit.
        assert!(log_from <= start + 1, "{log_from} > {start}");
        churn(&t, 60);
        let snap = t.store.snapshot();
        let scanned = t
            .scanned_changes(&snap, log_from, i64::MAX)
            .expect("full scan");
        assert!(scanned.len() > 100, "{}", scanned.len());
        assert!(scanned.iter().any(|c| c.expired));
        assert!(scanned.iter().any(|c| c.ordinal == 2));
        logged = t
            .stream_changes(log_from, i64::MAX, usize::MAX)
            .expect("log")
            .changes;
        assert_eq!(logged, scanned);
        // Read in pieces, each ending at a commit boundary.
        assert_eq!(read_in_pieces(&t, log_from, 7), scanned);
        // A range that starts before the log is read by both paths.
        let all = t.scanned_changes(&snap, start, i64::MAX).expect("full");
        assert_eq!(read_in_pieces(&t, start, 5), all);
    }
    // After a restart (the log is in the same batches as the versions).
    let e = Engine::open(cfg).expect("reopen");
    let t = e.table("t").expect("table");
    let log_from = t.state().record.stream_log_from.expect("still logging");
    assert_eq!(read_in_pieces(&t, log_from, 4), logged);

    // Pruning a day later drops the old entries; ending the stream drops
    // the log.
    e.clock()
        .advance(STREAM_RETENTION_MICROS + STREAM_GRACE_MICROS + 1);
    e.prune_history().expect("prune");
    let snap = t.store.snapshot();
    assert_eq!(
        snap.prefix(&t.store.changes, t.tid.to_be_bytes()).count(),
        0
    );
    put(&t, "late", 1);
    assert_eq!(
        snap.prefix(&t.store.changes, t.tid.to_be_bytes()).count(),
        0
    );
    let snap = t.store.snapshot();
    assert_eq!(
        snap.prefix(&t.store.changes, t.tid.to_be_bytes()).count(),
        1
    );
    t.set_stream_retention(e.clock().now()).expect("end");
    e.clock().advance(1);
    e.prune_history().expect("prune");
    assert_eq!(t.state().record.stream_log_from, None);
    let snap = t.store.snapshot();
    assert_eq!(
        snap.prefix(&t.store.changes, t.tid.to_be_bytes()).count(),
        0
    );
}

#[test]
fn a_deleted_table_keeps_its_stream_history_for_a_day() {
    let dir = tempfile::tempdir().expect("dir");
    let cfg = EngineConfig {
        path: Some(dir.path().to_path_buf()),
        ..EngineConfig::default()
    };
    let want;
    {
        let e = Engine::open(cfg.clone()).expect("open");
        let t = e
            .create_table(table_def("t", vec![], false))
            .expect("create");
        let plain = e
            .create_table(table_def("plain", vec![], false))
            .expect("create");
        put(&plain, "a", 1);
        let start = e.clock().now();
        t.set_stream_retention(i64::MAX).expect("keep");
        churn(&t, 20);
        want = t
            .stream_changes(start, i64::MAX, usize::MAX)
            .expect("scan")
            .changes;
        e.delete_table("t").expect("delete");
        e.delete_table("plain").expect("delete");
        let retired = e.retired_tables();
        assert_eq!(retired.len(), 1, "only the table with a stream");
        let r = &retired[0];
        assert_eq!(r.def().name, "t");
        assert!(e.table("t").is_none());
        let got = r.stream_changes(start, i64::MAX, usize::MAX).expect("scan");
        assert_eq!(got.changes, want);
        // It takes no writes.
        let refused = r.write(&key("z"), |_| Ok::<_, ()>(Write::Delete));
        assert!(matches!(
            refused,
            Err(crate::WriteError::Storage(
                crate::StorageError::TableNotFound(_)
            ))
        ));
        // A new table of the same name is another table.
        let again = e
            .create_table(table_def("t", vec![], false))
            .expect("create again");
        assert_ne!(again.tid, r.tid);
    }
    let e = Engine::open(cfg).expect("reopen");
    let retired = e.retired_tables();
    assert_eq!(retired.len(), 1, "kept across a restart");
    let r = retired[0].clone();
    let got = r.stream_changes(0, i64::MAX, usize::MAX).expect("scan");
    assert_eq!(got.changes, want);
    // A day (and the grace) later the pruner purges it.
    e.clock()
        .advance(STREAM_RETENTION_MICROS + STREAM_GRACE_MICROS + 1);
    e.prune_history().expect("prune");
    assert!(e.retired_tables().is_empty());
    e.wait_for_purges();
    let snap = r.store.snapshot();
    assert_eq!(snap.prefix(&r.store.items, r.tid.to_be_bytes()).count(), 0);
    assert_eq!(
        snap.prefix(&r.store.changes, r.tid.to_be_bytes()).count(),
        0
    );
}

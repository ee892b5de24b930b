//! Stream retention and change scans: a table with a stream and PITR off
//! keeps every version for 24 hours, the pruner keeps that window, and the
//! change scan gives one change per write in commit order (identical puts
//! and deletes of missing items are no change).

use ferry_model::PrimaryKey;

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
    t.stream_changes(from, i64::MAX)
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
        .stream_changes(start, i64::MAX)
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

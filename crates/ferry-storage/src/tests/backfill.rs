//! Online index backfill: writes racing the backfill, dropping an index
//! while it is being backfilled, and restarting a backfill on open.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use ferry_model::{IndexDef, IndexKind, PrimaryKey, ProjectionType, ScalarType};
use fjall::Readable;

use super::bulk_fast::consistent;
use super::{index, item, key_attr, n, s, table_def};
use crate::{Engine, EngineConfig, Table, Write};

fn by_g() -> IndexDef {
    index(
        "by_g",
        IndexKind::Global,
        key_attr("g", ScalarType::S),
        Some(key_attr("v", ScalarType::N)),
        ProjectionType::Include,
        &["note"],
    )
}

fn key(i: u64) -> PrimaryKey {
    PrimaryKey {
        hash: s(&format!("p{i:06}")),
        range: Some(n(0)),
    }
}

/// Item `i`, version `round`: `g` is missing for some, so they have no entry.
fn write(t: &Table, i: u64, round: u64) {
    let mut it = item(&[
        ("pk", s(&format!("p{i:06}"))),
        ("sk", n(0)),
        ("v", n((i * 7 + round) as i64 % 1000)),
        ("note", s(&"x".repeat((round % 5) as usize))),
    ]);
    if !(i + round).is_multiple_of(4) {
        it.insert("g".to_string(), s(&format!("g{}", (i + round) % 9)));
    }
    t.write(&key(i), |_| Ok::<_, ()>(Write::Put(it)))
        .expect("put");
}

#[test]
fn writes_during_a_backfill_leave_the_index_exact() {
    let e = Engine::open(EngineConfig::default()).expect("open");
    let t = e
        .create_table(table_def("t", vec![], false))
        .expect("create");
    for i in 0..20_000 {
        write(&t, i, 0);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let during = Arc::new(AtomicU64::new(0));
    let writers: Vec<_> = (0..3u64)
        .map(|w| {
            let (t, stop, during) = (t.clone(), stop.clone(), during.clone());
            std::thread::spawn(move || {
                let mut round = 1;
                while !stop.load(Ordering::SeqCst) {
                    // Updates, deletes and new items all over the key space.
                    let i = (round * 7_919 + w * 104_729) % 24_000;
                    if round.is_multiple_of(5) {
                        t.write(&key(i), |_| Ok::<_, ()>(Write::Delete))
                            .expect("delete");
                    } else {
                        write(&t, i, round);
                    }
                    if !t.backfilling().is_empty() {
                        during.fetch_add(1, Ordering::SeqCst);
                    }
                    round += 1;
                }
            })
        })
        .collect();
    t.add_index(by_g(), &mut |_| {}).expect("add");
    assert_eq!(t.backfilling(), vec!["by_g".to_string()]);
    t.wait_for_backfills();
    stop.store(true, Ordering::SeqCst);
    for w in writers {
        w.join().expect("writer");
    }
    assert!(t.backfilling().is_empty());
    eprintln!(
        "{} writes while the index was backfilling",
        during.load(Ordering::SeqCst)
    );
    // Entries are exactly those of the current items; statistics exact.
    consistent(&t);
}

#[test]
fn an_index_dropped_while_backfilling_leaves_nothing() {
    let e = Engine::open(EngineConfig::default()).expect("open");
    let t = e
        .create_table(table_def("t", vec![], false))
        .expect("create");
    for i in 0..5_000 {
        write(&t, i, 0);
    }
    t.add_index(by_g(), &mut |_| {}).expect("add");
    t.drop_index("by_g", &mut |_| {}).expect("drop");
    t.wait_for_backfills();
    assert!(t.def().indexes.is_empty());
    assert_eq!(t.index_stats("by_g"), None);
    let snap = t.store.snapshot();
    assert_eq!(snap.prefix(&t.store.index, t.tid.to_be_bytes()).count(), 0);
    consistent(&t);
}

#[test]
fn a_backfill_marked_in_the_catalog_is_resumed_on_open() {
    let dir = tempfile::tempdir().expect("dir");
    let cfg = EngineConfig {
        path: Some(dir.path().to_path_buf()),
        ..EngineConfig::default()
    };
    {
        let e = Engine::open(cfg.clone()).expect("open");
        let t = e
            .create_table(table_def("t", vec![], false))
            .expect("create");
        for i in 0..3_000 {
            write(&t, i, 0);
        }
        t.add_index(by_g(), &mut |_| {}).expect("add");
        t.wait_for_backfills();
        // As if the process had died mid-backfill: the mark is back, and
        // some entries (with their statistics) are gone.
        let mut record = t.state().record.clone();
        record.indexes[0].backfilling = true;
        t.save_record(&record).expect("save");
        let snap = t.store.snapshot();
        let mut ops = crate::table::Ops::default();
        let iid = record.indexes[0].iid;
        for g in snap.prefix(&t.store.index, t.tid.to_be_bytes()).step_by(3) {
            let (k, v) = g.into_inner().expect("entry");
            let proj = crate::codec::decode_index_value(&v).expect("value");
            ops.delta
                .index(iid, Some(crate::stats::item_size(&proj)), None);
            ops.index_removes.push(k);
        }
        t.commit_ops(&t.state(), ops).expect("remove");
    }
    let e = Engine::open(cfg).expect("reopen");
    let t = e.table("t").expect("table");
    t.wait_for_backfills();
    assert!(t.backfilling().is_empty());
    consistent(&t);
    let e2 = t.index_stats("by_g").expect("stats");
    assert!(e2.item_count > 2_000, "{e2:?}");
}

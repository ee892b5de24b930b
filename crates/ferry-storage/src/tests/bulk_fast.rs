//! Tests of the fast bulk path (PITR off): runs spilled and merged,
//! duplicates within and across runs and concurrent loaders, index entries
//! and statistics checked against a recomputation from the items, loading
//! over a partial load, definition and ordinary writes during a load,
//! restarts, and the repair of an interrupted ingestion.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use ferry_model::{AttributeValue, IndexKind, Item, PrimaryKey, ProjectionType, ScalarType};
use fjall::Readable;

use super::{index, item, key_attr, n, s, table_def};
use crate::catalog::{BULK_PREFIX, STATS_PREFIX, tid_key};
use crate::codec::encode_index_value;
use crate::index::entry_of;
use crate::keys::TS_LEN;
use crate::read::Versions;
use crate::table::HEAD_LEN;
use crate::{Engine, EngineConfig, QuerySpec, ScanSpec, StorageError, Table, Write};

fn row(pk: &str, sk: i64, g: &str, v: &str) -> Item {
    item(&[("pk", s(pk)), ("sk", n(sk)), ("g", s(g)), ("v", s(v))])
}

fn g_index() -> ferry_model::IndexDef {
    index(
        "g",
        IndexKind::Global,
        key_attr("g", ScalarType::S),
        Some(key_attr("sk", ScalarType::N)),
        ProjectionType::KeysOnly,
        &[],
    )
}

fn v_index() -> ferry_model::IndexDef {
    index(
        "v",
        IndexKind::Global,
        key_attr("v", ScalarType::S),
        None,
        ProjectionType::All,
        &[],
    )
}

fn open(path: Option<&std::path::Path>) -> Arc<Engine> {
    Engine::open(EngineConfig {
        path: path.map(|p| p.to_path_buf()),
        sync: false,
    })
    .expect("open")
}

/// A table whose loads spill a run every ~`run_bytes` bytes.
fn table(
    e: &Engine,
    name: &str,
    indexes: Vec<ferry_model::IndexDef>,
    run_bytes: usize,
) -> Arc<Table> {
    let t = e
        .create_table(table_def(name, indexes, false))
        .expect("create");
    t.store.bulk_run_bytes.store(run_bytes, Ordering::Relaxed);
    t
}

fn key(pk: &str, sk: i64) -> PrimaryKey {
    PrimaryKey {
        hash: s(pk),
        range: Some(n(sk)),
    }
}

fn scan(t: &Table) -> Vec<Item> {
    t.scan(&ScanSpec {
        index: None,
        segment: None,
        exclusive_start: None,
    })
    .expect("scan")
    .collect::<Result<Vec<_>, _>>()
    .expect("items")
}

fn query_g(t: &Table, g: &str) -> Vec<Item> {
    t.query(&QuerySpec {
        index: Some("g".to_string()),
        hash: s(g),
        sort: None,
        forward: true,
        exclusive_start: None,
    })
    .expect("query")
    .collect::<Result<Vec<_>, _>>()
    .expect("entries")
}

fn text(it: &Item, name: &str) -> String {
    match it.get(name) {
        Some(AttributeValue::S(v)) => v.clone(),
        other => panic!("{name}: {other:?}"),
    }
}

/// Asserts the table is internally consistent: one version per key, index
/// entries exactly those of the current items, statistics exact and no
/// marker. Returns the items by (pk, sk).
pub(crate) fn consistent(t: &Table) -> BTreeMap<(String, String), Item> {
    let store = &t.store;
    let snap = store.snapshot();
    let head = t.tid.to_be_bytes();
    let versions = snap.prefix(&store.items, head).count();
    let state = t.state();
    let mut want_entries = BTreeMap::new();
    let mut want = crate::stats::Counters::default();
    let mut items = BTreeMap::new();
    for r in Versions::new(Some(snap.prefix(&store.items, head)), true, None) {
        let (k, it) = r.expect("version");
        let table_key = &k[HEAD_LEN..k.len() - TS_LEN];
        want.table.item_count += 1;
        want.table.size_bytes += ferry_model::item_size(&it) as u64;
        for e in &state.record.indexes {
            if let Some((ek, proj)) =
                entry_of(t.tid, e, &state.def.key, table_key, &it).expect("entry")
            {
                let st = want.indexes.entry(e.iid).or_default();
                st.item_count += 1;
                st.size_bytes += ferry_model::item_size(&proj) as u64;
                want_entries.insert(ek, encode_index_value(&proj));
            }
        }
        let sk = match &it["sk"] {
            AttributeValue::N(v) => v.to_string(),
            other => panic!("{other:?}"),
        };
        items.insert((text(&it, "pk"), sk), it);
    }
    assert_eq!(versions, items.len(), "one version per key");
    let got_entries: BTreeMap<Vec<u8>, Vec<u8>> = snap
        .prefix(&store.index, head)
        .map(|g| {
            let (k, v) = g.into_inner().expect("entry");
            (k.to_vec(), v.to_vec())
        })
        .collect();
    assert_eq!(got_entries, want_entries, "index entries");
    assert_eq!(t.stats(), want.table, "table statistics");
    for e in &state.record.indexes {
        let got = t.index_stats(&e.def.name).expect("index");
        let w = want.indexes.get(&e.iid).copied().unwrap_or_default();
        assert_eq!(got, w, "statistics of {}", e.def.name);
    }
    assert!(
        snap.get(&store.sys, tid_key(BULK_PREFIX, t.tid))
            .expect("get")
            .is_none(),
        "no bulk marker"
    );
    items
}

fn spill_files(t: &Table) -> usize {
    std::fs::read_dir(&t.store.spill_dir).map_or(0, |d| d.count())
}

#[test]
fn duplicates_across_runs_resolve_to_the_last_write() {
    let e = open(None);
    let t = table(&e, "t", vec![g_index(), v_index()], 4 << 10);
    let loader = t.bulk_loader();
    // Five rounds over the same 300 keys, 30 items per call: many runs, the
    // index key `g` and the projected `v` change every round.
    for round in 0..5 {
        for chunk in 0..10 {
            let items = (0..30)
                .map(|i| {
                    let k = chunk * 30 + i;
                    row(
                        &format!("p{}", k % 100),
                        k / 100,
                        &format!("g{round}"),
                        &format!("r{round}k{k}"),
                    )
                })
                .collect();
            loader.write(items).expect("write");
        }
    }
    assert!(scan(&t).is_empty(), "nothing visible before finish");
    assert!(spill_files(&t) > 5, "runs were spilled");
    loader.finish().expect("finish");
    assert_eq!(spill_files(&t), 0, "spill files removed");
    let items = consistent(&t);
    assert_eq!(items.len(), 300);
    assert!(items.values().all(|it| text(it, "g") == "g4"));
    assert_eq!(
        items[&("p7".to_string(), "2".to_string())]["v"],
        s("r4k207")
    );
    assert_eq!(query_g(&t, "g4").len(), 300);
    for stale in ["g0", "g1", "g2", "g3"] {
        assert!(query_g(&t, stale).is_empty(), "stale entries of {stale}");
    }
    assert!(
        t.bulk.lock().is_none(),
        "the state goes with the last loader"
    );
}

#[test]
fn duplicates_inside_one_call_and_one_run() {
    let e = open(None);
    let t = table(&e, "t", vec![g_index()], 1 << 30);
    let loader = t.bulk_loader();
    loader
        .write(vec![
            row("a", 1, "x", "1"),
            row("b", 1, "x", "1"),
            row("a", 1, "y", "2"),
        ])
        .expect("write");
    loader
        .write(vec![row("b", 1, "z", "3"), row("a", 1, "w", "4")])
        .expect("write");
    loader.finish().expect("finish");
    let items = consistent(&t);
    let got: Vec<(String, String)> = items
        .values()
        .map(|it| (text(it, "pk"), text(it, "g")))
        .collect();
    assert_eq!(
        got,
        vec![("a".into(), "w".into()), ("b".into(), "z".into())]
    );
}

#[test]
fn concurrent_loaders_with_small_runs() {
    let e = open(None);
    let t = table(&e, "t", vec![g_index()], 16 << 10);
    let loader = t.bulk_loader();
    let second = t.bulk_loader();
    std::thread::scope(|sc| {
        for (w, l) in [(0, &loader), (1, &second)] {
            sc.spawn(move || {
                for b in 0..20 {
                    let items = (0..200)
                        .map(|i| {
                            row(
                                &format!("p{}", (b * 200 + i) % 2500),
                                i64::from(i % 3),
                                &format!("w{w}"),
                                "x",
                            )
                        })
                        .collect();
                    l.write(items).expect("write");
                }
            });
        }
    });
    drop(second);
    assert!(scan(&t).is_empty(), "another loader is still open");
    loader.finish().expect("finish");
    let items = consistent(&t);
    let distinct: BTreeSet<(u32, u32)> = (0..20u32)
        .flat_map(|b| (0..200u32).map(move |i| ((b * 200 + i) % 2500, i % 3)))
        .collect();
    assert_eq!(items.len(), distinct.len());
    assert_eq!(
        query_g(&t, "w0").len() + query_g(&t, "w1").len(),
        items.len()
    );
}

#[test]
fn loading_over_a_partial_load_and_restarting() {
    let dir = tempfile::tempdir().expect("dir");
    {
        let e = open(Some(dir.path()));
        let t = table(&e, "t", vec![g_index()], 8 << 10);
        let first = t.bulk_loader();
        first
            .write(
                (0..400)
                    .map(|i| row(&format!("p{i}"), 0, "old", "a"))
                    .collect(),
            )
            .expect("write");
        first.finish().expect("finish");
        assert_eq!(consistent(&t).len(), 400);
        // The re-run: an overlapping load that changes every index key.
        let again = t.bulk_loader();
        for c in 0..6 {
            again
                .write(
                    (c * 100..c * 100 + 100)
                        .map(|i| row(&format!("p{i}"), 0, "new", "b"))
                        .collect(),
                )
                .expect("write");
        }
        again.finish().expect("finish");
        let items = consistent(&t);
        assert_eq!(items.len(), 600);
        assert!(query_g(&t, "old").is_empty());
        assert_eq!(query_g(&t, "new").len(), 600);
    }
    let e = open(Some(dir.path()));
    let t = e.table("t").expect("table");
    let items = consistent(&t);
    assert_eq!(items.len(), 600);
    assert!(items.values().all(|it| text(it, "v") == "b"));
    assert_eq!(query_g(&t, "new").len(), 600);
    let got = t.get(&key("p599", 0), None).expect("get").expect("item");
    assert_eq!(got, row("p599", 0, "new", "b"));
}

#[test]
fn ordinary_writes_during_a_load() {
    let e = open(None);
    let t = table(&e, "t", vec![g_index()], 4 << 10);
    let loader = t.bulk_loader();
    loader
        .write(
            (0..100)
                .map(|i| row(&format!("p{i}"), 0, "bulk", "b"))
                .collect(),
        )
        .expect("write");
    // Written while the load is buffered: p5 is loaded too (the load,
    // finished later, wins), p1000 is not.
    for pk in ["p5", "p1000"] {
        let it = row(pk, 0, "regular", "r");
        t.write(&key(pk, 0), |_| Ok::<_, ()>(Write::Put(it)))
            .expect("put");
    }
    t.write(&key("p6", 0), |_| Ok::<_, ()>(Write::Delete))
        .expect("delete");
    loader
        .write(
            (100..200)
                .map(|i| row(&format!("p{i}"), 0, "bulk", "b"))
                .collect(),
        )
        .expect("write");
    loader.finish().expect("finish");
    let items = consistent(&t);
    assert_eq!(items.len(), 201);
    assert_eq!(
        text(&items[&("p5".to_string(), "0".to_string())], "g"),
        "bulk"
    );
    assert_eq!(
        text(&items[&("p1000".to_string(), "0".to_string())], "g"),
        "regular"
    );
    assert_eq!(query_g(&t, "regular").len(), 1);
    assert_eq!(query_g(&t, "bulk").len(), 200);
    // Later ordinary writes replace loaded items as usual.
    t.write(&key("p7", 0), |old| {
        assert_eq!(old, Some(&row("p7", 0, "bulk", "b")));
        Ok::<_, ()>(Write::Put(row("p7", 0, "later", "l")))
    })
    .expect("put");
    consistent(&t);
}

#[test]
fn indexes_added_and_dropped_during_a_load() {
    let e = open(None);
    let t = table(&e, "t", vec![g_index()], 4 << 10);
    let loader = t.bulk_loader();
    loader
        .write(
            (0..150)
                .map(|i| row(&format!("p{i}"), 0, "a", &format!("v{i}")))
                .collect(),
        )
        .expect("write");
    t.add_index(v_index(), &mut |_| {}).expect("add");
    t.wait_for_backfills();
    loader
        .write(
            (100..250)
                .map(|i| row(&format!("p{i}"), 0, "b", &format!("w{i}")))
                .collect(),
        )
        .expect("write");
    t.drop_index("g", &mut |_| {}).expect("drop");
    loader
        .write(
            (240..260)
                .map(|i| row(&format!("p{i}"), 0, "c", &format!("x{i}")))
                .collect(),
        )
        .expect("write");
    loader.finish().expect("finish");
    let items = consistent(&t);
    assert_eq!(items.len(), 260);
    let by_v = t
        .query(&QuerySpec {
            index: Some("v".to_string()),
            hash: s("v3"),
            sort: None,
            forward: true,
            exclusive_start: None,
        })
        .expect("query")
        .collect::<Result<Vec<_>, _>>()
        .expect("entries");
    assert_eq!(by_v, vec![row("p3", 0, "a", "v3")]);
    assert!(matches!(
        t.query(&QuerySpec {
            index: Some("g".to_string()),
            hash: s("a"),
            sort: None,
            forward: true,
            exclusive_start: None,
        }),
        Err(StorageError::IndexNotFound(_))
    ));
}

#[test]
fn dropping_the_last_loader_ingests_and_errors_are_exact() {
    let e = open(None);
    let t = table(&e, "t", vec![g_index()], 1 << 20);
    let loader = t.bulk_loader();
    loader.write(vec![row("a", 1, "x", "1")]).expect("write");
    let err = loader
        .write(vec![item(&[("pk", s("x"))])])
        .expect_err("no sort key");
    assert_eq!(
        err.to_string(),
        "invalid request: an item lacks a key attribute of the table"
    );
    let err = loader
        .write(vec![item(&[("pk", n(1)), ("sk", n(1))])])
        .expect_err("wrong type");
    assert_eq!(
        err.to_string(),
        "invalid request: an item lacks a key attribute of the table"
    );
    drop(loader);
    assert_eq!(consistent(&t).len(), 1);

    let gone = t.bulk_loader();
    gone.write(vec![row("b", 1, "x", "1")]).expect("write");
    e.delete_table("t").expect("delete");
    assert!(matches!(gone.finish(), Err(StorageError::TableNotFound(_))));
}

#[test]
fn an_interrupted_ingestion_is_repaired_on_open() {
    let dir = tempfile::tempdir().expect("dir");
    let tid;
    {
        let e = open(Some(dir.path()));
        let t = table(&e, "t", vec![g_index()], 4 << 10);
        tid = t.tid;
        let loader = t.bulk_loader();
        loader
            .write(
                (0..300)
                    .map(|i| row(&format!("p{i}"), 0, "x", "v"))
                    .collect(),
            )
            .expect("write");
        loader.finish().expect("finish");
        // Simulate a crash between the item and the index ingestion: the
        // marker is there, half of the entries and the statistics are not.
        let store = &t.store;
        let mut batch = store.batch();
        batch.insert(
            &store.sys,
            tid_key(BULK_PREFIX, tid),
            7i64.to_be_bytes().to_vec(),
        );
        batch.insert(
            &store.sys,
            tid_key(STATS_PREFIX, tid),
            crate::stats::Counters::default().encode(),
        );
        let snap = store.snapshot();
        for g in snap.prefix(&store.index, tid.to_be_bytes()).step_by(2) {
            batch.remove(&store.index, g.key().expect("key"));
        }
        // And a marker of a table deleted meanwhile.
        batch.insert(
            &store.sys,
            tid_key(BULK_PREFIX, 999),
            7i64.to_be_bytes().to_vec(),
        );
        store.commit_plain(batch).expect("commit");
        std::fs::create_dir_all(&store.spill_dir).expect("dir");
        std::fs::write(store.spill_dir.join("1-2-3.run"), b"leftover").expect("file");
        e.flush().expect("flush");
    }
    let e = open(Some(dir.path()));
    let t = e.table("t").expect("table");
    assert_eq!(consistent(&t).len(), 300);
    assert_eq!(t.stats().item_count, 300);
    assert_eq!(query_g(&t, "x").len(), 300);
    assert_eq!(spill_files(&t), 0, "leftover spill files removed");
    let snap = t.store.snapshot();
    assert_eq!(
        snap.prefix(&t.store.sys, [BULK_PREFIX]).count(),
        0,
        "every marker is gone"
    );
    assert_eq!(t.index_stats("g").map(|st| st.item_count), Some(300));
}

#[test]
fn pitr_turned_on_during_a_load_keeps_the_old_versions() {
    let e = open(None);
    let t = table(&e, "t", vec![g_index()], 1 << 20);
    t.write(&key("a", 1), |_| {
        Ok::<_, ()>(Write::Put(row("a", 1, "old", "1")))
    })
    .expect("put");
    let loader = t.bulk_loader();
    loader
        .write(vec![row("a", 1, "new", "2"), row("b", 1, "new", "2")])
        .expect("write");
    t.update_def(&mut |d| {
        d.pitr = Some(ferry_model::PitrSettings {
            recovery_period_days: 35,
            enabled_micros: 0,
        })
    })
    .expect("pitr on");
    let before = e.clock().now();
    loader.finish().expect("finish");
    assert_eq!(
        t.get(&key("a", 1), None).expect("get"),
        Some(row("a", 1, "new", "2"))
    );
    assert_eq!(
        t.get(&key("a", 1), Some(before)).expect("get as of"),
        Some(row("a", 1, "old", "1"))
    );
    let snap = t.store.snapshot();
    assert_eq!(snap.prefix(&t.store.items, t.tid.to_be_bytes()).count(), 3);
    assert!(query_g(&t, "old").is_empty());
    assert_eq!(query_g(&t, "new").len(), 2);
    assert_eq!(t.stats().item_count, 2);
    assert_eq!(t.index_stats("g").map(|st| st.item_count), Some(2));
}

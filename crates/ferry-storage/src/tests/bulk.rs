//! Bulk loader tests: blind writes into an empty table, duplicates within
//! and across batches (last wins), concurrent loaders, indexes and
//! statistics, loading into a table that already has items.

use ferry_model::{IndexKind, Item, PrimaryKey, ProjectionType, ScalarType};
use fjall::Readable;

use super::{index, item, key_attr, n, s, table_def};
use crate::{Engine, EngineConfig, QuerySpec, ScanSpec, Table, TableStats, Write};

fn row(pk: &str, sk: i64, g: &str) -> Item {
    item(&[
        ("pk", s(pk)),
        ("sk", n(sk)),
        ("g", s(g)),
        ("pad", s("0123456789")),
    ])
}

fn g_index() -> ferry_model::IndexDef {
    index(
        "g",
        IndexKind::Global,
        key_attr("g", ScalarType::S),
        None,
        ProjectionType::KeysOnly,
        &[],
    )
}

fn count_g(t: &Table, g: &str) -> usize {
    t.query(&QuerySpec {
        index: Some("g".to_string()),
        hash: s(g),
        sort: None,
        forward: true,
        exclusive_start: None,
    })
    .expect("query")
    .count()
}

fn version_count(t: &Table) -> usize {
    let snap = t.store.snapshot();
    snap.prefix(&t.store.items, t.tid.to_be_bytes()).count()
}

fn all(t: &Table) -> Vec<Item> {
    t.scan(&ScanSpec {
        index: None,
        segment: None,
        exclusive_start: None,
    })
    .expect("scan")
    .collect::<Result<Vec<_>, _>>()
    .expect("items")
}

fn size_of(items: &[Item]) -> u64 {
    items.iter().map(|i| ferry_model::item_size(i) as u64).sum()
}

#[test]
fn duplicates_within_and_across_batches_last_one_wins() {
    let e = Engine::open(EngineConfig::default()).expect("open");
    let t = e
        .create_table(table_def("t", vec![g_index()], false))
        .expect("create");
    let loader = t.bulk_loader();
    loader
        .write(vec![row("a", 1, "x"), row("b", 1, "x"), row("a", 1, "y")])
        .expect("batch 1");
    loader
        .write(vec![row("b", 1, "z"), row("c", 1, "x")])
        .expect("batch 2");
    loader.finish().expect("finish");
    let items = all(&t);
    let mut got: Vec<(String, String)> = items
        .iter()
        .map(|i| match (&i["pk"], &i["g"]) {
            (ferry_model::AttributeValue::S(p), ferry_model::AttributeValue::S(g)) => {
                (p.clone(), g.clone())
            }
            _ => panic!("types"),
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("a".into(), "y".into()),
            ("b".into(), "z".into()),
            ("c".into(), "x".into())
        ]
    );
    assert_eq!(version_count(&t), 3, "one version per key without PITR");
    assert_eq!(
        (count_g(&t, "x"), count_g(&t, "y"), count_g(&t, "z")),
        (1, 1, 1)
    );
    assert_eq!(
        t.stats(),
        TableStats {
            item_count: 3,
            size_bytes: size_of(&items)
        }
    );
    assert_eq!(t.index_stats("g").expect("g").item_count, 3);
    assert!(
        t.bulk.lock().is_none(),
        "the filter goes with the last loader"
    );
}

#[test]
fn concurrent_loaders_on_two_threads() {
    let e = Engine::open(EngineConfig::default()).expect("open");
    let t = e
        .create_table(table_def("t", vec![g_index()], false))
        .expect("create");
    let loader = t.bulk_loader();
    std::thread::scope(|sc| {
        for w in 0..2 {
            let loader = &loader;
            sc.spawn(move || {
                for b in 0..20 {
                    // Both workers write keys 0..100 of every batch: overlaps.
                    let items = (0..500)
                        .map(|i| {
                            row(
                                &format!("p{}", (b * 500 + i) % 3000),
                                i64::from(i % 7),
                                &format!("w{w}"),
                            )
                        })
                        .collect();
                    loader.write(items).expect("write");
                }
            });
        }
    });
    loader.finish().expect("finish");
    let items = all(&t);
    let distinct: std::collections::HashSet<(u32, u32)> = (0..20u32)
        .flat_map(|b| (0..500u32).map(move |i| ((b * 500 + i) % 3000, i % 7)))
        .collect();
    assert_eq!(items.len(), distinct.len());
    assert_eq!(version_count(&t), items.len());
    assert_eq!(count_g(&t, "w0") + count_g(&t, "w1"), items.len());
    assert_eq!(
        t.stats(),
        TableStats {
            item_count: items.len() as u64,
            size_bytes: size_of(&items)
        }
    );
}

#[test]
fn loading_over_existing_items_and_regular_writes() {
    let e = Engine::open(EngineConfig::default()).expect("open");
    let t = e
        .create_table(table_def("t", vec![g_index()], true))
        .expect("create");
    let key = PrimaryKey {
        hash: s("a"),
        range: Some(n(1)),
    };
    t.write(&key, |_| Ok::<_, ()>(Write::Put(row("a", 1, "old"))))
        .expect("put");
    let loader = t.bulk_loader();
    assert!(t.bulk.lock().as_ref().is_some());
    loader
        .write(vec![row("a", 1, "new"), row("b", 1, "new")])
        .expect("load");
    // A regular write while the loader is open is seen by the next batch.
    let key_c = PrimaryKey {
        hash: s("c"),
        range: Some(n(1)),
    };
    t.write(&key_c, |_| Ok::<_, ()>(Write::Put(row("c", 1, "reg"))))
        .expect("put");
    loader.write(vec![row("c", 1, "bulk")]).expect("load");
    drop(loader);
    assert_eq!(count_g(&t, "old"), 0);
    assert_eq!(count_g(&t, "reg"), 0);
    assert_eq!(count_g(&t, "new"), 2);
    assert_eq!(count_g(&t, "bulk"), 1);
    assert_eq!(t.stats().item_count, 3);
    // PITR keeps the overwritten versions.
    assert_eq!(version_count(&t), 5);
    let err = t
        .bulk_loader()
        .write(vec![item(&[("pk", s("x"))])])
        .expect_err("no sk");
    assert_eq!(
        err.to_string(),
        "invalid request: an item lacks a key attribute of the table"
    );
}

//! Secondary index tests: maintenance on put/update/delete, projections,
//! items without (or with mistyped) index keys, add with backfill, drop,
//! index statistics, and restarts.

use ferry_model::{IndexKind, Item, PrimaryKey, ProjectionType, ScalarType};
use fjall::Readable;

use super::{index, item, key_attr, n, s, table_def};
use crate::{Engine, EngineConfig, QuerySpec, SortCondition, Table, TableStats, Write};

fn put(t: &Table, it: Item) {
    let key = t.key_of(&it).expect("key");
    t.write(&key, |_| Ok::<_, ()>(Write::Put(it))).expect("put");
}

fn delete(t: &Table, pk: &str, sk: i64) {
    let key = PrimaryKey {
        hash: s(pk),
        range: Some(n(sk)),
    };
    t.write(&key, |_| Ok::<_, ()>(Write::Delete))
        .expect("delete");
}

fn query(
    t: &Table,
    idx: &str,
    hash: ferry_model::AttributeValue,
    sort: Option<SortCondition>,
) -> Vec<Item> {
    t.query(&QuerySpec {
        index: Some(idx.to_string()),
        hash,
        sort,
        forward: true,
        exclusive_start: None,
    })
    .expect("query")
    .collect::<Result<Vec<_>, _>>()
    .expect("items")
}

fn index_entries(t: &Table) -> usize {
    let snap = t.store.snapshot();
    snap.prefix(&t.store.index, t.tid.to_be_bytes()).count()
}

fn by_status() -> ferry_model::IndexDef {
    index(
        "by_status",
        IndexKind::Global,
        key_attr("status", ScalarType::S),
        Some(key_attr("at", ScalarType::N)),
        ProjectionType::Include,
        &["title"],
    )
}

#[test]
fn entries_follow_puts_updates_and_deletes() {
    let e = Engine::open(EngineConfig::default()).expect("open");
    let t = e
        .create_table(table_def("t", vec![by_status()], false))
        .expect("create");
    put(
        &t,
        item(&[
            ("pk", s("a")),
            ("sk", n(1)),
            ("status", s("open")),
            ("at", n(5)),
            ("title", s("A")),
            ("body", s("long")),
        ]),
    );
    put(
        &t,
        item(&[
            ("pk", s("b")),
            ("sk", n(1)),
            ("status", s("open")),
            ("at", n(3)),
            ("title", s("B")),
        ]),
    );
    put(
        &t,
        item(&[("pk", s("c")), ("sk", n(1)), ("status", n(7)), ("at", n(1))]),
    ); // wrong type
    put(
        &t,
        item(&[("pk", s("d")), ("sk", n(1)), ("status", s("open"))]),
    ); // no sort key
    let open = query(&t, "by_status", s("open"), None);
    assert_eq!(
        open,
        vec![
            item(&[
                ("pk", s("b")),
                ("sk", n(1)),
                ("status", s("open")),
                ("at", n(3)),
                ("title", s("B"))
            ]),
            item(&[
                ("pk", s("a")),
                ("sk", n(1)),
                ("status", s("open")),
                ("at", n(5)),
                ("title", s("A"))
            ]),
        ],
        "projected (no body), sorted by the index sort key"
    );
    assert_eq!(index_entries(&t), 2);

    // Moving an item to another index key removes its old entry.
    put(
        &t,
        item(&[
            ("pk", s("a")),
            ("sk", n(1)),
            ("status", s("done")),
            ("at", n(9)),
        ]),
    );
    assert_eq!(query(&t, "by_status", s("open"), None).len(), 1);
    assert_eq!(
        query(&t, "by_status", s("done"), Some(SortCondition::Ge(n(9)))),
        vec![item(&[
            ("pk", s("a")),
            ("sk", n(1)),
            ("status", s("done")),
            ("at", n(9))
        ])]
    );
    // Losing the index key removes the entry; deleting the item too.
    put(&t, item(&[("pk", s("a")), ("sk", n(1))]));
    assert!(query(&t, "by_status", s("done"), None).is_empty());
    delete(&t, "b", 1);
    assert!(query(&t, "by_status", s("open"), None).is_empty());
    assert_eq!(index_entries(&t), 0);
    assert_eq!(t.index_stats("by_status"), Some(TableStats::default()));
    assert_eq!(t.index_stats("nope"), None);
}

#[test]
fn add_index_backfills_and_drop_index_removes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = EngineConfig {
        path: Some(dir.path().to_path_buf()),
        sync: false,
    };
    {
        let e = Engine::open(cfg.clone()).expect("open");
        let t = e
            .create_table(table_def("t", vec![], true))
            .expect("create");
        for i in 0..25_000 {
            let status = if i % 2 == 0 { "even" } else { "odd" };
            put(
                &t,
                item(&[
                    ("pk", s(&format!("p{}", i % 50))),
                    ("sk", n(i)),
                    ("status", s(status)),
                    ("at", n(i)),
                    ("title", s("x")),
                ]),
            );
        }
        // An older version must not be indexed (PITR keeps it).
        put(
            &t,
            item(&[
                ("pk", s("p0")),
                ("sk", n(0)),
                ("status", s("zero")),
                ("at", n(0)),
            ]),
        );
        t.add_index(by_status(), &mut |_| {}).expect("add");
        t.wait_for_backfills();
        let err = t.add_index(by_status(), &mut |_| {}).expect_err("twice");
        assert_eq!(
            err.to_string(),
            "invalid request: index already exists: by_status"
        );
        let even = query(&t, "by_status", s("even"), None);
        assert_eq!(even.len(), 12_499);
        assert_eq!(even[0]["at"], n(2));
        assert_eq!(query(&t, "by_status", s("zero"), None).len(), 1);
        let stats = t.index_stats("by_status").expect("stats");
        assert_eq!(stats.item_count, 25_000);
        assert_eq!(t.def().indexes, vec![by_status()]);
    }
    let e = Engine::open(cfg).expect("reopen");
    let t = e.table("t").expect("table");
    assert_eq!(t.def().indexes, vec![by_status()]);
    assert_eq!(
        t.index_stats("by_status").expect("stats").item_count,
        25_000
    );
    assert_eq!(
        query(&t, "by_status", s("odd"), Some(SortCondition::Lt(n(10)))).len(),
        5
    );
    t.drop_index("by_status", &mut |_| {}).expect("drop");
    assert_eq!(index_entries(&t), 0);
    assert!(t.def().indexes.is_empty());
    assert_eq!(t.index_stats("by_status"), None);
    let err = t.drop_index("by_status", &mut |_| {}).expect_err("gone");
    assert_eq!(err.to_string(), "index not found: by_status");
    // Re-adding gets a fresh index id and a full backfill.
    t.add_index(by_status(), &mut |_| {}).expect("re-add");
    t.wait_for_backfills();
    assert_eq!(query(&t, "by_status", s("odd"), None).len(), 12_500);
}

#[test]
fn keys_only_and_hash_only_indexes() {
    let e = Engine::open(EngineConfig::default()).expect("open");
    let keys_only = index(
        "by_owner",
        IndexKind::Global,
        key_attr("owner", ScalarType::B),
        None,
        ProjectionType::KeysOnly,
        &[],
    );
    let lsi = index(
        "by_title",
        IndexKind::Local,
        key_attr("pk", ScalarType::S),
        Some(key_attr("title", ScalarType::S)),
        ProjectionType::All,
        &[],
    );
    let t = e
        .create_table(table_def("t", vec![keys_only, lsi], false))
        .expect("create");
    let owner = ferry_model::AttributeValue::B(vec![0, 1, 0]);
    put(
        &t,
        item(&[
            ("pk", s("a")),
            ("sk", n(2)),
            ("owner", owner.clone()),
            ("title", s("beta")),
        ]),
    );
    put(
        &t,
        item(&[
            ("pk", s("a")),
            ("sk", n(1)),
            ("owner", owner.clone()),
            ("title", s("alpha")),
        ]),
    );
    assert_eq!(
        query(&t, "by_owner", owner.clone(), None),
        vec![
            item(&[("pk", s("a")), ("sk", n(1)), ("owner", owner.clone())]),
            item(&[("pk", s("a")), ("sk", n(2)), ("owner", owner.clone())]),
        ]
    );
    let titles: Vec<_> = query(
        &t,
        "by_title",
        s("a"),
        Some(SortCondition::BeginsWith(s("b"))),
    )
    .into_iter()
    .map(|i| i["title"].clone())
    .collect();
    assert_eq!(titles, vec![s("beta")]);
}

//! Raw scans against the decoded ones: same items, same changes.

use ferry_model::{PrimaryKey, ScalarType};

use crate::tests::{item, n, s, table_def};
use crate::{Engine, EngineConfig, Write, hash_ranges};

#[test]
fn raw_scans_decode_to_the_decoded_scans() {
    let e = Engine::open(EngineConfig::default()).expect("open");
    let t = e
        .create_table(table_def("raw", vec![], true))
        .expect("table");
    let schema = t.def().key;
    assert_eq!(schema.hash.ty, ScalarType::S);
    let write = |pk: &str, sk: i64, v: Option<&str>| {
        let it = item(&[("pk", s(pk)), ("sk", n(sk)), ("v", s(v.unwrap_or("")))]);
        let k = PrimaryKey::from_item(&it, &schema).expect("key");
        let w = match v {
            Some(_) => Write::Put(it),
            None => Write::Delete,
        };
        t.write(&k, |_| Ok::<_, ()>(w)).expect("write").1
    };
    for i in 0..50 {
        write(&format!("k{i}"), i, Some("a"));
    }
    let from = write("k0", 0, Some("b"));
    for i in 1..50 {
        match i % 3 {
            0 => write(&format!("k{i}"), i, Some("c")),
            1 => write(&format!("k{i}"), i, None),
            _ => 0,
        };
    }
    write("new", 1, Some("d"));
    let to = write("k2", 2, Some("late")); // at `to`: outside [from, to)
    for range in hash_ranges(3) {
        for ts in [from - 1, from, to - 1, to] {
            let raw: Vec<_> = t
                .scan_as_of_raw(ts, range.clone())
                .expect("scan")
                .map(|r| r.and_then(|i| i.decode()).expect("raw"))
                .collect();
            let decoded: Vec<_> = t
                .scan_as_of(ts, range.clone())
                .expect("scan")
                .map(|r| r.expect("item"))
                .collect();
            assert_eq!(raw, decoded);
        }
        let raw: Vec<_> = t
            .changes_raw(from, to, range.clone())
            .expect("changes")
            .map(|c| {
                let c = c.expect("raw change");
                let dec = |i: Option<crate::RawItem>| i.map(|i| i.decode().expect("decode"));
                (dec(c.old), dec(c.new), c.last_write)
            })
            .collect();
        let decoded: Vec<_> = t
            .changes(from, to, range.clone())
            .expect("changes")
            .map(|c| {
                let c = c.expect("change");
                (c.old, c.new, c.last_write)
            })
            .collect();
        assert_eq!(raw, decoded);
    }
    let all: usize = hash_ranges(1)
        .into_iter()
        .map(|r| t.changes_raw(from, to, r).expect("changes").count())
        .sum();
    // k0 updated, 16 updated (i % 3 == 0), 17 deleted (i % 3 == 1), "new" inserted.
    assert_eq!(all, 1 + 16 + 17 + 1);
}

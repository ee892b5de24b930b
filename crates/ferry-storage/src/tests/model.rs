//! Model-based test: random writes (single, conditional, multi-item, bulk),
//! reads (get now and as of old times, queries on the table and on three
//! indexes with every sort condition, both directions and start keys, scans
//! by segments, as-of scans, change scans), statistics and restarts, all
//! checked against a `BTreeMap` oracle that keeps every past state.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

use ferry_model::{
    AttributeValue, IndexDef, IndexKind, Item, KeySchema, Number, PrimaryKey, ProjectionType,
    ScalarType,
};
use proptest::prelude::*;

use super::{index, item, key_attr, n, s, table_def};
use crate::{
    Change, Engine, EngineConfig, QuerySpec, ScanSpec, SortCondition, Table, TableStats, Timestamp,
    Write, WriteError, hash_ranges,
};

const PKS: [&str; 4] = ["a", "b", "c", "a\u{0}"];

fn sk_value(i: u8) -> Number {
    let texts = ["-1", "0", "1", "2.5", "10", "5"];
    Number::parse(texts[i as usize % texts.len()]).expect("number")
}

type Key = (String, Number);

#[derive(Clone, Debug)]
struct Attrs {
    gpk: u8,
    gsk: u8,
    a: u8,
    lsk: u8,
    big: u8,
}

#[derive(Clone, Debug)]
enum Op {
    Put(u8, u8, Attrs),
    Delete(u8, u8),
    Refuse(u8, u8),
    Nothing(u8, u8),
    Many(Vec<(u8, u8, Option<Attrs>)>),
    Bulk(Vec<(u8, u8, Attrs)>),
    Get(u8, u8, Option<u16>),
    Query {
        index: u8,
        hash: u8,
        cond: u8,
        v1: u8,
        v2: u8,
        forward: bool,
        start: u16,
    },
    Scan(u8, u8, u16),
    ScanAsOf(u16, u8),
    Changes(u16, u16),
    Advance,
    Restart,
}

fn attrs() -> impl Strategy<Value = Attrs> {
    (0u8..4, 0u8..4, 0u8..4, 0u8..4, 0u8..4).prop_map(|(gpk, gsk, a, lsk, big)| Attrs {
        gpk,
        gsk,
        a,
        lsk,
        big,
    })
}

fn op() -> impl Strategy<Value = Op> {
    let k = || (0u8..4, 0u8..5);
    prop_oneof![
        6 => (k(), attrs()).prop_map(|((p, s), a)| Op::Put(p, s, a)),
        2 => k().prop_map(|(p, s)| Op::Delete(p, s)),
        1 => k().prop_map(|(p, s)| Op::Refuse(p, s)),
        1 => k().prop_map(|(p, s)| Op::Nothing(p, s)),
        2 => proptest::collection::vec((k(), proptest::option::of(attrs())), 1..5)
            .prop_map(|v| Op::Many(v.into_iter().map(|((p, s), a)| (p, s, a)).collect())),
        2 => proptest::collection::vec((k(), attrs()), 0..8)
            .prop_map(|v| Op::Bulk(v.into_iter().map(|((p, s), a)| (p, s, a)).collect())),
        3 => (k(), proptest::option::of(any::<u16>())).prop_map(|((p, s), t)| Op::Get(p, s, t)),
        5 => (0u8..4, 0u8..4, 0u8..8, 0u8..6, 0u8..6, any::<bool>(), any::<u16>()).prop_map(
            |(index, hash, cond, v1, v2, forward, start)| Op::Query {
                index,
                hash,
                cond,
                v1,
                v2,
                forward,
                start
            }
        ),
        2 => (0u8..4, 1u8..5, any::<u16>()).prop_map(|(i, seg, st)| Op::Scan(i, seg, st)),
        2 => (any::<u16>(), 1u8..4).prop_map(|(t, seg)| Op::ScanAsOf(t, seg)),
        2 => (any::<u16>(), any::<u16>()).prop_map(|(a, b)| Op::Changes(a, b)),
        1 => Just(Op::Advance),
        1 => Just(Op::Restart),
    ]
}

fn make_item(p: u8, sk: u8, a: &Attrs) -> Item {
    let mut it = item(&[
        ("pk", s(PKS[p as usize % 4])),
        ("sk", AttributeValue::N(sk_value(sk))),
    ]);
    match a.gpk {
        1 => drop(it.insert("gpk".into(), s("x"))),
        2 => drop(it.insert("gpk".into(), s("y"))),
        3 => drop(it.insert("gpk".into(), n(1))), // wrong type: not indexed
        _ => {}
    }
    if a.gsk > 0 {
        it.insert("gsk".into(), n(i64::from(a.gsk % 3)));
    }
    if a.a > 0 {
        it.insert("a".into(), s(["p", "q", "r"][a.a as usize % 3]));
    }
    if a.lsk > 0 {
        it.insert("lsk".into(), s(&format!("l{}", a.lsk)));
    }
    it.insert("big".into(), s(&"z".repeat(a.big as usize * 40)));
    it
}

fn key_of(p: u8, sk: u8) -> (Key, PrimaryKey) {
    let pk = PKS[p as usize % 4].to_string();
    let num = sk_value(sk);
    let key = PrimaryKey {
        hash: AttributeValue::S(pk.clone()),
        range: Some(AttributeValue::N(num.clone())),
    };
    ((pk, num), key)
}

fn indexes() -> Vec<IndexDef> {
    vec![
        index(
            "g",
            IndexKind::Global,
            key_attr("gpk", ScalarType::S),
            Some(key_attr("gsk", ScalarType::N)),
            ProjectionType::Include,
            &["a"],
        ),
        index(
            "l",
            IndexKind::Local,
            key_attr("pk", ScalarType::S),
            Some(key_attr("lsk", ScalarType::S)),
            ProjectionType::All,
            &[],
        ),
        index(
            "k",
            IndexKind::Global,
            key_attr("a", ScalarType::S),
            None,
            ProjectionType::KeysOnly,
            &[],
        ),
    ]
}

fn value_cmp(a: &AttributeValue, b: &AttributeValue) -> Ordering {
    match (a, b) {
        (AttributeValue::S(x), AttributeValue::S(y)) => x.as_bytes().cmp(y.as_bytes()),
        (AttributeValue::N(x), AttributeValue::N(y)) => x.cmp(y),
        (AttributeValue::B(x), AttributeValue::B(y)) => x.cmp(y),
        _ => Ordering::Equal,
    }
}

struct Oracle {
    current: BTreeMap<Key, Item>,
    /// The state after each commit.
    states: Vec<(Timestamp, BTreeMap<Key, Item>)>,
    /// Keys changed by each commit.
    writes: Vec<(Timestamp, Vec<Key>)>,
}

impl Oracle {
    fn commit(&mut self, ts: Timestamp, keys: Vec<Key>) {
        if let Some((last, _)) = self.states.last() {
            assert!(ts > *last, "commit stamps strictly increase");
        }
        self.states.push((ts, self.current.clone()));
        self.writes.push((ts, keys));
    }

    fn at(&self, t: Timestamp) -> BTreeMap<Key, Item> {
        self.states
            .iter()
            .rev()
            .find(|(ts, _)| *ts <= t)
            .map(|(_, st)| st.clone())
            .unwrap_or_default()
    }

    /// A time near a commit, chosen by `sel`.
    fn time(&self, sel: u16) -> Option<Timestamp> {
        if self.states.is_empty() {
            return None;
        }
        let i = sel as usize / 3 % self.states.len();
        Some(self.states[i].0 + i64::from(sel % 3) - 1)
    }

    fn stats(&self) -> TableStats {
        TableStats {
            item_count: self.current.len() as u64,
            size_bytes: self
                .current
                .values()
                .map(|i| ferry_model::item_size(i) as u64)
                .sum(),
        }
    }
}

fn sort_key_name(index: u8) -> Option<&'static str> {
    match index {
        0 => Some("sk"),
        1 => Some("gsk"),
        2 => Some("lsk"),
        _ => None,
    }
}

fn cond_value(index: u8, v: u8) -> AttributeValue {
    match index {
        2 => s(&format!("l{}", v % 5)),
        1 => n(i64::from(v % 4)),
        _ => AttributeValue::N(sk_value(v)),
    }
}

fn make_cond(index: u8, cond: u8, v1: u8, v2: u8) -> Option<SortCondition> {
    let (a, b) = (cond_value(index, v1), cond_value(index, v2));
    Some(match cond {
        1 => SortCondition::Eq(a),
        2 => SortCondition::Lt(a),
        3 => SortCondition::Le(a),
        4 => SortCondition::Gt(a),
        5 => SortCondition::Ge(a),
        6 => SortCondition::Between(a, b),
        7 if index == 2 => SortCondition::BeginsWith(s("l")),
        7 if index == 0 => SortCondition::BeginsWith(s("x")), // wrong type
        _ => return None,
    })
}

fn cond_holds(c: &SortCondition, v: &AttributeValue) -> bool {
    use Ordering::*;
    match c {
        SortCondition::Eq(a) => value_cmp(v, a) == Equal,
        SortCondition::Lt(a) => value_cmp(v, a) == Less,
        SortCondition::Le(a) => value_cmp(v, a) != Greater,
        SortCondition::Gt(a) => value_cmp(v, a) == Greater,
        SortCondition::Ge(a) => value_cmp(v, a) != Less,
        SortCondition::Between(a, b) => value_cmp(v, a) != Less && value_cmp(v, b) != Greater,
        SortCondition::BeginsWith(AttributeValue::S(p)) => {
            matches!(v, AttributeValue::S(x) if x.starts_with(p.as_str()))
        }
        SortCondition::BeginsWith(_) => false,
    }
}

fn table_schema() -> KeySchema {
    table_def("t", vec![], false).key
}

/// The oracle's index entries: projected items with their sort tuple.
fn index_view(def: &IndexDef, state: &BTreeMap<Key, Item>) -> Vec<Item> {
    let mut out: Vec<&Item> = state
        .values()
        .filter(|it| crate::keys::index_key_of(&def.key, it).is_some())
        .collect();
    let rk = def.key.range.as_ref().map(|r| r.name.clone());
    out.sort_by(|x, y| {
        let by = |name: &str| value_cmp(&x[name], &y[name]);
        rk.as_deref()
            .map_or(Ordering::Equal, by)
            .then(by("pk"))
            .then(by("sk"))
    });
    out.into_iter()
        .map(|it| crate::index::project(&table_schema(), def, it))
        .collect()
}

fn collect(
    it: Box<dyn Iterator<Item = Result<Item, crate::StorageError>> + Send + '_>,
) -> Vec<Item> {
    it.collect::<Result<Vec<_>, _>>().expect("read")
}

fn start_key(it: &Item, index: Option<&IndexDef>) -> Item {
    let mut k = Item::new();
    let mut names = vec!["pk".to_string(), "sk".to_string()];
    if let Some(def) = index {
        names.push(def.key.hash.name.clone());
        if let Some(r) = &def.key.range {
            names.push(r.name.clone());
        }
    }
    for name in names {
        if let Some(v) = it.get(&name) {
            k.insert(name, v.clone());
        }
    }
    k
}

fn sorted(mut v: Vec<Item>) -> Vec<Item> {
    v.sort_by(|a, b| value_cmp(&a["pk"], &b["pk"]).then(value_cmp(&a["sk"], &b["sk"])));
    v
}

struct Run {
    dir: tempfile::TempDir,
    engine: Option<Arc<Engine>>,
    table: Option<Arc<Table>>,
    pitr: bool,
    oracle: Oracle,
}

impl Run {
    fn table(&self) -> &Table {
        self.table.as_ref().expect("table")
    }

    fn engine(&self) -> &Engine {
        self.engine.as_ref().expect("engine")
    }

    fn open(&mut self) {
        let engine = Engine::open(EngineConfig {
            path: Some(self.dir.path().to_path_buf()),
            sync: false,
        })
        .expect("open");
        self.table = Some(engine.table("t").expect("table exists"));
        self.engine = Some(engine);
    }

    fn check_stats(&self) {
        assert_eq!(self.table().stats(), self.oracle.stats());
        for def in indexes() {
            let view = index_view(&def, &self.oracle.current);
            let want = TableStats {
                item_count: view.len() as u64,
                size_bytes: view.iter().map(|i| ferry_model::item_size(i) as u64).sum(),
            };
            assert_eq!(
                self.table().index_stats(&def.name),
                Some(want),
                "index {}",
                def.name
            );
        }
    }

    fn apply(&mut self, op: &Op) {
        if let Op::Restart = op {
            self.table = None;
            self.engine = None;
            self.open();
            self.check_stats();
            return;
        }
        let t = self.table.clone().expect("table");
        match op {
            Op::Put(p, sk, a) => {
                let (k, key) = key_of(*p, *sk);
                let it = make_item(*p, *sk, a);
                let (old, ts) = t
                    .write(&key, |_| Ok::<_, ()>(Write::Put(it.clone())))
                    .expect("put");
                assert_eq!(old.as_ref(), self.oracle.current.get(&k));
                self.oracle.current.insert(k.clone(), it);
                self.oracle.commit(ts, vec![k]);
            }
            Op::Delete(p, sk) => {
                let (k, key) = key_of(*p, *sk);
                let (old, ts) = t
                    .write(&key, |_| Ok::<_, ()>(Write::Delete))
                    .expect("delete");
                assert_eq!(old.as_ref(), self.oracle.current.get(&k));
                if self.oracle.current.remove(&k).is_some() {
                    self.oracle.commit(ts, vec![k]);
                }
            }
            Op::Refuse(p, sk) => {
                let (k, key) = key_of(*p, *sk);
                let seen = std::cell::RefCell::new(None);
                let r = t.write(&key, |cur| {
                    *seen.borrow_mut() = Some(cur.cloned());
                    Err::<Write, _>("no")
                });
                assert!(matches!(r, Err(WriteError::Refused("no"))));
                assert_eq!(
                    seen.into_inner(),
                    Some(self.oracle.current.get(&k).cloned())
                );
            }
            Op::Nothing(p, sk) => {
                let (k, key) = key_of(*p, *sk);
                let (old, _) = t
                    .write(&key, |_| Ok::<_, ()>(Write::Nothing))
                    .expect("nothing");
                assert_eq!(old.as_ref(), self.oracle.current.get(&k));
            }
            Op::Many(list) => {
                let mut seen = std::collections::BTreeSet::new();
                let list: Vec<_> = list
                    .iter()
                    .filter(|(p, sk, _)| seen.insert(key_of(*p, *sk).0))
                    .collect();
                let keys: Vec<PrimaryKey> =
                    list.iter().map(|(p, sk, _)| key_of(*p, *sk).1).collect();
                let writes: Vec<Write> = list
                    .iter()
                    .map(|(p, sk, a)| match a {
                        Some(a) => Write::Put(make_item(*p, *sk, a)),
                        None => Write::Delete,
                    })
                    .collect();
                let (olds, ts) = t
                    .write_many(&keys, |_| Ok::<_, ()>(writes.clone()))
                    .expect("write_many");
                let mut changed = Vec::new();
                for ((p, sk, _), (old, w)) in list.iter().zip(olds.iter().zip(writes)) {
                    let k = key_of(*p, *sk).0;
                    assert_eq!(old.as_ref(), self.oracle.current.get(&k));
                    match w {
                        Write::Put(it) => {
                            self.oracle.current.insert(k.clone(), it);
                            changed.push(k);
                        }
                        _ => {
                            if self.oracle.current.remove(&k).is_some() {
                                changed.push(k);
                            }
                        }
                    }
                }
                if !changed.is_empty() {
                    self.oracle.commit(ts, changed);
                }
            }
            Op::Bulk(list) => {
                let items: Vec<Item> = list
                    .iter()
                    .map(|(p, sk, a)| make_item(*p, *sk, a))
                    .collect();
                let before = self.engine().clock().now();
                t.bulk_loader().write(items.clone()).expect("bulk");
                if items.is_empty() {
                    return;
                }
                // Find the batch's stamp: the newest version of any key written.
                let mut changed = Vec::new();
                for (it, (p, sk, _)) in items.into_iter().zip(list) {
                    let k = key_of(*p, *sk).0;
                    self.oracle.current.insert(k.clone(), it);
                    changed.push(k);
                }
                let ts = self.batch_stamp(before);
                self.oracle.commit(ts, changed);
            }
            Op::Get(p, sk, at) => {
                let (k, key) = key_of(*p, *sk);
                let got = t.get(&key, None).expect("get");
                assert_eq!(got.as_ref(), self.oracle.current.get(&k));
                if let (Some(sel), true) = (at, self.pitr)
                    && let Some(time) = self.oracle.time(*sel)
                {
                    let got = t.get(&key, Some(time)).expect("get as of");
                    assert_eq!(got.as_ref(), self.oracle.at(time).get(&k), "as of {time}");
                }
            }
            Op::Query {
                index,
                hash,
                cond,
                v1,
                v2,
                forward,
                start,
            } => self.query(*index, *hash, *cond, *v1, *v2, *forward, *start),
            Op::Scan(index, segments, start) => self.scan(*index, *segments, *start),
            Op::ScanAsOf(sel, segments) => {
                let Some(time) = self.oracle.time(*sel) else {
                    return;
                };
                let time = if self.pitr {
                    time
                } else {
                    self.engine().clock().now()
                };
                let mut got = Vec::new();
                for r in hash_ranges(u32::from(*segments)) {
                    got.extend(collect(t.scan_as_of(time, r).expect("scan_as_of")));
                }
                let want: Vec<Item> = self.oracle.at(time).into_values().collect();
                assert_eq!(sorted(got), want, "scan as of {time}");
            }
            Op::Changes(a, b) => {
                if !self.pitr {
                    return;
                }
                let (Some(x), Some(y)) = (self.oracle.time(*a), self.oracle.time(*b)) else {
                    return;
                };
                let (from, to) = (x.min(y), x.max(y) + 1);
                let mut got: Vec<Change> = Vec::new();
                for r in hash_ranges(2) {
                    got.extend(
                        t.changes(from, to, r)
                            .expect("changes")
                            .map(|c| c.expect("change")),
                    );
                }
                got.sort_by(|x, y| {
                    value_cmp(&x.key.hash, &y.key.hash).then_with(|| {
                        value_cmp(
                            x.key.range.as_ref().expect("sk"),
                            y.key.range.as_ref().expect("sk"),
                        )
                    })
                });
                let (old_state, new_state) = (self.oracle.at(from - 1), self.oracle.at(to - 1));
                let mut last: BTreeMap<Key, Timestamp> = BTreeMap::new();
                for (ts, keys) in &self.oracle.writes {
                    if *ts >= from && *ts < to {
                        for k in keys {
                            last.insert(k.clone(), *ts);
                        }
                    }
                }
                let want: Vec<Change> = last
                    .into_iter()
                    .filter_map(|(k, ts)| {
                        let old = old_state.get(&k).cloned();
                        let new = new_state.get(&k).cloned();
                        if old.is_none() && new.is_none() {
                            return None;
                        }
                        Some(Change {
                            key: PrimaryKey {
                                hash: AttributeValue::S(k.0.clone()),
                                range: Some(AttributeValue::N(k.1.clone())),
                            },
                            old,
                            new,
                            last_write: ts,
                        })
                    })
                    .collect();
                assert_eq!(got, want, "changes in [{from}, {to})");
            }
            Op::Advance => self.engine().clock().advance(1_000),
            Op::Restart => unreachable!("handled above"),
        }
        self.check_stats();
    }

    /// The commit stamp of the last bulk batch (after `before`).
    fn batch_stamp(&self, before: Timestamp) -> Timestamp {
        let snap = self.table().store.snapshot();
        let mut best = None;
        for g in fjall::Readable::prefix(
            &snap,
            &self.table().store.items,
            self.table().tid.to_be_bytes(),
        ) {
            let k = g.key().expect("key");
            let (_, ts) = crate::keys::split_version_key(&k).expect("split");
            if ts > before && best.is_none_or(|b| ts > b) {
                best = Some(ts);
            }
        }
        best.expect("the batch wrote a version")
    }

    #[allow(clippy::too_many_arguments)]
    fn query(&self, index: u8, hash: u8, cond: u8, v1: u8, v2: u8, forward: bool, start: u16) {
        let t = self.table();
        let defs = indexes();
        let def = match index {
            0 => None,
            i => Some(&defs[(i - 1) as usize]),
        };
        let hash_value = match index {
            1 => s(["x", "y", "z"][hash as usize % 3]),
            3 => s(["p", "q", "r", "s"][hash as usize % 4]),
            _ => s(PKS[hash as usize % 4]),
        };
        let sort = make_cond(index, cond, v1, v2);
        let spec = |esk: Option<Item>| QuerySpec {
            index: def.map(|d| d.name.clone()),
            hash: hash_value.clone(),
            sort: sort.clone(),
            forward,
            exclusive_start: esk,
        };
        let wrong_begins = matches!((&sort, index), (Some(SortCondition::BeginsWith(_)), 0));
        if (index == 3 && sort.is_some()) || wrong_begins {
            let err = t.query(&spec(None)).err().expect("refused");
            assert!(
                matches!(err, crate::StorageError::InvalidRequest(_)),
                "{err}"
            );
            return;
        }
        // The oracle.
        let mut want: Vec<Item> = match def {
            None => self
                .oracle
                .current
                .values()
                .filter(|it| it["pk"] == hash_value)
                .cloned()
                .collect(),
            Some(d) => index_view(d, &self.oracle.current)
                .into_iter()
                .filter(|it| it[&d.key.hash.name] == hash_value)
                .collect(),
        };
        if let (Some(c), Some(name)) = (&sort, sort_key_name(index)) {
            want.retain(|it| it.get(name).is_some_and(|v| cond_holds(c, v)));
        }
        if !forward {
            want.reverse();
        }
        let got = collect(t.query(&spec(None)).expect("query"));
        assert_eq!(
            got,
            want,
            "query {:?} {:?} forward={forward}",
            def.map(|d| &d.name),
            sort
        );
        // Resume after one of the results.
        let i = start as usize % (want.len() + 1);
        if let Some(at) = want.get(i) {
            let esk = start_key(at, def);
            let got = collect(t.query(&spec(Some(esk))).expect("query"));
            assert_eq!(got, want[i + 1..].to_vec(), "query resumed after #{i}");
        }
    }

    fn scan(&self, index: u8, segments: u8, start: u16) {
        let t = self.table();
        let defs = indexes();
        let def = match index {
            0 => None,
            i => Some(&defs[(i - 1) as usize]),
        };
        let spec = |segment, esk| ScanSpec {
            index: def.map(|d| d.name.clone()),
            segment,
            exclusive_start: esk,
        };
        let whole = collect(t.scan(&spec(None, None)).expect("scan"));
        let mut parts = Vec::new();
        for seg in 0..u32::from(segments) {
            parts.extend(collect(
                t.scan(&spec(Some((seg, u32::from(segments))), None))
                    .expect("scan"),
            ));
        }
        assert_eq!(parts, whole, "segments in order make the whole scan");
        let want = match def {
            None => self.oracle.current.values().cloned().collect(),
            Some(d) => index_view(d, &self.oracle.current),
        };
        assert_eq!(sorted(whole.clone()), sorted(want));
        let i = start as usize % (whole.len() + 1);
        if let Some(at) = whole.get(i) {
            let got = collect(t.scan(&spec(None, Some(start_key(at, def)))).expect("scan"));
            assert_eq!(got, whole[i + 1..].to_vec(), "scan resumed after #{i}");
        }
    }
}

fn run(pitr: bool, ops: &[Op]) {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let engine = Engine::open(EngineConfig {
            path: Some(dir.path().to_path_buf()),
            sync: false,
        })
        .expect("open");
        engine
            .create_table(table_def("t", indexes(), pitr))
            .expect("create");
    }
    let mut r = Run {
        dir,
        engine: None,
        table: None,
        pitr,
        oracle: Oracle {
            current: BTreeMap::new(),
            states: Vec::new(),
            writes: Vec::new(),
        },
    };
    r.open();
    for op in ops {
        r.apply(op);
    }
    if pitr {
        // Pruning inside the window changes nothing that can be read.
        r.engine().prune_history().expect("prune");
        for sel in 0..30u16 {
            r.apply(&Op::ScanAsOf(sel * 7, 2));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn engine_matches_the_oracle_with_pitr(ops in proptest::collection::vec(op(), 1..60)) {
        run(true, &ops);
    }

    #[test]
    fn engine_matches_the_oracle_without_pitr(ops in proptest::collection::vec(op(), 1..60)) {
        run(false, &ops);
    }
}

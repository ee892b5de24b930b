//! Multi-table transactions: all-or-nothing, one timestamp for every table,
//! statistics of every table, no deadlock whatever the order of the items,
//! and an invariant that holds at every commit time (as-of reads).

use std::sync::Arc;

use ferry_model::{AttributeValue, Item, PrimaryKey};

use super::{item, n, s, table_def};
use crate::{Engine, EngineConfig, Table, Write, WriteError, get_many, transact};

fn key(pk: &str) -> PrimaryKey {
    PrimaryKey {
        hash: s(pk),
        range: Some(n(0)),
    }
}

fn account(pk: &str, balance: i64) -> Item {
    item(&[("pk", s(pk)), ("sk", n(0)), ("b", n(balance))])
}

fn balance(it: Option<&Item>) -> i64 {
    match it.and_then(|i| i.get("b")) {
        Some(AttributeValue::N(v)) => v.to_string().parse().expect("integer"),
        _ => 0,
    }
}

fn two_tables(e: &Engine) -> (Arc<Table>, Arc<Table>) {
    let a = e.create_table(table_def("a", vec![], true)).expect("a");
    let b = e.create_table(table_def("b", vec![], false)).expect("b");
    (a, b)
}

#[test]
fn all_or_nothing_at_one_timestamp() {
    let e = Engine::open(EngineConfig::default()).expect("open");
    let (a, b) = two_tables(&e);
    let (ka, kb) = (key("x"), key("y"));
    let refused = transact(&[(&*a, &ka), (&*b, &kb)], |olds| {
        assert_eq!(olds, &[None, None]);
        Err::<Vec<Write>, _>("no")
    });
    assert!(matches!(refused, Err(WriteError::Refused("no"))));
    assert_eq!(a.stats().item_count + b.stats().item_count, 0);

    let (olds, ts) = transact(&[(&*a, &ka), (&*b, &kb)], |_| {
        Ok::<_, ()>(vec![
            Write::Put(account("x", 5)),
            Write::Put(account("y", 7)),
        ])
    })
    .expect("commit");
    assert_eq!(olds, vec![None, None]);
    assert_eq!(a.stats().item_count, 1);
    assert_eq!(b.stats().item_count, 1);
    // Table `a` keeps history: nothing as of just before the stamp, all at it.
    assert_eq!(a.get(&ka, Some(ts - 1)).expect("get"), None);
    assert_eq!(balance(a.get(&ka, Some(ts)).expect("get").as_ref()), 5);

    let got = get_many(&[(&*b, &kb), (&*a, &ka), (&*a, &key("none"))]).expect("get");
    assert_eq!(balance(got[0].as_ref()), 7);
    assert_eq!(balance(got[1].as_ref()), 5);
    assert_eq!(got[2], None);

    let dup = transact(&[(&*a, &ka), (&*a, &ka)], |_| Ok::<_, ()>(vec![]));
    assert!(matches!(dup, Err(WriteError::Storage(_))), "duplicate keys");
    let (_, ts2) = transact(&[(&*a, &ka), (&*b, &kb)], |_| {
        Ok::<_, ()>(vec![Write::Delete, Write::Nothing])
    })
    .expect("delete");
    assert!(ts2 > ts);
    assert_eq!(a.stats().item_count, 0);
    assert_eq!(b.stats().item_count, 1);
}

/// Threads move money between accounts of two tables, locking the items in
/// opposite orders; the total holds at the end and as of every commit.
#[test]
fn transfers_keep_the_sum_without_deadlock() {
    let e = Engine::open(EngineConfig::default()).expect("open");
    let (a, _) = two_tables(&e);
    let b = e.create_table(table_def("b2", vec![], true)).expect("b2");
    let names: Vec<String> = (0..6).map(|i| format!("acct{i}")).collect();
    for (i, name) in names.iter().enumerate() {
        let t = if i.is_multiple_of(2) { &a } else { &b };
        t.write(&key(name), |_| Ok::<_, ()>(Write::Put(account(name, 100))))
            .expect("seed");
    }
    let table_of = |i: usize| if i.is_multiple_of(2) { &a } else { &b };
    let stamps = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|sc| {
        for w in 0..4usize {
            let (names, stamps) = (&names, &stamps);
            sc.spawn(move || {
                for i in 0..150usize {
                    let (from, to) = ((w + i) % 6, (w * 5 + i * 7 + 1) % 6);
                    if from == to {
                        continue;
                    }
                    let (kf, kt) = (key(&names[from]), key(&names[to]));
                    let targets = [(&**table_of(from), &kf), (&**table_of(to), &kt)];
                    let r = transact(&targets, |olds| {
                        let (bf, bt) = (balance(olds[0].as_ref()), balance(olds[1].as_ref()));
                        if bf < 3 {
                            return Err(());
                        }
                        Ok(vec![
                            Write::Put(account(&names[from], bf - 3)),
                            Write::Put(account(&names[to], bt + 3)),
                        ])
                    });
                    if let Ok((_, ts)) = r {
                        stamps.lock().expect("stamps").push(ts);
                    }
                }
            });
        }
    });
    let total = |at: Option<i64>| -> i64 {
        names
            .iter()
            .enumerate()
            .map(|(i, name)| balance(table_of(i).get(&key(name), at).expect("get").as_ref()))
            .sum()
    };
    assert_eq!(total(None), 600);
    let stamps = stamps.into_inner().expect("stamps");
    assert!(!stamps.is_empty());
    for ts in stamps {
        assert_eq!(total(Some(ts)), 600, "as of {ts}");
        assert_eq!(total(Some(ts - 1)), 600, "just before {ts}");
    }
}

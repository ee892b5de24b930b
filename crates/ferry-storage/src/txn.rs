//! Multi-table transactions: an atomic read-modify-write of items in any
//! number of tables, committed in one fjall batch at one timestamp, and
//! reads of items in several tables from one snapshot.
//!
//! Locking: [`transact`] takes the stripe lock of every involved item in one
//! global order (table id, then stripe), so two transactions, or a
//! transaction and single writes (which take one stripe of one table), can
//! never deadlock; they wait for each other instead. Under the locks it
//! reads the current versions from one snapshot, lets the caller decide
//! every item's [`Write`], and commits the versions, index changes and the
//! statistics of every table in one batch through [`commit_tables`], the one
//! commit path of item writes (`Table::write`, `Table::write_many` and
//! transactions all end there). A reader therefore sees all of a
//! transaction or none of it, at any time, as of any timestamp.

use ferry_model::{Item, PrimaryKey};

use crate::catalog::{STATS_PREFIX, tid_key};
use crate::keys::{TS_LEN, item_prefix};
use crate::stats::Counters;
use crate::store::Store;
use crate::table::{Ops, Table, TableState, check_item_key, mark_expired, plan_item, read_current};
use crate::{StorageError, Timestamp, Write, WriteError};

/// One table's share of a commit: the table, the definition the changes
/// were planned with, and the changes.
pub(crate) struct TableOps<'a> {
    pub table: &'a Table,
    pub state: &'a TableState,
    pub ops: Ops,
}

/// Commits the changes of one or more tables (each table at most once) in
/// one batch at one new timestamp, with every table's new statistics.
/// Nothing to write: the current time, and no commit.
pub(crate) fn commit_tables(
    store: &Store,
    parts: Vec<TableOps<'_>>,
) -> Result<Timestamp, StorageError> {
    let parts: Vec<TableOps<'_>> = parts
        .into_iter()
        .filter(|p| !(p.ops.is_empty() && p.ops.delta.is_empty()))
        .collect();
    if parts.is_empty() {
        return Ok(store.clock.now());
    }
    // Outside the commit lock: the live indexes of each table.
    let lives: Vec<Vec<u32>> = parts.iter().map(|p| p.state.live_iids()).collect();
    store.commit(
        |ts, batch| {
            let mut nexts: Vec<(&Table, Counters)> = Vec::with_capacity(parts.len());
            for (p, live) in parts.into_iter().zip(&lives) {
                let next = p.table.counters.lock().applied(&p.ops.delta, live);
                p.table
                    .last_commit
                    .fetch_max(ts, std::sync::atomic::Ordering::SeqCst);
                batch.insert(
                    &store.sys,
                    tid_key(STATS_PREFIX, p.table.tid),
                    next.encode(),
                );
                if let Some(bulk) = p.table.bulk.lock().as_mut() {
                    for (key, value) in &p.ops.versions {
                        if value.is_some() {
                            bulk.note_write(key.get(..key.len() - TS_LEN).unwrap_or_default());
                        }
                    }
                }
                if p.state.record.stream_log_from.is_some() {
                    for (key, _) in &p.ops.versions {
                        let prefix = key.get(..key.len() - TS_LEN).unwrap_or_default();
                        crate::stream_log::log_version(store, batch, prefix, ts);
                    }
                }
                p.ops.apply(store, ts, batch);
                nexts.push((p.table, next));
            }
            Ok(nexts)
        },
        |nexts| {
            for (table, next) in nexts {
                *table.counters.lock() = next;
            }
        },
    )
}

/// One item a transaction touches, planned: where it is and what is there.
struct Slot {
    /// Index of the item's table in the distinct-table list.
    table: usize,
    prefix: Vec<u8>,
}

/// Atomic read-modify-write of items in one or more tables of one engine,
/// all committed at one timestamp. `targets` are (table, key) pairs, no
/// item twice. `f` sees the current items (in `targets` order) and decides
/// one [`Write`] per item; a refusal writes nothing. Returns the previous
/// items and the commit timestamp (the current time when nothing was
/// written).
pub fn transact<E>(
    targets: &[(&Table, &PrimaryKey)],
    f: impl FnOnce(&[Option<Item>]) -> Result<Vec<Write>, E>,
) -> Result<(Vec<Option<Item>>, Timestamp), WriteError<E>> {
    let Some((first, _)) = targets.first() else {
        return Err(StorageError::InvalidRequest("a transaction needs an item".to_string()).into());
    };
    let store = &first.store;
    // Distinct tables, ordered by table id (the lock order).
    let mut tables: Vec<&Table> = Vec::new();
    for (t, _) in targets {
        if !std::sync::Arc::ptr_eq(&t.store, store) {
            return Err(StorageError::InvalidRequest(
                "a transaction's tables belong to one engine".to_string(),
            )
            .into());
        }
        if !tables.iter().any(|x| x.tid == t.tid) {
            tables.push(t);
        }
    }
    tables.sort_by_key(|t| t.tid);
    let mut slots = Vec::with_capacity(targets.len());
    for (t, key) in targets {
        let (prefix, _) = item_prefix(t.tid, &t.schema, key)?;
        let table = tables
            .iter()
            .position(|x| x.tid == t.tid)
            .unwrap_or_default();
        slots.push(Slot { table, prefix });
    }
    let mut seen: Vec<&Vec<u8>> = slots.iter().map(|s| &s.prefix).collect();
    seen.sort();
    if seen.windows(2).any(|w| w[0] == w[1]) {
        return Err(StorageError::InvalidRequest("duplicate keys in one write".to_string()).into());
    }

    let mut guards = Vec::new();
    for (i, t) in tables.iter().enumerate() {
        let mut stripes: Vec<usize> = slots
            .iter()
            .filter(|s| s.table == i)
            .map(|s| Table::stripe_of(&s.prefix))
            .collect();
        stripes.sort_unstable();
        stripes.dedup();
        guards.push(t.lock_stripes(&stripes));
    }
    let mut states = Vec::with_capacity(tables.len());
    for t in &tables {
        t.check_live()?;
        states.push(t.state());
    }
    let snap = store.snapshot();
    let mut olds = Vec::with_capacity(slots.len());
    let mut versions = Vec::with_capacity(slots.len());
    for s in &slots {
        let keep = states[s.table].keeps_versions();
        let (old, v) = read_current(store, &snap, &s.prefix, !keep)?;
        olds.push(old);
        versions.push(v);
    }
    drop(snap);
    let writes = f(&olds).map_err(WriteError::Refused)?;
    if writes.len() != slots.len() {
        return Err(StorageError::InvalidRequest(format!(
            "{} writes decided for {} keys",
            writes.len(),
            slots.len()
        ))
        .into());
    }
    let mut ops: Vec<Ops> = tables.iter().map(|_| Ops::default()).collect();
    for (i, w) in writes.iter().enumerate() {
        let (s, (t, key)) = (&slots[i], &targets[i]);
        let new = match w {
            Write::Put(item) => {
                check_item_key(&t.schema, key, item)?;
                Some(item)
            }
            Write::Delete | Write::Expire => None,
            Write::Nothing => continue,
        };
        let from = ops[s.table].versions.len();
        plan_item(
            &states[s.table],
            t.tid,
            &s.prefix,
            olds[i].as_ref(),
            std::mem::take(&mut versions[i]),
            new,
            &mut ops[s.table],
        )?;
        if matches!(w, Write::Expire) {
            mark_expired(&mut ops[s.table], from);
        }
    }
    let parts = tables
        .iter()
        .zip(&states)
        .zip(ops)
        .map(|((table, state), ops)| TableOps { table, state, ops })
        .collect();
    let ts = commit_tables(store, parts)?;
    drop(guards);
    Ok((olds, ts))
}

/// The current items at `targets` (any tables of one engine), all read from
/// one snapshot that holds whole commits only: a transaction is seen
/// entirely or not at all.
pub fn get_many(targets: &[(&Table, &PrimaryKey)]) -> Result<Vec<Option<Item>>, StorageError> {
    let Some((first, _)) = targets.first() else {
        return Ok(Vec::new());
    };
    let store = &first.store;
    let mut prefixes = Vec::with_capacity(targets.len());
    for (t, key) in targets {
        if !std::sync::Arc::ptr_eq(&t.store, store) {
            return Err(StorageError::InvalidRequest(
                "a transaction's tables belong to one engine".to_string(),
            ));
        }
        t.check_live()?;
        prefixes.push(item_prefix(t.tid, &t.schema, key)?.0);
    }
    let snap = store.settled_snapshot();
    prefixes
        .iter()
        .map(|p| read_current(store, &snap, p, false).map(|(item, _)| item))
        .collect()
}

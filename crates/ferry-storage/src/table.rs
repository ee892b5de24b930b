//! `Table`: one table's state (definition, statistics, locks) and its
//! writes: read-modify-write of one or several items, each one atomic batch
//! holding the new version, the removal of superseded versions (PITR off),
//! the index entry changes and the new statistics.
//!
//! Locking: a write takes the stripe lock of its key (striped by the hash of
//! the item prefix), reads the current version from a snapshot, lets the
//! caller decide, then commits under the engine's commit lock. Writes to
//! different keys therefore read, decide and encode in parallel. Definition
//! changes that affect writers (index add/drop, table deletion) take every
//! stripe.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use ferry_model::{Item, KeySchema, PrimaryKey, TableDef};
use fjall::{OwnedWriteBatch, Readable, Slice, Snapshot};
use parking_lot::{Mutex, MutexGuard, RwLock};

use crate::bulk::BulkState;
use crate::catalog::TableRecord;
use crate::codec::{EXPIRED, TOMBSTONE, decode_version, encode_put};
use crate::index::index_changes;
use crate::keys::{TS_LEN, index_key_of, item_prefix, split_version_key, ts_suffix, version_key};
use crate::stats::{Counters, Delta, item_size};
use crate::store::{Store, engine_err};
use crate::txn::{TableOps, commit_tables};
use crate::{StorageError, TableStats, Timestamp, Write, WriteError};

const STRIPES: usize = 128;
/// Length of `table id | hash` at the start of a version key.
pub(crate) const HEAD_LEN: usize = 12;

/// The definition as writers and readers see it.
pub(crate) struct TableState {
    pub record: TableRecord,
    /// `record.full_def()`, cached.
    pub def: TableDef,
}

impl TableState {
    pub fn new(record: TableRecord) -> TableState {
        let def = record.full_def();
        TableState { record, def }
    }

    /// Whether writes keep superseded versions (PITR on, or a stream's
    /// retention running).
    pub fn keeps_versions(&self) -> bool {
        self.def.pitr.is_some() || self.record.stream_until.is_some()
    }

    pub fn live_iids(&self) -> Vec<u32> {
        self.record.indexes.iter().map(|i| i.iid).collect()
    }
}

/// One table.
pub struct Table {
    pub(crate) store: Arc<Store>,
    pub(crate) tid: u32,
    pub(crate) schema: KeySchema,
    pub(crate) state: RwLock<Arc<TableState>>,
    stripes: Box<[Mutex<()>]>,
    /// Only changed under the engine's commit lock.
    pub(crate) counters: Mutex<Counters>,
    dropped: AtomicBool,
    /// No commit of this table is stamped later than this (its latest
    /// commit since the engine opened, or the opening time); raised by
    /// `txn::commit_tables` under the commit lock.
    pub(crate) last_commit: AtomicI64,
    /// Set while bulk loaders are open.
    pub(crate) bulk: Mutex<Option<BulkState>>,
    /// Serialises definition changes.
    pub(crate) def_lock: Mutex<()>,
    /// Index backfills running in the background (`backfill.rs`).
    pub(crate) backfills: Mutex<Vec<std::thread::JoinHandle<()>>>,
}

/// The changes one commit makes.
#[derive(Default)]
pub(crate) struct Ops {
    /// New versions: the version key with a zero timestamp (patched at
    /// commit) and the value (`None` = tombstone). Values are converted to
    /// fjall slices here, outside the commit lock.
    pub versions: Vec<(Vec<u8>, Option<Slice>)>,
    /// Version keys to remove.
    pub removes: Vec<Slice>,
    pub index_removes: Vec<Slice>,
    pub index_puts: Vec<(Slice, Slice)>,
    pub delta: Delta,
}

impl Ops {
    pub fn is_empty(&self) -> bool {
        self.versions.is_empty()
            && self.removes.is_empty()
            && self.index_removes.is_empty()
            && self.index_puts.is_empty()
    }

    pub(crate) fn apply(self, store: &Store, ts: Timestamp, batch: &mut OwnedWriteBatch) {
        let suffix = ts_suffix(ts);
        for (mut key, value) in self.versions {
            let at = key.len() - TS_LEN;
            key[at..].copy_from_slice(&suffix);
            let v = value.unwrap_or_else(|| Slice::from(&TOMBSTONE[..]));
            batch.insert(&store.items, key, v);
        }
        for k in self.removes {
            batch.remove(&store.items, k);
        }
        for k in self.index_removes {
            batch.remove(&store.index, k);
        }
        for (k, v) in self.index_puts {
            batch.insert(&store.index, k, v);
        }
    }
}

/// The newest version of an item (decoded; `None` if absent or deleted) and,
/// when `all`, the keys of all its versions.
pub(crate) fn read_current(
    store: &Store,
    snap: &Snapshot,
    prefix: &[u8],
    all: bool,
) -> Result<(Option<Item>, Vec<Slice>), StorageError> {
    let mut current = None;
    let mut keys = Vec::new();
    for (n, guard) in snap.prefix(&store.items, prefix).enumerate() {
        let (k, v) = guard.into_inner().map_err(engine_err)?;
        if k.len() != prefix.len() + TS_LEN {
            continue;
        }
        if n == 0 {
            current = decode_version(&v)?;
        }
        if !all {
            break;
        }
        keys.push(k);
    }
    Ok((current, keys))
}

/// `record` with the changes `f` makes to its definition (status, PITR
/// settings, `extra`); the name, the key schema and the indexes stay.
pub(crate) fn redefined(record: &TableRecord, f: &mut dyn FnMut(&mut TableDef)) -> TableRecord {
    let old = record.full_def();
    let mut def = old.clone();
    f(&mut def);
    def.name = old.name;
    def.key = old.key;
    let mut record = record.clone();
    record.history |= def.pitr.is_some();
    record.def = TableDef {
        indexes: Vec::new(),
        ..def
    };
    record
}

/// Fails unless `item` carries exactly `key` under `schema`.
pub(crate) fn check_item_key(
    schema: &KeySchema,
    key: &PrimaryKey,
    item: &Item,
) -> Result<(), StorageError> {
    match index_key_of(schema, item) {
        Some(k) if k == *key => Ok(()),
        _ => Err(StorageError::InvalidRequest(
            "the item's key attributes do not match the key written".to_string(),
        )),
    }
}

/// Adds the changes of replacing `old` by `new` for the item at `prefix`.
pub(crate) fn plan_item(
    state: &TableState,
    tid: u32,
    prefix: &[u8],
    old: Option<&Item>,
    old_versions: Vec<Slice>,
    new: Option<&Item>,
    ops: &mut Ops,
) -> Result<(), StorageError> {
    let keep = state.keeps_versions();
    match new {
        Some(item) => ops
            .versions
            .push((version_key(prefix, 0), Some(Slice::from(encode_put(item)?)))),
        None if keep && old.is_some() => ops.versions.push((version_key(prefix, 0), None)),
        None => {}
    }
    if !keep {
        ops.removes.extend(old_versions);
    }
    ops.delta.item(old.map(item_size), new.map(item_size));
    index_changes(
        state,
        tid,
        prefix.get(HEAD_LEN..).unwrap_or_default(),
        old,
        new,
        ops,
    )
}

/// A table's definition as of one moment, shared rather than copied
/// ([`Table::shared_def`]).
pub struct SharedDef(Arc<TableState>);

impl std::ops::Deref for SharedDef {
    type Target = TableDef;
    fn deref(&self) -> &TableDef {
        &self.0.def
    }
}

/// Marks the tombstones planned in `ops` from version `from` on as TTL
/// deletions (`Write::Expire`).
pub(crate) fn mark_expired(ops: &mut Ops, from: usize) {
    for (_, value) in ops.versions.iter_mut().skip(from) {
        if value.is_none() {
            *value = Some(Slice::from(&EXPIRED[..]));
        }
    }
}

impl Table {
    pub(crate) fn new(store: Arc<Store>, record: TableRecord, counters: Counters) -> Table {
        let opened = store.clock.now();
        Table {
            store,
            tid: record.tid,
            schema: record.def.key.clone(),
            state: RwLock::new(Arc::new(TableState::new(record))),
            stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(),
            counters: Mutex::new(counters),
            dropped: AtomicBool::new(false),
            last_commit: AtomicI64::new(opened),
            bulk: Mutex::new(None),
            def_lock: Mutex::new(()),
            backfills: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn state(&self) -> Arc<TableState> {
        self.state.read().clone()
    }

    pub(crate) fn check_live(&self) -> Result<(), StorageError> {
        if self.dropped.load(Ordering::SeqCst) {
            return Err(StorageError::TableNotFound(self.state().def.name.clone()));
        }
        Ok(())
    }

    pub(crate) fn stripe_of(prefix: &[u8]) -> usize {
        (xxhash_rust::xxh3::xxh3_64(prefix) % STRIPES as u64) as usize
    }

    /// Locks the given stripes (sorted, distinct) in order.
    pub(crate) fn lock_stripes(&self, ids: &[usize]) -> Vec<MutexGuard<'_, ()>> {
        ids.iter()
            .filter_map(|&i| self.stripes.get(i))
            .map(|m| m.lock())
            .collect()
    }

    pub(crate) fn lock_all(&self) -> Vec<MutexGuard<'_, ()>> {
        self.stripes.iter().map(|m| m.lock()).collect()
    }

    /// Marks the table deleted: later operations fail with `TableNotFound`.
    pub(crate) fn mark_dropped(&self) {
        let _all = self.lock_all();
        self.dropped.store(true, Ordering::SeqCst);
    }

    /// Commits `ops` at a new timestamp with the resulting statistics.
    pub(crate) fn commit_ops(
        &self,
        state: &TableState,
        ops: Ops,
    ) -> Result<Timestamp, StorageError> {
        let table = TableOps {
            table: self,
            state,
            ops,
        };
        commit_tables(&self.store, vec![table])
    }

    /// The current definition.
    pub fn def(&self) -> TableDef {
        self.state().def.clone()
    }

    /// The current definition without copying it (the per-request paths:
    /// a `TableDef` copy is a few dozen allocations).
    pub fn shared_def(&self) -> SharedDef {
        SharedDef(self.state())
    }

    /// Change the definition (status, PITR settings, `extra`) durably. Index
    /// changes go through `add_index` / `drop_index`; the name and the key
    /// schema never change (whatever `f` does to them is undone).
    pub fn update_def(&self, f: &mut dyn FnMut(&mut TableDef)) -> Result<TableDef, StorageError> {
        let _def = self.def_lock.lock();
        self.check_live()?;
        let record = redefined(&self.state().record, f);
        self.save_record(&record)?;
        let state = Arc::new(TableState::new(record));
        *self.state.write() = state.clone();
        Ok(state.def.clone())
    }

    /// The primary key of `item` under this table's key schema (None if the
    /// item lacks a key attribute or has one of the wrong type).
    pub fn key_of(&self, item: &Item) -> Option<PrimaryKey> {
        index_key_of(&self.schema, item)
    }

    /// Atomic read-modify-write of one item: `f` sees the current item and
    /// decides. Returns the previous item and the commit timestamp (the
    /// current time when nothing was written). Index entries change in the
    /// same atomic batch.
    pub fn write<E>(
        &self,
        key: &PrimaryKey,
        f: impl FnOnce(Option<&Item>) -> Result<Write, E>,
    ) -> Result<(Option<Item>, Timestamp), WriteError<E>> {
        let (prefix, _) = item_prefix(self.tid, &self.schema, key)?;
        let _stripe = self.lock_stripes(&[Self::stripe_of(&prefix)]);
        self.check_live()?;
        let state = self.state();
        let snap = self.store.snapshot();
        let (old, old_versions) =
            read_current(&self.store, &snap, &prefix, !state.keeps_versions())?;
        let written = f(old.as_ref()).map_err(WriteError::Refused)?;
        let new = match &written {
            Write::Put(item) => {
                check_item_key(&self.schema, key, item)?;
                Some(item)
            }
            Write::Delete | Write::Expire => None,
            Write::Nothing => return Ok((old, self.store.clock.now())),
        };
        let mut ops = Ops::default();
        plan_item(
            &state,
            self.tid,
            &prefix,
            old.as_ref(),
            old_versions,
            new,
            &mut ops,
        )?;
        if matches!(written, Write::Expire) {
            mark_expired(&mut ops, 0);
        }
        let ts = self.commit_ops(&state, ops)?;
        Ok((old, ts))
    }

    /// Atomic read-modify-write of several items (keys distinct), all at one
    /// timestamp: BatchWriteItem (a one-table [`crate::transact`]).
    pub fn write_many<E>(
        &self,
        keys: &[PrimaryKey],
        f: impl FnOnce(&[Option<Item>]) -> Result<Vec<Write>, E>,
    ) -> Result<(Vec<Option<Item>>, Timestamp), WriteError<E>> {
        if keys.is_empty() {
            f(&[]).map_err(WriteError::Refused)?;
            return Ok((Vec::new(), self.store.clock.now()));
        }
        let targets: Vec<(&Table, &PrimaryKey)> = keys.iter().map(|k| (self, k)).collect();
        crate::txn::transact(&targets, f)
    }

    /// Read one item, now or as of a past time (`as_of` inclusive).
    pub fn get(
        &self,
        key: &PrimaryKey,
        as_of: Option<Timestamp>,
    ) -> Result<Option<Item>, StorageError> {
        self.check_live()?;
        let (prefix, _) = item_prefix(self.tid, &self.schema, key)?;
        let snap = match as_of {
            Some(_) => self.store.settled_snapshot(),
            None => self.store.snapshot(),
        };
        let start = match as_of {
            Some(t) => version_key(&prefix, t),
            None => prefix.clone(),
        };
        let end = crate::keys::prefix_end(&prefix);
        let iter = match end {
            Some(e) => snap.range(&self.store.items, start..e),
            None => snap.range(&self.store.items, start..),
        };
        for guard in iter {
            let (k, v) = guard.into_inner().map_err(engine_err)?;
            let (p, _) = split_version_key(&k)?;
            if p != prefix.as_slice() {
                continue;
            }
            return decode_version(&v);
        }
        Ok(None)
    }

    pub fn stats(&self) -> TableStats {
        self.counters.lock().table
    }

    /// Entry count and size of a secondary index (projected items).
    pub fn index_stats(&self, name: &str) -> Option<TableStats> {
        let state = self.state();
        let iid = state
            .record
            .indexes
            .iter()
            .find(|i| i.def.name == name)?
            .iid;
        Some(
            self.counters
                .lock()
                .indexes
                .get(&iid)
                .copied()
                .unwrap_or_default(),
        )
    }

    /// The earliest time that `get(.., Some(t))` / `scan_as_of(t, ..)` can
    /// read exactly (PITR window start), if history is kept.
    pub fn earliest_restorable(&self) -> Option<Timestamp> {
        let pitr = self.state().def.pitr.clone()?;
        let window = i64::from(pitr.recovery_period_days) * 86_400_000_000;
        Some(pitr.enabled_micros.max(self.store.clock.now() - window))
    }
}

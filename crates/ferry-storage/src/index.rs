//! Secondary indexes (GSIs and LSIs alike): current state only, one entry
//! per item that has the index key attributes with the right types, kept in
//! the same atomic batch as the base write.
//!
//! ```text
//! entry key   : tid | iid | hash(enc(ipk)) | enc(ipk) | enc(isk) | enc(pk) | enc(sk)
//! entry value : FORMAT | projected item
//! ```
//!
//! The projection holds the table and index key attributes (KEYS_ONLY), plus
//! the listed attributes (INCLUDE), or the whole item (ALL). Adding an index
//! publishes its definition, marked `backfilling`, under every stripe lock,
//! so every later write maintains it; the entries of the items already there
//! are filled in by a background thread (`backfill.rs`), which clears the
//! mark once done. Until then the index is CREATING and cannot be read.
//! Entries present are always those of the current items (never stale), and
//! the statistics count exactly the entries present.

use std::sync::Arc;

use ferry_model::{IndexDef, Item, KeySchema, ProjectionType, TableDef};
use fjall::{Readable, Slice};

use crate::StorageError;
use crate::catalog::{IndexEntry, Probe, STATS_PREFIX, table_key, tid_key};
use crate::codec::encode_index_value;
use crate::keys::{index_entry_key, index_head, index_key_of};
use crate::stats::{Delta, item_size};
use crate::store::engine_err;
use crate::table::{Ops, Table, TableState, redefined};

/// Entries written per batch when backfilling or purging.
pub(crate) const CHUNK: usize = 10_000;

/// The attributes of `item` that an index with `def` holds.
pub(crate) fn project(table: &KeySchema, def: &IndexDef, item: &Item) -> Item {
    if def.projection.ty == ProjectionType::All {
        return item.clone();
    }
    let mut out = Item::new();
    let mut keep = |name: &str| {
        if let Some(v) = item.get(name) {
            out.insert(name.to_string(), v.clone());
        }
    };
    keep(&table.hash.name);
    if let Some(r) = &table.range {
        keep(&r.name);
    }
    keep(&def.key.hash.name);
    if let Some(r) = &def.key.range {
        keep(&r.name);
    }
    if def.projection.ty == ProjectionType::Include {
        for name in &def.projection.non_key_attributes {
            keep(name);
        }
    }
    out
}

/// The entry key, value and size of `item` in one index, if it belongs there
/// (`ferry_model::fits_index`: key attributes present, typed, not empty,
/// within DynamoDB's key sizes; a GSI backfill leaves the others out).
pub(crate) fn entry_of(
    tid: u32,
    entry: &IndexEntry,
    table: &KeySchema,
    table_key: &[u8],
    item: &Item,
) -> Result<Option<(Vec<u8>, Item)>, StorageError> {
    if !ferry_model::fits_index(item, &entry.def) {
        return Ok(None);
    }
    let Some(ik) = index_key_of(&entry.def.key, item) else {
        return Ok(None);
    };
    let key = index_entry_key(tid, entry.iid, &entry.def.key, &ik, table_key)?;
    Ok(Some((key, project(table, &entry.def, item))))
}

/// Adds the index changes of replacing `old` by `new` (the base item whose
/// encoded primary key is `table_key`).
pub(crate) fn index_changes(
    state: &TableState,
    tid: u32,
    table_key: &[u8],
    old: Option<&Item>,
    new: Option<&Item>,
    ops: &mut Ops,
) -> Result<(), StorageError> {
    let table = &state.def.key;
    for entry in &state.record.indexes {
        let old_e = match old {
            Some(o) => entry_of(tid, entry, table, table_key, o)?,
            None => None,
        };
        let new_e = match new {
            Some(n) => entry_of(tid, entry, table, table_key, n)?,
            None => None,
        };
        // While backfilling, the entry of `old` may not be there yet: the
        // statistics count only what is (the caller holds the item's stripe,
        // which the backfill also takes before adding an entry).
        let old_e = match (&entry.probe, old_e) {
            (Some(Probe(ks)), Some((k, p))) => {
                ks.contains_key(&k).map_err(engine_err)?.then_some((k, p))
            }
            (_, e) => e,
        };
        let old_size = old_e.as_ref().map(|(_, p)| item_size(p));
        let new_size = new_e.as_ref().map(|(_, p)| item_size(p));
        if let Some((ok, _)) = &old_e
            && new_e.as_ref().is_none_or(|(nk, _)| nk != ok)
        {
            ops.index_removes.push(Slice::from(ok.as_slice()));
        }
        if let Some((nk, proj)) = new_e {
            ops.index_puts
                .push((Slice::from(nk), Slice::from(encode_index_value(&proj))));
        }
        ops.delta.index(entry.iid, old_size, new_size);
    }
    Ok(())
}

impl Table {
    /// Add a secondary index, together with the definition changes `f`
    /// makes (see `update_def`), in one commit. Writers maintain the index
    /// from then on; a background thread fills in the entries of the items
    /// already there (`backfill.rs`) and then marks the index complete.
    pub fn add_index(
        self: &Arc<Self>,
        index: IndexDef,
        f: &mut dyn FnMut(&mut TableDef),
    ) -> Result<(), StorageError> {
        let _def = self.def_lock.lock();
        let snap = {
            let _all = self.lock_all();
            self.check_live()?;
            let old = self.state();
            if old.record.indexes.iter().any(|i| i.def.name == index.name) {
                return Err(StorageError::InvalidRequest(format!(
                    "index already exists: {}",
                    index.name
                )));
            }
            let mut record = old.record.clone();
            let iid = record.next_iid;
            record.next_iid += 1;
            record.indexes.push(IndexEntry {
                iid,
                def: index,
                backfilling: true,
                probe: Some(Probe(self.store.index.clone())),
            });
            // `f` sees the definition with the new index.
            let record = redefined(&record, f);
            self.save_record(&record)?;
            *self.state.write() = Arc::new(TableState::new(record));
            // Every write not in this snapshot maintains the new index.
            (iid, self.store.snapshot())
        };
        crate::backfill::spawn(self, snap.0, snap.1);
        Ok(())
    }

    /// Remove a secondary index (complete or still being backfilled), with
    /// the definition changes `f` makes, in one commit; then its entries.
    pub fn drop_index(
        &self,
        name: &str,
        f: &mut dyn FnMut(&mut TableDef),
    ) -> Result<(), StorageError> {
        let _def = self.def_lock.lock();
        let iid = {
            let _all = self.lock_all();
            self.check_live()?;
            let mut record = self.state().record.clone();
            let pos = record
                .indexes
                .iter()
                .position(|i| i.def.name == name)
                .ok_or_else(|| StorageError::IndexNotFound(name.to_string()))?;
            let iid = record.indexes.remove(pos).iid;
            // `f` sees the definition without the index.
            let record = redefined(&record, f);
            self.save_record(&record)?;
            let state = Arc::new(TableState::new(record));
            *self.state.write() = state.clone();
            // Drop the index's statistics.
            let mut delta = Delta::default();
            delta.index(iid, None, None);
            let ops = Ops {
                delta,
                ..Ops::default()
            };
            self.commit_stats_only(&state, ops)?;
            iid
        };
        purge_prefix(&self.store, &self.store.index, &index_head(self.tid, iid))
    }

    /// The names of the indexes still being backfilled.
    pub fn backfilling(&self) -> Vec<String> {
        let state = self.state();
        let busy = state.record.indexes.iter().filter(|i| i.backfilling);
        busy.map(|i| i.def.name.clone()).collect()
    }

    /// Waits until the backfills started so far have ended (complete, or
    /// stopped because their index or table went away).
    pub fn wait_for_backfills(&self) {
        let handles: Vec<_> = std::mem::take(&mut *self.backfills.lock());
        for h in handles {
            let _ = h.join();
        }
    }

    /// Writes the statistics record even when `ops` changes nothing else.
    fn commit_stats_only(&self, state: &TableState, ops: Ops) -> Result<(), StorageError> {
        let live = state.live_iids();
        let store = &self.store;
        store.commit(
            |_, batch| {
                let next = self.counters.lock().applied(&ops.delta, &live);
                batch.insert(&store.sys, tid_key(STATS_PREFIX, self.tid), next.encode());
                Ok(next)
            },
            |next| *self.counters.lock() = next,
        )?;
        Ok(())
    }

    /// Persists a new catalog record for this table.
    pub(crate) fn save_record(
        &self,
        record: &crate::catalog::TableRecord,
    ) -> Result<(), StorageError> {
        let mut batch = self.store.batch();
        batch.insert(
            &self.store.sys,
            table_key(&record.def.name),
            record.encode()?,
        );
        self.store.commit_plain(batch)
    }
}

/// Removes every key starting with `prefix` from `ks`, in chunks. Nothing
/// may write under `prefix` any more (dropped table or index).
pub(crate) fn purge_prefix(
    store: &crate::store::Store,
    ks: &fjall::Keyspace,
    prefix: &[u8],
) -> Result<(), StorageError> {
    let snap = store.snapshot();
    let mut batch = store.batch();
    let mut n = 0;
    for guard in snap.prefix(ks, prefix) {
        batch.remove(ks, guard.key().map_err(engine_err)?);
        n += 1;
        if n == CHUNK {
            store.commit_plain(std::mem::replace(&mut batch, store.batch()))?;
            n = 0;
        }
    }
    store.commit_plain(batch)
}

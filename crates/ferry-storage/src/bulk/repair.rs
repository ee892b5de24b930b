//! Recovery from an interrupted bulk ingestion: a table whose marker
//! `b<tid>` is still present may have items without their index entries
//! (or entries of items a later partition overwrote) and stale statistics.
//! Its items are always consistent per key (each key's new version and the
//! removal of its old ones are in the same partition's ingestion), so the
//! derived data is rebuilt from them: every index entry of the table is
//! removed, the entries and statistics are recomputed from the current
//! items, and the marker goes with the new statistics. Also: leftover spill
//! files are removed when the engine opens.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use fjall::Readable;

use crate::catalog::{BULK_PREFIX, STATS_PREFIX, tid_key, tid_of_key};
use crate::codec::encode_index_value;
use crate::index::{CHUNK, entry_of, purge_prefix};
use crate::read::Versions;
use crate::stats::{Counters, item_size};
use crate::store::{Store, engine_err};
use crate::table::{HEAD_LEN, Table};
use crate::{StorageError, TableStats};

impl Table {
    /// Rebuilds this table's index entries and statistics from its items
    /// and removes its bulk marker. The caller makes sure nothing writes to
    /// the table meanwhile (engine opening, or all stripes held).
    pub(crate) fn rebuild_derived(&self) -> Result<(), StorageError> {
        let store = &self.store;
        let head = self.tid.to_be_bytes();
        purge_prefix(store, &store.index, &head)?;
        let state = self.state();
        let snap = store.snapshot();
        let mut counters = Counters {
            table: TableStats::default(),
            indexes: BTreeMap::new(),
        };
        let mut batch = store.batch();
        let mut n = 0;
        for item in Versions::new(Some(snap.prefix(&store.items, head)), true, None) {
            let (key, item) = item?;
            let table_key = key
                .get(HEAD_LEN..key.len().saturating_sub(crate::keys::TS_LEN))
                .unwrap_or_default();
            counters.table.item_count += 1;
            counters.table.size_bytes += item_size(&item);
            for entry in &state.record.indexes {
                let Some((k, proj)) = entry_of(self.tid, entry, &state.def.key, table_key, &item)?
                else {
                    continue;
                };
                let s = counters.indexes.entry(entry.iid).or_default();
                s.item_count += 1;
                s.size_bytes += item_size(&proj);
                batch.insert(&store.index, k, encode_index_value(&proj));
                n += 1;
                if n == CHUNK {
                    store.commit_plain(std::mem::replace(&mut batch, store.batch()))?;
                    n = 0;
                }
            }
        }
        batch.insert(
            &store.sys,
            tid_key(STATS_PREFIX, self.tid),
            counters.encode(),
        );
        batch.remove(&store.sys, tid_key(BULK_PREFIX, self.tid).to_vec());
        store.commit_plain(batch)?;
        *self.counters.lock() = counters;
        Ok(())
    }
}

/// On open: repairs every table whose bulk ingestion was interrupted and
/// removes leftover spill files.
pub(crate) fn recover(
    store: &Store,
    tables: &BTreeMap<String, Arc<Table>>,
    spill_dir: &Path,
) -> Result<(), StorageError> {
    match std::fs::remove_dir_all(spill_dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(StorageError::Engine(Box::new(e))),
    }
    let snap = store.snapshot();
    let mut marked = Vec::new();
    for guard in snap.prefix(&store.sys, [BULK_PREFIX]) {
        let k = guard.key().map_err(engine_err)?;
        if let Some(tid) = tid_of_key(&k) {
            marked.push(tid);
        }
    }
    drop(snap);
    for tid in marked {
        match tables.values().find(|t| t.tid == tid) {
            Some(t) => {
                tracing::warn!(
                    table_id = tid,
                    "repairing a table after an interrupted bulk load"
                );
                t.rebuild_derived()?;
            }
            None => {
                let mut batch = store.batch();
                batch.remove(&store.sys, tid_key(BULK_PREFIX, tid).to_vec());
                store.commit_plain(batch)?;
            }
        }
    }
    Ok(())
}

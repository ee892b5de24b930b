//! Online backfill of a secondary index added to a table that holds items.
//!
//! `Table::add_index` publishes the index, marked `backfilling`, while it
//! holds every stripe lock, and takes a snapshot `S` before releasing them:
//! every write that `S` does not hold maintains the index itself. This
//! thread then walks the item keys of `S` in chunks; for each chunk it takes
//! the stripes of the chunk's keys, reads each item's *current* version
//! (not the one in `S`, which a writer may have replaced since; one range
//! read of a fresh snapshot per chunk, see [`fill`]) and adds
//! its entry unless the entry is already there, with the statistics, in one
//! commit. Writers to an index being backfilled count the entry they
//! replace only when it is present (`index::index_changes`), so the entries
//! present are always those of current items and the statistics count
//! exactly them. When the walk ends every item of `S` has been visited and
//! every later write has maintained the index: the mark is cleared and the
//! index is ACTIVE.
//!
//! The mark is durable (the catalog record). After a crash the engine starts
//! the walk again from the beginning when it opens ([`resume`]); the entries
//! committed before the crash are kept and skipped. An index that is dropped,
//! or a table deleted, meanwhile stops the walk at its next chunk.

use std::collections::BTreeMap;
use std::sync::Arc;

use fjall::{Readable, Slice, Snapshot};

use crate::StorageError;
use crate::catalog::Probe;
use crate::codec::{decode_version, encode_index_value};
use crate::index::entry_of;
use crate::keys::{TS_LEN, split_version_key};
use crate::stats::item_size;
use crate::store::engine_err;
use crate::table::{HEAD_LEN, Ops, Table, TableState};

/// Items visited per chunk (and per commit).
const CHUNK: usize = 1_000;

/// Starts the backfill of index `iid` of `table` from `snap`, a snapshot
/// taken when every write not in it maintains the index.
pub(crate) fn spawn(table: &Arc<Table>, iid: u32, snap: Snapshot) {
    let t = table.clone();
    let run = move || {
        if let Err(e) = backfill(&t, iid, &snap) {
            tracing::warn!(table_id = t.tid, index_id = iid, error = %e,
                "an index backfill failed; it is resumed when the engine opens again");
        }
    };
    match std::thread::Builder::new()
        .name("ferry-backfill".to_string())
        .spawn(run)
    {
        Ok(h) => table.backfills.lock().push(h),
        Err(e) => tracing::warn!(error = %e, "cannot start an index backfill thread"),
    }
}

/// On open, before anything writes: restarts the backfill of every index
/// still marked as backfilling.
pub(crate) fn resume(tables: &BTreeMap<String, Arc<Table>>) {
    for table in tables.values() {
        let mut record = table.state().record.clone();
        let mut iids = Vec::new();
        for entry in record.indexes.iter_mut().filter(|i| i.backfilling) {
            entry.probe = Some(Probe(table.store.index.clone()));
            iids.push(entry.iid);
        }
        if iids.is_empty() {
            continue;
        }
        *table.state.write() = Arc::new(TableState::new(record));
        tracing::info!(table_id = table.tid, "resuming interrupted index backfills");
        for iid in iids {
            spawn(table, iid, table.store.snapshot());
        }
    }
}

fn backfill(table: &Table, iid: u32, snap: &Snapshot) -> Result<(), StorageError> {
    let store = &table.store;
    let mut chunk: Vec<Vec<u8>> = Vec::with_capacity(CHUNK);
    for guard in snap.prefix(&store.items, table.tid.to_be_bytes()) {
        let key = guard.key().map_err(engine_err)?;
        // Versions of one item are adjacent (newest first): visit it once.
        let prefix = key
            .get(..key.len().saturating_sub(TS_LEN))
            .unwrap_or_default();
        if chunk.last().is_some_and(|p| p.as_slice() == prefix) {
            continue;
        }
        if chunk.len() == CHUNK && !fill(table, iid, &std::mem::take(&mut chunk))? {
            return Ok(());
        }
        chunk.push(prefix.to_vec());
    }
    if fill(table, iid, &chunk)? {
        finish(table, iid)?;
    }
    Ok(())
}

/// Adds the missing entries of the items at `prefixes` (sorted, as the walk
/// meets them); false if the index or the table is gone.
///
/// The current versions are read with one range iterator over the chunk's
/// span of the fresh snapshot, not one point read per item. That span may
/// also hold items that `S` does not (written since): they are skipped, as
/// their writers maintained the index. The chunk's own items are exactly
/// as the fresh snapshot shows them, since their stripes are held.
fn fill(table: &Table, iid: u32, prefixes: &[Vec<u8>]) -> Result<bool, StorageError> {
    let store = &table.store;
    let mut stripes: Vec<usize> = prefixes.iter().map(|p| Table::stripe_of(p)).collect();
    stripes.sort_unstable();
    stripes.dedup();
    let _locks = table.lock_stripes(&stripes);
    if table.check_live().is_err() {
        return Ok(false);
    }
    let state = table.state();
    let Some(entry) = state
        .record
        .indexes
        .iter()
        .find(|i| i.iid == iid && i.backfilling)
    else {
        return Ok(false);
    };
    let (Some(first), Some(last)) = (prefixes.first(), prefixes.last()) else {
        return Ok(true);
    };
    // The newest possible version key of the last item (timestamps are
    // stored inverted, newest first).
    let mut end = last.clone();
    end.extend_from_slice(&[0xFF; TS_LEN]);
    let snap = store.snapshot();
    let mut wanted = prefixes.iter().peekable();
    let mut seen: Option<Slice> = None;
    let mut ops = Ops::default();
    for guard in snap.range(&store.items, first.clone()..=end) {
        let (k, v) = guard.into_inner().map_err(engine_err)?;
        let (prefix, _) = split_version_key(&k)?;
        // Versions of one item are adjacent, newest first: the first is
        // the current one.
        if seen.as_deref() == Some(prefix) {
            continue;
        }
        seen = Some(Slice::from(prefix));
        while wanted.next_if(|w| w.as_slice() < prefix).is_some() {}
        if wanted.next_if(|w| w.as_slice() == prefix).is_none() {
            continue;
        }
        let Some(item) = decode_version(&v)? else {
            continue;
        };
        let table_key = prefix.get(HEAD_LEN..).unwrap_or_default();
        let Some((k, proj)) = entry_of(table.tid, entry, &state.def.key, table_key, &item)? else {
            continue;
        };
        if snap.contains_key(&store.index, &k).map_err(engine_err)? {
            continue;
        }
        ops.delta.index(iid, None, Some(item_size(&proj)));
        ops.index_puts
            .push((Slice::from(k), Slice::from(encode_index_value(&proj))));
    }
    table.commit_ops(&state, ops)?;
    Ok(true)
}

/// Clears the index's `backfilling` mark (durably) if it is still there.
fn finish(table: &Table, iid: u32) -> Result<(), StorageError> {
    let _def = table.def_lock.lock();
    if table.check_live().is_err() {
        return Ok(());
    }
    let mut record = table.state().record.clone();
    let Some(entry) = record.indexes.iter_mut().find(|i| i.iid == iid) else {
        return Ok(());
    };
    entry.backfilling = false;
    entry.probe = None;
    table.save_record(&record)?;
    // Writers still holding the previous state check the presence of the
    // entries they replace: harmless, they are all there now.
    *table.state.write() = Arc::new(TableState::new(record));
    tracing::info!(
        table_id = table.tid,
        index_id = iid,
        "index backfill complete"
    );
    Ok(())
}

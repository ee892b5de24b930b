//! The change log of tables with a DynamoDB stream: a time-ordered access
//! path to the version history, so that reading a stream costs what it
//! returns instead of a pass over the table.
//!
//! ```text
//! change key : table id u32 BE | commit ts u64 BE | hash(enc(pk)) u64 BE | enc(pk) | enc(sk)
//! value      : empty
//! ```
//!
//! One entry per stored version, written in the same batch as the version
//! (`txn::commit_tables`), so a crash keeps both or neither. The key after
//! the timestamp is the version key's item prefix without the table id: the
//! entries of one commit come in the stored-key order the full scan uses, so
//! both give the same ordinals. The version and the one before it (the old
//! image) are read from the items keyspace by key.
//!
//! The table record's `stream_log_from` is the time from which the log is
//! complete: it is set when a stream's retention starts, under every stripe
//! lock (no write that read the previous state commits after it), to just
//! after the table's last commit (`Table::last_commit`), so that a stream
//! created a moment earlier is read from the log from its start; and on
//! open for a table whose stream predates the log. Ranges before it are read
//! by the full scan (`stream.rs`). Entries older than the history cutoff are
//! pruned with the versions; a deleted table's entries are purged with it.

use std::sync::Arc;

use fjall::{OwnedWriteBatch, Readable, Snapshot};

use crate::codec::{decode_version, is_expiry};
use crate::keys::{TS_LEN, prefix_end, split_version_key, version_key};
use crate::store::{Store, engine_err};
use crate::stream::StreamChange;
use crate::table::{Table, TableState};
use crate::{StorageError, Timestamp};

/// Length of the table id that starts item prefixes and change keys.
const TID_LEN: usize = 4;
/// Entries removed per batch when pruning.
const CHUNK: usize = 10_000;

/// The first key of the entries of table `tid` committed at `ts` or later.
fn bound(tid: u32, ts: Timestamp) -> Vec<u8> {
    let mut k = Vec::with_capacity(TID_LEN + TS_LEN);
    k.extend_from_slice(&tid.to_be_bytes());
    k.extend_from_slice(&(ts.max(0) as u64).to_be_bytes());
    k
}

/// Adds the change-log entry of the version of the item at `item_prefix`
/// committed at `ts`.
pub(crate) fn log_version(
    store: &Store,
    batch: &mut OwnedWriteBatch,
    item_prefix: &[u8],
    ts: Timestamp,
) {
    let (tid, rest) = item_prefix.split_at(TID_LEN.min(item_prefix.len()));
    let mut k = Vec::with_capacity(item_prefix.len() + TS_LEN);
    k.extend_from_slice(tid);
    k.extend_from_slice(&(ts.max(0) as u64).to_be_bytes());
    k.extend_from_slice(rest);
    batch.insert(&store.changes, k, []);
}

/// The item prefix and commit time of a change key.
fn split(key: &[u8]) -> Result<(Vec<u8>, Timestamp), StorageError> {
    let (Some(tid), Some(ts), Some(rest)) = (
        key.get(..TID_LEN),
        key.get(TID_LEN..TID_LEN + TS_LEN),
        key.get(TID_LEN + TS_LEN..),
    ) else {
        return Err(StorageError::Corrupt("change key too short".to_string()));
    };
    let mut raw = [0u8; TS_LEN];
    raw.copy_from_slice(ts);
    let mut prefix = Vec::with_capacity(TID_LEN + rest.len());
    prefix.extend_from_slice(tid);
    prefix.extend_from_slice(rest);
    Ok((prefix, u64::from_be_bytes(raw) as i64))
}

impl Table {
    /// Appends to `out` the changes committed in `[from, to)` from the log,
    /// numbering them after what `out` holds. Stops before the first commit
    /// that would start once `out` holds `max` changes: returns its time.
    pub(crate) fn logged_changes(
        &self,
        snap: &Snapshot,
        from: Timestamp,
        to: Timestamp,
        max: usize,
        out: &mut Vec<StreamChange>,
    ) -> Result<Option<Timestamp>, StorageError> {
        let store = &self.store;
        let mut last_ts = None;
        for guard in snap.range(&store.changes, bound(self.tid, from)..bound(self.tid, to)) {
            let k = guard.key().map_err(engine_err)?;
            let (prefix, ts) = split(&k)?;
            if out.len() >= max && last_ts != Some(ts) {
                return Ok(Some(ts));
            }
            last_ts = Some(ts);
            let start = version_key(&prefix, ts);
            let mut versions = match prefix_end(&prefix) {
                Some(end) => snap.range(&store.items, start..end),
                None => snap.range(&store.items, start..),
            };
            // The version itself (gone if pruned meanwhile), then the one
            // before it.
            let Some(first) = versions.next() else {
                continue;
            };
            let (vk, v) = first.into_inner().map_err(engine_err)?;
            if split_version_key(&vk)?.1 != ts {
                continue;
            }
            let old = match versions.next() {
                Some(g) => decode_version(&g.into_inner().map_err(engine_err)?.1)?,
                None => None,
            };
            let new = decode_version(&v)?;
            if new == old {
                continue;
            }
            let key = new
                .as_ref()
                .or(old.as_ref())
                .and_then(|i| self.key_of(i))
                .ok_or_else(|| {
                    StorageError::Corrupt("a stored item without its key".to_string())
                })?;
            let ordinal = match out.last() {
                Some(p) if p.ts == ts => p.ordinal + 1,
                _ => 0,
            };
            out.push(StreamChange {
                ts,
                ordinal,
                key,
                old,
                new,
                expired: is_expiry(&v),
            });
        }
        Ok(None)
    }

    /// Removes the log entries committed before `cutoff` (all of them when
    /// the table keeps no history).
    pub(crate) fn prune_change_log(&self, cutoff: Option<Timestamp>) -> Result<(), StorageError> {
        let store = &self.store;
        let end = bound(self.tid, cutoff.unwrap_or(i64::MAX));
        let snap = store.snapshot();
        let mut batch = store.batch();
        let mut pending = 0;
        for guard in snap.range(&store.changes, bound(self.tid, 0)..end) {
            batch.remove(&store.changes, guard.key().map_err(engine_err)?);
            pending += 1;
            if pending == CHUNK {
                store.commit_plain(std::mem::replace(&mut batch, store.batch()))?;
                pending = 0;
            }
        }
        store.commit_plain(batch)
    }
}

/// On open, before anything writes: starts the log of every table whose
/// stream retention began before the log existed (complete from now on).
pub(crate) fn start_missing_logs(
    tables: &std::collections::BTreeMap<String, Arc<Table>>,
) -> Result<(), StorageError> {
    for table in tables.values() {
        let mut record = table.state().record.clone();
        if record.stream_until.is_none() || record.stream_log_from.is_some() {
            continue;
        }
        record.stream_log_from = Some(table.store.clock.now().saturating_add(1));
        table.save_record(&record)?;
        *table.state.write() = Arc::new(TableState::new(record));
    }
    Ok(())
}

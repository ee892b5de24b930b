//! What DynamoDB Streams needs from the engine: version retention while a
//! stream is enabled (and 24 hours after), and a scan of every item-level
//! change between two commit times in commit order.
//!
//! A stream is a view of the version history, not a second log: each stored
//! version of an item is one change (its old image is the version before
//! it). Retention: while `TableRecord::stream_until` is set, writes keep
//! superseded versions and tombstones exactly as with PITR on, and the
//! pruner keeps every version of the last 24 hours and 15 minutes (plus
//! the one a read at that cutoff sees). The cost is PITR's: one stored
//! version per write for a day. Once `stream_until` has passed, the pruner
//! clears it and the table goes back to one version per key.
//!
//! Order: changes come sorted by commit timestamp; the items one commit
//! wrote (a transaction, a BatchWriteItem) are ordered by their stored key
//! and numbered from 0 (the `ordinal`), which makes `(ts, ordinal)` a
//! unique, stable position: a commit is seen whole or not at all.

use fjall::Readable;

use ferry_model::{Item, PrimaryKey};

use crate::codec::{decode_version, is_expiry};
use crate::keys::split_version_key;
use crate::store::engine_err;
use crate::table::{Table, TableState};
use crate::{StorageError, Timestamp};

/// How long a stream's changes are kept (24 hours, as on DynamoDB).
pub const STREAM_RETENTION_MICROS: i64 = 24 * 3_600_000_000;
/// The pruner keeps this much more than the retention, so that an iterator
/// issued at the trim horizon can still be read during its 15-minute life.
pub const STREAM_GRACE_MICROS: i64 = 15 * 60_000_000;

/// One item-level change.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamChange {
    pub ts: Timestamp,
    /// Position among the items of the same commit (key order), from 0.
    pub ordinal: u32,
    pub key: PrimaryKey,
    /// The item before the change (`None`: it did not exist).
    pub old: Option<Item>,
    /// The item after the change (`None`: deleted).
    pub new: Option<Item>,
    /// A deletion by the TTL service (`Write::Expire`).
    pub expired: bool,
}

/// The changes of one scan, and the exclusive end of the time range read.
pub struct StreamScan {
    pub changes: Vec<StreamChange>,
    /// Every commit stamped before this is in `changes` (if in range).
    pub read_to: Timestamp,
}

impl Table {
    /// Keeps versions for a stream until `until` (`i64::MAX`: while the
    /// stream stays enabled). `None` is never needed: the pruner ends the
    /// retention once `until` has passed.
    pub fn set_stream_retention(&self, until: Timestamp) -> Result<(), StorageError> {
        let _def = self.def_lock.lock();
        // Every write that read the previous state (which kept no versions
        // and no log) commits before this.
        let _all = self.lock_all();
        self.check_live()?;
        let mut record = self.state().record.clone();
        record.stream_until = Some(until);
        record.history = true;
        if record.stream_log_from.is_none() {
            // No write of this table is in flight: every commit after its
            // last one is logged.
            let last = self.last_commit.load(std::sync::atomic::Ordering::SeqCst);
            record.stream_log_from = Some(last.saturating_add(1));
        }
        self.save_record(&record)?;
        *self.state.write() = std::sync::Arc::new(TableState::new(record));
        Ok(())
    }

    /// Clears a stream retention that has passed (called by the pruner).
    pub(crate) fn end_stream_retention(&self) -> Result<(), StorageError> {
        let now = self.store.clock.now();
        if self.state().record.stream_until.is_none_or(|u| u > now) {
            return Ok(());
        }
        let _def = self.def_lock.lock();
        let mut record = self.state().record.clone();
        if record.stream_until.is_none_or(|u| u > now) {
            return Ok(());
        }
        record.stream_until = None;
        record.stream_log_from = None;
        self.save_record(&record)?;
        *self.state.write() = std::sync::Arc::new(TableState::new(record));
        Ok(())
    }

    /// The prune cutoff: versions older than it are not needed (except the
    /// one a read at the cutoff sees). `None`: keep the newest version only.
    pub(crate) fn history_cutoff(&self) -> Option<Timestamp> {
        let pitr = self.earliest_restorable();
        let stream = self
            .state()
            .record
            .stream_until
            .map(|_| self.store.clock.now() - STREAM_RETENTION_MICROS - STREAM_GRACE_MICROS);
        match (pitr, stream) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Every item-level change committed in `[from, to)` (and not after the
    /// present), in commit order (see the module docs), stopping at a commit
    /// boundary once `max` changes are found (`StreamScan::read_to` says
    /// where). A write that left the item as it was (a put of an identical
    /// item, a delete of a missing one) is no change. Reads one settled
    /// snapshot: the change log (`stream_log.rs`) where it is complete, a
    /// pass over the table's versions before that. Works on a retired
    /// table too (`Engine::retired_tables`).
    pub fn stream_changes(
        &self,
        from: Timestamp,
        to: Timestamp,
        max: usize,
    ) -> Result<StreamScan, StorageError> {
        let (snap, now) = self.store.settled_snapshot_now();
        let to = to.min(now.saturating_add(1));
        // `[from, split)` from the versions, `[split, to)` from the log.
        let split = self
            .state()
            .record
            .stream_log_from
            .map_or(to, |l| l.clamp(from.min(to), to));
        let mut changes = Vec::new();
        if from < split {
            changes = self.scanned_changes(&snap, from, split)?;
            if let Some(cut) = commit_boundary(&changes, max) {
                let read_to = changes[cut].ts;
                changes.truncate(cut);
                return Ok(StreamScan { changes, read_to });
            }
        }
        let mut read_to = to;
        if split < to
            && let Some(stop) = self.logged_changes(&snap, split, to, max, &mut changes)?
        {
            read_to = stop;
        }
        Ok(StreamScan { changes, read_to })
    }

    /// The changes of `[from, to)` by a pass over every version of the table.
    pub(crate) fn scanned_changes(
        &self,
        snap: &fjall::Snapshot,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<StreamChange>, StorageError> {
        let mut out: Vec<(Vec<u8>, StreamChange)> = Vec::new();
        let mut group: Option<Vec<u8>> = None;
        // The current key's versions in [from, to), newest first, and the
        // newest one before `from`.
        let mut in_range: Vec<(Timestamp, fjall::Slice)> = Vec::new();
        let mut before: Option<fjall::Slice> = None;
        let mut done_group = false;
        for guard in snap.prefix(&self.store.items, self.tid.to_be_bytes()) {
            let (k, v) = guard.into_inner().map_err(engine_err)?;
            let (prefix, ts) = split_version_key(&k)?;
            if group.as_deref() != Some(prefix) {
                self.flush_group(group.take(), &mut in_range, before.take(), &mut out)?;
                group = Some(prefix.to_vec());
                done_group = false;
            }
            if done_group || ts >= to {
                continue;
            }
            if ts >= from {
                in_range.push((ts, v));
            } else {
                before = Some(v);
                done_group = true;
            }
        }
        self.flush_group(group, &mut in_range, before, &mut out)?;
        out.sort_by(|a, b| (a.1.ts, &a.0).cmp(&(b.1.ts, &b.0)));
        let mut changes: Vec<StreamChange> = Vec::with_capacity(out.len());
        for (_, mut c) in out {
            c.ordinal = match changes.last() {
                Some(p) if p.ts == c.ts => p.ordinal + 1,
                _ => 0,
            };
            changes.push(c);
        }
        Ok(changes)
    }

    /// Turns one key's versions into changes (oldest first).
    fn flush_group(
        &self,
        prefix: Option<Vec<u8>>,
        in_range: &mut Vec<(Timestamp, fjall::Slice)>,
        before: Option<fjall::Slice>,
        out: &mut Vec<(Vec<u8>, StreamChange)>,
    ) -> Result<(), StorageError> {
        let Some(prefix) = prefix else {
            in_range.clear();
            return Ok(());
        };
        let mut prev = match before {
            Some(v) => decode_version(&v)?,
            None => None,
        };
        for (ts, v) in in_range.drain(..).rev() {
            let new = decode_version(&v)?;
            let expired = is_expiry(&v);
            if new != prev {
                let key = new
                    .as_ref()
                    .or(prev.as_ref())
                    .and_then(|i| self.key_of(i))
                    .ok_or_else(|| {
                        StorageError::Corrupt("a stored item without its key".to_string())
                    })?;
                out.push((
                    prefix.clone(),
                    StreamChange {
                        ts,
                        ordinal: 0,
                        key,
                        old: prev.clone(),
                        new: new.clone(),
                        expired,
                    },
                ));
            }
            prev = new;
        }
        Ok(())
    }
}

/// The index of the first change of the first commit that starts once
/// `max` changes precede it, if there is one.
fn commit_boundary(changes: &[StreamChange], max: usize) -> Option<usize> {
    (max.max(1)..changes.len()).find(|&i| changes[i].ts != changes[i - 1].ts)
}

//! Reads of the past and the upkeep of history: `scan_as_of` (full exports,
//! restores), `changes` (incremental exports) and pruning.
//!
//! Retention: with PITR off a table keeps only the newest version of each
//! key (writes remove the older ones in their own batch; a delete removes the
//! key). With PITR on every write adds a version and the pruner (a pass over
//! the table's versions, run periodically by the engine) removes, per key,
//! every version older than the restore window except the newest of those,
//! which is what a read at the window's start sees; if that one is a
//! tombstone it goes too. A table whose PITR was turned off is pruned to one
//! version per key by the next pass. A DynamoDB stream keeps versions the
//! same way with a 24-hour window (`stream.rs`); the cutoff is the earlier
//! of the two windows.

use std::ops::Range;

use fjall::{Readable, Slice};

use crate::codec::{decode_version, is_tombstone};
use crate::index::CHUNK;
use crate::keys::split_version_key;
use crate::read::{ItemIter, Versions, hash_key_range};
use crate::store::engine_err;
use crate::table::Table;
use crate::{Change, StorageError, Timestamp};

/// Streams the [`Change`]s of one hash range between two times.
struct Changes<'a> {
    table: &'a Table,
    raw: Option<fjall::Iter>,
    from: Timestamp,
    to: Timestamp,
    group: Option<Slice>,
    /// Newest version before `to`, before `from`, and the newest stamp in
    /// `[from, to)` of the current group.
    new: Option<Slice>,
    old: Option<Slice>,
    last_write: Option<Timestamp>,
}

impl Changes<'_> {
    /// The change of the finished group, if it has one.
    fn flush(&mut self) -> Result<Option<Change>, StorageError> {
        let (new, old, last) = (self.new.take(), self.old.take(), self.last_write.take());
        let Some(last_write) = last else {
            return Ok(None);
        };
        let decode = |v: Option<Slice>| match v {
            Some(v) => decode_version(&v),
            None => Ok(None),
        };
        let old = decode(old)?;
        let new = decode(new)?;
        let Some(key) = new
            .as_ref()
            .or(old.as_ref())
            .and_then(|i| self.table.key_of(i))
        else {
            return Ok(None);
        };
        Ok(Some(Change {
            key,
            old,
            new,
            last_write,
        }))
    }

    fn step(&mut self) -> Option<Result<Change, StorageError>> {
        loop {
            let Some(guard) = self.raw.as_mut().and_then(Iterator::next) else {
                self.raw = None;
                self.group = None;
                return self.flush().transpose();
            };
            let (k, v) = match guard.into_inner() {
                Ok(kv) => kv,
                Err(e) => return Some(Err(engine_err(e))),
            };
            let (prefix, ts) = match split_version_key(&k) {
                Ok(x) => x,
                Err(e) => return Some(Err(e)),
            };
            let same = self
                .group
                .as_ref()
                .is_some_and(|g| g.len() >= 8 && g.get(..g.len() - 8) == Some(prefix));
            let mut out = None;
            if !same {
                out = self.flush().transpose();
                self.group = Some(k.clone());
            }
            if ts < self.to {
                if self.new.is_none() {
                    self.new = Some(v.clone());
                }
                if ts >= self.from {
                    self.last_write.get_or_insert(ts);
                } else if self.old.is_none() {
                    self.old = Some(v);
                }
            }
            if out.is_some() {
                return out;
            }
        }
    }
}

impl Iterator for Changes<'_> {
    type Item = Result<Change, StorageError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.step()
    }
}

/// What a prune pass keeps of one key's versions (newest first).
struct PruneRule {
    /// Keep every version newer than this; `None` = keep only the newest.
    cutoff: Option<Timestamp>,
}

impl Table {
    /// Every item as of `as_of` whose key hash is in `hash_range`, in key order
    /// (full exports, restores). Writers are not blocked while it runs.
    pub fn scan_as_of(
        &self,
        as_of: Timestamp,
        hash_range: Range<u64>,
    ) -> Result<ItemIter<'_>, StorageError> {
        self.check_live()?;
        let snap = self.store.settled_snapshot();
        let raw =
            hash_key_range(&self.tid.to_be_bytes(), &hash_range).iter(&snap, &self.store.items);
        Ok(Box::new(
            Versions::new(raw, true, Some(as_of)).map(|r| r.map(|(_, item)| item)),
        ))
    }

    /// Every key written in `[from, to)` whose hash is in `hash_range`, with
    /// its old and new image (incremental exports). Keys whose old and new
    /// images are both absent are left out.
    pub fn changes(
        &self,
        from: Timestamp,
        to: Timestamp,
        hash_range: Range<u64>,
    ) -> Result<Box<dyn Iterator<Item = Result<Change, StorageError>> + Send + '_>, StorageError>
    {
        self.check_live()?;
        let snap = self.store.settled_snapshot();
        let raw =
            hash_key_range(&self.tid.to_be_bytes(), &hash_range).iter(&snap, &self.store.items);
        Ok(Box::new(Changes {
            table: self,
            raw,
            from,
            to,
            group: None,
            new: None,
            old: None,
            last_write: None,
        }))
    }

    /// One prune pass over this table's history (see the module docs).
    /// Returns the number of versions removed.
    pub fn prune_history(&self) -> Result<u64, StorageError> {
        self.check_live()?;
        self.end_stream_retention()?;
        self.prune_change_log(self.history_cutoff())?;
        let state = self.state();
        if state.def.pitr.is_none() && !state.record.history {
            return Ok(0);
        }
        let rule = PruneRule {
            cutoff: self.history_cutoff(),
        };
        let snap = self.store.snapshot();
        let mut batch = self.store.batch();
        let mut pending = 0usize;
        let mut removed = 0u64;
        let mut group: Option<Slice> = None;
        // Whether the current key's version at the cutoff has been seen.
        let mut settled = false;
        for guard in snap.prefix(&self.store.items, self.tid.to_be_bytes()) {
            let (k, v) = guard.into_inner().map_err(engine_err)?;
            let (prefix, ts) = split_version_key(&k)?;
            let same = group
                .as_ref()
                .is_some_and(|g| g.len() >= 8 && g.get(..g.len() - 8) == Some(prefix));
            if !same {
                group = Some(k.clone());
                settled = false;
            }
            let drop = if settled {
                true
            } else if rule.cutoff.is_none_or(|c| ts <= c) {
                // The version a read at the cutoff sees: keep it unless deleted.
                settled = true;
                is_tombstone(&v)?
            } else {
                false
            };
            if drop {
                batch.remove(&self.store.items, k);
                pending += 1;
                removed += 1;
                if pending >= CHUNK {
                    self.store
                        .commit_plain(std::mem::replace(&mut batch, self.store.batch()))?;
                    pending = 0;
                }
            }
        }
        self.store.commit_plain(batch)?;
        if !state.keeps_versions() {
            self.mark_history_clean()?;
        }
        Ok(removed)
    }

    /// Records that the table holds one version per key (PITR still off).
    fn mark_history_clean(&self) -> Result<(), StorageError> {
        let _def = self.def_lock.lock();
        let current = self.state();
        if current.keeps_versions() || !current.record.history {
            return Ok(());
        }
        let mut record = current.record.clone();
        record.history = false;
        self.save_record(&record)?;
        *self.state.write() = std::sync::Arc::new(crate::table::TableState::new(record));
        Ok(())
    }
}

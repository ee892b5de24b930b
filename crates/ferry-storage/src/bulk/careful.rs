//! The careful bulk path, for tables with PITR on when the load starts:
//! every batch commits on its own (visible and durable like an ordinary
//! write, at its own stamp, through the memtables and the journal), so
//! history and reads as of past times stay exact.
//!
//! While loaders are open the table keeps a [`BulkFilter`]: a growing Bloom
//! filter of every key written since the first loader opened (by loaders and
//! by ordinary writes alike). A loaded key the filter has never seen cannot
//! exist, so it is written blind; only keys the filter may have seen (true
//! duplicates and ~1% false positives) are read first, so that their old
//! version, index entries and statistics are replaced correctly. If the
//! table already had items when the first loader opened, the filter is
//! "saturated" and every key is read.
//!
//! A batch: keys encoded and deduplicated (last one wins), values and index
//! entries encoded — all without locks, so several workers encode in
//! parallel; then the batch's stripe locks are taken in order, the filter is
//! consulted, the possible duplicates are read, and everything commits as
//! one atomic batch at one timestamp.

use std::sync::Arc;

use ferry_model::Item;

use crate::StorageError;
use crate::keys::item_prefix;
use crate::table::{Ops, Table, plan_item, read_current};

/// Bits per key and probes of each filter stage (about 1% false positives).
const BITS_PER_KEY: usize = 10;
const PROBES: u64 = 7;
/// Keys of the first stage; each further stage holds twice as many.
const FIRST_STAGE_KEYS: usize = 1 << 16;

struct Stage {
    bits: Vec<u64>,
    keys: usize,
    capacity: usize,
}

impl Stage {
    fn new(capacity: usize) -> Stage {
        Stage {
            bits: vec![0; (capacity * BITS_PER_KEY).div_ceil(64)],
            keys: 0,
            capacity,
        }
    }

    fn positions(&self, h: (u64, u64)) -> impl Iterator<Item = (usize, u64)> + '_ {
        let nbits = self.bits.len() as u64 * 64;
        (0..PROBES).map(move |i| {
            let bit = h.0.wrapping_add(i.wrapping_mul(h.1)) % nbits;
            ((bit / 64) as usize, 1u64 << (bit % 64))
        })
    }

    fn contains(&self, h: (u64, u64)) -> bool {
        self.positions(h)
            .all(|(w, m)| self.bits.get(w).is_some_and(|b| b & m != 0))
    }

    fn insert(&mut self, h: (u64, u64)) {
        let pos: Vec<(usize, u64)> = self.positions(h).collect();
        for (w, m) in pos {
            if let Some(b) = self.bits.get_mut(w) {
                *b |= m;
            }
        }
        self.keys += 1;
    }
}

/// The keys written to a table while bulk loaders are open.
pub(crate) struct BulkFilter {
    stages: Vec<Stage>,
    saturated: bool,
}

fn key_hash(prefix: &[u8]) -> (u64, u64) {
    let h = xxhash_rust::xxh3::xxh3_128(prefix);
    (h as u64, ((h >> 64) as u64) | 1)
}

impl BulkFilter {
    pub(crate) fn new(saturated: bool) -> BulkFilter {
        BulkFilter {
            stages: vec![Stage::new(FIRST_STAGE_KEYS)],
            saturated,
        }
    }

    /// Records a key written.
    pub(crate) fn insert(&mut self, prefix: &[u8]) {
        self.insert_hash(key_hash(prefix));
    }

    fn insert_hash(&mut self, h: (u64, u64)) {
        let full = self.stages.last().is_none_or(|s| s.keys >= s.capacity);
        if full {
            let cap = self
                .stages
                .last()
                .map_or(FIRST_STAGE_KEYS, |s| s.capacity * 2);
            self.stages.push(Stage::new(cap));
        }
        if let Some(s) = self.stages.last_mut() {
            s.insert(h);
        }
    }

    /// Whether the key may have been written before; records it.
    fn check_insert(&mut self, prefix: &[u8]) -> bool {
        let h = key_hash(prefix);
        let seen = self.saturated || self.stages.iter().any(|s| s.contains(h));
        self.insert_hash(h);
        seen
    }
}

/// Writes one batch through the careful path.
pub(crate) fn write(t: &Table, items: Vec<Item>) -> Result<(), StorageError> {
    // Encode keys; keep the last item of each key.
    let mut keyed = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let pk = t.key_of(&item).ok_or_else(|| {
            StorageError::InvalidRequest("an item lacks a key attribute of the table".to_string())
        })?;
        let (prefix, _) = item_prefix(t.tid, &t.schema, &pk)?;
        keyed.push((prefix, i, item));
    }
    keyed.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut deduped: Vec<(Vec<u8>, Item)> = Vec::with_capacity(keyed.len());
    for (prefix, _, item) in keyed {
        match deduped.last_mut() {
            Some(last) if last.0 == prefix => last.1 = item,
            _ => deduped.push((prefix, item)),
        }
    }

    // Plan the blind writes without locks (the definition may change
    // meanwhile: it is re-checked under the locks).
    let state = t.state();
    let mut ops = Ops::default();
    for (prefix, item) in &deduped {
        plan_item(
            &state,
            t.tid,
            prefix,
            None,
            Vec::new(),
            Some(item),
            &mut ops,
        )?;
    }

    let mut stripes: Vec<usize> = deduped.iter().map(|(p, _)| Table::stripe_of(p)).collect();
    stripes.sort_unstable();
    stripes.dedup();
    let _locks = t.lock_stripes(&stripes);
    t.check_live()?;
    let now = t.state();
    let state = if Arc::ptr_eq(&now, &state) {
        state
    } else {
        // An index was added or dropped while encoding: plan again.
        ops = Ops::default();
        for (prefix, item) in &deduped {
            plan_item(&now, t.tid, prefix, None, Vec::new(), Some(item), &mut ops)?;
        }
        now
    };

    let maybe: Vec<usize> = {
        let mut guard = t.bulk.lock();
        let filter = guard
            .as_mut()
            .and_then(super::BulkState::filter_mut)
            .ok_or_else(|| StorageError::Corrupt("bulk filter missing".to_string()))?;
        deduped
            .iter()
            .enumerate()
            .filter(|(_, (p, _))| filter.check_insert(p))
            .map(|(i, _)| i)
            .collect()
    };
    if !maybe.is_empty() {
        let pitr = state.def.pitr.is_some();
        let snap = t.store.snapshot();
        for i in maybe {
            let Some((prefix, item)) = deduped.get(i) else {
                continue;
            };
            let (old, versions) = read_current(&t.store, &snap, prefix, !pitr)?;
            if old.is_none() && versions.is_empty() {
                continue;
            }
            // Undo the blind plan's index and statistics effects of an
            // absent old item by planning the replacement of `old`:
            // its removals and size changes are added on top.
            let mut fix = Ops::default();
            plan_item(
                &state,
                t.tid,
                prefix,
                old.as_ref(),
                versions,
                Some(item),
                &mut fix,
            )?;
            let mut blind = Ops::default();
            plan_item(
                &state,
                t.tid,
                prefix,
                None,
                Vec::new(),
                Some(item),
                &mut blind,
            )?;
            ops.removes.extend(fix.removes);
            ops.index_removes.extend(fix.index_removes);
            ops.delta.subtract(&blind.delta);
            ops.delta.add(&fix.delta);
        }
    }
    t.commit_ops(&state, ops)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_has_no_false_negatives_and_few_false_positives() {
        let mut f = BulkFilter::new(false);
        let n = 200_000u32;
        for i in 0..n {
            assert!(!f.check_insert(&i.to_be_bytes()) || i > 0);
        }
        for i in 0..n {
            assert!(f.check_insert(&i.to_be_bytes()), "key {i} forgotten");
        }
        let fp = (n..2 * n)
            .filter(|i| f.check_insert(&i.to_be_bytes()))
            .count();
        assert!(fp < (n as usize) / 20, "{fp} false positives");
        assert!(f.stages.len() > 1, "the filter grew");
        let mut s = BulkFilter::new(true);
        assert!(s.check_insert(b"anything"));
    }
}

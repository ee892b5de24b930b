//! The end of a fast bulk load: the spilled runs are merged (one thread per
//! hash partition) and written straight into new fjall tables with
//! `Keyspace::start_ingestion`, bypassing memtables and the journal.
//!
//! Under every stripe lock of the table (no ordinary write interleaves):
//!
//! 1. one commit issues the load's stamp `T` and writes the marker
//!    `b<tid>` ("derived data may be incomplete");
//! 2. items: per partition, a k-way merge of the runs' sorted items; equal
//!    keys resolve to the newest run (the losers are noted); each winner is
//!    written as version `prefix | !T`. If the table had items, the
//!    partition's existing versions are read alongside (a merge join over a
//!    snapshot taken before anything is ingested): an overwritten item's
//!    versions are removed (PITR off), its index entries are queued for
//!    removal and its size leaves the statistics;
//! 3. index entries: per partition, a merge of the runs' sorted entries
//!    (skipping those of losers and of dropped indexes), the queued removals
//!    and the entries of indexes added during the load (computed from the
//!    winners in step 2);
//! 4. one commit writes the new statistics and removes the marker.
//!
//! Ingested data is durable once ingested (fjall syncs table files). A crash
//! between 1 and 4 leaves the marker: on open the engine rebuilds the
//! table's index entries and statistics from its items (see `repair.rs`), so
//! the table is consistent again and holds some subset of the load.

use std::sync::atomic::{AtomicU64, Ordering};

use ferry_model::Item;
use fjall::{Readable, Slice, Snapshot};

use crate::bulk::heap::Heap;
use crate::bulk::run::{RunFile, SectionReader, entry_hash, entry_iid, partition};
use crate::catalog::{BULK_PREFIX, IndexEntry, STATS_PREFIX, tid_key};
use crate::codec::{decode_version, encode_index_value};
use crate::index::entry_of;
use crate::keys::{split_version_key, ts_suffix};
use crate::stats::{Delta, item_size};
use crate::store::engine_err;
use crate::table::{HEAD_LEN, Table, TableState};
use crate::{StorageError, Timestamp};

/// One write into an ingestion.
pub(crate) enum Op<'a> {
    Put(&'a [u8], &'a [u8]),
    Remove(&'a [u8]),
}

/// Where a merge writes: keys must strictly increase.
pub(crate) type Sink<'s> = dyn FnMut(Op<'_>) -> Result<(), StorageError> + 's;

/// Runs `f` with a sink feeding one ingestion into `ks` (started at the
/// first write, so an empty stream creates nothing). Keys out of order are
/// an error, never a panic.
pub(crate) fn ingest_with<R>(
    ks: &fjall::Keyspace,
    f: impl FnOnce(&mut Sink<'_>) -> Result<R, StorageError>,
) -> Result<R, StorageError> {
    let mut ing = None;
    let mut last: Vec<u8> = Vec::with_capacity(128);
    let mut any = false;
    let r = f(&mut |op: Op<'_>| {
        let k = match op {
            Op::Put(k, _) | Op::Remove(k) => k,
        };
        if any && k <= last.as_slice() {
            return Err(StorageError::Corrupt(
                "bulk load keys out of order".to_string(),
            ));
        }
        last.clear();
        last.extend_from_slice(k);
        any = true;
        let i = match &mut ing {
            Some(i) => i,
            None => ing.insert(ks.start_ingestion().map_err(engine_err)?),
        };
        match op {
            Op::Put(k, v) => i.write(k, v),
            Op::Remove(k) => i.write_tombstone(k),
        }
        .map_err(engine_err)
    })?;
    if let Some(i) = ing {
        i.finish().map_err(engine_err)?;
    }
    Ok(r)
}

/// The table's items before the load, in key order, read alongside the
/// merge of one partition (a merge join, instead of a lookup per key).
struct OldItems {
    iter: fjall::Iter,
    pending: Option<(Slice, Slice)>,
}

impl OldItems {
    /// The current item (`None`: absent or deleted) and every version key
    /// of the item `prefix`. Prefixes must be asked for in increasing order.
    fn take(&mut self, prefix: &[u8]) -> Result<(Option<Item>, Vec<Slice>), StorageError> {
        let mut current = None;
        let mut versions = Vec::new();
        loop {
            if self.pending.is_none() {
                match self.iter.next() {
                    Some(g) => self.pending = Some(g.into_inner().map_err(engine_err)?),
                    None => break,
                }
            }
            let Some((k, v)) = &self.pending else { break };
            let (p, _) = split_version_key(k)?;
            match p.cmp(prefix) {
                std::cmp::Ordering::Less => {}
                std::cmp::Ordering::Equal => {
                    if versions.is_empty() {
                        current = decode_version(v)?;
                    }
                    versions.push(k.clone());
                }
                std::cmp::Ordering::Greater => break,
            }
            self.pending = None;
        }
        Ok((current, versions))
    }
}

/// The item keys of the table `tid` whose hash is in partition `p`.
fn partition_range(tid: u32, p: usize, parts: usize) -> (Vec<u8>, Vec<u8>) {
    let bound = |p: usize| -> Option<u64> {
        u64::try_from((u128::from(p as u64) << 64).div_ceil(parts as u128)).ok()
    };
    let head = tid.to_be_bytes();
    let at = |h: Option<u64>| match h {
        Some(h) => [&head[..], &h.to_be_bytes()].concat(),
        None => (tid + 1).to_be_bytes().to_vec(),
    };
    (at(bound(p)), at(bound(p + 1)))
}

/// An index entry computed at the end (an index added during the load).
type Generated = (Vec<u8>, Vec<u8>, u64);

/// What the item merge of one partition leaves for the index merge.
struct ItemsOut {
    delta: Delta,
    /// Entry keys of overwritten items, by entry partition.
    removals: Vec<Vec<Vec<u8>>>,
    generated: Vec<Vec<Generated>>,
}

struct Merge<'a> {
    table: &'a Table,
    state: &'a TableState,
    runs: &'a [RunFile],
    parts: usize,
    ts: Timestamp,
    /// Set when the table had items: every key's current version is read.
    snap: Option<Snapshot>,
    /// Per run, one bit per item ordinal: overwritten by a later run.
    losers: Vec<Vec<AtomicU64>>,
    /// Per run, the live indexes whose entries it lacks.
    missing: Vec<Vec<&'a IndexEntry>>,
    buffer: usize,
}

/// Runs `f(p)` for every partition, in parallel.
fn parallel<T: Send>(
    parts: usize,
    f: impl Fn(usize) -> Result<T, StorageError> + Sync,
) -> Result<Vec<T>, StorageError> {
    if parts == 1 {
        return Ok(vec![f(0)?]);
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..parts)
            .map(|p| {
                let f = &f;
                s.spawn(move || f(p))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(StorageError::Corrupt(
                        "a bulk load worker panicked".to_string(),
                    ))
                })
            })
            .collect()
    })
}

impl Merge<'_> {
    fn lose(&self, run: usize, ordinal: u64) {
        if let Some(w) = self
            .losers
            .get(run)
            .and_then(|l| l.get((ordinal / 64) as usize))
        {
            w.fetch_or(1 << (ordinal % 64), Ordering::Relaxed);
        }
    }

    fn lost(&self, run: usize, ordinal: u64) -> bool {
        self.losers
            .get(run)
            .and_then(|l| l.get((ordinal / 64) as usize))
            .is_some_and(|w| w.load(Ordering::Relaxed) & (1 << (ordinal % 64)) != 0)
    }

    /// Merges the items of partition `p` into the items keyspace.
    fn items(&self, p: usize) -> Result<ItemsOut, StorageError> {
        let mut srcs = self
            .runs
            .iter()
            .map(|r| SectionReader::items(r, p, self.buffer))
            .collect::<Result<Vec<_>, _>>()?;
        let less = |s: &[SectionReader], a: usize, b: usize| (s[a].key(), a) < (s[b].key(), b);
        let mut heap = Heap::new();
        for i in 0..srcs.len() {
            if srcs[i].advance()? {
                heap.push(i, |a, b| less(&srcs, a, b));
            }
        }
        let mut out = ItemsOut {
            delta: Delta::default(),
            removals: vec![Vec::new(); self.parts],
            generated: vec![Vec::new(); self.parts],
        };
        let suffix = ts_suffix(self.ts);
        let mut vkey = Vec::with_capacity(128);
        let mut old = self.snap.as_ref().map(|snap| {
            let (lo, hi) = partition_range(self.table.tid, p, self.parts);
            OldItems {
                iter: snap.range(&self.table.store.items, lo..hi),
                pending: None,
            }
        });
        ingest_with(&self.table.store.items, |sink| {
            while let Some(i) = heap.pop(|a, b| less(&srcs, a, b)) {
                let src = &srcs[i];
                if heap.peek().is_some_and(|j| srcs[j].key() == src.key()) {
                    // A later run wrote this key again.
                    self.lose(i, src.ordinal);
                } else {
                    vkey.clear();
                    vkey.extend_from_slice(src.key());
                    vkey.extend_from_slice(&suffix);
                    sink(Op::Put(&vkey, src.val()))?;
                    self.replaced(i, src, old.as_mut(), sink, &mut out)?;
                }
                if srcs[i].advance()? {
                    heap.push(i, |a, b| less(&srcs, a, b));
                }
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Accounts for the item just written from `run`: what it replaces, and
    /// its entries in indexes the run lacks.
    fn replaced(
        &self,
        run: usize,
        src: &SectionReader,
        old_items: Option<&mut OldItems>,
        sink: &mut Sink<'_>,
        out: &mut ItemsOut,
    ) -> Result<(), StorageError> {
        let tid = self.table.tid;
        let schema = &self.state.def.key;
        let table_key = src.key().get(HEAD_LEN..).unwrap_or_default();
        let mut old_size = None;
        if let Some(old_items) = old_items {
            let pitr = self.state.def.pitr.is_some();
            let (old, versions) = old_items.take(src.key())?;
            if !pitr {
                for v in &versions {
                    sink(Op::Remove(v))?;
                }
            }
            if let Some(old) = old {
                old_size = Some(item_size(&old));
                for entry in &self.state.record.indexes {
                    if let Some((k, proj)) = entry_of(tid, entry, schema, table_key, &old)? {
                        out.delta.index(entry.iid, Some(item_size(&proj)), None);
                        out.removals[partition(entry_hash(&k), self.parts)].push(k);
                    }
                }
            }
        }
        out.delta.item(old_size, Some(src.size));
        let missing = self.missing.get(run).map(Vec::as_slice).unwrap_or_default();
        if !missing.is_empty() {
            let item: Item = decode_version(src.val())?
                .ok_or_else(|| StorageError::Corrupt("bulk load tombstone".to_string()))?;
            for entry in missing {
                if let Some((k, proj)) = entry_of(tid, entry, schema, table_key, &item)? {
                    let q = partition(entry_hash(&k), self.parts);
                    out.generated[q].push((k, encode_index_value(&proj), item_size(&proj)));
                }
            }
        }
        Ok(())
    }

    /// Whether run `run` holds valid entries of index `iid` for live items.
    fn keep_entry(&self, run: usize, iid: u32, owner: u64) -> bool {
        self.state.record.indexes.iter().any(|i| i.iid == iid)
            && self.runs.get(run).is_some_and(|r| r.iids.contains(&iid))
            && !self.lost(run, owner)
    }

    /// Merges the index entries of partition `q` into the index keyspace.
    fn entries(
        &self,
        q: usize,
        removals: &[Vec<u8>],
        generated: &[Generated],
    ) -> Result<Delta, StorageError> {
        let mut srcs = Vec::with_capacity(self.runs.len() + 2);
        for r in self.runs {
            srcs.push(Src::Run(SectionReader::entries(r, q, self.buffer)?));
        }
        srcs.push(Src::Gen(generated, 0, 0));
        srcs.push(Src::Del(removals, 0, 0));
        let less = |s: &[Src<'_>], a: usize, b: usize| (s[a].key(), a) < (s[b].key(), b);
        let mut heap = Heap::new();
        for i in 0..srcs.len() {
            if srcs[i].advance()? {
                heap.push(i, |a, b| less(&srcs, a, b));
            }
        }
        let mut delta = Delta::default();
        let mut last: Vec<u8> = Vec::with_capacity(128);
        let mut any = false;
        ingest_with(&self.table.store.index, |sink| {
            while let Some(i) = heap.pop(|a, b| less(&srcs, a, b)) {
                let k = srcs[i].key();
                // The first of equal keys wins: run entries (only one is not
                // a loser), then computed entries, then removals.
                if !any || last.as_slice() != k {
                    let wrote = match &srcs[i] {
                        Src::Run(r) => {
                            let iid = entry_iid(k);
                            let keep = self.keep_entry(i, iid, r.ordinal);
                            if keep {
                                sink(Op::Put(k, r.val()))?;
                                delta.index(iid, None, Some(r.size));
                            }
                            keep
                        }
                        Src::Gen(g, _, at) => {
                            let (_, v, size) = &g[*at];
                            sink(Op::Put(k, v))?;
                            delta.index(entry_iid(k), None, Some(*size));
                            true
                        }
                        Src::Del(..) => {
                            sink(Op::Remove(k))?;
                            true
                        }
                    };
                    if wrote {
                        last.clear();
                        last.extend_from_slice(k);
                        any = true;
                    }
                }
                if srcs[i].advance()? {
                    heap.push(i, |a, b| less(&srcs, a, b));
                }
            }
            Ok(())
        })?;
        Ok(delta)
    }
}

/// A source of the entry merge. The slices carry (next, current) positions.
enum Src<'a> {
    Run(SectionReader),
    Gen(&'a [Generated], usize, usize),
    Del(&'a [Vec<u8>], usize, usize),
}

impl Src<'_> {
    fn key(&self) -> &[u8] {
        match self {
            Src::Run(r) => r.key(),
            Src::Gen(g, _, at) => g.get(*at).map(|e| e.0.as_slice()).unwrap_or_default(),
            Src::Del(d, _, at) => d.get(*at).map(Vec::as_slice).unwrap_or_default(),
        }
    }

    fn advance(&mut self) -> Result<bool, StorageError> {
        let (len, next, at) = match self {
            Src::Run(r) => return r.advance(),
            Src::Gen(g, next, at) => (g.len(), next, at),
            Src::Del(d, next, at) => (d.len(), next, at),
        };
        if *next >= len {
            return Ok(false);
        }
        *at = *next;
        *next += 1;
        Ok(true)
    }
}

/// Ingests `runs` (in write order) into `table` at one new stamp; see the
/// module documentation.
pub(crate) fn ingest_runs(
    table: &Table,
    runs: Vec<RunFile>,
    parts: usize,
) -> Result<(), StorageError> {
    let runs: Vec<RunFile> = runs.into_iter().filter(|r| r.item_count > 0).collect();
    if runs.is_empty() {
        return Ok(());
    }
    let _locks = table.lock_all();
    table.check_live()?;
    let state = table.state();
    let store = &table.store;
    let marker = tid_key(BULK_PREFIX, table.tid);
    let had_items = table.counters.lock().table.item_count > 0;
    let ts = store.commit(
        |ts, batch| {
            batch.insert(&store.sys, marker, ts.to_be_bytes().to_vec());
            Ok(())
        },
        |()| {},
    )?;
    // Ingested tables are synced by fjall: the marker must be on disk first.
    store.persist()?;
    let merge = Merge {
        table,
        state: &state,
        runs: &runs,
        parts,
        ts,
        snap: had_items.then(|| store.snapshot()),
        losers: runs
            .iter()
            .map(|r| {
                (0..r.item_count.div_ceil(64))
                    .map(|_| AtomicU64::new(0))
                    .collect()
            })
            .collect(),
        missing: runs
            .iter()
            .map(|r| {
                state
                    .record
                    .indexes
                    .iter()
                    .filter(|i| !r.iids.contains(&i.iid))
                    .collect()
            })
            .collect(),
        buffer: ((16 << 20) / runs.len()).clamp(16 << 10, 1 << 20),
    };
    let merged = (|| -> Result<Delta, StorageError> {
        let outs = parallel(parts, |p| merge.items(p))?;
        let mut delta = Delta::default();
        let mut removals: Vec<Vec<Vec<u8>>> = vec![Vec::new(); parts];
        let mut generated: Vec<Vec<Generated>> = vec![Vec::new(); parts];
        for out in outs {
            delta.add(&out.delta);
            for (q, r) in out.removals.into_iter().enumerate() {
                removals[q].extend(r);
            }
            for (q, g) in out.generated.into_iter().enumerate() {
                generated[q].extend(g);
            }
        }
        for r in &mut removals {
            r.sort_unstable();
            r.dedup();
        }
        for g in &mut generated {
            g.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        }
        for d in parallel(parts, |q| merge.entries(q, &removals[q], &generated[q]))? {
            delta.add(&d);
        }
        Ok(delta)
    })();
    drop(merge);
    let delta = match merged {
        Ok(d) => d,
        Err(e) => {
            // Leave the table consistent (it holds part of the load).
            if let Err(r) = table.rebuild_derived() {
                tracing::warn!(table_id = table.tid, error = %r, "repairing after a failed bulk load failed");
            }
            return Err(e);
        }
    };
    let live = state.live_iids();
    store.commit(
        |_, batch| {
            let next = table.counters.lock().applied(&delta, &live);
            batch.insert(&store.sys, tid_key(STATS_PREFIX, table.tid), next.encode());
            batch.remove(&store.sys, marker.to_vec());
            Ok(next)
        },
        |next| *table.counters.lock() = next,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::partition_range;
    use crate::bulk::run::{item_hash, partition};

    #[test]
    fn partition_ranges_hold_exactly_their_hashes() {
        for parts in 1..=5usize {
            let ranges: Vec<_> = (0..parts).map(|p| partition_range(7, p, parts)).collect();
            assert_eq!(ranges[0].0, [&7u32.to_be_bytes()[..], &[0; 8]].concat());
            assert_eq!(ranges[parts - 1].1, 8u32.to_be_bytes().to_vec());
            for (p, (lo, hi)) in ranges.iter().enumerate() {
                if p + 1 < parts {
                    assert_eq!(hi, &ranges[p + 1].0, "contiguous");
                    let mut last = hi.clone();
                    let h = item_hash(&last) - 1;
                    last[4..12].copy_from_slice(&h.to_be_bytes());
                    assert_eq!(partition(h, parts), p, "last hash of {p}/{parts}");
                }
                assert_eq!(
                    partition(item_hash(lo), parts),
                    p,
                    "first hash of {p}/{parts}"
                );
            }
        }
    }
}

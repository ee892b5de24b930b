//! Reads of current state: Query and Scan on the base table or an index.
//!
//! A base-table read iterates item versions and folds each item's versions
//! into one ([`Versions`]: the newest, or the newest at or before a time);
//! index reads iterate entries (one per item). Everything streams from one
//! fjall snapshot taken when the read starts.

use std::ops::Range;

use ferry_model::{AttributeValue, Item, KeyAttr, ScalarType};
use fjall::{Readable, Slice, Snapshot};

use crate::codec::{decode_index_value, decode_version};
use crate::keys::{
    encode_scalar, escape_bytes, hash_bound, index_entry_key, index_head, index_key_of,
    index_partition_prefix, item_prefix, partition_prefix, prefix_end, split_hash_space,
    split_version_key,
};
use crate::store::engine_err;
use crate::table::Table;
use crate::{QuerySpec, ScanSpec, SortCondition, StorageError, Timestamp};

/// A boxed, streaming iterator of items.
pub(crate) type ItemIter<'a> = Box<dyn Iterator<Item = Result<Item, StorageError>> + Send + 'a>;

/// A half-open key range `[start, end)`; `end: None` = unbounded.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct KeyRange {
    pub start: Vec<u8>,
    pub end: Option<Vec<u8>>,
}

impl KeyRange {
    /// Every key starting with `prefix`.
    pub fn prefix(prefix: &[u8]) -> KeyRange {
        KeyRange {
            start: prefix.to_vec(),
            end: prefix_end(prefix),
        }
    }

    fn empty() -> KeyRange {
        KeyRange {
            start: vec![0],
            end: Some(vec![0]),
        }
    }

    /// Keys from `start` on (keeps the later start).
    pub fn raise_start(&mut self, start: Option<Vec<u8>>) {
        match start {
            Some(s) if s > self.start => self.start = s,
            Some(_) => {}
            None => *self = KeyRange::empty(),
        }
    }

    /// Keys before `end` (keeps the earlier end).
    pub fn lower_end(&mut self, end: Vec<u8>) {
        if self.end.as_ref().is_none_or(|e| end < *e) {
            self.end = Some(end);
        }
    }

    /// The keys of `ks` in this range, as of `snap`.
    pub fn iter(&self, snap: &Snapshot, ks: &fjall::Keyspace) -> Option<fjall::Iter> {
        match &self.end {
            Some(e) if *e <= self.start => None,
            Some(e) => Some(snap.range(ks, self.start.clone()..e.clone())),
            None => Some(snap.range(ks, self.start.clone()..)),
        }
    }
}

/// The range of keys of one hash range under `head` (`table id` or
/// `table id | index id`).
pub(crate) fn hash_key_range(head: &[u8], hashes: &Range<u64>) -> KeyRange {
    KeyRange {
        start: hash_bound(head, hashes.start),
        end: Some(hash_bound(head, hashes.end)),
    }
}

/// The keys under partition prefix `p` whose sort key satisfies `cond`.
fn sort_range(
    p: &[u8],
    attr: Option<&KeyAttr>,
    cond: Option<&SortCondition>,
) -> Result<KeyRange, StorageError> {
    let whole = KeyRange::prefix(p);
    let Some(cond) = cond else {
        return Ok(whole);
    };
    let Some(attr) = attr else {
        return Err(StorageError::InvalidRequest(
            "a sort key condition on a key schema without a sort key".to_string(),
        ));
    };
    let enc = |v: &AttributeValue| -> Result<Vec<u8>, StorageError> {
        let mut k = p.to_vec();
        encode_scalar(attr, v, &mut k)?;
        Ok(k)
    };
    let after = |k: Vec<u8>| prefix_end(&k);
    Ok(match cond {
        SortCondition::Eq(v) => KeyRange::prefix(&enc(v)?),
        SortCondition::Lt(v) => KeyRange {
            start: p.to_vec(),
            end: Some(enc(v)?),
        },
        SortCondition::Le(v) => KeyRange {
            start: p.to_vec(),
            end: after(enc(v)?),
        },
        SortCondition::Gt(v) => {
            let mut r = whole;
            r.raise_start(after(enc(v)?));
            r
        }
        SortCondition::Ge(v) => KeyRange {
            start: enc(v)?,
            end: whole.end,
        },
        SortCondition::Between(a, b) => KeyRange {
            start: enc(a)?,
            end: after(enc(b)?),
        },
        SortCondition::BeginsWith(v) => {
            let mut k = p.to_vec();
            match (attr.ty, v) {
                (ScalarType::S, AttributeValue::S(s)) => escape_bytes(s.as_bytes(), &mut k),
                (ScalarType::B, AttributeValue::B(b)) => escape_bytes(b, &mut k),
                _ => {
                    return Err(StorageError::InvalidRequest(format!(
                        "begins_with needs an S or B sort key value of the key's type ({:?})",
                        attr.ty
                    )));
                }
            }
            KeyRange::prefix(&k)
        }
    })
}

/// Folds a stream of item versions (in key order, forward or backward) into
/// one item per key: the newest version, or the newest at or before `as_of`.
/// Deleted items are skipped. Yields the chosen version's key and the item.
pub(crate) struct Versions {
    raw: Option<fjall::Iter>,
    forward: bool,
    as_of: Option<Timestamp>,
    /// Forward: the key of the version last chosen (its item is done).
    /// Backward: a key of the group being read.
    group: Option<Slice>,
    /// Backward: the best version of the current group so far.
    cand: Option<(Slice, Slice)>,
}

fn same_item(a: &Slice, prefix: &[u8]) -> bool {
    a.len() >= 8 && a.get(..a.len() - 8) == Some(prefix)
}

impl Versions {
    pub fn new(raw: Option<fjall::Iter>, forward: bool, as_of: Option<Timestamp>) -> Versions {
        Versions {
            raw,
            forward,
            as_of,
            group: None,
            cand: None,
        }
    }

    fn eligible(&self, ts: Timestamp) -> bool {
        self.as_of.is_none_or(|t| ts <= t)
    }

    fn next_forward(&mut self) -> Option<Result<(Slice, Item), StorageError>> {
        loop {
            let guard = self.raw.as_mut()?.next()?;
            let (k, v) = match guard.into_inner() {
                Ok(kv) => kv,
                Err(e) => return Some(Err(engine_err(e))),
            };
            let (prefix, ts) = match split_version_key(&k) {
                Ok(x) => x,
                Err(e) => return Some(Err(e)),
            };
            if self.group.as_ref().is_some_and(|g| same_item(g, prefix)) || !self.eligible(ts) {
                continue;
            }
            self.group = Some(k.clone());
            match decode_version(&v) {
                Ok(Some(item)) => return Some(Ok((k, item))),
                Ok(None) => continue,
                Err(e) => return Some(Err(e)),
            }
        }
    }

    fn next_backward(&mut self) -> Option<Result<(Slice, Item), StorageError>> {
        loop {
            let next = match self.raw.as_mut() {
                Some(raw) => raw.next_back(),
                None => None,
            };
            let Some(guard) = next else {
                self.raw = None;
                let (k, v) = self.cand.take()?;
                return match decode_version(&v) {
                    Ok(Some(item)) => Some(Ok((k, item))),
                    Ok(None) => None,
                    Err(e) => Some(Err(e)),
                };
            };
            let (k, v) = match guard.into_inner() {
                Ok(kv) => kv,
                Err(e) => return Some(Err(engine_err(e))),
            };
            let (prefix, ts) = match split_version_key(&k) {
                Ok(x) => x,
                Err(e) => return Some(Err(e)),
            };
            let eligible = self.eligible(ts);
            if self.group.as_ref().is_some_and(|g| same_item(g, prefix)) {
                if eligible {
                    self.cand = Some((k, v));
                }
                continue;
            }
            self.group = Some(k.clone());
            let prev = if eligible {
                self.cand.replace((k, v))
            } else {
                self.cand.take()
            };
            if let Some((pk, pv)) = prev {
                match decode_version(&pv) {
                    Ok(Some(item)) => return Some(Ok((pk, item))),
                    Ok(None) => {}
                    Err(e) => return Some(Err(e)),
                }
            }
        }
    }
}

impl Iterator for Versions {
    type Item = Result<(Slice, Item), StorageError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.forward {
            self.next_forward()
        } else {
            self.next_backward()
        }
    }
}

/// Decoded index entries of a range, forward or backward.
fn index_items(raw: Option<fjall::Iter>, forward: bool) -> ItemIter<'static> {
    let decode = |guard: fjall::Guard| -> Result<Item, StorageError> {
        let v = guard.value().map_err(engine_err)?;
        decode_index_value(&v)
    };
    match (raw, forward) {
        (None, _) => Box::new(std::iter::empty()),
        (Some(r), true) => Box::new(r.map(decode)),
        (Some(r), false) => Box::new(r.rev().map(decode)),
    }
}

impl Table {
    fn index_entry(&self, name: &str) -> Result<crate::catalog::IndexEntry, StorageError> {
        self.state()
            .record
            .indexes
            .iter()
            .find(|i| i.def.name == name)
            .cloned()
            .ok_or_else(|| StorageError::IndexNotFound(name.to_string()))
    }

    /// The full entry key an ExclusiveStartKey names in an index.
    fn index_start_key(
        &self,
        entry: &crate::catalog::IndexEntry,
        esk: &Item,
    ) -> Result<Vec<u8>, StorageError> {
        let bad =
            || StorageError::InvalidRequest("the provided starting key is invalid".to_string());
        let ik = index_key_of(&entry.def.key, esk).ok_or_else(bad)?;
        let tk = index_key_of(&self.schema, esk).ok_or_else(bad)?;
        let (tprefix, _) = item_prefix(self.tid, &self.schema, &tk)?;
        let table_key = tprefix.get(crate::table::HEAD_LEN..).unwrap_or_default();
        index_entry_key(self.tid, entry.iid, &entry.def.key, &ik, table_key)
    }

    /// The item prefix an ExclusiveStartKey names in the base table.
    fn table_start_key(&self, esk: &Item) -> Result<Vec<u8>, StorageError> {
        let tk = index_key_of(&self.schema, esk).ok_or_else(|| {
            StorageError::InvalidRequest("the provided starting key is invalid".to_string())
        })?;
        Ok(item_prefix(self.tid, &self.schema, &tk)?.0)
    }

    /// Items matching a query, in sort-key order (or reverse), current state.
    /// For an index: the projected items as the index holds them.
    pub fn query(&self, spec: &QuerySpec) -> Result<ItemIter<'_>, StorageError> {
        self.check_live()?;
        let snap = self.store.snapshot();
        match &spec.index {
            None => {
                let p = partition_prefix(self.tid, &self.schema.hash, &spec.hash)?;
                let mut range = sort_range(&p, self.schema.range.as_ref(), spec.sort.as_ref())?;
                if let Some(esk) = &spec.exclusive_start {
                    let k = self.table_start_key(esk)?;
                    if spec.forward {
                        range.raise_start(prefix_end(&k));
                    } else {
                        range.lower_end(k);
                    }
                }
                let raw = range.iter(&snap, &self.store.items);
                Ok(Box::new(
                    Versions::new(raw, spec.forward, None).map(|r| r.map(|(_, item)| item)),
                ))
            }
            Some(name) => {
                let entry = self.index_entry(name)?;
                let p =
                    index_partition_prefix(self.tid, entry.iid, &entry.def.key.hash, &spec.hash)?;
                let mut range = sort_range(&p, entry.def.key.range.as_ref(), spec.sort.as_ref())?;
                if let Some(esk) = &spec.exclusive_start {
                    let mut k = self.index_start_key(&entry, esk)?;
                    if spec.forward {
                        k.push(0);
                        range.raise_start(Some(k));
                    } else {
                        range.lower_end(k);
                    }
                }
                Ok(index_items(
                    range.iter(&snap, &self.store.index),
                    spec.forward,
                ))
            }
        }
    }

    /// Items of a scan, in hash order, current state.
    pub fn scan(&self, spec: &ScanSpec) -> Result<ItemIter<'_>, StorageError> {
        self.check_live()?;
        let hashes = match spec.segment {
            None => 0..u64::MAX,
            Some((seg, total)) => split_hash_space(total)
                .into_iter()
                .nth(seg as usize)
                .ok_or_else(|| {
                    StorageError::InvalidRequest(format!(
                        "segment {seg} out of range for {total} segments"
                    ))
                })?,
        };
        let snap = self.store.snapshot();
        match &spec.index {
            None => {
                let mut range = hash_key_range(&self.tid.to_be_bytes(), &hashes);
                if let Some(esk) = &spec.exclusive_start {
                    range.raise_start(prefix_end(&self.table_start_key(esk)?));
                }
                let raw = range.iter(&snap, &self.store.items);
                Ok(Box::new(
                    Versions::new(raw, true, None).map(|r| r.map(|(_, item)| item)),
                ))
            }
            Some(name) => {
                let entry = self.index_entry(name)?;
                let mut range = hash_key_range(&index_head(self.tid, entry.iid), &hashes);
                if let Some(esk) = &spec.exclusive_start {
                    let mut k = self.index_start_key(&entry, esk)?;
                    k.push(0);
                    range.raise_start(Some(k));
                }
                Ok(index_items(range.iter(&snap, &self.store.index), true))
            }
        }
    }
}

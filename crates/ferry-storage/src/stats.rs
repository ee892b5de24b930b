//! Item counts and sizes of a table and of each of its indexes, maintained
//! incrementally: every commit applies its deltas under the commit lock and
//! writes the new absolute figures into the same atomic batch, so they are
//! exact across restarts.
//!
//! ```text
//! stats value : FORMAT | count u64 LE | size u64 LE | n u32 LE | { iid u32 LE | count u64 LE | size u64 LE }*
//! ```

use std::collections::BTreeMap;

use ferry_model::Item;

use crate::codec::FORMAT;
use crate::{StorageError, TableStats};

/// The size DynamoDB bills an item at.
pub(crate) fn item_size(item: &Item) -> u64 {
    ferry_model::item_size(item) as u64
}

/// Statistics of a table and its indexes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counters {
    pub table: TableStats,
    pub indexes: BTreeMap<u32, TableStats>,
}

/// A change to the statistics.
#[derive(Clone, Debug, Default)]
pub(crate) struct Delta {
    pub count: i64,
    pub size: i64,
    pub indexes: BTreeMap<u32, (i64, i64)>,
}

fn apply(s: &mut TableStats, count: i64, size: i64) {
    s.item_count = s.item_count.saturating_add_signed(count);
    s.size_bytes = s.size_bytes.saturating_add_signed(size);
}

impl Delta {
    /// An item of `old` size replaced by one of `new` size (None: absent).
    pub fn item(&mut self, old: Option<u64>, new: Option<u64>) {
        self.count += i64::from(new.is_some()) - i64::from(old.is_some());
        self.size += new.unwrap_or(0) as i64 - old.unwrap_or(0) as i64;
    }

    /// An index entry of `old` size replaced by one of `new` size.
    pub fn index(&mut self, iid: u32, old: Option<u64>, new: Option<u64>) {
        let e = self.indexes.entry(iid).or_default();
        e.0 += i64::from(new.is_some()) - i64::from(old.is_some());
        e.1 += new.unwrap_or(0) as i64 - old.unwrap_or(0) as i64;
    }

    /// Adds `other` to this delta.
    pub fn add(&mut self, other: &Delta) {
        self.combine(other, 1);
    }

    /// Subtracts `other` from this delta.
    pub fn subtract(&mut self, other: &Delta) {
        self.combine(other, -1);
    }

    fn combine(&mut self, other: &Delta, sign: i64) {
        self.count += sign * other.count;
        self.size += sign * other.size;
        for (iid, &(c, s)) in &other.indexes {
            let e = self.indexes.entry(*iid).or_default();
            e.0 += sign * c;
            e.1 += sign * s;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0 && self.size == 0 && self.indexes.values().all(|&(c, s)| c == 0 && s == 0)
    }
}

impl Counters {
    /// The figures after `delta`; indexes not in `live` are dropped.
    pub fn applied(&self, delta: &Delta, live: &[u32]) -> Counters {
        let mut next = self.clone();
        apply(&mut next.table, delta.count, delta.size);
        for (iid, &(c, s)) in &delta.indexes {
            apply(next.indexes.entry(*iid).or_default(), c, s);
        }
        next.indexes.retain(|iid, _| live.contains(iid));
        next
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(21 + self.indexes.len() * 20);
        out.push(FORMAT);
        out.extend_from_slice(&self.table.item_count.to_le_bytes());
        out.extend_from_slice(&self.table.size_bytes.to_le_bytes());
        out.extend_from_slice(&(self.indexes.len() as u32).to_le_bytes());
        for (iid, s) in &self.indexes {
            out.extend_from_slice(&iid.to_le_bytes());
            out.extend_from_slice(&s.item_count.to_le_bytes());
            out.extend_from_slice(&s.size_bytes.to_le_bytes());
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Counters, StorageError> {
        let bad = || StorageError::Corrupt("statistics record".to_string());
        let mut pos = 0usize;
        let mut take = |n: usize| -> Result<&[u8], StorageError> {
            let s = bytes.get(pos..pos + n).ok_or_else(bad)?;
            pos += n;
            Ok(s)
        };
        let u64_at = |s: &[u8]| -> Result<u64, StorageError> {
            Ok(u64::from_le_bytes(s.try_into().map_err(|_| bad())?))
        };
        let u32_at = |s: &[u8]| -> Result<u32, StorageError> {
            Ok(u32::from_le_bytes(s.try_into().map_err(|_| bad())?))
        };
        if take(1)? != [FORMAT] {
            return Err(bad());
        }
        let mut c = Counters::default();
        c.table.item_count = u64_at(take(8)?)?;
        c.table.size_bytes = u64_at(take(8)?)?;
        let n = u32_at(take(4)?)?;
        for _ in 0..n {
            let iid = u32_at(take(4)?)?;
            let item_count = u64_at(take(8)?)?;
            let size_bytes = u64_at(take(8)?)?;
            c.indexes.insert(
                iid,
                TableStats {
                    item_count,
                    size_bytes,
                },
            );
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_round_trip_and_apply() {
        let mut d = Delta::default();
        d.item(None, Some(100));
        d.item(Some(50), Some(70));
        d.index(3, None, Some(40));
        let c = Counters::default().applied(&d, &[3]);
        assert_eq!(
            c.table,
            TableStats {
                item_count: 1,
                size_bytes: 120
            }
        );
        assert_eq!(
            c.indexes.get(&3),
            Some(&TableStats {
                item_count: 1,
                size_bytes: 40
            })
        );
        let back = Counters::decode(&c.encode()).expect("decodes");
        assert_eq!(back, c);
        let dropped = c.applied(&Delta::default(), &[]);
        assert!(dropped.indexes.is_empty());
        assert!(matches!(
            Counters::decode(&[9]),
            Err(StorageError::Corrupt(_))
        ));
    }
}

//! Raw reads for bulk consumers (exports): the same snapshot scans and change
//! scans as `history.rs`, but yielding the stored item encoding instead of
//! decoded [`Item`]s, plus [`RawReader`], a cursor over that encoding (see
//! `codec.rs` for the format) so that a caller can transcode an item straight
//! into its own text format without building maps.
//!
//! `RawItem::decode` gives exactly what `scan_as_of` / `changes` give.

use std::ops::Range;

use ferry_model::{Item, Number};
use fjall::Slice;

use crate::codec::{
    MAX_DEPTH, T_B, T_BS, T_FALSE, T_L, T_M, T_N, T_NS, T_NULL, T_S, T_SS, T_TRUE,
    decode_item_exact, is_tombstone,
};
use crate::keys::split_version_key;
use crate::read::hash_key_range;
use crate::store::engine_err;
use crate::table::Table;
use crate::{StorageError, Timestamp};

/// One stored item version (a put), undecoded.
#[derive(Clone, Debug)]
pub struct RawItem {
    /// The stored version value: format, kind, item encoding.
    value: Slice,
}

impl RawItem {
    /// The item's encoding (read it with [`RawReader::new`]).
    pub fn bytes(&self) -> &[u8] {
        self.value.get(2..).unwrap_or_default()
    }

    /// The decoded item.
    pub fn decode(&self) -> Result<Item, StorageError> {
        decode_item_exact(self.bytes())
    }
}

/// The item encoding of `item` (what [`RawItem::bytes`] holds for it):
/// for tests that feed [`RawReader`] without a table (the `test-util` feature).
#[cfg(any(test, feature = "test-util"))]
pub fn encode_item_raw(item: &Item) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    crate::codec::encode_item(item, &mut out);
    out
}

/// A put version or `None` for a tombstone.
fn raw_version(value: Slice) -> Result<Option<RawItem>, StorageError> {
    Ok((!is_tombstone(&value)?).then_some(RawItem { value }))
}

/// [`crate::Change`] with undecoded images (no key: read it from an image).
#[derive(Clone, Debug)]
pub struct RawChange {
    pub old: Option<RawItem>,
    pub new: Option<RawItem>,
    pub last_write: Timestamp,
}

/// A boxed, streaming iterator of raw items.
pub type RawItemIter<'a> = Box<dyn Iterator<Item = Result<RawItem, StorageError>> + Send + 'a>;
/// A boxed, streaming iterator of raw changes.
pub type RawChangeIter<'a> = Box<dyn Iterator<Item = Result<RawChange, StorageError>> + Send + 'a>;

/// What a value's tag says it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RawTag {
    S,
    N,
    B,
    SS,
    NS,
    BS,
    M,
    L,
    Null,
    Bool(bool),
}

/// A cursor over the item encoding. An item is `count()` then, per
/// attribute, `string()` (the name), `tag()` and the payload: S `string()`,
/// N `number()`, B `binary()`, sets `count()` then members, M an item, L
/// `count()` then values. Corrupt bytes give an error, never a panic.
#[derive(Clone, Debug)]
pub struct RawReader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

fn corrupt(what: &str) -> StorageError {
    StorageError::Corrupt(format!("item encoding: {what}"))
}

impl<'a> RawReader<'a> {
    pub fn new(bytes: &'a [u8]) -> RawReader<'a> {
        RawReader { bytes, pos: 0 }
    }

    /// Whether every byte was read.
    #[inline]
    pub fn at_end(&self) -> bool {
        self.pos == self.bytes.len()
    }

    /// The deepest nesting the decoder accepts.
    pub const MAX_DEPTH: u32 = MAX_DEPTH;

    #[inline]
    fn byte(&mut self) -> Result<u8, StorageError> {
        let b = *self
            .bytes
            .get(self.pos)
            .ok_or_else(|| corrupt("truncated"))?;
        self.pos += 1;
        Ok(b)
    }

    #[inline]
    fn varint(&mut self) -> Result<u64, StorageError> {
        let (v, n) = crate::varint::decode(self.bytes.get(self.pos..).unwrap_or_default())
            .map_err(|_| corrupt("varint too long"))?
            .ok_or_else(|| corrupt("truncated"))?;
        self.pos += n;
        Ok(v)
    }

    /// An element count or a length.
    #[inline]
    pub fn count(&mut self) -> Result<usize, StorageError> {
        let v = self.varint()?;
        let len = usize::try_from(v).map_err(|_| corrupt("length overflow"))?;
        if len > self.bytes.len() - self.pos {
            return Err(corrupt("length past the end"));
        }
        Ok(len)
    }

    /// A value's tag.
    #[inline]
    pub fn tag(&mut self) -> Result<RawTag, StorageError> {
        Ok(match self.byte()? {
            T_S => RawTag::S,
            T_N => RawTag::N,
            T_B => RawTag::B,
            T_SS => RawTag::SS,
            T_NS => RawTag::NS,
            T_BS => RawTag::BS,
            T_M => RawTag::M,
            T_L => RawTag::L,
            T_NULL => RawTag::Null,
            T_FALSE => RawTag::Bool(false),
            T_TRUE => RawTag::Bool(true),
            _ => return Err(corrupt("unknown value tag")),
        })
    }

    /// A length-prefixed byte string.
    #[inline]
    pub fn binary(&mut self) -> Result<&'a [u8], StorageError> {
        let n = self.count()?;
        let s = self
            .bytes
            .get(self.pos..self.pos + n)
            .ok_or_else(|| corrupt("truncated"))?;
        self.pos += n;
        Ok(s)
    }

    /// A length-prefixed UTF-8 string (names, S, SS members).
    #[inline]
    pub fn string(&mut self) -> Result<&'a str, StorageError> {
        std::str::from_utf8(self.binary()?).map_err(|_| corrupt("invalid UTF-8"))
    }

    /// A number (N, NS members).
    #[inline]
    pub fn number(&mut self) -> Result<Number, StorageError> {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        let (n, used) = Number::decode_key(rest).ok_or_else(|| corrupt("invalid number"))?;
        self.pos += used;
        Ok(n)
    }
}

/// Streams the newest put version at or before `as_of` of each key.
struct RawSnapshot {
    raw: Option<fjall::Iter>,
    as_of: Timestamp,
    group: Option<Slice>,
}

fn same_item(a: &Slice, prefix: &[u8]) -> bool {
    a.len() >= 8 && a.get(..a.len() - 8) == Some(prefix)
}

impl Iterator for RawSnapshot {
    type Item = Result<RawItem, StorageError>;

    fn next(&mut self) -> Option<Self::Item> {
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
            if self.group.as_ref().is_some_and(|g| same_item(g, prefix)) || ts > self.as_of {
                continue;
            }
            self.group = Some(k);
            match raw_version(v) {
                Ok(Some(item)) => return Some(Ok(item)),
                Ok(None) => continue,
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

/// Streams the [`RawChange`]s of one hash range between two times (the
/// logic of `history.rs`' change scan).
struct RawChanges {
    raw: Option<fjall::Iter>,
    from: Timestamp,
    to: Timestamp,
    group: Option<Slice>,
    new: Option<Slice>,
    old: Option<Slice>,
    last_write: Option<Timestamp>,
}

impl RawChanges {
    fn flush(&mut self) -> Result<Option<RawChange>, StorageError> {
        let (new, old, last) = (self.new.take(), self.old.take(), self.last_write.take());
        let Some(last_write) = last else {
            return Ok(None);
        };
        let old = old.map(raw_version).transpose()?.flatten();
        let new = new.map(raw_version).transpose()?.flatten();
        if old.is_none() && new.is_none() {
            return Ok(None);
        }
        Ok(Some(RawChange {
            old,
            new,
            last_write,
        }))
    }
}

impl Iterator for RawChanges {
    type Item = Result<RawChange, StorageError>;

    fn next(&mut self) -> Option<Self::Item> {
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
            let same = self.group.as_ref().is_some_and(|g| same_item(g, prefix));
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

impl Table {
    /// [`Table::scan_as_of`] without decoding: the stored encoding of every
    /// item as of `as_of` whose key hash is in `hash_range`, in key order.
    pub fn scan_as_of_raw(
        &self,
        as_of: Timestamp,
        hash_range: Range<u64>,
    ) -> Result<RawItemIter<'_>, StorageError> {
        self.check_live()?;
        let snap = self.store.settled_snapshot();
        let raw =
            hash_key_range(&self.tid.to_be_bytes(), &hash_range).iter(&snap, &self.store.items);
        Ok(Box::new(RawSnapshot {
            raw,
            as_of,
            group: None,
        }))
    }

    /// [`Table::changes`] without decoding the images.
    pub fn changes_raw(
        &self,
        from: Timestamp,
        to: Timestamp,
        hash_range: Range<u64>,
    ) -> Result<RawChangeIter<'_>, StorageError> {
        self.check_live()?;
        let snap = self.store.settled_snapshot();
        let raw =
            hash_key_range(&self.tid.to_be_bytes(), &hash_range).iter(&snap, &self.store.items);
        Ok(Box::new(RawChanges {
            raw,
            from,
            to,
            group: None,
            new: None,
            old: None,
            last_write: None,
        }))
    }
}

#[cfg(test)]
#[path = "raw_tests.rs"]
mod tests;

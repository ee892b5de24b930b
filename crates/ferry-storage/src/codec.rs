//! The compact binary encoding of items, item versions and index entries.
//!
//! ```text
//! version value : FORMAT (u8 = 1) | kind (u8) | item (put only)
//!   kind 0 = put, 1 = tombstone (a delete by a user), 2 = tombstone of a TTL deletion
//!   (DynamoDB Streams' `userIdentity` Service); values written before kind 2
//!   existed decode as user writes
//! index value   : FORMAT (u8 = 1) | item (the projected item)
//! item          : varint(attribute count) | { varint(name len) | name | value }*   (name order)
//! value         : tag (u8) | payload
//!   0 S  varint(len) bytes      1 N  Number::encode_key      2 B  varint(len) bytes
//!   3 SS varint(n) {S payload}  4 NS varint(n) {N payload}   5 BS varint(n) {B payload}
//!   6 M  item                   7 L  varint(n) {value}       8 NULL   9 false   10 true
//! varint        : unsigned LEB128 (7 bits per byte, least significant group first)
//! ```
//!
//! Numbers reuse the order-preserving key encoding because it is compact and
//! self-delimiting. Decoding validates everything (UTF-8, lengths, depth):
//! corrupt bytes give an error, never a panic.

use ferry_model::{AttributeValue, Item, Number};

use crate::StorageError;

/// The format version byte that starts every stored value.
pub(crate) const FORMAT: u8 = 1;
const KIND_PUT: u8 = 0;
const KIND_TOMBSTONE: u8 = 1;
const KIND_EXPIRED: u8 = 2;
/// The stored value of a tombstone version.
pub(crate) const TOMBSTONE: [u8; 2] = [FORMAT, KIND_TOMBSTONE];
/// The stored value of the tombstone of a TTL deletion.
pub(crate) const EXPIRED: [u8; 2] = [FORMAT, KIND_EXPIRED];

/// Nesting deeper than this is refused when decoding (DynamoDB allows 32).
pub(crate) const MAX_DEPTH: u32 = 64;

pub(crate) const T_S: u8 = 0;
pub(crate) const T_N: u8 = 1;
pub(crate) const T_B: u8 = 2;
pub(crate) const T_SS: u8 = 3;
pub(crate) const T_NS: u8 = 4;
pub(crate) const T_BS: u8 = 5;
pub(crate) const T_M: u8 = 6;
pub(crate) const T_L: u8 = 7;
pub(crate) const T_NULL: u8 = 8;
pub(crate) const T_FALSE: u8 = 9;
pub(crate) const T_TRUE: u8 = 10;

fn put_len(len: usize, out: &mut Vec<u8>) {
    crate::varint::put(len as u64, out);
}

/// Appends the encoding of an item.
pub(crate) fn encode_item(item: &Item, out: &mut Vec<u8>) {
    put_len(item.len(), out);
    for (name, value) in item {
        put_len(name.len(), out);
        out.extend_from_slice(name.as_bytes());
        encode_value(value, out);
    }
}

fn encode_value(value: &AttributeValue, out: &mut Vec<u8>) {
    match value {
        AttributeValue::S(s) => {
            out.push(T_S);
            put_len(s.len(), out);
            out.extend_from_slice(s.as_bytes());
        }
        AttributeValue::N(n) => {
            out.push(T_N);
            n.encode_key(out);
        }
        AttributeValue::B(b) => {
            out.push(T_B);
            put_len(b.len(), out);
            out.extend_from_slice(b);
        }
        AttributeValue::SS(set) => {
            out.push(T_SS);
            put_len(set.len(), out);
            for s in set {
                put_len(s.len(), out);
                out.extend_from_slice(s.as_bytes());
            }
        }
        AttributeValue::NS(set) => {
            out.push(T_NS);
            put_len(set.len(), out);
            for n in set {
                n.encode_key(out);
            }
        }
        AttributeValue::BS(set) => {
            out.push(T_BS);
            put_len(set.len(), out);
            for b in set {
                put_len(b.len(), out);
                out.extend_from_slice(b);
            }
        }
        AttributeValue::M(m) => {
            out.push(T_M);
            encode_item(m, out);
        }
        AttributeValue::L(list) => {
            out.push(T_L);
            put_len(list.len(), out);
            for v in list {
                encode_value(v, out);
            }
        }
        AttributeValue::Null => out.push(T_NULL),
        AttributeValue::Bool(false) => out.push(T_FALSE),
        AttributeValue::Bool(true) => out.push(T_TRUE),
    }
}

/// Refuses an item the decoder would refuse: a map or list at value depth
/// [`MAX_DEPTH`] or deeper (a top-level attribute's value is at depth 0).
/// What is stored can always be read back. The server refuses anything
/// deeper than DynamoDB's 32 levels first; this is the engine's own guard.
pub(crate) fn check_depth(item: &Item) -> Result<(), StorageError> {
    fn value(v: &AttributeValue, depth: u32) -> Result<(), StorageError> {
        let too_deep = || {
            StorageError::InvalidRequest(format!(
                "item nested deeper than {MAX_DEPTH} levels cannot be stored"
            ))
        };
        match v {
            AttributeValue::M(_) | AttributeValue::L(_) if depth >= MAX_DEPTH => Err(too_deep()),
            AttributeValue::M(m) => m.values().try_for_each(|c| value(c, depth + 1)),
            AttributeValue::L(l) => l.iter().try_for_each(|c| value(c, depth + 1)),
            _ => Ok(()),
        }
    }
    item.values().try_for_each(|v| value(v, 0))
}

/// The stored value of a put version; refuses what could not be read back.
pub(crate) fn encode_put(item: &Item) -> Result<Vec<u8>, StorageError> {
    let mut out = Vec::with_capacity(256);
    append_put(item, &mut out)?;
    Ok(out)
}

/// Appends the stored value of a put version of `item` to `out`; refuses
/// what could not be read back.
pub(crate) fn append_put(item: &Item, out: &mut Vec<u8>) -> Result<(), StorageError> {
    check_depth(item)?;
    out.push(FORMAT);
    out.push(KIND_PUT);
    encode_item(item, out);
    Ok(())
}

/// Appends the stored index value of the projection of `item` onto the
/// attribute names `keep` (sorted, distinct) — the same bytes as
/// `encode_index_value` of the projected item — and returns the
/// projection's DynamoDB size.
pub(crate) fn append_projection(item: &Item, keep: &[String], out: &mut Vec<u8>) -> u64 {
    out.push(FORMAT);
    let count_at = out.len();
    out.push(0);
    let mut n = 0usize;
    let mut size = 0;
    for (name, value) in keep.iter().filter_map(|k| item.get_key_value(k)) {
        put_len(name.len(), out);
        out.extend_from_slice(name.as_bytes());
        encode_value(value, out);
        size += (name.len() + ferry_model::value_size(value)) as u64;
        n += 1;
    }
    if n < 0x80 {
        out[count_at] = n as u8;
    } else {
        let mut count = Vec::with_capacity(10);
        put_len(n, &mut count);
        out.splice(count_at..=count_at, count);
    }
    size
}

/// The stored value of an index entry (the projected item).
pub(crate) fn encode_index_value(item: &Item) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    out.push(FORMAT);
    encode_item(item, &mut out);
    out
}

fn corrupt(what: &str) -> StorageError {
    StorageError::Corrupt(format!("item encoding: {what}"))
}

/// Whether a stored version value is a tombstone.
pub(crate) fn is_tombstone(value: &[u8]) -> Result<bool, StorageError> {
    match value {
        [FORMAT, KIND_PUT, ..] => Ok(false),
        [FORMAT, KIND_TOMBSTONE | KIND_EXPIRED] => Ok(true),
        [FORMAT, ..] => Err(corrupt("unknown version kind")),
        _ => Err(corrupt("unknown format version")),
    }
}

/// Whether a stored version value is the tombstone of a TTL deletion.
pub(crate) fn is_expiry(value: &[u8]) -> bool {
    value == EXPIRED
}

/// Decodes a stored version value: `None` for a tombstone.
pub(crate) fn decode_version(value: &[u8]) -> Result<Option<Item>, StorageError> {
    if is_tombstone(value)? {
        return Ok(None);
    }
    decode_item_exact(value.get(2..).unwrap_or_default()).map(Some)
}

/// Decodes a stored index entry value.
pub(crate) fn decode_index_value(value: &[u8]) -> Result<Item, StorageError> {
    match value.split_first() {
        Some((&FORMAT, rest)) => decode_item_exact(rest),
        _ => Err(corrupt("unknown index format version")),
    }
}

/// Decodes an item that must fill `bytes` exactly.
pub(crate) fn decode_item_exact(bytes: &[u8]) -> Result<Item, StorageError> {
    let mut r = Reader { bytes, pos: 0 };
    let item = r.item(0)?;
    if r.pos != bytes.len() {
        return Err(corrupt("trailing bytes"));
    }
    Ok(item)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, StorageError> {
        let b = *self
            .bytes
            .get(self.pos)
            .ok_or_else(|| corrupt("truncated"))?;
        self.pos += 1;
        Ok(b)
    }

    fn varint(&mut self) -> Result<u64, StorageError> {
        let (v, n) = crate::varint::decode(self.bytes.get(self.pos..).unwrap_or_default())
            .map_err(|_| corrupt("varint too long"))?
            .ok_or_else(|| corrupt("truncated"))?;
        self.pos += n;
        Ok(v)
    }

    fn len(&mut self) -> Result<usize, StorageError> {
        let v = self.varint()?;
        let len = usize::try_from(v).map_err(|_| corrupt("length overflow"))?;
        if len > self.bytes.len() - self.pos {
            // Every element takes at least one byte.
            return Err(corrupt("length past the end"));
        }
        Ok(len)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], StorageError> {
        let end = self.pos.checked_add(n).ok_or_else(|| corrupt("overflow"))?;
        let s = self
            .bytes
            .get(self.pos..end)
            .ok_or_else(|| corrupt("truncated"))?;
        self.pos = end;
        Ok(s)
    }

    fn string(&mut self) -> Result<String, StorageError> {
        let n = self.len()?;
        let raw = self.take(n)?;
        std::str::from_utf8(raw)
            .map(str::to_owned)
            .map_err(|_| corrupt("invalid UTF-8"))
    }

    fn binary(&mut self) -> Result<Vec<u8>, StorageError> {
        let n = self.len()?;
        Ok(self.take(n)?.to_vec())
    }

    fn number(&mut self) -> Result<Number, StorageError> {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        let (n, used) = Number::decode_key(rest).ok_or_else(|| corrupt("invalid number"))?;
        self.pos += used;
        Ok(n)
    }

    fn item(&mut self, depth: u32) -> Result<Item, StorageError> {
        if depth > MAX_DEPTH {
            return Err(corrupt("nested too deeply"));
        }
        let n = self.len()?;
        let mut item = Item::new();
        for _ in 0..n {
            let name = self.string()?;
            let value = self.value(depth)?;
            item.insert(name, value);
        }
        Ok(item)
    }

    fn value(&mut self, depth: u32) -> Result<AttributeValue, StorageError> {
        Ok(match self.byte()? {
            T_S => AttributeValue::S(self.string()?),
            T_N => AttributeValue::N(self.number()?),
            T_B => AttributeValue::B(self.binary()?),
            T_SS => {
                let n = self.len()?;
                let mut set = Vec::with_capacity(n);
                for _ in 0..n {
                    set.push(self.string()?);
                }
                AttributeValue::SS(set)
            }
            T_NS => {
                let n = self.len()?;
                let mut set = Vec::with_capacity(n);
                for _ in 0..n {
                    set.push(self.number()?);
                }
                AttributeValue::NS(set)
            }
            T_BS => {
                let n = self.len()?;
                let mut set = Vec::with_capacity(n);
                for _ in 0..n {
                    set.push(self.binary()?);
                }
                AttributeValue::BS(set)
            }
            T_M => AttributeValue::M(self.item(depth + 1)?),
            T_L => {
                if depth >= MAX_DEPTH {
                    return Err(corrupt("nested too deeply"));
                }
                let n = self.len()?;
                let mut list = Vec::with_capacity(n);
                for _ in 0..n {
                    list.push(self.value(depth + 1)?);
                }
                AttributeValue::L(list)
            }
            T_NULL => AttributeValue::Null,
            T_FALSE => AttributeValue::Bool(false),
            T_TRUE => AttributeValue::Bool(true),
            _ => return Err(corrupt("unknown value tag")),
        })
    }
}

#[cfg(test)]
#[path = "codec_tests.rs"]
mod tests;

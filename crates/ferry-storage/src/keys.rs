//! Order-preserving, prefix-free key encodings and the byte layouts of
//! item-version keys and index-entry keys.
//!
//! Scalars (`enc`): S and B are their bytes with `0x00` escaped as
//! `0x00 0xFF`, terminated by `0x00 0x01`; N is `Number::encode_key`. The
//! memcmp order of encodings is DynamoDB's order of the values and no
//! encoding is a prefix of another, so concatenations compare field by field.
//!
//! ```text
//! version key : table id u32 BE | hash(enc(pk)) u64 BE | enc(pk) | enc(sk) | !commit_ts u64 BE
//! index entry : table id u32 BE | index id u32 BE | hash(enc(ipk)) u64 BE | enc(ipk) | enc(isk) | enc(pk) | enc(sk)
//! ```

use std::ops::Range;

use ferry_model::{AttributeValue, KeyAttr, KeySchema, PrimaryKey, ScalarType};

use crate::{StorageError, Timestamp};

/// Length of the inverted commit timestamp that ends a version key.
pub(crate) const TS_LEN: usize = 8;

/// The largest hash value; `u64::MAX` itself is never produced so that the
/// half-open range `0..u64::MAX` covers the whole hash space.
pub(crate) const HASH_MAX: u64 = u64::MAX - 1;

/// Appends the escaped bytes of an S or B value without its terminator (the
/// prefix every encoding of a value starting with `bytes` shares).
pub(crate) fn escape_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    let mut parts = bytes.split(|&b| b == 0);
    if let Some(first) = parts.next() {
        out.extend_from_slice(first);
    }
    for part in parts {
        out.extend_from_slice(&[0x00, 0xFF]);
        out.extend_from_slice(part);
    }
}

/// Appends the full encoding of an S or B value.
pub(crate) fn encode_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    escape_bytes(bytes, out);
    out.extend_from_slice(&[0x00, 0x01]);
}

/// Decodes an S or B encoding at the start of `input`: the bytes and the
/// number of input bytes consumed.
#[cfg(test)]
pub(crate) fn decode_bytes(input: &[u8]) -> Option<(Vec<u8>, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        let rest = input.get(i..)?;
        let zero = rest.iter().position(|&b| b == 0)?;
        out.extend_from_slice(rest.get(..zero)?);
        match rest.get(zero + 1)? {
            0xFF => {
                out.push(0);
                i += zero + 2;
            }
            0x01 => return Some((out, i + zero + 2)),
            _ => return None,
        }
    }
}

fn mismatch(attr: &KeyAttr, value: &AttributeValue) -> StorageError {
    StorageError::InvalidRequest(format!(
        "key attribute {} must be of type {:?}, got {}",
        attr.name,
        attr.ty,
        value.type_name()
    ))
}

/// Whether `value` has the scalar type `ty`.
pub(crate) fn has_type(ty: ScalarType, value: &AttributeValue) -> bool {
    matches!(
        (ty, value),
        (ScalarType::S, AttributeValue::S(_))
            | (ScalarType::N, AttributeValue::N(_))
            | (ScalarType::B, AttributeValue::B(_))
    )
}

/// Appends the encoding of a key value of the declared type.
pub(crate) fn encode_scalar(
    attr: &KeyAttr,
    value: &AttributeValue,
    out: &mut Vec<u8>,
) -> Result<(), StorageError> {
    match (attr.ty, value) {
        (ScalarType::S, AttributeValue::S(s)) => encode_bytes(s.as_bytes(), out),
        (ScalarType::B, AttributeValue::B(b)) => encode_bytes(b, out),
        (ScalarType::N, AttributeValue::N(n)) => n.encode_key(out),
        _ => return Err(mismatch(attr, value)),
    }
    Ok(())
}

/// Decodes one key value of type `ty` at the start of `input`.
#[cfg(test)]
pub(crate) fn decode_scalar(ty: ScalarType, input: &[u8]) -> Option<(AttributeValue, usize)> {
    match ty {
        ScalarType::S => {
            let (bytes, used) = decode_bytes(input)?;
            Some((AttributeValue::S(String::from_utf8(bytes).ok()?), used))
        }
        ScalarType::B => {
            let (bytes, used) = decode_bytes(input)?;
            Some((AttributeValue::B(bytes), used))
        }
        ScalarType::N => {
            let (n, used) = ferry_model::Number::decode_key(input)?;
            Some((AttributeValue::N(n), used))
        }
    }
}

/// The hash of an encoded partition key (xxh3, capped at [`HASH_MAX`]).
pub(crate) fn hash_of(encoded_pk: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(encoded_pk).min(HASH_MAX)
}

/// Splits the hash space into `n` contiguous, equal, half-open ranges that
/// together cover `0..u64::MAX`.
pub(crate) fn split_hash_space(n: u32) -> Vec<Range<u64>> {
    let n = u128::from(n);
    let bound = |i: u128| -> u64 {
        // i <= n, so the quotient is at most u64::MAX.
        u64::try_from(u128::from(u64::MAX) * i / n).unwrap_or(u64::MAX)
    };
    (0..n).map(|i| bound(i)..bound(i + 1)).collect()
}

/// The encoded primary key of an item version, without table id and hash:
/// `enc(pk) | enc(sk)`, plus the offset where `enc(sk)` starts.
pub(crate) fn encode_primary(
    schema: &KeySchema,
    key: &PrimaryKey,
    out: &mut Vec<u8>,
) -> Result<(), StorageError> {
    encode_scalar(&schema.hash, &key.hash, out)?;
    match (&schema.range, &key.range) {
        (Some(attr), Some(v)) => encode_scalar(attr, v, out),
        (None, None) => Ok(()),
        (Some(attr), None) => Err(StorageError::InvalidRequest(format!(
            "missing sort key attribute {}",
            attr.name
        ))),
        (None, Some(_)) => Err(StorageError::InvalidRequest(
            "a sort key was given for a table without one".to_string(),
        )),
    }
}

/// `table id | hash | enc(pk) | enc(sk)`: every version of the item starts
/// with it. Returns the prefix and the hash.
pub(crate) fn item_prefix(
    tid: u32,
    schema: &KeySchema,
    key: &PrimaryKey,
) -> Result<(Vec<u8>, u64), StorageError> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(&tid.to_be_bytes());
    out.extend_from_slice(&[0; 8]);
    encode_scalar(&schema.hash, &key.hash, &mut out)?;
    let hash = hash_of(out.get(12..).unwrap_or_default());
    out[4..12].copy_from_slice(&hash.to_be_bytes());
    match (&schema.range, &key.range) {
        (Some(attr), Some(v)) => encode_scalar(attr, v, &mut out)?,
        (None, None) => {}
        _ => {
            // Produce the precise error.
            encode_primary(schema, key, &mut Vec::new())?;
        }
    }
    Ok((out, hash))
}

/// `table id | hash | enc(pk)`: the items of one partition.
pub(crate) fn partition_prefix(
    tid: u32,
    attr: &KeyAttr,
    value: &AttributeValue,
) -> Result<Vec<u8>, StorageError> {
    let mut out = Vec::with_capacity(48);
    out.extend_from_slice(&tid.to_be_bytes());
    out.extend_from_slice(&[0; 8]);
    encode_scalar(attr, value, &mut out)?;
    let hash = hash_of(out.get(12..).unwrap_or_default());
    out[4..12].copy_from_slice(&hash.to_be_bytes());
    Ok(out)
}

/// The inverted big-endian timestamp that ends a version key (newest first).
pub(crate) fn ts_suffix(ts: Timestamp) -> [u8; TS_LEN] {
    (!(ts as u64)).to_be_bytes()
}

/// A version key: `prefix | !ts`.
pub(crate) fn version_key(prefix: &[u8], ts: Timestamp) -> Vec<u8> {
    let mut k = Vec::with_capacity(prefix.len() + TS_LEN);
    k.extend_from_slice(prefix);
    k.extend_from_slice(&ts_suffix(ts));
    k
}

/// Splits a version key into its item prefix and commit timestamp.
pub(crate) fn split_version_key(key: &[u8]) -> Result<(&[u8], Timestamp), StorageError> {
    let cut = key
        .len()
        .checked_sub(TS_LEN)
        .filter(|&c| c >= 12)
        .ok_or_else(|| StorageError::Corrupt("version key too short".to_string()))?;
    let (prefix, ts) = key.split_at(cut);
    let mut raw = [0u8; TS_LEN];
    raw.copy_from_slice(ts);
    Ok((prefix, !u64::from_be_bytes(raw) as i64))
}

/// The smallest key greater than every key starting with `prefix`, or
/// `None` when there is none (all bytes `0xFF`).
pub(crate) fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last != 0xFF {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// `table id | hash` as a range bound (scan segments).
pub(crate) fn hash_bound(head: &[u8], hash: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(head.len() + 8);
    k.extend_from_slice(head);
    k.extend_from_slice(&hash.to_be_bytes());
    k
}

/// The head of every index entry of one index: `table id | index id`.
pub(crate) fn index_head(tid: u32, iid: u32) -> [u8; 8] {
    let mut h = [0u8; 8];
    h[..4].copy_from_slice(&tid.to_be_bytes());
    h[4..].copy_from_slice(&iid.to_be_bytes());
    h
}

/// The index key of an item under an index schema, if the item has the index
/// key attributes with the right types.
pub(crate) fn index_key_of(schema: &KeySchema, item: &ferry_model::Item) -> Option<PrimaryKey> {
    let hash = item.get(&schema.hash.name)?;
    if !has_type(schema.hash.ty, hash) {
        return None;
    }
    let range = match &schema.range {
        Some(attr) => {
            let v = item.get(&attr.name)?;
            if !has_type(attr.ty, v) {
                return None;
            }
            Some(v.clone())
        }
        None => None,
    };
    Some(PrimaryKey {
        hash: hash.clone(),
        range,
    })
}

/// An index entry key: `tid | iid | hash(ipk) | enc(ipk) | enc(isk) | table key`,
/// where `table_key` is `enc(pk) | enc(sk)` of the base item.
pub(crate) fn index_entry_key(
    tid: u32,
    iid: u32,
    schema: &KeySchema,
    index_key: &PrimaryKey,
    table_key: &[u8],
) -> Result<Vec<u8>, StorageError> {
    let mut out = Vec::with_capacity(48 + table_key.len());
    out.extend_from_slice(&index_head(tid, iid));
    out.extend_from_slice(&[0; 8]);
    encode_scalar(&schema.hash, &index_key.hash, &mut out)?;
    let hash = hash_of(out.get(16..).unwrap_or_default());
    out[8..16].copy_from_slice(&hash.to_be_bytes());
    if let (Some(attr), Some(v)) = (&schema.range, &index_key.range) {
        encode_scalar(attr, v, &mut out)?;
    }
    out.extend_from_slice(table_key);
    Ok(out)
}

/// `tid | iid | hash | enc(ipk)`: the entries of one index partition.
pub(crate) fn index_partition_prefix(
    tid: u32,
    iid: u32,
    attr: &KeyAttr,
    value: &AttributeValue,
) -> Result<Vec<u8>, StorageError> {
    let mut out = Vec::with_capacity(48);
    out.extend_from_slice(&index_head(tid, iid));
    out.extend_from_slice(&[0; 8]);
    encode_scalar(attr, value, &mut out)?;
    let hash = hash_of(out.get(16..).unwrap_or_default());
    out[8..16].copy_from_slice(&hash.to_be_bytes());
    Ok(out)
}

#[cfg(test)]
#[path = "keys_tests.rs"]
mod tests;

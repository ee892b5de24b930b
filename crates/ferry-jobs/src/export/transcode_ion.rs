//! Transcoding Ferry's stored item encoding straight into Ion export lines
//! (the Ion twin of `transcode.rs`): byte-identical to
//! `ferry_formats::ion::write_item_line` / `write_change_line` of the decoded
//! item, with the DynamoDB item size computed in the same pass. Scalars are
//! written by `ferry_formats::ion`'s own functions, so the forms (decimals,
//! escapes, quoted field names) cannot drift.

use std::io::Write as _;

use ferry_formats::ion::{write_blob, write_field_name, write_number, write_string};
use ferry_model::{KeySchema, number_size};
use ferry_storage::{RawReader, RawTag, StorageError};

fn too_deep() -> StorageError {
    StorageError::Corrupt("item encoding: nested too deeply".to_string())
}

fn trailing() -> StorageError {
    StorageError::Corrupt("item encoding: trailing bytes".to_string())
}

/// Writes the map at the reader as an Ion struct; returns its item size.
fn map(r: &mut RawReader<'_>, depth: u32, out: &mut Vec<u8>) -> Result<usize, StorageError> {
    if depth > RawReader::MAX_DEPTH {
        return Err(too_deep());
    }
    let n = r.count()?;
    out.push(b'{');
    let mut size = 0;
    for i in 0..n {
        if i > 0 {
            out.push(b',');
        }
        let name = r.string()?;
        write_field_name(out, name);
        out.push(b':');
        size += name.len() + value(r, depth, out)?;
    }
    out.push(b'}');
    Ok(size)
}

/// Writes a set's members between `open` and `]`.
fn set(
    r: &mut RawReader<'_>,
    open: &[u8],
    out: &mut Vec<u8>,
    mut member: impl FnMut(&mut RawReader<'_>, &mut Vec<u8>) -> Result<usize, StorageError>,
) -> Result<usize, StorageError> {
    let n = r.count()?;
    out.extend_from_slice(open);
    let mut size = 0;
    for i in 0..n {
        if i > 0 {
            out.push(b',');
        }
        size += member(r, out)?;
    }
    out.push(b']');
    Ok(size)
}

/// Writes one value as Ion text; returns its DynamoDB size.
fn value(r: &mut RawReader<'_>, depth: u32, out: &mut Vec<u8>) -> Result<usize, StorageError> {
    Ok(match r.tag()? {
        RawTag::S => {
            let s = r.string()?;
            write_string(out, s);
            s.len()
        }
        RawTag::N => {
            let n = r.number()?;
            write_number(out, &n);
            number_size(&n)
        }
        RawTag::B => {
            let b = r.binary()?;
            write_blob(out, b);
            b.len()
        }
        RawTag::SS => set(r, b"$dynamodb_SS::[", out, |r, out| {
            let s = r.string()?;
            write_string(out, s);
            Ok(s.len())
        })?,
        RawTag::NS => set(r, b"$dynamodb_NS::[", out, |r, out| {
            let n = r.number()?;
            write_number(out, &n);
            Ok(number_size(&n))
        })?,
        RawTag::BS => set(r, b"$dynamodb_BS::[", out, |r, out| {
            let b = r.binary()?;
            write_blob(out, b);
            Ok(b.len())
        })?,
        RawTag::M => {
            let entries = r.clone().count()?;
            3 + entries + map(r, depth + 1, out)?
        }
        RawTag::L => {
            if depth >= RawReader::MAX_DEPTH {
                return Err(too_deep());
            }
            let n = r.count()?;
            out.push(b'[');
            let mut size = 3;
            for i in 0..n {
                if i > 0 {
                    out.push(b',');
                }
                size += value(r, depth + 1, out)? + 1;
            }
            out.push(b']');
            size
        }
        RawTag::Null => {
            out.extend_from_slice(b"null");
            1
        }
        RawTag::Bool(b) => {
            out.extend_from_slice(if b { b"true" } else { b"false" });
            1
        }
    })
}

fn item_struct(bytes: &[u8], out: &mut Vec<u8>) -> Result<usize, StorageError> {
    let mut r = RawReader::new(bytes);
    let size = map(&mut r, 0, out)?;
    if !r.at_end() {
        return Err(trailing());
    }
    Ok(size)
}

/// Appends `$ion_1_0 {Item:{...}}\n` for an encoded item; returns its size.
pub fn write_item_line_raw_ion(bytes: &[u8], out: &mut Vec<u8>) -> Result<usize, StorageError> {
    out.extend_from_slice(b"$ion_1_0 {Item:");
    let size = item_struct(bytes, out)?;
    out.extend_from_slice(b"}\n");
    Ok(size)
}

/// Appends the key attributes of an encoded item as an Ion struct.
fn write_keys(bytes: &[u8], schema: &KeySchema, out: &mut Vec<u8>) -> Result<(), StorageError> {
    let mut r = RawReader::new(bytes);
    let n = r.count()?;
    let range = schema.range.as_ref().map(|k| k.name.as_str());
    out.push(b'{');
    let mut first = true;
    for _ in 0..n {
        let name = r.string()?;
        if name == schema.hash.name || Some(name) == range {
            if !first {
                out.push(b',');
            }
            first = false;
            write_field_name(out, name);
            out.push(b':');
            value(&mut r, 0, out)?;
        } else {
            // Skip the value: write it to a scratch buffer.
            value(&mut r, 0, &mut Vec::new())?;
        }
    }
    out.push(b'}');
    Ok(())
}

/// Appends one Ion incremental-export record (see `transcode::write_change_line_raw`).
pub fn write_change_line_raw_ion(
    key_source: &[u8],
    schema: &KeySchema,
    write_timestamp_micros: u64,
    old_image: Option<&[u8]>,
    new_image: Option<&[u8]>,
    out: &mut Vec<u8>,
) -> Result<usize, StorageError> {
    out.extend_from_slice(b"$ion_1_0 {Record:{Keys:");
    write_keys(key_source, schema, out)?;
    out.extend_from_slice(b",Metadata:{WriteTimestampMicros:");
    let _ = write!(out, "{write_timestamp_micros}.");
    out.push(b'}');
    let mut size = 0;
    if let Some(old) = old_image {
        out.extend_from_slice(b",OldImage:");
        size += item_struct(old, out)?;
    }
    if let Some(new) = new_image {
        out.extend_from_slice(b",NewImage:");
        size += item_struct(new, out)?;
    }
    out.extend_from_slice(b"}}\n");
    Ok(size)
}

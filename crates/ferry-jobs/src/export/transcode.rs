//! Transcoding Ferry's stored item encoding (`ferry_storage::RawReader`)
//! straight into DynamoDB JSON export lines, without building `Item`s.
//!
//! The output is byte-identical to `ferry_formats::ddb_json::write_item_line`
//! / `write_change_line` of the decoded item (tested on random items), and
//! the returned sizes equal `ferry_model::item_size` of the decoded item.
//! Nesting is checked like the storage decoder does, so corrupt bytes give
//! the same kind of error.

use std::io::Write as _;

use ferry_formats::ddb_json::write_base64;
use ferry_model::json::push_json_bytes;
use ferry_model::{KeySchema, Number, number_size};
use ferry_storage::{RawReader, RawTag, StorageError};

fn too_deep() -> StorageError {
    StorageError::Corrupt("item encoding: nested too deeply".to_string())
}

fn bad_utf8() -> StorageError {
    StorageError::Corrupt("item encoding: invalid UTF-8".to_string())
}

/// Appends the stored string `bytes` as a JSON string (the bytes
/// `ddb_json::write_value` writes for an S), checking that it is UTF-8 (a
/// fast ASCII check first: stored strings are mostly ASCII).
fn json_str(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), StorageError> {
    if !bytes.is_ascii() && std::str::from_utf8(bytes).is_err() {
        return Err(bad_utf8());
    }
    push_json_bytes(out, bytes);
    Ok(())
}

/// A stored string: written as JSON when `W`, else only checked; its length.
#[inline]
fn string<const W: bool>(r: &mut RawReader<'_>, out: &mut Vec<u8>) -> Result<usize, StorageError> {
    if W {
        let b = r.binary()?;
        json_str(out, b)?;
        Ok(b.len())
    } else {
        Ok(r.string()?.len())
    }
}

/// Appends `n` in DynamoDB's canonical text (what `Number`'s `Display`
/// writes), with 64-bit digit extraction when the coefficient fits.
fn push_number(out: &mut Vec<u8>, n: &Number) {
    if n.is_zero() {
        out.push(b'0');
        return;
    }
    let mut buf = [0u8; 40];
    let mut pos = buf.len();
    match u64::try_from(n.coefficient()) {
        Ok(mut c) => {
            while c > 0 {
                pos -= 1;
                buf[pos] = b'0' + (c % 10) as u8;
                c /= 10;
            }
        }
        Err(_) => {
            let mut c = n.coefficient();
            while c > 0 {
                pos -= 1;
                buf[pos] = b'0' + (c % 10) as u8;
                c /= 10;
            }
        }
    }
    let digits = &buf[pos..];
    if n.is_negative() {
        out.push(b'-');
    }
    let exponent = i64::from(n.exponent());
    if exponent >= 0 {
        out.extend_from_slice(digits);
        out.resize(out.len() + exponent as usize, b'0');
        return;
    }
    let point = digits.len() as i64 + exponent;
    if point > 0 {
        let (whole, fraction) = digits.split_at(point as usize);
        out.extend_from_slice(whole);
        out.push(b'.');
        out.extend_from_slice(fraction);
    } else {
        out.extend_from_slice(b"0.");
        out.resize(out.len() + (-point) as usize, b'0');
        out.extend_from_slice(digits);
    }
}

fn trailing() -> StorageError {
    StorageError::Corrupt("item encoding: trailing bytes".to_string())
}

/// Writes (when `W`) the map at the reader as a DynamoDB JSON object; returns
/// its DynamoDB size (the item size: names + values, no map overhead).
fn map<const W: bool>(
    r: &mut RawReader<'_>,
    depth: u32,
    out: &mut Vec<u8>,
) -> Result<usize, StorageError> {
    if depth > RawReader::MAX_DEPTH {
        return Err(too_deep());
    }
    let n = r.count()?;
    if W {
        out.push(b'{');
    }
    let mut size = 0;
    for i in 0..n {
        if W && i > 0 {
            out.push(b',');
        }
        size += string::<W>(r, out)?;
        if W {
            out.push(b':');
        }
        size += value::<W>(r, depth, out)?;
    }
    if W {
        out.push(b'}');
    }
    Ok(size)
}

/// Writes (when `W`) one value as DynamoDB JSON; returns its DynamoDB size.
fn value<const W: bool>(
    r: &mut RawReader<'_>,
    depth: u32,
    out: &mut Vec<u8>,
) -> Result<usize, StorageError> {
    let size = match r.tag()? {
        RawTag::S => {
            if W {
                out.extend_from_slice(b"{\"S\":");
            }
            string::<W>(r, out)?
        }
        RawTag::N => {
            let n = r.number()?;
            if W {
                out.extend_from_slice(b"{\"N\":\"");
                push_number(out, &n);
                out.push(b'"');
            }
            number_size(&n)
        }
        RawTag::B => {
            let b = r.binary()?;
            if W {
                out.extend_from_slice(b"{\"B\":\"");
                write_base64(out, b);
                out.push(b'"');
            }
            b.len()
        }
        RawTag::SS => {
            let n = r.count()?;
            if W {
                out.extend_from_slice(b"{\"SS\":[");
            }
            let mut size = 0;
            for i in 0..n {
                if W && i > 0 {
                    out.push(b',');
                }
                size += string::<W>(r, out)?;
            }
            if W {
                out.push(b']');
            }
            size
        }
        RawTag::NS => {
            let n = r.count()?;
            if W {
                out.extend_from_slice(b"{\"NS\":[");
            }
            let mut size = 0;
            for i in 0..n {
                let v = r.number()?;
                if W {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.push(b'"');
                    push_number(out, &v);
                    out.push(b'"');
                }
                size += number_size(&v);
            }
            if W {
                out.push(b']');
            }
            size
        }
        RawTag::BS => {
            let n = r.count()?;
            if W {
                out.extend_from_slice(b"{\"BS\":[");
            }
            let mut size = 0;
            for i in 0..n {
                let b = r.binary()?;
                if W {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.push(b'"');
                    write_base64(out, b);
                    out.push(b'"');
                }
                size += b.len();
            }
            if W {
                out.push(b']');
            }
            size
        }
        RawTag::M => {
            if W {
                out.extend_from_slice(b"{\"M\":");
            }
            // Each entry adds 1 byte to the map's size, the map 3.
            let start = r.clone().count()?;
            3 + start + map::<W>(r, depth + 1, out)?
        }
        RawTag::L => {
            if depth >= RawReader::MAX_DEPTH {
                return Err(too_deep());
            }
            let n = r.count()?;
            if W {
                out.extend_from_slice(b"{\"L\":[");
            }
            let mut size = 3;
            for i in 0..n {
                if W && i > 0 {
                    out.push(b',');
                }
                size += value::<W>(r, depth + 1, out)? + 1;
            }
            if W {
                out.push(b']');
            }
            size
        }
        RawTag::Null => {
            if W {
                out.extend_from_slice(b"{\"NULL\":true");
            }
            1
        }
        RawTag::Bool(b) => {
            if W {
                out.extend_from_slice(if b {
                    b"{\"BOOL\":true"
                } else {
                    b"{\"BOOL\":false"
                });
            }
            1
        }
    };
    if W {
        out.push(b'}');
    }
    Ok(size)
}

/// Appends the DynamoDB JSON object of a whole encoded item; returns its size.
fn item_object(bytes: &[u8], out: &mut Vec<u8>) -> Result<usize, StorageError> {
    let mut r = RawReader::new(bytes);
    let size = map::<true>(&mut r, 0, out)?;
    if !r.at_end() {
        return Err(trailing());
    }
    Ok(size)
}

/// The DynamoDB item size of an encoded item.
pub fn raw_item_size(bytes: &[u8]) -> Result<usize, StorageError> {
    let mut r = RawReader::new(bytes);
    let size = map::<false>(&mut r, 0, &mut Vec::new())?;
    if !r.at_end() {
        return Err(trailing());
    }
    Ok(size)
}

/// Appends `{"Item":{...}}\n` for an encoded item (= `write_item_line` of the
/// decoded item); returns the item's DynamoDB size. On error `out` may hold a
/// partial line.
pub fn write_item_line_raw(bytes: &[u8], out: &mut Vec<u8>) -> Result<usize, StorageError> {
    out.extend_from_slice(b"{\"Item\":");
    let size = item_object(bytes, out)?;
    out.extend_from_slice(b"}\n");
    Ok(size)
}

/// Appends the key attributes of an encoded item as a DynamoDB JSON object
/// (= `write_map` of `PrimaryKey::to_item`: the key attributes in name order).
fn write_keys(bytes: &[u8], schema: &KeySchema, out: &mut Vec<u8>) -> Result<(), StorageError> {
    let mut r = RawReader::new(bytes);
    let n = r.count()?;
    let range = schema.range.as_ref().map(|k| k.name.as_str());
    out.push(b'{');
    let mut first = true;
    for _ in 0..n {
        let name = r.string()?;
        let is_key = name == schema.hash.name || Some(name) == range;
        if is_key {
            if !first {
                out.push(b',');
            }
            first = false;
            json_str(out, name.as_bytes())?;
            out.push(b':');
            value::<true>(&mut r, 0, out)?;
        } else {
            value::<false>(&mut r, 0, out)?;
        }
    }
    out.push(b'}');
    Ok(())
}

/// Appends one incremental-export record (= `write_change_line` with the
/// keys of `new`, else `old`); `old_image` / `new_image` are the images to
/// write. Returns the size of what was written of the images.
pub fn write_change_line_raw(
    key_source: &[u8],
    schema: &KeySchema,
    write_timestamp_micros: u64,
    old_image: Option<&[u8]>,
    new_image: Option<&[u8]>,
    out: &mut Vec<u8>,
) -> Result<usize, StorageError> {
    out.extend_from_slice(b"{\"Metadata\":{\"WriteTimestampMicros\":\"");
    let _ = write!(out, "{write_timestamp_micros}");
    out.extend_from_slice(b"\"},\"Keys\":");
    write_keys(key_source, schema, out)?;
    let mut size = 0;
    if let Some(old) = old_image {
        out.extend_from_slice(b",\"OldImage\":");
        size += item_object(old, out)?;
    }
    if let Some(new) = new_image {
        out.extend_from_slice(b",\"NewImage\":");
        size += item_object(new, out)?;
    }
    out.extend_from_slice(b"}\n");
    Ok(size)
}

#[cfg(test)]
#[path = "transcode_tests.rs"]
mod tests;

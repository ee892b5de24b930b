//! The one DynamoDB JSON writer: attribute values and items appended as
//! compact JSON bytes straight into a `Vec<u8>`, with no serde and no
//! intermediate `String`s. Export lines (`ferry_formats::ddb_json`), the
//! export transcoder that writes stored bytes (`ferry_jobs`) and the server's
//! item answers all use it, so there is one JSON string escape (the table
//! below) and one base64 writer in the code base.
//!
//! The bytes are exactly what `serde_json` writes for the same value through
//! this crate's `Serialize` impl (`value/wire.rs`; tested), the form AWS's
//! exports and DynamoDB's answers have: `"`, `\` and control characters
//! escaped (short forms where JSON has them, `\u00xx` otherwise), everything
//! else, non-ASCII included, copied.

use std::io::Write as _;

use base64::Engine as _;

use super::{AttributeValue, Item};

/// For each byte: 0 when it is copied as is, else the character after the
/// backslash (`u` for the `\u00xx` form).
pub const JSON_ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = b'u';
        i += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0a] = b'n';
    t[0x0c] = b'f';
    t[0x0d] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

/// Whether any of 8 bytes is below 0x20, `"` or `\` (SWAR, "Bit Twiddling
/// Hacks" `hasless(x, n)`: exact as a yes/no for any bytes when n <= 128).
#[inline]
pub fn word_needs_escape(word: [u8; 8]) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let x = u64::from_le_bytes(word);
    let below = |x: u64, n: u64| x.wrapping_sub(LO * n) & !x & HI;
    (below(x, 0x20) | below(x ^ (LO * 0x22), 1) | below(x ^ (LO * 0x5c), 1)) != 0
}

/// Appends `bytes` (UTF-8, which the caller vouches for) as a JSON string,
/// quotes included.
pub fn push_json_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Skip 8 bytes at a time while none of them needs an escape.
        if let Some(word) = bytes
            .get(i..i + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            && !word_needs_escape(word)
        {
            i += 8;
            continue;
        }
        let b = bytes[i];
        let esc = JSON_ESCAPE[b as usize];
        i += 1;
        if esc == 0 {
            continue;
        }
        let at = i - 1;
        out.extend_from_slice(&bytes[start..at]);
        if esc == b'u' {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[(b >> 4) as usize]);
            out.push(HEX[(b & 0xf) as usize]);
        } else {
            out.push(b'\\');
            out.push(esc);
        }
        start = at + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Appends `s` as a JSON string, quotes included.
pub fn push_json_str(out: &mut Vec<u8>, s: &str) {
    push_json_bytes(out, s.as_bytes());
}

/// Appends the standard (padded) base64 of `data`, no quotes.
pub fn push_base64(out: &mut Vec<u8>, data: &[u8]) {
    let engine = &base64::engine::general_purpose::STANDARD;
    let start = out.len();
    let len = base64::encoded_len(data.len(), true).unwrap_or(0);
    out.resize(start + len, 0);
    let written = engine.encode_slice(data, &mut out[start..]).unwrap_or(0);
    out.truncate(start + written);
}

/// Appends an item (or map) as a DynamoDB JSON object: `{"name":{"S":"x"},...}`.
pub fn write_map(item: &Item, out: &mut Vec<u8>) {
    out.push(b'{');
    for (i, (name, value)) in item.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_json_str(out, name);
        out.push(b':');
        write_value(value, out);
    }
    out.push(b'}');
}

/// Appends `items` as a JSON array of DynamoDB JSON objects.
pub fn write_maps(items: &[Item], out: &mut Vec<u8>) {
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_map(item, out);
    }
    out.push(b']');
}

/// Appends one attribute value in DynamoDB JSON (`{"N":"1.5"}`).
pub fn write_value(value: &AttributeValue, out: &mut Vec<u8>) {
    match value {
        AttributeValue::S(s) => {
            out.extend_from_slice(b"{\"S\":");
            push_json_str(out, s);
        }
        AttributeValue::N(n) => {
            out.extend_from_slice(b"{\"N\":\"");
            let _ = write!(out, "{n}"); // writing to a Vec cannot fail
            out.push(b'"');
        }
        AttributeValue::B(b) => {
            out.extend_from_slice(b"{\"B\":\"");
            push_base64(out, b);
            out.push(b'"');
        }
        AttributeValue::SS(set) => {
            out.extend_from_slice(b"{\"SS\":[");
            for (i, s) in set.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                push_json_str(out, s);
            }
            out.push(b']');
        }
        AttributeValue::NS(set) => {
            out.extend_from_slice(b"{\"NS\":[");
            for (i, n) in set.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let _ = write!(out, "\"{n}\"");
            }
            out.push(b']');
        }
        AttributeValue::BS(set) => {
            out.extend_from_slice(b"{\"BS\":[");
            for (i, b) in set.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.push(b'"');
                push_base64(out, b);
                out.push(b'"');
            }
            out.push(b']');
        }
        AttributeValue::M(m) => {
            out.extend_from_slice(b"{\"M\":");
            write_map(m, out);
        }
        AttributeValue::L(list) => {
            out.extend_from_slice(b"{\"L\":[");
            for (i, v) in list.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(v, out);
            }
            out.push(b']');
        }
        AttributeValue::Null => out.extend_from_slice(b"{\"NULL\":true"),
        AttributeValue::Bool(true) => out.extend_from_slice(b"{\"BOOL\":true"),
        AttributeValue::Bool(false) => out.extend_from_slice(b"{\"BOOL\":false"),
    }
    out.push(b'}');
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;

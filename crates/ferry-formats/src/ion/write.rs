//! The Ion export writer, by hand: one `$ion_1_0 {Item:{...}}` line per item,
//! byte for byte the text AWS's exports contain (ion-rs' own text writer adds
//! trailing commas and no version marker).
//!
//! Forms, following ion-java's text writer (what AWS runs):
//! - numbers: Ion decimals of the number with trailing zeros stripped —
//!   `103.`, `6d2` (600), `2d3`, `1.5`, `0.001`, `-17.5`; below 1E-6 the
//!   exponent form `1d-7`; zero is `0.`;
//! - strings: `"…"` escaping `"`, `\`, control characters (`\n`, `\t`, … and
//!   `\xHH`), DEL and the C1 controls (U+0080–U+009F) as `\xHH`; other
//!   non-ASCII text is written as UTF-8;
//! - field names: bare when an identifier (`[A-Za-z_$][A-Za-z0-9_$]*`) and not
//!   a keyword (`null`, `true`, `false`, `nan`, `$<digits>`) and does not
//!   start with `$<digit>` (ion-rs misreads those), else `'quoted'`;
//! - binary: `{{base64}}`; sets: `$dynamodb_SS::[…]`, `$dynamodb_NS::[…]`,
//!   `$dynamodb_BS::[…]`; maps `{a:…,b:…}`; lists `[…]`; `null`; `true`/`false`;
//! - `WriteTimestampMicros` of change records: an integer decimal, `1684374845117899.`.

use std::io::Write;

use ferry_model::{AttributeValue, Item, Number};

use ferry_model::json::push_base64;

/// Appends `$ion_1_0 {Item:{...}}\n` to `out`.
pub fn write_item_line(item: &Item, out: &mut Vec<u8>) {
    out.extend_from_slice(b"$ion_1_0 {Item:");
    write_struct(item, out);
    out.extend_from_slice(b"}\n");
}

/// Appends one incremental-export record:
/// `$ion_1_0 {Record:{Keys:{…},Metadata:{WriteTimestampMicros:1684374845117899.},OldImage:{…},NewImage:{…}}}\n`,
/// with `OldImage` / `NewImage` present only when given.
pub fn write_change_line(
    keys: &Item,
    write_timestamp_micros: u64,
    old_image: Option<&Item>,
    new_image: Option<&Item>,
    out: &mut Vec<u8>,
) {
    out.extend_from_slice(b"$ion_1_0 {Record:{Keys:");
    write_struct(keys, out);
    out.extend_from_slice(b",Metadata:{WriteTimestampMicros:");
    let _ = write!(out, "{write_timestamp_micros}."); // writing to a Vec cannot fail
    out.push(b'}');
    if let Some(old) = old_image {
        out.extend_from_slice(b",OldImage:");
        write_struct(old, out);
    }
    if let Some(new) = new_image {
        out.extend_from_slice(b",NewImage:");
        write_struct(new, out);
    }
    out.extend_from_slice(b"}}\n");
}

/// Appends an item (or map) as an Ion struct.
pub fn write_struct(item: &Item, out: &mut Vec<u8>) {
    out.push(b'{');
    for (i, (name, value)) in item.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_field_name(out, name);
        out.push(b':');
        write_value(value, out);
    }
    out.push(b'}');
}

/// Appends one attribute value as Ion text.
pub fn write_value(value: &AttributeValue, out: &mut Vec<u8>) {
    match value {
        AttributeValue::S(s) => push_string(out, s),
        AttributeValue::N(n) => push_number(out, n),
        AttributeValue::B(b) => push_blob(out, b),
        AttributeValue::SS(set) => {
            out.extend_from_slice(b"$dynamodb_SS::[");
            for (i, s) in set.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                push_string(out, s);
            }
            out.push(b']');
        }
        AttributeValue::NS(set) => {
            out.extend_from_slice(b"$dynamodb_NS::[");
            for (i, n) in set.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                push_number(out, n);
            }
            out.push(b']');
        }
        AttributeValue::BS(set) => {
            out.extend_from_slice(b"$dynamodb_BS::[");
            for (i, b) in set.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                push_blob(out, b);
            }
            out.push(b']');
        }
        AttributeValue::M(m) => write_struct(m, out),
        AttributeValue::L(list) => {
            out.push(b'[');
            for (i, v) in list.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(v, out);
            }
            out.push(b']');
        }
        AttributeValue::Null => out.extend_from_slice(b"null"),
        AttributeValue::Bool(true) => out.extend_from_slice(b"true"),
        AttributeValue::Bool(false) => out.extend_from_slice(b"false"),
    }
}

/// Appends a string value as [`write_value`] does for an S (for transcoders
/// that write export lines without building `Item`s).
pub fn write_string(out: &mut Vec<u8>, s: &str) {
    push_string(out, s);
}

/// Appends a struct field name as [`write_struct`] does.
pub fn write_field_name(out: &mut Vec<u8>, name: &str) {
    push_field_name(out, name);
}

/// Appends a number as [`write_value`] does for an N.
pub fn write_number(out: &mut Vec<u8>, n: &Number) {
    push_number(out, n);
}

/// Appends a blob as [`write_value`] does for a B.
pub fn write_blob(out: &mut Vec<u8>, data: &[u8]) {
    push_blob(out, data);
}

fn push_blob(out: &mut Vec<u8>, data: &[u8]) {
    out.extend_from_slice(b"{{");
    push_base64(out, data);
    out.extend_from_slice(b"}}");
}

fn push_number(out: &mut Vec<u8>, n: &Number) {
    push_decimal_text(out, &n.to_string());
}

/// Writes a decimal given as text (`[-]digits[.digits][e[+-]digits]`, what
/// `Number`'s `Display` produces) in ion-java's form, trailing zeros stripped.
pub(crate) fn push_decimal_text(out: &mut Vec<u8>, text: &str) {
    let (negative, text) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, mut exponent) = match text.find(['e', 'E']) {
        Some(pos) => (&text[..pos], text[pos + 1..].parse::<i64>().unwrap_or(0)),
        None => (text, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    exponent -= frac_part.len() as i64;
    let mut digits: Vec<u8> = int_part
        .bytes()
        .chain(frac_part.bytes())
        .skip_while(|&b| b == b'0')
        .collect();
    if digits.is_empty() {
        out.extend_from_slice(b"0.");
        return;
    }
    while digits.last() == Some(&b'0') {
        digits.pop();
        exponent += 1;
    }
    if negative {
        out.push(b'-');
    }
    let significant = digits.len() as i64;
    if exponent == 0 {
        out.extend_from_slice(&digits);
        out.push(b'.');
    } else if exponent > 0 {
        out.extend_from_slice(&digits);
        let _ = write!(out, "d{exponent}");
    } else {
        let scale = -exponent;
        let adjusted = significant - 1 - scale;
        if adjusted >= 0 {
            let whole = (significant - scale) as usize;
            out.extend_from_slice(&digits[..whole]);
            out.push(b'.');
            out.extend_from_slice(&digits[whole..]);
        } else if adjusted >= -6 {
            out.extend_from_slice(b"0.");
            for _ in 0..(scale - significant) {
                out.push(b'0');
            }
            out.extend_from_slice(&digits);
        } else {
            out.extend_from_slice(&digits);
            let _ = write!(out, "d-{scale}");
        }
    }
}

/// Escapes for ASCII in double-quoted strings (ion-java's STRING_ESCAPE_CODES);
/// 0 = copy as is. `x` means `\xHH`.
const STRING_ESCAPE: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut i = 0;
    while i < 0x20 {
        t[i] = b'x';
        i += 1;
    }
    t[0x00] = b'0';
    t[0x07] = b'a';
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0a] = b'n';
    t[0x0b] = b'v';
    t[0x0c] = b'f';
    t[0x0d] = b'r';
    t[0x7f] = b'x';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

/// Appends `text` escaped for a string (`quote` = `"`) or a quoted symbol (`'`).
fn push_escaped(out: &mut Vec<u8>, text: &str, quote: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let escape = if b < 0x80 {
            let e = STRING_ESCAPE[b as usize];
            if quote == b'\'' {
                match b {
                    b'\'' => b'\'',
                    b'"' => 0,
                    _ => e,
                }
            } else {
                e
            }
        } else if b == 0xC2
            && bytes
                .get(i + 1)
                .is_some_and(|&c| (0x80..=0x9F).contains(&c))
        {
            // U+0080..U+009F (C1 controls): `\x80`..`\x9f`.
            out.extend_from_slice(&bytes[start..i]);
            let c = bytes[i + 1];
            out.extend_from_slice(b"\\x");
            out.push(HEX[(c >> 4) as usize]);
            out.push(HEX[(c & 0xf) as usize]);
            i += 2;
            start = i;
            continue;
        } else {
            0
        };
        if escape != 0 {
            out.extend_from_slice(&bytes[start..i]);
            out.push(b'\\');
            if escape == b'x' {
                out.push(b'x');
                out.push(HEX[(b >> 4) as usize]);
                out.push(HEX[(b & 0xf) as usize]);
            } else {
                out.push(escape);
            }
            start = i + 1;
        }
        i += 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

fn push_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    push_escaped(out, s, b'"');
    out.push(b'"');
}

fn push_field_name(out: &mut Vec<u8>, name: &str) {
    if symbol_needs_quotes(name) {
        out.push(b'\'');
        push_escaped(out, name, b'\'');
        out.push(b'\'');
    } else {
        out.extend_from_slice(name.as_bytes());
    }
}

/// ion-java's `symbolNeedsQuoting` for identifiers: empty, a keyword, or not
/// `[A-Za-z_$][A-Za-z0-9_$]*`.
fn symbol_needs_quotes(name: &str) -> bool {
    let bytes = name.as_bytes();
    let Some(&first) = bytes.first() else {
        return true;
    };
    if matches!(name, "null" | "true" | "false" | "nan") {
        return true;
    }
    // ion-java quotes `$<digits>` (symbol ids); ion-rs also misreads any
    // bare `$<digit>…`, so those are quoted too (still valid Ion).
    if first == b'$' && bytes.get(1).is_some_and(u8::is_ascii_digit) {
        return true;
    }
    let start_ok = first.is_ascii_alphabetic() || first == b'_' || first == b'$';
    !(start_ok
        && bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$'))
}

//! DynamoDB JSON lines: the import reader (`{"Item": {...}}` per line) and the
//! export writers (full-export item lines and incremental-export change
//! records), in AWS's compact form.
//!
//! Reading rules:
//! - one item per line (`\n`; a `\r` before it is JSON whitespace); any JSON
//!   whitespace inside the line is fine, and members other than `Item` are
//!   ignored;
//! - empty and whitespace-only lines are skipped and not counted as items
//!   (what real DynamoDB does: "neither items nor errors");
//! - a line that is not JSON, has no `Item` object, or holds an invalid
//!   attribute value is a [`RecordError`] and the reader goes on;
//! - a line longer than [`MAX_RECORD_BYTES`] is a [`RecordError`] without
//!   being buffered whole.
//!
//! Lines are parsed by a specialised fast parser (`ddb_json_fast.rs`) and,
//! when it is unsure, by serde_json with the model's codec (the reference).

use std::io::{self, BufRead, Read, Write};

use ferry_model::{AttributeValue, Item};
use serde::Deserialize;

use crate::Record;
use crate::errors::{FormatError, MAX_RECORD_BYTES, RecordError, msg};

#[path = "ddb_json_fast.rs"]
mod fast;

/// Reads DynamoDB JSON lines from a `BufRead` (wrap decompressed streams in a
/// `BufReader` with a large buffer, e.g. 256 KiB).
pub struct JsonReader<R> {
    r: R,
    line: Vec<u8>,
    next_index: u64,
    bytes_read: u64,
    done: bool,
}

#[derive(Deserialize)]
struct Line {
    #[serde(rename = "Item", deserialize_with = "item_from_sorted_pairs")]
    item: Item,
}

/// Reads an item's attributes into a vector and builds the map in one go
/// (exports list attributes in order, so this skips a search per insert;
/// on duplicate names the last one wins, as with plain map inserts).
fn item_from_sorted_pairs<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Item, D::Error> {
    struct Pairs;
    impl<'de> serde::de::Visitor<'de> for Pairs {
        type Value = Item;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a map")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Item, A::Error> {
            let mut pairs: Vec<(String, AttributeValue)> =
                Vec::with_capacity(map.size_hint().unwrap_or(16));
            while let Some(pair) = map.next_entry()? {
                pairs.push(pair);
            }
            Ok(Item::from_iter(pairs))
        }
    }
    d.deserialize_map(Pairs)
}

enum LineRead {
    Eof,
    Line,
    TooLong,
}

impl<R: BufRead> JsonReader<R> {
    pub fn new(r: R) -> Self {
        JsonReader {
            r,
            line: Vec::with_capacity(4096),
            next_index: 0,
            bytes_read: 0,
            done: false,
        }
    }

    /// Uncompressed bytes consumed so far (what DynamoDB reports as
    /// `ProcessedSizeBytes`).
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    fn read_line(&mut self) -> io::Result<LineRead> {
        self.line.clear();
        let limit = MAX_RECORD_BYTES as u64 + 1;
        let n = (&mut self.r)
            .take(limit)
            .read_until(b'\n', &mut self.line)?;
        self.bytes_read += n as u64;
        if n == 0 {
            return Ok(LineRead::Eof);
        }
        if self.line.len() > MAX_RECORD_BYTES && self.line.last() != Some(&b'\n') {
            // Skip the rest of the over-long line without keeping it.
            loop {
                self.line.clear();
                let n = (&mut self.r)
                    .take(MAX_RECORD_BYTES as u64)
                    .read_until(b'\n', &mut self.line)?;
                self.bytes_read += n as u64;
                if n == 0 || self.line.last() == Some(&b'\n') {
                    break;
                }
            }
            self.line.clear();
            return Ok(LineRead::TooLong);
        }
        Ok(LineRead::Line)
    }
}

impl<R: BufRead> Iterator for JsonReader<R> {
    type Item = Result<Record, FormatError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.done {
                return None;
            }
            let item = match self.read_line() {
                Err(e) => {
                    self.done = true;
                    return Some(Err(e.into()));
                }
                Ok(LineRead::Eof) => {
                    self.done = true;
                    return None;
                }
                Ok(LineRead::TooLong) => Err(RecordError::new(msg::record_too_long())),
                Ok(LineRead::Line) => {
                    if is_blank(&self.line) {
                        continue;
                    }
                    parse_item_line(trim_line_end(&self.line))
                }
            };
            let index = self.next_index;
            self.next_index += 1;
            return Some(Ok(Record { index, item }));
        }
    }
}

/// The line without its `\n` / `\r\n` (so error positions say line 1).
fn trim_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn is_blank(line: &[u8]) -> bool {
    line.iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

/// Parses one DynamoDB JSON line (`{"Item": {...}}`, surrounding whitespace allowed).
pub fn parse_item_line(line: &[u8]) -> Result<Item, RecordError> {
    match fast::parse_line(line) {
        Some(item) => Ok(item),
        None => parse_item_line_with_serde(line),
    }
}

/// The reference path: serde_json and the model's codec (all errors come from here).
pub(crate) fn parse_item_line_with_serde(line: &[u8]) -> Result<Item, RecordError> {
    match serde_json::from_slice::<Line>(line) {
        Ok(l) => Ok(l.item),
        Err(e) => {
            let text = e.to_string();
            if let Some(message) = ferry_model::serde_error_validation_message(&text) {
                // DynamoDB's own validation text (a bad number, NULL:false, …).
                return Err(RecordError::new(message));
            }
            let detail = error_detail(&e);
            Err(RecordError::new(match e.classify() {
                serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                    msg::json_syntax(&detail)
                }
                _ => msg::json_shape(&detail),
            }))
        }
    }
}

/// serde_json's message, with "at line 1 column N" shortened to "at column N"
/// (every parse sees a single line, so the line number is meaningless).
fn error_detail(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(pos) if e.line() > 0 => format!("{} at column {}", &text[..pos], e.column()),
        _ => text,
    }
}

// ---------------------------------------------------------------- writers

/// Appends `{"Item":{...}}\n` (AWS's compact export line) to `out`.
pub fn write_item_line(item: &Item, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"Item\":");
    write_map(item, out);
    out.extend_from_slice(b"}\n");
}

/// Appends one incremental-export record line to `out`:
/// `{"Metadata":{"WriteTimestampMicros":"…"},"Keys":{…},"OldImage":{…},"NewImage":{…}}\n`,
/// with `OldImage` / `NewImage` present only when given (which ones depends on
/// the operation and the export view type; the caller decides).
pub fn write_change_line(
    keys: &Item,
    write_timestamp_micros: u64,
    old_image: Option<&Item>,
    new_image: Option<&Item>,
    out: &mut Vec<u8>,
) {
    out.extend_from_slice(b"{\"Metadata\":{\"WriteTimestampMicros\":\"");
    let _ = write!(out, "{write_timestamp_micros}"); // writing to a Vec cannot fail
    out.extend_from_slice(b"\"},\"Keys\":");
    write_map(keys, out);
    if let Some(old) = old_image {
        out.extend_from_slice(b",\"OldImage\":");
        write_map(old, out);
    }
    if let Some(new) = new_image {
        out.extend_from_slice(b",\"NewImage\":");
        write_map(new, out);
    }
    out.extend_from_slice(b"}\n");
}

/// The writers of the one DynamoDB JSON codec (`ferry_model::value::json`).
pub use ferry_model::json::{push_base64 as write_base64, write_map, write_value};

#[cfg(test)]
#[path = "ddb_json_tests.rs"]
mod tests;

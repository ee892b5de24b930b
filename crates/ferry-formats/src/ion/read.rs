//! The Ion import reader: frames the text stream into records (see
//! `frame.rs`), parses each with ion-rs' `Element` API and maps the values to
//! DynamoDB attribute values.
//!
//! Mapping (AWS's import table, plus ints): string → S, bool → BOOL,
//! decimal and int → N, blob → B, list annotated `$dynamodb_SS` /
//! `$dynamodb_NS` / `$dynamodb_BS` → SS / NS / BS, other list → L,
//! struct → M, null (of any type) → NULL. Float, timestamp, symbol, clob and
//! s-expression values have no DynamoDB equivalent and make the record an
//! error. Other annotations are ignored.
//!
//! Binary Ion (a stream starting with the binary version marker) is read too:
//! `binary.rs` splits it into top-level values (with the symbol tables they
//! need) and ion-rs parses each; a corrupt length ends the object, and a
//! value nested deeper than the text limit is an error without being parsed. A binary
//! top-level list is materialised before its elements are used. Text chunks
//! are parsed independently, so a local symbol table declared in one text
//! record does not carry to the next (text exports use none).

use std::collections::VecDeque;
use std::io::{self, BufRead};

use ferry_model::{AttributeValue, Item, Number};
use ion_rs::decimal::Sign;
use ion_rs::{Decimal, Element, Struct, Value};

use super::binary::{self, BinaryChunk, BinaryFramer};
use super::fast;
use super::frame::{Framer, MAX_DEPTH};
use crate::Record;
use crate::errors::{FormatError, RecordError, msg};

/// Binary Ion starts with its version marker (0xE0 …); no text Ion can.
const BINARY_IVM_FIRST_BYTE: u8 = binary::IVM[0];

enum Mode<R> {
    Start(R),
    Text { r: R, framer: Box<Framer> },
    Binary { r: R, framer: Box<BinaryFramer> },
    Done,
}

/// Reads DynamoDB items from Amazon Ion (text, or binary).
pub struct IonReader<R> {
    mode: Mode<R>,
    pending: VecDeque<Result<Item, RecordError>>,
    next_index: u64,
    bytes_read: u64,
}

impl<R: BufRead> IonReader<R> {
    pub fn new(r: R) -> Self {
        IonReader {
            mode: Mode::Start(r),
            pending: VecDeque::new(),
            next_index: 0,
            bytes_read: 0,
        }
    }

    /// Uncompressed bytes consumed so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    fn start(&mut self) -> io::Result<()> {
        let Mode::Start(mut r) = std::mem::replace(&mut self.mode, Mode::Done) else {
            return Ok(());
        };
        let first = r.fill_buf()?.first().copied();
        self.mode = match first {
            Some(BINARY_IVM_FIRST_BYTE) => Mode::Binary {
                r,
                framer: Box::new(BinaryFramer::new()),
            },
            _ => Mode::Text {
                r,
                framer: Box::new(Framer::new()),
            },
        };
        Ok(())
    }

    /// Refills `pending`; `Ok(false)` at the end of the stream.
    fn fill(&mut self) -> io::Result<bool> {
        if matches!(self.mode, Mode::Start(_)) {
            self.start()?;
        }
        match &mut self.mode {
            Mode::Start(_) | Mode::Done => Ok(false),
            Mode::Text { r, framer } => {
                if !framer.next_chunk(r, &mut self.bytes_read)? {
                    return Ok(false);
                }
                if framer.too_long {
                    self.pending
                        .push_back(Err(RecordError::new(msg::record_too_long())));
                } else if framer.too_deep {
                    self.pending
                        .push_back(Err(RecordError::new(msg::ion_nesting_too_deep(MAX_DEPTH))));
                } else if framer.bad_symbol_id {
                    self.pending
                        .push_back(Err(RecordError::new(msg::ION_SYMBOL_ID_OUT_OF_RANGE)));
                } else if let Some(items) = fast::parse_chunk(&framer.chunk) {
                    self.pending.extend(items.into_iter().map(Ok));
                } else if std::str::from_utf8(&framer.chunk).is_err() {
                    // Text Ion is UTF-8; ion-rs 1.2 panics on a quoted symbol
                    // that is not.
                    self.pending
                        .push_back(Err(RecordError::new(msg::ION_TEXT_NOT_UTF8)));
                } else {
                    parse_chunk_with_ion_rs(&framer.chunk, &mut self.pending);
                }
                Ok(true)
            }
            Mode::Binary { r, framer } => match framer.next_chunk(r, &mut self.bytes_read)? {
                None => Ok(false),
                Some(BinaryChunk::Value) => {
                    parse_chunk_with_ion_rs(&framer.chunk, &mut self.pending);
                    Ok(true)
                }
                Some(BinaryChunk::TooLong) => {
                    self.pending
                        .push_back(Err(RecordError::new(msg::record_too_long())));
                    Ok(true)
                }
                Some(BinaryChunk::TooDeep) => {
                    self.pending
                        .push_back(Err(RecordError::new(msg::ion_nesting_too_deep(MAX_DEPTH))));
                    Ok(true)
                }
                Some(BinaryChunk::Corrupt(why)) => {
                    self.pending
                        .push_back(Err(RecordError::new(msg::ion_syntax(why))));
                    self.mode = Mode::Done;
                    Ok(true)
                }
            },
        }
    }
}

impl<R: BufRead> Iterator for IonReader<R> {
    type Item = Result<Record, FormatError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                let index = self.next_index;
                self.next_index += 1;
                return Some(Ok(Record { index, item }));
            }
            match self.fill() {
                Ok(true) => continue,
                Ok(false) => {
                    self.mode = Mode::Done;
                    return None;
                }
                Err(e) => {
                    self.mode = Mode::Done;
                    return Some(Err(e.into()));
                }
            }
        }
    }
}

/// Parses a text chunk with ion-rs: the reference path (and the only one
/// for anything outside the fast parser's subset).
///
/// ion-rs 1.2 can panic on some malformed binary values (an arithmetic
/// overflow in its length handling, found by the `import_ion` fuzz target):
/// such a panic is contained here and becomes the record's syntax error, so
/// no import source can take down the import or the server.
pub(crate) fn parse_chunk_with_ion_rs(chunk: &[u8], out: &mut VecDeque<Result<Item, RecordError>>) {
    match std::panic::catch_unwind(|| Element::read_all(chunk)) {
        Ok(Ok(seq)) => {
            for element in seq {
                push_records(element, out);
            }
        }
        Ok(Err(e)) => out.push_back(Err(RecordError::new(msg::ion_syntax(&e.to_string())))),
        Err(_) => out.push_back(Err(RecordError::new(msg::ion_syntax(
            "a length field of a binary value is malformed",
        )))),
    }
}

/// A top-level value is one record; a top-level list (binary only: text
/// lists are split by the framer) gives one record per element.
fn push_records(element: Element, out: &mut VecDeque<Result<Item, RecordError>>) {
    if element.ion_type() == ion_rs::IonType::List {
        if let Value::List(seq) = element.into_value() {
            for e in seq {
                out.push_back(record_to_item(e));
            }
        }
        return;
    }
    out.push_back(record_to_item(element));
}

/// `{Item:{...}}` → the item.
pub fn record_to_item(element: Element) -> Result<Item, RecordError> {
    let Value::Struct(record) = element.into_value() else {
        return Err(RecordError::new(msg::ION_NOT_A_STRUCT));
    };
    let mut item = None;
    for (name, value) in record {
        if name.text() == Some("Item") {
            item = Some(value);
        }
    }
    let Some(item) = item else {
        return Err(RecordError::new(msg::ION_MISSING_ITEM));
    };
    match item.into_value() {
        Value::Struct(s) => struct_to_map(s),
        _ => Err(RecordError::new(msg::ION_ITEM_NOT_A_STRUCT)),
    }
}

fn struct_to_map(s: Struct) -> Result<Item, RecordError> {
    let mut map = Item::new();
    for (name, element) in s {
        let Some(name) = name.text() else {
            return Err(RecordError::new(msg::ION_UNKNOWN_SYMBOL));
        };
        let name = name.to_owned();
        let value = element_to_value(&name, element)?;
        map.insert(name, value);
    }
    Ok(map)
}

fn element_to_value(name: &str, element: Element) -> Result<AttributeValue, RecordError> {
    let (annotations, value) = element.into_parts();
    Ok(match value {
        Value::Null(_) => AttributeValue::Null,
        Value::Bool(b) => AttributeValue::Bool(b),
        Value::String(s) => AttributeValue::S(s.into()),
        Value::Blob(b) => AttributeValue::B(b.into()),
        Value::Int(i) => AttributeValue::N(number(name, &i.to_string())?),
        Value::Decimal(d) => AttributeValue::N(decimal_to_number(name, &d)?),
        Value::Struct(s) => AttributeValue::M(struct_to_map(s)?),
        Value::List(seq) => match annotations.first() {
            Some("$dynamodb_SS") => AttributeValue::SS(
                seq.into_iter()
                    .map(|e| match e.into_value() {
                        Value::String(s) => Ok(s.into()),
                        other => Err(bad_member(name, "string", &other)),
                    })
                    .collect::<Result<_, _>>()?,
            ),
            Some("$dynamodb_NS") => AttributeValue::NS(
                seq.into_iter()
                    .map(|e| match e.into_value() {
                        Value::Decimal(d) => decimal_to_number(name, &d),
                        Value::Int(i) => number(name, &i.to_string()),
                        other => Err(bad_member(name, "number", &other)),
                    })
                    .collect::<Result<_, _>>()?,
            ),
            Some("$dynamodb_BS") => AttributeValue::BS(
                seq.into_iter()
                    .map(|e| match e.into_value() {
                        Value::Blob(b) => Ok(b.into()),
                        other => Err(bad_member(name, "binary", &other)),
                    })
                    .collect::<Result<_, _>>()?,
            ),
            _ => AttributeValue::L(
                seq.into_iter()
                    .map(|e| element_to_value(name, e))
                    .collect::<Result<_, _>>()?,
            ),
        },
        other => {
            return Err(RecordError::new(msg::ion_unsupported_type(
                name,
                &other.ion_type().to_string(),
            )));
        }
    })
}

fn bad_member(name: &str, set: &str, value: &Value) -> RecordError {
    RecordError::new(msg::ion_bad_set_member(
        name,
        set,
        &value.ion_type().to_string(),
    ))
}

fn number(name: &str, text: &str) -> Result<Number, RecordError> {
    Number::parse(text).map_err(|e| RecordError::new(msg::invalid_number(name, &e.message())))
}

fn decimal_to_number(name: &str, d: &Decimal) -> Result<Number, RecordError> {
    let coefficient = d.coefficient();
    if coefficient.is_zero() {
        return number(name, "0");
    }
    let sign = if coefficient.sign() == Sign::Negative {
        "-"
    } else {
        ""
    };
    number(
        name,
        &format!("{sign}{}E{}", coefficient.magnitude(), d.exponent()),
    )
}

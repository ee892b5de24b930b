//! The CSV import reader: a strict RFC 4180 parser (any one-byte delimiter)
//! that turns rows into items.
//!
//! Rules:
//! - the header is the first row, unless [`CsvOptions::header`] gives it (then
//!   the first row is data); a UTF-8 byte-order mark at the start is dropped;
//! - fields may be quoted; `""` inside quotes is a quote; quoted fields may
//!   hold delimiters and newlines; rows end with `\n`, `\r\n` or `\r`;
//! - strictness AWS documents: a double quote inside an *unquoted* field, or
//!   anything but a delimiter or a row end after a closing quote, makes the
//!   row an error (`"123",Women's Full "Length" Dress` fails; the escaped
//!   `"""123""","Women's Full ""Length"" Dress"` imports). The `csv` crate is
//!   lenient there, hence this parser;
//! - empty and whitespace-only lines are skipped and not counted;
//! - a row whose column count differs from the header's is an error;
//! - a value that does not fit its column's type (`abc` in a column typed N,
//!   bad base64 in one typed B) is a [`crate::RecordErrorKind::InvalidValue`]: an
//!   item error, not a row that cannot be read;
//! - an empty field is omitted from the item; the columns named in `types`
//!   (the key attributes of the table and its indexes) become S, N or B
//!   (B decoded from base64); every other column is S;
//! - item indexes are 0-based over data rows (the header is not an item).
//!
//! A malformed header ends the object with one error (index 0): no row can
//! be read without it.

use std::collections::HashMap;
use std::io::{self, BufRead};

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use ferry_model::{AttributeValue, Item, Number, ScalarType};

use crate::Record;
use crate::errors::{FormatError, MAX_RECORD_BYTES, RecordError, msg};

/// CSV input options (`InputFormatOptions.Csv`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvOptions {
    /// One of `,;:|\t ` per AWS (validated by the API, not here).
    pub delimiter: u8,
    /// `HeaderList`: when given, the first row of every object is data.
    pub header: Option<Vec<String>>,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            delimiter: b',',
            header: None,
        }
    }
}

const BASE64_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

enum Raw {
    Eof,
    Blank,
    Row,
    Bad(RecordError),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum St {
    StartField,
    Unquoted,
    Quoted,
    QuoteInQuoted,
    SkipLine,
}

/// Reads items from CSV.
pub struct CsvReader<R> {
    r: R,
    delimiter: u8,
    types: HashMap<String, ScalarType>,
    header: Option<Vec<String>>,
    kinds: Vec<ScalarType>,
    /// Column indexes sorted by header name.
    sorted_columns: Vec<usize>,
    /// Field start offsets of the current row (from `ends`).
    starts: Vec<usize>,
    fields: Vec<u8>,
    ends: Vec<usize>,
    next_index: u64,
    bytes_read: u64,
    bom_checked: bool,
    done: bool,
}

impl<R: BufRead> CsvReader<R> {
    /// `types`: attribute name → type for the key attributes of the table and
    /// its indexes; other columns are strings.
    pub fn new(r: R, options: &CsvOptions, types: HashMap<String, ScalarType>) -> Self {
        let mut reader = CsvReader {
            r,
            delimiter: options.delimiter,
            types,
            header: None,
            kinds: Vec::new(),
            sorted_columns: Vec::new(),
            starts: Vec::with_capacity(32),
            fields: Vec::with_capacity(1024),
            ends: Vec::with_capacity(32),
            next_index: 0,
            bytes_read: 0,
            bom_checked: false,
            done: false,
        };
        if let Some(header) = &options.header {
            reader.set_header(header.clone());
        }
        reader
    }

    /// Uncompressed bytes consumed so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    fn set_header(&mut self, header: Vec<String>) {
        self.kinds = header
            .iter()
            .map(|name| self.types.get(name).copied().unwrap_or(ScalarType::S))
            .collect();
        // Columns in name order (stable: of equal names the last column wins),
        // so items are built from sorted pairs without per-insert searches.
        let mut order: Vec<usize> = (0..header.len()).collect();
        order.sort_by(|&a, &b| header[a].cmp(&header[b]));
        self.sorted_columns = order;
        self.header = Some(header);
    }

    /// Reads one row into `fields`/`ends`.
    fn read_row(&mut self) -> io::Result<Raw> {
        self.fields.clear();
        self.ends.clear();
        let delim = self.delimiter;
        let delim_is_space = delim == b' ' || delim == b'\t';
        let mut st = St::StartField;
        let mut nonspace = false;
        let mut error: Option<RecordError> = None;
        let mut consumed_any = false;
        loop {
            let buf = self.r.fill_buf()?;
            if buf.is_empty() {
                if !consumed_any {
                    return Ok(Raw::Eof);
                }
                if st == St::Quoted && error.is_none() {
                    error = Some(RecordError::new(msg::CSV_UNTERMINATED_QUOTE));
                }
                self.ends.push(self.fields.len());
                return Ok(self.finish_row(error, nonspace));
            }
            let mut i = 0;
            let mut ended = false;
            let mut ended_with_cr = false;
            while i < buf.len() {
                match st {
                    St::StartField => {
                        let b = buf[i];
                        if b == b'"' {
                            st = St::Quoted;
                            nonspace = true;
                            i += 1;
                        } else if b == delim {
                            self.ends.push(self.fields.len());
                            nonspace |= !delim_is_space;
                            i += 1;
                        } else if b == b'\n' || b == b'\r' {
                            self.ends.push(self.fields.len());
                            i += 1;
                            ended = true;
                            ended_with_cr = b == b'\r';
                            break;
                        } else {
                            st = St::Unquoted;
                        }
                    }
                    St::Unquoted => {
                        let start = i;
                        while i < buf.len() {
                            let c = buf[i];
                            if c == delim || c == b'\n' || c == b'\r' || c == b'"' {
                                break;
                            }
                            i += 1;
                        }
                        let text = &buf[start..i];
                        if !nonspace && text.iter().any(|&c| c != b' ' && c != b'\t') {
                            nonspace = true;
                        }
                        self.fields.extend_from_slice(text);
                        if i < buf.len() {
                            let c = buf[i];
                            i += 1;
                            if c == b'"' {
                                error = Some(RecordError::new(msg::CSV_UNESCAPED_QUOTE));
                                st = St::SkipLine;
                            } else if c == delim {
                                self.ends.push(self.fields.len());
                                nonspace |= !delim_is_space;
                                st = St::StartField;
                            } else {
                                self.ends.push(self.fields.len());
                                ended = true;
                                ended_with_cr = c == b'\r';
                                break;
                            }
                        }
                    }
                    St::Quoted => {
                        let start = i;
                        while i < buf.len() && buf[i] != b'"' {
                            i += 1;
                        }
                        self.fields.extend_from_slice(&buf[start..i]);
                        if i < buf.len() {
                            i += 1;
                            st = St::QuoteInQuoted;
                        }
                    }
                    St::QuoteInQuoted => {
                        let b = buf[i];
                        if b == b'"' {
                            self.fields.push(b'"');
                            st = St::Quoted;
                            i += 1;
                        } else if b == delim {
                            self.ends.push(self.fields.len());
                            st = St::StartField;
                            i += 1;
                        } else if b == b'\n' || b == b'\r' {
                            self.ends.push(self.fields.len());
                            i += 1;
                            ended = true;
                            ended_with_cr = b == b'\r';
                            break;
                        } else {
                            error = Some(RecordError::new(msg::CSV_UNESCAPED_QUOTE));
                            st = St::SkipLine;
                        }
                    }
                    St::SkipLine => match buf[i..].iter().position(|&c| c == b'\n') {
                        Some(pos) => {
                            i += pos + 1;
                            ended = true;
                            break;
                        }
                        None => i = buf.len(),
                    },
                }
            }
            consumed_any |= i > 0;
            self.r.consume(i);
            self.bytes_read += i as u64;
            if self.fields.len() > MAX_RECORD_BYTES && st != St::SkipLine {
                error = Some(RecordError::new(msg::record_too_long()));
                self.fields.clear();
                st = St::SkipLine;
            }
            if ended {
                if ended_with_cr && self.r.fill_buf()?.first() == Some(&b'\n') {
                    self.r.consume(1);
                    self.bytes_read += 1;
                }
                return Ok(self.finish_row(error, nonspace));
            }
        }
    }

    fn finish_row(&self, error: Option<RecordError>, nonspace: bool) -> Raw {
        match error {
            Some(e) => Raw::Bad(e),
            None if !nonspace => Raw::Blank,
            None => Raw::Row,
        }
    }

    fn take_header(&mut self) -> Result<Vec<String>, RecordError> {
        let mut header = Vec::with_capacity(self.ends.len());
        let mut start = 0;
        for &end in &self.ends {
            let name = std::str::from_utf8(&self.fields[start..end])
                .map_err(|_| RecordError::new(msg::CSV_HEADER_NOT_UTF8))?;
            header.push(name.to_owned());
            start = end;
        }
        Ok(header)
    }

    fn build_item(&mut self) -> Result<Item, RecordError> {
        let header = self.header.as_deref().unwrap_or_default();
        if self.ends.len() != header.len() {
            return Err(RecordError::new(msg::csv_column_count(
                self.ends.len(),
                header.len(),
            )));
        }
        self.starts.clear();
        let mut start = 0;
        for &end in &self.ends {
            self.starts.push(start);
            start = end;
        }
        let mut pairs = Vec::with_capacity(header.len());
        for &column in &self.sorted_columns {
            let raw = &self.fields[self.starts[column]..self.ends[column]];
            if raw.is_empty() {
                continue;
            }
            let text = std::str::from_utf8(raw).map_err(|_| RecordError::new(msg::CSV_NOT_UTF8))?;
            let name = &header[column];
            let value = match self.kinds[column] {
                ScalarType::S => AttributeValue::S(text.to_owned()),
                ScalarType::N => AttributeValue::N(Number::parse(text).map_err(|e| {
                    RecordError::invalid_value(msg::invalid_number(name, &e.message()))
                })?),
                ScalarType::B => AttributeValue::B(
                    BASE64_LENIENT
                        .decode(text)
                        .map_err(|_| RecordError::invalid_value(msg::csv_invalid_base64(name)))?,
                ),
            };
            pairs.push((name.clone(), value));
        }
        Ok(Item::from_iter(pairs))
    }

    fn skip_bom(&mut self) -> io::Result<()> {
        self.bom_checked = true;
        let buf = self.r.fill_buf()?;
        if buf.starts_with(UTF8_BOM) {
            self.r.consume(UTF8_BOM.len());
            self.bytes_read += UTF8_BOM.len() as u64;
        }
        Ok(())
    }

    fn emit(&mut self, item: Result<Item, RecordError>) -> Option<Result<Record, FormatError>> {
        let index = self.next_index;
        self.next_index += 1;
        Some(Ok(Record { index, item }))
    }
}

impl<R: BufRead> Iterator for CsvReader<R> {
    type Item = Result<Record, FormatError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.done {
                return None;
            }
            let step = if self.bom_checked {
                self.read_row()
            } else {
                self.skip_bom().and_then(|()| self.read_row())
            };
            let raw = match step {
                Ok(raw) => raw,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e.into()));
                }
            };
            match raw {
                Raw::Eof => {
                    self.done = true;
                    return None;
                }
                Raw::Blank => continue,
                Raw::Bad(e) if self.header.is_none() => {
                    self.done = true;
                    return self.emit(Err(RecordError::new(msg::csv_header(&e.message))));
                }
                Raw::Bad(e) => return self.emit(Err(e)),
                Raw::Row if self.header.is_none() => match self.take_header() {
                    Ok(header) => self.set_header(header),
                    Err(e) => {
                        self.done = true;
                        return self.emit(Err(e));
                    }
                },
                Raw::Row => {
                    let item = self.build_item();
                    return self.emit(item);
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "csv_tests.rs"]
mod tests;

//! The crate's error types and, in one place, the text of every item-level
//! error message the readers produce (these texts end up in the import's
//! CloudWatch-style error log, so they are kept together and tested).

use std::io;

/// A failure that ends a stream: the object cannot be read any further
/// (I/O error, corrupt gzip/zstd data, corrupt binary Ion).
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("reading the object failed")]
    Io(#[from] io::Error),
}

/// Why one record (line, row, Ion value) could not be turned into an item.
/// The reader goes on with the next record.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RecordError {
    pub message: String,
    pub kind: RecordErrorKind,
}

/// Whether the record could be read at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordErrorKind {
    /// The record cannot be read as the format (not JSON, unbalanced
    /// quotes, wrong column count): what follows it cannot be trusted.
    Unreadable,
    /// The record was read, but a value does not fit its declared type (a
    /// CSV key column typed N holding `abc`): an item error like any other.
    InvalidValue,
}

impl RecordError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        RecordError {
            message: message.into(),
            kind: RecordErrorKind::Unreadable,
        }
    }

    pub(crate) fn invalid_value(message: impl Into<String>) -> Self {
        RecordError {
            message: message.into(),
            kind: RecordErrorKind::InvalidValue,
        }
    }
}

/// The longest record (line, CSV row, Ion top-level value) a reader accepts.
/// A DynamoDB item is at most 400 KB; even with JSON escaping and base64 a
/// valid record stays far below this.
pub const MAX_RECORD_BYTES: usize = 16 * 1024 * 1024;

/// Item-error message texts.
pub mod msg {
    use super::MAX_RECORD_BYTES;

    // ---- shared

    pub fn record_too_long() -> String {
        format!("The record is longer than the maximum of {MAX_RECORD_BYTES} bytes")
    }

    pub fn invalid_number(attribute: &str, reason: &str) -> String {
        format!("Invalid number for attribute {attribute}: {reason}")
    }

    // ---- DynamoDB JSON

    /// The line is not JSON at all (`detail` is the parser's message with its position).
    pub fn json_syntax(detail: &str) -> String {
        format!("Invalid JSON: {detail}")
    }

    /// The line is JSON but not `{"Item": {...}}` with valid attribute values.
    pub fn json_shape(detail: &str) -> String {
        format!("Invalid DynamoDB JSON item: {detail}")
    }

    // ---- Ion

    pub fn ion_syntax(detail: &str) -> String {
        format!("Invalid Ion: {detail}")
    }

    pub fn ion_nesting_too_deep(limit: usize) -> String {
        format!("Invalid Ion: values are nested deeper than {limit} levels")
    }

    /// A text symbol ID (`$123`) with 20 or more significant digits: no
    /// symbol table is that large (ion-rs 1.2 panics parsing it).
    pub const ION_SYMBOL_ID_OUT_OF_RANGE: &str = "Invalid Ion: a symbol ID is out of range";

    /// A text Ion record that is not UTF-8.
    pub const ION_TEXT_NOT_UTF8: &str = "Invalid Ion: the text is not valid UTF-8";

    pub const ION_NOT_A_STRUCT: &str =
        "Invalid Ion item: the top-level value is not a struct with an Item field";
    pub const ION_MISSING_ITEM: &str = "Invalid Ion item: the struct has no Item field";
    pub const ION_ITEM_NOT_A_STRUCT: &str = "Invalid Ion item: the Item field is not a struct";
    pub const ION_UNKNOWN_SYMBOL: &str =
        "Invalid Ion item: a field name is a symbol with unknown text";

    pub fn ion_unsupported_type(attribute: &str, ion_type: &str) -> String {
        format!(
            "Invalid Ion item: attribute {attribute} has the Ion type {ion_type}, \
             which has no DynamoDB equivalent"
        )
    }

    pub fn ion_bad_set_member(attribute: &str, set: &str, ion_type: &str) -> String {
        format!("Invalid Ion item: attribute {attribute} is a {set} set but holds a {ion_type}")
    }

    // ---- CSV

    pub fn csv_column_count(found: usize, expected: usize) -> String {
        format!(
            "The row has {found} columns but the header has {expected}: \
             the number of columns must match the header"
        )
    }

    pub const CSV_UNESCAPED_QUOTE: &str = "Invalid CSV: a double quote in a field must be escaped \
         (the field must be quoted and the quote doubled: \"\")";
    pub const CSV_UNTERMINATED_QUOTE: &str =
        "Invalid CSV: a quoted field is not closed before the end of the object";
    pub const CSV_NOT_UTF8: &str = "Invalid CSV: the row is not valid UTF-8";
    pub const CSV_HEADER_NOT_UTF8: &str = "Invalid CSV header: the header is not valid UTF-8";

    pub fn csv_header(detail: &str) -> String {
        format!("Invalid CSV header: {detail}")
    }

    pub fn csv_invalid_base64(attribute: &str) -> String {
        format!("Invalid binary value for attribute {attribute}: the value is not valid base64")
    }
}

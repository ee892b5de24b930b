//! Ferry's import/export file formats: pure, streaming, synchronous codecs
//! (`std::io::Read`/`Write`, no async, no S3) that the import and export jobs use.
//!
//! - [`compress`]: gzip / zstd decoders for imports, the gzip encoder for exports.
//! - [`ddb_json`]: DynamoDB JSON lines (`{"Item":{...}}`), reader (a fast
//!   path, serde + the model's codec for the rest) and writers (full-export
//!   lines and incremental-export change records).
//! - [`ion`]: Amazon Ion (`$ion_1_0 {Item:{...}}`): reader (text or binary;
//!   a fast path for AWS's subset, ion-rs for the rest) and a hand-written
//!   writer producing AWS's exact text.
//! - [`csv`]: strict RFC 4180 CSV reader with header handling and key typing.
//! - [`manifest`]: the model of AWS's export manifests, read by `ferry import`
//!   (the export job writes its own in ferry-jobs).
//! - [`generator`] (`gen.rs`): a deterministic item generator shared by
//!   benchmarks and tests.
//!
//! The import job's entry point is [`open_reader`]: decompression plus any
//! input format, as an iterator of records (`Send`; it also counts the
//! uncompressed bytes read, DynamoDB's `ProcessedSizeBytes`).
//!
//! Every reader yields [`Record`]s: the 0-based item index in its object and
//! either an [`Item`] or a [`RecordError`] (a bad record does not stop the
//! reader, except where framing is lost: a bad CSV header, corrupt binary
//! Ion; an I/O or decompression failure is a [`FormatError`] and ends the
//! stream). Item *validation* (keys, empty sets, size) is not done
//! here: that is `ferry_model`'s job, called by the import job.
//!
//! What real DynamoDB does that the caller should imitate (measured by
//! ScyllaDB's conformance tests against AWS): blank and whitespace-only lines
//! are neither items nor errors (the readers skip them), and the first record
//! DynamoDB cannot turn into an item abandons the rest of its object — the
//! readers here do go on, so the job decides whether to stop at the first
//! [`RecordError`].
// Input reaches this crate: a panic is never the answer to bad input.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod compress;
pub mod csv;
pub mod ddb_json;
pub mod errors;
#[path = "gen.rs"]
pub mod generator;
pub mod ion;
pub mod manifest;
mod reader;
#[cfg(test)]
mod test_support;

pub use compress::Compression;
pub use errors::{FormatError, RecordError, RecordErrorKind};
pub use ferry_model::Item;
pub use reader::{ItemReader, ReaderFormat, open_reader};

/// One record read from an import object: its 0-based item index within the
/// object (blank lines and a CSV header are not items) and the item, or why
/// the record could not be turned into one.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub index: u64,
    pub item: Result<Item, RecordError>,
}

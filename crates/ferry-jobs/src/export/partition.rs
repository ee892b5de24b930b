//! Writing one data file: the items of one hash range of the key space, as
//! of the export time (full export) or compacted over the period
//! (incremental export), encoded as DynamoDB JSON or Ion lines, gzipped, and
//! streamed to object storage in large chunks while its MD5 is computed.
//! Each ~1 MB block of lines is one gzip member compressed by libdeflate
//! (`ferry_formats::compress::GzipBlocks`); the file is their concatenation.
//! Items are never decoded: the stored encoding is transcoded straight into
//! the line (`transcode.rs`, `transcode_ion.rs`).
//!
//! Memory per writer is bounded: one line block (~1 MB) and one chunk of
//! compressed output (~2 MB) at a time, whatever the table's size.

use std::ops::Range;

use ferry_model::{Item, KeySchema};
use ferry_storage::{Change, RawItem, StorageError, Table, Timestamp};

use super::sink::{ObjectSink, SinkError};
use super::spec::{ExportFormat, ExportViewType, Period};
use super::transcode::{raw_item_size, write_change_line_raw, write_item_line_raw};
use super::transcode_ion::{write_change_line_raw_ion, write_item_line_raw_ion};

use ferry_formats::compress::{GZIP_BLOCK, GzipBlocks};

/// Compressed output is sent to object storage in chunks of this size
/// (small enough for the allocator to recycle; the object clients batch
/// chunks into multipart parts themselves).
pub const UPLOAD_CHUNK: usize = 1024 * 1024;

/// What a data file holds.
#[derive(Clone, Copy, Debug)]
pub enum Source {
    /// Every item as of this time (inclusive).
    Snapshot(Timestamp),
    /// The changes in `[from, to)`, one record per changed item.
    Changes(Period),
}

/// One finished data file: a `manifest-files.json` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileResult {
    pub key: String,
    pub item_count: u64,
    /// Base64 MD5 of the object's bytes.
    pub md5: String,
    pub etag: String,
    pub size: u64,
    /// DynamoDB item size of what was read (BilledSizeBytes).
    pub billed_bytes: u64,
    /// Uncompressed bytes written (throughput figures).
    pub raw_bytes: u64,
}

/// Why a data file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PartitionError {
    #[error("reading the table failed")]
    Storage(#[from] StorageError),
    #[error("writing to object storage failed")]
    Sink(#[from] SinkError),
    #[error("compressing failed")]
    Io(#[from] std::io::Error),
    /// Another partition failed; this one stopped early.
    #[error("stopped")]
    Stopped,
}

/// The compressed-output side of a data file: upload in chunks (the store
/// reports the MD5 and ETag of what it received).
struct Output {
    upload: Box<dyn super::sink::ObjectUpload>,
    size: u64,
}

impl Output {
    fn send(&mut self, chunk: Vec<u8>) -> Result<(), PartitionError> {
        if chunk.is_empty() {
            return Ok(());
        }
        self.size += chunk.len() as u64;
        self.upload.write(chunk)?;
        Ok(())
    }
}

/// Encodes lines, compresses each block of them into one gzip member and
/// ships full chunks.
struct FileWriter {
    gz: GzipBlocks,
    lines: Vec<u8>,
    packed: Vec<u8>,
    out: Output,
    raw: u64,
}

impl FileWriter {
    fn new(sink: &dyn ObjectSink, key: &str, level: u32) -> Result<FileWriter, PartitionError> {
        let upload = sink.create(key)?;
        Ok(FileWriter {
            gz: GzipBlocks::new(level),
            lines: Vec::with_capacity(GZIP_BLOCK + 64 * 1024),
            packed: Vec::with_capacity(UPLOAD_CHUNK + UPLOAD_CHUNK / 4),
            out: Output { upload, size: 0 },
            raw: 0,
        })
    }

    /// Called after each line was appended to `self.lines`.
    fn after_line(&mut self) -> Result<(), PartitionError> {
        if self.lines.len() >= GZIP_BLOCK {
            self.flush_lines()?;
        }
        Ok(())
    }

    /// Compress the pending lines as one member (also when there are none
    /// and nothing was written yet: an empty file is one empty member).
    fn flush_lines(&mut self) -> Result<(), PartitionError> {
        if self.lines.is_empty() && (self.raw > 0 || !self.packed.is_empty()) {
            return Ok(());
        }
        self.raw += self.lines.len() as u64;
        self.gz.member(&self.lines, &mut self.packed)?;
        self.lines.clear();
        if self.packed.len() >= UPLOAD_CHUNK {
            let chunk = std::mem::replace(
                &mut self.packed,
                Vec::with_capacity(UPLOAD_CHUNK + UPLOAD_CHUNK / 4),
            );
            self.out.send(chunk)?;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<(String, String, u64, u64), PartitionError> {
        self.flush_lines()?;
        self.out.send(self.packed)?;
        let Output { upload, size } = self.out;
        let put = upload.finish()?;
        Ok((put.md5, put.etag, size, self.raw))
    }
}

/// Writes one item line from its stored encoding; returns the item size.
type RawLineWriter = fn(&[u8], &mut Vec<u8>) -> Result<usize, StorageError>;

/// Writes one change record from stored encodings (key source, schema,
/// timestamp, old image, new image); returns the size of the images written.
type RawChangeWriter = fn(
    &[u8],
    &KeySchema,
    u64,
    Option<&[u8]>,
    Option<&[u8]>,
    &mut Vec<u8>,
) -> Result<usize, StorageError>;

fn line_writer(format: ExportFormat) -> RawLineWriter {
    match format {
        ExportFormat::DynamoDbJson => write_item_line_raw,
        ExportFormat::Ion => write_item_line_raw_ion,
    }
}

fn change_writer(format: ExportFormat) -> RawChangeWriter {
    match format {
        ExportFormat::DynamoDbJson => write_change_line_raw,
        ExportFormat::Ion => write_change_line_raw_ion,
    }
}

/// The images one change record carries, per the spec's table:
/// insert → new; update → new (+ old); delete → (old); insert+delete → none.
#[must_use]
pub fn record_images(
    change: &Change,
    view: ExportViewType,
) -> Option<(Option<&Item>, Option<&Item>)> {
    let with_old = view == ExportViewType::NewAndOldImages;
    match (&change.old, &change.new) {
        (None, None) => None,
        (None, Some(new)) => Some((None, Some(new))),
        (Some(old), Some(new)) => Some((with_old.then_some(old), Some(new))),
        (Some(old), None) => Some((with_old.then_some(old), None)),
    }
}

/// What every data file of one export shares.
pub struct Partitioner<'a> {
    pub table: &'a Table,
    pub key_schema: &'a KeySchema,
    pub source: Source,
    pub format: ExportFormat,
    pub sink: &'a dyn ObjectSink,
    pub gzip_level: u32,
}

impl Partitioner<'_> {
    /// Write the data file `key` for the items of `range`; `stop` is polled
    /// every few thousand items.
    pub fn write(
        &self,
        range: Range<u64>,
        key: &str,
        stop: &(dyn Fn() -> bool + Sync),
    ) -> Result<FileResult, PartitionError> {
        let mut w = FileWriter::new(self.sink, key, self.gzip_level)?;
        let mut count = 0u64;
        let mut billed = 0u64;
        match self.source {
            Source::Snapshot(ts) => {
                let write = line_writer(self.format);
                for raw in self.table.scan_as_of_raw(ts, range)? {
                    let raw = raw?;
                    billed += write(raw.bytes(), &mut w.lines)? as u64;
                    count += 1;
                    w.after_line()?;
                    if count.is_multiple_of(4096) && stop() {
                        return Err(PartitionError::Stopped);
                    }
                }
            }
            Source::Changes(period) => {
                let write = change_writer(self.format);
                let with_old = period.view == ExportViewType::NewAndOldImages;
                for change in self.table.changes_raw(period.from, period.to, range)? {
                    let change = change?;
                    let (old, new) = (change.old.as_ref(), change.new.as_ref());
                    // The keys come from the new image, else the old one
                    // (both absent: no record, as in `record_images`).
                    let Some(key_source) = new.or(old) else {
                        continue;
                    };
                    let old_written = old.filter(|_| with_old);
                    billed += write(
                        key_source.bytes(),
                        self.key_schema,
                        change.last_write.max(0) as u64,
                        old_written.map(RawItem::bytes),
                        new.map(RawItem::bytes),
                        &mut w.lines,
                    )? as u64;
                    if let (Some(old), None) = (old, old_written) {
                        billed += raw_item_size(old.bytes())? as u64;
                    }
                    count += 1;
                    w.after_line()?;
                    if count.is_multiple_of(4096) && stop() {
                        return Err(PartitionError::Stopped);
                    }
                }
            }
        }
        let (md5, etag, size, raw) = w.finish()?;
        Ok(FileResult {
            key: key.to_string(),
            item_count: count,
            md5,
            etag,
            size,
            billed_bytes: billed,
            raw_bytes: raw,
        })
    }
}

//! A backup's items in the `MetaStore`: chunks of DynamoDB JSON lines (the
//! export's item-line format), gzip-compressed, each under
//! `d/<backup arn>/<chunk number, u32 big-endian>` in the `backup` namespace,
//! next to the backup's record (`r/<backup arn>`). Chunks are written as
//! they fill; the record turns AVAILABLE in the same batch as the last one.

use std::io::{BufRead, BufReader, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ferry_formats::Compression;
use ferry_formats::ddb_json::{parse_item_line, write_item_line};
use ferry_model::{Item, item_size};
use ferry_storage::{Engine, StorageError, Table};

use super::NS_BACKUPS;

/// Uncompressed bytes per chunk.
const CHUNK_BYTES: usize = 1 << 20;
/// Chunks read per `MetaStore` page while restoring.
const PAGE: usize = 8;
/// Items per bulk-loader batch while restoring.
const BATCH: usize = 2048;

/// The key prefix of a backup's chunks.
pub(super) fn data_prefix(arn: &str) -> Vec<u8> {
    let mut k = b"d/".to_vec();
    k.extend_from_slice(arn.as_bytes());
    k.push(b'/');
    k
}

fn corrupt(what: impl std::fmt::Display) -> StorageError {
    StorageError::Corrupt(format!("backup data: {what}"))
}

/// What a finished backup holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub items: u64,
    /// The sum of the items' DynamoDB sizes.
    pub bytes: u64,
}

/// Writes the chunks of one backup.
pub(super) struct ChunkWriter<'a> {
    engine: &'a Engine,
    prefix: Vec<u8>,
    next: u32,
    lines: Vec<u8>,
    pub totals: Totals,
}

impl<'a> ChunkWriter<'a> {
    pub fn new(engine: &'a Engine, arn: &str) -> ChunkWriter<'a> {
        ChunkWriter {
            engine,
            prefix: data_prefix(arn),
            next: 0,
            lines: Vec::with_capacity(CHUNK_BYTES + 4096),
            totals: Totals::default(),
        }
    }

    pub fn push(&mut self, item: &Item) -> Result<(), StorageError> {
        write_item_line(item, &mut self.lines);
        self.totals.items += 1;
        self.totals.bytes += item_size(item) as u64;
        if self.lines.len() >= CHUNK_BYTES {
            let (k, v) = self.take()?;
            self.engine.meta().put(NS_BACKUPS, &k, &v)?;
        }
        Ok(())
    }

    /// The last chunk (if any) and the record that ends the backup, written
    /// in one batch.
    pub fn finish(mut self, record_key: &[u8], record: &[u8]) -> Result<Totals, StorageError> {
        let last = if self.lines.is_empty() {
            None
        } else {
            Some(self.take()?)
        };
        let mut entries: Vec<(&[u8], Option<&[u8]>)> = vec![(record_key, Some(record))];
        if let Some((k, v)) = &last {
            entries.push((k, Some(v)));
        }
        self.engine.meta().put_many(NS_BACKUPS, &entries)?;
        Ok(self.totals)
    }

    fn take(&mut self) -> Result<(Vec<u8>, Vec<u8>), StorageError> {
        let mut key = self.prefix.clone();
        key.extend_from_slice(&self.next.to_be_bytes());
        self.next += 1;
        let mut gz = ferry_formats::compress::gzip_writer(Vec::new());
        gz.write_all(&self.lines).map_err(corrupt)?;
        let value = gz.finish().map_err(corrupt)?;
        self.lines.clear();
        Ok((key, value))
    }
}

/// The keys of every chunk of a backup (to delete them).
pub(super) fn chunk_keys(engine: &Engine, arn: &str) -> Result<Vec<Vec<u8>>, StorageError> {
    let prefix = data_prefix(arn);
    let mut keys = Vec::new();
    let mut after: Option<Vec<u8>> = None;
    loop {
        let page = engine
            .meta()
            .scan_limit(NS_BACKUPS, &prefix, after.as_deref(), PAGE)?;
        let Some((last, _)) = page.last() else {
            return Ok(keys);
        };
        after = Some(last.clone());
        keys.extend(page.into_iter().map(|(k, _)| k));
    }
}

/// Bulk-load every item of backup `arn` into `target` (CREATING). Stops
/// early (returning what was loaded) when `cancel` is set.
pub fn load_into(
    engine: &Engine,
    arn: &str,
    target: &Arc<Table>,
    cancel: &AtomicBool,
) -> Result<u64, StorageError> {
    let prefix = data_prefix(arn);
    let loader = target.bulk_loader();
    let mut loaded = 0u64;
    let mut batch = Vec::with_capacity(BATCH);
    let mut after: Option<Vec<u8>> = None;
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Ok(loaded);
        }
        let page = engine
            .meta()
            .scan_limit(NS_BACKUPS, &prefix, after.as_deref(), PAGE)?;
        let Some((last, _)) = page.last() else {
            break;
        };
        after = Some(last.clone());
        for (_, chunk) in page {
            let reader = ferry_formats::compress::decoder(Compression::Gzip, chunk.as_slice())
                .map_err(corrupt)?;
            for line in BufReader::new(reader).split(b'\n') {
                let line = line.map_err(corrupt)?;
                if line.is_empty() {
                    continue;
                }
                batch.push(parse_item_line(&line).map_err(|e| corrupt(e.message))?);
                if batch.len() == BATCH {
                    loaded += batch.len() as u64;
                    loader.write(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))?;
                }
            }
        }
    }
    if !batch.is_empty() {
        loaded += batch.len() as u64;
        loader.write(batch)?;
    }
    loader.finish()?;
    Ok(loaded)
}

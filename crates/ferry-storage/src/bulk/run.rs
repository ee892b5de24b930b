//! Sorted runs: the batches buffered by a loader (about [`RUN_BYTES`] of
//! them) sorted by key, deduplicated (the last write of a key wins) and
//! spilled to a file in the engine's spill directory, split by hash
//! partition so that the final merge can run one thread per partition.
//!
//! ```text
//! run file : { items section }[partition] { entries section }[partition]
//! item     : varint(len) prefix | varint(len) value | varint(size)
//! entry    : varint(len) key | varint(len) value | varint(size) | varint(owner)
//! ```
//!
//! Items are numbered in key order across the run (their *ordinal*); an
//! entry's `owner` is the ordinal of its item, so the merge can drop the
//! entries of an item that a later run overwrote. Entries of items that lost
//! to a later write inside the run are dropped here already. The files are
//! scratch data: never synced, removed when the run is consumed or
//! abandoned, and wiped when the engine opens.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

use crate::StorageError;
use crate::bulk::batch::Batch;

/// Buffered bytes (arenas and records) that make one run.
pub(crate) const RUN_BYTES: usize = 48 << 20;

fn io_err(e: std::io::Error) -> StorageError {
    StorageError::Engine(Box::new(e))
}

fn corrupt() -> StorageError {
    StorageError::Corrupt("bulk load spill file".to_string())
}

/// The partition (of `parts`) of a 64-bit hash: equal contiguous ranges.
pub(crate) fn partition(hash: u64, parts: usize) -> usize {
    ((u128::from(hash) * parts as u128) >> 64) as usize
}

fn be_u64(key: &[u8], at: usize) -> u64 {
    let mut raw = [0u8; 8];
    if let Some(s) = key.get(at..at + 8) {
        raw.copy_from_slice(s);
    }
    u64::from_be_bytes(raw)
}

/// The hash of a version key or item prefix (`tid | hash | ..`).
pub(crate) fn item_hash(key: &[u8]) -> u64 {
    be_u64(key, 4)
}

/// The hash of an index entry key (`tid | iid | hash | ..`).
pub(crate) fn entry_hash(key: &[u8]) -> u64 {
    be_u64(key, 8)
}

/// The index id of an index entry key.
pub(crate) fn entry_iid(key: &[u8]) -> u32 {
    let mut raw = [0u8; 4];
    if let Some(s) = key.get(4..8) {
        raw.copy_from_slice(s);
    }
    u32::from_be_bytes(raw)
}

/// A byte range of a run file.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Section {
    start: u64,
    len: u64,
    /// Ordinal of the first item (items sections).
    base: u64,
}

/// A spilled run. Dropping it removes the file.
pub(crate) struct RunFile {
    path: PathBuf,
    items: Vec<Section>,
    entries: Vec<Section>,
    /// Distinct items in the run.
    pub item_count: u64,
    /// The indexes whose entries the run holds for every item.
    pub iids: Vec<u32>,
}

impl Drop for RunFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn put_varint(v: u64, out: &mut impl Write) -> std::io::Result<u64> {
    let mut buf = [0u8; crate::varint::MAX_LEN];
    let n = crate::varint::encode(v, &mut buf);
    out.write_all(&buf[..n])?;
    Ok(n as u64)
}

fn put_bytes(b: &[u8], out: &mut impl Write) -> std::io::Result<u64> {
    let n = put_varint(b.len() as u64, out)?;
    out.write_all(b)?;
    Ok(n + b.len() as u64)
}

/// A record to sort: the 8 key bytes after the table id (fast comparison),
/// the key, and the record's batch and position (write order).
type SortRef<'a> = (u64, &'a [u8], u32, u32);

/// Sorts, deduplicates and spills `batches` (in write order) to `path`.
pub(crate) fn spill(
    batches: Vec<Batch>,
    parts: usize,
    path: PathBuf,
) -> Result<RunFile, StorageError> {
    // Items in key order, then write order.
    let mut refs: Vec<SortRef<'_>> = Vec::new();
    for (bi, b) in batches.iter().enumerate() {
        for (ii, r) in b.items.iter().enumerate() {
            let k = b.bytes(r.key);
            refs.push((item_hash(k), k, bi as u32, ii as u32));
        }
    }
    refs.sort_unstable();
    // The last write of each key wins; number the winners.
    let mut ordinal: Vec<Vec<u32>> = batches
        .iter()
        .map(|b| vec![u32::MAX; b.items.len()])
        .collect();
    let mut winners: Vec<(u32, u32)> = Vec::with_capacity(refs.len());
    for (i, &(_, k, b, ii)) in refs.iter().enumerate() {
        if refs.get(i + 1).is_some_and(|next| next.1 == k) {
            continue;
        }
        ordinal[b as usize][ii as usize] = winners.len() as u32;
        winners.push((b, ii));
    }
    drop(refs);

    let file = File::create(&path).map_err(io_err)?;
    let mut run = RunFile {
        path,
        items: vec![Section::default(); parts],
        entries: vec![Section::default(); parts],
        item_count: winners.len() as u64,
        iids: common_iids(&batches),
    };
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let mut pos = 0u64;
    let mut next = 0usize;
    for (p, section) in run.items.iter_mut().enumerate() {
        section.start = pos;
        section.base = next as u64;
        while let Some(&(b, i)) = winners.get(next) {
            let batch = &batches[b as usize];
            let rec = &batch.items[i as usize];
            let k = batch.bytes(rec.key);
            if partition(item_hash(k), parts) != p {
                break;
            }
            pos += put_bytes(k, &mut w).map_err(io_err)?;
            pos += put_bytes(batch.bytes(rec.val), &mut w).map_err(io_err)?;
            pos += put_varint(rec.size, &mut w).map_err(io_err)?;
            next += 1;
        }
        section.len = pos - section.start;
    }

    // Entries of the winners, by partition, in key order.
    let mut buckets: Vec<Vec<SortRef<'_>>> = vec![Vec::new(); parts];
    for (bi, b) in batches.iter().enumerate() {
        for (ei, e) in b.entries.iter().enumerate() {
            if ordinal[bi][e.owner as usize] == u32::MAX {
                continue;
            }
            let k = b.bytes(e.key);
            buckets[partition(entry_hash(k), parts)].push((be_u64(k, 4), k, bi as u32, ei as u32));
        }
    }
    for (bucket, section) in buckets.iter_mut().zip(run.entries.iter_mut()) {
        bucket.sort_unstable();
        section.start = pos;
        for &(_, _, b, i) in bucket.iter() {
            let batch = &batches[b as usize];
            let e = &batch.entries[i as usize];
            pos += put_bytes(batch.bytes(e.key), &mut w).map_err(io_err)?;
            pos += put_bytes(batch.bytes(e.val), &mut w).map_err(io_err)?;
            pos += put_varint(e.size, &mut w).map_err(io_err)?;
            pos += put_varint(u64::from(ordinal[b as usize][e.owner as usize]), &mut w)
                .map_err(io_err)?;
        }
        section.len = pos - section.start;
        *bucket = Vec::new();
    }
    w.flush().map_err(io_err)?;
    Ok(run)
}

/// The index ids every batch computed entries for.
fn common_iids(batches: &[Batch]) -> Vec<u32> {
    let mut iter = batches.iter();
    let mut iids = iter.next().map(|b| b.iids.clone()).unwrap_or_default();
    for b in iter {
        iids.retain(|i| b.iids.contains(i));
    }
    iids
}

/// Streams the records of one section of a run file (parsed in place from
/// a read buffer: no copy per record).
pub(crate) struct SectionReader {
    file: File,
    /// Bytes of the section not read yet.
    left: u64,
    buf: Vec<u8>,
    /// Start of the unparsed bytes in `buf`.
    pos: usize,
    entries: bool,
    next_ordinal: u64,
    key: (usize, usize),
    val: (usize, usize),
    pub size: u64,
    /// Items: the record's ordinal. Entries: the owner's ordinal.
    pub ordinal: u64,
}

/// A varint at the start of `b`: value and length; `None` if incomplete.
fn varint_at(b: &[u8]) -> Result<Option<(u64, usize)>, StorageError> {
    crate::varint::decode(b).map_err(|_| corrupt())
}

/// One parsed record: its length, key and value ranges (relative), size
/// and owner.
type Parsed = (usize, (usize, usize), (usize, usize), u64, u64);

fn parse(b: &[u8], entries: bool) -> Result<Option<Parsed>, StorageError> {
    let mut at = 0usize;
    let field = |b: &[u8], at: &mut usize| -> Result<Option<u64>, StorageError> {
        Ok(varint_at(b.get(*at..).unwrap_or_default())?.map(|(v, n)| {
            *at += n;
            v
        }))
    };
    let len = |v: u64| usize::try_from(v).map_err(|_| corrupt());
    let Some(klen) = field(b, &mut at)? else {
        return Ok(None);
    };
    let key = (at, at + len(klen)?);
    at = key.1;
    if at > b.len() {
        return Ok(None);
    }
    let Some(vlen) = field(b, &mut at)? else {
        return Ok(None);
    };
    let val = (at, at + len(vlen)?);
    at = val.1;
    if at > b.len() {
        return Ok(None);
    }
    let Some(size) = field(b, &mut at)? else {
        return Ok(None);
    };
    let owner = if entries {
        match field(b, &mut at)? {
            Some(o) => o,
            None => return Ok(None),
        }
    } else {
        0
    };
    Ok(Some((at, key, val, size, owner)))
}

impl SectionReader {
    fn open(
        run: &RunFile,
        s: Section,
        entries: bool,
        buffer: usize,
    ) -> Result<SectionReader, StorageError> {
        let mut file = File::open(&run.path).map_err(io_err)?;
        file.seek(SeekFrom::Start(s.start)).map_err(io_err)?;
        Ok(SectionReader {
            file,
            left: s.len,
            buf: Vec::with_capacity(buffer),
            pos: 0,
            entries,
            next_ordinal: s.base,
            key: (0, 0),
            val: (0, 0),
            size: 0,
            ordinal: 0,
        })
    }

    /// The items of partition `p` of `run`.
    pub fn items(run: &RunFile, p: usize, buffer: usize) -> Result<SectionReader, StorageError> {
        let s = run.items.get(p).copied().unwrap_or_default();
        SectionReader::open(run, s, false, buffer)
    }

    /// The index entries of partition `p` of `run`.
    pub fn entries(run: &RunFile, p: usize, buffer: usize) -> Result<SectionReader, StorageError> {
        let s = run.entries.get(p).copied().unwrap_or_default();
        SectionReader::open(run, s, true, buffer)
    }

    /// The current record's key (after a successful `advance`).
    pub fn key(&self) -> &[u8] {
        self.buf.get(self.key.0..self.key.1).unwrap_or_default()
    }

    /// The current record's value.
    pub fn val(&self) -> &[u8] {
        self.buf.get(self.val.0..self.val.1).unwrap_or_default()
    }

    /// Moves the unparsed bytes to the front and reads more; `false` if the
    /// section has no more bytes.
    fn refill(&mut self) -> Result<bool, StorageError> {
        if self.left == 0 {
            return Ok(false);
        }
        self.buf.drain(..self.pos);
        self.pos = 0;
        if self.buf.len() == self.buf.capacity() {
            self.buf.reserve(self.buf.capacity().max(4096));
        }
        let old = self.buf.len();
        let room =
            (self.buf.capacity() - old).min(usize::try_from(self.left).unwrap_or(usize::MAX));
        self.buf.resize(old + room, 0);
        let n = self.file.read(&mut self.buf[old..]).map_err(io_err)?;
        self.buf.truncate(old + n);
        if n == 0 {
            return Err(corrupt());
        }
        self.left -= n as u64;
        Ok(true)
    }

    /// Reads the next record; `false` at the end of the section.
    pub fn advance(&mut self) -> Result<bool, StorageError> {
        loop {
            let rest = self.buf.get(self.pos..).unwrap_or_default();
            if let Some((used, key, val, size, owner)) = parse(rest, self.entries)? {
                self.key = (self.pos + key.0, self.pos + key.1);
                self.val = (self.pos + val.0, self.pos + val.1);
                self.pos += used;
                self.size = size;
                if self.entries {
                    self.ordinal = owner;
                } else {
                    self.ordinal = self.next_ordinal;
                    self.next_ordinal += 1;
                }
                return Ok(true);
            }
            if !self.refill()? {
                return if self.pos == self.buf.len() {
                    Ok(false)
                } else {
                    Err(corrupt())
                };
            }
        }
    }
}

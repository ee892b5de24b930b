//! Ferry's table engine: a durable, versioned (MVCC) item store on fjall.
//!
//! It knows tables, items, primary keys, secondary indexes and time; it knows
//! nothing about DynamoDB JSON, HTTP, expressions or S3. Every write gets a
//! strictly increasing commit timestamp (microseconds since the Unix epoch);
//! item versions are kept so that a table can be read *as of* a past time and
//! the *changes between two times* can be scanned (point-in-time recovery,
//! exports). See `docs/design/storage.md` for the on-disk format.
//!
//! The public API here is a contract other crates code against. Modules:
//! `engine` (open, catalog of tables, the watchdog of write failures),
//! `fresh` (completing a directory whose creation never finished), `table` (writes), `txn` (multi-table
//! transactions and the one commit path of item writes), `read` (query,
//! scan), `history` (as-of reads, change scans, pruning), `index` (secondary
//! indexes), `bulk` (imports and restores: sorted runs ingested straight
//! into SST tables), `stream` (DynamoDB Streams: retention and commit-ordered
//! change scans), `raw` (undecoded snapshot and change scans for exports,
//! and a cursor over the item encoding), `meta` (`MetaStore`), `keys` / `codec` (the
//! on-disk encodings), `store` (fjall handles, commit lock), `clock`,
//! `catalog` (with `migrate`, older catalog formats), `stats`, `varint` (the
//! one varint of every encoding).
// Input reaches this crate: a panic is never the answer to bad input.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod backfill;
mod bulk;
mod catalog;
mod clock;
mod codec;
mod engine;
mod fresh;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod history;
mod index;
mod keys;
mod meta;
mod migrate;
mod raw;
mod read;
mod stats;
mod store;
mod stream;
mod stream_log;
mod table;
mod txn;
mod varint;

#[cfg(test)]
mod tests;

use std::ops::Range;
use std::path::PathBuf;

use ferry_model::{AttributeValue, Item, PrimaryKey};

pub use bulk::BulkLoader;
pub use clock::Clock;
pub use engine::Engine;
pub use meta::{MetaEntries, MetaStore};
pub use migrate::upgrade_table_def_v1;
#[cfg(any(test, feature = "test-util"))]
pub use raw::encode_item_raw;
pub use raw::{RawChange, RawChangeIter, RawItem, RawItemIter, RawReader, RawTag};
pub use stream::{STREAM_GRACE_MICROS, STREAM_RETENTION_MICROS, StreamChange, StreamScan};
pub use table::{SharedDef, Table};
pub use txn::{MetaNote, get_many, transact, transact_noting};

/// Microseconds since the Unix epoch.
pub type Timestamp = i64;

/// Errors of the engine.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("table already exists: {0}")]
    TableExists(String),
    #[error("table not found: {0}")]
    TableNotFound(String),
    #[error("index not found: {0}")]
    IndexNotFound(String),
    /// A request the engine cannot serve (a key of the wrong type, a sort
    /// condition on a table without a sort key, a bad segment, ...). The
    /// server validates requests first; this is a safety net.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    #[error("storage engine failure")]
    Engine(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// The error of a conditional write: the caller's own error, or the engine's.
#[derive(Debug, thiserror::Error)]
pub enum WriteError<E> {
    #[error("write refused by caller")]
    Refused(E),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// How the engine is opened.
#[derive(Clone, Debug, Default)]
pub struct EngineConfig {
    /// Where the data lives; `None` = a fresh temporary directory removed on drop
    /// (`--in-memory`).
    pub path: Option<PathBuf>,
    /// fsync every commit (otherwise commits reach the OS before they are
    /// acknowledged, which survives a killed process but not a power cut).
    pub sync: bool,
}

/// What a conditional write decided to do.
#[derive(Clone, Debug, PartialEq)]
pub enum Write {
    Put(Item),
    Delete,
    /// A delete by the TTL service: the same as `Delete`, but the tombstone
    /// kept for history says so (DynamoDB Streams' `userIdentity`).
    Expire,
    /// Write nothing (no version is recorded).
    Nothing,
}

/// A condition on the sort key of a query.
#[derive(Clone, Debug, PartialEq)]
pub enum SortCondition {
    Eq(AttributeValue),
    Lt(AttributeValue),
    Le(AttributeValue),
    Gt(AttributeValue),
    Ge(AttributeValue),
    Between(AttributeValue, AttributeValue),
    /// S or B only.
    BeginsWith(AttributeValue),
}

/// A Query on the table or one of its indexes.
#[derive(Clone, Debug)]
pub struct QuerySpec {
    /// `None` = the base table.
    pub index: Option<String>,
    pub hash: AttributeValue,
    pub sort: Option<SortCondition>,
    pub forward: bool,
    /// DynamoDB's ExclusiveStartKey (table keys, plus index keys for an index).
    pub exclusive_start: Option<Item>,
}

/// A Scan of the table or one of its indexes, optionally one segment of it.
#[derive(Clone, Debug)]
pub struct ScanSpec {
    pub index: Option<String>,
    /// (segment, total_segments); segments are contiguous ranges of the key hash.
    pub segment: Option<(u32, u32)>,
    pub exclusive_start: Option<Item>,
}

/// One changed item between two times (incremental export).
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub key: PrimaryKey,
    /// The item as of just before `from` (None: absent).
    pub old: Option<Item>,
    /// The item as of just before `to` (None: absent or deleted).
    pub new: Option<Item>,
    /// Commit timestamp of the last write to this key in `[from, to)`.
    pub last_write: Timestamp,
}

/// Table statistics (DescribeTable's ItemCount and TableSizeBytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableStats {
    pub item_count: u64,
    pub size_bytes: u64,
}

/// The 64-bit hash space that orders items; partitions and scan segments are
/// contiguous ranges of it. `hash_ranges(n)` splits it into `n` equal ranges.
/// Hashes are below `u64::MAX`, so the ranges cover every item; `n == 0`
/// gives no range.
pub fn hash_ranges(n: u32) -> Vec<Range<u64>> {
    keys::split_hash_space(n)
}

/// The scan segment, of `total`, that holds the items whose partition key
/// `attr` has `value` (table or index key alike); `None` when the value is
/// not of the key's type or `total` is 0.
#[must_use]
pub fn scan_segment_of(
    attr: &ferry_model::KeyAttr,
    value: &AttributeValue,
    total: u32,
) -> Option<u32> {
    let mut encoded = Vec::with_capacity(32);
    keys::encode_scalar(attr, value, &mut encoded).ok()?;
    let hash = keys::hash_of(&encoded);
    let segment = keys::split_hash_space(total)
        .iter()
        .position(|r| r.contains(&hash))?;
    u32::try_from(segment).ok()
}

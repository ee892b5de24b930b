//! The durable catalog in the `sys` keyspace: table records (definition,
//! table id, index ids), the table-id counter, the clock's high-water mark,
//! per-table statistics and pending purges of deleted tables.
//!
//! ```text
//! sys keys : "c" name        -> TABLE_FORMAT (u8 = 2) | JSON TableRecord
//!            "n"             -> next table id, u32 BE
//!            "h"             -> clock high-water mark, i64 BE
//!            "s" tid u32 BE  -> statistics (see stats.rs)
//!            "d" tid u32 BE  -> (empty) the table's data is being purged
//!            "b" tid u32 BE  -> bulk load stamp, i64 BE: a bulk load is being
//!                               ingested (index entries and statistics may
//!                               be incomplete; rebuilt on open)
//! ```
//!
//! A table record's JSON is the serde form of [`TableRecord`] (with the
//! typed `TableDef`, settings included); older formats are read through
//! `migrate.rs`.

use ferry_model::{IndexDef, TableDef};
use serde::{Deserialize, Serialize};

use crate::StorageError;

/// The format byte of today's table records (format 1: `migrate.rs`).
pub(crate) const TABLE_FORMAT: u8 = 2;

pub(crate) const TABLE_PREFIX: u8 = b'c';
pub(crate) const NEXT_TID_KEY: &[u8] = b"n";
pub(crate) const CLOCK_HW_KEY: &[u8] = b"h";
pub(crate) const STATS_PREFIX: u8 = b's';
pub(crate) const PURGE_PREFIX: u8 = b'd';
pub(crate) const BULK_PREFIX: u8 = b'b';
/// `r<tid>`: the record of a deleted table whose stream history is kept.
pub(crate) const RETIRED_PREFIX: u8 = b'r';

/// One secondary index and its engine-internal id.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct IndexEntry {
    pub iid: u32,
    pub def: IndexDef,
    /// The index is being backfilled (`backfill.rs`): writers maintain it, but
    /// it may lack entries of items not written since it was added.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub backfilling: bool,
    /// While backfilling: where writers look up whether an entry they
    /// replace is there (set when the state is published, never stored).
    #[serde(skip)]
    pub probe: Option<Probe>,
}

/// The index keyspace, for the presence checks of writers to an index
/// being backfilled.
#[derive(Clone)]
pub(crate) struct Probe(pub fjall::Keyspace);

impl std::fmt::Debug for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Probe")
    }
}

/// What the catalog stores about a table.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct TableRecord {
    pub tid: u32,
    /// The definition without its indexes (those are in `indexes`).
    pub def: TableDef,
    /// In `def.indexes` order.
    pub indexes: Vec<IndexEntry>,
    pub next_iid: u32,
    /// The table may hold more than the newest version of some keys (PITR is
    /// or was on since the last full prune).
    pub history: bool,
    /// Versions are kept for a DynamoDB stream until this time (`i64::MAX`
    /// while a stream is enabled; disabling it keeps 24 more hours). Cleared
    /// by the pruner once passed. See `stream.rs`.
    #[serde(default)]
    pub stream_until: Option<crate::Timestamp>,
    /// Every commit from this time on has its entry in the change log
    /// (`stream_log.rs`); `None`: the table keeps no log.
    #[serde(default)]
    pub stream_log_from: Option<crate::Timestamp>,
    /// Set on a deleted table whose stream history is kept until then
    /// (`Engine::retired_tables`).
    #[serde(default)]
    pub retired_until: Option<crate::Timestamp>,
}

impl TableRecord {
    /// The definition as the API shows it (indexes included).
    pub fn full_def(&self) -> TableDef {
        let mut def = self.def.clone();
        def.indexes = self.indexes.iter().map(|i| i.def.clone()).collect();
        def
    }

    pub fn encode(&self) -> Result<Vec<u8>, StorageError> {
        let mut out = vec![TABLE_FORMAT];
        serde_json::to_writer(&mut out, self).map_err(|e| StorageError::Engine(Box::new(e)))?;
        Ok(out)
    }

    /// Decodes a record of any format; `true` with it when it was in an
    /// older one (and should be written again).
    pub fn decode(bytes: &[u8]) -> Result<(TableRecord, bool), StorageError> {
        match bytes.split_first() {
            Some((&TABLE_FORMAT, json)) => serde_json::from_slice(json)
                .map(|r| (r, false))
                .map_err(|e| StorageError::Corrupt(format!("table record: {e}"))),
            Some((&1, json)) => crate::migrate::table_record_v1(json).map(|r| (r, true)),
            Some((&v, _)) => Err(StorageError::Corrupt(format!(
                "table record: unknown format version {v}"
            ))),
            None => Err(StorageError::Corrupt("table record: empty".to_string())),
        }
    }
}

pub(crate) fn table_key(name: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + name.len());
    k.push(TABLE_PREFIX);
    k.extend_from_slice(name.as_bytes());
    k
}

pub(crate) fn tid_key(prefix: u8, tid: u32) -> [u8; 5] {
    let mut k = [prefix, 0, 0, 0, 0];
    k[1..].copy_from_slice(&tid.to_be_bytes());
    k
}

pub(crate) fn tid_of_key(key: &[u8]) -> Option<u32> {
    let raw: [u8; 4] = key.get(1..5)?.try_into().ok()?;
    Some(u32::from_be_bytes(raw))
}

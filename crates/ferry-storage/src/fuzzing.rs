//! The stored-bytes decoders, exposed for the fuzz targets in `fuzz/` (only
//! with the `fuzzing` feature): whatever bytes a data directory holds, each
//! gives an error, never a panic.

use ferry_model::{Item, TableDef};

use crate::StorageError;

/// A stored item version value (`None`: a tombstone).
pub fn decode_version(value: &[u8]) -> Result<Option<Item>, StorageError> {
    crate::codec::decode_version(value)
}

/// A stored index entry value.
pub fn decode_index_value(value: &[u8]) -> Result<Item, StorageError> {
    crate::codec::decode_index_value(value)
}

/// A stored catalog record (a table's definition).
pub fn decode_table_record(bytes: &[u8]) -> Result<TableDef, StorageError> {
    crate::catalog::TableRecord::decode(bytes).map(|(r, _)| r.full_def())
}

/// The item prefix and timestamp of a version key.
pub fn split_version_key(key: &[u8]) -> Result<(&[u8], crate::Timestamp), StorageError> {
    crate::keys::split_version_key(key)
}

/// `item` stored as a version value and read back: whatever the API
/// accepted must either be refused here or read back unchanged.
pub fn store_and_read(item: &Item) -> Result<Option<Item>, StorageError> {
    decode_version(&crate::codec::encode_put(item)?)
}

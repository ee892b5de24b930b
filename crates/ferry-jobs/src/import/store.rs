//! Durable import records in the engine's meta store.
//!
//! - `import.job`     `<import id>` → JSON [`ImportRecord`] (`"v": 2`; a
//!   version-1 record is upgraded when loaded and written again). Ids start
//!   with the 14-digit start time, so key order is start order.
//! - `import.objects` `<import id>` → `0x01` + JSON list of the pinned
//!   [`SourceObject`]s (written once listing is done; a resumed import reads
//!   the same objects at the same ETags).

use std::sync::Arc;

use ferry_storage::{Engine, StorageError};

use super::source::SourceObject;
use super::spec::{ImportRecord, RECORD_VERSION};

const NS_JOB: &str = "import.job";
const NS_OBJECTS: &str = "import.objects";
const OBJECTS_VERSION: u8 = 1;

fn corrupt(what: &str) -> StorageError {
    StorageError::Corrupt(format!("import {what}"))
}

/// Reads and writes import records.
#[derive(Clone)]
pub struct RecordStore {
    engine: Arc<Engine>,
}

impl RecordStore {
    pub fn new(engine: Arc<Engine>) -> RecordStore {
        RecordStore { engine }
    }

    pub fn put(&self, rec: &ImportRecord) -> Result<(), StorageError> {
        let bytes = serde_json::to_vec(rec).map_err(|_| corrupt("record cannot be encoded"))?;
        self.engine.meta().put(NS_JOB, rec.id.as_bytes(), &bytes)
    }

    pub fn delete(&self, id: &str) -> Result<(), StorageError> {
        self.engine.meta().delete(NS_JOB, id.as_bytes())?;
        self.engine.meta().delete(NS_OBJECTS, id.as_bytes())
    }

    /// Every record, in start order. Records of an unknown version are
    /// skipped with a warning (a newer Ferry wrote them: this one cannot
    /// read them, and must not change them); a record that cannot be read
    /// at all is corrupt, an error.
    pub fn load_all(&self) -> Result<Vec<ImportRecord>, StorageError> {
        let mut out = Vec::new();
        for (key, value) in self.engine.meta().scan(NS_JOB, b"", None)? {
            let unreadable = |e: &dyn std::fmt::Display| {
                StorageError::Corrupt(format!(
                    "import record {}: {e}",
                    String::from_utf8_lossy(&key)
                ))
            };
            let mut json: serde_json::Value =
                serde_json::from_slice(&value).map_err(|e| unreadable(&e))?;
            let v = json.get("v").and_then(serde_json::Value::as_u64);
            if v == Some(1) {
                if let Some(table) = json.get_mut("table") {
                    ferry_storage::upgrade_table_def_v1(table)?;
                }
                json["v"] = RECORD_VERSION.into();
            } else if v != Some(u64::from(RECORD_VERSION)) {
                tracing::warn!(key = %String::from_utf8_lossy(&key), ?v, "skipping import record of unknown version");
                continue;
            }
            let rec: ImportRecord = serde_json::from_value(json).map_err(|e| unreadable(&e))?;
            if v == Some(1) {
                self.put(&rec)?;
            }
            out.push(rec);
        }
        Ok(out)
    }

    pub fn put_objects(&self, id: &str, objects: &[SourceObject]) -> Result<(), StorageError> {
        let mut bytes = vec![OBJECTS_VERSION];
        serde_json::to_writer(&mut bytes, objects)
            .map_err(|_| corrupt("object list cannot be encoded"))?;
        self.engine.meta().put(NS_OBJECTS, id.as_bytes(), &bytes)
    }

    pub fn objects(&self, id: &str) -> Result<Option<Vec<SourceObject>>, StorageError> {
        let Some(bytes) = self.engine.meta().get(NS_OBJECTS, id.as_bytes())? else {
            return Ok(None);
        };
        match bytes.split_first() {
            Some((&OBJECTS_VERSION, rest)) => serde_json::from_slice(rest)
                .map(Some)
                .map_err(|_| corrupt("object list")),
            _ => Err(corrupt("object list version")),
        }
    }
}

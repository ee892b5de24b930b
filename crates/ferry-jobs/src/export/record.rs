//! The durable record of one export (what DescribeExport and ListExports
//! answer from), the ClientToken index, and their storage in the engine's
//! `MetaStore`.
//!
//! Namespaces: `export` (key = export id, which starts with the 14-digit
//! start time in milliseconds, so key order is start order) and
//! `export-token` (key = ClientToken). Values are JSON documents carrying a
//! `version` member; unknown versions are reported as corrupt, never guessed.

use ferry_storage::{MetaStore, StorageError, Timestamp};
use serde::{Deserialize, Serialize};

use super::spec::{ExportError, ExportFormat, ExportRequest, ExportType, Period};
use crate::ids::is_job_id;

const NS_EXPORTS: &str = "export";
const NS_TOKENS: &str = "export-token";
/// The encoding version of [`ExportRecord`] and [`TokenEntry`].
pub const RECORD_VERSION: u32 = 1;
/// How long a ClientToken identifies its export (AWS: 8 hours).
pub const TOKEN_TTL: Timestamp = 8 * 3600 * 1_000_000;
/// How long exports stay visible to DescribeExport/ListExports (AWS: 90 days).
pub const RECORD_TTL: Timestamp = 90 * 24 * 3600 * 1_000_000;

/// `ExportStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ExportStatus {
    #[serde(rename = "IN_PROGRESS")]
    InProgress,
    #[serde(rename = "COMPLETED")]
    Completed,
    #[serde(rename = "FAILED")]
    Failed,
}

impl ExportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportStatus::InProgress => "IN_PROGRESS",
            ExportStatus::Completed => "COMPLETED",
            ExportStatus::Failed => "FAILED",
        }
    }
}

/// Everything known about one export.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportRecord {
    pub version: u32,
    pub export_id: String,
    /// `<TableArn>/export/<exportId>`
    pub export_arn: String,
    pub table_arn: String,
    pub table_name: String,
    pub table_id: String,
    pub status: ExportStatus,
    pub start_time: Timestamp,
    pub end_time: Option<Timestamp>,
    /// The snapshot time of a full export (absent for incremental exports).
    pub export_time: Option<Timestamp>,
    /// The resolved period of an incremental export.
    pub period: Option<Period>,
    /// The request's ClientToken, or the one Ferry generated (AWS always
    /// answers with one).
    pub client_token: String,
    /// The request as sent (echoed fields, idempotency).
    pub request: ExportRequest,
    pub format: ExportFormat,
    pub export_type: ExportType,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub item_count: Option<u64>,
    pub billed_size_bytes: Option<u64>,
    /// ExportManifest: the key of `manifest-summary.json` once COMPLETED.
    pub manifest_key: Option<String>,
    /// `PitrSettings::enabled_micros` of the table when the export started:
    /// if PITR is turned off and on during the export, the history it reads
    /// may have been pruned, and the export fails instead of lying.
    pub pitr_epoch: Option<i64>,
}

impl ExportRecord {
    pub fn is_terminal(&self) -> bool {
        self.status != ExportStatus::InProgress
    }

    pub fn fail(&mut self, code: &str, message: &str, now: Timestamp) {
        self.status = ExportStatus::Failed;
        self.failure_code = Some(code.to_string());
        self.failure_message = Some(message.to_string());
        self.end_time = Some(now);
    }
}

/// The ClientToken index entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenEntry {
    pub version: u32,
    pub export_id: String,
    pub created: Timestamp,
}

fn decode<T: for<'de> Deserialize<'de>>(what: &str, bytes: &[u8]) -> Result<T, StorageError> {
    #[derive(Deserialize)]
    struct Version {
        version: u32,
    }
    let v: Version =
        serde_json::from_slice(bytes).map_err(|e| StorageError::Corrupt(format!("{what}: {e}")))?;
    if v.version != RECORD_VERSION {
        return Err(StorageError::Corrupt(format!(
            "{what}: unknown version {}",
            v.version
        )));
    }
    serde_json::from_slice(bytes).map_err(|e| StorageError::Corrupt(format!("{what}: {e}")))
}

/// A record's bytes; a record that cannot be encoded is not stored (an empty
/// value would read back as corrupt).
fn encode<T: Serialize>(what: &str, value: &T) -> Result<Vec<u8>, StorageError> {
    serde_json::to_vec(value).map_err(|e| StorageError::Corrupt(format!("{what}: {e}")))
}

/// Typed access to the export records in a `MetaStore`.
pub struct RecordStore<'a> {
    meta: &'a MetaStore,
}

impl<'a> RecordStore<'a> {
    pub fn new(meta: &'a MetaStore) -> RecordStore<'a> {
        RecordStore { meta }
    }

    pub fn put(&self, rec: &ExportRecord) -> Result<(), StorageError> {
        self.meta.put(
            NS_EXPORTS,
            rec.export_id.as_bytes(),
            &encode("export record", rec)?,
        )
    }

    pub fn get(&self, export_id: &str) -> Result<Option<ExportRecord>, StorageError> {
        match self.meta.get(NS_EXPORTS, export_id.as_bytes())? {
            Some(bytes) => Ok(Some(decode("export record", &bytes)?)),
            None => Ok(None),
        }
    }

    /// Every record, oldest first.
    pub fn all(&self) -> Result<Vec<ExportRecord>, StorageError> {
        self.meta
            .scan(NS_EXPORTS, b"", None)?
            .into_iter()
            .map(|(_, v)| decode("export record", &v))
            .collect()
    }

    pub fn token(&self, token: &str) -> Result<Option<TokenEntry>, StorageError> {
        match self.meta.get(NS_TOKENS, token.as_bytes())? {
            Some(bytes) => Ok(Some(decode("export token", &bytes)?)),
            None => Ok(None),
        }
    }

    pub fn put_token(&self, token: &str, entry: &TokenEntry) -> Result<(), StorageError> {
        self.meta
            .put(NS_TOKENS, token.as_bytes(), &encode("token entry", entry)?)
    }
}

/// A ListExports `NextToken`: the hex of the last export id of the page
/// (AWS's tokens are opaque hex strings too).
pub fn encode_next_token(export_id: &str) -> String {
    hex::encode(export_id)
}

/// The export id a NextToken stands for, or AWS's ValidationException.
pub fn decode_next_token(token: &str) -> Result<String, ExportError> {
    let invalid = || {
        ExportError::Validation(format!(
            "Invalid Request: Provided nextToken is invalid: {token}"
        ))
    };
    let bytes = hex::decode(token).map_err(|_| invalid())?;
    let id = String::from_utf8(bytes).map_err(|_| invalid())?;
    if !is_job_id(&id) {
        return Err(invalid());
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_tokens_round_trip_and_reject_garbage() {
        let id = "01693685827463-2d8752fd";
        assert_eq!(decode_next_token(&encode_next_token(id)).unwrap(), id);
        let bad = "0123456789abcdef".repeat(16);
        assert_eq!(
            decode_next_token(&bad).unwrap_err().to_string(),
            format!("Invalid Request: Provided nextToken is invalid: {bad}")
        );
        assert!(matches!(
            decode_next_token("zz"),
            Err(ExportError::Validation(_))
        ));
    }

    #[test]
    fn unknown_versions_are_corrupt() {
        let err =
            decode::<TokenEntry>("t", br#"{"version":9,"export_id":"x","created":1}"#).unwrap_err();
        assert_eq!(err.to_string(), "corrupt stored data: t: unknown version 9");
        let ok: TokenEntry = decode("t", br#"{"version":1,"export_id":"x","created":1}"#).unwrap();
        assert_eq!(ok.export_id, "x");
    }
}

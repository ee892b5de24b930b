//! The typed shape of an import: what the server asks for ([`ImportRequest`]),
//! the durable job record ([`ImportRecord`], versioned JSON in the meta
//! store), and the snapshot the server turns into an `ImportTableDescription`
//! ([`ImportView`]). No HTTP and no DynamoDB request JSON here: the
//! `TableCreationParameters` echo is an opaque JSON value the server owns.

use ferry_model::{ScalarType, TableDef};
use serde::{Deserialize, Serialize};

/// The version of [`ImportRecord`]'s stored form. Version 1 embedded the
/// table definition of catalog format 1 (`extra`); it is upgraded when read
/// (`RecordStore::load_all`).
pub const RECORD_VERSION: u32 = 2;

ferry_model::named_enum!(
    /// `InputFormat`.
    InputFormat {
        DynamoDbJson = "DYNAMODB_JSON",
        Ion = "ION",
        Csv = "CSV",
    }
);

pub use ferry_formats::Compression;

/// `InputFormatOptions.Csv`, exactly as given (absent members stay absent
/// so that DescribeImport echoes the request).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CsvOptions {
    /// One of `, ; : | \t` and space; absent means `,`.
    pub delimiter: Option<char>,
    /// Column names; absent means "the first line is the header".
    pub header_list: Option<Vec<String>>,
}

/// `InputFormatOptions` as given (`csv: None` with `given: true` is `{}`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FormatOptions {
    pub csv: Option<CsvOptions>,
}

/// `S3BucketSource`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct S3Source {
    pub bucket: String,
    /// `S3KeyPrefix`; a raw string prefix (absent = the whole bucket).
    pub key_prefix: Option<String>,
    /// `S3BucketOwner` (12 digits); DescribeImport reports the account id
    /// when the request did not give one (AWS: "defaults to the current
    /// user's account ID", and the user guide's examples show it filled in).
    pub bucket_owner: Option<String>,
}

/// A validated ImportTable request, as the server hands it over.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportRequest {
    /// The request's region and the account: ARNs are built from them.
    pub region: String,
    pub account_id: String,
    pub client_token: String,
    pub source: S3Source,
    pub format: InputFormat,
    /// `None` when absent (echoed as NONE).
    pub compression: Option<Compression>,
    /// `None` when absent.
    pub format_options: Option<FormatOptions>,
    /// The table to create (status and id are set by the job). The server
    /// builds it exactly as CreateTable would, `extra` included.
    pub table: TableDef,
    /// The `TableCreationParameters` to echo (opaque; owned by the server).
    pub table_creation_parameters: serde_json::Value,
    /// Ferry's extension (`FerryIntoExistingTable`, `ferry import
    /// --into-existing`): upsert into the existing table of that name, whose
    /// key schema must be `table`'s, instead of creating it.
    pub into_existing: bool,
}

impl ImportRequest {
    /// Whether `other` asks for the same import (ClientToken idempotency).
    pub fn same_parameters(&self, rec: &ImportRecord) -> bool {
        self.source.bucket == rec.source.bucket
            && self.source.key_prefix == rec.source.key_prefix
            && self
                .source
                .bucket_owner
                .as_ref()
                .is_none_or(|o| Some(o) == rec.source.bucket_owner.as_ref())
            && self.format == rec.format
            && self.compression.unwrap_or(Compression::None) == rec.compression
            && self.format_options == rec.format_options
            && self.table.name == rec.table_name
            && self.table_creation_parameters == rec.table_creation_parameters
            && self.into_existing == rec.into_existing
    }
}

/// `ImportStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ImportStatus {
    #[serde(rename = "IN_PROGRESS")]
    InProgress,
    #[serde(rename = "COMPLETED")]
    Completed,
    #[serde(rename = "CANCELLING")]
    Cancelling,
    #[serde(rename = "CANCELLED")]
    Cancelled,
    #[serde(rename = "FAILED")]
    Failed,
}

impl ImportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportStatus::InProgress => "IN_PROGRESS",
            ImportStatus::Completed => "COMPLETED",
            ImportStatus::Cancelling => "CANCELLING",
            ImportStatus::Cancelled => "CANCELLED",
            ImportStatus::Failed => "FAILED",
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            ImportStatus::Completed | ImportStatus::Cancelled | ImportStatus::Failed
        )
    }
}

/// Where a running import is (drives recovery after a restart).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    /// Accepted; the table may not exist yet.
    Accepted,
    /// Listing done, objects pinned, items being loaded.
    Loading,
    /// Everything is loaded and the counters are final; the table still has
    /// to become ACTIVE and the record terminal.
    Finalizing,
    /// Terminal.
    Done,
}

/// The counters DescribeImport reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Uncompressed bytes read (`ProcessedSizeBytes`).
    pub processed_bytes: u64,
    /// Items read, good or bad (`ProcessedItemCount`).
    pub processed_items: u64,
    /// Items written, duplicates included (`ImportedItemCount`).
    pub imported_items: u64,
    /// Bad items (`ErrorCount`).
    pub errors: u64,
}

/// Why an import failed (`FailureCode`, `FailureMessage`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub code: String,
    pub message: String,
}

/// The durable record of one import.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportRecord {
    pub v: u32,
    pub id: String,
    pub arn: String,
    pub region: String,
    pub account_id: String,
    pub table_name: String,
    pub table_arn: String,
    pub table_id: String,
    pub client_token: String,
    pub source: S3Source,
    pub format: InputFormat,
    pub compression: Compression,
    pub format_options: Option<FormatOptions>,
    pub table_creation_parameters: serde_json::Value,
    /// The table to create (id = `table_id`, status CREATING).
    pub table: TableDef,
    pub status: ImportStatus,
    pub phase: Phase,
    /// Milliseconds since the Unix epoch.
    pub start_millis: i64,
    pub end_millis: Option<i64>,
    pub counters: Counters,
    pub failure: Option<Failure>,
    /// How many times the job was (re)started.
    pub attempts: u32,
    /// Upserts into an existing table (`table` is its definition, which
    /// the import neither creates, resets, activates nor deletes).
    #[serde(default)]
    pub into_existing: bool,
}

impl ImportRecord {
    /// The CloudWatch log group ARN DescribeImport reports.
    pub fn log_group_arn(&self) -> String {
        format!(
            "arn:aws:logs:{}:{}:log-group:{}:*",
            self.region,
            self.account_id,
            crate::cwlogs::IMPORT_LOG_GROUP
        )
    }

    /// The error log stream: `<import-id>/error`.
    pub fn error_stream(&self) -> String {
        format!("{}/error", self.id)
    }

    /// The key attributes (table and GSI keys) with their types: CSV columns
    /// with these names get these types, every other column is a string.
    pub fn key_types(&self) -> std::collections::HashMap<String, ScalarType> {
        super::check::key_types(&self.table)
    }
}

/// What DescribeImport / ImportTable report: the record with live counters.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportView {
    pub record: ImportRecord,
    pub counters: Counters,
}

impl ImportView {
    /// `ProcessedSizeBytes` is absent until something was read (AWS leaves
    /// it out of a fresh import's description), and present once it ended.
    #[must_use]
    pub fn processed_size_bytes(&self) -> Option<u64> {
        (self.counters.processed_bytes > 0 || self.record.status.is_terminal())
            .then_some(self.counters.processed_bytes)
    }
}

//! Wire types: the JSON shapes of requests and responses (serde structs,
//! `PascalCase` like the API model), the DynamoDB JSON value codec, and the
//! request-body parser that turns serde failures into DynamoDB's
//! `SerializationException`.

pub mod batch;
pub mod items;
pub mod query;
pub mod tables;
pub mod value;

use serde::{Deserialize, Serialize};

use crate::errors::{ApiError, ErrorCode};

/// Parse a request body. An empty body or bad JSON syntax is a bare
/// `SerializationException` (as DynamoDB answers); a value of the wrong
/// shape carries DynamoDB's message.
pub fn parse<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, ApiError> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ApiError::bare(ErrorCode::SerializationException));
    }
    serde_json::from_slice(body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => {
            let text = e.to_string();
            let suffix = format!(" at line {} column {}", e.line(), e.column());
            let msg = text.strip_suffix(&suffix).unwrap_or(&text).to_string();
            ApiError::serialization(msg)
        }
        serde_json::error::Category::Io
        | serde_json::error::Category::Syntax
        | serde_json::error::Category::Eof => ApiError::bare(ErrorCode::SerializationException),
    })
}

/// Serialise a response body.
pub fn to_json<T: Serialize>(v: &T) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(v).map_err(|e| ApiError::internal(format!("response encoding failed: {e}")))
}

/// `ConsumedCapacity` of one table.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConsumedCapacity {
    pub table_name: String,
    pub capacity_units: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_capacity_units: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write_capacity_units: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<Capacity>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Capacity {
    pub capacity_units: f64,
}

/// Capacity accounting as DynamoDB reports it (`ReturnConsumedCapacity`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CapacityMode {
    None,
    Total,
    Indexes,
}

impl CapacityMode {
    pub fn parse(v: Option<&str>) -> CapacityMode {
        match v {
            Some("TOTAL") => CapacityMode::Total,
            Some("INDEXES") => CapacityMode::Indexes,
            _ => CapacityMode::None,
        }
    }

    /// Build the report for `units` read (`read` true) or written.
    pub fn report(self, table: &str, units: f64, read: bool) -> Option<ConsumedCapacity> {
        if self == CapacityMode::None {
            return None;
        }
        Some(ConsumedCapacity {
            table_name: table.to_string(),
            capacity_units: units,
            read_capacity_units: read.then_some(units),
            write_capacity_units: (!read).then_some(units),
            table: (self == CapacityMode::Indexes).then_some(Capacity {
                capacity_units: units,
            }),
        })
    }
}

pub const CAPACITY_VALUES: &[&str] = &["INDEXES", "TOTAL", "NONE"];

/// Read units for `bytes` read (4 KB units, halved when eventually consistent).
pub fn read_units(bytes: u64, consistent: bool) -> f64 {
    let units = bytes.div_ceil(4096).max(1) as f64;
    if consistent { units } else { units / 2.0 }
}

/// Write units for an item of `bytes` (1 KB units).
pub fn write_units(bytes: u64) -> f64 {
    bytes.div_ceil(1024).max(1) as f64
}

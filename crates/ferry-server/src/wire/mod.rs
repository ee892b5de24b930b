//! Wire types: the JSON shapes of requests and responses (serde structs,
//! `PascalCase` like the API model), the DynamoDB JSON value codec, and the
//! request-body parser that turns serde failures into DynamoDB's
//! `SerializationException`.

pub mod batch;
pub mod control;
pub mod items;
pub mod legacy;
pub mod partiql;
pub mod query;
pub mod tables;
pub mod transact;
pub mod value;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::errors::{ApiError, ErrorCode};

/// Parse a request body. An empty body or bad JSON syntax is a bare
/// `SerializationException` (as DynamoDB answers); a value of the wrong
/// shape carries DynamoDB's message. JSON nested deeper than the parser's
/// limit (128 levels: about 64 levels of attribute values, each `{"M":{…}}`
/// or `{"L":[…]}` taking two) is what DynamoDB calls too deep: its nesting
/// ValidationException, not a parse error.
pub fn parse<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, ApiError> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ApiError::bare(ErrorCode::SerializationException));
    }
    parse_json(body, || ApiError::validation(ferry_model::TOO_DEEP))
}

/// As [`parse`] for a service without items (CloudWatch Logs): JSON nested
/// past the parser's limit is a bare `SerializationException`, like any
/// body that does not parse (what Logs itself answers is not documented;
/// Ferry answers as for any unparseable body). Never recursion without a
/// bound: serde_json stops at 128 levels, and skips unknown members
/// without recursing.
pub fn parse_plain<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, ApiError> {
    parse_json(body, || ApiError::bare(ErrorCode::SerializationException))
}

fn parse_json<'a, T: Deserialize<'a>>(
    body: &'a [u8],
    too_deep: impl FnOnce() -> ApiError,
) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| match e.classify() {
        serde_json::error::Category::Syntax
            if e.to_string().starts_with("recursion limit exceeded") =>
        {
            too_deep()
        }
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

/// `ConsumedCapacity` of one table (see `capacity.rs` for how it is
/// counted).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_secondary_indexes: Option<BTreeMap<String, Capacity>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub global_secondary_indexes: Option<BTreeMap<String, Capacity>>,
}

/// DynamoDB's `Capacity` (one table or index).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Capacity {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_capacity_units: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write_capacity_units: Option<f64>,
    pub capacity_units: f64,
}

impl Capacity {
    pub fn units(capacity_units: f64) -> Capacity {
        Capacity {
            capacity_units,
            ..Default::default()
        }
    }
}

//! Ferry's data model: DynamoDB attribute values, numbers, items, key schemas and
//! table/index definitions, item size and validation — no I/O, no HTTP, no storage.
//!
//! Everything above this crate (expressions, storage, formats, the server) speaks
//! these types. The DynamoDB JSON wire form (`{"S":"x"}`) is implemented here with
//! serde so that the server and the import/export formats share one codec.
// Input reaches this crate: a panic is never the answer to bad input.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod number;
mod schema;
mod settings;
mod size;
mod validate;
mod value;

pub use number::{
    MALFORMED_NUMBER_MESSAGE, MAX_DIGITS, Number, NumberError, OVERFLOW_MESSAGE,
    TOO_MANY_DIGITS_MESSAGE, UNDERFLOW_MESSAGE,
};
pub use schema::{
    AttributeDefinition, IndexDef, IndexKind, KeyAttr, KeySchema, PitrSettings, Projection,
    ProjectionType, ScalarType, TableDef, TableStatus,
};
pub use settings::{
    BillingMode, OnDemandThroughput, SseSettings, StreamSettings, StreamViewType, TableClass,
    TableSettings, Tag, Throughput,
};
pub use size::{MAX_ITEM_SIZE, item_size, number_size, value_size};
pub use validate::{
    EMPTY_ATTRIBUTE_NAME, IndexKeyContext, MAX_ATTRIBUTE_NAME_SIZE, MAX_HASH_KEY_SIZE,
    MAX_NESTING_DEPTH, MAX_RANGE_KEY_SIZE, TOO_DEEP, ValidationError, fits_index, nesting_depth,
    validate_index_keys, validate_item, validate_key, validate_key_only, validate_value,
    validate_written_item,
};
pub use value::json;
pub use value::wire::{
    EMPTY_VALUE_MESSAGE, MULTIPLE_TYPES_MESSAGE, NULL_FALSE_MESSAGE, decode_base64,
};
pub use value::{AttributeValue, Item, PrimaryKey, serde_error_validation_message};

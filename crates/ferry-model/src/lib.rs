//! Ferry's data model: DynamoDB attribute values, numbers, items, key schemas and
//! table/index definitions, item size and validation — no I/O, no HTTP, no storage.
//!
//! Everything above this crate (expressions, storage, formats, the server) speaks
//! these types. The DynamoDB JSON wire form (`{"S":"x"}`) is implemented here with
//! serde so that the server and the import/export formats share one codec.

mod number;
mod schema;
mod value;

pub use number::{Number, NumberError};
pub use schema::{
    AttributeDefinition, IndexDef, IndexKind, KeyAttr, KeySchema, Projection, ProjectionType,
    ScalarType, TableDef,
};
pub use value::{AttributeValue, Item};

//! `AttributeValue`, the ten DynamoDB attribute types, `Item`, and `PrimaryKey`.
//!
//! The DynamoDB JSON wire form (`{"S":"x"}`) is in `value/wire.rs` (serde)
//! and `value/json.rs` (the direct writer).

use std::collections::BTreeMap;

use crate::{KeySchema, Number, ScalarType};

pub mod json;
#[cfg(test)]
mod tests;
pub(crate) mod wire;

pub use wire::serde_error_validation_message;

/// An item: attribute name to value. Ordered so output is deterministic.
pub type Item = BTreeMap<String, AttributeValue>;

/// One DynamoDB attribute value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttributeValue {
    S(String),
    N(Number),
    B(Vec<u8>),
    SS(Vec<String>),
    NS(Vec<Number>),
    BS(Vec<Vec<u8>>),
    M(Item),
    L(Vec<AttributeValue>),
    Null,
    Bool(bool),
}

impl AttributeValue {
    /// The DynamoDB type name, as in the wire form and in messages:
    /// `S`, `N`, `B`, `SS`, `NS`, `BS`, `M`, `L`, `NULL`, `BOOL`.
    pub fn type_name(&self) -> &'static str {
        match self {
            AttributeValue::S(_) => "S",
            AttributeValue::N(_) => "N",
            AttributeValue::B(_) => "B",
            AttributeValue::SS(_) => "SS",
            AttributeValue::NS(_) => "NS",
            AttributeValue::BS(_) => "BS",
            AttributeValue::M(_) => "M",
            AttributeValue::L(_) => "L",
            AttributeValue::Null => "NULL",
            AttributeValue::Bool(_) => "BOOL",
        }
    }

    /// The key type of an `S`, `N` or `B` value; `None` for the other types.
    #[must_use]
    pub fn scalar_type(&self) -> Option<ScalarType> {
        match self {
            AttributeValue::S(_) => Some(ScalarType::S),
            AttributeValue::N(_) => Some(ScalarType::N),
            AttributeValue::B(_) => Some(ScalarType::B),
            _ => None,
        }
    }
}

/// The primary key of an item (or of an index entry): partition value and
/// optional sort value. Both are S, N or B.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrimaryKey {
    pub hash: AttributeValue,
    pub range: Option<AttributeValue>,
}

impl PrimaryKey {
    /// The key as an item holding only the key attributes of `schema`
    /// (the sort key only when both the schema and the key have one).
    pub fn to_item(&self, schema: &KeySchema) -> Item {
        let mut item = Item::new();
        item.insert(schema.hash.name.clone(), self.hash.clone());
        if let (Some(attr), Some(value)) = (&schema.range, &self.range) {
            item.insert(attr.name.clone(), value.clone());
        }
        item
    }

    /// The key attributes of `schema` found in `item`, without any checks of
    /// type or emptiness (use `validate_key` for request input). `None` when
    /// a key attribute is missing.
    #[must_use]
    pub fn from_item(item: &Item, schema: &KeySchema) -> Option<PrimaryKey> {
        let hash = item.get(&schema.hash.name)?.clone();
        let range = match &schema.range {
            Some(attr) => Some(item.get(&attr.name)?.clone()),
            None => None,
        };
        Some(PrimaryKey { hash, range })
    }
}

//! DynamoDB's semantic checks of items, values and keys, with DynamoDB's own
//! ValidationException messages, word for word. Pure functions; the server
//! decides where each applies (and adds any prefix such as
//! `ExpressionAttributeValues contains invalid value: … for key :v`).
//!
//! Decoding-time errors (malformed numbers, `{"NULL": false}`, no or several
//! types) are raised by the wire codec instead (see `value/wire.rs`).

use std::collections::HashSet;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::size::{MAX_ITEM_SIZE, item_size};
use crate::{AttributeValue, IndexDef, Item, KeyAttr, KeySchema, PrimaryKey, TableDef};

#[cfg(test)]
mod tests;

/// A DynamoDB ValidationException; `message` is the exact text to send.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ValidationError {
    pub message: String,
}

impl ValidationError {
    pub fn new(message: impl Into<String>) -> ValidationError {
        ValidationError {
            message: message.into(),
        }
    }
}

/// Deepest nesting of documents: the attribute itself is level 1.
pub const MAX_NESTING_DEPTH: usize = 32;
/// Largest partition key value, in bytes.
pub const MAX_HASH_KEY_SIZE: usize = 2048;
/// Largest sort key value, in bytes.
pub const MAX_RANGE_KEY_SIZE: usize = 1024;
/// Longest attribute name (top-level or a map key), in bytes.
pub const MAX_ATTRIBUTE_NAME_SIZE: usize = 65_535;

/// DynamoDB's message for an attribute with an empty name.
pub const EMPTY_ATTRIBUTE_NAME: &str =
    "One or more parameter values were invalid: An attribute name cannot be empty";

const INVALID: &str = "One or more parameter values were invalid: ";
const NOT_VALID: &str = "One or more parameter values are not valid. ";
const ITEM_TOO_LARGE: &str = "Item size has exceeded the maximum allowed size";
/// DynamoDB's message for a value nested deeper than [`MAX_NESTING_DEPTH`].
pub const TOO_DEEP: &str = "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit";
const KEY_MISMATCH: &str = "The provided key element does not match the schema";

/// Check every attribute name (not empty, at most 64 KiB) and value (empty
/// sets, duplicate set members, nesting depth) of an item, then its size.
pub fn validate_item(item: &Item) -> Result<(), ValidationError> {
    validate_item_contents(item)?;
    if item_size(item) > MAX_ITEM_SIZE {
        return Err(ValidationError::new(ITEM_TOO_LARGE));
    }
    Ok(())
}

/// [`validate_item`] without the size check.
fn validate_item_contents(item: &Item) -> Result<(), ValidationError> {
    for (name, value) in item {
        check_attribute_name(name)?;
        validate_value(value)?;
        check_map_keys(value)?;
    }
    Ok(())
}

/// An attribute name: not empty, at most [`MAX_ATTRIBUTE_NAME_SIZE`] bytes.
/// (AWS's text for an over-long name is not known; this one is Ferry's,
/// see docs/limits.md.)
fn check_attribute_name(name: &str) -> Result<(), ValidationError> {
    if name.is_empty() {
        return Err(ValidationError::new(EMPTY_ATTRIBUTE_NAME));
    }
    if name.len() > MAX_ATTRIBUTE_NAME_SIZE {
        return Err(ValidationError::new(format!(
            "{INVALID}Size of an attribute name has exceeded the maximum size limit of {MAX_ATTRIBUTE_NAME_SIZE} bytes"
        )));
    }
    Ok(())
}

/// Every check DynamoDB applies to an item before it is stored, on every
/// write path: attribute names, values (sets, nesting depth), size, the
/// table key and the secondary-index keys (types, emptiness, sizes). Returns
/// the item's primary key.
pub fn validate_written_item(
    item: &Item,
    def: &TableDef,
    how: IndexKeyContext,
) -> Result<PrimaryKey, ValidationError> {
    match how {
        IndexKeyContext::Put => {
            validate_item(item)?;
            let key = validate_key(item, &def.key)?;
            validate_index_keys(item, &def.indexes, IndexKeyContext::Put)?;
            Ok(key)
        }
        IndexKeyContext::Update => {
            validate_item_contents(item)?;
            if item_size(item) > MAX_ITEM_SIZE {
                return Err(ValidationError::new(
                    "Item size to update has exceeded the maximum allowed size",
                ));
            }
            let key = validate_key(item, &def.key)?;
            validate_index_keys(item, &def.indexes, IndexKeyContext::Update)?;
            Ok(key)
        }
    }
}

/// Check one value, anywhere (an item attribute, an expression value):
/// empty sets, duplicate set members, nesting depth.
pub fn validate_value(value: &AttributeValue) -> Result<(), ValidationError> {
    check_sets(value)?;
    if nesting_depth(value) > MAX_NESTING_DEPTH {
        return Err(ValidationError::new(TOO_DEEP));
    }
    Ok(())
}

/// Nesting depth of a value: 1 for scalars and sets, 1 + the deepest member
/// for maps and lists.
pub fn nesting_depth(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::M(m) => 1 + m.values().map(nesting_depth).max().unwrap_or(0),
        AttributeValue::L(l) => 1 + l.iter().map(nesting_depth).max().unwrap_or(0),
        _ => 1,
    }
}

/// Map keys anywhere inside a value follow the attribute-name rules.
fn check_map_keys(value: &AttributeValue) -> Result<(), ValidationError> {
    match value {
        AttributeValue::M(m) => m.iter().try_for_each(|(name, v)| {
            check_attribute_name(name)?;
            check_map_keys(v)
        }),
        AttributeValue::L(l) => l.iter().try_for_each(check_map_keys),
        _ => Ok(()),
    }
}

fn has_duplicates<T: std::hash::Hash + Eq>(items: impl ExactSizeIterator<Item = T>) -> bool {
    let mut seen = HashSet::with_capacity(items.len());
    items.into_iter().any(|item| !seen.insert(item))
}

fn check_sets(value: &AttributeValue) -> Result<(), ValidationError> {
    match value {
        AttributeValue::SS(v) if v.is_empty() => Err(ValidationError::new(format!(
            "{INVALID}An string set  may not be empty"
        ))),
        AttributeValue::NS(v) if v.is_empty() => Err(ValidationError::new(format!(
            "{INVALID}An number set  may not be empty"
        ))),
        AttributeValue::BS(v) if v.is_empty() => Err(ValidationError::new(format!(
            "{INVALID}Binary sets should not be empty"
        ))),
        AttributeValue::SS(v) if has_duplicates(v.iter()) => Err(ValidationError::new(format!(
            "{INVALID}Input collection [{}] contains duplicates.",
            v.join(", ")
        ))),
        AttributeValue::NS(v) if has_duplicates(v.iter()) => {
            Err(ValidationError::new("Input collection contains duplicates"))
        }
        AttributeValue::BS(v) if has_duplicates(v.iter()) => {
            let members: Vec<String> = v.iter().map(|b| STANDARD.encode(b)).collect();
            Err(ValidationError::new(format!(
                "{INVALID}Input collection [{}]of type BS contains duplicates.",
                members.join(", ")
            )))
        }
        AttributeValue::M(m) => m.values().try_for_each(check_sets),
        AttributeValue::L(l) => l.iter().try_for_each(check_sets),
        _ => Ok(()),
    }
}

/// Which key a value is for: partition or sort key (their size limits differ).
#[derive(Clone, Copy, PartialEq, Eq)]
enum KeyRole {
    Hash,
    Range,
}

/// The key of a full item (PutItem, an imported item): every key attribute
/// present, of its declared type, not empty, within the size limits.
pub fn validate_key(item: &Item, schema: &KeySchema) -> Result<PrimaryKey, ValidationError> {
    let attr_of = |attr: &KeyAttr, role| -> Result<AttributeValue, ValidationError> {
        let value = item.get(&attr.name).ok_or_else(|| {
            ValidationError::new(format!(
                "{INVALID}Missing the key {} in the item",
                attr.name
            ))
        })?;
        if value.scalar_type() != Some(attr.ty) {
            return Err(ValidationError::new(format!(
                "{INVALID}Type mismatch for key {} expected: {} actual: {}",
                attr.name,
                attr.ty.as_str(),
                value.type_name()
            )));
        }
        check_key_content(value, &attr.name, role)?;
        Ok(value.clone())
    };
    let hash = attr_of(&schema.hash, KeyRole::Hash)?;
    let range = match &schema.range {
        Some(attr) => Some(attr_of(attr, KeyRole::Range)?),
        None => None,
    };
    Ok(PrimaryKey { hash, range })
}

/// A `Key` parameter (GetItem, DeleteItem, UpdateItem, BatchGetItem…): exactly
/// the key attributes, of their declared types ("The provided key element
/// does not match the schema" otherwise), not empty, within the size limits.
pub fn validate_key_only(key: &Item, schema: &KeySchema) -> Result<PrimaryKey, ValidationError> {
    let expected = 1 + usize::from(schema.range.is_some());
    let matches = |attr: &KeyAttr| {
        key.get(&attr.name)
            .is_some_and(|v| v.scalar_type() == Some(attr.ty))
    };
    if key.len() != expected || !matches(&schema.hash) || !schema.range.iter().all(matches) {
        return Err(ValidationError::new(KEY_MISMATCH));
    }
    validate_key(key, schema)
}

/// Emptiness and size of a key value already known to have the right type.
fn check_key_content(
    value: &AttributeValue,
    name: &str,
    role: KeyRole,
) -> Result<(), ValidationError> {
    let (len, kind) = match value {
        AttributeValue::S(s) => (s.len(), "string"),
        AttributeValue::B(b) => (b.len(), "binary"),
        _ => return Ok(()),
    };
    if len == 0 {
        return Err(ValidationError::new(format!(
            "{NOT_VALID}The AttributeValue for a key attribute cannot contain an empty {kind} value. Key: {name}"
        )));
    }
    if key_size_exceeded(value, role) {
        return Err(key_size_error(role));
    }
    Ok(())
}

/// How an item is about to be written: several messages (empty or too long
/// index keys, item size) differ between a written item and the result of an
/// update expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexKeyContext {
    /// PutItem, BatchWriteItem, TransactWriteItems Put, imports.
    Put,
    /// UpdateItem (the new image after the update expression).
    Update,
}

/// Check the secondary-index key attributes an item has (absent ones just
/// keep the item out of that index). Indexes are checked in name order, as
/// DynamoDB does; empty values first (DynamoDB finds those up front), then
/// type mismatches.
pub fn validate_index_keys(
    item: &Item,
    indexes: &[IndexDef],
    context: IndexKeyContext,
) -> Result<(), ValidationError> {
    let mut sorted: Vec<&IndexDef> = indexes.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let present = || {
        sorted.iter().flat_map(|index| {
            std::iter::once(&index.key.hash)
                .chain(index.key.range.as_ref())
                .filter_map(move |attr| item.get(&attr.name).map(|v| (*index, attr, v)))
        })
    };
    for (index, attr, value) in present() {
        let kind = match value {
            AttributeValue::S(s) if s.is_empty() && attr.ty == crate::ScalarType::S => "string",
            AttributeValue::B(b) if b.is_empty() && attr.ty == crate::ScalarType::B => "binary",
            _ => continue,
        };
        return Err(ValidationError::new(match context {
            IndexKeyContext::Put => format!(
                "{NOT_VALID}A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty {kind} value. IndexName: {}, IndexKey: {}",
                index.name, attr.name
            ),
            IndexKeyContext::Update => format!(
                "{NOT_VALID}The update expression attempted to update a secondary index key to a value that is not supported. The AttributeValue for a key attribute cannot contain an empty {kind} value."
            ),
        }));
    }
    for (index, attr, value) in present() {
        if value.scalar_type() != Some(attr.ty) {
            return Err(ValidationError::new(format!(
                "{INVALID}Type mismatch for Index Key {} Expected: {} Actual: {} IndexName: {}",
                attr.name,
                attr.ty.as_str(),
                value.type_name(),
                index.name
            )));
        }
    }
    for (index, attr, value) in present() {
        let role = if attr.name == index.key.hash.name {
            KeyRole::Hash
        } else {
            KeyRole::Range
        };
        if key_size_exceeded(value, role) {
            // AWS documents the update wording ("The update expression
            // attempted to update the secondary index key beyond allowed size
            // limits"); for a written item it answers the table key's texts.
            return Err(match context {
                IndexKeyContext::Put => key_size_error(role),
                IndexKeyContext::Update => ValidationError::new(format!(
                    "{INVALID}The update expression attempted to update the secondary index key beyond allowed size limits"
                )),
            });
        }
    }
    Ok(())
}

/// Whether the index-key values of `item` all fit an index entry: present,
/// of the declared type, not empty, within the key size limits. A GSI
/// backfill leaves out the items for which this is false, as DynamoDB does.
pub fn fits_index(item: &Item, index: &IndexDef) -> bool {
    let fits = |attr: &KeyAttr, role| {
        item.get(&attr.name).is_some_and(|v| {
            v.scalar_type() == Some(attr.ty) && !is_empty_key(v) && !key_size_exceeded(v, role)
        })
    };
    fits(&index.key.hash, KeyRole::Hash)
        && index
            .key
            .range
            .as_ref()
            .is_none_or(|r| fits(r, KeyRole::Range))
}

fn is_empty_key(value: &AttributeValue) -> bool {
    matches!(value, AttributeValue::S(s) if s.is_empty())
        || matches!(value, AttributeValue::B(b) if b.is_empty())
}

/// Whether a key value (S or B; numbers always fit) is over its size limit.
fn key_size_exceeded(value: &AttributeValue, role: KeyRole) -> bool {
    let len = match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::B(b) => b.len(),
        _ => return false,
    };
    len > match role {
        KeyRole::Hash => MAX_HASH_KEY_SIZE,
        KeyRole::Range => MAX_RANGE_KEY_SIZE,
    }
}

/// DynamoDB's texts for a key value over its size limit (sic: no space in
/// "limit of2048").
fn key_size_error(role: KeyRole) -> ValidationError {
    ValidationError::new(match role {
        KeyRole::Hash => format!(
            "{INVALID}Size of hashkey has exceeded the maximum size limit of{MAX_HASH_KEY_SIZE} bytes"
        ),
        KeyRole::Range => format!(
            "{INVALID}Aggregated size of all range keys has exceeded the size limit of {MAX_RANGE_KEY_SIZE} bytes"
        ),
    })
}

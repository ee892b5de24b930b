//! Keys and items against a table's schema: the `Key` parameter, a full
//! item's key and index keys, `ExclusiveStartKey`/`LastEvaluatedKey`, and
//! the index a request names — with DynamoDB's messages (the checks
//! themselves are `ferry_model`'s).

use ferry_model::{
    IndexDef, IndexKeyContext, IndexKind, Item, PrimaryKey, TableDef, validate_key_only,
    validate_written_item,
};

use crate::errors::ApiError;

fn v(e: ferry_model::ValidationError) -> ApiError {
    ApiError::validation(e.message)
}

/// A `Key` parameter: exactly the table's key attributes.
pub fn key_param(def: &TableDef, key: &Item) -> Result<PrimaryKey, ApiError> {
    validate_key_only(key, &def.key).map_err(v)
}

/// A whole item about to be written (PutItem, BatchWriteItem): names, values,
/// size, key and index keys (`ferry_model::validate_written_item`). Returns
/// its primary key.
pub fn check_put_item(def: &TableDef, item: &Item) -> Result<PrimaryKey, ApiError> {
    validate_written_item(item, def, IndexKeyContext::Put).map_err(v)
}

/// The item after an UpdateExpression: the same checks with UpdateItem's
/// messages.
pub fn check_updated_item(def: &TableDef, item: &Item) -> Result<(), ApiError> {
    validate_written_item(item, def, IndexKeyContext::Update)
        .map(drop)
        .map_err(v)
}

/// The index a Query or Scan names, with DynamoDB's message when absent.
pub fn find_index<'a>(def: &'a TableDef, name: &str) -> Result<&'a IndexDef, ApiError> {
    def.indexes.iter().find(|i| i.name == name).ok_or_else(|| {
        ApiError::validation(format!(
            "The table does not have the specified index: {name}"
        ))
    })
}

/// Fails as DynamoDB does when `index` is a GSI still being backfilled.
pub fn check_readable(
    table: &ferry_storage::Table,
    index: Option<&IndexDef>,
) -> Result<(), ApiError> {
    match index {
        Some(i) if table.backfilling().contains(&i.name) => Err(ApiError::validation(format!(
            "Cannot read from backfilling global secondary index: {}",
            i.name
        ))),
        _ => Ok(()),
    }
}

/// Names of the attributes that make up a LastEvaluatedKey: the table's key,
/// then the index's key attributes not already there.
pub fn page_key_names(def: &TableDef, index: Option<&IndexDef>) -> Vec<String> {
    let mut names = vec![def.key.hash.name.clone()];
    if let Some(r) = &def.key.range {
        names.push(r.name.clone());
    }
    if let Some(ix) = index {
        for a in std::iter::once(&ix.key.hash).chain(ix.key.range.iter()) {
            if !names.contains(&a.name) {
                names.push(a.name.clone());
            }
        }
    }
    names
}

/// The LastEvaluatedKey for `item`.
pub fn page_key(item: &Item, names: &[String]) -> Item {
    names
        .iter()
        .filter_map(|n| item.get(n).map(|v| (n.clone(), v.clone())))
        .collect()
}

/// Check an ExclusiveStartKey against the table (and index) schema.
pub fn check_start_key(
    def: &TableDef,
    index: Option<&IndexDef>,
    esk: &Item,
) -> Result<(), ApiError> {
    let names = page_key_names(def, index);
    let table_part: Item = names
        .iter()
        .take(1 + usize::from(def.key.range.is_some()))
        .filter_map(|n| esk.get(n).map(|v| (n.clone(), v.clone())))
        .collect();
    if esk.len() != names.len() || !names.iter().all(|n| esk.contains_key(n)) {
        return Err(ApiError::validation(match index {
            Some(_) => "The provided starting key is invalid".to_string(),
            None => "The provided starting key is invalid: The provided key element does not match the schema"
                .to_string(),
        }));
    }
    validate_key_only(&table_part, &def.key).map_err(|e| {
        ApiError::validation(format!(
            "The provided starting key is invalid: {}",
            e.message
        ))
    })?;
    if let Some(ix) = index {
        for a in std::iter::once(&ix.key.hash).chain(ix.key.range.iter()) {
            if esk.get(&a.name).and_then(|v| v.scalar_type()) != Some(a.ty) {
                return Err(ApiError::validation(
                    "The provided starting key is invalid: The provided key element does not match the schema",
                ));
            }
        }
    }
    Ok(())
}

/// The index's kind-specific reading rules for ConsistentRead.
pub fn check_consistent_read(index: Option<&IndexDef>, consistent: bool) -> Result<(), ApiError> {
    if consistent && index.is_some_and(|i| i.kind == IndexKind::Global) {
        return Err(ApiError::validation(
            "Consistent reads are not supported on global secondary indexes",
        ));
    }
    Ok(())
}

/// Expressions may not reach into a key attribute of the table or of an
/// index (`a.b`, `a[0]`): `nested` are the top-level names an expression
/// reads or writes through a nested path.
pub fn check_key_paths(def: &TableDef, nested: &[String]) -> Result<(), ApiError> {
    let scalar = |kind: &str, name: &str| {
        ApiError::validation(format!(
            "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: {kind}: {name}"
        ))
    };
    for a in std::iter::once(&def.key.hash).chain(def.key.range.iter()) {
        if nested.contains(&a.name) {
            return Err(scalar("Key", &a.name));
        }
    }
    for ix in &def.indexes {
        for a in std::iter::once(&ix.key.hash).chain(ix.key.range.iter()) {
            if nested.contains(&a.name) {
                return Err(scalar("IndexKey", &a.name));
            }
        }
    }
    Ok(())
}

/// A Query's FilterExpression or QueryFilter (`param`: "Filter Expression",
/// "QueryFilter") may not read the key attributes of the queried table or
/// index (the key condition does that); the first one in the filter is
/// named.
pub fn check_filter_keys(
    schema: &ferry_model::KeySchema,
    filter: &ferry_expr::Condition,
    param: &str,
) -> Result<(), ApiError> {
    let is_key =
        |n: &str| schema.hash.name == n || schema.range.as_ref().is_some_and(|r| r.name == n);
    match filter
        .paths()
        .into_iter()
        .filter_map(|p| p.top_level_name())
        .find(|n| is_key(n))
    {
        Some(name) => Err(ApiError::validation(format!(
            "{param} can only contain non-primary key attributes: Primary key attribute: {name}"
        ))),
        None => Ok(()),
    }
}

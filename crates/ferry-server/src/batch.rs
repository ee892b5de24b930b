//! BatchWriteItem (up to 25 puts and deletes, each table's share written in
//! one atomic batch at one timestamp) and BatchGetItem (up to 100 keys;
//! keys past the 16 MB response limit come back in `UnprocessedKeys`).

use std::collections::BTreeMap;
use std::sync::Arc;

use ferry_expr::Projection;
use ferry_model::{Item, PrimaryKey, item_size};
use ferry_storage::{Table, Write};

use crate::errors::ApiError;
use crate::items::write_error;
use crate::keys;
use crate::params::{ExprInputs, placeholders};
use crate::state::{AppState, blocking};
use crate::validation::{Checks, NAME_PATTERN, is_valid_name_chars};
use crate::wire::batch::{
    BatchGetItemInput, BatchGetItemOutput, BatchWriteItemInput, BatchWriteItemOutput, ItemList,
    UnprocessedKeysW,
};
use crate::wire::{CAPACITY_VALUES, CapacityMode, parse, read_units, write_units};

const MAX_WRITES: usize = 25;
const MAX_GETS: usize = 100;
const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;
const DUPLICATES: &str = "Provided list of item keys contains duplicates";

/// Table-name map keys and list-length constraints on `requestItems`.
fn check_request_map<V>(
    c: &mut Checks,
    map: Option<&BTreeMap<String, V>>,
    len: impl Fn(&V) -> usize,
    max: usize,
) {
    let Some(map) = map else {
        c.not_null(None::<&()>, "requestItems");
        return;
    };
    let shown = || format!("{{{}}}", map.keys().cloned().collect::<Vec<_>>().join(", "));
    if map.is_empty() {
        c.fail(
            Some("{}"),
            "requestItems",
            "Member must have length greater than or equal to 1",
        );
    }
    if map
        .keys()
        .any(|k| !is_valid_name_chars(k) || k.chars().count() < 3 || k.chars().count() > 255)
    {
        c.fail(
            Some(&shown()),
            "requestItems",
            &format!(
                "Map keys must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: {NAME_PATTERN}]"
            ),
        );
    }
    if map.values().any(|v| len(v) == 0 || len(v) > max) {
        c.fail(
            Some(&shown()),
            "requestItems",
            &format!(
                "Map value must satisfy constraint: [Member must have length less than or equal to {max}, Member must have length greater than or equal to 1]"
            ),
        );
    }
}

/// One table's share of a BatchWriteItem, validated.
struct TableWrites {
    name: String,
    table: Arc<Table>,
    keys: Vec<PrimaryKey>,
    writes: Vec<Write>,
    bytes: Vec<u64>,
}

/// Missing or mistyped keys in a batch write are reported as a key mismatch.
fn batch_key_error(e: ApiError) -> ApiError {
    let msg = e.message.as_deref().unwrap_or("");
    if msg.contains("Missing the key") || msg.contains("Type mismatch for key") {
        ApiError::validation("The provided key element does not match the schema")
    } else {
        e
    }
}

pub async fn batch_write_item(
    state: &AppState,
    body: &[u8],
) -> Result<BatchWriteItemOutput, ApiError> {
    let input: BatchWriteItemInput = parse(body)?;
    let mut c = Checks::new();
    check_request_map(&mut c, input.request_items.as_ref(), Vec::len, MAX_WRITES);
    c.one_of(
        input.return_consumed_capacity.as_deref(),
        "returnConsumedCapacity",
        CAPACITY_VALUES,
    );
    c.one_of(
        input.return_item_collection_metrics.as_deref(),
        "returnItemCollectionMetrics",
        &["SIZE", "NONE"],
    );
    c.finish()?;
    let request_items = input.request_items.unwrap_or_default();
    if request_items.values().map(Vec::len).sum::<usize>() > MAX_WRITES {
        return Err(ApiError::validation(
            "Too many items requested for the BatchWriteItem call",
        ));
    }
    for requests in request_items.values() {
        for r in requests {
            let problem = match (&r.put_request, &r.delete_request) {
                (Some(p), None) => p.item.as_ref().and_then(|i| i.problem.clone()),
                (None, Some(d)) => d.key.as_ref().and_then(|k| k.problem.clone()),
                _ => Some(
                    "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
                        .to_string(),
                ),
            };
            if let Some(p) = problem {
                return Err(ApiError::validation(p));
            }
        }
    }

    let mut plan: Vec<TableWrites> = Vec::new();
    for (name, requests) in request_items {
        let table = state.active_table(&name)?;
        let def = table.def();
        let mut tw = TableWrites {
            name,
            table,
            keys: Vec::new(),
            writes: Vec::new(),
            bytes: Vec::new(),
        };
        for r in requests {
            let (key, write, bytes) = match (r.put_request, r.delete_request) {
                (Some(p), _) => {
                    let item = p.item.map(|i| i.item).unwrap_or_default();
                    let key = keys::check_put_item(&def, &item).map_err(batch_key_error)?;
                    let bytes = item_size(&item) as u64;
                    (key, Write::Put(item), bytes)
                }
                (None, Some(d)) => {
                    let key = keys::key_param(&def, &d.key.map(|k| k.item).unwrap_or_default())?;
                    (key, Write::Delete, 0)
                }
                (None, None) => continue,
            };
            if tw.keys.contains(&key) {
                return Err(ApiError::validation(DUPLICATES));
            }
            tw.keys.push(key);
            tw.writes.push(write);
            tw.bytes.push(bytes);
        }
        plan.push(tw);
    }
    let capacity = CapacityMode::parse(input.return_consumed_capacity.as_deref());
    blocking(move || {
        let mut reports = Vec::new();
        for tw in plan {
            let writes = tw.writes;
            let (olds, _) = tw
                .table
                .write_many(&tw.keys, move |olds| {
                    Ok::<_, ApiError>(
                        writes
                            .into_iter()
                            .zip(olds)
                            .map(|(w, old)| match (w, old) {
                                (Write::Delete, None) => Write::Nothing,
                                (w, _) => w,
                            })
                            .collect(),
                    )
                })
                .map_err(write_error)?;
            let units: f64 = tw
                .bytes
                .iter()
                .zip(&olds)
                .map(|(b, old)| {
                    write_units((*b).max(old.as_ref().map_or(0, |o| item_size(o) as u64)))
                })
                .sum();
            reports.extend(capacity.report(&tw.name, units, false));
        }
        Ok(BatchWriteItemOutput {
            unprocessed_items: BTreeMap::new(),
            consumed_capacity: (capacity != CapacityMode::None).then_some(reports),
        })
    })
    .await
}

/// One table's share of a BatchGetItem, validated.
struct TableGets {
    name: String,
    table: Arc<Table>,
    keys: Vec<(PrimaryKey, Item)>,
    projection: Option<Projection>,
    consistent: bool,
    unprocessed: UnprocessedKeysW,
}

pub async fn batch_get_item(state: &AppState, body: &[u8]) -> Result<BatchGetItemOutput, ApiError> {
    let input: BatchGetItemInput = parse(body)?;
    let mut c = Checks::new();
    check_request_map(
        &mut c,
        input.request_items.as_ref(),
        |k| k.keys.as_ref().map_or(1, Vec::len),
        MAX_GETS,
    );
    c.one_of(
        input.return_consumed_capacity.as_deref(),
        "returnConsumedCapacity",
        CAPACITY_VALUES,
    );
    c.finish()?;
    let request_items = input.request_items.unwrap_or_default();
    let mut total = 0usize;
    let mut plan: Vec<TableGets> = Vec::new();
    for (name, ka) in request_items {
        let p = placeholders(&ExprInputs {
            exprs: &[("ProjectionExpression", ka.projection_expression.is_some())],
            legacy: &[("AttributesToGet", ka.attributes_to_get.is_some())],
            names: ka.expression_attribute_names.as_ref(),
            values: None,
        })?;
        let mut seen: Vec<&Item> = Vec::new();
        for k in ka.keys.iter().flatten() {
            if let Some(p) = &k.problem {
                return Err(ApiError::validation(p.clone()));
            }
            if seen.contains(&&k.item) {
                return Err(ApiError::validation(DUPLICATES));
            }
            seen.push(&k.item);
            total += 1;
            if total > MAX_GETS {
                return Err(ApiError::validation(
                    "Too many items requested for the BatchGetItem call",
                ));
            }
        }
        let projection = ka
            .projection_expression
            .as_deref()
            .map(|t| Projection::compile(t, &p))
            .transpose()?;
        p.check_all_used()?;
        drop(p);
        let table = state.active_table(&name)?;
        let def = table.def();
        let mut keys = Vec::new();
        for k in ka.keys.into_iter().flatten() {
            keys.push((keys::key_param(&def, &k.item)?, k.item));
        }
        plan.push(TableGets {
            name,
            table,
            keys,
            projection,
            consistent: ka.consistent_read.unwrap_or(false),
            unprocessed: UnprocessedKeysW {
                keys: ItemList::default(),
                projection_expression: ka.projection_expression,
                expression_attribute_names: ka.expression_attribute_names,
                consistent_read: ka.consistent_read,
            },
        });
    }
    let capacity = CapacityMode::parse(input.return_consumed_capacity.as_deref());
    blocking(move || {
        let mut out = BatchGetItemOutput::default();
        let mut reports = Vec::new();
        let mut bytes_out = 0usize;
        for mut tg in plan {
            let mut found = Vec::new();
            let mut units = 0.0;
            for (key, key_item) in tg.keys {
                if bytes_out >= MAX_RESPONSE_BYTES {
                    tg.unprocessed.keys.0.push(key_item);
                    continue;
                }
                let item = tg.table.get(&key, None)?;
                let size = item.as_ref().map_or(0, item_size);
                units += read_units(size as u64, tg.consistent);
                if let Some(item) = item {
                    bytes_out += size;
                    found.push(match &tg.projection {
                        Some(p) => p.apply(&item),
                        None => item,
                    });
                }
            }
            reports.extend(capacity.report(&tg.name, units, true));
            if !tg.unprocessed.keys.0.is_empty() {
                out.unprocessed_keys.insert(tg.name.clone(), tg.unprocessed);
            }
            out.responses.insert(tg.name, ItemList(found));
        }
        out.consumed_capacity = (capacity != CapacityMode::None).then_some(reports);
        Ok(out)
    })
    .await
}

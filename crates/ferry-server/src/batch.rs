//! BatchWriteItem (up to 25 puts and deletes, each table's share written in
//! one atomic batch at one timestamp) and BatchGetItem (up to 100 keys;
//! keys past the 16 MB response limit come back in `UnprocessedKeys`).

use std::collections::BTreeMap;
use std::sync::Arc;

use ferry_expr::Projection;
use ferry_model::{Item, PrimaryKey, TableDef, item_size};
use ferry_storage::{Table, Write};

use crate::batch_checks::{check_get_map, check_write_map};
use crate::capacity::{CAPACITY_VALUES, CapacityMode, Usage, read_units, write_usage};
use crate::errors::ApiError;
use crate::items::{collection_metrics, write_error};
use crate::keys;
use crate::legacy;
use crate::params::{ExprInputs, placeholders};
use crate::state::{AppState, blocking};
use crate::validation::Checks;
use crate::wire::batch::{
    BatchGetItemInput, BatchGetItemOutput, BatchWriteItemInput, BatchWriteItemOutput, ItemList,
    UnprocessedKeysW,
};
use crate::wire::parse;

const MAX_WRITES: usize = 25;
const MAX_GETS: usize = 100;
const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;
const DUPLICATES: &str = "Provided list of item keys contains duplicates";

/// One table's share of a BatchWriteItem, validated.
struct TableWrites {
    name: String,
    table: Arc<Table>,
    def: TableDef,
    keys: Vec<PrimaryKey>,
    writes: Vec<Write>,
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
    check_write_map(&mut c, input.request_items.as_ref(), MAX_WRITES);
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
            def: def.clone(),
        };
        for r in requests {
            let (key, write) = match (r.put_request, r.delete_request) {
                (Some(p), _) => {
                    let item = p.item.map(|i| i.item).unwrap_or_default();
                    let key = keys::check_put_item(&def, &item).map_err(batch_key_error)?;
                    (key, Write::Put(item))
                }
                (None, Some(d)) => {
                    let key = keys::key_param(&def, &d.key.map(|k| k.item).unwrap_or_default())?;
                    (key, Write::Delete)
                }
                (None, None) => continue,
            };
            if tw.keys.contains(&key) {
                return Err(ApiError::validation(DUPLICATES));
            }
            tw.keys.push(key);
            tw.writes.push(write);
        }
        plan.push(tw);
    }
    let capacity = CapacityMode::parse(input.return_consumed_capacity.as_deref());
    let metrics = input.return_item_collection_metrics.as_deref() == Some("SIZE");
    blocking(move || {
        let mut reports = Vec::new();
        let mut all_metrics = BTreeMap::new();
        for tw in plan {
            // The new items, kept only when capacity is reported.
            let news: Vec<Option<Item>> = tw
                .writes
                .iter()
                .map(|w| match w {
                    Write::Put(i) if capacity != CapacityMode::None => Some(i.clone()),
                    _ => None,
                })
                .collect();
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
            if capacity != CapacityMode::None {
                let mut usage = Usage::default();
                for (old, new) in olds.iter().zip(&news) {
                    usage.add(&write_usage(&tw.def, old.as_ref(), new.as_ref()));
                }
                reports.extend(capacity.report(&tw.name, &usage));
            }
            let m: Vec<_> = tw
                .keys
                .iter()
                .filter_map(|k| collection_metrics(&tw.def, k, metrics))
                .collect();
            if !m.is_empty() {
                all_metrics.insert(tw.name.clone(), m);
            }
        }
        Ok(BatchWriteItemOutput {
            unprocessed_items: BTreeMap::new(),
            consumed_capacity: (capacity != CapacityMode::None).then_some(reports),
            item_collection_metrics: metrics.then_some(all_metrics),
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
    check_get_map(&mut c, input.request_items.as_ref(), MAX_GETS);
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
        let mut c = Checks::new();
        legacy::check_attributes_to_get(
            &mut c,
            ka.attributes_to_get.as_ref(),
            &format!("requestItems.{name}.member.attributesToGet"),
        );
        c.finish()?;
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
        let projection = match ka.projection_expression.as_deref() {
            Some(t) => Some(Projection::compile(t, &p)?),
            None => legacy::attributes_projection(ka.attributes_to_get.as_ref())?,
        };
        p.check_all_used()?;
        drop(p);
        let table = state.active_table(&name)?;
        let def = table.def();
        if let Some(p) = &projection {
            keys::check_key_paths(&def, &p.nested_top_level_names())?;
        }
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
                attributes_to_get: ka.attributes_to_get,
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
            let mut usage = Usage::default();
            for (key, key_item) in tg.keys {
                if bytes_out >= MAX_RESPONSE_BYTES {
                    tg.unprocessed.keys.0.push(key_item);
                    continue;
                }
                let item = tg.table.get(&key, None)?;
                let size = item.as_ref().map_or(0, item_size);
                usage.table += read_units(size as u64, tg.consistent);
                if let Some(item) = item {
                    bytes_out += size;
                    found.push(match &tg.projection {
                        Some(p) => p.apply(&item),
                        None => item,
                    });
                }
            }
            reports.extend(capacity.report(&tg.name, &usage));
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

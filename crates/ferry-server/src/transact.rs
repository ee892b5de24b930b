//! TransactWriteItems and TransactGetItems.
//!
//! A write transaction is validated and its expressions compiled on the
//! reactor (a bad expression is a ValidationException for the whole
//! request); then, in one blocking task, its tables are resolved, its keys
//! checked (a bad key or item is a `ValidationError` cancellation reason),
//! and `ferry_storage::transact` locks every item, lets each action decide
//! against the current item (conditions, updates, with `items.rs`'s shared
//! per-item logic) and commits every table's changes at one timestamp — or
//! nothing, answering `TransactionCanceledException` with one reason per
//! action in request order. TransactGetItems reads every item from one
//! snapshot. Capacity: a transactional write or read costs twice the
//! non-transactional one (docs/design/transactions.md).

mod checks;
pub mod tokens;

use std::collections::BTreeMap;
use std::sync::Arc;

use ferry_expr::{Condition, Projection, Update};
use ferry_model::{Item, PrimaryKey, TableDef, item_size, value_size};
use ferry_storage::{Engine, Table, Write};

use crate::capacity::{CapacityMode, Usage, read_units, write_usage};
use crate::errors::{ApiError, ErrorCode};
use crate::items::{check_condition, check_update_targets, collection_metrics, updated_item};
use crate::keys;
use crate::params::{ExprInputs, placeholders};
use crate::state::{AppState, active_table, blocking};
use crate::validation::Checks;
use crate::wire::ConsumedCapacity;
use crate::wire::parse;
use crate::wire::transact::{
    ActionW, ItemResponse, TransactGetItemsInput, TransactGetItemsOutput, TransactWriteItemW,
    TransactWriteItemsInput, TransactWriteItemsOutput,
};
use crate::wire::value::item_to_json;

use tokens::{Claim, fingerprint};

/// DynamoDB's limit on a transaction's payload. DynamoDB measures the
/// request ("transaction payload"); Ferry counts the items, keys and
/// expression values it carries (item-size rules), which a request over
/// the limit always exceeds.
const MAX_PAYLOAD: usize = 4 * 1024 * 1024;
const DUPLICATE_ITEM: &str = "Transaction request cannot include multiple operations on one item";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    ConditionCheck,
    Put,
    Delete,
    Update,
}

/// One validated, compiled action (also built from PartiQL statements by
/// `partiql.rs`'s ExecuteTransaction).
pub(crate) struct Action {
    pub kind: Kind,
    pub table_name: String,
    /// The item (Put) or the key (the others).
    pub target: Item,
    pub condition: Option<Condition>,
    pub update: Option<Update>,
    pub old_on_failure: bool,
}

/// Why an action cancels the transaction (`None`: it would have passed).
enum Reason {
    None,
    ConditionalCheckFailed(Option<Item>),
    Validation(String),
}

impl Reason {
    fn code(&self) -> &'static str {
        match self {
            Reason::None => "None",
            Reason::ConditionalCheckFailed(_) => "ConditionalCheckFailed",
            Reason::Validation(_) => "ValidationError",
        }
    }

    fn to_json(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        m.insert("Code".into(), self.code().into());
        match self {
            Reason::None => {}
            Reason::ConditionalCheckFailed(item) => {
                if let Some(item) = item {
                    m.insert("Item".into(), item_to_json(item));
                }
                m.insert("Message".into(), "The conditional request failed".into());
            }
            Reason::Validation(msg) => {
                m.insert("Message".into(), msg.clone().into());
            }
        }
        serde_json::Value::Object(m)
    }
}

/// `TransactionCanceledException` with one reason per action.
fn canceled(reasons: &[Reason]) -> ApiError {
    let codes: Vec<&str> = reasons.iter().map(Reason::code).collect();
    ApiError::new(
        ErrorCode::TransactionCanceledException,
        format!(
            "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
            codes.join(", ")
        ),
    )
    .with_extra(
        "CancellationReasons",
        reasons.iter().map(Reason::to_json).collect(),
    )
}

/// The first action-level validation failure as a cancellation (the other
/// actions are reported `None`, as DynamoDB stops at the first).
fn validation_canceled(n: usize, at: usize, e: ApiError) -> ApiError {
    let reasons: Vec<Reason> = (0..n)
        .map(|i| match i == at {
            true => Reason::Validation(e.message.clone().unwrap_or_default()),
            false => Reason::None,
        })
        .collect();
    canceled(&reasons)
}

/// Compile one action's expressions (failures answer the whole request).
fn compile(kind: Kind, a: ActionW) -> Result<Action, ApiError> {
    let mut exprs = vec![("ConditionExpression", a.condition_expression.is_some())];
    if kind == Kind::Update {
        exprs.insert(0, ("UpdateExpression", a.update_expression.is_some()));
    }
    let p = placeholders(&ExprInputs {
        exprs: &exprs,
        legacy: &[],
        names: a.expression_attribute_names.as_ref(),
        values: a.expression_attribute_values.as_ref(),
    })?;
    let target = match kind {
        Kind::Put => a.item,
        _ => a.key,
    };
    if let Some(problem) = target.as_ref().and_then(|t| t.problem.clone()) {
        return Err(ApiError::validation(problem));
    }
    let update = a
        .update_expression
        .as_deref()
        .filter(|_| kind == Kind::Update)
        .map(|t| Update::compile(t, &p))
        .transpose()?;
    let condition = a
        .condition_expression
        .as_deref()
        .map(|t| Condition::compile(t, "ConditionExpression", &p))
        .transpose()?;
    p.check_all_used()?;
    drop(p);
    Ok(Action {
        kind,
        table_name: a.table_name.unwrap_or_default(),
        target: target.map(|t| t.item).unwrap_or_default(),
        condition,
        update,
        old_on_failure: a.return_values_on_condition_check_failure.as_deref() == Some("ALL_OLD"),
    })
}

/// The one action of a `TransactWriteItem` (exactly one must be set).
fn split(w: TransactWriteItemW) -> Result<(Kind, ActionW), ApiError> {
    let set = [
        w.condition_check.map(|a| (Kind::ConditionCheck, a)),
        w.put.map(|a| (Kind::Put, a)),
        w.delete.map(|a| (Kind::Delete, a)),
        w.update.map(|a| (Kind::Update, a)),
    ];
    let mut found = set.into_iter().flatten();
    match (found.next(), found.next()) {
        (Some(one), None) => Ok(one),
        // DynamoDB's wording is not documented; Ferry's own.
        _ => Err(ApiError::validation(
            "TransactItems can only contain one of Check, Put, Update or Delete",
        )),
    }
}

/// The payload size an action carries (item, key and expression values).
fn payload_size(a: &ActionW) -> usize {
    let values: usize = a.expression_attribute_values.as_ref().map_or(0, |v| {
        v.values
            .iter()
            .map(|(name, value)| name.len() + value_size(value))
            .sum()
    });
    let target = a
        .item
        .as_ref()
        .or(a.key.as_ref())
        .map_or(0, |t| item_size(&t.item));
    target + values
}

pub async fn transact_write_items(
    state: &AppState,
    body: &[u8],
) -> Result<TransactWriteItemsOutput, ApiError> {
    let input: TransactWriteItemsInput = parse(body)?;
    let mut c = Checks::new();
    checks::check_write_input(
        &mut c,
        input.transact_items.as_ref(),
        input.return_consumed_capacity.as_deref(),
        input.return_item_collection_metrics.as_deref(),
        input.client_request_token.as_deref(),
    );
    c.finish()?;
    let mut actions = Vec::new();
    let mut payload = 0usize;
    for w in input.transact_items.unwrap_or_default() {
        let (kind, a) = split(w)?;
        payload += payload_size(&a);
        actions.push(compile(kind, a)?);
    }
    if payload > MAX_PAYLOAD {
        // DynamoDB's exact wording is not documented; Ferry's own.
        return Err(ApiError::validation(
            "Transaction size cannot exceed 4 MB: the aggregate size of the items in the transaction is too large",
        ));
    }
    let capacity = CapacityMode::parse(input.return_consumed_capacity.as_deref());
    let metrics = input.return_item_collection_metrics.as_deref() == Some("SIZE");
    run_write_once(
        state,
        body,
        input.client_request_token,
        actions,
        capacity,
        metrics,
    )
    .await
}

/// Run a write transaction once per `ClientRequestToken` (the request
/// `body` is the token's fingerprint).
pub(crate) async fn run_write_once(
    state: &AppState,
    body: &[u8],
    token: Option<String>,
    actions: Vec<Action>,
    capacity: CapacityMode,
    metrics: bool,
) -> Result<TransactWriteItemsOutput, ApiError> {
    let engine = state.engine.clone();
    let Some(token) = token else {
        return blocking(move || run_write(&engine, actions, capacity, metrics)).await;
    };
    let tokens = state.tokens.clone();
    match tokens.claim(&token, fingerprint(body), engine.clock().now())? {
        Claim::Done(output) => Ok(output),
        Claim::Run => {
            blocking(move || {
                let result = run_write(&engine, actions, capacity, metrics);
                tokens.finish(&token, &result, engine.clock().now());
                result
            })
            .await
        }
    }
}

/// One table of a transaction: its handle and definition, resolved once.
struct Resolved {
    name: String,
    table: Arc<Table>,
    def: TableDef,
}

/// Resolve each action's table (a missing table answers the request).
fn resolve(engine: &Engine, names: &[&str]) -> Result<(Vec<Resolved>, Vec<usize>), ApiError> {
    let mut tables: Vec<Resolved> = Vec::new();
    let mut of = Vec::with_capacity(names.len());
    for name in names {
        let i = match tables.iter().position(|t| t.name == *name) {
            Some(i) => i,
            None => {
                let table = active_table(engine, name)?;
                let def = table.def();
                tables.push(Resolved {
                    name: name.to_string(),
                    table,
                    def,
                });
                tables.len() - 1
            }
        };
        of.push(i);
    }
    Ok((tables, of))
}

/// Refuse two actions on one item.
fn check_distinct(of: &[usize], keys: &[PrimaryKey]) -> Result<(), ApiError> {
    for i in 0..keys.len() {
        if (0..i).any(|j| of[j] == of[i] && keys[j] == keys[i]) {
            return Err(ApiError::validation(DUPLICATE_ITEM));
        }
    }
    Ok(())
}

/// The per-table `ConsumedCapacity` of a transaction, in the order the
/// tables first appear: `(usage, read units)` per table.
fn report(
    capacity: CapacityMode,
    tables: &[Resolved],
    usage: &[(Usage, f64)],
) -> Option<Vec<ConsumedCapacity>> {
    (capacity != CapacityMode::None).then(|| {
        tables
            .iter()
            .zip(usage)
            .filter_map(|(t, (u, reads))| {
                let mut all = u.clone();
                all.table += reads;
                let mut cc = capacity.report(&t.name, &all)?;
                if u.total() > 0.0 {
                    cc.write_capacity_units = Some(u.total());
                }
                if *reads > 0.0 {
                    cc.read_capacity_units = Some(*reads);
                }
                Some(cc)
            })
            .collect()
    })
}

/// Double every unit of a usage (a transactional write).
fn doubled(u: Usage) -> Usage {
    Usage {
        table: u.table * 2.0,
        local: u.local.into_iter().map(|(k, v)| (k, v * 2.0)).collect(),
        global: u.global.into_iter().map(|(k, v)| (k, v * 2.0)).collect(),
    }
}

fn run_write(
    engine: &Engine,
    actions: Vec<Action>,
    capacity: CapacityMode,
    metrics: bool,
) -> Result<TransactWriteItemsOutput, ApiError> {
    let names: Vec<&str> = actions.iter().map(|a| a.table_name.as_str()).collect();
    let (tables, of) = resolve(engine, &names)?;
    let mut keys = Vec::with_capacity(actions.len());
    for (i, a) in actions.iter().enumerate() {
        let def = &tables[of[i]].def;
        let nested = a
            .condition
            .iter()
            .map(|c| c.nested_top_level_names())
            .chain(a.update.iter().map(|u| u.nested_top_level_names()))
            .flatten()
            .collect::<Vec<_>>();
        keys::check_key_paths(def, &nested)?;
        if let Some(u) = &a.update {
            check_update_targets(def, &u.top_level_targets())?;
        }
        let key = match a.kind {
            Kind::Put => keys::check_put_item(def, &a.target),
            _ => keys::key_param(def, &a.target),
        };
        match key {
            Ok(k) => keys.push(k),
            Err(e) => return Err(validation_canceled(actions.len(), i, e)),
        }
    }
    check_distinct(&of, &keys)?;

    let targets: Vec<(&Table, &PrimaryKey)> = of
        .iter()
        .zip(&keys)
        .map(|(&t, k)| (&*tables[t].table, k))
        .collect();
    let mut news: Vec<Option<Item>> = Vec::new();
    let (olds, _) = ferry_storage::transact(&targets, |olds| {
        let mut reasons = Vec::with_capacity(actions.len());
        let mut writes = Vec::with_capacity(actions.len());
        for (i, (a, old)) in actions.iter().zip(olds).enumerate() {
            let def = &tables[of[i]].def;
            let decided = check_condition(a.condition.as_ref(), old.as_ref(), a.old_on_failure)
                .map_err(|e| match e.code {
                    ErrorCode::ConditionalCheckFailedException => {
                        Reason::ConditionalCheckFailed(old.clone().filter(|_| a.old_on_failure))
                    }
                    _ => Reason::Validation(e.message.unwrap_or_default()),
                })
                .and_then(|()| match a.kind {
                    Kind::ConditionCheck => Ok(Write::Nothing),
                    Kind::Put => Ok(Write::Put(a.target.clone())),
                    Kind::Delete if old.is_some() => Ok(Write::Delete),
                    Kind::Delete => Ok(Write::Nothing),
                    Kind::Update => {
                        match updated_item(def, &keys[i], a.update.as_ref(), old.as_ref()) {
                            Ok(Some(item)) => Ok(Write::Put(item)),
                            Ok(None) => Ok(Write::Nothing),
                            Err(e) => Err(Reason::Validation(e.message.unwrap_or_default())),
                        }
                    }
                });
            match decided {
                Ok(w) => {
                    reasons.push(Reason::None);
                    writes.push(w);
                }
                Err(r) => reasons.push(r),
            }
        }
        if reasons.iter().any(|r| !matches!(r, Reason::None)) {
            return Err(canceled(&reasons));
        }
        news = writes
            .iter()
            .zip(olds)
            .map(|(w, old)| match w {
                Write::Put(item) => Some(item.clone()),
                Write::Delete | Write::Expire => None,
                Write::Nothing => old.clone(),
            })
            .collect();
        Ok(writes)
    })
    .map_err(crate::items::write_error)?;

    let mut usage: Vec<(Usage, f64)> = tables.iter().map(|_| Default::default()).collect();
    let mut collections: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for (i, a) in actions.iter().enumerate() {
        let t = &tables[of[i]];
        if a.kind == Kind::ConditionCheck {
            let size = olds[i].as_ref().map_or(0, item_size) as u64;
            usage[of[i]].1 += 2.0 * read_units(size, true);
            continue;
        }
        let new = news.get(i).and_then(Option::as_ref);
        usage[of[i]]
            .0
            .add(&doubled(write_usage(&t.def, olds[i].as_ref(), new)));
        if let Some(m) = collection_metrics(&t.def, &keys[i], metrics) {
            collections.entry(t.name.clone()).or_default().push(m);
        }
    }
    Ok(TransactWriteItemsOutput {
        consumed_capacity: report(capacity, &tables, &usage),
        item_collection_metrics: metrics.then_some(collections),
    })
}

pub async fn transact_get_items(
    state: &AppState,
    body: &[u8],
) -> Result<TransactGetItemsOutput, ApiError> {
    let input: TransactGetItemsInput = parse(body)?;
    let mut c = Checks::new();
    checks::check_get_input(
        &mut c,
        input.transact_items.as_ref(),
        input.return_consumed_capacity.as_deref(),
    );
    c.finish()?;
    let mut gets: Vec<(String, Item, Option<Projection>)> = Vec::new();
    for g in input.transact_items.unwrap_or_default() {
        let a = g.get.unwrap_or_default();
        let p = placeholders(&ExprInputs {
            exprs: &[("ProjectionExpression", a.projection_expression.is_some())],
            legacy: &[],
            names: a.expression_attribute_names.as_ref(),
            values: None,
        })?;
        if let Some(problem) = a.key.as_ref().and_then(|k| k.problem.clone()) {
            return Err(ApiError::validation(problem));
        }
        let projection = a
            .projection_expression
            .as_deref()
            .map(|t| Projection::compile(t, &p))
            .transpose()?;
        p.check_all_used()?;
        drop(p);
        gets.push((
            a.table_name.unwrap_or_default(),
            a.key.map(|k| k.item).unwrap_or_default(),
            projection,
        ));
    }
    let capacity = CapacityMode::parse(input.return_consumed_capacity.as_deref());
    let engine = state.engine.clone();
    blocking(move || {
        let targets: Vec<(&str, &Item, Vec<String>)> = gets
            .iter()
            .map(|(t, k, p)| {
                let nested = p.iter().flat_map(|p| p.nested_top_level_names()).collect();
                (t.as_str(), k, nested)
            })
            .collect();
        let (items, consumed_capacity) = run_get(&engine, &targets, capacity)?;
        let responses = items
            .into_iter()
            .zip(&gets)
            .map(|(item, (_, _, projection))| ItemResponse {
                item: match (item, projection) {
                    (Some(it), Some(p)) => Some(p.apply(&it)),
                    (it, _) => it,
                },
            })
            .collect();
        Ok(TransactGetItemsOutput {
            responses,
            consumed_capacity,
        })
    })
    .await
}

/// The items a read transaction found, in request order, and its capacity.
pub(crate) type Reads = (Vec<Option<Item>>, Option<Vec<ConsumedCapacity>>);

/// Read every `(table, key, nested top-level names read)` from one
/// snapshot (shared with PartiQL's read transactions).
pub(crate) fn run_get(
    engine: &Engine,
    gets: &[(&str, &Item, Vec<String>)],
    capacity: CapacityMode,
) -> Result<Reads, ApiError> {
    let names: Vec<&str> = gets.iter().map(|g| g.0).collect();
    let (tables, of) = resolve(engine, &names)?;
    let mut keys = Vec::with_capacity(gets.len());
    for (i, (_, key, nested)) in gets.iter().enumerate() {
        let def = &tables[of[i]].def;
        keys::check_key_paths(def, nested)?;
        match keys::key_param(def, key) {
            Ok(k) => keys.push(k),
            Err(e) => return Err(validation_canceled(gets.len(), i, e)),
        }
    }
    check_distinct(&of, &keys)?;
    let targets: Vec<(&Table, &PrimaryKey)> = of
        .iter()
        .zip(&keys)
        .map(|(&t, k)| (&*tables[t].table, k))
        .collect();
    let items = ferry_storage::get_many(&targets)?;
    let mut usage: Vec<(Usage, f64)> = tables.iter().map(|_| Default::default()).collect();
    for (i, item) in items.iter().enumerate() {
        let size = item.as_ref().map_or(0, item_size) as u64;
        usage[of[i]].1 += 2.0 * read_units(size, true);
    }
    Ok((items, report(capacity, &tables, &usage)))
}

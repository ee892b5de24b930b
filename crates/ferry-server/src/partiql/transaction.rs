//! ExecuteTransaction: up to 100 PartiQL statements, all reads or all
//! writes, run as one TransactGetItems or TransactWriteItems on
//! `transact.rs`'s commit path (all-or-nothing, `ClientRequestToken`,
//! `TransactionCanceledException` with one reason per statement).
//!
//! Writes become transaction actions: INSERT a Put whose condition is that
//! the key does not exist yet (a duplicate is a `ConditionalCheckFailed`
//! reason), UPDATE an Update, DELETE a Delete, `EXISTS(SELECT …)` a
//! ConditionCheck. Reads must name the whole primary key of a table.

use ferry_expr::SortKeyCondition;
use ferry_partiql::{Plan, Statement};

use super::{check_statement_list, parameters, prepare};
use crate::capacity::{CAPACITY_VALUES, CapacityMode};
use crate::errors::ApiError;
use crate::state::{AppState, blocking};
use crate::transact::{Action, Kind, run_get, run_write_once};
use crate::validation::Checks;
use crate::wire::parse;
use crate::wire::partiql::{ExecuteTransactionInput, ExecuteTransactionOutput, ItemResponse};

/// ExecuteTransaction takes at most this many statements.
const MAX_STATEMENTS: usize = 100;

/// DynamoDB's prefix for a statement a transaction refuses.
fn in_statement(i: usize, e: ApiError) -> ApiError {
    match e.code {
        crate::errors::ErrorCode::ValidationException => ApiError::validation(format!(
            "Validation failed in TransactStatements[{i}]: {}",
            e.message.unwrap_or_default()
        )),
        _ => e,
    }
}

pub async fn execute_transaction(
    state: &AppState,
    body: &[u8],
) -> Result<ExecuteTransactionOutput, ApiError> {
    let input: ExecuteTransactionInput = parse(body)?;
    let mut c = Checks::new();
    c.not_null(input.transact_statements.as_ref(), "transactStatements");
    if let Some(list) = &input.transact_statements {
        check_statement_list(&mut c, list, "transactStatements", MAX_STATEMENTS, |s| {
            (
                s.statement.as_deref(),
                s.parameters.as_ref(),
                s.return_values_on_condition_check_failure.as_deref(),
            )
        });
    }
    if let Some(t) = input.client_request_token.as_deref()
        && (t.is_empty() || t.len() > 36)
    {
        c.fail(
            Some(t),
            "clientRequestToken",
            "Member must have length less than or equal to 36",
        );
    }
    c.one_of(
        input.return_consumed_capacity.as_deref(),
        "returnConsumedCapacity",
        CAPACITY_VALUES,
    );
    c.finish()?;
    let capacity = CapacityMode::parse(input.return_consumed_capacity.as_deref());
    let mut prepared = Vec::new();
    for (i, s) in input
        .transact_statements
        .unwrap_or_default()
        .into_iter()
        .enumerate()
    {
        let params = parameters(s.parameters).map_err(|e| in_statement(i, e))?;
        let text = s.statement.unwrap_or_default();
        let stmt = prepare(&text, &params).map_err(|e| in_statement(i, e))?;
        if stmt.has_returning() {
            return Err(in_statement(
                i,
                ApiError::validation("RETURNING clause is not supported in ExecuteTransaction."),
            ));
        }
        let old_on_failure =
            s.return_values_on_condition_check_failure.as_deref() == Some("ALL_OLD");
        prepared.push((stmt, params, old_on_failure));
    }
    let reads = prepared.iter().filter(|(s, _, _)| s.is_read()).count();
    if reads > 0 && reads < prepared.len() {
        return Err(ApiError::validation(
            "ExecuteTransaction API does not support both read and write operations in the same request.",
        ));
    }
    if reads > 0 {
        return read(state, prepared, capacity).await;
    }
    let mut actions = Vec::new();
    for (i, (stmt, params, old_on_failure)) in prepared.into_iter().enumerate() {
        let table = state.active_table(stmt.table())?;
        let def = table.def();
        let plan =
            ferry_partiql::plan(&stmt, &def.key, &params).map_err(|e| in_statement(i, e.into()))?;
        let (kind, target, condition, update) = match plan {
            Plan::Insert(p) => (Kind::Put, p.item, p.absent, None),
            Plan::Update(p) => (Kind::Update, p.key, p.condition, Some(p.update)),
            Plan::Delete(p) => (Kind::Delete, p.key, p.condition, None),
            Plan::Check(p) => (Kind::ConditionCheck, p.key, p.condition, None),
            // Reads were answered above.
            Plan::Select(_) => continue,
        };
        actions.push(Action {
            kind,
            table_name: def.name.clone(),
            target,
            condition,
            update,
            old_on_failure,
        });
    }
    let out = run_write_once(
        state,
        body,
        input.client_request_token,
        actions,
        capacity,
        false,
    )
    .await?;
    Ok(ExecuteTransactionOutput {
        responses: None,
        consumed_capacity: out.consumed_capacity,
    })
}

/// A read transaction: one item per statement from one snapshot (`{}` for
/// a key with no item, or one the rest of the WHERE does not match).
async fn read(
    state: &AppState,
    prepared: Vec<(Statement, Vec<ferry_model::AttributeValue>, bool)>,
    capacity: CapacityMode,
) -> Result<ExecuteTransactionOutput, ApiError> {
    let mut gets = Vec::new();
    for (i, (stmt, params, _)) in prepared.iter().enumerate() {
        let Statement::Select(s) = stmt else { continue };
        if s.source.index.is_some() {
            return Err(in_statement(
                i,
                ApiError::validation("Reads on indices are not supported within transactions."),
            ));
        }
        let table = state.active_table(stmt.table())?;
        let def = table.def();
        let Plan::Select(p) =
            ferry_partiql::plan(stmt, &def.key, params).map_err(|e| in_statement(i, e.into()))?
        else {
            continue;
        };
        let key = match &p.key {
            Some(k) => {
                let mut key =
                    ferry_model::Item::from([(def.key.hash.name.clone(), k.hash.clone())]);
                match (&def.key.range, &k.sort) {
                    (None, _) => Some(key),
                    (Some(r), Some(SortKeyCondition::Eq(v))) => {
                        key.insert(r.name.clone(), v.clone());
                        Some(key)
                    }
                    (Some(_), _) => None,
                }
            }
            None => None,
        };
        let Some(key) = key else {
            return Err(in_statement(
                i,
                ApiError::validation(
                    "Select statements within ExecuteTransaction must specify the primary key in the where clause.",
                ),
            ));
        };
        gets.push((def.name.clone(), key, p));
    }
    let engine = state.engine.clone();
    blocking(move || {
        let targets: Vec<(&str, &ferry_model::Item, Vec<String>)> = gets
            .iter()
            .map(|(t, k, p)| {
                let nested = p
                    .filter
                    .iter()
                    .flat_map(|f| f.nested_top_level_names())
                    .collect();
                (t.as_str(), k, nested)
            })
            .collect();
        let (items, consumed_capacity) = run_get(&engine, &targets, capacity)?;
        let mut responses = Vec::with_capacity(items.len());
        for (item, (_, _, p)) in items.into_iter().zip(&gets) {
            let item = match item {
                Some(it) if p.filter.as_ref().map_or(Ok(true), |f| f.eval(Some(&it)))? => Some(it),
                _ => None,
            };
            responses.push(ItemResponse {
                item: item.map(|it| super::project(&it, p.projection.as_deref())),
            });
        }
        Ok(ExecuteTransactionOutput {
            responses: Some(responses),
            consumed_capacity,
        })
    })
    .await
}

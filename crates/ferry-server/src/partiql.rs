//! PartiQL: ExecuteStatement and BatchExecuteStatement (ExecuteTransaction
//! is in `partiql/transaction.rs`).
//!
//! `ferry_partiql` parses a statement and plans it against the key schema it
//! names (binding `?` parameters and compiling conditions, updates and
//! projections into ferry-expr's trees); this file runs the plan on the
//! paths the item operations use: a SELECT is one Query or Scan page
//! (`paging::fill_page`, so `Limit`, the 1 MB page and `ScannedCount` work
//! as they do there), and INSERT, UPDATE and DELETE are one `Table::write`
//! each, through `items.rs`'s update step.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;
use ferry_model::{AttributeValue, IndexDef, IndexKind, Item, TableDef, validate_value};
use ferry_partiql::{
    DeletePlan, InsertPlan, PARAMETER_COUNT, Plan, Projected, Returning, SelectPlan, Statement,
    UpdatePlan,
};
use ferry_storage::{QuerySpec, ScanSpec, Table, Write};

use crate::capacity::{CAPACITY_VALUES, CapacityMode, Usage, write_usage};
use crate::errors::{ApiError, ErrorCode};
use crate::items::{
    check_condition, check_update_targets, update_return_values, updated_item, write_error,
};
use crate::keys::{
    check_key_paths, check_readable, check_start_key, find_index, key_param, page_key_names,
};
use crate::paging::{PagePlan, SelectMode, fill_page};
use crate::query::sort_condition;
use crate::state::{AppState, blocking};
use crate::validation::Checks;
use crate::wire::parse;
use crate::wire::partiql::{
    BatchExecuteStatementInput, BatchExecuteStatementOutput, BatchStatementError,
    BatchStatementResponse, ExecuteStatementInput, ExecuteStatementOutput,
};
use crate::wire::value::{WireValue, item_to_json};

mod transaction;

pub use transaction::execute_transaction;

const ON_FAILURE: &[&str] = &["ALL_OLD", "NONE"];
/// BatchExecuteStatement takes at most this many statements.
pub const MAX_BATCH: usize = 25;
const STATEMENT_MAX: usize = 8192;

/// How one statement runs.
#[derive(Clone, Debug, Default)]
struct RunOptions {
    consistent: bool,
    limit: Option<usize>,
    next_token: Option<String>,
    /// What `next_token` must have been issued for ([`token_binding`]).
    token_binding: String,
    old_on_failure: bool,
    /// A batch read: the WHERE must name the whole primary key.
    single_item: bool,
}

/// What one statement produced.
struct Outcome {
    items: Vec<Item>,
    last_key: Option<Item>,
    usage: Usage,
}

/// The statement list of BatchExecuteStatement and ExecuteTransaction:
/// 1 to `max` statements, each checked under `<member>.N.member.`; `fields`
/// gives a statement's text, parameters and ReturnValuesOnConditionCheckFailure.
fn check_statement_list<S>(
    c: &mut Checks,
    list: &[S],
    member: &str,
    max: usize,
    fields: impl Fn(&S) -> (Option<&str>, Option<&Vec<WireValue>>, Option<&str>),
) {
    if list.is_empty() {
        c.fail_unvalued(member, "Member must have length greater than or equal to 1");
    } else if list.len() > max {
        c.fail_unvalued(
            member,
            &format!("Member must have length less than or equal to {max}"),
        );
    }
    for (i, s) in list.iter().enumerate() {
        let (statement, parameters, on_failure) = fields(s);
        check_statement(
            c,
            statement,
            parameters,
            on_failure,
            &format!("{member}.{}.member.", i + 1),
        );
    }
}

/// Check a statement's text and its parameters as the request gave them.
fn check_statement(
    c: &mut Checks,
    statement: Option<&str>,
    parameters: Option<&Vec<WireValue>>,
    on_failure: Option<&str>,
    prefix: &str,
) {
    if statement.is_none() {
        c.fail(
            None,
            &format!("{prefix}statement"),
            "Member must not be null",
        );
    }
    if let Some(s) = statement {
        if s.is_empty() {
            c.fail(
                Some(s),
                &format!("{prefix}statement"),
                "Member must have length greater than or equal to 1",
            );
        } else if s.len() > STATEMENT_MAX {
            c.fail(
                Some(s),
                &format!("{prefix}statement"),
                "Member must have length less than or equal to 8192",
            );
        }
    }
    if parameters.is_some_and(Vec::is_empty) {
        c.fail(
            Some("[]"),
            &format!("{prefix}parameters"),
            "Member must have length greater than or equal to 1",
        );
    }
    c.one_of(
        on_failure,
        &format!("{prefix}returnValuesOnConditionCheckFailure"),
        ON_FAILURE,
    );
}

/// The `Parameters` values (each checked as any attribute value is).
fn parameters(params: Option<Vec<WireValue>>) -> Result<Vec<AttributeValue>, ApiError> {
    params
        .unwrap_or_default()
        .into_iter()
        .map(|p| {
            if let Some(problem) = p.problem {
                return Err(ApiError::validation(problem));
            }
            validate_value(&p.value).map_err(|e| ApiError::validation(e.message))?;
            Ok(p.value)
        })
        .collect()
}

/// Parse a statement and check it has no more `?` than `params`.
fn prepare(text: &str, params: &[AttributeValue]) -> Result<Statement, ApiError> {
    let stmt = ferry_partiql::parse(text)?;
    if ferry_partiql::parameter_count(text) > params.len() {
        return Err(ApiError::validation(PARAMETER_COUNT));
    }
    Ok(stmt)
}

pub async fn execute_statement(
    state: &AppState,
    body: &[u8],
) -> Result<ExecuteStatementOutput, ApiError> {
    let input: ExecuteStatementInput = parse(body)?;
    let mut c = Checks::new();
    check_statement(
        &mut c,
        input.statement.as_deref(),
        input.parameters.as_ref(),
        input.return_values_on_condition_check_failure.as_deref(),
        "",
    );
    c.at_least(input.limit, "limit", 1);
    c.one_of(
        input.return_consumed_capacity.as_deref(),
        "returnConsumedCapacity",
        CAPACITY_VALUES,
    );
    if input.next_token.as_deref() == Some("") {
        c.fail(
            Some(""),
            "nextToken",
            "Member must have length greater than or equal to 1",
        );
    }
    c.finish()?;
    let params = parameters(input.parameters)?;
    let text = input.statement.unwrap_or_default();
    let stmt = prepare(&text, &params)?;
    let binding = token_binding(&text, &params);
    let opts = RunOptions {
        consistent: input.consistent_read.unwrap_or(false),
        limit: input.limit.map(|l| l as usize),
        next_token: input.next_token,
        token_binding: binding.clone(),
        old_on_failure: input.return_values_on_condition_check_failure.as_deref()
            == Some("ALL_OLD"),
        single_item: false,
    };
    let capacity = CapacityMode::parse(input.return_consumed_capacity.as_deref());
    let table_name = stmt.table().to_string();
    let out = run(state, stmt, params, opts).await?;
    Ok(ExecuteStatementOutput {
        next_token: out.last_key.as_ref().map(|k| encode_token(k, &binding)),
        last_evaluated_key: out.last_key,
        items: out.items,
        consumed_capacity: capacity.report(&table_name, &out.usage),
    })
}

/// The short `Code` of a batch statement's error.
fn batch_code(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::ValidationException => "ValidationError",
        ErrorCode::ConditionalCheckFailedException => "ConditionalCheckFailed",
        ErrorCode::DuplicateItemException => "DuplicateItem",
        ErrorCode::ResourceNotFoundException => "ResourceNotFound",
        ErrorCode::ItemCollectionSizeLimitExceededException => "ItemCollectionSizeLimitExceeded",
        ErrorCode::ProvisionedThroughputExceededException => "ProvisionedThroughputExceeded",
        ErrorCode::RequestLimitExceeded => "RequestLimitExceeded",
        ErrorCode::TransactionConflictException => "TransactionConflict",
        ErrorCode::ThrottlingException => "ThrottlingError",
        ErrorCode::AccessDeniedException => "AccessDenied",
        _ => "InternalServerError",
    }
}

fn batch_error(e: ApiError) -> BatchStatementError {
    BatchStatementError {
        code: batch_code(e.code),
        item: e.extra.and_then(|mut x| x.remove("Item")),
        message: e.message,
    }
}

pub async fn batch_execute_statement(
    state: &AppState,
    body: &[u8],
) -> Result<BatchExecuteStatementOutput, ApiError> {
    let input: BatchExecuteStatementInput = parse(body)?;
    let mut c = Checks::new();
    c.not_null(input.statements.as_ref(), "statements");
    if let Some(list) = &input.statements {
        check_statement_list(&mut c, list, "statements", MAX_BATCH, |s| {
            (
                s.statement.as_deref(),
                s.parameters.as_ref(),
                s.return_values_on_condition_check_failure.as_deref(),
            )
        });
    }
    c.one_of(
        input.return_consumed_capacity.as_deref(),
        "returnConsumedCapacity",
        CAPACITY_VALUES,
    );
    c.finish()?;
    let capacity = CapacityMode::parse(input.return_consumed_capacity.as_deref());
    // Parse every statement first: reads and writes may not mix.
    let prepared: Vec<_> = input
        .statements
        .unwrap_or_default()
        .into_iter()
        .map(|s| {
            let params = parameters(s.parameters)?;
            let stmt = prepare(s.statement.as_deref().unwrap_or_default(), &params)?;
            let opts = RunOptions {
                consistent: s.consistent_read.unwrap_or(false),
                old_on_failure: s.return_values_on_condition_check_failure.as_deref()
                    == Some("ALL_OLD"),
                single_item: true,
                ..RunOptions::default()
            };
            Ok((stmt, params, opts))
        })
        .collect();
    let reads = prepared
        .iter()
        .filter(|p| matches!(p, Ok((s, _, _)) if s.is_read()))
        .count();
    let writes = prepared
        .iter()
        .filter(|p| matches!(p, Ok((s, _, _)) if !s.is_read()))
        .count();
    if reads > 0 && writes > 0 {
        // DynamoDB's text for batches is unknown; this is its
        // ExecuteTransaction wording (docs/design/partiql.md).
        return Err(ApiError::validation(
            "BatchExecuteStatement API does not support both read and write operations in the same request.",
        ));
    }
    let mut responses = Vec::new();
    let mut usage: BTreeMap<String, Usage> = BTreeMap::new();
    for p in prepared {
        let (stmt, params, opts) = match p {
            Ok(p) => p,
            Err(e) => {
                responses.push(BatchStatementResponse {
                    error: Some(batch_error(e)),
                    ..Default::default()
                });
                continue;
            }
        };
        let table_name = stmt.table().to_string();
        let response = match run(state, stmt, params, opts).await {
            Ok(out) => {
                usage.entry(table_name.clone()).or_default().add(&out.usage);
                BatchStatementResponse {
                    item: out.items.into_iter().next(),
                    ..Default::default()
                }
            }
            Err(e) => BatchStatementResponse {
                error: Some(batch_error(e)),
                ..Default::default()
            },
        };
        responses.push(BatchStatementResponse {
            table_name: Some(table_name),
            ..response
        });
    }
    let consumed: Vec<_> = usage
        .iter()
        .filter_map(|(t, u)| capacity.report(t, u))
        .collect();
    Ok(BatchExecuteStatementOutput {
        responses,
        consumed_capacity: (capacity != CapacityMode::None).then_some(consumed),
    })
}

// ------------------------------------------------------------------ running

/// Plan one statement against its table and run it.
async fn run(
    state: &AppState,
    stmt: Statement,
    params: Vec<AttributeValue>,
    opts: RunOptions,
) -> Result<Outcome, ApiError> {
    let table = state.active_table(stmt.table())?;
    let def = table.def();
    let index = match &stmt {
        Statement::Select(s) => s
            .source
            .index
            .as_deref()
            .map(|n| find_index(&def, n).cloned())
            .transpose()?,
        _ => None,
    };
    let schema = index.as_ref().map_or(&def.key, |i| &i.key);
    let plan = ferry_partiql::plan(&stmt, schema, &params)?;
    match plan {
        Plan::Select(p) => select(table, def, index, p, opts).await,
        Plan::Insert(p) => blocking(move || insert(&table, &def, p)).await,
        Plan::Update(p) => blocking(move || update(&table, &def, p, &opts)).await,
        Plan::Delete(p) => blocking(move || delete(&table, &def, p, &opts)).await,
        Plan::Check(_) => Err(ApiError::validation(
            "EXISTS can only be used in ExecuteTransaction write requests.",
        )),
    }
}

/// What a NextToken is bound to: the statement text and its parameters.
/// DynamoDB answers a token replayed with another statement or other
/// parameters `NextToken does not match request`, and accepts one with
/// another Limit or ConsistentRead (as other emulators' tests record AWS's
/// answers).
fn token_binding(text: &str, params: &[AttributeValue]) -> String {
    use sha2::Digest as _;
    let values: Item = params
        .iter()
        .enumerate()
        .map(|(i, v)| (format!("{i:05}"), v.clone()))
        .collect();
    let mut digest = sha2::Sha256::new();
    digest.update(text.as_bytes());
    digest.update([0]);
    digest.update(item_to_json(&values).to_string().as_bytes());
    hex::encode(&digest.finalize()[..16])
}

/// A NextToken as Ferry writes it (base64 of this JSON).
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Token<K> {
    /// The page's LastEvaluatedKey (DynamoDB JSON).
    key: K,
    /// [`token_binding`] of the request that issued it.
    request: String,
}

/// `NextToken`: the page's LastEvaluatedKey and what it is bound to.
fn encode_token(key: &Item, binding: &str) -> String {
    let token = Token {
        key: item_to_json(key),
        request: binding.to_string(),
    };
    let text = serde_json::to_string(&token).unwrap_or_default();
    base64::engine::general_purpose::STANDARD.encode(text)
}

fn decode_token(token: &str, binding: &str) -> Result<Item, ApiError> {
    let invalid = || ApiError::validation("Invalid NextToken");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(token)
        .map_err(|_| invalid())?;
    let token: Token<crate::wire::value::WireItem> =
        serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if token.request != binding {
        return Err(ApiError::validation("NextToken does not match request"));
    }
    token.key.checked().map_err(|_| invalid())
}

async fn select(
    table: Arc<Table>,
    def: TableDef,
    index: Option<IndexDef>,
    p: SelectPlan,
    opts: RunOptions,
) -> Result<Outcome, ApiError> {
    if opts.consistent && index.as_ref().is_some_and(|i| i.kind == IndexKind::Global) {
        return Err(ApiError::validation(
            "Strongly consistent read is not supported on Global Secondary Indexes",
        ));
    }
    check_readable(&table, index.as_ref())?;
    if opts.single_item {
        let full = p.key.as_ref().is_some_and(|k| {
            def.key.range.is_none() || matches!(k.sort, Some(ferry_expr::SortKeyCondition::Eq(_)))
        });
        if !full || index.is_some() {
            return Err(ApiError::validation(
                "Where clause does not contain a mandatory equality on all key attributes",
            ));
        }
    }
    let exclusive_start = opts
        .next_token
        .as_deref()
        .map(|t| decode_token(t, &opts.token_binding))
        .transpose()?;
    if let Some(esk) = &exclusive_start {
        check_start_key(&def, index.as_ref(), esk)
            .map_err(|_| ApiError::validation("Invalid NextToken"))?;
    }
    let key_names = page_key_names(&def, index.as_ref());
    let plan = PagePlan {
        limit: opts.limit,
        filter: p.filter,
        projection: None,
        mode: if index.is_some() {
            SelectMode::AllProjected
        } else {
            SelectMode::All
        },
        key_names,
        fetch_from_table: false,
    };
    let index_name = index.as_ref().map(|i| i.name.clone());
    let page = blocking(move || match p.key {
        Some(k) => {
            let spec = QuerySpec {
                index: index_name,
                hash: k.hash,
                sort: k.sort.map(sort_condition),
                forward: p.forward,
                exclusive_start,
            };
            fill_page(&table, &def, table.query(&spec)?, &plan)
        }
        None => {
            let spec = ScanSpec {
                index: index_name,
                segment: None,
                exclusive_start,
            };
            fill_page(&table, &def, table.scan(&spec)?, &plan)
        }
    })
    .await?;
    let usage = page.usage(index.as_ref(), opts.consistent);
    let items = page.output.items.unwrap_or_default();
    let items = match &p.projection {
        None => items,
        Some(proj) => items.iter().map(|item| project(item, Some(proj))).collect(),
    };
    Ok(Outcome {
        items,
        last_key: page.output.last_evaluated_key,
        usage,
    })
}

/// DynamoDB's PartiQL checks of the key attributes an item or WHERE gives.
fn check_key_attributes(def: &TableDef, item: &Item) -> Result<(), ApiError> {
    for k in std::iter::once(&def.key.hash).chain(def.key.range.iter()) {
        match item.get(&k.name) {
            None => {
                return Err(ApiError::validation(format!(
                    "Key attribute should be present in the item: Key {}",
                    k.name
                )));
            }
            Some(v) if v.scalar_type() != Some(k.ty) => {
                return Err(ApiError::validation(format!(
                    "Key attribute's data type should match its data type in table's schema: Key {}",
                    k.name
                )));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

fn insert(table: &Table, def: &TableDef, p: InsertPlan) -> Result<Outcome, ApiError> {
    check_key_attributes(def, &p.item)?;
    let key = crate::keys::check_put_item(def, &p.item)?;
    let usage = write_usage(def, None, Some(&p.item));
    table
        .write(&key, |old| {
            if old.is_some() {
                return Err(ApiError::new(
                    ErrorCode::DuplicateItemException,
                    "Duplicate primary key exists in table",
                ));
            }
            Ok(Write::Put(p.item))
        })
        .map_err(write_error)?;
    Ok(Outcome {
        items: Vec::new(),
        last_key: None,
        usage,
    })
}

fn update(
    table: &Table,
    def: &TableDef,
    p: UpdatePlan,
    opts: &RunOptions,
) -> Result<Outcome, ApiError> {
    check_key_attributes(def, &p.key)?;
    let key = key_param(def, &p.key)?;
    check_update_targets(def, &p.update.top_level_targets())?;
    let nested: Vec<String> = p
        .update
        .nested_top_level_names()
        .into_iter()
        .chain(p.condition.iter().flat_map(|c| c.nested_top_level_names()))
        .collect();
    check_key_paths(def, &nested)?;
    let mut new_item = None;
    let (old, _) = table
        .write(&key, |old| {
            check_condition(p.condition.as_ref(), old, opts.old_on_failure)?;
            let Some(item) = updated_item(def, &key, Some(&p.update), old)? else {
                return Ok(Write::Nothing);
            };
            new_item = Some(item.clone());
            Ok(Write::Put(item))
        })
        .map_err(write_error)?;
    let new_item = new_item.or_else(|| old.clone());
    let usage = write_usage(def, old.as_ref(), new_item.as_ref());
    let return_values = match p.returning {
        None => "NONE",
        Some(Returning::AllOld) => "ALL_OLD",
        Some(Returning::ModifiedOld) => "UPDATED_OLD",
        Some(Returning::AllNew) => "ALL_NEW",
        Some(Returning::ModifiedNew) => "UPDATED_NEW",
    };
    let returned = update_return_values(return_values, Some(&p.update), old, new_item);
    Ok(Outcome {
        items: returned.into_iter().collect(),
        last_key: None,
        usage,
    })
}

fn delete(
    table: &Table,
    def: &TableDef,
    p: DeletePlan,
    opts: &RunOptions,
) -> Result<Outcome, ApiError> {
    check_key_attributes(def, &p.key)?;
    let key = key_param(def, &p.key)?;
    check_key_paths(
        def,
        &p.condition
            .iter()
            .flat_map(|c| c.nested_top_level_names())
            .collect::<Vec<_>>(),
    )?;
    let (old, _) = table
        .write(&key, |old| {
            // The plan's condition passes a missing item.
            check_condition(p.condition.as_ref(), old, opts.old_on_failure)?;
            Ok(if old.is_some() {
                Write::Delete
            } else {
                Write::Nothing
            })
        })
        .map_err(write_error)?;
    let usage = write_usage(def, old.as_ref(), None);
    Ok(Outcome {
        items: if p.returning {
            old.into_iter().collect()
        } else {
            Vec::new()
        },
        last_key: None,
        usage,
    })
}

/// A SELECT's row: the projected values under their names (`None`: `*`).
fn project(item: &Item, projection: Option<&[Projected]>) -> Item {
    match projection {
        None => item.clone(),
        Some(proj) => proj
            .iter()
            .filter_map(|p| p.extract(item).map(|v| (p.label.clone(), v)))
            .collect(),
    }
}

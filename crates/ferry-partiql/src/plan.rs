//! Plans: a parsed statement bound to its parameters and checked against
//! the key schema it reads or writes, ready for the server to run.
//!
//! - A SELECT whose WHERE has, at its top level (joined by AND), an
//!   equality on the partition key is a Query, with the first usable
//!   condition on the sort key; any other SELECT is a Scan. The whole WHERE
//!   is the filter either way (the key conditions re-checked are true).
//! - UPDATE and DELETE need a top-level equality on every key attribute
//!   ("Where clause does not contain a mandatory equality on all key
//!   attributes"); the rest of the WHERE is their condition. UPDATE (and a
//!   transaction's `EXISTS(SELECT …)` check) also requires the item to
//!   exist; DELETE of a missing item passes whatever the condition.

use std::fmt;

use ferry_expr::{Condition, KeyCondition, SortKeyCondition, Update};
use ferry_model::{AttributeValue, Item, KeySchema};

use crate::ast::{CmpOp, Expr, Path, PathElem, Returning, Statement};
use crate::error::PartiqlError;
use crate::translate::{Guard, Projected, condition, update};
use crate::values::{is_value, item, value};

const NO_FULL_KEY: &str =
    "Where clause does not contain a mandatory equality on all key attributes";

/// What to run.
#[derive(Debug)]
pub enum Plan {
    Select(SelectPlan),
    Insert(InsertPlan),
    Update(UpdatePlan),
    Delete(DeletePlan),
    Check(CheckPlan),
}

#[derive(Debug)]
pub struct SelectPlan {
    pub table: String,
    pub index: Option<String>,
    /// `Some` for a Query.
    pub key: Option<KeyCondition>,
    /// The Query's sort-key order (`ORDER BY`; ascending without it).
    pub forward: bool,
    pub filter: Option<Condition>,
    /// `None` for `*`.
    pub projection: Option<Vec<Projected>>,
}

#[derive(Debug)]
pub struct InsertPlan {
    pub table: String,
    pub item: Item,
    /// "The key does not exist yet", for a write transaction.
    pub absent: Option<Condition>,
}

#[derive(Debug)]
pub struct UpdatePlan {
    pub table: String,
    /// The key attributes named in the WHERE.
    pub key: Item,
    /// The item must exist, and the rest of the WHERE hold.
    pub condition: Option<Condition>,
    pub update: Update,
    pub returning: Option<Returning>,
}

/// `EXISTS(…)`: the item must exist and the rest of the WHERE hold.
#[derive(Debug)]
pub struct CheckPlan {
    pub table: String,
    pub key: Item,
    pub condition: Option<Condition>,
}

#[derive(Debug)]
pub struct DeletePlan {
    pub table: String,
    pub key: Item,
    /// A missing item, or the rest of the WHERE holding on it.
    pub condition: Option<Condition>,
    /// `RETURNING ALL OLD *`.
    pub returning: bool,
}

/// Bind `stmt` to `params` against `schema`: the table's key schema, or for
/// a SELECT from `"table"."index"` the index's.
pub fn plan(
    stmt: &Statement,
    schema: &KeySchema,
    params: &[AttributeValue],
) -> Result<Plan, PartiqlError> {
    Ok(match stmt {
        Statement::Select(s) => {
            let conds = s.filter.as_ref().map(conjuncts).unwrap_or_default();
            let key = query_key(&conds, schema, params)?;
            let forward = crate::order::forward(s, schema, key.is_some())?;
            let filter = condition(&conds, Guard::None, params, "FilterExpression")?;
            let projection = s
                .projection
                .as_ref()
                .map(|paths| paths.iter().map(Projected::new).collect())
                .transpose()?;
            Plan::Select(SelectPlan {
                table: s.source.table.clone(),
                index: s.source.index.clone(),
                key,
                forward,
                filter,
                projection,
            })
        }
        Statement::Insert(s) => {
            let Expr::Map(entries) = &s.value else {
                return Err(PartiqlError::new(
                    "Unsupported format in item expression. Please use struct format {...} to express item values for insert statement.",
                ));
            };
            let item = item(entries, params)?;
            Plan::Insert(InsertPlan {
                table: s.table.clone(),
                item,
                absent: condition(
                    &[],
                    Guard::Absent(&schema.hash.name),
                    params,
                    "ConditionExpression",
                )?,
            })
        }
        Statement::Update(s) => {
            let (key, rest) = full_key(s.filter.as_ref(), schema, params)?;
            Plan::Update(UpdatePlan {
                table: s.table.clone(),
                key,
                condition: condition(
                    &rest,
                    Guard::Exists(&schema.hash.name),
                    params,
                    "ConditionExpression",
                )?,
                update: update(&s.actions, params)?,
                returning: s.returning,
            })
        }
        Statement::Exists(s) => {
            if s.source.index.is_some() {
                return Err(PartiqlError::new(
                    "Operations on indices are not supported in transactions",
                ));
            }
            let (key, rest) = full_key(s.filter.as_ref(), schema, params).map_err(|_| {
                PartiqlError::new(
                    "EXISTS() must contain a single item read with additional condition",
                )
            })?;
            Plan::Check(CheckPlan {
                table: s.source.table.clone(),
                key,
                condition: condition(
                    &rest,
                    Guard::Exists(&schema.hash.name),
                    params,
                    "ConditionExpression",
                )?,
            })
        }
        Statement::Delete(s) => {
            let (key, rest) = full_key(s.filter.as_ref(), schema, params)?;
            Plan::Delete(DeletePlan {
                table: s.table.clone(),
                key,
                condition: condition(
                    &rest,
                    Guard::MissingOr(&schema.hash.name),
                    params,
                    "ConditionExpression",
                )?,
                returning: s.returning.is_some(),
            })
        }
    })
}

/// The top-level AND operands of a condition.
fn conjuncts(e: &Expr) -> Vec<&Expr> {
    match e {
        Expr::And(a, b) => {
            let mut out = conjuncts(a);
            out.extend(conjuncts(b));
            out
        }
        other => vec![other],
    }
}

/// A comparison of a top-level attribute with a value, the attribute on
/// the left (`5 < a` is `a > 5`).
fn attr_cmp<'e>(e: &'e Expr) -> Option<(&'e str, CmpOp, &'e Expr)> {
    let Expr::Cmp(op, a, b) = e else { return None };
    let top = |e: &'e Expr| match e {
        Expr::Path(Path(segs)) => match segs.as_slice() {
            [PathElem::Attr(name)] => Some(name.as_str()),
            _ => None,
        },
        _ => None,
    };
    if let Some(name) = top(a)
        && is_value(b)
    {
        return Some((name, *op, b));
    }
    let flipped = match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        other => *other,
    };
    top(b)
        .filter(|_| is_value(a))
        .map(|name| (name, flipped, a.as_ref()))
}

fn is_top(e: &Expr, name: &str) -> bool {
    matches!(e, Expr::Path(Path(segs)) if matches!(segs.as_slice(), [PathElem::Attr(n)] if n == name))
}

/// The key condition of a SELECT that can be a Query.
fn query_key(
    conds: &[&Expr],
    schema: &KeySchema,
    params: &[AttributeValue],
) -> Result<Option<KeyCondition>, PartiqlError> {
    let typed = |v: &AttributeValue, ty| v.scalar_type() == Some(ty);
    let mut hash = None;
    for c in conds {
        if let Some((name, CmpOp::Eq, v)) = attr_cmp(c)
            && name == schema.hash.name
        {
            let v = value(v, params, "root")?;
            if typed(&v, schema.hash.ty) {
                hash = Some(v);
                break;
            }
        }
    }
    let Some(hash) = hash else { return Ok(None) };
    let mut sort = None;
    if let Some(range) = &schema.range {
        let ok = |v: &AttributeValue| typed(v, range.ty);
        for c in conds {
            let found = match c {
                Expr::Between(a, lo, hi)
                    if is_top(a, &range.name) && is_value(lo) && is_value(hi) =>
                {
                    let (lo, hi) = (value(lo, params, "root")?, value(hi, params, "root")?);
                    (ok(&lo) && ok(&hi)).then_some(SortKeyCondition::Between(lo, hi))
                }
                Expr::Call(f, args) if f == "begins_with" => match args.as_slice() {
                    [a, v] if is_top(a, &range.name) && is_value(v) => {
                        let v = value(v, params, "root")?;
                        // ok() holds only for S, N or B; begins_with takes S or B.
                        let usable = ok(&v) && !matches!(v, AttributeValue::N(_));
                        usable.then_some(SortKeyCondition::BeginsWith(v))
                    }
                    _ => None,
                },
                c => match attr_cmp(c) {
                    Some((name, op, v)) if name == range.name && op != CmpOp::Ne => {
                        let v = value(v, params, "root")?;
                        let usable = ok(&v);
                        usable.then_some(match op {
                            CmpOp::Eq | CmpOp::Ne => SortKeyCondition::Eq(v),
                            CmpOp::Lt => SortKeyCondition::Lt(v),
                            CmpOp::Le => SortKeyCondition::Le(v),
                            CmpOp::Gt => SortKeyCondition::Gt(v),
                            CmpOp::Ge => SortKeyCondition::Ge(v),
                        })
                    }
                    _ => None,
                },
            };
            if found.is_some() {
                sort = found;
                break;
            }
        }
    }
    Ok(Some(KeyCondition { hash, sort }))
}

/// The full key of an UPDATE or DELETE and the rest of its WHERE.
fn full_key<'e>(
    filter: Option<&'e Expr>,
    schema: &KeySchema,
    params: &[AttributeValue],
) -> Result<(Item, Vec<&'e Expr>), PartiqlError> {
    let conds = filter.map(conjuncts).unwrap_or_default();
    let names: Vec<&str> = std::iter::once(schema.hash.name.as_str())
        .chain(schema.range.as_ref().map(|r| r.name.as_str()))
        .collect();
    let mut key = Item::new();
    let mut rest = Vec::new();
    for c in conds {
        match attr_cmp(c) {
            Some((name, CmpOp::Eq, v)) if names.contains(&name) => {
                if key.contains_key(name) {
                    return Err(PartiqlError::new(format!(
                        "Multiple conditions on same key {name}. Only single item Update/Insert/Delete are supported"
                    )));
                }
                key.insert(name.to_string(), value(v, params, "root")?);
            }
            _ => rest.push(c),
        }
    }
    if key.len() != names.len() {
        return Err(PartiqlError::new(NO_FULL_KEY));
    }
    Ok((key, rest))
}

// ----------------------------------------------------------------- display

fn show_item(item: &Item) -> String {
    let parts: Vec<String> = item
        .iter()
        .map(|(k, v)| format!("{k:?}: {}", crate::show_value(v)))
        .collect();
    format!("{{{}}}", parts.join(", "))
}

impl fmt::Display for Plan {
    /// One line per part of the plan (the golden tests' dump).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let opt = |c: &Option<Condition>| c.as_ref().map_or("-".to_string(), |c| c.to_string());
        match self {
            Plan::Select(s) => {
                match &s.key {
                    Some(k) if s.forward => writeln!(f, "query {k}")?,
                    Some(k) => writeln!(f, "query {k} descending")?,
                    None => writeln!(f, "scan")?,
                }
                writeln!(f, "filter: {}", opt(&s.filter))?;
                if let Some(p) = &s.projection {
                    let labels: Vec<&str> = p.iter().map(|p| p.label.as_str()).collect();
                    writeln!(f, "projection: {labels:?}")?;
                }
                Ok(())
            }
            Plan::Insert(i) => writeln!(f, "insert {}", show_item(&i.item)),
            Plan::Update(u) => {
                writeln!(f, "update key {}", show_item(&u.key))?;
                writeln!(f, "condition: {}", opt(&u.condition))?;
                writeln!(f, "actions: {}", u.update)?;
                if let Some(r) = u.returning {
                    writeln!(f, "returning: {}", r.as_sql())?;
                }
                Ok(())
            }
            Plan::Check(c) => {
                writeln!(f, "check key {}", show_item(&c.key))?;
                writeln!(f, "condition: {}", opt(&c.condition))
            }
            Plan::Delete(d) => {
                writeln!(f, "delete key {}", show_item(&d.key))?;
                writeln!(f, "condition: {}", opt(&d.condition))?;
                if d.returning {
                    writeln!(f, "returning: ALL OLD")?;
                }
                Ok(())
            }
        }
    }
}

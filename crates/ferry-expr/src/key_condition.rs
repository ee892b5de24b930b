//! KeyConditionExpression: turning a compiled condition into a partition-key
//! value and an optional sort-key condition, with DynamoDB's checks.
//!
//! Extraction follows DynamoDB Local's `KeyConditionExpressionExtractor` and
//! dynalite's `checkExpr` (same messages, same order): only AND may join
//! conditions; each condition names exactly one top-level key attribute;
//! `value op key` is flipped to `key op' value`. Then the schema checks
//! (dynalite's query tests, run against DynamoDB): value types, a second
//! condition on a hash-only schema, the partition key present and compared
//! with `=`, the second condition on the sort key.

use ferry_model::{AttributeValue, KeySchema, ScalarType};

use crate::ast::{CmpOp, Cond, Val};
use crate::error::{ExprError, msg};
use crate::functions::{begins_with, compare, type_code};
use crate::{KeyCondition, PathElem, SortKeyCondition};

/// One extracted condition on one key attribute.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct KeyCond {
    attr: String,
    op: KeyOp,
    values: Vec<AttributeValue>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyOp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
    Between,
    BeginsWith,
}

impl KeyOp {
    fn name(self) -> &'static str {
        match self {
            KeyOp::Eq => "EQ",
            KeyOp::Lt => "LT",
            KeyOp::Le => "LE",
            KeyOp::Gt => "GT",
            KeyOp::Ge => "GE",
            KeyOp::Between => "BETWEEN",
            KeyOp::BeginsWith => "BEGINS_WITH",
        }
    }

    /// The operator with its operands swapped (`:v < k` is `k > :v`).
    fn flipped(self) -> KeyOp {
        match self {
            KeyOp::Lt => KeyOp::Gt,
            KeyOp::Le => KeyOp::Ge,
            KeyOp::Gt => KeyOp::Lt,
            KeyOp::Ge => KeyOp::Le,
            other => other,
        }
    }
}

fn invalid_operator(name: &str) -> ExprError {
    ExprError::new(format!(
        "Invalid operator used in KeyConditionExpression: {name}"
    ))
}

fn invalid_condition(detail: &str) -> ExprError {
    ExprError::new(format!(
        "Invalid condition in KeyConditionExpression: {detail}"
    ))
}

/// The schema-independent checks: extract one condition per key attribute.
pub(crate) fn extract(cond: &Cond) -> Result<Vec<KeyCond>, ExprError> {
    let mut conds = Vec::new();
    collect(cond, &mut conds)?;
    if conds.len() > 2 {
        return Err(ExprError::new(msg::CONDITIONS_LENGTH));
    }
    Ok(conds)
}

/// Check extracted conditions against `schema` (the table's or the queried
/// index's) and build the key condition.
pub(crate) fn against(conds: &[KeyCond], schema: &KeySchema) -> Result<KeyCondition, ExprError> {
    let mut conds = conds.to_vec();

    // Value types against the schema.
    let key_type = |name: &str| {
        if schema.hash.name == name {
            Some(schema.hash.ty)
        } else {
            schema
                .range
                .as_ref()
                .filter(|r| r.name == name)
                .map(|r| r.ty)
        }
    };
    for c in &conds {
        if let Some(ty) = key_type(&c.attr) {
            let want = match ty {
                ScalarType::S => "S",
                ScalarType::N => "N",
                ScalarType::B => "B",
            };
            if c.values.iter().any(|v| type_code(v) != want) {
                return Err(ExprError::new(msg::KEY_TYPE_MISMATCH));
            }
        }
    }

    if conds.len() == 2 && schema.range.is_none() {
        return Err(ExprError::new(msg::KEY_CONDITION_NOT_SUPPORTED));
    }
    let Some(hash_ix) = conds.iter().position(|c| c.attr == schema.hash.name) else {
        return Err(ExprError::new(format!(
            "Query condition missed key schema element: {}",
            schema.hash.name
        )));
    };
    let hash_cond = conds.remove(hash_ix);
    if hash_cond.op != KeyOp::Eq {
        return Err(ExprError::new(msg::KEY_CONDITION_NOT_SUPPORTED));
    }
    let sort = match (conds.pop(), &schema.range) {
        (None, _) => None,
        (Some(c), Some(range)) if c.attr == range.name => Some(sort_condition(c)),
        (Some(_), Some(range)) => {
            return Err(ExprError::new(format!(
                "Query condition missed key schema element: {}",
                range.name
            )));
        }
        (Some(_), None) => return Err(ExprError::new(msg::KEY_CONDITION_NOT_SUPPORTED)),
    };
    let mut values = hash_cond.values.into_iter();
    let hash = values
        .next()
        .ok_or_else(|| invalid_condition("No key attribute specified"))?;
    Ok(KeyCondition { hash, sort })
}

fn sort_condition(c: KeyCond) -> SortKeyCondition {
    let mut v = c.values.into_iter();
    let mut next = || v.next().unwrap_or(AttributeValue::Null);
    match c.op {
        KeyOp::Eq => SortKeyCondition::Eq(next()),
        KeyOp::Lt => SortKeyCondition::Lt(next()),
        KeyOp::Le => SortKeyCondition::Le(next()),
        KeyOp::Gt => SortKeyCondition::Gt(next()),
        KeyOp::Ge => SortKeyCondition::Ge(next()),
        KeyOp::BeginsWith => SortKeyCondition::BeginsWith(next()),
        KeyOp::Between => {
            let lo = next();
            SortKeyCondition::Between(lo, next())
        }
    }
}

/// Walk the AND tree, extracting one `KeyCond` per leaf.
fn collect(cond: &Cond, out: &mut Vec<KeyCond>) -> Result<(), ExprError> {
    let (op, args): (KeyOp, Vec<&Val>) = match cond {
        Cond::And(a, b) => {
            collect(a, out)?;
            return collect(b, out);
        }
        Cond::Or(..) => return Err(invalid_operator("OR")),
        Cond::Not(_) => return Err(invalid_operator("NOT")),
        Cond::In(..) => return Err(invalid_operator("IN")),
        Cond::Cmp(CmpOp::Ne, ..) => return Err(invalid_operator("<>")),
        Cond::Exists(_) => return Err(invalid_operator("attribute_exists")),
        Cond::NotExists(_) => return Err(invalid_operator("attribute_not_exists")),
        Cond::Type(..) => return Err(invalid_operator("attribute_type")),
        Cond::Contains(..) => return Err(invalid_operator("contains")),
        Cond::Between(a, lo, hi) => {
            if !matches!(a, Val::Path(_)) {
                return Err(invalid_condition(
                    "BETWEEN operator must have the key attribute as its first operand",
                ));
            }
            (KeyOp::Between, vec![a, lo, hi])
        }
        Cond::BeginsWith(a, b) => {
            if !matches!(a, Val::Path(_)) {
                return Err(invalid_condition(
                    "begins_with operator must have the key attribute as its first operand",
                ));
            }
            (KeyOp::BeginsWith, vec![a, b])
        }
        Cond::Cmp(op, a, b) => {
            let op = match op {
                CmpOp::Eq | CmpOp::Ne => KeyOp::Eq,
                CmpOp::Lt => KeyOp::Lt,
                CmpOp::Le => KeyOp::Le,
                CmpOp::Gt => KeyOp::Gt,
                CmpOp::Ge => KeyOp::Ge,
            };
            (op, vec![a, b])
        }
    };

    let mut attr: Option<(String, usize)> = None;
    let mut values = Vec::new();
    for (i, arg) in args.into_iter().enumerate() {
        match arg {
            Val::Path(p) => {
                if attr.is_some() {
                    return Err(invalid_condition(
                        "Multiple attribute names used in one condition",
                    ));
                }
                match p.0.as_slice() {
                    [PathElem::Attr(name)] => attr = Some((name.clone(), i)),
                    _ => {
                        return Err(ExprError::new(
                            "KeyConditionExpressions cannot have conditions on nested attributes",
                        ));
                    }
                }
            }
            Val::Size(_) => {
                return Err(ExprError::new(
                    "KeyConditionExpressions cannot contain nested operations",
                ));
            }
            Val::Const(v) => values.push(v.clone()),
        }
    }
    let Some((name, position)) = attr else {
        return Err(invalid_condition("No key attribute specified"));
    };
    if out.iter().any(|c| c.attr == name) {
        return Err(ExprError::new(
            "KeyConditionExpressions must only contain one condition per key",
        ));
    }
    let op = if position == 0 { op } else { op.flipped() };
    // DynamoDB Local's validateArgumentsForComparisonOperator.
    let allowed: &[&str] = match op {
        KeyOp::Eq => &["S", "N", "B", "SS", "NS", "BS"],
        KeyOp::BeginsWith => &["S", "B"],
        _ => &["S", "N", "B"],
    };
    if let Some(bad) = values.iter().find(|v| !allowed.contains(&type_code(v))) {
        return Err(ExprError::new(format!(
            "One or more parameter values were invalid: ComparisonOperator {} is not valid for {} AttributeValue type",
            op.name(),
            type_code(bad)
        )));
    }
    out.push(KeyCond {
        attr: name,
        op,
        values,
    });
    Ok(())
}

impl SortKeyCondition {
    /// Whether a sort-key value satisfies the condition (DynamoDB ordering:
    /// values of another type never match).
    pub fn matches(&self, v: &AttributeValue) -> bool {
        use std::cmp::Ordering::{Equal, Greater, Less};
        let cmp = |b: &AttributeValue| compare(v, b);
        match self {
            SortKeyCondition::Eq(b) => cmp(b) == Some(Equal),
            SortKeyCondition::Lt(b) => cmp(b) == Some(Less),
            SortKeyCondition::Le(b) => matches!(cmp(b), Some(Less | Equal)),
            SortKeyCondition::Gt(b) => cmp(b) == Some(Greater),
            SortKeyCondition::Ge(b) => matches!(cmp(b), Some(Greater | Equal)),
            SortKeyCondition::Between(lo, hi) => {
                matches!(cmp(lo), Some(Greater | Equal)) && matches!(cmp(hi), Some(Less | Equal))
            }
            SortKeyCondition::BeginsWith(p) => begins_with(v, p),
        }
    }
}

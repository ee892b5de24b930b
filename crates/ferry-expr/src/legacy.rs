//! The legacy (pre-expression) parameters, translated into the same trees
//! the expressions compile to, so one evaluator serves both:
//! `QueryFilter` / `ScanFilter` and `Expected` (with `ConditionalOperator`)
//! become a [`Condition`], `AttributesToGet` a [`Projection`],
//! `AttributeUpdates` an [`Update`], `KeyConditions` a [`KeyCondition`].
//!
//! Inputs are typed (the server parses the JSON); the checks and messages
//! are DynamoDB's, from dynalite's `validateConditions`,
//! `validateAttributeConditions` and `updateItem` validations and its query
//! action (each tested against real DynamoDB):
//! - every `AttributeValueList` has the operator's arity (`NULL`/`NOT_NULL`
//!   none, `IN` at least one, `BETWEEN` two, the rest one), values of one
//!   type, and types the operator accepts;
//! - `Expected` entries combine `Exists`, `Value`, `ComparisonOperator` and
//!   `AttributeValueList` only in the allowed ways;
//! - `AttributeUpdates`: `PUT`/`ADD` need a value, `DELETE` with a value
//!   takes a set, `ADD` takes a number, a set or a list.
//!
//! Semantics of the translation: `EQ`…`GT` are the comparisons, `NOT_NULL`
//! / `NULL` are `attribute_exists` / `attribute_not_exists`, `CONTAINS` is
//! `contains`, `NOT_CONTAINS` is `NOT contains`, `BEGINS_WITH` is
//! `begins_with`, `IN` and `BETWEEN` are the operators; entries join with
//! AND, or OR under `ConditionalOperator: OR`. `ADD` of a list appends
//! (`list_append(if_not_exists(a, []), v)`).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use ferry_model::{AttributeValue, KeySchema, ScalarType};

use crate::ast::{CmpOp, Cond, UAction, UVal, Val};
use crate::error::{ExprError, msg};
use crate::functions::{compare, type_code};
use crate::projection::Tree;
use crate::update::Plan;
use crate::{Condition, KeyCondition, Path, PathElem, Projection, SortKeyCondition, Update};

const INVALID: &str = "One or more parameter values were invalid: ";

/// A legacy `ComparisonOperator`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ComparisonOperator {
    Eq,
    Ne,
    Le,
    Lt,
    Ge,
    Gt,
    NotNull,
    Null,
    Contains,
    NotContains,
    BeginsWith,
    In,
    Between,
}

impl ComparisonOperator {
    /// The operator names in the order DynamoDB lists them in its enum
    /// constraint message.
    pub const NAMES: &'static [&'static str] = &[
        "IN",
        "NULL",
        "BETWEEN",
        "LT",
        "NOT_CONTAINS",
        "EQ",
        "GT",
        "NOT_NULL",
        "NE",
        "LE",
        "BEGINS_WITH",
        "GE",
        "CONTAINS",
    ];

    /// All operators.
    pub const ALL: [ComparisonOperator; 13] = [
        Self::Eq,
        Self::Ne,
        Self::Le,
        Self::Lt,
        Self::Ge,
        Self::Gt,
        Self::NotNull,
        Self::Null,
        Self::Contains,
        Self::NotContains,
        Self::BeginsWith,
        Self::In,
        Self::Between,
    ];

    #[must_use]
    pub fn parse(name: &str) -> Option<ComparisonOperator> {
        Self::ALL.into_iter().find(|op| op.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Eq => "EQ",
            Self::Ne => "NE",
            Self::Le => "LE",
            Self::Lt => "LT",
            Self::Ge => "GE",
            Self::Gt => "GT",
            Self::NotNull => "NOT_NULL",
            Self::Null => "NULL",
            Self::Contains => "CONTAINS",
            Self::NotContains => "NOT_CONTAINS",
            Self::BeginsWith => "BEGINS_WITH",
            Self::In => "IN",
            Self::Between => "BETWEEN",
        }
    }

    /// Whether `n` values are the right number for this operator.
    fn arity_ok(self, n: usize) -> bool {
        match self {
            Self::Null | Self::NotNull => n == 0,
            Self::In => n >= 1,
            Self::Between => n == 2,
            _ => n == 1,
        }
    }

    /// The value types the operator accepts in QueryFilter, ScanFilter and
    /// KeyConditions (`None`: no values).
    fn allowed_types(self) -> &'static [&'static str] {
        match self {
            Self::Eq | Self::Ne => &["S", "N", "B", "SS", "NS", "BS"],
            Self::BeginsWith => &["S", "B"],
            Self::Null | Self::NotNull => &[],
            _ => &["S", "N", "B"],
        }
    }

    /// Whether a Query can use the operator on a key attribute.
    fn indexable(self) -> bool {
        !matches!(
            self,
            Self::Null | Self::NotNull | Self::Ne | Self::Contains | Self::NotContains | Self::In
        )
    }
}

/// One entry of `QueryFilter`, `ScanFilter` or `KeyConditions`.
#[derive(Clone, Debug, PartialEq)]
pub struct LegacyCondition {
    pub op: ComparisonOperator,
    pub values: Vec<AttributeValue>,
}

/// One entry of `Expected`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExpectedCondition {
    pub exists: Option<bool>,
    pub value: Option<AttributeValue>,
    pub op: Option<ComparisonOperator>,
    pub values: Option<Vec<AttributeValue>>,
}

/// An `AttributeUpdates` action (`PUT` when absent).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateAction {
    Put,
    Add,
    Delete,
}

impl UpdateAction {
    /// DynamoDB's enum order for the constraint message.
    pub const NAMES: &'static [&'static str] = &["ADD", "PUT", "DELETE"];

    #[must_use]
    pub fn parse(name: &str) -> Option<UpdateAction> {
        match name {
            "ADD" => Some(Self::Add),
            "PUT" => Some(Self::Put),
            "DELETE" => Some(Self::Delete),
            _ => None,
        }
    }
}

/// One entry of `AttributeUpdates`.
#[derive(Clone, Debug, PartialEq)]
pub struct AttributeUpdate {
    pub action: UpdateAction,
    pub value: Option<AttributeValue>,
}

fn top(name: &str) -> Path {
    Path(vec![PathElem::Attr(name.to_string())])
}

fn invalid(detail: impl AsRef<str>) -> ExprError {
    ExprError::new(format!("{INVALID}{}", detail.as_ref()))
}

fn arity_error(op: ComparisonOperator) -> ExprError {
    invalid(format!(
        "Invalid number of argument(s) for the {} ComparisonOperator",
        op.name()
    ))
}

/// The values of an AttributeValueList are of one type.
fn check_same_type(values: &[AttributeValue]) -> Result<(), ExprError> {
    if let Some(first) = values.first()
        && values.iter().any(|v| type_code(v) != type_code(first))
    {
        return Err(invalid(
            "AttributeValues inside AttributeValueList must be of same type",
        ));
    }
    Ok(())
}

fn check_between_bounds(
    op: ComparisonOperator,
    values: &[AttributeValue],
) -> Result<(), ExprError> {
    if op == ComparisonOperator::Between
        && let [lo, hi] = values
        && compare(lo, hi) == Some(Ordering::Greater)
    {
        return Err(ExprError::new(
            "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound",
        ));
    }
    Ok(())
}

/// DynamoDB's checks on a `QueryFilter`, `ScanFilter` or `KeyConditions`
/// map, before the table is looked up.
pub fn check_conditions(conds: &BTreeMap<String, LegacyCondition>) -> Result<(), ExprError> {
    for c in conds.values() {
        if !c.op.arity_ok(c.values.len()) {
            return Err(arity_error(c.op));
        }
        check_same_type(&c.values)?;
        if let Some(bad) = c
            .values
            .iter()
            .find(|v| !c.op.allowed_types().contains(&type_code(v)))
        {
            return Err(invalid(format!(
                "ComparisonOperator {} is not valid for {} AttributeValue type",
                c.op.name(),
                type_code(bad)
            )));
        }
        check_between_bounds(c.op, &c.values)?;
    }
    Ok(())
}

/// The condition tree of one operator on one top-level attribute.
fn leaf(attr: &str, op: ComparisonOperator, values: &[AttributeValue]) -> Cond {
    use ComparisonOperator as O;
    let path = || Val::Path(top(attr));
    let v = |i: usize| Val::Const(values.get(i).cloned().unwrap_or(AttributeValue::Null));
    let cmp = |o: CmpOp| Cond::Cmp(o, path(), v(0));
    match op {
        O::Eq => cmp(CmpOp::Eq),
        O::Ne => cmp(CmpOp::Ne),
        O::Le => cmp(CmpOp::Le),
        O::Lt => cmp(CmpOp::Lt),
        O::Ge => cmp(CmpOp::Ge),
        O::Gt => cmp(CmpOp::Gt),
        O::NotNull => Cond::Exists(top(attr)),
        O::Null => Cond::NotExists(top(attr)),
        O::Contains => Cond::Contains(path(), v(0)),
        O::NotContains => Cond::Not(Box::new(Cond::Contains(path(), v(0)))),
        O::BeginsWith => Cond::BeginsWith(path(), v(0)),
        O::In => Cond::In(path(), values.iter().cloned().map(Val::Const).collect()),
        O::Between => Cond::Between(path(), v(0), v(1)),
    }
}

/// Join leaves with AND (or OR); `None` when there are none.
fn join(leaves: Vec<Cond>, or: bool) -> Option<Condition> {
    let cond = leaves.into_iter().reduce(|a, b| {
        if or {
            Cond::Or(Box::new(a), Box::new(b))
        } else {
            Cond::And(Box::new(a), Box::new(b))
        }
    })?;
    Some(Condition { cond })
}

impl Condition {
    /// A `QueryFilter` or `ScanFilter` (checked with [`check_conditions`]),
    /// its entries joined by `ConditionalOperator` (`or`). `None` for an
    /// empty map.
    pub fn from_filter(
        conds: &BTreeMap<String, LegacyCondition>,
        or: bool,
    ) -> Result<Option<Condition>, ExprError> {
        check_conditions(conds)?;
        let leaves = conds
            .iter()
            .map(|(attr, c)| leaf(attr, c.op, &c.values))
            .collect();
        Ok(join(leaves, or))
    }

    /// An `Expected` map with DynamoDB's checks, entries joined by
    /// `ConditionalOperator` (`or`). `None` for an empty map.
    pub fn from_expected(
        conds: &BTreeMap<String, ExpectedCondition>,
        or: bool,
    ) -> Result<Option<Condition>, ExprError> {
        let mut leaves = Vec::with_capacity(conds.len());
        for (attr, c) in conds {
            leaves.push(expected_leaf(attr, c)?);
        }
        Ok(join(leaves, or))
    }
}

/// One `Expected` entry (dynalite's `validateAttributeConditions`).
fn expected_leaf(attr: &str, c: &ExpectedCondition) -> Result<Cond, ExprError> {
    if c.values.is_some() && c.value.is_some() {
        return Err(invalid(format!(
            "Value and AttributeValueList cannot be used together for Attribute: {attr}"
        )));
    }
    if let Some(op) = c.op {
        if c.exists.is_some() {
            return Err(invalid(format!(
                "Exists and ComparisonOperator cannot be used together for Attribute: {attr}"
            )));
        }
        let values: Vec<AttributeValue> = match (&c.values, &c.value) {
            (Some(list), _) => list.clone(),
            (None, Some(v)) => vec![v.clone()],
            (None, None) => {
                if !matches!(op, ComparisonOperator::Null | ComparisonOperator::NotNull) {
                    return Err(invalid(format!(
                        "Value or AttributeValueList must be used with ComparisonOperator: {} for Attribute: {attr}",
                        op.name()
                    )));
                }
                Vec::new()
            }
        };
        if !op.arity_ok(values.len()) {
            return Err(arity_error(op));
        }
        check_same_type(&values)?;
        check_between_bounds(op, &values)?;
        return Ok(leaf(attr, op, &values));
    }
    if c.values.is_some() {
        return Err(invalid(format!(
            "AttributeValueList can only be used with a ComparisonOperator for Attribute: {attr}"
        )));
    }
    let exists = c.exists.unwrap_or(true);
    match (&c.value, exists) {
        (None, true) => Err(invalid(format!(
            "Value must be provided when Exists is {} for Attribute: {attr}",
            match c.exists {
                None => "null",
                Some(_) => "true",
            }
        ))),
        (Some(_), false) => Err(invalid(format!(
            "Value cannot be used when Exists is false for Attribute: {attr}"
        ))),
        (Some(v), true) => Ok(leaf(attr, ComparisonOperator::Eq, std::slice::from_ref(v))),
        (None, false) => Ok(Cond::NotExists(top(attr))),
    }
}

impl Projection {
    /// `AttributesToGet`: top-level attributes, no duplicates.
    pub fn from_attributes(names: &[String]) -> Result<Projection, ExprError> {
        for (i, n) in names.iter().enumerate() {
            if names[..i].contains(n) {
                return Err(invalid(format!("Duplicate value in attribute name: {n}")));
            }
        }
        let paths: Vec<Path> = names.iter().map(|n| top(n)).collect();
        let tree = Tree::new(&paths);
        Ok(Projection { paths, tree })
    }
}

impl Update {
    /// `AttributeUpdates`, with DynamoDB's checks.
    pub fn from_attribute_updates(
        updates: &BTreeMap<String, AttributeUpdate>,
    ) -> Result<Update, ExprError> {
        let mut actions = Vec::with_capacity(updates.len());
        for (attr, u) in updates {
            let action = match (u.action, &u.value) {
                (UpdateAction::Delete, None) => UAction::Remove,
                (_, None) => {
                    return Err(invalid(
                        "Only DELETE action is allowed when no attribute value is specified",
                    ));
                }
                (UpdateAction::Put, Some(v)) => UAction::Set(UVal::Const(v.clone())),
                (UpdateAction::Delete, Some(v)) => match v {
                    AttributeValue::SS(_) | AttributeValue::NS(_) | AttributeValue::BS(_) => {
                        UAction::Delete(v.clone())
                    }
                    _ => {
                        return Err(invalid(format!(
                            "DELETE action with value is not supported for the type {}",
                            type_code(v)
                        )));
                    }
                },
                (UpdateAction::Add, Some(v)) => match v {
                    AttributeValue::N(_)
                    | AttributeValue::SS(_)
                    | AttributeValue::NS(_)
                    | AttributeValue::BS(_) => UAction::Add(v.clone()),
                    AttributeValue::L(_) => UAction::Set(UVal::ListAppend(
                        Box::new(UVal::IfNotExists(
                            top(attr),
                            Box::new(UVal::Const(AttributeValue::L(Vec::new()))),
                        )),
                        Box::new(UVal::Const(v.clone())),
                    )),
                    _ => {
                        return Err(invalid(format!(
                            "ADD action is not supported for the type {}",
                            type_code(v)
                        )));
                    }
                },
            };
            actions.push((top(attr), action));
        }
        let plan = Plan::new(&actions);
        let targets = Tree::new(actions.iter().map(|(path, _)| path));
        Ok(Update {
            actions,
            plan,
            targets,
            legacy: true,
        })
    }
}

/// DynamoDB's message for an AttributeUpdates value of the wrong type for
/// the stored attribute.
pub(crate) const LEGACY_TYPE_MISMATCH: &str = "Type mismatch for attribute to update";

/// Map an update error to the legacy wording where DynamoDB has one.
pub(crate) fn legacy_update_error(e: ExprError) -> ExprError {
    if e.message == msg::UPDATE_TYPE_MISMATCH {
        ExprError::new(LEGACY_TYPE_MISMATCH)
    } else {
        e
    }
}

/// DynamoDB's checks on `KeyConditions` before the table is looked up:
/// [`check_conditions`], then one or two conditions.
pub fn check_key_conditions(conds: &BTreeMap<String, LegacyCondition>) -> Result<(), ExprError> {
    check_conditions(conds)?;
    if conds.is_empty() || conds.len() > 2 {
        return Err(ExprError::new(msg::CONDITIONS_LENGTH));
    }
    Ok(())
}

impl KeyCondition {
    /// `KeyConditions` (checked with [`check_key_conditions`]) against
    /// the key schema of the table or queried index, in the order DynamoDB
    /// checks: hash key then range key; per key, presence, an indexable
    /// operator, the value type, `EQ` on the hash key.
    pub fn from_key_conditions(
        conds: &BTreeMap<String, LegacyCondition>,
        schema: &KeySchema,
    ) -> Result<KeyCondition, ExprError> {
        let keys =
            std::iter::once((&schema.hash, true)).chain(schema.range.iter().map(|r| (r, false)));
        for (key, is_hash) in keys {
            if is_hash && schema.range.is_none() && conds.len() > 1 {
                return Err(ExprError::new(msg::KEY_CONDITION_NOT_SUPPORTED));
            }
            let Some(c) = conds.get(&key.name) else {
                if is_hash || conds.len() > 1 {
                    return Err(ExprError::new(format!(
                        "Query condition missed key schema element: {}",
                        key.name
                    )));
                }
                continue;
            };
            if !c.op.indexable() {
                return Err(ExprError::new(
                    "Attempted conditional constraint is not an indexable operation",
                ));
            }
            let want = match key.ty {
                ScalarType::S => "S",
                ScalarType::N => "N",
                ScalarType::B => "B",
            };
            if c.values.iter().any(|v| type_code(v) != want) {
                return Err(ExprError::new(msg::KEY_TYPE_MISMATCH));
            }
            if is_hash && c.op != ComparisonOperator::Eq {
                return Err(ExprError::new(msg::KEY_CONDITION_NOT_SUPPORTED));
            }
        }
        let value = |name: &str, i: usize| {
            conds
                .get(name)
                .and_then(|c| c.values.get(i).cloned())
                .unwrap_or(AttributeValue::Null)
        };
        let hash = value(&schema.hash.name, 0);
        let sort = schema.range.as_ref().and_then(|r| {
            let c = conds.get(&r.name)?;
            let v = || value(&r.name, 0);
            Some(match c.op {
                ComparisonOperator::Lt => SortKeyCondition::Lt(v()),
                ComparisonOperator::Le => SortKeyCondition::Le(v()),
                ComparisonOperator::Gt => SortKeyCondition::Gt(v()),
                ComparisonOperator::Ge => SortKeyCondition::Ge(v()),
                ComparisonOperator::BeginsWith => SortKeyCondition::BeginsWith(v()),
                ComparisonOperator::Between => SortKeyCondition::Between(v(), value(&r.name, 1)),
                // Only indexable operators get here.
                _ => SortKeyCondition::Eq(v()),
            })
        });
        Ok(KeyCondition { hash, sort })
    }
}

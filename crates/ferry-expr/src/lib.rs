//! DynamoDB's expression language: lexer, parser, name/value resolution and
//! evaluation for ConditionExpression, FilterExpression, ProjectionExpression,
//! UpdateExpression and KeyConditionExpression.
//!
//! Knows `ferry_model` values and items only: no storage, no JSON, no HTTP.
//! Every error carries the exact message DynamoDB sends in its
//! ValidationException (e.g. `Invalid UpdateExpression: Syntax error; token:
//! "<EOF>", near: "SET"`), so the server passes `ExprError::message` through
//! unchanged.
//!
//! Pipeline: `lexer` → `parser` (raw tree, syntax errors) → `resolve`
//! (placeholders substituted, semantic checks in DynamoDB's order) → `eval`
//! (conditions), `update`, `projection`, `key_condition`.
//!
//! A request's expressions share one [`Placeholders`]: call
//! [`Placeholders::validate`] first (the maps themselves), compile every
//! expression, then [`Placeholders::check_all_used`].
// Input reaches this crate: a panic is never the answer to bad input.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::Mutex;

use ferry_model::{AttributeValue, Item, KeySchema};

mod ast;
mod error;
mod eval;
mod functions;
mod key_condition;
mod legacy;
mod lexer;
mod parser;
mod projection;
mod reserved;
mod resolve;
mod update;

pub use error::ExprError;
pub use functions::{compare, values_equal};
pub use legacy::{
    AttributeUpdate, ComparisonOperator, ExpectedCondition, LegacyCondition, UpdateAction,
    check_conditions, check_key_conditions,
};

/// A document path element: `a`, `[2]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PathElem {
    Attr(String),
    Index(usize),
}

/// A resolved document path (placeholders already replaced).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Path(pub Vec<PathElem>);

impl Path {
    /// The top-level attribute name the path starts with.
    #[must_use]
    pub fn top_level_name(&self) -> Option<&str> {
        match self.0.first() {
            Some(PathElem::Attr(a)) => Some(a),
            _ => None,
        }
    }

    /// Whether the path goes below the top level (`a.b`, `a[0]`).
    pub fn is_nested(&self) -> bool {
        self.0.len() > 1
    }
}

/// The ExpressionAttributeNames / ExpressionAttributeValues of one request,
/// recording which ones the request's expressions used.
pub struct Placeholders<'a> {
    pub names: Option<&'a HashMap<String, String>>,
    pub values: Option<&'a HashMap<String, AttributeValue>>,
    // Mutex (not RefCell) so a request's placeholders are Sync.
    used_names: Mutex<BTreeSet<String>>,
    used_values: Mutex<BTreeSet<String>>,
}

impl<'a> Placeholders<'a> {
    #[must_use]
    pub fn new(
        names: Option<&'a HashMap<String, String>>,
        values: Option<&'a HashMap<String, AttributeValue>>,
    ) -> Self {
        Placeholders {
            names,
            values,
            used_names: Mutex::new(BTreeSet::new()),
            used_values: Mutex::new(BTreeSet::new()),
        }
    }

    /// After every expression of the request was compiled: DynamoDB's error
    /// for names or values given but unused ("Value provided in
    /// ExpressionAttributeNames unused in expressions: keys: {#a}"), and for
    /// empty maps ("ExpressionAttributeValues must not be empty").
    pub fn check_all_used(&self) -> Result<(), ExprError> {
        self.validate()?;
        for (map, unused) in [
            ("ExpressionAttributeNames", self.unused_names()),
            ("ExpressionAttributeValues", self.unused_values()),
        ] {
            if !unused.is_empty() {
                return Err(ExprError::new(format!(
                    "Value provided in {map} unused in expressions: keys: {{{}}}",
                    unused.join(", ")
                )));
            }
        }
        Ok(())
    }
}

/// Top-level names of `paths`, sorted and unique.
fn top_names<'p>(paths: impl Iterator<Item = &'p Path>, nested_only: bool) -> Vec<String> {
    let set: BTreeSet<&str> = paths
        .filter(|p| !nested_only || p.is_nested())
        .filter_map(Path::top_level_name)
        .collect();
    set.into_iter().map(str::to_string).collect()
}

/// A compiled ConditionExpression or FilterExpression.
#[derive(Clone, Debug)]
pub struct Condition {
    cond: ast::Cond,
}

static EMPTY_ITEM: Item = Item::new();

impl Condition {
    /// `kind` names the request parameter in messages: "ConditionExpression",
    /// "FilterExpression".
    pub fn compile(text: &str, kind: &str, p: &Placeholders<'_>) -> Result<Condition, ExprError> {
        p.validate()?;
        let parsed = parser::parse_condition(text, kind)?;
        Ok(Condition {
            cond: resolve::condition(parsed, kind, p)?,
        })
    }

    /// Evaluate against an item (`None`/empty item = it does not exist).
    pub fn eval(&self, item: Option<&Item>) -> Result<bool, ExprError> {
        Ok(eval::eval(&self.cond, item.unwrap_or(&EMPTY_ITEM)))
    }

    /// Every document path the condition reads, in source order.
    pub fn paths(&self) -> Vec<&Path> {
        let mut out = Vec::new();
        cond_paths(&self.cond, &mut out);
        out
    }

    /// The top-level attribute names the condition reads (for "Filter
    /// Expression can only contain non-primary key attributes").
    pub fn top_level_names(&self) -> Vec<String> {
        top_names(self.paths().into_iter(), false)
    }

    /// Top-level names read through a nested path (`a.b`, `a[0]`), for "Key
    /// attributes must be scalars; list random access '[]' and map lookup
    /// '.' are not allowed".
    pub fn nested_top_level_names(&self) -> Vec<String> {
        top_names(self.paths().into_iter(), true)
    }
}

fn val_paths<'c>(v: &'c ast::Val, out: &mut Vec<&'c Path>) {
    match v {
        ast::Val::Path(p) => out.push(p),
        ast::Val::Const(_) => {}
        ast::Val::Size(inner) => val_paths(inner, out),
    }
}

fn cond_paths<'c>(c: &'c ast::Cond, out: &mut Vec<&'c Path>) {
    use ast::Cond as C;
    match c {
        C::Cmp(_, a, b) | C::BeginsWith(a, b) | C::Contains(a, b) => {
            val_paths(a, out);
            val_paths(b, out);
        }
        C::Between(a, b, d) => [a, b, d].into_iter().for_each(|v| val_paths(v, out)),
        C::In(a, list) => std::iter::once(a)
            .chain(list)
            .for_each(|v| val_paths(v, out)),
        C::Exists(p) | C::NotExists(p) | C::Type(p, _) => out.push(p),
        C::Not(inner) => cond_paths(inner, out),
        C::And(a, b) | C::Or(a, b) => {
            cond_paths(a, out);
            cond_paths(b, out);
        }
    }
}

impl fmt::Display for Condition {
    /// An S-expression dump of the compiled condition.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.cond)
    }
}

/// A compiled ProjectionExpression.
#[derive(Clone, Debug)]
pub struct Projection {
    paths: Vec<Path>,
    tree: projection::Tree,
}

impl Projection {
    pub fn compile(text: &str, p: &Placeholders<'_>) -> Result<Projection, ExprError> {
        const KIND: &str = "ProjectionExpression";
        p.validate()?;
        let parsed = parser::parse_projection(text, KIND)?;
        let paths = resolve::projection(parsed, KIND, p)?;
        let tree = projection::Tree::new(&paths);
        Ok(Projection { paths, tree })
    }

    /// The projected copy of `item` (nested paths keep their structure).
    pub fn apply(&self, item: &Item) -> Item {
        self.tree.apply(item)
    }

    /// The top-level attribute names the projection touches.
    pub fn top_level_names(&self) -> Vec<String> {
        self.tree.top_level_names()
    }

    /// The projected paths, in source order.
    pub fn paths(&self) -> &[Path] {
        &self.paths
    }

    /// Top-level names projected through a nested path.
    pub fn nested_top_level_names(&self) -> Vec<String> {
        top_names(self.paths.iter(), true)
    }
}

impl fmt::Display for Projection {
    /// The projected paths, comma-separated.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.paths.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

/// A compiled UpdateExpression (SET, REMOVE, ADD, DELETE).
#[derive(Clone, Debug)]
pub struct Update {
    actions: Vec<(Path, ast::UAction)>,
    plan: update::Plan,
    targets: projection::Tree,
    /// Built from `AttributeUpdates`: type mismatches use the legacy message.
    legacy: bool,
}

impl Update {
    pub fn compile(text: &str, p: &Placeholders<'_>) -> Result<Update, ExprError> {
        const KIND: &str = "UpdateExpression";
        p.validate()?;
        let parsed = parser::parse_update(text, KIND)?;
        let actions = resolve::update(parsed, KIND, p)?;
        let plan = update::Plan::new(&actions);
        let targets = projection::Tree::new(actions.iter().map(|(path, _)| path));
        Ok(Update {
            actions,
            plan,
            targets,
            legacy: false,
        })
    }

    /// Apply to the current item (a new item holding only the key when it does
    /// not exist). Errors are DynamoDB's (e.g. "The provided expression refers
    /// to an attribute that does not exist in the item"); on error the item
    /// is unchanged.
    pub fn apply(&self, item: &mut Item) -> Result<(), ExprError> {
        let applied = self.plan.apply(item);
        if self.legacy {
            applied.map_err(legacy::legacy_update_error)
        } else {
            applied
        }
    }

    /// Whether every action only removes (REMOVE, DELETE from a set,
    /// AttributeUpdates DELETE): on a missing item such an update creates
    /// nothing.
    pub fn only_removes(&self) -> bool {
        !self.actions.is_empty()
            && self
                .actions
                .iter()
                .all(|(_, a)| matches!(a, ast::UAction::Remove | ast::UAction::Delete(_)))
    }

    /// Top-level attribute names the update writes or removes (the server
    /// refuses updates to key attributes with DynamoDB's message).
    pub fn top_level_targets(&self) -> Vec<String> {
        self.plan.top_level_targets()
    }

    /// The part of `item` the update's target paths select: ReturnValues
    /// UPDATED_OLD (applied to the old item) and UPDATED_NEW (to the new).
    pub fn project_updated(&self, item: &Item) -> Item {
        self.targets.apply(item)
    }

    /// Every document path the update writes or reads, in source order.
    pub fn paths(&self) -> Vec<&Path> {
        let mut out = Vec::new();
        for (target, action) in &self.actions {
            out.push(target);
            if let ast::UAction::Set(v) = action {
                uval_paths(v, &mut out);
            }
        }
        out
    }

    /// Top-level names written or read through a nested path.
    pub fn nested_top_level_names(&self) -> Vec<String> {
        top_names(self.paths().into_iter(), true)
    }
}

fn uval_paths<'u>(v: &'u ast::UVal, out: &mut Vec<&'u Path>) {
    use ast::UVal as U;
    match v {
        U::Path(p) => out.push(p),
        U::Const(_) => {}
        U::IfNotExists(p, d) => {
            out.push(p);
            uval_paths(d, out);
        }
        U::ListAppend(a, b) | U::Plus(a, b) | U::Minus(a, b) => {
            uval_paths(a, out);
            uval_paths(b, out);
        }
    }
}

impl fmt::Display for Update {
    /// One `(ACTION path value)` per action, in source order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (path, action)) in self.actions.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            match action {
                ast::UAction::Set(v) => write!(f, "(SET {path} {v})")?,
                ast::UAction::Remove => write!(f, "(REMOVE {path})")?,
                ast::UAction::Add(v) => write!(f, "(ADD {path} {})", ast::ShowValue(v))?,
                ast::UAction::Delete(v) => write!(f, "(DELETE {path} {})", ast::ShowValue(v))?,
            }
        }
        Ok(())
    }
}

/// The sort-key part of a resolved KeyConditionExpression.
#[derive(Clone, Debug, PartialEq)]
pub enum SortKeyCondition {
    Eq(AttributeValue),
    Lt(AttributeValue),
    Le(AttributeValue),
    Gt(AttributeValue),
    Ge(AttributeValue),
    Between(AttributeValue, AttributeValue),
    BeginsWith(AttributeValue),
}

/// A compiled KeyConditionExpression against a key schema (the table's or
/// the queried index's).
#[derive(Clone, Debug, PartialEq)]
pub struct KeyCondition {
    pub hash: AttributeValue,
    pub sort: Option<SortKeyCondition>,
}

impl KeyCondition {
    /// Parse and check against `schema` with DynamoDB's messages ("Query
    /// condition missed key schema element: pk", "Query key condition not
    /// supported", type mismatches, …). Same as [`KeyConditionExpr::compile`]
    /// then [`KeyConditionExpr::against`].
    pub fn compile(
        text: &str,
        schema: &KeySchema,
        p: &Placeholders<'_>,
    ) -> Result<KeyCondition, ExprError> {
        KeyConditionExpr::compile(text, p)?.against(schema)
    }
}

impl fmt::Display for KeyCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ast::ShowValue as V;
        write!(f, "(hash {})", V(&self.hash))?;
        match &self.sort {
            None => Ok(()),
            Some(s) => match s {
                SortKeyCondition::Eq(v) => write!(f, " (sort = {})", V(v)),
                SortKeyCondition::Lt(v) => write!(f, " (sort < {})", V(v)),
                SortKeyCondition::Le(v) => write!(f, " (sort <= {})", V(v)),
                SortKeyCondition::Gt(v) => write!(f, " (sort > {})", V(v)),
                SortKeyCondition::Ge(v) => write!(f, " (sort >= {})", V(v)),
                SortKeyCondition::Between(a, b) => {
                    write!(f, " (sort BETWEEN {} {})", V(a), V(b))
                }
                SortKeyCondition::BeginsWith(v) => write!(f, " (sort begins_with {})", V(v)),
            },
        }
    }
}

/// A KeyConditionExpression checked as far as possible without a schema:
/// DynamoDB reports these errors before it looks the table up, and the
/// schema errors after.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyConditionExpr {
    conds: Vec<key_condition::KeyCond>,
}

impl KeyConditionExpr {
    /// Parse, resolve and extract the per-key conditions.
    pub fn compile(text: &str, p: &Placeholders<'_>) -> Result<KeyConditionExpr, ExprError> {
        const KIND: &str = "KeyConditionExpression";
        p.validate()?;
        let parsed = parser::parse_condition(text, KIND)?;
        let cond = resolve::condition(parsed, KIND, p)?;
        Ok(KeyConditionExpr {
            conds: key_condition::extract(&cond)?,
        })
    }

    /// Check against the key schema of the table or queried index.
    pub fn against(&self, schema: &KeySchema) -> Result<KeyCondition, ExprError> {
        key_condition::against(&self.conds, schema)
    }
}

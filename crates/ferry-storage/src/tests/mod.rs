//! Engine-level tests: a model-based test against a `BTreeMap` oracle,
//! restarts, indexes, bulk loading, history and pruning.

mod backfill;
mod bulk;
mod bulk_fast;
mod engine;
mod indexes;
mod model;
mod stream;
mod txn;

use ferry_model::{
    AttributeValue, BillingMode, IndexDef, IndexKind, Item, KeyAttr, KeySchema, Number,
    PitrSettings, Projection, ProjectionType, ScalarType, TableDef, TableSettings, TableStatus,
};

pub(crate) fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

pub(crate) fn n(v: i64) -> AttributeValue {
    AttributeValue::N(Number::from(v))
}

pub(crate) fn item(pairs: &[(&str, AttributeValue)]) -> Item {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

pub(crate) fn key_attr(name: &str, ty: ScalarType) -> KeyAttr {
    KeyAttr {
        name: name.to_string(),
        ty,
    }
}

pub(crate) fn index(
    name: &str,
    kind: IndexKind,
    hash: KeyAttr,
    range: Option<KeyAttr>,
    ty: ProjectionType,
    include: &[&str],
) -> IndexDef {
    IndexDef {
        name: name.to_string(),
        kind,
        key: KeySchema { hash, range },
        projection: Projection {
            ty,
            non_key_attributes: include.iter().map(|s| s.to_string()).collect(),
        },
    }
}

/// A table `name` keyed by `pk` (S) and `sk` (N), with the given indexes.
pub(crate) fn table_def(name: &str, indexes: Vec<IndexDef>, pitr: bool) -> TableDef {
    TableDef {
        name: name.to_string(),
        id: format!("id-{name}"),
        key: KeySchema {
            hash: key_attr("pk", ScalarType::S),
            range: Some(key_attr("sk", ScalarType::N)),
        },
        indexes,
        created_micros: 1,
        status: TableStatus::Active,
        pitr: pitr.then_some(PitrSettings {
            recovery_period_days: 35,
            enabled_micros: 0,
        }),
        settings: TableSettings {
            billing_mode: Some(BillingMode::PayPerRequest),
            ..TableSettings::default()
        },
    }
}

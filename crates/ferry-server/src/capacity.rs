//! `ReturnConsumedCapacity` (NONE | TOTAL | INDEXES) by DynamoDB's rules.
//!
//! - Reads: 4 KB units, an eventually consistent read costs half. GetItem
//!   and each BatchGetItem key are rounded one by one (a missing item still
//!   costs one unit); Query and Scan round the summed size of the items
//!   *read* (before the filter), at least one unit.
//! - Writes: 1 KB units of the larger of the old and the new item (a delete
//!   of a missing item, or a write that changes nothing, still costs one).
//!   Each secondary index whose entry changes costs its own units of the
//!   projected entry: one write for an entry put or removed, two when the
//!   index key changes (the old entry is deleted, the new one put), none
//!   when no projected attribute changes.
//! - TOTAL answers `TableName` and `CapacityUnits` (table plus indexes);
//!   INDEXES adds `Table` and the `LocalSecondaryIndexes` /
//!   `GlobalSecondaryIndexes` maps. Like real DynamoDB for non-transactional
//!   operations, `ReadCapacityUnits`/`WriteCapacityUnits` are not sent.

use std::collections::BTreeMap;

use ferry_model::{IndexDef, IndexKind, Item, ProjectionType, TableDef, item_size};

use crate::wire::{Capacity, ConsumedCapacity};

pub const CAPACITY_VALUES: &[&str] = &["INDEXES", "TOTAL", "NONE"];

/// Capacity accounting as the request asked for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CapacityMode {
    None,
    Total,
    Indexes,
}

impl CapacityMode {
    /// The (already validated) `ReturnConsumedCapacity` value.
    pub fn parse(v: Option<&str>) -> CapacityMode {
        match v {
            Some("TOTAL") => CapacityMode::Total,
            Some("INDEXES") => CapacityMode::Indexes,
            _ => CapacityMode::None,
        }
    }

    /// The `ConsumedCapacity` of one table, or `None` when not asked for.
    pub fn report(self, table: &str, usage: &Usage) -> Option<ConsumedCapacity> {
        let indexes = |m: &BTreeMap<String, f64>| {
            (!m.is_empty()).then(|| {
                m.iter()
                    .map(|(k, v)| (k.clone(), Capacity::units(*v)))
                    .collect::<BTreeMap<_, _>>()
            })
        };
        match self {
            CapacityMode::None => None,
            CapacityMode::Total => Some(ConsumedCapacity {
                table_name: table.to_string(),
                capacity_units: usage.total(),
                ..Default::default()
            }),
            CapacityMode::Indexes => Some(ConsumedCapacity {
                table_name: table.to_string(),
                capacity_units: usage.total(),
                table: Some(Capacity::units(usage.table)),
                local_secondary_indexes: indexes(&usage.local),
                global_secondary_indexes: indexes(&usage.global),
                ..Default::default()
            }),
        }
    }
}

/// Read units for `bytes` read (4 KB units, halved when eventually
/// consistent; at least one unit).
pub fn read_units(bytes: u64, consistent: bool) -> f64 {
    let units = bytes.div_ceil(4096).max(1) as f64;
    if consistent { units } else { units / 2.0 }
}

/// Write units for an item of `bytes` (1 KB units, at least one).
pub fn write_units(bytes: u64) -> f64 {
    bytes.div_ceil(1024).max(1) as f64
}

/// Units consumed on a table and on each of its indexes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Usage {
    pub table: f64,
    pub local: BTreeMap<String, f64>,
    pub global: BTreeMap<String, f64>,
}

impl Usage {
    /// Units on the table only.
    pub fn table(units: f64) -> Usage {
        Usage {
            table: units,
            ..Default::default()
        }
    }

    /// Units on one index only (a Query or Scan of an index).
    pub fn index(index: &IndexDef, units: f64) -> Usage {
        let mut u = Usage::default();
        u.add_index(index, units);
        u
    }

    pub fn add_index(&mut self, index: &IndexDef, units: f64) {
        let map = match index.kind {
            IndexKind::Local => &mut self.local,
            IndexKind::Global => &mut self.global,
        };
        *map.entry(index.name.clone()).or_insert(0.0) += units;
    }

    /// Add another usage of the same table (BatchWriteItem, BatchGetItem).
    pub fn add(&mut self, other: &Usage) {
        self.table += other.table;
        for (k, v) in &other.local {
            *self.local.entry(k.clone()).or_insert(0.0) += v;
        }
        for (k, v) in &other.global {
            *self.global.entry(k.clone()).or_insert(0.0) += v;
        }
    }

    /// Table plus every index.
    pub fn total(&self) -> f64 {
        self.table + self.local.values().sum::<f64>() + self.global.values().sum::<f64>()
    }
}

/// Whether `item` has `index`'s key attributes with the defined types (only
/// then is it in the index).
fn in_index(index: &IndexDef, item: &Item) -> bool {
    std::iter::once(&index.key.hash)
        .chain(index.key.range.iter())
        .all(|a| item.get(&a.name).and_then(|v| v.scalar_type()) == Some(a.ty))
}

/// The index entry of `item`: the table and index keys plus the projected
/// attributes.
fn projected(def: &TableDef, index: &IndexDef, item: &Item) -> Item {
    if index.projection.ty == ProjectionType::All {
        return item.clone();
    }
    let keys = [
        Some(&def.key.hash),
        def.key.range.as_ref(),
        Some(&index.key.hash),
        index.key.range.as_ref(),
    ];
    let names = keys.into_iter().flatten().map(|a| &a.name).chain(
        index
            .projection
            .non_key_attributes
            .iter()
            .filter(|_| index.projection.ty == ProjectionType::Include),
    );
    names
        .filter_map(|n| item.get(n).map(|v| (n.clone(), v.clone())))
        .collect()
}

fn index_key_values<'a>(
    index: &IndexDef,
    item: &'a Item,
) -> Vec<Option<&'a ferry_model::AttributeValue>> {
    std::iter::once(&index.key.hash)
        .chain(index.key.range.iter())
        .map(|a| item.get(&a.name))
        .collect()
}

/// The capacity of replacing `old` by `new` (either may be absent).
pub fn write_usage(def: &TableDef, old: Option<&Item>, new: Option<&Item>) -> Usage {
    let size = |i: Option<&Item>| i.map_or(0, |i| item_size(i) as u64);
    let mut usage = Usage::table(write_units(size(old).max(size(new))));
    for index in &def.indexes {
        let old_e = old
            .filter(|o| in_index(index, o))
            .map(|o| projected(def, index, o));
        let new_e = new
            .filter(|n| in_index(index, n))
            .map(|n| projected(def, index, n));
        let units = match (&old_e, &new_e) {
            (None, None) => 0.0,
            (Some(o), None) => write_units(item_size(o) as u64),
            (None, Some(n)) => write_units(item_size(n) as u64),
            (Some(o), Some(n)) => {
                let (Some(old_item), Some(new_item)) = (old, new) else {
                    continue;
                };
                if index_key_values(index, old_item) != index_key_values(index, new_item) {
                    write_units(item_size(o) as u64) + write_units(item_size(n) as u64)
                } else if o != n {
                    write_units(item_size(n) as u64)
                } else {
                    0.0
                }
            }
        };
        if units > 0.0 {
            usage.add_index(index, units);
        }
    }
    usage
}

#[cfg(test)]
mod tests {
    use ferry_model::{
        AttributeValue, KeyAttr, KeySchema, Number, Projection, ScalarType, TableStatus,
    };

    use super::*;

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.into())
    }

    fn n(v: &str) -> AttributeValue {
        AttributeValue::N(Number::parse(v).unwrap())
    }

    fn attr(name: &str, ty: ScalarType) -> KeyAttr {
        KeyAttr {
            name: name.into(),
            ty,
        }
    }

    fn def() -> TableDef {
        TableDef {
            name: "t".into(),
            id: String::new(),
            key: KeySchema {
                hash: attr("pk", ScalarType::S),
                range: None,
            },
            indexes: vec![IndexDef {
                name: "by_g".into(),
                kind: IndexKind::Global,
                key: KeySchema {
                    hash: attr("g", ScalarType::S),
                    range: None,
                },
                projection: Projection {
                    ty: ProjectionType::Include,
                    non_key_attributes: vec!["p".into()],
                },
            }],
            created_micros: 0,
            status: TableStatus::Active,
            pitr: None,
            settings: Default::default(),
        }
    }

    fn item(pairs: &[(&str, AttributeValue)]) -> Item {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn units() {
        assert_eq!(read_units(0, false), 0.5);
        assert_eq!(read_units(4096, true), 1.0);
        assert_eq!(read_units(4097, true), 2.0);
        assert_eq!(read_units(8193, false), 1.5);
        assert_eq!(write_units(0), 1.0);
        assert_eq!(write_units(1024), 1.0);
        assert_eq!(write_units(1025), 2.0);
    }

    #[test]
    fn index_writes() {
        let d = def();
        let plain = item(&[("pk", s("a")), ("x", s("1"))]);
        // Not in the index: the table only.
        assert_eq!(write_usage(&d, None, Some(&plain)), Usage::table(1.0));
        // A new entry: one index write.
        let with_g = item(&[("pk", s("a")), ("g", s("k")), ("p", s("v"))]);
        let u = write_usage(&d, Some(&plain), Some(&with_g));
        assert_eq!(u.table, 1.0);
        assert_eq!(u.global["by_g"], 1.0);
        assert_eq!(u.total(), 2.0);
        // An unprojected attribute changes: no index write.
        let mut other = with_g.clone();
        other.insert("x".into(), n("5"));
        assert!(
            write_usage(&d, Some(&with_g), Some(&other))
                .global
                .is_empty()
        );
        // A projected attribute changes: one index write.
        let mut proj = with_g.clone();
        proj.insert("p".into(), s("w"));
        assert_eq!(
            write_usage(&d, Some(&with_g), Some(&proj)).global["by_g"],
            1.0
        );
        // The index key changes: delete plus put.
        let mut moved = with_g.clone();
        moved.insert("g".into(), s("other"));
        assert_eq!(
            write_usage(&d, Some(&with_g), Some(&moved)).global["by_g"],
            2.0
        );
        // Deleted: one index write.
        assert_eq!(write_usage(&d, Some(&with_g), None).global["by_g"], 1.0);
        // A wrongly typed index key is not in the index.
        let typed = item(&[("pk", s("a")), ("g", n("1"))]);
        assert!(write_usage(&d, None, Some(&typed)).global.is_empty());
    }

    #[test]
    fn reports() {
        let d = def();
        let mut u = Usage::table(1.0);
        u.add_index(&d.indexes[0], 2.0);
        let total = CapacityMode::Total.report("t", &u).unwrap();
        assert_eq!(
            serde_json::to_string(&total).unwrap(),
            r#"{"TableName":"t","CapacityUnits":3.0}"#
        );
        let idx = CapacityMode::Indexes.report("t", &u).unwrap();
        assert_eq!(
            serde_json::to_string(&idx).unwrap(),
            r#"{"TableName":"t","CapacityUnits":3.0,"Table":{"CapacityUnits":1.0},"GlobalSecondaryIndexes":{"by_g":{"CapacityUnits":2.0}}}"#
        );
        assert!(CapacityMode::None.report("t", &u).is_none());
    }
}

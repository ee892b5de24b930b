//! Key schemas, attribute definitions, secondary index and table definitions.

use serde::{Deserialize, Serialize};

/// The type of a key attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ScalarType {
    S,
    N,
    B,
}

impl ScalarType {
    /// The type's name in DynamoDB: `S`, `N` or `B`.
    pub fn as_str(self) -> &'static str {
        match self {
            ScalarType::S => "S",
            ScalarType::N => "N",
            ScalarType::B => "B",
        }
    }
}

/// One key attribute: its name and type.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KeyAttr {
    pub name: String,
    pub ty: ScalarType,
}

/// A primary key schema: a partition (HASH) key and an optional sort (RANGE) key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KeySchema {
    pub hash: KeyAttr,
    pub range: Option<KeyAttr>,
}

/// An attribute definition as given to CreateTable.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AttributeDefinition {
    pub name: String,
    pub ty: ScalarType,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ProjectionType {
    All,
    KeysOnly,
    Include,
}

/// Which attributes a secondary index holds besides the keys.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Projection {
    pub ty: ProjectionType,
    /// Only for `Include`.
    pub non_key_attributes: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum IndexKind {
    Global,
    Local,
}

/// A secondary index.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IndexDef {
    pub name: String,
    pub kind: IndexKind,
    pub key: KeySchema,
    pub projection: Projection,
}

/// A table's lifecycle state, as DescribeTable reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TableStatus {
    Creating,
    Active,
    Updating,
    Deleting,
}

/// Point-in-time recovery settings of a table. While set, the engine keeps
/// every item version younger than the window (and the newest one older).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PitrSettings {
    /// 1..=35.
    pub recovery_period_days: u32,
    /// When PITR was (last) turned on, microseconds since the Unix epoch:
    /// the earliest restorable time can never be before it.
    pub enabled_micros: i64,
}

/// A table: what the storage engine needs to know about it, and the rest of
/// its DynamoDB description (throughput, tags, …) in `settings`, which the
/// engine stores and returns untouched.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableDef {
    pub name: String,
    /// A UUID, as DynamoDB's TableId.
    pub id: String,
    pub key: KeySchema,
    pub indexes: Vec<IndexDef>,
    /// Creation time, microseconds since the Unix epoch.
    pub created_micros: i64,
    pub status: TableStatus,
    /// `Some` while point-in-time recovery is on.
    pub pitr: Option<PitrSettings>,
    /// The described settings the engine does not act on.
    pub settings: crate::TableSettings,
}

//! `TableDescription`: built from the engine's `TableDef` plus the
//! server-owned fields kept in `TableDef.extra` ([`TableExtra`]: throughput,
//! billing mode, tags, stream/SSE settings, the attribute definitions as
//! given). Other writers of tables (imports, restores) fill `TableExtra`
//! too; every field is optional so a bare `extra` still describes well.

use std::collections::BTreeMap;

use ferry_model::{IndexKind, KeySchema, ProjectionType, TableDef, TableStatus};
use ferry_storage::TableStats;
use serde::{Deserialize, Serialize};

use crate::state::AppState;
use crate::validation::scalar_name;
use crate::wire::tables::{
    AttributeDefinitionW, BillingModeSummary, GlobalSecondaryIndexDescription, KeySchemaElementW,
    LocalSecondaryIndexDescription, ProjectionW, SseDescription, SseSpecificationW,
    StreamSpecificationW, TableClassSummary, TableDescription, TagW, ThroughputDescription,
};

/// Provisioned throughput and its history.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ThroughputState {
    pub read_capacity_units: i64,
    pub write_capacity_units: i64,
    pub last_increase_date_time: Option<f64>,
    pub last_decrease_date_time: Option<f64>,
    pub number_of_decreases_today: i64,
}

impl ThroughputState {
    pub fn new(read: i64, write: i64) -> ThroughputState {
        ThroughputState {
            read_capacity_units: read,
            write_capacity_units: write,
            ..Default::default()
        }
    }

    fn describe(&self) -> ThroughputDescription {
        ThroughputDescription {
            last_increase_date_time: self.last_increase_date_time,
            last_decrease_date_time: self.last_decrease_date_time,
            number_of_decreases_today: self.number_of_decreases_today,
            read_capacity_units: self.read_capacity_units,
            write_capacity_units: self.write_capacity_units,
        }
    }
}

/// The DynamoDB description fields the engine does not know, stored as JSON
/// in `TableDef.extra`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TableExtra {
    /// As given to CreateTable (order kept); derived from the key schemas
    /// when empty.
    pub attribute_definitions: Vec<AttributeDefinitionW>,
    /// `PROVISIONED` or `PAY_PER_REQUEST`; `None` = provisioned, never named.
    pub billing_mode: Option<String>,
    pub provisioned_throughput: ThroughputState,
    pub last_update_to_pay_per_request_date_time: Option<f64>,
    /// Per global secondary index.
    pub index_throughput: BTreeMap<String, ThroughputState>,
    #[serde(rename = "SSESpecification")]
    pub sse_specification: Option<SseSpecificationW>,
    pub tags: Vec<TagW>,
    pub table_class: Option<String>,
    pub deletion_protection_enabled: bool,
    pub on_demand_throughput: Option<serde_json::Value>,
    /// The table's DynamoDB streams, oldest first (see `streams/`).
    pub streams: Vec<crate::streams::StreamMeta>,
}

impl TableExtra {
    /// Read from a definition (tolerant: unknown or missing fields default).
    pub fn of(def: &TableDef) -> TableExtra {
        serde_json::from_value(def.extra.clone()).unwrap_or_default()
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// Store into a definition's `extra`, keeping the members other parts
    /// of the server keep there (the time-to-live setting, see `ttl.rs`).
    pub fn store_into(&self, extra: &mut serde_json::Value) {
        let serde_json::Value::Object(mine) = self.to_json() else {
            return;
        };
        match extra {
            serde_json::Value::Object(map) => map.extend(mine),
            other => *other = serde_json::Value::Object(mine),
        }
    }

    pub fn is_pay_per_request(&self) -> bool {
        self.billing_mode.as_deref() == Some("PAY_PER_REQUEST")
    }
}

pub fn key_schema_wire(k: &KeySchema) -> Vec<KeySchemaElementW> {
    let mut out = vec![KeySchemaElementW {
        attribute_name: Some(k.hash.name.clone()),
        key_type: Some("HASH".into()),
    }];
    if let Some(r) = &k.range {
        out.push(KeySchemaElementW {
            attribute_name: Some(r.name.clone()),
            key_type: Some("RANGE".into()),
        });
    }
    out
}

fn projection_wire(p: &ferry_model::Projection) -> ProjectionW {
    let (ty, non_key) = match p.ty {
        ProjectionType::All => ("ALL", None),
        ProjectionType::KeysOnly => ("KEYS_ONLY", None),
        ProjectionType::Include => ("INCLUDE", Some(p.non_key_attributes.clone())),
    };
    ProjectionW {
        projection_type: Some(ty.into()),
        non_key_attributes: non_key,
    }
}

/// Attribute definitions derived from every key schema of the table.
pub fn derived_definitions(def: &TableDef) -> Vec<AttributeDefinitionW> {
    let mut out: Vec<AttributeDefinitionW> = Vec::new();
    let keys = std::iter::once(&def.key).chain(def.indexes.iter().map(|i| &i.key));
    for k in keys {
        for a in std::iter::once(&k.hash).chain(k.range.iter()) {
            if !out
                .iter()
                .any(|d| d.attribute_name.as_deref() == Some(a.name.as_str()))
            {
                out.push(AttributeDefinitionW {
                    attribute_name: Some(a.name.clone()),
                    attribute_type: Some(scalar_name(a.ty).into()),
                });
            }
        }
    }
    out
}

pub fn status_name(s: TableStatus) -> &'static str {
    match s {
        TableStatus::Creating => "CREATING",
        TableStatus::Active => "ACTIVE",
        TableStatus::Updating => "UPDATING",
        TableStatus::Deleting => "DELETING",
    }
}

/// Seconds since the epoch, as DynamoDB's `CreationDateTime`.
pub fn epoch_seconds(micros: i64) -> f64 {
    micros as f64 / 1_000_000.0
}

/// The full `TableDescription` of `def`; `status` overrides the stored one
/// (DeleteTable answers DELETING).
pub fn describe_table_def(
    state: &AppState,
    def: &TableDef,
    stats: TableStats,
    status: Option<TableStatus>,
) -> TableDescription {
    describe_with_index_stats(state, def, stats, &|_| None, &[], status)
}

/// The description of a live table, with its index statistics.
pub fn describe_table(
    state: &AppState,
    table: &ferry_storage::Table,
    status: Option<TableStatus>,
) -> TableDescription {
    describe_with_index_stats(
        state,
        &table.def(),
        table.stats(),
        &|name| table.index_stats(name),
        &table.backfilling(),
        status,
    )
}

/// [`describe_table_def`] with per-index `ItemCount`/`IndexSizeBytes`; the
/// GSIs in `creating` are CREATING with `Backfilling` (DynamoDB leaves the
/// field out once the index is ACTIVE).
pub fn describe_with_index_stats(
    state: &AppState,
    def: &TableDef,
    stats: TableStats,
    index_stats: &dyn Fn(&str) -> Option<TableStats>,
    creating: &[String],
    status: Option<TableStatus>,
) -> TableDescription {
    let extra = TableExtra::of(def);
    let table_arn = state.table_arn(&def.name);
    let ppr = extra.is_pay_per_request();
    let attribute_definitions = if extra.attribute_definitions.is_empty() {
        derived_definitions(def)
    } else {
        extra.attribute_definitions.clone()
    };
    let lsis: Vec<LocalSecondaryIndexDescription> = def
        .indexes
        .iter()
        .filter(|i| i.kind == IndexKind::Local)
        .map(|i| LocalSecondaryIndexDescription {
            index_name: i.name.clone(),
            key_schema: key_schema_wire(&i.key),
            projection: projection_wire(&i.projection),
            index_size_bytes: index_stats(&i.name).unwrap_or_default().size_bytes,
            item_count: index_stats(&i.name).unwrap_or_default().item_count,
            index_arn: format!("{table_arn}/index/{}", i.name),
        })
        .collect();
    let gsis: Vec<GlobalSecondaryIndexDescription> = def
        .indexes
        .iter()
        .filter(|i| i.kind == IndexKind::Global)
        .map(|i| GlobalSecondaryIndexDescription {
            index_name: i.name.clone(),
            key_schema: key_schema_wire(&i.key),
            projection: projection_wire(&i.projection),
            index_status: if creating.contains(&i.name) {
                "CREATING".into()
            } else {
                "ACTIVE".into()
            },
            backfilling: creating.contains(&i.name).then_some(true),
            provisioned_throughput: if ppr {
                ThroughputState::default().describe()
            } else {
                extra
                    .index_throughput
                    .get(&i.name)
                    .cloned()
                    .unwrap_or_default()
                    .describe()
            },
            index_size_bytes: index_stats(&i.name).unwrap_or_default().size_bytes,
            item_count: index_stats(&i.name).unwrap_or_default().item_count,
            index_arn: format!("{table_arn}/index/{}", i.name),
        })
        .collect();
    let billing_mode_summary = extra.billing_mode.as_ref().map(|m| BillingModeSummary {
        billing_mode: m.clone(),
        last_update_to_pay_per_request_date_time: if m == "PAY_PER_REQUEST" {
            Some(
                extra
                    .last_update_to_pay_per_request_date_time
                    .unwrap_or(epoch_seconds(def.created_micros)),
            )
        } else {
            None
        },
    });
    let sse_description = extra
        .sse_specification
        .as_ref()
        .filter(|s| s.enabled == Some(true))
        .map(|s| {
            let key = s
                .kms_master_key_id
                .clone()
                .unwrap_or_else(|| "alias/aws/dynamodb".to_string());
            let arn = if key.starts_with("arn:") {
                key
            } else {
                format!(
                    "arn:aws:kms:{}:{}:key/{}",
                    state.region(),
                    state.account_id(),
                    key
                )
            };
            SseDescription {
                status: "ENABLED".into(),
                sse_type: "KMS".into(),
                kms_master_key_arn: arn,
            }
        });
    // The newest stream stays the latest after it is disabled, as on AWS.
    let latest_stream = extra.streams.last();
    let stream_enabled = latest_stream.is_some_and(|s| s.disabled_micros.is_none());
    let stream_label = latest_stream.map(|s| s.label());
    TableDescription {
        attribute_definitions,
        table_name: def.name.clone(),
        key_schema: key_schema_wire(&def.key),
        table_status: status_name(status.unwrap_or(def.status)).into(),
        creation_date_time: epoch_seconds(def.created_micros),
        provisioned_throughput: if ppr {
            ThroughputState {
                last_increase_date_time: None,
                ..Default::default()
            }
            .describe()
        } else {
            extra.provisioned_throughput.describe()
        },
        table_size_bytes: stats.size_bytes,
        item_count: stats.item_count,
        table_arn: table_arn.clone(),
        table_id: def.id.clone(),
        billing_mode_summary,
        local_secondary_indexes: (!lsis.is_empty()).then_some(lsis),
        global_secondary_indexes: (!gsis.is_empty()).then_some(gsis),
        stream_specification: latest_stream.filter(|_| stream_enabled).map(|s| {
            StreamSpecificationW {
                stream_enabled: Some(true),
                stream_view_type: Some(s.view_type.clone()),
            }
        }),
        latest_stream_arn: stream_label
            .as_ref()
            .map(|l| format!("{table_arn}/stream/{l}")),
        latest_stream_label: stream_label,
        sse_description,
        table_class_summary: extra.table_class.as_ref().map(|c| TableClassSummary {
            table_class: c.clone(),
        }),
        deletion_protection_enabled: extra.deletion_protection_enabled,
        on_demand_throughput: extra.on_demand_throughput.clone(),
    }
}

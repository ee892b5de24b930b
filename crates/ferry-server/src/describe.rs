//! `TableDescription`: built from the engine's `TableDef`, its typed
//! `settings` included (`ferry_model::TableSettings`: throughput, billing
//! mode, tags, stream/SSE settings, the attribute definitions as given), and
//! the conversions between those settings and their request members. Every
//! writer of tables (CreateTable, imports, restores) fills the settings; a
//! default `TableSettings` still describes well.

use ferry_model::{
    AttributeDefinition, IndexKind, KeySchema, OnDemandThroughput, ProjectionType, SseSettings,
    TableDef, TableStatus, Tag, Throughput,
};
use ferry_storage::TableStats;

use crate::state::AppState;
use crate::streams::StreamTimes;
use crate::validation::{scalar_name, scalar_type};
use crate::wire::tables::{
    AttributeDefinitionW, BillingModeSummary, GlobalSecondaryIndexDescription, KeySchemaElementW,
    LocalSecondaryIndexDescription, ProjectionW, SseDescription, SseSpecificationW,
    StreamSpecificationW, TableClassSummary, TableDescription, TagW, ThroughputDescription,
    ThroughputW,
};

/// The capacity a request gives (absent units are 0).
pub fn throughput_of(t: Option<&ThroughputW>) -> Throughput {
    t.map(|t| {
        Throughput::new(
            t.read_capacity_units.unwrap_or(0),
            t.write_capacity_units.unwrap_or(0),
        )
    })
    .unwrap_or_default()
}

fn throughput_description(t: &Throughput) -> ThroughputDescription {
    ThroughputDescription {
        last_increase_date_time: t.last_increase_micros.map(epoch_seconds),
        last_decrease_date_time: t.last_decrease_micros.map(epoch_seconds),
        number_of_decreases_today: t.decreases_today,
        read_capacity_units: t.read_capacity_units,
        write_capacity_units: t.write_capacity_units,
    }
}

/// Validated attribute definitions of a request, typed (a member the
/// validation would have refused is left out).
pub fn definitions_of(defs: &[AttributeDefinitionW]) -> Vec<AttributeDefinition> {
    defs.iter()
        .filter_map(|d| {
            Some(AttributeDefinition {
                name: d.attribute_name.clone()?,
                ty: scalar_type(d.attribute_type.as_deref()?)?,
            })
        })
        .collect()
}

pub fn definitions_wire(defs: &[AttributeDefinition]) -> Vec<AttributeDefinitionW> {
    defs.iter()
        .map(|d| AttributeDefinitionW {
            attribute_name: Some(d.name.clone()),
            attribute_type: Some(scalar_name(d.ty).into()),
        })
        .collect()
}

/// Validated tags of a request (`tags::check_tags`), typed.
pub fn tags_of(tags: &[TagW]) -> Vec<Tag> {
    tags.iter()
        .filter_map(|t| {
            Some(Tag {
                key: t.key.clone()?,
                value: t.value.clone()?,
            })
        })
        .collect()
}

pub fn tags_wire(tags: &[Tag]) -> Vec<TagW> {
    tags.iter()
        .map(|t| TagW {
            key: Some(t.key.clone()),
            value: Some(t.value.clone()),
        })
        .collect()
}

pub fn sse_of(s: &SseSpecificationW) -> SseSettings {
    SseSettings {
        enabled: s.enabled == Some(true),
        kms_master_key_id: s.kms_master_key_id.clone(),
    }
}

/// A request's `OnDemandThroughput` (its two members; anything else in it
/// is not kept).
pub fn on_demand_of(v: &serde_json::Value) -> OnDemandThroughput {
    let units = |name: &str| v.get(name).and_then(serde_json::Value::as_i64);
    OnDemandThroughput {
        max_read_request_units: units("MaxReadRequestUnits"),
        max_write_request_units: units("MaxWriteRequestUnits"),
    }
}

fn on_demand_wire(o: &OnDemandThroughput) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    if let Some(r) = o.max_read_request_units {
        out.insert("MaxReadRequestUnits".into(), r.into());
    }
    if let Some(w) = o.max_write_request_units {
        out.insert("MaxWriteRequestUnits".into(), w.into());
    }
    serde_json::Value::Object(out)
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
pub fn derived_definitions(def: &TableDef) -> Vec<AttributeDefinition> {
    let mut out: Vec<AttributeDefinition> = Vec::new();
    let keys = std::iter::once(&def.key).chain(def.indexes.iter().map(|i| &i.key));
    for k in keys {
        for a in std::iter::once(&k.hash).chain(k.range.iter()) {
            if !out.iter().any(|d| d.name == a.name) {
                out.push(AttributeDefinition {
                    name: a.name.clone(),
                    ty: a.ty,
                });
            }
        }
    }
    out
}

/// The table's attribute definitions: as given, else derived from its keys.
pub fn attribute_definitions(def: &TableDef) -> Vec<AttributeDefinition> {
    if def.settings.attribute_definitions.is_empty() {
        derived_definitions(def)
    } else {
        def.settings.attribute_definitions.clone()
    }
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
    let settings = &def.settings;
    let table_arn = state.table_arn(&def.name);
    let ppr = settings.is_pay_per_request();
    let attribute_definitions = definitions_wire(&attribute_definitions(def));
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
                throughput_description(&Throughput::default())
            } else {
                throughput_description(
                    &settings
                        .index_throughput
                        .get(&i.name)
                        .cloned()
                        .unwrap_or_default(),
                )
            },
            index_size_bytes: index_stats(&i.name).unwrap_or_default().size_bytes,
            item_count: index_stats(&i.name).unwrap_or_default().item_count,
            index_arn: format!("{table_arn}/index/{}", i.name),
        })
        .collect();
    let billing_mode_summary = settings.billing_mode.map(|m| BillingModeSummary {
        billing_mode: m.as_str().to_string(),
        last_update_to_pay_per_request_date_time: ppr.then(|| {
            epoch_seconds(
                settings
                    .pay_per_request_since_micros
                    .unwrap_or(def.created_micros),
            )
        }),
    });
    let sse_description = settings.sse.as_ref().filter(|s| s.enabled).map(|s| {
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
    let latest_stream = settings.streams.last();
    let stream_enabled = latest_stream.is_some_and(|s| s.disabled_micros.is_none());
    let stream_label = latest_stream.map(|s| s.label());
    TableDescription {
        attribute_definitions,
        table_name: def.name.clone(),
        key_schema: key_schema_wire(&def.key),
        table_status: status_name(status.unwrap_or(def.status)).into(),
        creation_date_time: epoch_seconds(def.created_micros),
        provisioned_throughput: if ppr {
            throughput_description(&Throughput::default())
        } else {
            throughput_description(&settings.throughput)
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
                stream_view_type: Some(s.view_type.as_str().to_string()),
            }
        }),
        latest_stream_arn: stream_label
            .as_ref()
            .map(|l| format!("{table_arn}/stream/{l}")),
        latest_stream_label: stream_label,
        sse_description,
        table_class_summary: settings.table_class.map(|c| TableClassSummary {
            table_class: c.as_str().to_string(),
        }),
        deletion_protection_enabled: settings.deletion_protection,
        on_demand_throughput: settings.on_demand_throughput.as_ref().map(on_demand_wire),
    }
}

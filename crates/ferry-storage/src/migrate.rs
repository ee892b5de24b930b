//! Reading the catalog's older table-record formats into today's
//! [`TableRecord`] (Garage's `migrate.rs` chain: each old format converts to
//! the next).
//!
//! - Format 1 (before typed settings): the server's description fields were
//!   one opaque JSON document in `def.extra`, shaped like its DynamoDB
//!   request members (PascalCase, times as fractional epoch seconds, the
//!   time-to-live setting under `TimeToLive`). It becomes `def.settings`.
//! - Format 2: today's record (`catalog.rs`).
//!
//! Records are converted when read; `Engine::open` rewrites every old record
//! in today's format, so a data directory is migrated once, on its first
//! open. A record whose old fields cannot be read is corrupt: it is refused,
//! never read as defaults.

use std::collections::BTreeMap;

use ferry_model::{
    AttributeDefinition, BillingMode, OnDemandThroughput, ScalarType, SseSettings, StreamSettings,
    StreamViewType, TableClass, TableSettings, Tag, Throughput,
};
use serde::Deserialize;

use crate::StorageError;
use crate::catalog::TableRecord;

fn corrupt(what: impl std::fmt::Display) -> StorageError {
    StorageError::Corrupt(format!("table record (format 1): {what}"))
}

/// A format-1 table record (its JSON, after the format byte).
pub(crate) fn table_record_v1(json: &[u8]) -> Result<TableRecord, StorageError> {
    let mut record: serde_json::Value = serde_json::from_slice(json).map_err(corrupt)?;
    let def = record
        .get_mut("def")
        .ok_or_else(|| corrupt("no definition"))?;
    upgrade_table_def_v1(def)?;
    serde_json::from_value(record).map_err(corrupt)
}

/// Turns the JSON of a `TableDef` as format 1 wrote it (with `extra`) into
/// today's (with `settings`), in place. The catalog uses it, and so do the
/// job records that embed a table definition (imports, backups).
pub fn upgrade_table_def_v1(def: &mut serde_json::Value) -> Result<(), StorageError> {
    let def = def
        .as_object_mut()
        .ok_or_else(|| corrupt("the definition is not an object"))?;
    let extra = def.remove("extra").unwrap_or(serde_json::Value::Null);
    let settings = settings_v1(extra)?;
    def.insert(
        "settings".to_string(),
        serde_json::to_value(settings).map_err(corrupt)?,
    );
    Ok(())
}

/// Format 1's `extra` (every member optional, as its writer left them).
#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct ExtraV1 {
    attribute_definitions: Vec<AttributeDefinitionV1>,
    billing_mode: Option<String>,
    provisioned_throughput: ThroughputV1,
    last_update_to_pay_per_request_date_time: Option<f64>,
    index_throughput: BTreeMap<String, ThroughputV1>,
    #[serde(rename = "SSESpecification")]
    sse_specification: Option<SseV1>,
    tags: Vec<TagV1>,
    table_class: Option<String>,
    deletion_protection_enabled: bool,
    /// Kept as the request gave it.
    on_demand_throughput: Option<serde_json::Value>,
    streams: Vec<StreamV1>,
    time_to_live: Option<TimeToLiveV1>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AttributeDefinitionV1 {
    attribute_name: Option<String>,
    attribute_type: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct ThroughputV1 {
    read_capacity_units: i64,
    write_capacity_units: i64,
    last_increase_date_time: Option<f64>,
    last_decrease_date_time: Option<f64>,
    number_of_decreases_today: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SseV1 {
    enabled: Option<bool>,
    #[serde(rename = "KMSMasterKeyId")]
    kms_master_key_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TagV1 {
    key: Option<String>,
    value: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StreamV1 {
    created_micros: i64,
    disabled_micros: Option<i64>,
    view_type: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TimeToLiveV1 {
    time_to_live_status: String,
    attribute_name: Option<String>,
}

/// Fractional epoch seconds (format 1) → microseconds. The seconds were
/// computed from whole microseconds, and an `f64` near today's epoch is
/// exact to a quarter of a microsecond, so rounding recovers them.
fn micros(secs: f64) -> i64 {
    (secs * 1_000_000.0).round() as i64
}

fn throughput_v1(t: ThroughputV1) -> Throughput {
    Throughput {
        read_capacity_units: t.read_capacity_units,
        write_capacity_units: t.write_capacity_units,
        last_increase_micros: t.last_increase_date_time.map(micros),
        last_decrease_micros: t.last_decrease_date_time.map(micros),
        decreases_today: t.number_of_decreases_today,
    }
}

fn named<T>(
    text: Option<String>,
    parse: fn(&str) -> Option<T>,
    what: &str,
) -> Result<Option<T>, StorageError> {
    text.map(|t| parse(&t).ok_or_else(|| corrupt(format_args!("unknown {what} {t:?}"))))
        .transpose()
}

fn settings_v1(extra: serde_json::Value) -> Result<TableSettings, StorageError> {
    let e: ExtraV1 = if extra.is_null() {
        ExtraV1::default()
    } else {
        serde_json::from_value(extra).map_err(corrupt)?
    };
    let attribute_definitions = e
        .attribute_definitions
        .into_iter()
        .map(|d| {
            let ty = match d.attribute_type.as_deref() {
                Some("S") => ScalarType::S,
                Some("N") => ScalarType::N,
                Some("B") => ScalarType::B,
                other => return Err(corrupt(format_args!("attribute type {other:?}"))),
            };
            let name = d
                .attribute_name
                .ok_or_else(|| corrupt("attribute definition without a name"))?;
            Ok(AttributeDefinition { name, ty })
        })
        .collect::<Result<_, _>>()?;
    let tags = e
        .tags
        .into_iter()
        .map(|t| match (t.key, t.value) {
            (Some(key), Some(value)) => Ok(Tag { key, value }),
            _ => Err(corrupt("tag without a key or value")),
        })
        .collect::<Result<_, _>>()?;
    let streams = e
        .streams
        .into_iter()
        .map(|s| {
            Ok(StreamSettings {
                created_micros: s.created_micros,
                disabled_micros: s.disabled_micros,
                view_type: StreamViewType::parse(&s.view_type)
                    .ok_or_else(|| corrupt(format_args!("stream view type {:?}", s.view_type)))?,
            })
        })
        .collect::<Result<_, StorageError>>()?;
    let on_demand_throughput = e.on_demand_throughput.map(|o| OnDemandThroughput {
        max_read_request_units: o
            .get("MaxReadRequestUnits")
            .and_then(serde_json::Value::as_i64),
        max_write_request_units: o
            .get("MaxWriteRequestUnits")
            .and_then(serde_json::Value::as_i64),
    });
    Ok(TableSettings {
        attribute_definitions,
        billing_mode: named(e.billing_mode, BillingMode::parse, "billing mode")?,
        throughput: throughput_v1(e.provisioned_throughput),
        pay_per_request_since_micros: e.last_update_to_pay_per_request_date_time.map(micros),
        index_throughput: e
            .index_throughput
            .into_iter()
            .map(|(k, t)| (k, throughput_v1(t)))
            .collect(),
        sse: e.sse_specification.map(|s| SseSettings {
            enabled: s.enabled == Some(true),
            kms_master_key_id: s.kms_master_key_id,
        }),
        tags,
        table_class: named(e.table_class, TableClass::parse, "table class")?,
        deletion_protection: e.deletion_protection_enabled,
        on_demand_throughput,
        streams,
        ttl_attribute: e
            .time_to_live
            .filter(|t| t.time_to_live_status == "ENABLED")
            .and_then(|t| t.attribute_name),
    })
}

#[cfg(test)]
mod tests;

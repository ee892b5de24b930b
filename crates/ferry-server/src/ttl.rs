//! Time to live: DescribeTimeToLive, UpdateTimeToLive, and the sweeper that
//! deletes expired items.
//!
//! The setting is kept in the table's settings (`TableSettings.ttl_attribute`),
//! so it survives restarts.
//! Unlike DynamoDB, where a change passes through ENABLING/DISABLING for up
//! to an hour, Ferry applies it at once (as DynamoDB Local does).
//!
//! Expiry follows DynamoDB's rules: an item expires when its TTL attribute
//! is a number (epoch seconds) below the current time; items whose expiry
//! is more than five years in the past are never deleted; other types are
//! ignored. The sweeper scans the tables that have TTL enabled every
//! [`SWEEP_INTERVAL`] (and after every `FerryTest.AdvanceClock`), deleting
//! each expired item with a delete that re-checks the item, so indexes,
//! history and exports see TTL deletes like any other; its tombstone is
//! marked (`Write::Expire`) so that a stream record carries DynamoDB's
//! `userIdentity` of the TTL service.

use std::sync::Arc;
use std::time::Duration;

use ferry_model::{AttributeValue, Item, PrimaryKey, TableDef, TableStatus};
use ferry_storage::{Engine, ScanSpec, StorageError, Write, WriteError};

use crate::errors::ApiError;
use crate::state::{AppState, blocking};
use crate::validation::{Checks, control_table_name};
use crate::wire::control::{
    DescribeTimeToLiveOutput, TimeToLiveDescription, TimeToLiveSpecificationW,
    UpdateTimeToLiveInput, UpdateTimeToLiveOutput,
};
use crate::wire::parse;
use crate::wire::tables::TableNameInput;

/// How often the background sweeper looks for expired items.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(30);

/// DynamoDB leaves items that expired more than five years ago alone.
const FIVE_YEARS_SECS: f64 = 5.0 * 365.0 * 24.0 * 3600.0;

/// The enabled TTL attribute of a table, if any.
pub fn ttl_attribute(def: &TableDef) -> Option<String> {
    def.settings.ttl_attribute.clone()
}

fn description(def: &TableDef) -> TimeToLiveDescription {
    match ttl_attribute(def) {
        Some(a) => TimeToLiveDescription {
            time_to_live_status: "ENABLED".into(),
            attribute_name: Some(a),
        },
        None => TimeToLiveDescription {
            time_to_live_status: "DISABLED".into(),
            attribute_name: None,
        },
    }
}

pub async fn describe_time_to_live(
    state: &AppState,
    body: &[u8],
) -> Result<DescribeTimeToLiveOutput, ApiError> {
    let input: TableNameInput = parse(body)?;
    let mut checks = Checks::new();
    let name = control_table_name(input.table_name.as_deref(), &mut checks)?;
    checks.finish()?;
    let table = state
        .engine
        .table(&name)
        .ok_or_else(|| ApiError::table_not_found(&name))?;
    Ok(DescribeTimeToLiveOutput {
        time_to_live_description: description(&table.def()),
    })
}

pub async fn update_time_to_live(
    state: &AppState,
    body: &[u8],
) -> Result<UpdateTimeToLiveOutput, ApiError> {
    let input: UpdateTimeToLiveInput = parse(body)?;
    let mut checks = Checks::new();
    let name = control_table_name(input.table_name.as_deref(), &mut checks)?;
    let spec = input.time_to_live_specification;
    checks.not_null(spec.as_ref(), "timeToLiveSpecification");
    if let Some(s) = &spec {
        const PATH: &str = "timeToLiveSpecification.attributeName";
        checks.not_null(s.attribute_name.as_ref(), PATH);
        if let Some(a) = &s.attribute_name {
            let len = a.chars().count();
            if len < 1 {
                checks.fail(
                    Some(a),
                    PATH,
                    "Member must have length greater than or equal to 1",
                );
            }
            if len > 255 {
                checks.fail(
                    Some(a),
                    PATH,
                    "Member must have length less than or equal to 255",
                );
            }
        }
        checks.not_null(s.enabled.as_ref(), "timeToLiveSpecification.enabled");
    }
    checks.finish()?;
    let spec = spec.unwrap_or_default();
    let enabled = spec.enabled.unwrap_or(false);
    let attribute = spec.attribute_name.clone().unwrap_or_default();
    let table = state
        .engine
        .table(&name)
        .ok_or_else(|| ApiError::table_not_found(&name))?;
    blocking(move || {
        let mut refused = None;
        table.update_def(&mut |d: &mut TableDef| {
            let current = ttl_attribute(d);
            let next = match (enabled, current.is_some()) {
                // Disabling names the enabled attribute (DynamoDB's text).
                (false, true) if current.as_deref() != Some(attribute.as_str()) => {
                    refused = Some(ApiError::validation(format!(
                        "TimeToLive is active on a different AttributeName: current value of AttributeName is {}",
                        current.unwrap_or_default()
                    )));
                    return;
                }
                (true, true) => {
                    refused = Some(ApiError::validation("TimeToLive is already enabled"));
                    return;
                }
                (false, false) => {
                    refused = Some(ApiError::validation("TimeToLive is already disabled"));
                    return;
                }
                (true, false) => Some(attribute.clone()),
                (false, true) => None,
            };
            d.settings.ttl_attribute = next;
        })?;
        refused.map_or(Ok(()), Err)
    })
    .await?;
    Ok(UpdateTimeToLiveOutput {
        time_to_live_specification: TimeToLiveSpecificationW {
            enabled: Some(enabled),
            attribute_name: spec.attribute_name,
        },
    })
}

/// Whether `item` has expired at `now_secs` by its `attribute`.
fn expired(item: &Item, attribute: &str, now_secs: f64) -> bool {
    match item.get(attribute) {
        Some(AttributeValue::N(n)) => {
            let at = n.to_f64();
            at < now_secs && at >= now_secs - FIVE_YEARS_SECS
        }
        _ => false,
    }
}

/// Delete the expired items of one table; returns how many were deleted.
fn sweep_table(table: &ferry_storage::Table, now_secs: f64) -> Result<u64, StorageError> {
    let def = table.def();
    if def.status != TableStatus::Active {
        return Ok(0);
    }
    let Some(attribute) = ttl_attribute(&def) else {
        return Ok(0);
    };
    let mut deleted = 0;
    let spec = ScanSpec {
        index: None,
        segment: None,
        exclusive_start: None,
    };
    // The scan reads a snapshot; each delete re-checks the current item.
    for read in table.scan(&spec)? {
        let item = read?;
        if !expired(&item, &attribute, now_secs) {
            continue;
        }
        let Some(key) = PrimaryKey::from_item(&item, &def.key) else {
            continue;
        };
        let written = table.write(&key, |cur| {
            Ok::<_, StorageError>(match cur {
                Some(c) if expired(c, &attribute, now_secs) => Write::Expire,
                _ => Write::Nothing,
            })
        });
        match written {
            Ok((Some(old), _)) if expired(&old, &attribute, now_secs) => deleted += 1,
            Ok(_) => {}
            Err(WriteError::Refused(e) | WriteError::Storage(e)) => return Err(e),
        }
    }
    Ok(deleted)
}

/// One pass over every table with TTL enabled.
pub fn sweep(engine: &Engine) -> u64 {
    let now_secs = engine.clock().now() as f64 / 1_000_000.0;
    let mut total = 0;
    for table in engine.tables() {
        match sweep_table(&table, now_secs) {
            Ok(n) => total += n,
            Err(StorageError::TableNotFound(_)) => {}
            Err(e) => {
                tracing::warn!(table = %table.def().name, error = %e, "TTL sweep failed");
            }
        }
    }
    if total > 0 {
        tracing::debug!(deleted = total, "TTL sweep");
    }
    total
}

/// The background sweeper: runs until `stop` turns true.
pub async fn run_sweeper(engine: Arc<Engine>, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(SWEEP_INTERVAL) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        let e = engine.clone();
        if let Err(err) = tokio::task::spawn_blocking(move || sweep(&e)).await {
            tracing::error!(error = %err, "TTL sweep panicked");
        }
    }
}

#[cfg(test)]
mod tests {
    use ferry_model::Number;

    use super::*;

    #[test]
    fn expiry_rules() {
        let at = |v: AttributeValue| Item::from([("exp".to_string(), v)]);
        let n = |s: &str| AttributeValue::N(Number::parse(s).unwrap());
        let now = 1_700_000_000.0;
        assert!(expired(&at(n("1699999999")), "exp", now));
        assert!(!expired(&at(n("1700000000")), "exp", now));
        assert!(!expired(&at(n("1700000001")), "exp", now));
        // More than five years in the past: left alone.
        assert!(!expired(&at(n("1000")), "exp", now));
        assert!(!expired(&at(AttributeValue::S("1".into())), "exp", now));
        assert!(!expired(&Item::new(), "exp", now));
    }
}

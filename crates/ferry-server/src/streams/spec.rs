//! `StreamSpecification` on CreateTable and UpdateTable: validation with
//! DynamoDB's messages, and the new list of stream descriptors.
//!
//! Messages: "Table already has an enabled stream: TableName: <name>" and
//! "Table has no stream to disable: TableName: <name>" are DynamoDB's. The
//! texts for a view type without `StreamEnabled: true` and for a missing view
//! type are Ferry's (AWS's exact wording is not documented).

use ferry_model::StreamViewType;
use ferry_storage::Table;

use crate::errors::ApiError;
use crate::validation::Checks;
use crate::wire::tables::StreamSpecificationW;

use super::model::{StreamMeta, StreamTimes};

/// The shape checks (collected with the request's other checks).
pub fn check_shape(spec: Option<&StreamSpecificationW>, checks: &mut Checks) {
    let Some(spec) = spec else {
        return;
    };
    checks.one_of(
        spec.stream_view_type.as_deref(),
        "streamSpecification.streamViewType",
        StreamViewType::NAMES,
    );
}

/// The semantic checks after the shape ones: whether the spec enables a
/// stream (and with which view type).
fn enables(spec: &StreamSpecificationW) -> Result<Option<StreamViewType>, ApiError> {
    match (spec.stream_enabled, &spec.stream_view_type) {
        // `check_shape` has refused any other name already.
        (Some(true), Some(v)) => StreamViewType::parse(v).map(Some).ok_or_else(|| {
            ApiError::validation(format!(
                "One or more parameter values were invalid: unknown StreamViewType {v}"
            ))
        }),
        (Some(true), None) => Err(ApiError::validation(
            "One or more parameter values were invalid: StreamViewType is required when StreamEnabled is true",
        )),
        (_, Some(_)) => Err(ApiError::validation(
            "One or more parameter values were invalid: StreamViewType can only be specified when StreamEnabled is true",
        )),
        (_, None) => Ok(None),
    }
}

/// The streams of a new table.
pub fn on_create(
    spec: Option<&StreamSpecificationW>,
    now: i64,
) -> Result<Vec<StreamMeta>, ApiError> {
    let Some(spec) = spec else {
        return Ok(Vec::new());
    };
    Ok(enables(spec)?
        .map(|view_type| StreamMeta {
            created_micros: now,
            disabled_micros: None,
            view_type,
        })
        .into_iter()
        .collect())
}

/// Applies an UpdateTable spec to `streams` (enable: a new stream; disable:
/// the enabled one ends). Expired streams are dropped.
pub fn on_update(
    table: &str,
    streams: &mut Vec<StreamMeta>,
    spec: &StreamSpecificationW,
    now: i64,
) -> Result<(), ApiError> {
    let enable = enables(spec)?;
    streams.retain(|s| !s.expired(now));
    let current = streams.iter_mut().find(|s| s.disabled_micros.is_none());
    match (enable, current) {
        (Some(_), Some(_)) => Err(ApiError::validation(format!(
            "Table already has an enabled stream: TableName: {table}"
        ))),
        (None, None) => Err(ApiError::validation(format!(
            "Table has no stream to disable: TableName: {table}"
        ))),
        (None, Some(s)) => {
            s.disabled_micros = Some(now);
            Ok(())
        }
        (Some(view_type), None) => {
            // Labels have millisecond precision: a new stream starts after
            // the previous one's millisecond so that labels stay unique.
            let after = streams
                .iter()
                .map(|s| (s.created_micros / 1000 + 1) * 1000)
                .max()
                .unwrap_or(now);
            streams.push(StreamMeta {
                created_micros: now.max(after),
                disabled_micros: None,
                view_type,
            });
            Ok(())
        }
    }
}

/// Ends the enabled stream of a table about to be deleted: DynamoDB shows a
/// deleted table's stream DISABLED, readable for 24 hours (the engine keeps
/// the table's history that long, `Engine::delete_table`).
pub fn end_on_delete(table: &Table, now: i64) -> Result<(), ApiError> {
    let mut streams = table.def().settings.streams;
    let Some(open) = streams.iter_mut().find(|s| s.disabled_micros.is_none()) else {
        return Ok(());
    };
    open.disabled_micros = Some(now);
    table.update_def(&mut |d| d.settings.streams = streams.clone())?;
    Ok(())
}

/// Tells the engine to keep versions for the streams of a new table.
pub fn keep_versions(table: &Table) -> Result<(), ApiError> {
    keep_versions_for(table, &table.def().settings.streams)
}

/// Tells the engine how long to keep versions for `streams` (enabled: until
/// further notice; disabled: 24 hours after). No stream: nothing to keep.
pub fn keep_versions_for(table: &Table, streams: &[StreamMeta]) -> Result<(), ApiError> {
    let until = streams
        .iter()
        .map(|s| match s.disabled_micros {
            None => i64::MAX,
            Some(d) => d + ferry_storage::STREAM_RETENTION_MICROS,
        })
        .max();
    if let Some(until) = until {
        table.set_stream_retention(until)?;
    }
    Ok(())
}

//! DynamoDB Streams (`DynamoDBStreams_20120810.*`): ListStreams,
//! DescribeStream, GetShardIterator and GetRecords over the engine's version
//! history (see `docs/design/streams.md`). `model.rs` has the stream, shard,
//! sequence-number and iterator model, `spec.rs` the StreamSpecification
//! handling of CreateTable/UpdateTable, `records.rs` the record format.

mod model;
mod records;
pub mod spec;

use std::sync::Arc;

use ferry_model::TableDef;
use ferry_storage::Table;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::describe::key_schema_wire;
use crate::errors::{ApiError, ErrorCode};
use crate::state::{AppState, blocking};
use crate::validation::Checks;
use crate::wire;

use model::{ITERATOR_LIFETIME_MICROS, ShardIterator, invalid_iterator, parse_seq, seq, seq_text};
pub use model::{StreamMeta, StreamTimes};

/// GetRecords answers at most this many bytes of records (1 MB).
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListStreamsInput {
    pub table_name: Option<String>,
    pub limit: Option<i64>,
    pub exclusive_start_stream_arn: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeStreamInput {
    pub stream_arn: Option<String>,
    pub limit: Option<i64>,
    pub exclusive_start_shard_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetShardIteratorInput {
    pub stream_arn: Option<String>,
    pub shard_id: Option<String>,
    pub shard_iterator_type: Option<String>,
    pub sequence_number: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetRecordsInput {
    pub shard_iterator: Option<String>,
    pub limit: Option<i64>,
}

/// A stream found by ARN: its table and descriptor.
struct Found {
    table: Arc<Table>,
    def: TableDef,
    meta: StreamMeta,
    arn: String,
}

fn stream_not_found(arn: &str) -> ApiError {
    ApiError::new(
        ErrorCode::ResourceNotFoundException,
        format!("Requested resource not found: Stream: {arn} not found"),
    )
}

fn shard_not_found() -> ApiError {
    ApiError::new(
        ErrorCode::ResourceNotFoundException,
        "Requested resource not found: Shard does not exist",
    )
}

fn stream_arn(state: &AppState, table: &str, meta: &StreamMeta) -> String {
    format!("{}/stream/{}", state.table_arn(table), meta.label())
}

/// The ARN of the stream a shard iterator reads (not checked against the
/// table: GetRecords does that), for authorization (`iam/actions.rs`).
pub(crate) fn iterator_stream_arn(state: &AppState, text: &str) -> Option<String> {
    let it = ShardIterator::parse(text)?;
    Some(format!(
        "{}/stream/{}",
        state.table_arn(&it.table),
        it.label
    ))
}

/// The streams of a table still readable now.
fn streams_of(def: &TableDef, now: i64) -> Vec<StreamMeta> {
    def.settings
        .streams
        .iter()
        .filter(|s| !s.expired(now))
        .cloned()
        .collect()
}

/// The table named `name` and the deleted tables of that name whose streams
/// are still readable (`Engine::retired_tables`).
fn tables_named(state: &AppState, name: &str) -> Vec<Arc<Table>> {
    let mut out: Vec<Arc<Table>> = state.engine.table(name).into_iter().collect();
    out.extend(
        state
            .engine
            .retired_tables()
            .into_iter()
            .filter(|t| t.def().name == name),
    );
    out
}

fn find_by_label(state: &AppState, table: &str, label: &str, now: i64) -> Option<Found> {
    tables_named(state, table).into_iter().find_map(|t| {
        let def = t.def();
        let meta = streams_of(&def, now)
            .into_iter()
            .find(|s| s.label() == label)?;
        Some(Found {
            arn: stream_arn(state, table, &meta),
            table: t,
            def,
            meta,
        })
    })
}

/// `arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>`.
fn find(state: &AppState, arn: &str, now: i64) -> Result<Found, ApiError> {
    let parsed = arn
        .split_once(":table/")
        .and_then(|(_, rest)| rest.split_once("/stream/"));
    let Some((table, label)) = parsed else {
        return Err(stream_not_found(arn));
    };
    find_by_label(state, table, label, now)
        .filter(|f| f.arn == arn)
        .ok_or_else(|| stream_not_found(arn))
}

fn key_names(def: &TableDef) -> Vec<&str> {
    let mut names = vec![def.key.hash.name.as_str()];
    if let Some(r) = &def.key.range {
        names.push(r.name.as_str());
    }
    names
}

fn status(meta: &StreamMeta) -> &'static str {
    if meta.disabled_micros.is_some() {
        "DISABLED"
    } else {
        "ENABLED"
    }
}

pub async fn list_streams(state: &AppState, body: &[u8]) -> Result<Value, ApiError> {
    let input: ListStreamsInput = wire::parse(body)?;
    let mut checks = Checks::new();
    checks.at_least(input.limit, "limit", 1);
    checks.at_most(input.limit, "limit", 100);
    checks.finish()?;
    let now = state.engine.clock().now();
    let tables = match &input.table_name {
        Some(name) => {
            let named = tables_named(state, name);
            if named.is_empty() {
                return Err(ApiError::table_not_found(name));
            }
            named
        }
        None => {
            let mut all = state.engine.tables();
            all.extend(state.engine.retired_tables());
            all
        }
    };
    let mut all = Vec::new();
    for t in tables {
        let def = t.def();
        for meta in streams_of(&def, now) {
            all.push(json!({
                "StreamArn": stream_arn(state, &def.name, &meta),
                "TableName": def.name,
                "StreamLabel": meta.label(),
            }));
        }
    }
    if let Some(start) = &input.exclusive_start_stream_arn {
        let at = all.iter().position(|s| s["StreamArn"] == start.as_str());
        all.drain(..at.map_or(0, |i| i + 1));
    }
    let limit = input.limit.unwrap_or(100) as usize;
    let more = all.len() > limit;
    all.truncate(limit);
    let mut out = json!({ "Streams": all });
    if more && let Some(last) = all.last() {
        out["LastEvaluatedStreamArn"] = last["StreamArn"].clone();
    }
    Ok(out)
}

pub async fn describe_stream(state: &AppState, body: &[u8]) -> Result<Value, ApiError> {
    let input: DescribeStreamInput = wire::parse(body)?;
    let mut checks = Checks::new();
    checks.not_null(input.stream_arn.as_ref(), "streamArn");
    checks.at_least(input.limit, "limit", 1);
    checks.at_most(input.limit, "limit", 100);
    checks.finish()?;
    let arn = input.stream_arn.unwrap_or_default();
    let now = state.engine.clock().now();
    let f = find(state, &arn, now)?;
    let id = &f.def.id;
    let count = f.meta.shard_count(now);
    let mut shards = Vec::new();
    for i in f.meta.first_live_shard(now)..count {
        let (start, end) = f.meta.shard_range(i);
        let mut range = json!({ "StartingSequenceNumber": seq_text(seq(start, 0)) });
        if end <= now {
            range["EndingSequenceNumber"] = json!(seq_text(seq(end - 1, 999)));
        }
        let mut shard = json!({
            "ShardId": f.meta.shard_id(id, i),
            "SequenceNumberRange": range,
        });
        if i > 0 {
            shard["ParentShardId"] = json!(f.meta.shard_id(id, i - 1));
        }
        shards.push(shard);
    }
    if let Some(start) = &input.exclusive_start_shard_id {
        let at = shards.iter().position(|s| s["ShardId"] == start.as_str());
        shards.drain(..at.map_or(0, |i| i + 1));
    }
    let limit = input.limit.unwrap_or(100) as usize;
    let more = shards.len() > limit;
    shards.truncate(limit);
    let mut desc = json!({
        "StreamArn": f.arn,
        "StreamLabel": f.meta.label(),
        "StreamStatus": status(&f.meta),
        "StreamViewType": f.meta.view_type,
        "CreationRequestDateTime": f.meta.created_micros as f64 / 1e6,
        "TableName": f.def.name,
        "KeySchema": key_schema_wire(&f.def.key),
        "Shards": shards,
    });
    if more && let Some(last) = shards.last() {
        desc["LastEvaluatedShardId"] = last["ShardId"].clone();
    }
    Ok(json!({ "StreamDescription": desc }))
}

fn trimmed() -> ApiError {
    // AWS's text for this refusal is not documented; Ferry's choice.
    ApiError::new(
        ErrorCode::TrimmedDataAccessException,
        "The requested sequence number is beyond the trim horizon of the stream",
    )
}

pub async fn get_shard_iterator(state: &AppState, body: &[u8]) -> Result<Value, ApiError> {
    let input: GetShardIteratorInput = wire::parse(body)?;
    let mut checks = Checks::new();
    checks.not_null(input.stream_arn.as_ref(), "streamArn");
    checks.not_null(input.shard_id.as_ref(), "shardId");
    checks.not_null(input.shard_iterator_type.as_ref(), "shardIteratorType");
    checks.one_of(
        input.shard_iterator_type.as_deref(),
        "shardIteratorType",
        &[
            "TRIM_HORIZON",
            "LATEST",
            "AT_SEQUENCE_NUMBER",
            "AFTER_SEQUENCE_NUMBER",
        ],
    );
    checks.finish()?;
    let now = state.engine.clock().now();
    let f = find(state, input.stream_arn.as_deref().unwrap_or_default(), now)?;
    let shard = f
        .meta
        .parse_shard(
            &f.def.id,
            input.shard_id.as_deref().unwrap_or_default(),
            now,
        )
        .ok_or_else(shard_not_found)?;
    let (start, end) = f.meta.shard_range(shard);
    let first = seq(start.max(f.meta.trim_horizon(now)), 0);
    let given = || -> Result<u64, ApiError> {
        let text = input.sequence_number.as_deref().ok_or_else(|| {
            ApiError::validation("Sequence number must be specified for shard iterator type")
        })?;
        let n = parse_seq(text)
            .ok_or_else(|| ApiError::validation(format!("Invalid SequenceNumber: {text}")))?;
        if n < seq(start, 0) || n > seq(end - 1, 999) {
            return Err(ApiError::validation(format!(
                "Invalid SequenceNumber for shard: {text}"
            )));
        }
        if n < first {
            return Err(trimmed());
        }
        Ok(n)
    };
    let after = match input.shard_iterator_type.as_deref() {
        Some("TRIM_HORIZON") => first - 1,
        Some("LATEST") => seq(now.min(end - 1), 999),
        Some("AT_SEQUENCE_NUMBER") => given()? - 1,
        _ => given()?,
    };
    let it = ShardIterator {
        table: f.def.name.clone(),
        label: f.meta.label(),
        shard,
        after,
        issued: now,
    };
    Ok(json!({ "ShardIterator": it.encode(&f.def.id) }))
}

pub async fn get_records(state: &AppState, body: &[u8]) -> Result<Value, ApiError> {
    let input: GetRecordsInput = wire::parse(body)?;
    let mut checks = Checks::new();
    checks.not_null(input.shard_iterator.as_ref(), "shardIterator");
    checks.at_least(input.limit, "limit", 1);
    checks.at_most(input.limit, "limit", 1000);
    checks.finish()?;
    let text = input.shard_iterator.unwrap_or_default();
    let it = ShardIterator::parse(&text).ok_or_else(invalid_iterator)?;
    let now = state.engine.clock().now();
    let f = find_by_label(state, &it.table, &it.label, now).ok_or_else(invalid_iterator)?;
    if !it.verify(&f.def.id, &text) || it.shard >= f.meta.shard_count(now) {
        return Err(invalid_iterator());
    }
    if now - it.issued > ITERATOR_LIFETIME_MICROS {
        let at = |t: i64| {
            chrono::DateTime::from_timestamp_micros(t)
                .map(|d| d.format("%a %b %d %H:%M:%S UTC %Y").to_string())
                .unwrap_or_default()
        };
        return Err(ApiError::new(
            ErrorCode::ExpiredIteratorException,
            format!(
                "Iterator expired. The iterator was created at time {} while right now it's {} which is further in the future than the tolerated delay of 900000 milliseconds.",
                at(it.issued),
                at(now)
            ),
        ));
    }
    // An iterator issued at the trim horizon stays readable for its life:
    // the engine keeps 15 minutes more than the 24 hours.
    let kept = f
        .meta
        .created_micros
        .max(now - ferry_storage::STREAM_RETENTION_MICROS - ferry_storage::STREAM_GRACE_MICROS);
    if it.after.saturating_add(1) < seq(kept, 0) {
        return Err(trimmed());
    }
    let (start, end) = f.meta.shard_range(it.shard);
    let from = start.max(i64::try_from((it.after + 1) / 1000).unwrap_or(i64::MAX));
    let table = f.table.clone();
    let limit = input.limit.unwrap_or(1000) as usize;
    // The first commit read may hold records at or before the iterator's
    // position (at most a transaction's 100 items).
    let wanted = limit + 100;
    let scan = blocking(move || Ok(table.stream_changes(from, end, wanted)?)).await?;
    let names = key_names(&f.def);
    let region = state.region();
    let mut records = Vec::new();
    let mut bytes = 0;
    let mut last = None;
    for c in scan.changes.iter() {
        let n = seq(c.ts, c.ordinal);
        if n <= it.after {
            continue;
        }
        if records.len() >= limit || bytes >= MAX_RESPONSE_BYTES {
            break;
        }
        let (rec, size) = records::record(c, &names, f.meta.view_type.as_str(), &region);
        bytes += size;
        records.push(rec);
        last = Some(n);
    }
    let full = records.len() >= limit || bytes >= MAX_RESPONSE_BYTES;
    let next_after = match last {
        Some(n) if full => Some(n),
        // Everything before `read_to` was read: resume from there, unless
        // the shard is closed and drained.
        _ if scan.read_to >= end => None,
        _ => Some(seq(scan.read_to, 0).saturating_sub(1).max(it.after)),
    };
    let mut out = json!({ "Records": records });
    if let Some(after) = next_after {
        let next = ShardIterator {
            after,
            issued: now,
            ..it
        };
        out["NextShardIterator"] = json!(next.encode(&f.def.id));
    }
    Ok(out)
}

//! The CloudWatch Logs subset on Ferry's port (`X-Amz-Target:
//! Logs_20140328.<Op>`, JSON 1.1): GetLogEvents, FilterLogEvents,
//! DescribeLogStreams, DescribeLogGroups over the event store of
//! `ferry_jobs::cwlogs` (where imports write their item errors). Errors
//! carry the bare `__type` and CloudWatch Logs' messages.

use ferry_jobs::cwlogs::{
    EventsToken, FilterQuery, GetEventsQuery, GroupRecord, LogError, MAX_DESCRIBE_LIMIT,
    MAX_EVENTS_LIMIT, StreamRecord, StreamsQuery,
};
use serde::{Deserialize, Serialize};

use crate::errors::{ApiError, ErrorCode};
use crate::state::{AppState, blocking};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetLogEventsInput {
    pub log_group_name: Option<String>,
    pub log_group_identifier: Option<String>,
    pub log_stream_name: Option<String>,
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    pub next_token: Option<String>,
    pub limit: Option<i64>,
    pub start_from_head: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FilterLogEventsInput {
    pub log_group_name: Option<String>,
    pub log_group_identifier: Option<String>,
    pub log_stream_names: Option<Vec<String>>,
    pub log_stream_name_prefix: Option<String>,
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    pub filter_pattern: Option<String>,
    pub next_token: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeLogStreamsInput {
    pub log_group_name: Option<String>,
    pub log_group_identifier: Option<String>,
    pub log_stream_name_prefix: Option<String>,
    pub order_by: Option<String>,
    pub descending: Option<bool>,
    pub next_token: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeLogGroupsInput {
    pub log_group_name_prefix: Option<String>,
    pub next_token: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputLogEvent {
    pub timestamp: i64,
    pub message: String,
    pub ingestion_time: i64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetLogEventsOutput {
    pub events: Vec<OutputLogEvent>,
    pub next_forward_token: String,
    pub next_backward_token: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FilteredLogEvent {
    pub log_stream_name: String,
    pub timestamp: i64,
    pub message: String,
    pub ingestion_time: i64,
    pub event_id: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchedLogStream {
    pub log_stream_name: String,
    pub searched_completely: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FilterLogEventsOutput {
    pub events: Vec<FilteredLogEvent>,
    pub searched_log_streams: Vec<SearchedLogStream>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogStreamW {
    pub log_stream_name: String,
    pub creation_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_event_timestamp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_event_timestamp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_ingestion_time: Option<i64>,
    pub upload_sequence_token: String,
    pub arn: String,
    pub stored_bytes: u64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeLogStreamsOutput {
    pub log_streams: Vec<LogStreamW>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogGroupW {
    pub log_group_name: String,
    pub creation_time: i64,
    pub metric_filter_count: i64,
    pub arn: String,
    pub stored_bytes: u64,
    pub log_group_class: &'static str,
    pub log_group_arn: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeLogGroupsOutput {
    pub log_groups: Vec<LogGroupW>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidParameterException, message)
}

fn log_error(e: LogError) -> ApiError {
    match e {
        LogError::GroupNotFound | LogError::StreamNotFound => {
            ApiError::new(ErrorCode::ResourceNotFoundException, e.to_string())
        }
        LogError::InvalidToken | LogError::InvalidParameter(_) => invalid(e.to_string()),
        LogError::Storage(s) => s.into(),
    }
}

/// A Logs request body; malformed JSON is a `SerializationException`.
fn parse<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, ApiError> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    serde_json::from_slice(body)
        .map_err(|e| ApiError::new(ErrorCode::SerializationException, e.to_string()))
}

/// The group named by `logGroupName` or `logGroupIdentifier` (a name or
/// a log group ARN, with or without the trailing `:*`).
fn group_name(name: Option<String>, identifier: Option<String>) -> Result<String, ApiError> {
    match (name, identifier) {
        (Some(_), Some(_)) => Err(invalid(
            "LogGroup name and LogGroup ARN are mutually exclusive parameters.",
        )),
        (Some(n), None) => Ok(n),
        (None, Some(id)) => {
            let id = id.strip_suffix(":*").unwrap_or(&id);
            Ok(match id.split_once(":log-group:") {
                Some((_, name)) => name.to_string(),
                None => id.to_string(),
            })
        }
        (None, None) => Err(invalid(
            "Should provide either name or identifier of the log group.",
        )),
    }
}

fn limit(v: Option<i64>, max: usize) -> Result<Option<usize>, ApiError> {
    match v {
        None => Ok(None),
        Some(n) if n >= 1 && n as usize <= max => Ok(Some(n as usize)),
        Some(n) => Err(invalid(format!(
            "1 validation error detected: Value '{n}' at 'limit' failed to satisfy constraint: Member must have value {}",
            if n < 1 {
                "greater than or equal to 1".to_string()
            } else {
                format!("less than or equal to {max}")
            }
        ))),
    }
}

pub(crate) fn group_arn(state: &AppState, group: &str) -> String {
    format!(
        "arn:aws:logs:{}:{}:log-group:{group}",
        state.region(),
        state.account_id()
    )
}

pub async fn get_log_events(state: &AppState, body: &[u8]) -> Result<GetLogEventsOutput, ApiError> {
    let input: GetLogEventsInput = parse(body)?;
    let group = group_name(input.log_group_name, input.log_group_identifier)?;
    let stream = input.log_stream_name.ok_or_else(|| {
        invalid("1 validation error detected: Value null at 'logStreamName' failed to satisfy constraint: Member must not be null")
    })?;
    let token = input
        .next_token
        .as_deref()
        .map(EventsToken::parse)
        .transpose()
        .map_err(log_error)?;
    let q = GetEventsQuery {
        start_time: input.start_time,
        end_time: input.end_time,
        token,
        limit: limit(input.limit, MAX_EVENTS_LIMIT)?,
        start_from_head: input.start_from_head.unwrap_or(false),
    };
    let logs = state.jobs.logs.clone();
    let page = blocking(move || logs.get_events(&group, &stream, &q).map_err(log_error)).await?;
    Ok(GetLogEventsOutput {
        events: page
            .events
            .into_iter()
            .map(|e| OutputLogEvent {
                timestamp: e.timestamp,
                message: e.message,
                ingestion_time: e.ingestion_time,
            })
            .collect(),
        next_forward_token: page.next_forward.encode(),
        next_backward_token: page.next_backward.encode(),
    })
}

pub async fn filter_log_events(
    state: &AppState,
    body: &[u8],
) -> Result<FilterLogEventsOutput, ApiError> {
    let input: FilterLogEventsInput = parse(body)?;
    let group = group_name(input.log_group_name, input.log_group_identifier)?;
    let q = FilterQuery {
        stream_names: input.log_stream_names,
        stream_prefix: input.log_stream_name_prefix,
        start_time: input.start_time,
        end_time: input.end_time,
        pattern: input.filter_pattern,
        token: input.next_token,
        limit: limit(input.limit, MAX_EVENTS_LIMIT)?,
    };
    let logs = state.jobs.logs.clone();
    let page = blocking(move || logs.filter_events(&group, &q).map_err(log_error)).await?;
    Ok(FilterLogEventsOutput {
        events: page
            .events
            .into_iter()
            .map(|e| FilteredLogEvent {
                event_id: e.event_id(),
                log_stream_name: e.stream,
                timestamp: e.event.timestamp,
                message: e.event.message,
                ingestion_time: e.event.ingestion_time,
            })
            .collect(),
        searched_log_streams: page
            .searched_streams
            .into_iter()
            .map(|s| SearchedLogStream {
                log_stream_name: s,
                searched_completely: true,
            })
            .collect(),
        next_token: page.next_token,
    })
}

fn stream_w(state: &AppState, s: StreamRecord) -> LogStreamW {
    LogStreamW {
        arn: format!("{}:log-stream:{}", group_arn(state, &s.group), s.name),
        upload_sequence_token: format!("{:056}", s.count + 1),
        log_stream_name: s.name,
        creation_time: s.creation_time,
        first_event_timestamp: s.first_event_timestamp,
        last_event_timestamp: s.last_event_timestamp,
        last_ingestion_time: s.last_ingestion_time,
        // CloudWatch reports zero for streams since 2019.
        stored_bytes: 0,
    }
}

pub async fn describe_log_streams(
    state: &AppState,
    body: &[u8],
) -> Result<DescribeLogStreamsOutput, ApiError> {
    let input: DescribeLogStreamsInput = parse(body)?;
    let group = group_name(input.log_group_name, input.log_group_identifier)?;
    let order_by_last_event_time = match input.order_by.as_deref() {
        None | Some("LogStreamName") => false,
        Some("LastEventTime") => true,
        Some(other) => {
            return Err(invalid(format!(
                "1 validation error detected: Value '{other}' at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]"
            )));
        }
    };
    let q = StreamsQuery {
        prefix: input.log_stream_name_prefix,
        order_by_last_event_time,
        descending: input.descending.unwrap_or(false),
        limit: limit(input.limit, MAX_DESCRIBE_LIMIT)?,
        token: input.next_token,
    };
    let logs = state.jobs.logs.clone();
    let page = blocking(move || logs.describe_streams(&group, &q).map_err(log_error)).await?;
    Ok(DescribeLogStreamsOutput {
        log_streams: page.items.into_iter().map(|s| stream_w(state, s)).collect(),
        next_token: page.next_token,
    })
}

fn group_w(state: &AppState, g: GroupRecord) -> LogGroupW {
    let arn = group_arn(state, &g.name);
    LogGroupW {
        log_group_name: g.name,
        creation_time: g.creation_time,
        metric_filter_count: 0,
        arn: format!("{arn}:*"),
        stored_bytes: g.stored_bytes,
        log_group_class: "STANDARD",
        log_group_arn: arn,
    }
}

pub async fn describe_log_groups(
    state: &AppState,
    body: &[u8],
) -> Result<DescribeLogGroupsOutput, ApiError> {
    let input: DescribeLogGroupsInput = parse(body)?;
    let max = limit(input.limit, MAX_DESCRIBE_LIMIT)?;
    let logs = state.jobs.logs.clone();
    let prefix = input.log_group_name_prefix;
    let token = input.next_token;
    let page = blocking(move || {
        logs.describe_groups(prefix.as_deref(), max, token.as_deref())
            .map_err(log_error)
    })
    .await?;
    Ok(DescribeLogGroupsOutput {
        log_groups: page.items.into_iter().map(|g| group_w(state, g)).collect(),
        next_token: page.next_token,
    })
}

//! A small, durable CloudWatch Logs event store: log groups, log streams and
//! their events, kept in the engine's [`MetaStore`]. Imports write their
//! item errors here (group `/aws-dynamodb/imports`, stream
//! `<import-id>/error`); the server's Logs API (`GetLogEvents`,
//! `FilterLogEvents`, `DescribeLogStreams`, `DescribeLogGroups`) reads them.
//!
//! Layout (one namespace `cwlogs` of the meta store, so that an append
//! writes its block and the stream's record in one atomic batch; records
//! carry a format version; integers are little-endian, except in keys, where
//! they are big-endian so that key order is numeric order):
//!
//! - `g <group>` → JSON [`GroupRecord`] (`"v": 1`)
//! - `s <group> 0x00 <stream>` → JSON [`StreamRecord`] (`"v": 1`)
//! - `b <group> 0x00 <stream> 0x00 <block u64 BE>` → a block of up to
//!   [`BLOCK_EVENTS`] events: `0x01 | count u32 | (timestamp i64 |
//!   ingestion i64 | len u32 | message bytes)*`.
//!
//! Event `n` of a stream (0-based, in append order) lives in block
//! `n / BLOCK_EVENTS`, so a page is read with a few point `get`s. Appends
//! rewrite only the stream's last, partial block. Timestamps inside a stream
//! never decrease (an earlier timestamp is raised to the previous one), which
//! keeps append order equal to CloudWatch's time order.

use std::collections::BTreeMap;
use std::sync::Arc;

use ferry_storage::{Engine, StorageError};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

/// The log group of DynamoDB import error logs.
pub const IMPORT_LOG_GROUP: &str = "/aws-dynamodb/imports";

/// Events per stored block.
pub const BLOCK_EVENTS: u64 = 256;

/// GetLogEvents / FilterLogEvents default and maximum page size.
pub const MAX_EVENTS_LIMIT: usize = 10_000;
/// A response holds at most this many bytes of messages (CloudWatch: 1 MB).
pub const MAX_RESPONSE_BYTES: usize = 1_048_576;
/// DescribeLogStreams / DescribeLogGroups default and maximum page size.
pub const MAX_DESCRIBE_LIMIT: usize = 50;

const NS: &str = "cwlogs";
const BLOCK_VERSION: u8 = 1;
const RECORD_VERSION: u32 = 1;

/// Errors of the log store, each with CloudWatch Logs' own message.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("The specified log group does not exist.")]
    GroupNotFound,
    #[error("The specified log stream does not exist.")]
    StreamNotFound,
    #[error("The specified nextToken is invalid.")]
    InvalidToken,
    #[error("{0}")]
    InvalidParameter(String),
    #[error("log store failure")]
    Storage(#[from] StorageError),
}

/// An event to append.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputEvent {
    /// Milliseconds since the Unix epoch.
    pub timestamp: i64,
    pub message: String,
}

/// A stored event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Position in its stream (0-based).
    pub seq: u64,
    pub timestamp: i64,
    pub ingestion_time: i64,
    pub message: String,
}

/// A log group as DescribeLogGroups reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRecord {
    pub v: u32,
    pub name: String,
    pub creation_time: i64,
    pub stored_bytes: u64,
}

/// A log stream as DescribeLogStreams reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamRecord {
    pub v: u32,
    pub group: String,
    pub name: String,
    pub creation_time: i64,
    pub first_event_timestamp: Option<i64>,
    pub last_event_timestamp: Option<i64>,
    pub last_ingestion_time: Option<i64>,
    pub stored_bytes: u64,
    /// Number of events.
    pub count: u64,
}

/// Where GetLogEvents starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventsToken {
    /// `f/<n>/s`: events from position `n` on.
    Forward(u64),
    /// `b/<n>/s`: the events just before position `n`.
    Backward(u64),
}

impl EventsToken {
    /// CloudWatch's shape: `f/` or `b/`, 56 decimal digits, `/s`.
    pub fn encode(self) -> String {
        match self {
            EventsToken::Forward(n) => format!("f/{n:056}/s"),
            EventsToken::Backward(n) => format!("b/{n:056}/s"),
        }
    }

    pub fn parse(s: &str) -> Result<EventsToken, LogError> {
        let (dir, rest) = s.split_at_checked(2).ok_or(LogError::InvalidToken)?;
        let digits = rest.strip_suffix("/s").ok_or(LogError::InvalidToken)?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(LogError::InvalidToken);
        }
        let trimmed = digits.trim_start_matches('0');
        let n = if trimmed.is_empty() {
            0
        } else {
            trimmed.parse::<u64>().map_err(|_| LogError::InvalidToken)?
        };
        match dir {
            "f/" => Ok(EventsToken::Forward(n)),
            "b/" => Ok(EventsToken::Backward(n)),
            _ => Err(LogError::InvalidToken),
        }
    }
}

/// A GetLogEvents request.
#[derive(Clone, Debug, Default)]
pub struct GetEventsQuery {
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    pub token: Option<EventsToken>,
    pub limit: Option<usize>,
    pub start_from_head: bool,
}

/// A GetLogEvents answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventsPage {
    pub events: Vec<Event>,
    pub next_forward: EventsToken,
    pub next_backward: EventsToken,
}

/// A FilterLogEvents request.
#[derive(Clone, Debug, Default)]
pub struct FilterQuery {
    pub stream_names: Option<Vec<String>>,
    pub stream_prefix: Option<String>,
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    pub pattern: Option<String>,
    pub token: Option<String>,
    pub limit: Option<usize>,
}

/// One event of a FilterLogEvents answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilteredEvent {
    pub stream: String,
    pub event: Event,
}

impl FilteredEvent {
    /// A stable event id (CloudWatch's are 56-digit decimal strings).
    pub fn event_id(&self) -> String {
        // FNV-1a of the stream name, then the position.
        let h = self.stream.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        format!("{:028}{:028}", h % 10u64.pow(18), self.event.seq)
    }
}

/// A FilterLogEvents answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterPage {
    pub events: Vec<FilteredEvent>,
    pub searched_streams: Vec<String>,
    pub next_token: Option<String>,
}

/// A DescribeLogStreams request.
#[derive(Clone, Debug, Default)]
pub struct StreamsQuery {
    pub prefix: Option<String>,
    pub order_by_last_event_time: bool,
    pub descending: bool,
    pub limit: Option<usize>,
    pub token: Option<String>,
}

/// A page of streams or groups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_token: Option<String>,
}

#[derive(Default)]
struct State {
    groups: BTreeMap<String, GroupRecord>,
    streams: BTreeMap<(String, String), StreamRecord>,
    /// The last, partial block of streams appended to in this run.
    tails: BTreeMap<(String, String), Vec<Event>>,
}

/// The event store. Cheap to share (`Arc`); all methods are blocking.
pub struct LogStore {
    engine: Arc<Engine>,
    state: Mutex<Option<State>>,
}

impl LogStore {
    pub fn new(engine: Arc<Engine>) -> LogStore {
        LogStore {
            engine,
            state: Mutex::new(None),
        }
    }

    fn with_state<T>(
        &self,
        f: impl FnOnce(&mut State) -> Result<T, LogError>,
    ) -> Result<T, LogError> {
        let mut guard = self.state.lock();
        if guard.is_none() {
            *guard = Some(self.load()?);
        }
        match guard.as_mut() {
            Some(state) => f(state),
            None => Err(corrupt("state not loaded")),
        }
    }

    fn load(&self) -> Result<State, LogError> {
        let meta = self.engine.meta();
        let mut state = State::default();
        for (_, v) in meta.scan(NS, b"g", None)? {
            let g: GroupRecord = serde_json::from_slice(&v).map_err(|_| corrupt("group record"))?;
            state.groups.insert(g.name.clone(), g);
        }
        for (_, v) in meta.scan(NS, b"s", None)? {
            let s: StreamRecord =
                serde_json::from_slice(&v).map_err(|_| corrupt("stream record"))?;
            state.streams.insert((s.group.clone(), s.name.clone()), s);
        }
        Ok(state)
    }

    fn put_json<T: Serialize>(&self, key: &[u8], value: &T) -> Result<(), LogError> {
        self.engine.meta().put(NS, key, &encode_json(value)?)?;
        Ok(())
    }

    /// Create a log group if it does not exist (CreateLogGroup without the
    /// "already exists" error).
    pub fn ensure_group(&self, group: &str, now_millis: i64) -> Result<(), LogError> {
        self.with_state(|state| self.ensure_group_locked(state, group, now_millis))
    }

    fn ensure_group_locked(
        &self,
        state: &mut State,
        group: &str,
        now: i64,
    ) -> Result<(), LogError> {
        if !state.groups.contains_key(group) {
            let rec = GroupRecord {
                v: RECORD_VERSION,
                name: group.to_string(),
                creation_time: now,
                stored_bytes: 0,
            };
            self.put_json(&group_key(group), &rec)?;
            state.groups.insert(group.to_string(), rec);
        }
        Ok(())
    }

    /// Append events to a stream, creating the group and the stream as
    /// needed. `now_millis` is the ingestion time.
    pub fn put_events(
        &self,
        group: &str,
        stream: &str,
        events: Vec<InputEvent>,
        now_millis: i64,
    ) -> Result<(), LogError> {
        self.with_state(|state| {
            self.ensure_group_locked(state, group, now_millis)?;
            let id = (group.to_string(), stream.to_string());
            if !state.streams.contains_key(&id) {
                let rec = StreamRecord {
                    v: RECORD_VERSION,
                    group: group.to_string(),
                    name: stream.to_string(),
                    creation_time: now_millis,
                    first_event_timestamp: None,
                    last_event_timestamp: None,
                    last_ingestion_time: None,
                    stored_bytes: 0,
                    count: 0,
                };
                self.put_json(&stream_key(group, stream), &rec)?;
                state.streams.insert(id.clone(), rec);
            }
            if events.is_empty() {
                return Ok(());
            }
            let Some(mut rec) = state.streams.get(&id).cloned() else {
                return Err(LogError::StreamNotFound);
            };
            // The partial tail block: cached, or read back once.
            let mut tail = match state.tails.remove(&id) {
                Some(t) => t,
                None => {
                    let block = rec.count / BLOCK_EVENTS;
                    match self
                        .engine
                        .meta()
                        .get(NS, &block_key(group, stream, block))?
                    {
                        Some(bytes) if rec.count % BLOCK_EVENTS != 0 => {
                            decode_block(&bytes, block * BLOCK_EVENTS)?
                        }
                        _ => Vec::new(),
                    }
                }
            };
            let mut added_bytes = 0u64;
            let mut last_ts = rec.last_event_timestamp.unwrap_or(i64::MIN);
            // Blocks to write, then the records, all in one batch.
            let mut writes: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
            for e in events {
                let ts = e.timestamp.max(last_ts);
                last_ts = ts;
                added_bytes += e.message.len() as u64;
                if rec.first_event_timestamp.is_none() {
                    rec.first_event_timestamp = Some(ts);
                }
                tail.push(Event {
                    seq: rec.count,
                    timestamp: ts,
                    ingestion_time: now_millis,
                    message: e.message,
                });
                rec.count += 1;
                if tail.len() as u64 == BLOCK_EVENTS {
                    let block = (rec.count - 1) / BLOCK_EVENTS;
                    writes.push((block_key(group, stream, block), encode_block(&tail)));
                    tail.clear();
                }
            }
            if !tail.is_empty() {
                let block = rec.count / BLOCK_EVENTS;
                writes.push((block_key(group, stream, block), encode_block(&tail)));
            }
            rec.last_event_timestamp = Some(last_ts);
            rec.last_ingestion_time = Some(now_millis);
            rec.stored_bytes += added_bytes;
            writes.push((stream_key(group, stream), encode_json(&rec)?));
            let mut group_rec = state.groups.get(group).cloned();
            if let Some(g) = group_rec.as_mut() {
                g.stored_bytes += added_bytes;
                writes.push((group_key(group), encode_json(g)?));
            }
            let entries: Vec<(&[u8], Option<&[u8]>)> = writes
                .iter()
                .map(|(k, v)| (k.as_slice(), Some(v.as_slice())))
                .collect();
            self.engine.meta().put_many(NS, &entries)?;
            state.streams.insert(id.clone(), rec);
            state.tails.insert(id, tail);
            if let Some(g) = group_rec {
                state.groups.insert(group.to_string(), g);
            }
            Ok(())
        })
    }

    /// Delete a stream and its events (no error if it does not exist).
    pub fn delete_stream(&self, group: &str, stream: &str) -> Result<(), LogError> {
        self.with_state(|state| {
            let id = (group.to_string(), stream.to_string());
            state.tails.remove(&id);
            let Some(rec) = state.streams.remove(&id) else {
                return Ok(());
            };
            let mut keys: Vec<Vec<u8>> = (0..rec.count.div_ceil(BLOCK_EVENTS))
                .map(|block| block_key(group, stream, block))
                .collect();
            keys.push(stream_key(group, stream));
            let mut entries: Vec<(&[u8], Option<&[u8]>)> =
                keys.iter().map(|k| (k.as_slice(), None)).collect();
            let mut group_bytes = None;
            if let Some(g) = state.groups.get_mut(group) {
                g.stored_bytes = g.stored_bytes.saturating_sub(rec.stored_bytes);
                group_bytes = Some((group_key(group), encode_json(&*g)?));
            }
            if let Some((k, v)) = &group_bytes {
                entries.push((k.as_slice(), Some(v.as_slice())));
            }
            self.engine.meta().put_many(NS, &entries)?;
            Ok(())
        })
    }

    /// The record of one stream.
    pub fn stream(&self, group: &str, stream: &str) -> Result<StreamRecord, LogError> {
        self.with_state(|state| {
            if !state.groups.contains_key(group) {
                return Err(LogError::GroupNotFound);
            }
            state
                .streams
                .get(&(group.to_string(), stream.to_string()))
                .cloned()
                .ok_or(LogError::StreamNotFound)
        })
    }

    /// Events `[from, to)` of a stream (positions), in order.
    fn read_range(
        &self,
        group: &str,
        stream: &str,
        from: u64,
        to: u64,
    ) -> Result<Vec<Event>, LogError> {
        let mut out = Vec::new();
        if from >= to {
            return Ok(out);
        }
        let tail = self.with_state(|state| {
            Ok(state
                .tails
                .get(&(group.to_string(), stream.to_string()))
                .cloned())
        })?;
        let first_block = from / BLOCK_EVENTS;
        let last_block = (to - 1) / BLOCK_EVENTS;
        for block in first_block..=last_block {
            let events = match &tail {
                Some(t) if t.first().is_some_and(|e| e.seq == block * BLOCK_EVENTS) => t.clone(),
                _ => match self
                    .engine
                    .meta()
                    .get(NS, &block_key(group, stream, block))?
                {
                    Some(bytes) => decode_block(&bytes, block * BLOCK_EVENTS)?,
                    None => Vec::new(),
                },
            };
            out.extend(events.into_iter().filter(|e| e.seq >= from && e.seq < to));
        }
        Ok(out)
    }

    /// GetLogEvents.
    pub fn get_events(
        &self,
        group: &str,
        stream: &str,
        q: &GetEventsQuery,
    ) -> Result<EventsPage, LogError> {
        let rec = self.stream(group, stream)?;
        let limit = q
            .limit
            .unwrap_or(MAX_EVENTS_LIMIT)
            .clamp(1, MAX_EVENTS_LIMIT);
        let in_time = |e: &Event| {
            q.start_time.is_none_or(|s| e.timestamp >= s)
                && q.end_time.is_none_or(|t| e.timestamp < t)
        };
        let forward = match q.token {
            Some(EventsToken::Forward(_)) => true,
            Some(EventsToken::Backward(_)) => false,
            None => q.start_from_head,
        };
        let mut events: Vec<Event> = Vec::new();
        let mut bytes = 0usize;
        if forward {
            let mut pos = match q.token {
                Some(EventsToken::Forward(n)) => n,
                _ => 0,
            };
            let start = pos;
            'fwd: while pos < rec.count {
                let end = (pos + BLOCK_EVENTS).min(rec.count);
                for e in self.read_range(group, stream, pos, end)? {
                    if events.len() >= limit || bytes + e.message.len() + 26 > MAX_RESPONSE_BYTES {
                        break 'fwd;
                    }
                    pos = e.seq + 1;
                    if in_time(&e) {
                        bytes += e.message.len() + 26;
                        events.push(e);
                    }
                }
            }
            let first = events.first().map_or(start, |e| e.seq);
            Ok(EventsPage {
                events,
                next_forward: EventsToken::Forward(pos),
                next_backward: EventsToken::Backward(first),
            })
        } else {
            let mut pos = match q.token {
                Some(EventsToken::Backward(n)) => n.min(rec.count),
                _ => rec.count,
            };
            let end = pos;
            'back: while pos > 0 {
                let from = pos.saturating_sub(BLOCK_EVENTS);
                for e in self.read_range(group, stream, from, pos)?.into_iter().rev() {
                    if events.len() >= limit || bytes + e.message.len() + 26 > MAX_RESPONSE_BYTES {
                        break 'back;
                    }
                    pos = e.seq;
                    if in_time(&e) {
                        bytes += e.message.len() + 26;
                        events.push(e);
                    }
                }
            }
            events.reverse();
            let last = events.last().map_or(end, |e| e.seq + 1);
            Ok(EventsPage {
                events,
                next_forward: EventsToken::Forward(last),
                next_backward: EventsToken::Backward(pos),
            })
        }
    }

    /// FilterLogEvents: matching events of the selected streams, interleaved
    /// in (timestamp, stream, position) order.
    pub fn filter_events(&self, group: &str, q: &FilterQuery) -> Result<FilterPage, LogError> {
        if q.stream_names.is_some() && q.stream_prefix.is_some() {
            return Err(LogError::InvalidParameter(
                "You cannot specify both logStreamNames and logStreamNamePrefix.".into(),
            ));
        }
        let streams: Vec<StreamRecord> = self.with_state(|state| {
            if !state.groups.contains_key(group) {
                return Err(LogError::GroupNotFound);
            }
            Ok(state
                .streams
                .values()
                .filter(|s| s.group == group)
                .filter(|s| {
                    q.stream_names
                        .as_ref()
                        .is_none_or(|names| names.contains(&s.name))
                })
                .filter(|s| {
                    q.stream_prefix
                        .as_ref()
                        .is_none_or(|p| s.name.starts_with(p.as_str()))
                })
                .cloned()
                .collect())
        })?;
        let after = q.token.as_deref().map(decode_filter_token).transpose()?;
        let pattern = FilterPattern::parse(q.pattern.as_deref().unwrap_or(""));
        let limit = q
            .limit
            .unwrap_or(MAX_EVENTS_LIMIT)
            .clamp(1, MAX_EVENTS_LIMIT);
        // Collect per stream the candidates after the token (streams are
        // small: import error streams are capped), then merge.
        let mut all: Vec<FilteredEvent> = Vec::new();
        for s in &streams {
            let mut pos = 0;
            while pos < s.count {
                let end = (pos + BLOCK_EVENTS).min(s.count);
                for e in self.read_range(group, &s.name, pos, end)? {
                    let key = (e.timestamp, s.name.as_str(), e.seq);
                    let after_token = after
                        .as_ref()
                        .is_none_or(|(ts, st, sq)| key > (*ts, st.as_str(), *sq));
                    let in_time = q.start_time.is_none_or(|t| e.timestamp >= t)
                        && q.end_time.is_none_or(|t| e.timestamp < t);
                    if after_token && in_time && pattern.matches(&e.message) {
                        all.push(FilteredEvent {
                            stream: s.name.clone(),
                            event: e,
                        });
                    }
                }
                pos = end;
            }
        }
        all.sort_by(|a, b| {
            (a.event.timestamp, &a.stream, a.event.seq).cmp(&(
                b.event.timestamp,
                &b.stream,
                b.event.seq,
            ))
        });
        let mut bytes = 0usize;
        let mut take_n = 0;
        for e in &all {
            if take_n >= limit || bytes + e.event.message.len() + 100 > MAX_RESPONSE_BYTES {
                break;
            }
            bytes += e.event.message.len() + 100;
            take_n += 1;
        }
        let more = take_n < all.len();
        all.truncate(take_n);
        let next_token = if more {
            all.last()
                .map(|e| encode_filter_token(e.event.timestamp, &e.stream, e.event.seq))
        } else {
            None
        };
        Ok(FilterPage {
            events: all,
            searched_streams: streams.into_iter().map(|s| s.name).collect(),
            next_token,
        })
    }

    /// DescribeLogStreams.
    pub fn describe_streams(
        &self,
        group: &str,
        q: &StreamsQuery,
    ) -> Result<Page<StreamRecord>, LogError> {
        if q.order_by_last_event_time && q.prefix.is_some() {
            return Err(LogError::InvalidParameter(
                "Cannot order by LastEventTime with a logStreamNamePrefix.".into(),
            ));
        }
        let limit = q
            .limit
            .unwrap_or(MAX_DESCRIBE_LIMIT)
            .clamp(1, MAX_DESCRIBE_LIMIT);
        let mut streams: Vec<StreamRecord> = self.with_state(|state| {
            if !state.groups.contains_key(group) {
                return Err(LogError::GroupNotFound);
            }
            Ok(state
                .streams
                .values()
                .filter(|s| s.group == group)
                .filter(|s| {
                    q.prefix
                        .as_ref()
                        .is_none_or(|p| s.name.starts_with(p.as_str()))
                })
                .cloned()
                .collect())
        })?;
        if q.order_by_last_event_time {
            streams.sort_by(|a, b| {
                (a.last_event_timestamp.unwrap_or(0), &a.name)
                    .cmp(&(b.last_event_timestamp.unwrap_or(0), &b.name))
            });
        }
        if q.descending {
            streams.reverse();
        }
        paginate(streams, q.token.as_deref(), limit)
    }

    /// DescribeLogGroups.
    pub fn describe_groups(
        &self,
        prefix: Option<&str>,
        limit: Option<usize>,
        token: Option<&str>,
    ) -> Result<Page<GroupRecord>, LogError> {
        let limit = limit
            .unwrap_or(MAX_DESCRIBE_LIMIT)
            .clamp(1, MAX_DESCRIBE_LIMIT);
        let groups: Vec<GroupRecord> = self.with_state(|state| {
            Ok(state
                .groups
                .values()
                .filter(|g| prefix.is_none_or(|p| g.name.starts_with(p)))
                .cloned()
                .collect())
        })?;
        paginate(groups, token, limit)
    }
}

mod codec;
mod pattern;
#[cfg(test)]
mod tests;

use codec::{
    block_key, corrupt, decode_block, decode_filter_token, encode_block, encode_filter_token,
    encode_json, group_key, paginate, stream_key,
};
pub use pattern::FilterPattern;

//! The stored form of the log store: meta-store keys, the event block
//! encoding (`0x01 | count u32 LE | (timestamp i64 LE | ingestion i64 LE |
//! len u32 LE | message)*`), and the opaque paging tokens.

use serde::Serialize;

use super::{BLOCK_EVENTS, BLOCK_VERSION, Event, LogError, Page};
use ferry_storage::StorageError;

pub(super) fn group_key(group: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(group.len() + 1);
    k.push(b'g');
    k.extend_from_slice(group.as_bytes());
    k
}

pub(super) fn stream_key(group: &str, stream: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(group.len() + stream.len() + 2);
    k.push(b's');
    k.extend_from_slice(group.as_bytes());
    k.push(0);
    k.extend_from_slice(stream.as_bytes());
    k
}

pub(super) fn block_key(group: &str, stream: &str, block: u64) -> Vec<u8> {
    let mut k = stream_key(group, stream);
    k[0] = b'b';
    k.push(0);
    k.extend_from_slice(&block.to_be_bytes());
    k
}

pub(super) fn encode_json<T: Serialize>(value: &T) -> Result<Vec<u8>, LogError> {
    serde_json::to_vec(value).map_err(|_| corrupt("cannot encode record"))
}

pub(super) fn encode_block(events: &[Event]) -> Vec<u8> {
    let size: usize = events.iter().map(|e| 20 + e.message.len()).sum();
    let mut out = Vec::with_capacity(5 + size);
    out.push(BLOCK_VERSION);
    out.extend_from_slice(&(events.len() as u32).to_le_bytes());
    for e in events {
        out.extend_from_slice(&e.timestamp.to_le_bytes());
        out.extend_from_slice(&e.ingestion_time.to_le_bytes());
        out.extend_from_slice(&(e.message.len() as u32).to_le_bytes());
        out.extend_from_slice(e.message.as_bytes());
    }
    out
}

pub(super) fn corrupt(what: &str) -> LogError {
    LogError::Storage(StorageError::Corrupt(format!("log block: {what}")))
}

pub(super) fn take<'a>(buf: &mut &'a [u8], n: usize) -> Result<&'a [u8], LogError> {
    if buf.len() < n {
        return Err(corrupt("truncated"));
    }
    let (head, rest) = buf.split_at(n);
    *buf = rest;
    Ok(head)
}

pub(super) fn take_u32(buf: &mut &[u8]) -> Result<u32, LogError> {
    let b = take(buf, 4)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

pub(super) fn take_i64(buf: &mut &[u8]) -> Result<i64, LogError> {
    let b = take(buf, 8)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Ok(i64::from_le_bytes(a))
}

pub(super) fn decode_block(bytes: &[u8], first_seq: u64) -> Result<Vec<Event>, LogError> {
    let mut buf = bytes;
    let version = take(&mut buf, 1)?[0];
    if version != BLOCK_VERSION {
        return Err(corrupt("unknown version"));
    }
    let count = take_u32(&mut buf)? as usize;
    let mut events = Vec::with_capacity(count.min(BLOCK_EVENTS as usize));
    for i in 0..count {
        let timestamp = take_i64(&mut buf)?;
        let ingestion_time = take_i64(&mut buf)?;
        let len = take_u32(&mut buf)? as usize;
        let message = String::from_utf8(take(&mut buf, len)?.to_vec())
            .map_err(|_| corrupt("message is not UTF-8"))?;
        events.push(Event {
            seq: first_seq + i as u64,
            timestamp,
            ingestion_time,
            message,
        });
    }
    Ok(events)
}

/// FilterLogEvents' position: the last returned event's (timestamp, stream,
/// seq), hex-encoded.
pub(super) fn encode_filter_token(ts: i64, stream: &str, seq: u64) -> String {
    let mut raw = Vec::with_capacity(16 + stream.len());
    raw.extend_from_slice(&ts.to_be_bytes());
    raw.extend_from_slice(&seq.to_be_bytes());
    raw.extend_from_slice(stream.as_bytes());
    hex::encode(raw)
}

pub(super) fn decode_filter_token(token: &str) -> Result<(i64, String, u64), LogError> {
    let raw = hex::decode(token).map_err(|_| LogError::InvalidToken)?;
    if raw.len() < 16 {
        return Err(LogError::InvalidToken);
    }
    let mut ts = [0u8; 8];
    ts.copy_from_slice(&raw[..8]);
    let mut seq = [0u8; 8];
    seq.copy_from_slice(&raw[8..16]);
    let stream = String::from_utf8(raw[16..].to_vec()).map_err(|_| LogError::InvalidToken)?;
    Ok((i64::from_be_bytes(ts), stream, u64::from_be_bytes(seq)))
}

/// Offset paging with a hex token (`"o" + offset`).
pub(super) fn paginate<T>(
    items: Vec<T>,
    token: Option<&str>,
    limit: usize,
) -> Result<Page<T>, LogError> {
    let start = match token {
        None => 0,
        Some(t) => {
            let raw = hex::decode(t).map_err(|_| LogError::InvalidToken)?;
            let text = String::from_utf8(raw).map_err(|_| LogError::InvalidToken)?;
            text.strip_prefix('o')
                .and_then(|n| n.parse::<usize>().ok())
                .ok_or(LogError::InvalidToken)?
        }
    };
    let total = items.len();
    let page: Vec<T> = items.into_iter().skip(start).take(limit).collect();
    let next = start + page.len();
    let next_token = (next < total).then(|| hex::encode(format!("o{next}")));
    Ok(Page {
        items: page,
        next_token,
    })
}

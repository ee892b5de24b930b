//! The stream model: stream descriptors (`ferry_model::StreamSettings`, kept
//! in the table's settings) and their times, shards computed from time,
//! sequence numbers and shard iterators.
//!
//! - A stream is named by its creation time (label `YYYY-MM-DDTHH:MM:SS.mmm`,
//!   ARN `<table ARN>/stream/<label>`).
//! - Shards are time ranges: shard `i` holds the commits of
//!   `[created + i·4h, created + (i+1)·4h)`, cut at the disable time. The
//!   newest is open; each older one is closed and the parent of the next.
//! - A sequence number is `commit µs · 1000 + ordinal` (the item's position
//!   in its commit; a commit holds at most 100 items), as a 21-digit
//!   zero-padded decimal string: increasing in commit order, unique, stable
//!   across restarts (both parts are stored).
//! - A shard iterator is `table|label|shard|position|issued µs|mac`: the
//!   records after sequence number `position`, a truncated HMAC-SHA256 under
//!   the table's id so a changed or made-up iterator is refused.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::errors::ApiError;

/// Shard rollover: a new shard every 4 hours of commit time.
pub const SHARD_MICROS: i64 = 4 * 3_600_000_000;
/// Iterators expire 15 minutes after they are issued.
pub const ITERATOR_LIFETIME_MICROS: i64 = 15 * 60_000_000;

/// One stream of a table, enabled at `created_micros`.
pub use ferry_model::StreamSettings as StreamMeta;

/// A stream's label, lifetime and shards, all computed from its times.
pub trait StreamTimes {
    fn label(&self) -> String;
    fn expired(&self, now: i64) -> bool;
    fn trim_horizon(&self, now: i64) -> i64;
    fn shard_count(&self, now: i64) -> u64;
    fn shard_range(&self, i: u64) -> (i64, i64);
    fn first_live_shard(&self, now: i64) -> u64;
    fn shard_id(&self, table_id: &str, i: u64) -> String;
    fn parse_shard(&self, table_id: &str, id: &str, now: i64) -> Option<u64>;
}

/// The end of the stream's time (exclusive), if disabled.
fn end(s: &StreamMeta) -> i64 {
    s.disabled_micros.unwrap_or(i64::MAX)
}

impl StreamTimes for StreamMeta {
    fn label(&self) -> String {
        chrono::DateTime::from_timestamp_micros(self.created_micros)
            .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3f").to_string())
            .unwrap_or_default()
    }

    /// Readable until 24 hours after it was disabled.
    fn expired(&self, now: i64) -> bool {
        self.disabled_micros
            .is_some_and(|d| now >= d + ferry_storage::STREAM_RETENTION_MICROS)
    }

    /// The oldest commit time still readable.
    fn trim_horizon(&self, now: i64) -> i64 {
        self.created_micros
            .max(now - ferry_storage::STREAM_RETENTION_MICROS)
    }

    /// The number of shards so far (the last one open unless disabled).
    fn shard_count(&self, now: i64) -> u64 {
        let last = now
            .min(end(self).saturating_sub(1))
            .max(self.created_micros);
        ((last - self.created_micros) / SHARD_MICROS) as u64 + 1
    }

    /// Shard `i`'s commit-time range `[start, end)`.
    fn shard_range(&self, i: u64) -> (i64, i64) {
        let start = self.created_micros + (i as i64) * SHARD_MICROS;
        (start, (start + SHARD_MICROS).min(end(self)))
    }

    /// The first shard with data newer than the trim horizon.
    fn first_live_shard(&self, now: i64) -> u64 {
        let h = self.trim_horizon(now);
        ((h - self.created_micros) / SHARD_MICROS).max(0) as u64
    }

    fn shard_id(&self, table_id: &str, i: u64) -> String {
        let (start, _) = self.shard_range(i);
        let tag = mac(table_id, &format!("shard|{}|{i}", self.created_micros));
        format!(
            "shardId-{:020}-{}",
            start / 1000,
            tag.get(..8).unwrap_or_default()
        )
    }

    /// The shard index of a shard id of this stream that exists now.
    fn parse_shard(&self, table_id: &str, id: &str, now: i64) -> Option<u64> {
        let ms: i64 = id.strip_prefix("shardId-")?.get(..20)?.parse().ok()?;
        // Ids carry the start in milliseconds: up to 999 µs below it.
        let offset = ms
            .checked_mul(1000)?
            .checked_sub(self.created_micros)?
            .checked_add(999)?;
        let i = u64::try_from(offset.checked_div(SHARD_MICROS)?).ok()?;
        let live = self.first_live_shard(now)..self.shard_count(now);
        (live.contains(&i) && self.shard_id(table_id, i) == id).then_some(i)
    }
}

/// The sequence number of a change.
pub fn seq(ts: i64, ordinal: u32) -> u64 {
    (ts.max(0) as u64) * 1000 + u64::from(ordinal)
}

pub fn seq_text(n: u64) -> String {
    format!("{n:021}")
}

/// A sequence number as given by a client.
pub fn parse_seq(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 40 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn mac(key: &str, payload: &str) -> String {
    let Ok(mut m) = Hmac::<Sha256>::new_from_slice(key.as_bytes()) else {
        return String::new();
    };
    m.update(payload.as_bytes());
    hex::encode(m.finalize().into_bytes())
}

/// A decoded shard iterator.
#[derive(Clone, Debug, PartialEq)]
pub struct ShardIterator {
    pub table: String,
    pub label: String,
    pub shard: u64,
    /// Records after this sequence number.
    pub after: u64,
    pub issued: i64,
}

impl ShardIterator {
    pub fn encode(&self, table_id: &str) -> String {
        let payload = format!(
            "{}|{}|{}|{}|{}",
            self.table, self.label, self.shard, self.after, self.issued
        );
        let tag = mac(table_id, &payload);
        format!("{payload}|{}", tag.get(..32).unwrap_or_default())
    }

    /// The parts of an iterator, not yet checked against its table's id
    /// (see [`ShardIterator::verify`]).
    pub fn parse(text: &str) -> Option<ShardIterator> {
        let mut parts = text.split('|');
        let it = ShardIterator {
            table: parts.next()?.to_string(),
            label: parts.next()?.to_string(),
            shard: parts.next()?.parse().ok()?,
            after: parts.next()?.parse().ok()?,
            issued: parts.next()?.parse().ok()?,
        };
        parts.next()?;
        parts.next().is_none().then_some(it)
    }

    /// Whether `text` is exactly this iterator as issued for `table_id`.
    pub fn verify(&self, table_id: &str, text: &str) -> bool {
        self.encode(table_id) == text
    }
}

/// ValidationException for an iterator that is not one of ours.
pub fn invalid_iterator() -> ApiError {
    // AWS's text for a malformed iterator is not documented; Ferry's choice.
    ApiError::validation("Invalid ShardIterator")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> StreamMeta {
        StreamMeta {
            created_micros: 1_700_000_000_123_456,
            disabled_micros: None,
            view_type: ferry_model::StreamViewType::KeysOnly,
        }
    }

    #[test]
    fn shards_roll_over_and_parse_back() {
        let m = meta();
        let now = m.created_micros + 2 * SHARD_MICROS + 5;
        assert_eq!(m.shard_count(now), 3);
        let id = m.shard_id("t", 1);
        assert!(id.starts_with("shardId-00000001700014400123-"), "{id}");
        assert_eq!(m.parse_shard("t", &id, now), Some(1));
        assert_eq!(m.parse_shard("t", &m.shard_id("t", 0), now), Some(0));
        assert_eq!(m.parse_shard("t", &m.shard_id("t", 2), now), Some(2));
        assert_eq!(m.parse_shard("other", &id, now), None);
        assert_eq!(m.parse_shard("t", "shardId-garbage", now), None);
        assert_eq!(m.label(), "2023-11-14T22:13:20.123");
    }

    #[test]
    fn iterators_round_trip_and_refuse_changes() {
        let it = ShardIterator {
            table: "T".into(),
            label: "2023-11-14T22:13:20.123".into(),
            shard: 0,
            after: 42,
            issued: 7,
        };
        let text = it.encode("id");
        let back = ShardIterator::parse(&text).expect("parses");
        assert_eq!(back, it);
        assert!(back.verify("id", &text));
        let forged = text.replace("|42|", "|41|");
        let f = ShardIterator::parse(&forged).expect("parses");
        assert!(!f.verify("id", &forged));
        assert_eq!(seq_text(seq(5, 3)), "000000000000000005003");
        assert_eq!(parse_seq("12x"), None);
    }
}

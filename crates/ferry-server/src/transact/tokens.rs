//! `ClientRequestToken` idempotency of TransactWriteItems.
//!
//! A token names one request (its parameters, less the token and
//! `ReturnConsumedCapacity`, which DynamoDB lets a retry change). While the
//! first request runs, a retry gets `TransactionInProgressException`; once it
//! has succeeded, a retry within 10 minutes of its completion gets the same
//! answer without writing again, and a different request with the same token
//! gets `IdempotentParameterMismatchException`. A request that failed does
//! not hold its token: a retry runs again (it wrote nothing).
//!
//! Tokens survive restarts: a succeeded request's [`TokenRecord`] is written
//! in the same atomic batch as its items (`ferry_storage::transact_noting`),
//! so it exists exactly when the transaction committed. After a restart a
//! retry within the window still writes nothing; its answer is then the
//! empty output (DynamoDB too documents that a retry's answer may differ from
//! the first one's: it reports read capacity). Expired records are deleted
//! at start and as later requests pass. Time is the engine's clock, so the
//! test clock moves the window too.

use std::collections::HashMap;
use std::sync::Mutex;

use ferry_storage::{Engine, MetaNote, Timestamp};
use sha2::{Digest, Sha256};

use crate::errors::{ApiError, ErrorCode};
use crate::wire::transact::TransactWriteItemsOutput;

/// How long a completed request's token is remembered (µs).
const WINDOW_MICROS: i64 = 10 * 60 * 1_000_000;

enum TokenState {
    /// Started at this time (forgotten after the window, should its
    /// request never finish).
    Running(Timestamp),
    Done {
        output: TransactWriteItemsOutput,
        expires: Timestamp,
    },
}

struct Entry {
    fingerprint: String,
    state: TokenState,
}

/// The tokens seen in the last 10 minutes.
#[derive(Default)]
pub struct Tokens {
    entries: Mutex<HashMap<String, Entry>>,
    /// Tokens dropped from memory whose records are still on disk.
    stale: Mutex<Vec<String>>,
}

/// The `meta` namespace of [`TokenRecord`]s, keyed by the token.
pub const NS: &str = "txn-tokens";

/// The durable trace of a committed request: version 1 is the byte `1`,
/// `expires` (µs, i64 big-endian), then the fingerprint's UTF-8 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub fingerprint: String,
    pub expires: Timestamp,
}

const RECORD_V1: u8 = 1;

impl TokenRecord {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(9 + self.fingerprint.len());
        out.push(RECORD_V1);
        out.extend_from_slice(&self.expires.to_be_bytes());
        out.extend_from_slice(self.fingerprint.as_bytes());
        out
    }

    pub fn decode(bytes: &[u8]) -> Option<TokenRecord> {
        let (&version, rest) = bytes.split_first()?;
        if version != RECORD_V1 || rest.len() < 8 {
            return None;
        }
        let (expires, fingerprint) = rest.split_at(8);
        Some(TokenRecord {
            expires: Timestamp::from_be_bytes(expires.try_into().ok()?),
            fingerprint: String::from_utf8(fingerprint.to_vec()).ok()?,
        })
    }

    /// The record of a request with `fingerprint` committing about `now`.
    pub fn new(fingerprint: String, now: Timestamp) -> TokenRecord {
        TokenRecord {
            fingerprint,
            expires: now + WINDOW_MICROS,
        }
    }

    /// The record as the note written with the transaction's items.
    pub fn note<'a>(token: &'a str, encoded: &'a [u8]) -> MetaNote<'a> {
        MetaNote {
            ns: NS,
            key: token.as_bytes(),
            value: encoded,
        }
    }
}

/// What to do with a request that carries a token.
pub enum Claim {
    /// Run it (the token is now marked running).
    Run,
    /// Answer this without running.
    Done(TransactWriteItemsOutput),
}

/// The request's identity: the SHA-256 (hex) of its JSON less the token and
/// `ReturnConsumedCapacity`, with object keys in sorted order.
pub fn fingerprint(body: &[u8]) -> String {
    let canonical = match serde_json::from_slice(body) {
        Ok(serde_json::Value::Object(mut map)) => {
            map.remove("ClientRequestToken");
            map.remove("ReturnConsumedCapacity");
            let sorted: std::collections::BTreeMap<String, serde_json::Value> =
                map.into_iter().collect();
            serde_json::to_vec(&sorted).unwrap_or_default()
        }
        _ => body.to_vec(),
    };
    hex::encode(Sha256::digest(&canonical))
}

impl Tokens {
    /// The tokens recorded by requests committed in the last 10 minutes
    /// (before a restart); expired records are deleted.
    pub fn load(engine: &Engine) -> Result<Tokens, ferry_storage::StorageError> {
        let now = engine.clock().now();
        let mut entries = HashMap::new();
        let mut expired: Vec<Vec<u8>> = Vec::new();
        for (key, value) in engine.meta().scan(NS, b"", None)? {
            let record = TokenRecord::decode(&value);
            match (String::from_utf8(key.clone()), record) {
                (Ok(token), Some(r)) if r.expires > now => {
                    entries.insert(
                        token,
                        Entry {
                            fingerprint: r.fingerprint,
                            state: TokenState::Done {
                                output: TransactWriteItemsOutput::default(),
                                expires: r.expires,
                            },
                        },
                    );
                }
                _ => expired.push(key),
            }
        }
        let deletes: Vec<(&[u8], Option<&[u8]>)> =
            expired.iter().map(|k| (k.as_slice(), None)).collect();
        engine.meta().put_many(NS, &deletes)?;
        Ok(Tokens {
            entries: Mutex::new(entries),
            stale: Mutex::default(),
        })
    }

    /// Deletes the records of tokens that expired from memory (called off
    /// the async threads).
    pub fn forget_stale(&self, engine: &Engine) {
        let stale = std::mem::take(
            &mut *self
                .stale
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        if stale.is_empty() {
            return;
        }
        let deletes: Vec<(&[u8], Option<&[u8]>)> =
            stale.iter().map(|k| (k.as_bytes(), None)).collect();
        if let Err(e) = engine.meta().put_many(NS, &deletes) {
            tracing::warn!(error = %e, "could not delete expired client tokens");
        }
    }

    /// Claim `token` for a request with `fingerprint` at time `now`.
    pub fn claim(
        &self,
        token: &str,
        fingerprint: String,
        now: Timestamp,
    ) -> Result<Claim, ApiError> {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut gone = Vec::new();
        entries.retain(|token, e| {
            let keep = match e.state {
                TokenState::Running(started) => started + WINDOW_MICROS > now,
                TokenState::Done { expires, .. } => expires > now,
            };
            if !keep && matches!(e.state, TokenState::Done { .. }) {
                gone.push(token.clone());
            }
            keep
        });
        if !gone.is_empty() {
            self.stale
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .extend(gone);
        }
        if let Some(e) = entries.get(token) {
            // DynamoDB's wording for these two is not documented; Ferry's
            // own (docs/design/transactions.md).
            if e.fingerprint != fingerprint {
                return Err(ApiError::new(
                    ErrorCode::IdempotentParameterMismatchException,
                    "The request uses the same client token as a previous, but non-identical request.",
                ));
            }
            return match &e.state {
                TokenState::Running(_) => Err(ApiError::new(
                    ErrorCode::TransactionInProgressException,
                    "The transaction with the given request token is already in progress.",
                )),
                TokenState::Done { output, .. } => Ok(Claim::Done(output.clone())),
            };
        }
        entries.insert(
            token.to_string(),
            Entry {
                fingerprint,
                state: TokenState::Running(now),
            },
        );
        Ok(Claim::Run)
    }

    /// The request holding `token` finished at `now`: remember a success,
    /// release the token after a failure.
    pub fn finish(
        &self,
        token: &str,
        result: &Result<TransactWriteItemsOutput, ApiError>,
        now: Timestamp,
    ) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match result {
            Ok(output) => {
                if let Some(e) = entries.get_mut(token) {
                    e.state = TokenState::Done {
                        output: output.clone(),
                        expires: now + WINDOW_MICROS,
                    };
                }
            }
            Err(_) => {
                entries.remove(token);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_done_mismatch_and_expiry() {
        let t = Tokens::default();
        let fp = fingerprint(br#"{"TransactItems":[1],"ClientRequestToken":"a"}"#);
        assert_eq!(
            fp,
            fingerprint(br#"{"ReturnConsumedCapacity":"TOTAL","TransactItems":[1]}"#)
        );
        assert!(matches!(t.claim("a", fp.clone(), 0), Ok(Claim::Run)));
        let busy = t.claim("a", fp.clone(), 1).err().map(|e| e.code);
        assert_eq!(busy, Some(ErrorCode::TransactionInProgressException));
        t.finish("a", &Ok(TransactWriteItemsOutput::default()), 10);
        assert!(matches!(t.claim("a", fp.clone(), 11), Ok(Claim::Done(_))));
        let other = t.claim("a", "other".to_string(), 11).err().map(|e| e.code);
        assert_eq!(other, Some(ErrorCode::IdempotentParameterMismatchException));
        assert!(matches!(
            t.claim("a", "other".to_string(), 10 + WINDOW_MICROS),
            Ok(Claim::Run)
        ));
        t.finish("a", &Err(ApiError::validation("x")), 20);
        assert!(matches!(t.claim("a", fp, 21), Ok(Claim::Run)));
    }

    #[test]
    fn records_round_trip_and_refuse_other_versions() {
        let r = TokenRecord::new(fingerprint(b"{}"), -5);
        let bytes = r.encode();
        assert_eq!(bytes[0], 1);
        assert_eq!(TokenRecord::decode(&bytes), Some(r));
        let mut v2 = bytes.clone();
        v2[0] = 2;
        assert_eq!(TokenRecord::decode(&v2), None);
        assert_eq!(TokenRecord::decode(&bytes[..5]), None);
    }
}

//! `ClientRequestToken` idempotency of TransactWriteItems.
//!
//! A token names one request (its parameters, less the token and
//! `ReturnConsumedCapacity`, which DynamoDB lets a retry change). While the
//! first request runs, a retry gets `TransactionInProgressException`; once it
//! has succeeded, a retry within 10 minutes of its completion gets the same
//! answer without writing again, and a different request with the same token
//! gets `IdempotentParameterMismatchException`. A request that failed does
//! not hold its token: a retry runs again (it wrote nothing). Tokens are
//! kept in memory: a restart forgets them (see docs/design/transactions.md).
//! Time is the engine's clock, so the test clock moves the window too.

use std::collections::HashMap;

use ferry_storage::Timestamp;
use std::sync::Mutex;

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
}

/// What to do with a request that carries a token.
pub enum Claim {
    /// Run it (the token is now marked running).
    Run,
    /// Answer this without running.
    Done(TransactWriteItemsOutput),
}

/// The request's identity: its JSON less the token and
/// `ReturnConsumedCapacity`, with object keys in sorted order.
pub fn fingerprint(body: &[u8]) -> String {
    let Ok(serde_json::Value::Object(mut map)) = serde_json::from_slice(body) else {
        return String::from_utf8_lossy(body).into_owned();
    };
    map.remove("ClientRequestToken");
    map.remove("ReturnConsumedCapacity");
    let sorted: std::collections::BTreeMap<String, serde_json::Value> = map.into_iter().collect();
    serde_json::to_string(&sorted).unwrap_or_default()
}

impl Tokens {
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
        entries.retain(|_, e| match e.state {
            TokenState::Running(started) => started + WINDOW_MICROS > now,
            TokenState::Done { expires, .. } => expires > now,
        });
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
}

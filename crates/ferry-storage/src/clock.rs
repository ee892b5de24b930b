//! The engine's clock: wall time plus a test offset, and strictly increasing
//! commit timestamps.
//!
//! `last` holds the greatest value ever handed out, by `now()` or as a commit
//! stamp; a commit stamp is `max(wall + offset, last + 1)`. So commit stamps
//! strictly increase, `now()` never goes backwards, and every commit issued
//! after a `now()` call gets a later stamp: a read "as of `now()`" stays the
//! same forever. Commit stamps are issued under the engine's commit lock, in
//! commit order. A persisted high-water mark keeps stamps increasing across
//! restarts even if the wall clock steps back.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::Timestamp;

/// The engine's clock: strictly increasing microsecond commit timestamps.
/// `advance` exists for tests that need time to pass (incremental exports).
pub struct Clock {
    offset: AtomicI64,
    last: AtomicI64,
}

fn wall_micros() -> Timestamp {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl Clock {
    /// A clock that never issues a stamp at or below `floor`.
    pub(crate) fn new(floor: Timestamp) -> Clock {
        Clock {
            offset: AtomicI64::new(0),
            last: AtomicI64::new(floor),
        }
    }

    fn wall(&self) -> Timestamp {
        wall_micros().saturating_add(self.offset.load(Ordering::SeqCst))
    }

    /// The current time (wall clock plus any test offset), not a commit stamp.
    pub fn now(&self) -> Timestamp {
        let w = self.wall();
        let prev = self.last.fetch_max(w, Ordering::SeqCst);
        prev.max(w)
    }

    /// Move this clock forward by `micros` (tests only).
    pub fn advance(&self, micros: i64) {
        self.offset.fetch_add(micros, Ordering::SeqCst);
    }

    /// A new commit stamp, greater than every value handed out before.
    pub(crate) fn issue(&self) -> Timestamp {
        let w = self.wall();
        let mut cur = self.last.load(Ordering::SeqCst);
        loop {
            let next = w.max(cur.saturating_add(1));
            match self
                .last
                .compare_exchange(cur, next, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => return next,
                Err(seen) => cur = seen,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_strictly_increase_and_follow_now() {
        let c = Clock::new(0);
        let a = c.issue();
        let b = c.issue();
        assert!(b > a);
        let n = c.now();
        assert!(n >= b);
        let d = c.issue();
        assert!(d > n, "a commit after now() is later than it");
    }

    #[test]
    fn floor_and_advance() {
        let far = wall_micros() + 3_600_000_000;
        let c = Clock::new(far);
        assert_eq!(c.issue(), far + 1);
        assert_eq!(c.issue(), far + 2);
        let c = Clock::new(0);
        let before = c.now();
        c.advance(86_400_000_000);
        let after = c.now();
        assert!(after - before >= 86_400_000_000);
        assert!(c.issue() > after);
    }
}

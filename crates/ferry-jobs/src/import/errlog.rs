//! The import's CloudWatch error log: one event per bad item in group
//! `/aws-dynamodb/imports`, stream `<import-id>/error`, whose message is
//! AWS's JSON:
//! `{"itemS3Pointer":{"bucket":..,"key":..,"itemIndex":N},"importArn":..,"errorMessages":[..]}`.
//! Events are buffered and written in batches; at most
//! [`MAX_LOGGED_ERRORS`](super::MAX_LOGGED_ERRORS) per import.

use std::sync::atomic::{AtomicU64, Ordering};

use ferry_storage::Engine;
use parking_lot::Mutex;
use serde::Serialize;

use super::pipeline::ErrorLog;
use crate::cwlogs::{IMPORT_LOG_GROUP, InputEvent, LogStore};

/// Events buffered before a write to the store.
const FLUSH_EVENTS: usize = 1000;

#[derive(Serialize)]
struct Pointer<'a> {
    bucket: &'a str,
    key: &'a str,
    #[serde(rename = "itemIndex")]
    item_index: u64,
}

#[derive(Serialize)]
struct Message<'a> {
    #[serde(rename = "itemS3Pointer")]
    item_s3_pointer: Pointer<'a>,
    #[serde(rename = "importArn")]
    import_arn: &'a str,
    #[serde(rename = "errorMessages")]
    error_messages: [&'a str; 1],
}

/// The error-log message of one bad item.
pub fn error_message(
    bucket: &str,
    key: &str,
    index: u64,
    import_arn: &str,
    message: &str,
) -> String {
    let m = Message {
        item_s3_pointer: Pointer {
            bucket,
            key,
            item_index: index,
        },
        import_arn,
        error_messages: [message],
    };
    serde_json::to_string(&m).unwrap_or_default()
}

pub struct ImportErrorLog<'a> {
    logs: &'a LogStore,
    engine: &'a Engine,
    stream: String,
    bucket: &'a str,
    import_arn: &'a str,
    max: u64,
    logged: AtomicU64,
    buffer: Mutex<Vec<InputEvent>>,
}

impl<'a> ImportErrorLog<'a> {
    pub fn new(
        logs: &'a LogStore,
        engine: &'a Engine,
        stream: String,
        bucket: &'a str,
        import_arn: &'a str,
        max: u64,
    ) -> Self {
        ImportErrorLog {
            logs,
            engine,
            stream,
            bucket,
            import_arn,
            max,
            logged: AtomicU64::new(0),
            buffer: Mutex::new(Vec::new()),
        }
    }

    fn now_millis(&self) -> i64 {
        self.engine.clock().now() / 1000
    }

    fn write(&self, events: Vec<InputEvent>) {
        if events.is_empty() {
            return;
        }
        if let Err(e) =
            self.logs
                .put_events(IMPORT_LOG_GROUP, &self.stream, events, self.now_millis())
        {
            tracing::error!(error = %e, stream = %self.stream, "cannot write import error events");
        }
    }

    /// Write every buffered event.
    pub fn flush(&self) {
        let mut buffer = self.buffer.lock();
        let events = std::mem::take(&mut *buffer);
        self.write(events);
    }
}

impl ErrorLog for ImportErrorLog<'_> {
    fn item_error(&self, key: &str, index: u64, message: String) {
        if self.logged.fetch_add(1, Ordering::Relaxed) >= self.max {
            return;
        }
        let event = InputEvent {
            timestamp: self.now_millis(),
            message: error_message(self.bucket, key, index, self.import_arn, &message),
        };
        let mut buffer = self.buffer.lock();
        buffer.push(event);
        if buffer.len() >= FLUSH_EVENTS {
            let events = std::mem::take(&mut *buffer);
            self.write(events);
        }
    }
}

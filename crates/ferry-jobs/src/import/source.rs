//! Where an import reads its objects from, as the (blocking) pipeline sees
//! it: list a raw prefix, open one object pinned to the ETag it was listed
//! with. [`ObjectSource`] is implemented over `ferry-objects` (embedded store
//! or external S3) in `objects.rs`, and by in-memory fakes in the tests.
//!
//! Source failures carry the S3 error code and become the import's
//! `FailureCode` / `FailureMessage` ([`SourceError::failure`]).

use std::io::{self, Read};
use std::sync::Arc;

use parking_lot::Mutex;

use super::spec::Failure;

/// One object to import, pinned to the ETag it had when listed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SourceObject {
    pub key: String,
    pub size: u64,
    pub etag: String,
}

/// The S3 failure classes an import reports differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceErrorKind {
    NoSuchBucket,
    NoSuchKey,
    /// The object changed since it was listed (`If-Match` failed).
    Modified,
    AccessDenied,
    Other,
}

/// A failure to list or read, with S3's code, message and HTTP status.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct SourceError {
    pub kind: SourceErrorKind,
    /// S3's error code (`NoSuchBucket`, `AccessDenied`, ...).
    pub code: String,
    /// S3's message (`The specified bucket does not exist`).
    pub message: String,
    pub status: u16,
}

/// `ObjectModifiedInS3DuringImport`'s message (the user guide's words).
pub const OBJECT_MODIFIED_MESSAGE: &str =
    "The S3 object could not be imported because it was overwritten.";

impl SourceError {
    pub fn new(kind: SourceErrorKind, code: &str, message: &str, status: u16) -> SourceError {
        SourceError {
            kind,
            code: code.to_string(),
            message: message.to_string(),
            status,
        }
    }

    pub fn no_such_bucket() -> SourceError {
        SourceError::new(
            SourceErrorKind::NoSuchBucket,
            "NoSuchBucket",
            "The specified bucket does not exist",
            404,
        )
    }

    pub fn modified() -> SourceError {
        SourceError::new(
            SourceErrorKind::Modified,
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
            412,
        )
    }

    /// The import's FailureCode and FailureMessage for this error: S3
    /// errors as the Java SDK inside DynamoDB prints them (`S3<Code>` and
    /// `<message> (Service: Amazon S3; Status Code: ...; Proxy: null)`, as in
    /// the user guide's S3NoSuchBucket example); a changed object is
    /// `ObjectModifiedInS3DuringImport`.
    pub fn failure(&self) -> Failure {
        if self.kind == SourceErrorKind::Modified {
            return Failure {
                code: "ObjectModifiedInS3DuringImport".into(),
                message: OBJECT_MODIFIED_MESSAGE.into(),
            };
        }
        Failure {
            code: format!("S3{}", self.code),
            message: format!(
                "{} (Service: Amazon S3; Status Code: {}; Error Code: {}; Request ID: {}; S3 Extended Request ID: {}; Proxy: null)",
                self.message,
                self.status,
                self.code,
                request_id(),
                extended_request_id()
            ),
        }
    }
}

/// A random S3-style request id: 16 upper-case letters and digits.
fn request_id() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::rng();
    (0..16)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// A random S3-style extended request id (base64 of 56 random bytes).
fn extended_request_id() -> String {
    use base64::Engine as _;
    use rand::Rng;
    let mut bytes = [0u8; 56];
    rand::rng().fill(&mut bytes[..]);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Object access for an import. Blocking: called from the pipeline's threads.
pub trait ObjectSource: Send + Sync {
    /// Objects whose key starts with `prefix` (raw string prefix), in key
    /// order; at most `limit` (the caller asks one more than it accepts).
    fn list(
        &self,
        bucket: &str,
        prefix: &str,
        limit: usize,
    ) -> Result<Vec<SourceObject>, SourceError>;

    /// The bytes of `object`, which must still have the listed ETag.
    fn open(
        &self,
        bucket: &str,
        object: &SourceObject,
    ) -> Result<Box<dyn Read + Send>, SourceError>;
}

/// Remembers the first source error seen while reading, so that the reader
/// of a decompressor can tell "the source failed" (the import fails) from
/// "the data is corrupt" (an item error for that object).
#[derive(Clone, Default)]
pub struct ErrorSlot(Arc<Mutex<Option<SourceError>>>);

impl ErrorSlot {
    pub fn set(&self, e: SourceError) {
        let mut slot = self.0.lock();
        if slot.is_none() {
            *slot = Some(e);
        }
    }

    #[must_use]
    pub fn take(&self) -> Option<SourceError> {
        self.0.lock().take()
    }
}

/// The error a source reader returns to carry a [`SourceError`] through
/// `std::io::Read` (see [`source_io_error`]).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SourceIoError(pub SourceError);

/// An `io::Error` wrapping a source failure.
pub fn source_io_error(e: SourceError) -> io::Error {
    io::Error::other(SourceIoError(e))
}

/// Wraps a raw object reader: source failures (wrapped with
/// [`source_io_error`], or any I/O error of the raw stream) land in the slot.
pub struct GuardedReader<R> {
    inner: R,
    slot: ErrorSlot,
}

impl<R: Read> GuardedReader<R> {
    pub fn new(inner: R, slot: ErrorSlot) -> Self {
        GuardedReader { inner, slot }
    }
}

impl<R: Read> Read for GuardedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                let source = match e
                    .get_ref()
                    .and_then(|inner| inner.downcast_ref::<SourceIoError>())
                {
                    Some(SourceIoError(s)) => s.clone(),
                    None => SourceError::new(
                        SourceErrorKind::Other,
                        "InternalError",
                        &e.to_string(),
                        500,
                    ),
                };
                self.slot.set(source);
                Err(e)
            }
        }
    }
}

//! Errors: [`StoreError`] for the embedded bucket store, [`ObjectError`] for the
//! object-access trait import and export use (carrying S3's error code and
//! message so a job can report AWS's `FailureCode` / `FailureMessage`).

use std::io;

/// What the embedded bucket store can fail with. The S3 endpoint maps each
/// variant to the S3 error of the same name.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no such bucket {0}")]
    NoSuchBucket(String),
    #[error("bucket already exists {0}")]
    BucketAlreadyOwnedByYou(String),
    #[error("bucket is not empty {0}")]
    BucketNotEmpty(String),
    #[error("invalid bucket name {0:?}")]
    InvalidBucketName(String),
    #[error("no such key {key:?} in bucket {bucket}")]
    NoSuchKey { bucket: String, key: String },
    #[error("key is longer than 1024 bytes or empty")]
    InvalidKey,
    #[error("precondition failed")]
    PreconditionFailed,
    #[error("no such upload {0}")]
    NoSuchUpload(String),
    #[error("part {part} was not uploaded or its etag does not match")]
    InvalidPart { part: u32 },
    #[error("parts are not in ascending order")]
    InvalidPartOrder,
    #[error("part {part} is smaller than the 5 MiB minimum")]
    EntityTooSmall { part: u32 },
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    #[error("corrupt store file {path}: {reason}")]
    Corrupt { path: String, reason: String },
    #[error("{context}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },
}

impl StoreError {
    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(io::Error) -> StoreError {
        let context = context.into();
        move |source| StoreError::Io { context, source }
    }
}

/// An object-access failure, with the S3 error it corresponds to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObjectError {
    #[error("no such bucket {bucket}")]
    NoSuchBucket { bucket: String },
    #[error("no such key {key:?} in bucket {bucket}")]
    NoSuchKey { bucket: String, key: String },
    /// The object changed since it was listed (`If-Match` failed).
    #[error("object {key:?} in bucket {bucket} changed since it was listed")]
    PreconditionFailed { bucket: String, key: String },
    #[error("access denied: {message}")]
    AccessDenied { message: String },
    /// A key the external client cannot name (object_store's `Path` rules:
    /// no empty, `.` or `..` segments, no leading or trailing `/`, no control
    /// characters).
    #[error("key {key:?} cannot be addressed: {reason}")]
    UnsupportedKey { key: String, reason: String },
    /// Any other S3 error, by code.
    #[error("{code}: {message}")]
    Other {
        code: String,
        message: String,
        status: u16,
    },
}

impl ObjectError {
    /// The S3 error code, e.g. `NoSuchBucket`.
    pub fn code(&self) -> &str {
        match self {
            ObjectError::NoSuchBucket { .. } => "NoSuchBucket",
            ObjectError::NoSuchKey { .. } => "NoSuchKey",
            ObjectError::PreconditionFailed { .. } => "PreconditionFailed",
            ObjectError::AccessDenied { .. } => "AccessDenied",
            ObjectError::UnsupportedKey { .. } => "InvalidArgument",
            ObjectError::Other { code, .. } => code,
        }
    }

    /// The HTTP status S3 answers with.
    pub fn status(&self) -> u16 {
        match self {
            ObjectError::NoSuchBucket { .. } | ObjectError::NoSuchKey { .. } => 404,
            ObjectError::PreconditionFailed { .. } => 412,
            ObjectError::AccessDenied { .. } => 403,
            ObjectError::UnsupportedKey { .. } => 400,
            ObjectError::Other { status, .. } => *status,
        }
    }

    /// S3's own message for the error.
    pub fn s3_message(&self) -> String {
        match self {
            ObjectError::NoSuchBucket { .. } => "The specified bucket does not exist".into(),
            ObjectError::NoSuchKey { .. } => "The specified key does not exist.".into(),
            ObjectError::PreconditionFailed { .. } => {
                "At least one of the pre-conditions you specified did not hold".into()
            }
            ObjectError::AccessDenied { message } => message.clone(),
            ObjectError::UnsupportedKey { key, reason } => {
                format!("The key {key:?} cannot be addressed: {reason}")
            }
            ObjectError::Other { message, .. } => message.clone(),
        }
    }

    /// DynamoDB's import/export `FailureCode` for this error: `S3` + the S3
    /// code, e.g. `S3NoSuchBucket`.
    pub fn failure_code(&self) -> String {
        format!("S3{}", self.code())
    }

    /// DynamoDB's import/export `FailureMessage`: the message in the AWS Java
    /// SDK's exception format, with fresh request ids, e.g. `The specified
    /// bucket does not exist (Service: Amazon S3; Status Code: 404; Error
    /// Code: NoSuchBucket; Request ID: …; S3 Extended Request ID: …; Proxy: null)`.
    pub fn failure_message(&self) -> String {
        let (request_id, extended) = request_ids();
        format!(
            "{} (Service: Amazon S3; Status Code: {}; Error Code: {}; Request ID: {request_id}; S3 Extended Request ID: {extended}; Proxy: null)",
            self.s3_message(),
            self.status(),
            self.code()
        )
    }
}

/// An S3-style request id (16 upper-case alphanumerics) and extended request
/// id (76 base64 characters).
pub fn request_ids() -> (String, String) {
    use base64::Engine as _;
    const ALPHABET: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let a = uuid::Uuid::new_v4();
    let id: String = a
        .as_bytes()
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    let mut raw = Vec::with_capacity(64);
    for _ in 0..4 {
        raw.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    }
    raw.truncate(57);
    let ext = base64::engine::general_purpose::STANDARD.encode(&raw);
    (id, ext)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_message_has_aws_shape() {
        let e = ObjectError::NoSuchBucket { bucket: "b".into() };
        assert_eq!(e.failure_code(), "S3NoSuchBucket");
        let m = e.failure_message();
        assert!(
            m.starts_with(
                "The specified bucket does not exist (Service: Amazon S3; Status Code: 404; Error Code: NoSuchBucket; Request ID: "
            ),
            "{m}"
        );
        assert!(m.ends_with("; Proxy: null)"), "{m}");
        let (id, ext) = request_ids();
        assert_eq!(id.len(), 16);
        assert_eq!(ext.len(), 76);
    }
}

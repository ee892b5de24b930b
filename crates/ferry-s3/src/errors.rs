//! The one place store errors become S3 errors, with S3's own messages.

use ferry_objects::StoreError;
use s3s::{S3Error, S3ErrorCode};

/// S3's messages for the errors Ferry sends.
pub mod msg {
    pub const NO_SUCH_BUCKET: &str = "The specified bucket does not exist";
    pub const NO_SUCH_KEY: &str = "The specified key does not exist.";
    pub const NO_SUCH_UPLOAD: &str = "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.";
    pub const BUCKET_EXISTS: &str =
        "Your previous request to create the named bucket succeeded and you already own it.";
    pub const BUCKET_TAKEN: &str = "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.";
    pub const BUCKET_NOT_EMPTY: &str = "The bucket you tried to delete is not empty";
    pub const INVALID_BUCKET_NAME: &str = "The specified bucket is not valid.";
    pub const KEY_TOO_LONG: &str = "Your key is too long";
    pub const PRECONDITION: &str = "At least one of the pre-conditions you specified did not hold";
    pub const INVALID_RANGE: &str = "The requested range is not satisfiable";
    pub const INVALID_PART: &str = "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.";
    pub const INVALID_PART_ORDER: &str =
        "The list of parts was not in ascending order. Parts must be ordered by part number.";
    pub const ENTITY_TOO_SMALL: &str =
        "Your proposed upload is smaller than the minimum allowed object size.";
    pub const MALFORMED_XML: &str =
        "The XML you provided was not well-formed or did not validate against our published schema";
    pub const BAD_MD5: &str = "The Content-MD5 you specified did not match what we received.";
    pub const INVALID_MD5: &str = "The Content-MD5 you specified is not valid.";
    pub const INTERNAL: &str = "We encountered an internal error. Please try again.";
    pub const SIGNATURE: &str = "The request signature we calculated does not match the signature you provided. Check your key and signing method.";
    pub const SKEWED: &str =
        "The difference between the request time and the current time is too large.";
    pub const ACCESS_DENIED: &str = "Access Denied";
    pub const CONTENT_SHA256: &str =
        "The provided 'x-amz-content-sha256' header does not match what was computed.";
    pub const EXPIRES_NOT_A_NUMBER: &str = "X-Amz-Expires should be a number";
    pub const INCOMPLETE_BODY: &str =
        "You did not provide the number of bytes specified by the Content-Length HTTP header.";
}

/// An S3 error with S3's message.
pub fn err(code: S3ErrorCode, message: &str) -> S3Error {
    S3Error::with_message(code, message.to_owned())
}

/// An error whose code s3s does not enumerate, with its HTTP status.
pub fn custom(code: &str, status: http::StatusCode, message: &str) -> S3Error {
    let code = code
        .parse::<S3ErrorCode>()
        .unwrap_or(S3ErrorCode::InvalidRequest);
    let mut e = S3Error::with_message(code, message.to_owned());
    e.set_status_code(status);
    e
}

/// Maps a store error to the S3 error S3 would send.
pub fn store_error(e: StoreError) -> S3Error {
    use S3ErrorCode as C;
    match e {
        StoreError::NoSuchBucket(_) => err(C::NoSuchBucket, msg::NO_SUCH_BUCKET),
        StoreError::BucketAlreadyOwnedByYou(_) => {
            err(C::BucketAlreadyOwnedByYou, msg::BUCKET_EXISTS)
        }
        StoreError::BucketNotEmpty(_) => err(C::BucketNotEmpty, msg::BUCKET_NOT_EMPTY),
        StoreError::InvalidBucketName(_) => err(C::InvalidBucketName, msg::INVALID_BUCKET_NAME),
        StoreError::NoSuchKey { .. } => err(C::NoSuchKey, msg::NO_SUCH_KEY),
        StoreError::InvalidKey => err(C::KeyTooLongError, msg::KEY_TOO_LONG),
        StoreError::PreconditionFailed => err(C::PreconditionFailed, msg::PRECONDITION),
        StoreError::NoSuchUpload(_) => err(C::NoSuchUpload, msg::NO_SUCH_UPLOAD),
        StoreError::InvalidPart { .. } => err(C::InvalidPart, msg::INVALID_PART),
        StoreError::InvalidPartOrder => err(C::InvalidPartOrder, msg::INVALID_PART_ORDER),
        StoreError::EntityTooSmall { .. } => err(C::EntityTooSmall, msg::ENTITY_TOO_SMALL),
        StoreError::InvalidArgument(m) if m == "You must specify at least one part" => {
            err(C::MalformedXML, msg::MALFORMED_XML)
        }
        StoreError::InvalidArgument(m) => err(C::InvalidArgument, &m),
        e @ (StoreError::Corrupt { .. } | StoreError::Io { .. }) => {
            tracing::error!(error = %e, "bucket store failure");
            err(C::InternalError, msg::INTERNAL)
        }
    }
}

/// The S3 error for a failed request body stream (s3s's aws-chunked and
/// payload-hash checks surface here).
pub fn body_error(e: &(dyn std::error::Error + Send + Sync)) -> S3Error {
    let text = e.to_string();
    if text.contains("SignatureMismatch") {
        err(S3ErrorCode::SignatureDoesNotMatch, msg::SIGNATURE)
    } else if text.contains("Sha256Mismatch") {
        custom(
            "XAmzContentSHA256Mismatch",
            http::StatusCode::BAD_REQUEST,
            msg::CONTENT_SHA256,
        )
    } else {
        tracing::debug!(error = %text, "request body failed");
        err(S3ErrorCode::IncompleteBody, msg::INCOMPLETE_BODY)
    }
}

/// Runs blocking store work off the async threads.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, S3Error> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(store_error),
        Err(e) => {
            tracing::error!(error = %e, "store task failed");
            Err(err(S3ErrorCode::InternalError, msg::INTERNAL))
        }
    }
}

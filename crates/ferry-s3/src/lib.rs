//! Ferry's S3 endpoint: every request on Ferry's port without `X-Amz-Target`.
//!
//! Built on s3s (`=0.14.1`): s3s parses requests, routes operations,
//! serializes XML and verifies SigV4; [`FerryS3`] implements the operations
//! over Ferry's own [`ferry_objects::BucketStore`] (`<data-dir>/s3/`).
//!
//! Entry point for the server:
//!
//! ```ignore
//! let endpoint = ferry_s3::S3Endpoint::new(store, credentials, None); // Arc<BucketStore>, Arc<ferry_auth::Credentials>, Option<Accounts>
//! let resp: http::Response<s3s::Body> = endpoint.call(req).await; // req: http::Request<hyper::body::Incoming>
//! ```
//!
//! `s3s::Body` implements `http_body::Body<Data = Bytes>`, so the response goes
//! straight back to hyper. [`S3Endpoint::call_body`] takes any `s3s::Body`.
//!
//! Supported: ListBuckets, CreateBucket, HeadBucket, DeleteBucket,
//! GetBucketLocation, PutObject, GetObject (Range, partNumber, If-Match,
//! If-None-Match, If-Modified-Since, If-Unmodified-Since, ChecksumMode),
//! HeadObject, DeleteObject, DeleteObjects, CopyObject, ListObjects (v1),
//! ListObjectsV2 (prefix, delimiter, continuation token, start-after,
//! max-keys, fetch-owner, encoding-type=url), CreateMultipartUpload,
//! UploadPart, CompleteMultipartUpload, AbortMultipartUpload, ListParts,
//! ListMultipartUploads, Put/Get/DeleteBucketPolicy. Path-style addressing.
//!
//! With an IAM file ([`Accounts`]): buckets belong to the creating account,
//! and every request is authorized against the caller's policies and the
//! bucket policy (`access.rs`).
//!
//! Integrity: `Content-MD5` and the CRC32, CRC32C, CRC64NVME, SHA1 and SHA256
//! checksums (headers or aws-chunked trailers) are verified before an object
//! is published (`BadDigest` / `InvalidDigest` / `InvalidRequest` as S3 sends
//! them), stored, and returned with `x-amz-checksum-mode: ENABLED`. Multipart
//! objects get S3's composite (`…-N`) or full-object checksums.
// Input reaches this crate: a panic is never the answer to bad input.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod access;
mod body;
mod bucket_ops;
mod checksum;
mod chunked;
mod conv;
mod endpoint;
mod errors;
/// The aws-chunked decoder, for the fuzz targets in `fuzz/`.
#[cfg(feature = "fuzzing")]
pub mod fuzzing {
    pub use crate::chunked::{AwsChunkedDecoder, ChunkedError};
}
mod multipart_ops;
mod object_ops;
mod policy_ops;
mod s3;

pub use access::Accounts;
pub use endpoint::{S3Endpoint, internal_error};
pub use errors::store_error;
pub use s3::FerryS3;

//! Ferry's object layer: the embedded bucket store, and one object-access
//! trait that import and export use whatever the store. No HTTP server here.
//!
//! - [`BucketStore`]: Ferry's own S3 buckets under `<data-dir>/s3/` (layout,
//!   file format and invariants in [`store`] and [`store::format`]). Objects
//!   are files named by the SHA-256 of their key, each holding data, metadata
//!   and a footer, published by an atomic rename; every bucket keeps a sorted
//!   in-memory key index for S3 listings. Blocking API (std::fs).
//! - [`ObjectClient`]: `head_bucket`, `list_page` / `list_all` by raw prefix
//!   with size, ETag and last-modified, streaming `get` with `If-Match` on the
//!   listed ETag, streaming `put` returning ETag, MD5 and size. Errors are
//!   [`ObjectError`]s carrying the S3 code and message
//!   ([`ObjectError::failure_code`] / [`ObjectError::failure_message`] give
//!   DynamoDB's `FailureCode` / `FailureMessage`).
//!   - [`EmbeddedClient`]: on the [`BucketStore`], in process.
//!   - [`ExternalClient`]: any S3-compatible endpoint via `object_store`.
//!   - [`LocalDirClient`]: one local directory as a bucket (the CLI's local
//!     SOURCE and DEST paths).
//! - [`Objects`] / [`ObjectsConfig`]: which client serves a bucket (embedded
//!   by default; everything — or only listed buckets — external when an
//!   external endpoint is configured).

pub mod client;
mod config;
mod embedded;
mod error;
mod external;
mod local;
#[cfg(feature = "test-util")]
pub mod moto;
pub mod names;
pub mod store;
pub mod stream;

pub use client::{
    GetObject, ListPage, ObjectClient, ObjectMeta, ObjectWriter, PutResult, unquote_etag,
};
pub use config::{Objects, ObjectsConfig};
pub use embedded::{EmbeddedClient, object_error};
pub use error::{ObjectError, StoreError, request_ids};
pub use external::{EXTERNAL_PART_SIZE, ExternalClient, ExternalS3Config, key_path, map_error};
pub use local::LocalDirClient;
pub use store::format::{Checksums, ObjectAttrs, ObjectInfo};
pub use store::list::{ListPage as StoreListPage, ListQuery, ListedObject};
pub use store::{
    BucketAccess, BucketInfo, BucketStore, CompleteHook, NoHook, OpenObject, PartRef, PutCondition,
    StoreOptions, StoreWriter, UploadInfo,
};

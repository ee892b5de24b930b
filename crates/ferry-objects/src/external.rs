//! [`ExternalClient`]: the object-access trait on any S3-compatible endpoint
//! (AWS S3, MinIO, Ceph RGW, moto …) through `object_store`'s `AmazonS3`.
//!
//! - Settings come from [`ExternalS3Config`] first, then the standard
//!   `AWS_*` environment variables (`AWS_ACCESS_KEY_ID`,
//!   `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION` /
//!   `AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL`); requests are path-style
//!   unless `virtual_hosted` is set; `http://` endpoints are allowed.
//!   (Shared-config profiles are not read: object_store 0.14 has no profile
//!   provider.)
//! - Listing uses S3's raw string prefixes (`list_paginated`, which adds no
//!   trailing `/`) with `start-after`.
//! - Keys must be names `object_store::path::Path::parse` accepts unchanged:
//!   no empty, `.` or `..` segments (so no `//`), no leading or trailing `/`,
//!   no ASCII control characters. Any other key is reported as
//!   [`ObjectError::UnsupportedKey`], never silently renamed. A listing page
//!   holding such a key fails as a whole with that error.
//! - Writes buffer up to 8 MiB; larger objects go up as a multipart upload
//!   (8 MiB parts, up to 4 in flight). The MD5 is computed locally.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use bytes::{Bytes, BytesMut};
use futures::StreamExt as _;
use md5::{Digest, Md5};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::list::{PaginatedListOptions, PaginatedListStore};
use object_store::path::Path;
use object_store::{
    GetOptions, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig, WriteMultipart,
};

use crate::client::{
    GetObject, LIST_PAGE, ListPage, ObjectClient, ObjectMeta, ObjectWriter, PutResult, unquote_etag,
};
use crate::error::ObjectError;

/// Part size and single-PUT threshold of external writes.
pub const EXTERNAL_PART_SIZE: usize = 8 * 1024 * 1024;

/// Where and how to reach an external S3-compatible store. Unset fields fall
/// back to the `AWS_*` environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExternalS3Config {
    /// e.g. `http://127.0.0.1:9000`; `None` = AWS S3 (or `AWS_ENDPOINT_URL`).
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
    pub session_token: Option<String>,
    /// Virtual-hosted-style requests (`bucket.host`) instead of path-style.
    pub virtual_hosted: bool,
}

/// Object access on an external S3-compatible endpoint.
#[derive(Debug)]
pub struct ExternalClient {
    config: ExternalS3Config,
    stores: Mutex<HashMap<String, Arc<AmazonS3>>>,
}

impl ExternalClient {
    #[must_use]
    pub fn new(config: ExternalS3Config) -> Self {
        ExternalClient {
            config,
            stores: Mutex::new(HashMap::new()),
        }
    }

    /// The configuration this client was built from.
    pub fn config(&self) -> &ExternalS3Config {
        &self.config
    }

    fn store(&self, bucket: &str) -> Result<Arc<AmazonS3>, ObjectError> {
        let mut g = self.stores.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = g.get(bucket) {
            return Ok(s.clone());
        }
        let c = &self.config;
        let mut b = AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .with_virtual_hosted_style_request(c.virtual_hosted)
            .with_retry(RetryConfig {
                max_retries: 3,
                retry_timeout: Duration::from_secs(60),
                ..RetryConfig::default()
            });
        if let Some(e) = &c.endpoint {
            b = b
                .with_endpoint(e.clone())
                .with_allow_http(e.starts_with("http://"));
        } else if let Ok(e) = std::env::var("AWS_ENDPOINT_URL") {
            b = b.with_allow_http(e.starts_with("http://"));
        }
        if let Some(r) = &c.region {
            b = b.with_region(r.clone());
        }
        if let Some(k) = &c.access_key {
            b = b.with_access_key_id(k.clone());
        }
        if let Some(s) = &c.secret_key {
            b = b.with_secret_access_key(s.clone());
        }
        if let Some(t) = &c.session_token {
            b = b.with_token(t.clone());
        }
        let s = Arc::new(b.build().map_err(|e| ObjectError::Other {
            code: "InvalidConfiguration".into(),
            message: format!("external S3 configuration: {e}"),
            status: 400,
        })?);
        g.insert(bucket.to_owned(), s.clone());
        Ok(s)
    }
}

/// The object_store path for `key`, only if it names exactly `key`.
pub fn key_path(key: &str) -> Result<Path, ObjectError> {
    let unsupported = |reason: String| ObjectError::UnsupportedKey {
        key: key.to_owned(),
        reason,
    };
    let p = Path::parse(key).map_err(|e| unsupported(e.to_string()))?;
    if p.as_ref() != key {
        return Err(unsupported(
            "leading or trailing '/' (the external client cannot address it)".into(),
        ));
    }
    Ok(p)
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// Maps an object_store error to the S3 error it stands for.
pub fn map_error(e: object_store::Error, bucket: &str, key: &str) -> ObjectError {
    let text = error_chain(&e);
    let no_bucket = text.contains("NoSuchBucket") || text.contains("does not exist\" bucket");
    match e {
        _ if no_bucket => ObjectError::NoSuchBucket {
            bucket: bucket.to_owned(),
        },
        object_store::Error::NotFound { .. } => ObjectError::NoSuchKey {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        },
        object_store::Error::Precondition { .. } => ObjectError::PreconditionFailed {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        },
        object_store::Error::PermissionDenied { .. }
        | object_store::Error::Unauthenticated { .. } => {
            ObjectError::AccessDenied { message: text }
        }
        object_store::Error::InvalidPath { source } => {
            let key = match &source {
                object_store::path::Error::EmptySegment { path }
                | object_store::path::Error::BadSegment { path, .. } => path.clone(),
                _ => key.to_owned(),
            };
            ObjectError::UnsupportedKey {
                key,
                reason: source.to_string(),
            }
        }
        _ => {
            let code = [
                "AccessDenied",
                "InvalidAccessKeyId",
                "SignatureDoesNotMatch",
            ]
            .into_iter()
            .find(|c| text.contains(c));
            match code {
                Some(_) => ObjectError::AccessDenied { message: text },
                None => ObjectError::Other {
                    code: "InternalError".into(),
                    message: text,
                    status: 500,
                },
            }
        }
    }
}

#[async_trait::async_trait]
impl ObjectClient for ExternalClient {
    fn kind(&self) -> &'static str {
        "external"
    }

    async fn head_bucket(&self, bucket: &str) -> Result<(), ObjectError> {
        let store = self.store(bucket)?;
        let opts = PaginatedListOptions {
            max_keys: Some(1),
            ..Default::default()
        };
        store
            .list_paginated(None, opts)
            .await
            .map(|_| ())
            .map_err(|e| map_error(e, bucket, ""))
    }

    async fn list_page(
        &self,
        bucket: &str,
        prefix: &str,
        start_after: Option<&str>,
        max_keys: usize,
    ) -> Result<ListPage, ObjectError> {
        let store = self.store(bucket)?;
        let opts = PaginatedListOptions {
            offset: start_after.map(str::to_owned),
            max_keys: Some(max_keys.clamp(1, LIST_PAGE)),
            ..Default::default()
        };
        let prefix = (!prefix.is_empty()).then_some(prefix);
        let page = store
            .list_paginated(prefix, opts)
            .await
            .map_err(|e| map_error(e, bucket, ""))?;
        let mut objects: Vec<ObjectMeta> = page
            .result
            .objects
            .into_iter()
            .map(|m| ObjectMeta {
                key: m.location.to_string(),
                size: m.size,
                etag: m
                    .e_tag
                    .as_deref()
                    .map(unquote_etag)
                    .unwrap_or_default()
                    .to_owned(),
                last_modified: m.last_modified,
            })
            .collect();
        objects.sort_by(|a, b| a.key.cmp(&b.key));
        let next_start_after = match page.page_token {
            Some(_) => objects.last().map(|o| o.key.clone()),
            None => None,
        };
        Ok(ListPage {
            objects,
            next_start_after,
        })
    }

    async fn get(
        &self,
        bucket: &str,
        key: &str,
        if_match: Option<&str>,
    ) -> Result<GetObject, ObjectError> {
        let store = self.store(bucket)?;
        let path = key_path(key)?;
        let opts = GetOptions {
            if_match: if_match.map(|e| format!("\"{}\"", unquote_etag(e))),
            ..Default::default()
        };
        let got = store
            .get_opts(&path, opts)
            .await
            .map_err(|e| map_error(e, bucket, key))?;
        let meta = ObjectMeta {
            key: key.to_owned(),
            size: got.meta.size,
            etag: got
                .meta
                .e_tag
                .as_deref()
                .map(unquote_etag)
                .unwrap_or_default()
                .to_owned(),
            last_modified: got.meta.last_modified,
        };
        let (b, k) = (bucket.to_owned(), key.to_owned());
        let body = got
            .into_stream()
            .map(move |r| r.map_err(|e| map_error(e, &b, &k)))
            .boxed();
        Ok(GetObject { meta, body })
    }

    async fn put(&self, bucket: &str, key: &str) -> Result<Box<dyn ObjectWriter>, ObjectError> {
        let store = self.store(bucket)?;
        let path = key_path(key)?;
        Ok(Box::new(ExternalWriter {
            store,
            path,
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            buf: BytesMut::new(),
            upload: None,
            md5: Md5::new(),
            size: 0,
        }))
    }
}

struct ExternalWriter {
    store: Arc<AmazonS3>,
    path: Path,
    bucket: String,
    key: String,
    buf: BytesMut,
    upload: Option<WriteMultipart>,
    md5: Md5,
    size: u64,
}

impl ExternalWriter {
    fn err(&self, e: object_store::Error) -> ObjectError {
        map_error(e, &self.bucket, &self.key)
    }
}

#[async_trait::async_trait]
impl ObjectWriter for ExternalWriter {
    async fn write(&mut self, data: Bytes) -> Result<(), ObjectError> {
        self.md5.update(&data);
        self.size += data.len() as u64;
        if self.upload.is_none() {
            self.buf.extend_from_slice(&data);
            if self.buf.len() <= EXTERNAL_PART_SIZE {
                return Ok(());
            }
            let up = self
                .store
                .put_multipart(&self.path)
                .await
                .map_err(|e| self.err(e))?;
            let mut w = WriteMultipart::new_with_chunk_size(up, EXTERNAL_PART_SIZE);
            w.put(std::mem::take(&mut self.buf).freeze());
            self.upload = Some(w);
        } else if let Some(w) = self.upload.as_mut() {
            w.put(data);
        }
        if let Some(w) = self.upload.as_mut() {
            let r = w.wait_for_capacity(4).await;
            r.map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    async fn finish(mut self: Box<Self>) -> Result<PutResult, ObjectError> {
        let res = match self.upload.take() {
            Some(w) => w.finish().await,
            None => {
                let payload = PutPayload::from(std::mem::take(&mut self.buf).freeze());
                self.store.put(&self.path, payload).await
            }
        }
        .map_err(|e| self.err(e))?;
        let md5 = std::mem::take(&mut self.md5).finalize();
        Ok(PutResult {
            etag: res
                .e_tag
                .as_deref()
                .map(unquote_etag)
                .unwrap_or_default()
                .to_owned(),
            md5_base64: base64::engine::general_purpose::STANDARD.encode(md5),
            md5_hex: hex::encode(md5),
            size: self.size,
        })
    }

    async fn abort(mut self: Box<Self>) -> Result<(), ObjectError> {
        if let Some(w) = self.upload.take() {
            w.abort().await.map_err(|e| self.err(e))?;
        }
        Ok(())
    }
}

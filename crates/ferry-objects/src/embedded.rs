//! [`EmbeddedClient`]: the object-access trait straight on the embedded
//! [`BucketStore`], no HTTP. Reads stream from a blocking reader task; writes
//! go through [`blocking_writer`] (disk and MD5 off the async threads) and
//! publish atomically on `finish`.

use std::sync::Arc;

use futures::StreamExt as _;

use crate::client::{
    GetObject, ListPage, ObjectClient, ObjectMeta, ObjectWriter, PutResult, unquote_etag,
};
use crate::error::{ObjectError, StoreError};
use crate::store::format::ObjectAttrs;
use crate::store::list::ListQuery;
use crate::store::{BucketStore, PutCondition, etag_md5_base64};
use crate::stream::{blocking_writer, spawn_reader};

/// Object access on Ferry's own bucket store.
#[derive(Debug, Clone)]
pub struct EmbeddedClient {
    store: Arc<BucketStore>,
}

impl EmbeddedClient {
    pub fn new(store: Arc<BucketStore>) -> Self {
        EmbeddedClient { store }
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&BucketStore) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| StoreError::io("store task")(std::io::Error::other(e)))?
    }
}

/// The object-access view of a store error.
pub fn object_error(e: StoreError, bucket: &str, key: &str) -> ObjectError {
    match e {
        StoreError::NoSuchBucket(b) => ObjectError::NoSuchBucket { bucket: b },
        StoreError::NoSuchKey { bucket, key } => ObjectError::NoSuchKey { bucket, key },
        StoreError::PreconditionFailed => ObjectError::PreconditionFailed {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        },
        StoreError::InvalidKey => ObjectError::Other {
            code: "KeyTooLongError".into(),
            message: "Your key is too long".into(),
            status: 400,
        },
        StoreError::InvalidBucketName(_) => ObjectError::NoSuchBucket {
            bucket: bucket.to_owned(),
        },
        other => ObjectError::Other {
            code: "InternalError".into(),
            message: format!("We encountered an internal error. Please try again. ({other})"),
            status: 500,
        },
    }
}

#[async_trait::async_trait]
impl ObjectClient for EmbeddedClient {
    fn kind(&self) -> &'static str {
        "embedded"
    }

    async fn head_bucket(&self, bucket: &str) -> Result<(), ObjectError> {
        let b = bucket.to_owned();
        self.blocking(move |s| s.head_bucket(&b))
            .await
            .map(|_| ())
            .map_err(|e| object_error(e, bucket, ""))
    }

    async fn list_page(
        &self,
        bucket: &str,
        prefix: &str,
        start_after: Option<&str>,
        max_keys: usize,
    ) -> Result<ListPage, ObjectError> {
        let (b, p, sa) = (
            bucket.to_owned(),
            prefix.to_owned(),
            start_after.map(str::to_owned),
        );
        let page = self
            .blocking(move |s| {
                s.list_objects(
                    &b,
                    &ListQuery {
                        prefix: &p,
                        delimiter: None,
                        start_after: sa.as_deref(),
                        max_keys: max_keys.clamp(1, crate::client::LIST_PAGE),
                    },
                )
            })
            .await
            .map_err(|e| object_error(e, bucket, ""))?;
        Ok(ListPage {
            objects: page
                .objects
                .into_iter()
                .map(|o| ObjectMeta {
                    key: o.key,
                    size: o.size,
                    etag: o.etag,
                    last_modified: o.last_modified,
                })
                .collect(),
            next_start_after: page.next_marker,
        })
    }

    async fn get(
        &self,
        bucket: &str,
        key: &str,
        if_match: Option<&str>,
    ) -> Result<GetObject, ObjectError> {
        let (b, k) = (bucket.to_owned(), key.to_owned());
        let obj = self
            .blocking(move |s| s.open_object(&b, &k))
            .await
            .map_err(|e| object_error(e, bucket, key))?;
        if let Some(want) = if_match
            && unquote_etag(want) != obj.info.etag
        {
            return Err(ObjectError::PreconditionFailed {
                bucket: bucket.to_owned(),
                key: key.to_owned(),
            });
        }
        let meta = ObjectMeta {
            key: obj.info.key.clone(),
            size: obj.info.size,
            etag: obj.info.etag.clone(),
            last_modified: obj.info.last_modified,
        };
        let size = obj.info.size;
        let reader = obj
            .into_reader(0, size)
            .map_err(|e| object_error(e, bucket, key))?;
        let (b, k) = (bucket.to_owned(), key.to_owned());
        let body = spawn_reader(reader, size)
            .map(move |r| {
                r.map_err(|e| ObjectError::Other {
                    code: "InternalError".into(),
                    message: format!("reading {b}/{k}: {e}"),
                    status: 500,
                })
            })
            .boxed();
        Ok(GetObject { meta, body })
    }

    async fn put(&self, bucket: &str, key: &str) -> Result<Box<dyn ObjectWriter>, ObjectError> {
        let (b, k) = (bucket.to_owned(), key.to_owned());
        let w = self
            .blocking(move |s| s.begin_put(&b, &k))
            .await
            .map_err(|e| object_error(e, bucket, key))?;
        let store = self.store.clone();
        let (b, k) = (bucket.to_owned(), key.to_owned());
        Ok(blocking_writer(
            w,
            {
                let (b, k) = (b.clone(), k.clone());
                move |w, d| w.write(d).map_err(|e| object_error(e, &b, &k))
            },
            move |w| {
                let size = w.size();
                let info = store
                    .finish_put(w, ObjectAttrs::default(), &PutCondition::default())
                    .map_err(|e| object_error(e, &b, &k))?;
                let md5_base64 = etag_md5_base64(&info.etag).unwrap_or_default();
                Ok(PutResult {
                    md5_hex: info.etag.clone(),
                    etag: info.etag,
                    md5_base64,
                    size,
                })
            },
        ))
    }
}

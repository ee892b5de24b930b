//! Bucket operations and listings: ListBuckets, CreateBucket, HeadBucket,
//! DeleteBucket, GetBucketLocation, ListObjects (v1), ListObjectsV2.

use base64::Engine as _;
use ferry_objects::{ListQuery, StoreListPage};
use s3s::dto::*;
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};

use crate::conv::{self, etag, owner, timestamp};
use crate::errors::{blocking, err, msg};
use crate::s3::FerryS3;

/// S3's page size limit.
const MAX_KEYS: i32 = 1000;

fn token_encode(marker: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(marker.as_bytes())
}

fn token_decode(token: &str) -> Result<String, S3Error> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| {
            err(
                S3ErrorCode::InvalidArgument,
                "The continuation token provided is incorrect",
            )
        })
}

fn max_keys(v: Option<i32>) -> Result<usize, S3Error> {
    match v {
        None => Ok(MAX_KEYS as usize),
        Some(n) if n < 0 => Err(err(
            S3ErrorCode::InvalidArgument,
            "Provided max-keys not an integer or within integer range",
        )),
        Some(n) => Ok(n.min(MAX_KEYS) as usize),
    }
}

fn url_encoded(encoding: Option<&EncodingType>) -> Result<bool, S3Error> {
    match encoding.map(EncodingType::as_str) {
        None => Ok(false),
        Some("url") => Ok(true),
        Some(_) => Err(err(
            S3ErrorCode::InvalidArgument,
            "Invalid Encoding Method specified in Request",
        )),
    }
}

/// One listing page to read.
struct PageRequest {
    bucket: String,
    prefix: String,
    delimiter: Option<String>,
    start_after: Option<String>,
    max: usize,
    encode: bool,
    fetch_owner: bool,
}

struct Listed {
    contents: Option<Vec<Object>>,
    common_prefixes: Option<Vec<CommonPrefix>>,
    count: usize,
    page: StoreListPage,
}

impl FerryS3 {
    async fn list_page(&self, r: PageRequest) -> Result<Listed, S3Error> {
        let PageRequest {
            bucket,
            prefix,
            delimiter,
            start_after,
            max,
            encode,
            fetch_owner,
        } = r;
        let store = self.store.clone();
        let page = blocking(move || {
            store.list_objects(
                &bucket,
                &ListQuery {
                    prefix: &prefix,
                    delimiter: delimiter.as_deref(),
                    start_after: start_after.as_deref(),
                    max_keys: max,
                },
            )
        })
        .await?;
        let enc = |s: &str| {
            if encode {
                conv::url_encode(s)
            } else {
                s.to_owned()
            }
        };
        let contents: Vec<Object> = page
            .objects
            .iter()
            .map(|o| Object {
                key: Some(enc(&o.key)),
                size: Some(i64::try_from(o.size).unwrap_or(i64::MAX)),
                e_tag: Some(etag(&o.etag)),
                last_modified: Some(timestamp(o.last_modified)),
                storage_class: Some(ObjectStorageClass::from_static(
                    ObjectStorageClass::STANDARD,
                )),
                owner: fetch_owner.then(owner),
                ..Default::default()
            })
            .collect();
        let cps: Vec<CommonPrefix> = page
            .common_prefixes
            .iter()
            .map(|p| CommonPrefix {
                prefix: Some(enc(p)),
            })
            .collect();
        Ok(Listed {
            count: contents.len() + cps.len(),
            contents: (!contents.is_empty()).then_some(contents),
            common_prefixes: (!cps.is_empty()).then_some(cps),
            page,
        })
    }

    pub(crate) async fn list_buckets_impl(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        let store = self.store.clone();
        let mut buckets = blocking(move || Ok(store.list_buckets())).await?;
        if let Some(accounts) = self.accounts.clone() {
            // An account sees its own buckets only.
            let caller = self.caller_account(&req);
            let store = self.store.clone();
            buckets = blocking(move || {
                Ok(buckets
                    .into_iter()
                    .filter(|b| {
                        store
                            .bucket_access(&b.name)
                            .is_ok_and(|a| Some(accounts.owner_of(a.owner)) == caller)
                    })
                    .collect())
            })
            .await?;
        }
        Ok(S3Response::new(ListBucketsOutput {
            buckets: Some(
                buckets
                    .into_iter()
                    .map(|b| Bucket {
                        name: Some(b.name),
                        creation_date: Some(timestamp(b.created)),
                        bucket_region: None,
                    })
                    .collect(),
            ),
            owner: Some(owner()),
            ..Default::default()
        }))
    }

    pub(crate) async fn create_bucket_impl(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        let owner = self.caller_account(&req);
        let (store, bucket) = (self.store.clone(), req.input.bucket);
        let b = bucket.clone();
        if let Some(accounts) = &self.accounts {
            let (store, b) = (store.clone(), b.clone());
            let existing = blocking(move || Ok(store.bucket_access(&b).ok())).await?;
            if let Some(existing) = existing
                && Some(accounts.owner_of(existing.owner)) != owner
            {
                return Err(err(S3ErrorCode::BucketAlreadyExists, msg::BUCKET_TAKEN));
            }
        }
        blocking(move || store.create_bucket_for(&b, owner)).await?;
        Ok(S3Response::new(CreateBucketOutput {
            location: Some(format!("/{bucket}")),
        }))
    }

    pub(crate) async fn head_bucket_impl(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        let (store, bucket) = (self.store.clone(), req.input.bucket);
        blocking(move || store.head_bucket(&bucket)).await?;
        Ok(S3Response::new(HeadBucketOutput {
            bucket_region: Some(self.region.clone()),
            ..Default::default()
        }))
    }

    pub(crate) async fn delete_bucket_impl(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        let (store, bucket) = (self.store.clone(), req.input.bucket);
        blocking(move || store.delete_bucket(&bucket)).await?;
        Ok(S3Response::new(DeleteBucketOutput::default()))
    }

    pub(crate) async fn get_bucket_location_impl(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        let (store, bucket) = (self.store.clone(), req.input.bucket);
        blocking(move || store.head_bucket(&bucket)).await?;
        let location_constraint = (self.region != "us-east-1")
            .then(|| BucketLocationConstraint::from(self.region.clone()));
        Ok(S3Response::new(GetBucketLocationOutput {
            location_constraint,
        }))
    }

    pub(crate) async fn list_objects_v2_impl(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        let input = req.input;
        let max = max_keys(input.max_keys)?;
        let encode = url_encoded(input.encoding_type.as_ref())?;
        let from_token = input
            .continuation_token
            .as_deref()
            .map(token_decode)
            .transpose()?;
        let start = match (from_token, input.start_after.clone()) {
            (Some(t), Some(s)) => Some(t.max(s)),
            (t, s) => t.or(s),
        };
        let l = self
            .list_page(PageRequest {
                bucket: input.bucket.clone(),
                prefix: input.prefix.clone().unwrap_or_default(),
                delimiter: input.delimiter.clone(),
                start_after: start,
                max,
                encode,
                fetch_owner: input.fetch_owner.unwrap_or(false),
            })
            .await?;
        let enc = |s: Option<String>| {
            if encode {
                s.map(|s| conv::url_encode(&s))
            } else {
                s
            }
        };
        Ok(S3Response::new(ListObjectsV2Output {
            name: Some(input.bucket),
            prefix: Some(enc(input.prefix).unwrap_or_default()),
            delimiter: enc(input.delimiter),
            start_after: enc(input.start_after),
            max_keys: Some(i32::try_from(max).unwrap_or(MAX_KEYS)),
            key_count: Some(i32::try_from(l.count).unwrap_or(MAX_KEYS)),
            is_truncated: Some(l.page.is_truncated),
            continuation_token: input.continuation_token,
            next_continuation_token: l.page.next_marker.as_deref().map(token_encode),
            contents: l.contents,
            common_prefixes: l.common_prefixes,
            encoding_type: input.encoding_type,
            ..Default::default()
        }))
    }

    pub(crate) async fn list_objects_impl(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        let input = req.input;
        let max = max_keys(input.max_keys)?;
        let encode = url_encoded(input.encoding_type.as_ref())?;
        let l = self
            .list_page(PageRequest {
                bucket: input.bucket.clone(),
                prefix: input.prefix.clone().unwrap_or_default(),
                delimiter: input.delimiter.clone(),
                start_after: input.marker.clone().filter(|m| !m.is_empty()),
                max,
                encode,
                fetch_owner: true,
            })
            .await?;
        let enc = |s: Option<String>| {
            if encode {
                s.map(|s| conv::url_encode(&s))
            } else {
                s
            }
        };
        let next_marker = match (&input.delimiter, l.page.is_truncated) {
            (Some(d), true) if !d.is_empty() => enc(l.page.next_marker.clone()),
            _ => None,
        };
        Ok(S3Response::new(ListObjectsOutput {
            name: Some(input.bucket),
            prefix: Some(enc(input.prefix).unwrap_or_default()),
            delimiter: enc(input.delimiter),
            marker: Some(enc(input.marker).unwrap_or_default()),
            max_keys: Some(i32::try_from(max).unwrap_or(MAX_KEYS)),
            is_truncated: Some(l.page.is_truncated),
            next_marker,
            contents: l.contents,
            common_prefixes: l.common_prefixes,
            encoding_type: input.encoding_type,
            ..Default::default()
        }))
    }
}

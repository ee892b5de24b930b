//! Object operations: PutObject, GetObject, HeadObject, DeleteObject,
//! DeleteObjects, CopyObject.

use ferry_objects::stream::spawn_reader;
use ferry_objects::{ObjectInfo, PutCondition};
use http::{HeaderMap, HeaderValue};
use s3s::dto::*;
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result, TrailingHeaders};

use crate::checksum::{self, Values};
use crate::chunked::DecodedTrailers;
use crate::conv::{self, epoch_secs, etag, timestamp};
use crate::errors::{blocking, err, msg};
use crate::s3::FerryS3;

/// Trailers of the request body, from s3s (signed) or the open-mode decoder.
pub fn trailers(th: Option<&TrailingHeaders>, ext: &http::Extensions) -> Option<HeaderMap> {
    if let Some(m) = th.and_then(TrailingHeaders::take) {
        return Some(m);
    }
    ext.get::<DecodedTrailers>().and_then(DecodedTrailers::take)
}

/// S3 conditional-write headers as a store condition.
pub fn put_condition(
    if_match: Option<ETagCondition>,
    if_none_match: Option<ETagCondition>,
) -> Result<PutCondition, S3Error> {
    let mut c = PutCondition::default();
    match if_none_match {
        None => {}
        Some(ETagCondition::Any) => c.if_none_match_any = true,
        Some(ETagCondition::ETag(_)) => {
            return Err(err(
                S3ErrorCode::NotImplemented,
                "A header you provided implies functionality that is not implemented",
            ));
        }
    }
    if let Some(ETagCondition::ETag(e)) = if_match {
        c.if_match = Some(e.value().to_owned());
    }
    Ok(c)
}

fn etag_matches(c: &ETagCondition, current: &str) -> bool {
    match c {
        ETagCondition::Any => true,
        ETagCondition::ETag(e) => e.value() == current,
    }
}

/// RFC 7232 / S3 read conditions: 412 for If-Match / If-Unmodified-Since,
/// 304 for If-None-Match / If-Modified-Since.
fn check_read_conditions(
    info: &ObjectInfo,
    if_match: Option<&ETagCondition>,
    if_none_match: Option<&ETagCondition>,
    if_modified_since: Option<&Timestamp>,
    if_unmodified_since: Option<&Timestamp>,
) -> Result<(), S3Error> {
    let lm = info.last_modified.timestamp();
    let failed = match (if_match, if_unmodified_since) {
        (Some(c), _) => !etag_matches(c, &info.etag),
        (None, Some(t)) => lm > epoch_secs(t.clone()),
        (None, None) => false,
    };
    if failed {
        return Err(err(S3ErrorCode::PreconditionFailed, msg::PRECONDITION));
    }
    let not_modified = match (if_none_match, if_modified_since) {
        (Some(c), _) => etag_matches(c, &info.etag),
        (None, Some(t)) => lm <= epoch_secs(t.clone()),
        (None, None) => false,
    };
    if not_modified {
        let mut e = S3Error::new(S3ErrorCode::NotModified);
        let mut h = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", info.etag)) {
            h.insert(http::header::ETAG, v);
        }
        if let Ok(v) = HeaderValue::from_str(
            &info
                .last_modified
                .format("%a, %d %b %Y %H:%M:%S GMT")
                .to_string(),
        ) {
            h.insert(http::header::LAST_MODIFIED, v);
        }
        e.set_headers(h);
        return Err(e);
    }
    Ok(())
}

/// The byte range to send: `(start, len, Content-Range, parts count)`.
fn select_range(
    info: &ObjectInfo,
    range: Option<&Range>,
    part_number: Option<i32>,
) -> Result<(u64, u64, Option<String>), S3Error> {
    let size = info.size;
    if let Some(n) = part_number {
        let invalid = || {
            crate::errors::custom(
                "InvalidPartNumber",
                http::StatusCode::RANGE_NOT_SATISFIABLE,
                "The requested partnumber is not satisfiable",
            )
        };
        let n = usize::try_from(n)
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(invalid)?;
        if info.part_sizes.is_empty() {
            if n != 1 {
                return Err(invalid());
            }
            return Ok((0, size, None));
        }
        let len = *info.part_sizes.get(n - 1).ok_or_else(invalid)?;
        let start: u64 = info.part_sizes[..n - 1].iter().sum();
        let cr = (len > 0).then(|| format!("bytes {start}-{}/{size}", start + len - 1));
        return Ok((start, len, cr));
    }
    match range {
        None => Ok((0, size, None)),
        Some(r) => {
            let unsatisfiable = || {
                let mut e = err(S3ErrorCode::InvalidRange, msg::INVALID_RANGE);
                let mut h = HeaderMap::new();
                if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                    h.insert(http::header::CONTENT_RANGE, v);
                }
                e.set_headers(h);
                e
            };
            // An empty object satisfies no range, a suffix one included
            // (s3s' check gives `0..0` for `bytes=-N` there): 416 as S3.
            let rg = r
                .check(size)
                .ok()
                .filter(|rg| !rg.is_empty())
                .ok_or_else(unsatisfiable)?;
            let len = rg.end - rg.start;
            Ok((
                rg.start,
                len,
                Some(format!("bytes {}-{}/{size}", rg.start, rg.end - 1)),
            ))
        }
    }
}

fn content_type(info: &ObjectInfo) -> String {
    info.attrs
        .content_type
        .clone()
        .unwrap_or_else(|| "binary/octet-stream".to_owned())
}

fn stored_checksums(
    info: &ObjectInfo,
    mode: Option<&ChecksumMode>,
    whole: bool,
) -> (Values, Option<ChecksumType>) {
    let enabled = mode.is_some_and(|m| m.as_str().eq_ignore_ascii_case("ENABLED"));
    if !enabled || !whole || info.attrs.checksums.is_empty() {
        return (Values::default(), None);
    }
    (
        Values::from_stored(&info.attrs.checksums),
        info.attrs
            .checksums
            .checksum_type
            .clone()
            .map(ChecksumType::from),
    )
}

/// The headers GetObject and HeadObject share, filled into either output
/// type (`$extra` adds fields of one of them, e.g. the body).
macro_rules! object_output {
    ($ty:ident, $input:ident, $info:ident, $len:ident, $content_range:ident, $whole:ident $(, $extra:ident: $value:expr)*) => {{
        let (c, checksum_type) = stored_checksums(&$info, $input.checksum_mode.as_ref(), $whole);
        let [crc32, crc32c, crc64nvme, sha1, sha256] = c.0;
        let input = $input;
        let info = &$info;
        let len = $len;
        let content_range = $content_range;
        $ty {
            $($extra: $value,)*
            accept_ranges: Some("bytes".to_owned()),
            content_length: Some(i64::try_from(len).unwrap_or(i64::MAX)),
            content_range,
            content_type: Some(
                input
                    .response_content_type
                    .unwrap_or_else(|| content_type(info)),
            ),
            content_encoding: input
                .response_content_encoding
                .or_else(|| info.attrs.content_encoding.clone()),
            content_disposition: input
                .response_content_disposition
                .or_else(|| info.attrs.content_disposition.clone()),
            content_language: input
                .response_content_language
                .or_else(|| info.attrs.content_language.clone()),
            cache_control: input
                .response_cache_control
                .or_else(|| info.attrs.cache_control.clone()),
            expires: input.response_expires.or_else(|| {
                info.attrs
                    .expires
                    .as_deref()
                    .and_then(conv::parse_http_date)
            }),
            e_tag: Some(etag(&info.etag)),
            last_modified: Some(timestamp(info.last_modified)),
            metadata: conv::metadata(info),
            parts_count: info
                .parts_count
                .and_then(|n| i32::try_from(n).ok())
                .filter(|_| input.part_number.is_some()),
            checksum_type,
            checksum_crc32: crc32,
            checksum_crc32c: crc32c,
            checksum_crc64nvme: crc64nvme,
            checksum_sha1: sha1,
            checksum_sha256: sha256,
            ..Default::default()
        }
    }};
}

impl FerryS3 {
    pub(crate) async fn put_object_impl(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let S3Request {
            input,
            headers,
            extensions,
            trailing_headers,
            ..
        } = req;
        let mut expected = Values::new(
            input.checksum_crc32,
            input.checksum_crc32c,
            input.checksum_crc64nvme,
            input.checksum_sha1,
            input.checksum_sha256,
        );
        let want = checksum::wanted(
            &expected,
            input
                .checksum_algorithm
                .as_ref()
                .map(ChecksumAlgorithm::as_str),
            &headers,
        );
        let cond = put_condition(input.if_match, input.if_none_match)?;
        let mut attrs = conv::attrs(
            input.content_type,
            input.content_encoding,
            input.content_disposition,
            input.content_language,
            input.cache_control,
            input.expires,
            input.metadata,
        );
        let (store, bucket, key) = (self.store.clone(), input.bucket, input.key);
        let writer = blocking(move || store.begin_put(&bucket, &key)).await?;
        let rec = crate::body::receive(writer, input.body, want).await?;
        if let Some(t) = trailers(trailing_headers.as_ref(), &extensions) {
            expected.merge_trailers(&t);
        }
        checksum::verify(&rec.computed, &expected)?;
        checksum::verify_content_md5(input.content_md5.as_deref(), &rec.md5_hex)?;
        if let Some(len) = input.content_length
            && u64::try_from(len).ok() != Some(rec.size)
        {
            return Err(err(S3ErrorCode::IncompleteBody, msg::INCOMPLETE_BODY));
        }
        attrs.checksums = rec.computed.into_stored(Some(ChecksumType::FULL_OBJECT));
        let store = self.store.clone();
        let writer = rec.writer;
        let info = blocking(move || store.finish_put(writer, attrs, &cond)).await?;
        let c = Values::from_stored(&info.attrs.checksums);
        let [crc32, crc32c, crc64nvme, sha1, sha256] = c.0;
        Ok(S3Response::new(PutObjectOutput {
            e_tag: Some(etag(&info.etag)),
            checksum_type: info
                .attrs
                .checksums
                .checksum_type
                .clone()
                .map(ChecksumType::from),
            checksum_crc32: crc32,
            checksum_crc32c: crc32c,
            checksum_crc64nvme: crc64nvme,
            checksum_sha1: sha1,
            checksum_sha256: sha256,
            ..Default::default()
        }))
    }

    pub(crate) async fn get_object_impl(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        let input = req.input;
        let (store, bucket, key) = (self.store.clone(), input.bucket.clone(), input.key.clone());
        let obj = blocking(move || store.open_object(&bucket, &key)).await?;
        check_read_conditions(
            &obj.info,
            input.if_match.as_ref(),
            input.if_none_match.as_ref(),
            input.if_modified_since.as_ref(),
            input.if_unmodified_since.as_ref(),
        )?;
        let info = obj.info.clone();
        let (start, len, content_range) =
            select_range(&info, input.range.as_ref(), input.part_number)?;
        let whole = start == 0 && len == info.size && input.part_number.is_none();
        let reader = blocking(move || obj.into_reader(start, len)).await?;
        let body = StreamingBlob::wrap(spawn_reader(reader, len));
        let status = if input.range.is_some()
            || (input.part_number.is_some() && !info.part_sizes.is_empty())
        {
            http::StatusCode::PARTIAL_CONTENT
        } else {
            http::StatusCode::OK
        };
        let output = object_output!(
            GetObjectOutput,
            input,
            info,
            len,
            content_range,
            whole,
            body: Some(body)
        );
        Ok(S3Response::with_status(output, status))
    }

    pub(crate) async fn head_object_impl(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        let input = req.input;
        let (store, bucket, key) = (self.store.clone(), input.bucket.clone(), input.key.clone());
        let info = blocking(move || store.head_object(&bucket, &key)).await?;
        check_read_conditions(
            &info,
            input.if_match.as_ref(),
            input.if_none_match.as_ref(),
            input.if_modified_since.as_ref(),
            input.if_unmodified_since.as_ref(),
        )?;
        let (start, len, content_range) =
            select_range(&info, input.range.as_ref(), input.part_number)?;
        let whole = start == 0 && len == info.size && input.part_number.is_none();
        Ok(S3Response::new(object_output!(
            HeadObjectOutput,
            input,
            info,
            len,
            content_range,
            whole
        )))
    }

    pub(crate) async fn delete_object_impl(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        let (store, bucket, key) = (self.store.clone(), req.input.bucket, req.input.key);
        blocking(move || store.delete_object(&bucket, &key)).await?;
        Ok(S3Response::new(DeleteObjectOutput::default()))
    }

    pub(crate) async fn delete_objects_impl(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let input = req.input;
        let quiet = input.delete.quiet.unwrap_or(false);
        let keys: Vec<String> = input.delete.objects.into_iter().map(|o| o.key).collect();
        if keys.len() > 1000 {
            return Err(err(S3ErrorCode::MalformedXML, msg::MALFORMED_XML));
        }
        let (store, bucket) = (self.store.clone(), input.bucket);
        let results = blocking(move || {
            store.head_bucket(&bucket)?;
            Ok(keys
                .into_iter()
                .map(|k| {
                    let r = store.delete_object(&bucket, &k);
                    (k, r)
                })
                .collect::<Vec<_>>())
        })
        .await?;
        let mut deleted = Vec::new();
        let mut errors = Vec::new();
        for (key, r) in results {
            match r {
                Ok(_) => {
                    if !quiet {
                        deleted.push(DeletedObject {
                            key: Some(key),
                            ..Default::default()
                        });
                    }
                }
                Err(e) => {
                    let e = crate::errors::store_error(e);
                    errors.push(Error {
                        code: Some(e.code().as_str().to_owned()),
                        key: Some(key),
                        message: e.message().map(str::to_owned),
                        version_id: None,
                    });
                }
            }
        }
        Ok(S3Response::new(DeleteObjectsOutput {
            deleted: (!deleted.is_empty()).then_some(deleted),
            errors: (!errors.is_empty()).then_some(errors),
            ..Default::default()
        }))
    }

    pub(crate) async fn copy_object_impl(
        &self,
        req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        let input = req.input;
        let (src_bucket, src_key) = match &input.copy_source {
            CopySource::Bucket { bucket, key, .. } => (bucket.to_string(), key.to_string()),
            CopySource::AccessPoint { .. } | CopySource::Outpost { .. } => {
                return Err(err(
                    S3ErrorCode::NotImplemented,
                    "Copying from an access point is not implemented",
                ));
            }
        };
        let (store, sb, sk) = (self.store.clone(), src_bucket.clone(), src_key.clone());
        let src = blocking(move || store.head_object(&sb, &sk)).await?;
        let failed = match (
            &input.copy_source_if_match,
            &input.copy_source_if_unmodified_since,
        ) {
            (Some(c), _) => !etag_matches(c, &src.etag),
            (None, Some(t)) => src.last_modified.timestamp() > epoch_secs(t.clone()),
            (None, None) => false,
        } || match (
            &input.copy_source_if_none_match,
            &input.copy_source_if_modified_since,
        ) {
            (Some(c), _) => etag_matches(c, &src.etag),
            (None, Some(t)) => src.last_modified.timestamp() <= epoch_secs(t.clone()),
            (None, None) => false,
        };
        if failed {
            return Err(err(S3ErrorCode::PreconditionFailed, msg::PRECONDITION));
        }
        let replace = input
            .metadata_directive
            .as_ref()
            .is_some_and(|d| d.as_str() == MetadataDirective::REPLACE);
        if !replace && src_bucket == input.bucket && src_key == input.key {
            return Err(err(
                S3ErrorCode::InvalidRequest,
                "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
            ));
        }
        let attrs = replace.then(|| {
            conv::attrs(
                input.content_type,
                input.content_encoding,
                input.content_disposition,
                input.content_language,
                input.cache_control,
                input.expires,
                input.metadata,
            )
        });
        let (store, db, dk) = (self.store.clone(), input.bucket, input.key);
        let info = blocking(move || {
            store.copy_object(
                &src_bucket,
                &src_key,
                &db,
                &dk,
                attrs,
                &PutCondition::default(),
            )
        })
        .await?;
        let c = Values::from_stored(&info.attrs.checksums);
        let [crc32, crc32c, crc64nvme, sha1, sha256] = c.0;
        Ok(S3Response::new(CopyObjectOutput {
            copy_object_result: Some(CopyObjectResult {
                e_tag: Some(etag(&info.etag)),
                last_modified: Some(timestamp(info.last_modified)),
                checksum_type: info
                    .attrs
                    .checksums
                    .checksum_type
                    .clone()
                    .map(ChecksumType::from),
                checksum_crc32: crc32,
                checksum_crc32c: crc32c,
                checksum_crc64nvme: crc64nvme,
                checksum_sha1: sha1,
                checksum_sha256: sha256,
            }),
            ..Default::default()
        }))
    }
}

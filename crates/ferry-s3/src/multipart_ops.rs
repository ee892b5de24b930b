//! Multipart uploads: Create, UploadPart, Complete (with S3's checks and
//! composite or full-object checksums), Abort, ListParts, ListMultipartUploads.

use ferry_objects::{Checksums, CompleteHook, ObjectInfo, PartRef, StoreError};
use s3s::checksum::ChecksumHasher;
use s3s::dto::*;
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};

use crate::checksum::{self, ALGORITHMS, Values, algorithm_index};
use crate::conv::{self, etag, owner, timestamp};
use crate::errors::{blocking, err, msg};
use crate::object_ops::{put_condition, trailers};
use crate::s3::FerryS3;

fn no_upload() -> S3Error {
    err(S3ErrorCode::NoSuchUpload, msg::NO_SUCH_UPLOAD)
}

/// Checks and computes checksums while the store completes an upload.
struct Hook {
    /// Algorithm index and whether the object checksum is FULL_OBJECT.
    algorithm: Option<(usize, bool)>,
    /// Part checksums the client listed, by position.
    claimed: Vec<Values>,
    full: Option<ChecksumHasher>,
    failure: Option<S3Error>,
}

impl Hook {
    fn fail(&mut self, e: S3Error) -> StoreError {
        self.failure = Some(e);
        StoreError::InvalidArgument("checksum".into())
    }
}

impl CompleteHook for Hook {
    fn check_parts(&mut self, parts: &[(u32, ObjectInfo)]) -> Result<(), StoreError> {
        for (i, (_, info)) in parts.iter().enumerate() {
            let stored = Values::from_stored(&info.attrs.checksums);
            let Some(claimed) = self.claimed.get(i) else {
                continue;
            };
            for (a, v) in claimed.0.iter().enumerate() {
                if let Some(v) = v
                    && stored.0[a].as_deref() != Some(v.as_str())
                {
                    return Err(self.fail(err(S3ErrorCode::InvalidPart, msg::INVALID_PART)));
                }
            }
        }
        Ok(())
    }

    fn observe(&mut self, data: &[u8]) {
        if let Some(h) = self.full.as_mut() {
            h.update(data);
        }
    }

    fn finish(&mut self, parts: &[(u32, ObjectInfo)]) -> Result<Checksums, StoreError> {
        let Some((index, full)) = self.algorithm else {
            return Ok(Checksums::default());
        };
        let mut values = Values::default();
        if full {
            if let Some(h) = self.full.take() {
                values = checksum::finish(h);
            }
            Ok(values.into_stored(Some(ChecksumType::FULL_OBJECT)))
        } else {
            let per_part: Vec<Option<String>> = parts
                .iter()
                .map(|(_, i)| Values::from_stored(&i.attrs.checksums).0[index].clone())
                .collect();
            values.0[index] = checksum::composite(index, &per_part);
            Ok(values.into_stored(Some(ChecksumType::COMPOSITE)))
        }
    }
}

impl FerryS3 {
    pub(crate) async fn create_multipart_upload_impl(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let input = req.input;
        let algorithm = input
            .checksum_algorithm
            .as_ref()
            .map(|a| a.as_str().to_ascii_uppercase());
        if let Some(a) = &algorithm
            && algorithm_index(a).is_none()
        {
            return Err(err(
                S3ErrorCode::InvalidRequest,
                "Checksum algorithm provided is unsupported.",
            ));
        }
        let checksum_type = match (&algorithm, &input.checksum_type) {
            (None, _) => None,
            (Some(_), Some(t)) => Some(t.as_str().to_owned()),
            (Some(a), None) if a == "CRC64NVME" => Some(ChecksumType::FULL_OBJECT.to_owned()),
            (Some(_), None) => Some(ChecksumType::COMPOSITE.to_owned()),
        };
        if let (Some(a), Some(t)) = (&algorithm, &checksum_type)
            && t == ChecksumType::FULL_OBJECT
            && a.starts_with("SHA")
        {
            return Err(err(
                S3ErrorCode::InvalidRequest,
                "The FULL_OBJECT checksum type cannot be used with the sha1 checksum algorithm.",
            ));
        }
        let attrs = conv::attrs(
            input.content_type,
            input.content_encoding,
            input.content_disposition,
            input.content_language,
            input.cache_control,
            input.expires,
            input.metadata,
        );
        let (store, bucket, key) = (self.store.clone(), input.bucket.clone(), input.key.clone());
        let (a, t) = (algorithm.clone(), checksum_type.clone());
        let up = blocking(move || store.create_upload(&bucket, &key, attrs, a, t)).await?;
        Ok(S3Response::new(CreateMultipartUploadOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(up.upload_id),
            checksum_algorithm: algorithm.map(ChecksumAlgorithm::from),
            checksum_type: checksum_type.map(ChecksumType::from),
            ..Default::default()
        }))
    }

    pub(crate) async fn upload_part_impl(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        let S3Request {
            input,
            headers,
            extensions,
            trailing_headers,
            ..
        } = req;
        let part = u32::try_from(input.part_number).map_err(|_| {
            err(
                S3ErrorCode::InvalidArgument,
                "Part number must be an integer between 1 and 10000, inclusive",
            )
        })?;
        let (store, bucket, id) = (
            self.store.clone(),
            input.bucket.clone(),
            input.upload_id.clone(),
        );
        let up = blocking(move || store.upload_info(&bucket, &id)).await?;
        if up.key != input.key {
            return Err(no_upload());
        }
        let mut expected = Values::new(
            input.checksum_crc32,
            input.checksum_crc32c,
            input.checksum_crc64nvme,
            input.checksum_sha1,
            input.checksum_sha256,
        );
        let declared = input
            .checksum_algorithm
            .as_ref()
            .map(|a| a.as_str().to_owned())
            .or(up.checksum_algorithm.clone());
        let want = checksum::wanted(&expected, declared.as_deref(), &headers);
        let (store, bucket, id) = (
            self.store.clone(),
            input.bucket.clone(),
            input.upload_id.clone(),
        );
        let writer = blocking(move || store.begin_part(&bucket, &id, part)).await?;
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
        let stored = rec.computed.into_stored(None);
        let store = self.store.clone();
        let writer = rec.writer;
        let info = blocking(move || store.finish_part(writer, stored)).await?;
        let [crc32, crc32c, crc64nvme, sha1, sha256] = Values::from_stored(&info.attrs.checksums).0;
        Ok(S3Response::new(UploadPartOutput {
            e_tag: Some(etag(&info.etag)),
            checksum_crc32: crc32,
            checksum_crc32c: crc32c,
            checksum_crc64nvme: crc64nvme,
            checksum_sha1: sha1,
            checksum_sha256: sha256,
            ..Default::default()
        }))
    }

    pub(crate) async fn complete_multipart_upload_impl(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let input = req.input;
        let listed = input
            .multipart_upload
            .and_then(|m| m.parts)
            .filter(|p| !p.is_empty())
            .ok_or_else(|| err(S3ErrorCode::MalformedXML, msg::MALFORMED_XML))?;
        let mut refs = Vec::with_capacity(listed.len());
        let mut claimed = Vec::with_capacity(listed.len());
        for p in listed {
            let (Some(n), Some(e)) = (p.part_number, p.e_tag) else {
                return Err(err(S3ErrorCode::MalformedXML, msg::MALFORMED_XML));
            };
            let n =
                u32::try_from(n).map_err(|_| err(S3ErrorCode::InvalidPart, msg::INVALID_PART))?;
            refs.push(PartRef {
                part_number: n,
                etag: e.value().to_owned(),
            });
            claimed.push(Values::new(
                p.checksum_crc32,
                p.checksum_crc32c,
                p.checksum_crc64nvme,
                p.checksum_sha1,
                p.checksum_sha256,
            ));
        }
        let (store, bucket, id) = (
            self.store.clone(),
            input.bucket.clone(),
            input.upload_id.clone(),
        );
        let up = blocking(move || store.upload_info(&bucket, &id)).await?;
        if up.key != input.key {
            return Err(no_upload());
        }
        let algorithm = up
            .checksum_algorithm
            .as_deref()
            .and_then(algorithm_index)
            .map(|i| {
                let full = up.checksum_type.as_deref() == Some(ChecksumType::FULL_OBJECT);
                (i, full)
            });
        let mut hook = Hook {
            full: match algorithm {
                Some((i, true)) => {
                    let mut w = [false; 5];
                    w[i] = true;
                    Some(checksum::hasher(&w))
                }
                _ => None,
            },
            algorithm,
            claimed,
            failure: None,
        };
        let cond = put_condition(input.if_match, input.if_none_match)?;
        let (store, bucket, id) = (
            self.store.clone(),
            input.bucket.clone(),
            input.upload_id.clone(),
        );
        let (result, hook) = tokio::task::spawn_blocking(move || {
            let r = store.complete_upload(&bucket, &id, &refs, &cond, &mut hook);
            (r, hook)
        })
        .await
        .map_err(|_| err(S3ErrorCode::InternalError, msg::INTERNAL))?;
        if let Some(e) = hook.failure {
            return Err(e);
        }
        let info = result.map_err(crate::errors::store_error)?;
        let expected = Values::new(
            input.checksum_crc32,
            input.checksum_crc32c,
            input.checksum_crc64nvme,
            input.checksum_sha1,
            input.checksum_sha256,
        );
        let got = Values::from_stored(&info.attrs.checksums);
        for (i, (alg, _, _)) in ALGORITHMS.iter().enumerate() {
            if let Some(want) = &expected.0[i]
                && got.0[i].is_some()
                && got.0[i].as_deref() != Some(want.as_str())
            {
                return Err(err(
                    S3ErrorCode::BadDigest,
                    &format!("The {alg} you specified did not match the calculated checksum."),
                ));
            }
        }
        let [crc32, crc32c, crc64nvme, sha1, sha256] = got.0;
        Ok(S3Response::new(CompleteMultipartUploadOutput {
            bucket: Some(input.bucket.clone()),
            key: Some(input.key.clone()),
            location: Some(format!("/{}/{}", input.bucket, input.key)),
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

    pub(crate) async fn abort_multipart_upload_impl(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        let (store, bucket, id) = (self.store.clone(), req.input.bucket, req.input.upload_id);
        let key = req.input.key;
        blocking(move || {
            let up = store.upload_info(&bucket, &id)?;
            if up.key != key {
                return Err(StoreError::NoSuchUpload(id));
            }
            store.abort_upload(&bucket, &id)
        })
        .await?;
        Ok(S3Response::new(AbortMultipartUploadOutput::default()))
    }

    pub(crate) async fn list_parts_impl(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        let input = req.input;
        let (store, bucket, id) = (
            self.store.clone(),
            input.bucket.clone(),
            input.upload_id.clone(),
        );
        let (up, parts) = blocking(move || store.list_parts(&bucket, &id)).await?;
        if up.key != input.key {
            return Err(no_upload());
        }
        let max = usize::try_from(input.max_parts.unwrap_or(1000).clamp(0, 1000)).unwrap_or(1000);
        let marker = u32::try_from(input.part_number_marker.unwrap_or(0)).unwrap_or(0);
        let after: Vec<&(u32, ObjectInfo)> = parts.iter().filter(|(n, _)| *n > marker).collect();
        let truncated = after.len() > max;
        let page: Vec<Part> = after
            .iter()
            .take(max)
            .map(|(n, i)| {
                let [crc32, crc32c, crc64nvme, sha1, sha256] =
                    Values::from_stored(&i.attrs.checksums).0;
                Part {
                    part_number: i32::try_from(*n).ok(),
                    e_tag: Some(etag(&i.etag)),
                    size: i64::try_from(i.size).ok(),
                    last_modified: Some(timestamp(i.last_modified)),
                    checksum_crc32: crc32,
                    checksum_crc32c: crc32c,
                    checksum_crc64nvme: crc64nvme,
                    checksum_sha1: sha1,
                    checksum_sha256: sha256,
                }
            })
            .collect();
        let next = if truncated {
            page.last().and_then(|p| p.part_number)
        } else {
            None
        };
        Ok(S3Response::new(ListPartsOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(input.upload_id),
            part_number_marker: input.part_number_marker,
            next_part_number_marker: next,
            max_parts: i32::try_from(max).ok(),
            is_truncated: Some(truncated),
            parts: Some(page),
            owner: Some(owner()),
            initiator: Some(Initiator {
                id: Some(conv::OWNER_ID.to_owned()),
                display_name: Some(conv::OWNER_NAME.to_owned()),
            }),
            storage_class: Some(StorageClass::from_static(StorageClass::STANDARD)),
            checksum_algorithm: up.checksum_algorithm.map(ChecksumAlgorithm::from),
            checksum_type: up.checksum_type.map(ChecksumType::from),
            ..Default::default()
        }))
    }

    pub(crate) async fn list_multipart_uploads_impl(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        let input = req.input;
        let (store, bucket) = (self.store.clone(), input.bucket.clone());
        let all = blocking(move || store.list_uploads(&bucket)).await?;
        let prefix = input.prefix.clone().unwrap_or_default();
        let max = usize::try_from(input.max_uploads.unwrap_or(1000).clamp(0, 1000)).unwrap_or(1000);
        let key_marker = input.key_marker.clone().unwrap_or_default();
        let id_marker = input.upload_id_marker.clone();
        let delimiter = input.delimiter.clone().filter(|d| !d.is_empty());
        let mut uploads = Vec::new();
        let mut cps: Vec<String> = Vec::new();
        let mut truncated = false;
        let mut last: Option<(String, String)> = None;
        for u in all.iter().filter(|u| u.key.starts_with(&prefix)) {
            let after = match &id_marker {
                Some(id) if u.key == key_marker => u.upload_id.as_str() > id.as_str(),
                _ => u.key.as_str() > key_marker.as_str() || key_marker.is_empty(),
            };
            if !after {
                continue;
            }
            let cp = delimiter.as_deref().and_then(|d| {
                u.key[prefix.len()..]
                    .find(d)
                    .map(|i| u.key[..prefix.len() + i + d.len()].to_owned())
            });
            if let Some(cp) = &cp
                && cps.last() == Some(cp)
            {
                continue;
            }
            if uploads.len() + cps.len() == max {
                truncated = true;
                break;
            }
            match cp {
                Some(cp) => cps.push(cp),
                None => {
                    last = Some((u.key.clone(), u.upload_id.clone()));
                    uploads.push(MultipartUpload {
                        key: Some(u.key.clone()),
                        upload_id: Some(u.upload_id.clone()),
                        initiated: Some(timestamp(u.initiated)),
                        owner: Some(owner()),
                        initiator: Some(Initiator {
                            id: Some(conv::OWNER_ID.to_owned()),
                            display_name: Some(conv::OWNER_NAME.to_owned()),
                        }),
                        storage_class: Some(StorageClass::from_static(StorageClass::STANDARD)),
                        checksum_algorithm: u
                            .checksum_algorithm
                            .clone()
                            .map(ChecksumAlgorithm::from),
                        checksum_type: u.checksum_type.clone().map(ChecksumType::from),
                    });
                }
            }
        }
        let (next_key, next_id) = match (truncated, last) {
            (true, Some((k, id))) => (Some(k), Some(id)),
            _ => (None, None),
        };
        Ok(S3Response::new(ListMultipartUploadsOutput {
            bucket: Some(input.bucket),
            prefix: input.prefix,
            delimiter: input.delimiter,
            key_marker: input.key_marker,
            upload_id_marker: input.upload_id_marker,
            next_key_marker: next_key,
            next_upload_id_marker: next_id,
            max_uploads: i32::try_from(max).ok(),
            is_truncated: Some(truncated),
            uploads: Some(uploads),
            common_prefixes: (!cps.is_empty()).then(|| {
                cps.into_iter()
                    .map(|p| CommonPrefix { prefix: Some(p) })
                    .collect()
            }),
            encoding_type: input.encoding_type,
            ..Default::default()
        }))
    }
}

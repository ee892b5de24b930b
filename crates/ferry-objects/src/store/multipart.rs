//! Multipart uploads: each upload is a directory of part files (the object
//! file format, one per part number, replaced atomically on re-upload) and an
//! `upload.json`. Completing concatenates the chosen parts, streaming, into
//! one temporary object file with ETag `hex(md5(part md5s…))-<n>`, then
//! publishes it like any write and removes the upload.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

use super::BucketStore;
use super::format::{Checksums, ObjectAttrs, ObjectInfo, open_object};
use super::writer::{PutCondition, StoreWriter, Target};
use crate::error::StoreError;
use crate::names::{is_valid_key, is_valid_upload_id};

/// S3's smallest part, except the last.
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// S3's part numbers: 1 to 10,000.
pub const MAX_PART_NUMBER: u32 = 10_000;

/// `upload.json`: an upload in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadInfo {
    pub upload_id: String,
    pub key: String,
    pub initiated: DateTime<Utc>,
    /// Metadata the object gets when completed.
    pub attrs: ObjectAttrs,
    /// `CRC32`, `CRC32C`, `SHA1`, `SHA256`, `CRC64NVME` if declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum_algorithm: Option<String>,
    /// `COMPOSITE` or `FULL_OBJECT` if declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum_type: Option<String>,
}

/// A part named in CompleteMultipartUpload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartRef {
    pub part_number: u32,
    /// Unquoted.
    pub etag: String,
}

/// Lets the caller check and compute checksums while an upload completes.
pub trait CompleteHook {
    /// Called with the chosen parts before concatenation.
    fn check_parts(&mut self, _parts: &[(u32, ObjectInfo)]) -> Result<(), StoreError> {
        Ok(())
    }
    /// Sees every byte of the object, in order.
    fn observe(&mut self, _data: &[u8]) {}
    /// Returns the object's checksums once all bytes were seen.
    fn finish(&mut self, _parts: &[(u32, ObjectInfo)]) -> Result<Checksums, StoreError> {
        Ok(Checksums::default())
    }
}

/// A [`CompleteHook`] that stores no checksums.
pub struct NoHook;
impl CompleteHook for NoHook {}

fn part_file(dir: &std::path::Path, part: u32) -> PathBuf {
    dir.join(format!("part-{part:05}"))
}

impl BucketStore {
    fn upload_dir(&self, bucket: &str, upload_id: &str) -> Result<PathBuf, StoreError> {
        self.bucket(bucket)?;
        if !is_valid_upload_id(upload_id) {
            return Err(StoreError::NoSuchUpload(upload_id.to_owned()));
        }
        let dir = self.uploads_dir(bucket).join(upload_id);
        if !dir.join("upload.json").is_file() {
            return Err(StoreError::NoSuchUpload(upload_id.to_owned()));
        }
        Ok(dir)
    }

    fn read_upload(
        &self,
        dir: &std::path::Path,
        upload_id: &str,
    ) -> Result<UploadInfo, StoreError> {
        let p = dir.join("upload.json");
        let text = std::fs::read(&p).map_err(|_| StoreError::NoSuchUpload(upload_id.to_owned()))?;
        serde_json::from_slice(&text).map_err(|e| StoreError::Corrupt {
            path: p.display().to_string(),
            reason: e.to_string(),
        })
    }

    /// Starts a multipart upload; returns its id.
    pub fn create_upload(
        &self,
        bucket: &str,
        key: &str,
        attrs: ObjectAttrs,
        checksum_algorithm: Option<String>,
        checksum_type: Option<String>,
    ) -> Result<UploadInfo, StoreError> {
        self.bucket(bucket)?;
        if !is_valid_key(key) {
            return Err(StoreError::InvalidKey);
        }
        let upload_id = uuid::Uuid::new_v4().simple().to_string();
        let dir = self.uploads_dir(bucket).join(&upload_id);
        std::fs::create_dir_all(&dir)
            .map_err(StoreError::io(format!("create {}", dir.display())))?;
        let info = UploadInfo {
            upload_id,
            key: key.to_owned(),
            initiated: Utc::now(),
            attrs,
            checksum_algorithm,
            checksum_type,
        };
        let json = serde_json::to_vec(&info)
            .map_err(|e| StoreError::io("encode upload.json")(e.into()))?;
        let tmp = self.tmp_path();
        std::fs::write(&tmp, json).map_err(StoreError::io(format!("write {}", tmp.display())))?;
        let p = dir.join("upload.json");
        std::fs::rename(&tmp, &p).map_err(StoreError::io(format!("rename to {}", p.display())))?;
        Ok(info)
    }

    /// The upload's record.
    pub fn upload_info(&self, bucket: &str, upload_id: &str) -> Result<UploadInfo, StoreError> {
        let dir = self.upload_dir(bucket, upload_id)?;
        self.read_upload(&dir, upload_id)
    }

    /// Starts writing one part; publish it with [`BucketStore::finish_part`].
    pub fn begin_part(
        &self,
        bucket: &str,
        upload_id: &str,
        part_number: u32,
    ) -> Result<StoreWriter, StoreError> {
        if !(1..=MAX_PART_NUMBER).contains(&part_number) {
            return Err(StoreError::InvalidArgument(
                "Part number must be an integer between 1 and 10000, inclusive".into(),
            ));
        }
        let dir = self.upload_dir(bucket, upload_id)?;
        let info = self.read_upload(&dir, upload_id)?;
        StoreWriter::create(
            Target::Part {
                dir,
                key: info.key,
                part: part_number,
            },
            self.tmp_path(),
            self.fsync(),
        )
    }

    /// Publishes a written part (replacing an earlier upload of that number).
    pub fn finish_part(
        &self,
        w: StoreWriter,
        checksums: Checksums,
    ) -> Result<ObjectInfo, StoreError> {
        let Target::Part { dir, part, .. } = &w.target else {
            return Err(StoreError::InvalidArgument("not a part writer".into()));
        };
        let (dir, part) = (dir.clone(), *part);
        let attrs = ObjectAttrs {
            checksums,
            ..Default::default()
        };
        let written = w.seal(attrs, None, None)?;
        if !dir.join("upload.json").is_file() {
            let _ = std::fs::remove_file(&written.tmp);
            let id = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            return Err(StoreError::NoSuchUpload(id));
        }
        let path = part_file(&dir, part);
        std::fs::rename(&written.tmp, &path).map_err(|e| {
            let _ = std::fs::remove_file(&written.tmp);
            StoreError::io(format!("rename to {}", path.display()))(e)
        })?;
        Ok(written.info)
    }

    /// The uploaded parts, by part number.
    pub fn list_parts(
        &self,
        bucket: &str,
        upload_id: &str,
    ) -> Result<(UploadInfo, Vec<(u32, ObjectInfo)>), StoreError> {
        let dir = self.upload_dir(bucket, upload_id)?;
        let info = self.read_upload(&dir, upload_id)?;
        let mut parts = Vec::new();
        let rd =
            std::fs::read_dir(&dir).map_err(|_| StoreError::NoSuchUpload(upload_id.to_owned()))?;
        for e in rd {
            let Ok(e) = e else { continue };
            let name = e.file_name();
            let Some(n) = name
                .to_str()
                .and_then(|n| n.strip_prefix("part-"))
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            if let Some((_, pi)) = open_object(&e.path())? {
                parts.push((n, pi));
            }
        }
        parts.sort_by_key(|(n, _)| *n);
        Ok((info, parts))
    }

    /// Aborts an upload and deletes its parts.
    pub fn abort_upload(&self, bucket: &str, upload_id: &str) -> Result<(), StoreError> {
        let dir = self.upload_dir(bucket, upload_id)?;
        let p = dir.join("upload.json");
        std::fs::remove_file(&p).map_err(|_| StoreError::NoSuchUpload(upload_id.to_owned()))?;
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    }

    /// Uploads in progress in a bucket, by key then initiation time.
    pub fn list_uploads(&self, bucket: &str) -> Result<Vec<UploadInfo>, StoreError> {
        self.bucket(bucket)?;
        let dir = self.uploads_dir(bucket);
        let mut out = Vec::new();
        let rd = match std::fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(StoreError::io(format!("list {}", dir.display()))(e)),
        };
        for e in rd {
            let Ok(e) = e else { continue };
            let Some(id) = e.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if !is_valid_upload_id(&id) {
                continue;
            }
            if let Ok(info) = self.read_upload(&e.path(), &id) {
                out.push(info);
            }
        }
        out.sort_by(|a, b| (&a.key, a.initiated).cmp(&(&b.key, b.initiated)));
        Ok(out)
    }

    /// Completes an upload from the listed parts: S3's checks (ascending part
    /// numbers, every part present with that ETag, every part but the last at
    /// least 5 MiB), then streaming concatenation and publication.
    pub fn complete_upload(
        &self,
        bucket: &str,
        upload_id: &str,
        parts: &[PartRef],
        cond: &PutCondition,
        hook: &mut dyn CompleteHook,
    ) -> Result<ObjectInfo, StoreError> {
        let b = self.bucket(bucket)?;
        let dir = self.upload_dir(bucket, upload_id)?;
        let upload = self.read_upload(&dir, upload_id)?;
        if parts.is_empty() {
            return Err(StoreError::InvalidArgument(
                "You must specify at least one part".into(),
            ));
        }
        for w in parts.windows(2) {
            if w[1].part_number <= w[0].part_number {
                return Err(StoreError::InvalidPartOrder);
            }
        }
        let mut chosen: Vec<(u32, ObjectInfo, File)> = Vec::with_capacity(parts.len());
        for p in parts {
            let path = part_file(&dir, p.part_number);
            let Some((file, info)) = open_object(&path)? else {
                return Err(StoreError::InvalidPart {
                    part: p.part_number,
                });
            };
            if info.etag != p.etag {
                return Err(StoreError::InvalidPart {
                    part: p.part_number,
                });
            }
            chosen.push((p.part_number, info, file));
        }
        let last = chosen.len() - 1;
        for (i, (n, info, _)) in chosen.iter().enumerate() {
            if i != last && info.size < MIN_PART_SIZE {
                return Err(StoreError::EntityTooSmall { part: *n });
            }
        }
        let infos: Vec<(u32, ObjectInfo)> =
            chosen.iter().map(|(n, i, _)| (*n, i.clone())).collect();
        hook.check_parts(&infos)?;

        let mut w = StoreWriter::create(
            Target::Object {
                bucket: b.clone(),
                key: upload.key.clone(),
            },
            self.tmp_path(),
            self.fsync(),
        )?;
        let mut md5s = Md5::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut sizes = Vec::with_capacity(chosen.len());
        for (_, info, file) in &mut chosen {
            let raw = hex::decode(&info.etag).map_err(|_| StoreError::Corrupt {
                path: dir.display().to_string(),
                reason: "part etag is not hex".into(),
            })?;
            md5s.update(&raw);
            sizes.push(info.size);
            file.seek(SeekFrom::Start(0))
                .map_err(StoreError::io("seek part"))?;
            let mut r = file.take(info.size);
            loop {
                let n = r.read(&mut buf).map_err(StoreError::io("read part"))?;
                if n == 0 {
                    break;
                }
                hook.observe(&buf[..n]);
                w.write(&buf[..n])?;
            }
        }
        let checksums = hook.finish(&infos)?;
        let etag = format!("{}-{}", hex::encode(md5s.finalize()), chosen.len());
        let mut attrs = upload.attrs.clone();
        attrs.checksums = checksums;
        let count = u32::try_from(chosen.len()).unwrap_or(u32::MAX);
        let written = w.seal(attrs, Some(etag), Some((count, sizes)))?;
        let info = self.publish(&b, written, cond)?;
        let _ = std::fs::remove_file(dir.join("upload.json"));
        let _ = std::fs::remove_dir_all(&dir);
        Ok(info)
    }
}

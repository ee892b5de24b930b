//! S3 authorization with the IAM file: s3s calls [`IamAccess`] (its
//! `S3Access` hook) after verifying the signature and before the operation
//! runs, so a refused request changes nothing.
//!
//! Each operation maps to its IAM action on `arn:aws:s3:::bucket` or
//! `arn:aws:s3:::bucket/key` (HeadBucket and the listings are
//! `s3:ListBucket`, with `s3:prefix`, `s3:delimiter` and `s3:max-keys`;
//! HeadObject is `s3:GetObject`; the multipart steps are `s3:PutObject`,
//! except `s3:AbortMultipartUpload` and `s3:ListMultipartUploadParts`;
//! DeleteObjects is `s3:DeleteObject` per key; CopyObject also needs
//! `s3:GetObject` on its source). The bucket's owner and bucket policy take
//! part as AWS's evaluation logic says (`ferry_iam::evaluate`). A refusal is
//! S3's `AccessDenied` (403, "Access Denied").

use std::net::IpAddr;
use std::sync::Arc;

use ferry_iam::{Context, Decision, Iam, PeerAddr, Policy, PolicyKind, User};
use ferry_objects::{BucketStore, StoreError};
use s3s::access::{S3Access, S3AccessContext};
use s3s::dto::{CopyObjectInput, CopySource, DeleteObjectsInput};
use s3s::path::S3Path;
use s3s::{S3ErrorCode, S3Request, S3Result};

use crate::errors::{err, msg};

/// The accounts side of the S3 endpoint: who a key is, and who owns a
/// bucket created before accounts existed.
#[derive(Debug, Clone)]
pub struct Accounts {
    pub iam: Arc<Iam>,
    /// Owner of buckets without a recorded owner.
    pub default_account: String,
}

impl Accounts {
    /// The user of an access key.
    pub fn user(&self, access_key: &str) -> Option<&Arc<User>> {
        self.iam.user_for_key(access_key)
    }

    /// The account a bucket belongs to.
    pub fn owner_of(&self, owner: Option<String>) -> String {
        owner.unwrap_or_else(|| self.default_account.clone())
    }
}

/// The `S3Access` hook installed with an IAM file.
pub struct IamAccess {
    pub accounts: Accounts,
    pub store: Arc<BucketStore>,
}

fn denied() -> s3s::S3Error {
    err(S3ErrorCode::AccessDenied, msg::ACCESS_DENIED)
}

/// The IAM action of an S3 operation (by s3s' operation name).
fn action(op: &str) -> String {
    match op {
        "ListBuckets" => "s3:ListAllMyBuckets".into(),
        "HeadBucket" | "ListObjects" | "ListObjectsV2" => "s3:ListBucket".into(),
        "ListMultipartUploads" => "s3:ListBucketMultipartUploads".into(),
        "HeadObject" | "GetObject" => "s3:GetObject".into(),
        "PutObject"
        | "CopyObject"
        | "CreateMultipartUpload"
        | "UploadPart"
        | "UploadPartCopy"
        | "CompleteMultipartUpload" => "s3:PutObject".into(),
        "ListParts" => "s3:ListMultipartUploadParts".into(),
        "DeleteObjects" => "s3:DeleteObject".into(),
        other => format!("s3:{other}"),
    }
}

fn object_arn(bucket: &str, key: &str) -> String {
    format!("arn:aws:s3:::{bucket}/{key}")
}

/// `s3:prefix`, `s3:delimiter`, `s3:max-keys` of a listing's query string.
fn listing_keys(ctx: &mut Context, query: Option<&str>) {
    for pair in query.unwrap_or_default().split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let key = match k {
            "prefix" => "s3:prefix",
            "delimiter" => "s3:delimiter",
            "max-keys" => "s3:max-keys",
            _ => continue,
        };
        ctx.set(key, ferry_auth::percent_decode(v, true));
    }
}

impl IamAccess {
    /// Decides one (action, bucket, resource) for `user`.
    async fn decide(
        &self,
        user: &User,
        source_ip: Option<IpAddr>,
        action: &str,
        bucket: Option<&str>,
        resource: &str,
        mut extra: impl FnMut(&mut Context),
    ) -> S3Result<()> {
        let access = match bucket {
            None => None,
            Some(b) => {
                let (store, b) = (self.store.clone(), b.to_owned());
                match tokio::task::spawn_blocking(move || store.bucket_access(&b)).await {
                    Ok(Ok(a)) => Some(a),
                    // A missing bucket: the caller's own identity decides,
                    // then the operation answers NoSuchBucket.
                    Ok(Err(StoreError::NoSuchBucket(_))) => None,
                    Ok(Err(_)) | Err(_) => {
                        return Err(err(S3ErrorCode::InternalError, msg::INTERNAL));
                    }
                }
            }
        };
        let (owner, policy) = match access {
            Some(a) => (self.accounts.owner_of(a.owner), a.policy),
            None => (user.account.clone(), None),
        };
        // A stored policy was checked when it was put.
        let policy = policy.and_then(|p| Policy::parse(&p, PolicyKind::Resource).ok());
        let mut ctx = user.context(source_ip);
        extra(&mut ctx);
        let req = ferry_iam::Request {
            caller: ferry_iam::Caller {
                account: &user.account,
                arn: &user.arn,
            },
            action,
            resource,
            context: &ctx,
        };
        let side = ferry_iam::ResourceSide {
            owner: &owner,
            policy: policy.as_ref(),
        };
        match ferry_iam::evaluate(&user.policies, side, &req) {
            Decision::Allow => Ok(()),
            Decision::Deny(reason) => {
                tracing::debug!(action, resource, ?reason, "s3 request denied");
                Err(denied())
            }
        }
    }

    fn caller<T>(&self, req: &S3Request<T>) -> S3Result<(Arc<User>, Option<IpAddr>)> {
        let user = req
            .credentials
            .as_ref()
            .and_then(|c| self.accounts.user(&c.access_key))
            .ok_or_else(denied)?
            .clone();
        let ip = req.extensions.get::<PeerAddr>().map(|p| p.source_ip());
        Ok((user, ip))
    }
}

#[async_trait::async_trait]
impl S3Access for IamAccess {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        let user = cx
            .credentials()
            .and_then(|c| self.accounts.user(&c.access_key))
            .ok_or_else(denied)?
            .clone();
        let ip = cx.extensions_mut().get::<PeerAddr>().map(|p| p.source_ip());
        let op = cx.s3_op().name();
        if op == "DeleteObjects" {
            // Checked key by key once the body is parsed (`delete_objects`).
            return Ok(());
        }
        let action = action(op);
        let query = cx.uri().query().map(str::to_owned);
        let listing = action == "s3:ListBucket" && op != "HeadBucket";
        let (bucket, key): (Option<String>, Option<String>) = match cx.s3_path() {
            S3Path::Root => (None, None),
            S3Path::Bucket { bucket } => (Some(bucket.to_string()), None),
            S3Path::Object { bucket, key } => (Some(bucket.to_string()), Some(key.to_string())),
        };
        let resource = match (&bucket, &key) {
            (Some(b), Some(k)) => object_arn(b, k),
            (Some(b), None) => format!("arn:aws:s3:::{b}"),
            _ => "*".to_string(),
        };
        // The bucket CreateBucket makes is the caller's (an existing one is
        // then BucketAlreadyExists / BucketAlreadyOwnedByYou, as in S3).
        let owned_by = if op == "CreateBucket" {
            None
        } else {
            bucket.as_deref()
        };
        self.decide(&user, ip, &action, owned_by, &resource, |ctx| {
            if listing {
                listing_keys(ctx, query.as_deref());
            }
        })
        .await
    }

    async fn delete_objects(&self, req: &mut S3Request<DeleteObjectsInput>) -> S3Result<()> {
        let (user, ip) = self.caller(req)?;
        let bucket = req.input.bucket.clone();
        for obj in &req.input.delete.objects {
            let arn = object_arn(&bucket, &obj.key);
            self.decide(&user, ip, "s3:DeleteObject", Some(&bucket), &arn, |_| {})
                .await?;
        }
        Ok(())
    }

    async fn copy_object(&self, req: &mut S3Request<CopyObjectInput>) -> S3Result<()> {
        let (user, ip) = self.caller(req)?;
        match &req.input.copy_source {
            CopySource::Bucket { bucket, key, .. } => {
                let arn = object_arn(bucket, key);
                self.decide(&user, ip, "s3:GetObject", Some(bucket), &arn, |_| {})
                    .await
            }
            CopySource::AccessPoint { .. } | CopySource::Outpost { .. } => Err(denied()),
        }
    }
}

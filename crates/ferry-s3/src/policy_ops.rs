//! Bucket policies: PutBucketPolicy, GetBucketPolicy, DeleteBucketPolicy.
//! The policy is checked with `ferry_iam` (a resource-based policy: every
//! statement names a `Principal`) and stored durably with the bucket
//! (`bucket.json`). With an IAM file only the bucket owner's account may
//! manage the policy (as in S3, whatever another account's policies say).

use s3s::dto::*;
use s3s::{S3ErrorCode, S3Request, S3Response, S3Result};

use crate::errors::{blocking, err, msg};
use crate::s3::FerryS3;

/// S3's message for a policy that is not JSON.
const NOT_JSON: &str = "Policies must be valid JSON and the first byte must be '{'";
/// S3's message for GetBucketPolicy on a bucket without one.
const NO_POLICY: &str = "The bucket policy does not exist";

impl FerryS3 {
    /// With an IAM file: refuses a caller of another account than the bucket's.
    async fn owner_only<T>(&self, req: &S3Request<T>, bucket: &str) -> S3Result<()> {
        let Some(accounts) = &self.accounts else {
            return Ok(());
        };
        let caller = req
            .credentials
            .as_ref()
            .and_then(|c| accounts.user(&c.access_key))
            .map(|u| u.account.clone());
        let (store, b) = (self.store.clone(), bucket.to_owned());
        let access = blocking(move || store.bucket_access(&b)).await?;
        if caller.as_deref() == Some(accounts.owner_of(access.owner).as_str()) {
            Ok(())
        } else {
            Err(err(S3ErrorCode::AccessDenied, msg::ACCESS_DENIED))
        }
    }

    pub(crate) async fn put_bucket_policy_impl(
        &self,
        req: S3Request<PutBucketPolicyInput>,
    ) -> S3Result<S3Response<PutBucketPolicyOutput>> {
        self.owner_only(&req, &req.input.bucket).await?;
        let text = req.input.policy;
        if let Err(e) = ferry_iam::Policy::parse(&text, ferry_iam::PolicyKind::Resource) {
            // S3's wording for each kind of invalid policy is not documented
            // beyond the JSON one; Ferry names the fault itself.
            let message = match e {
                ferry_iam::PolicyError::Json(_) => NOT_JSON.to_string(),
                ferry_iam::PolicyError::Invalid(reason) => reason,
            };
            return Err(err(S3ErrorCode::MalformedPolicy, &message));
        }
        let (store, bucket) = (self.store.clone(), req.input.bucket);
        blocking(move || store.set_bucket_policy(&bucket, Some(text))).await?;
        Ok(S3Response::new(PutBucketPolicyOutput::default()))
    }

    pub(crate) async fn get_bucket_policy_impl(
        &self,
        req: S3Request<GetBucketPolicyInput>,
    ) -> S3Result<S3Response<GetBucketPolicyOutput>> {
        self.owner_only(&req, &req.input.bucket).await?;
        let (store, bucket) = (self.store.clone(), req.input.bucket);
        let access = blocking(move || store.bucket_access(&bucket)).await?;
        match access.policy {
            Some(policy) => Ok(S3Response::new(GetBucketPolicyOutput {
                policy: Some(policy),
            })),
            None => Err(err(S3ErrorCode::NoSuchBucketPolicy, NO_POLICY)),
        }
    }

    pub(crate) async fn delete_bucket_policy_impl(
        &self,
        req: S3Request<DeleteBucketPolicyInput>,
    ) -> S3Result<S3Response<DeleteBucketPolicyOutput>> {
        self.owner_only(&req, &req.input.bucket).await?;
        let (store, bucket) = (self.store.clone(), req.input.bucket);
        blocking(move || store.set_bucket_policy(&bucket, None)).await?;
        Ok(S3Response::new(DeleteBucketPolicyOutput::default()))
    }
}

//! The bridge to s3s: [`S3Credentials`] hands s3s the secret of an access
//! key so that s3s can verify S3's SigV4 itself (headers, presigned URLs,
//! aws-chunked payloads).

use std::sync::Arc;

use s3s::auth::{S3Auth, SecretKey};
use s3s::{S3Result, s3_error};

use crate::Credentials;

/// S3's message for an unknown access key id (`InvalidAccessKeyId`, 403).
pub const INVALID_ACCESS_KEY_MESSAGE: &str =
    "The AWS Access Key Id you provided does not exist in our records.";

/// `s3s::auth::S3Auth` over [`Credentials`]. Install it on the s3s service
/// only when the credentials are not open: s3s then refuses unsigned requests.
#[derive(Debug, Clone)]
pub struct S3Credentials(pub Arc<Credentials>);

#[async_trait::async_trait]
impl S3Auth for S3Credentials {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        match self.0.secret(access_key) {
            Some(secret) => Ok(SecretKey::from(secret)),
            None => Err(s3_error!(
                InvalidAccessKeyId,
                "{}",
                INVALID_ACCESS_KEY_MESSAGE
            )),
        }
    }
}

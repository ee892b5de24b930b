//! SDK tests of the IAM file (`--iam`): identities from the file, AWS's
//! policy evaluation on DynamoDB, Streams and Logs requests, and AWS's
//! refusal messages; each refusal also shows that nothing changed.
//!
//! The server of these tests has two accounts: 111122223333 (users `admin`
//! with every permission, `Dave` with the policies a test gives) and
//! 444455556666 (`Ann`).

mod dynamodb;
mod s3;

use std::sync::Arc;

use crate::common::*;

pub const ACCOUNT: &str = "111122223333";
pub const OTHER: &str = "444455556666";
pub const ADMIN: (&str, &str) = ("AKIAADMIN", "admin-secret");
pub const DAVE: (&str, &str) = ("AKIAEXAMPLEDAVE", "dave-secret");
pub const ANN: (&str, &str) = ("AKIAEXAMPLEANN", "ann-secret");
pub const DAVE_ARN: &str = "arn:aws:iam::111122223333:user/Dave";

/// The IAM file with Dave's `policies` (a JSON array).
pub fn iam_file(dave_policies: &str) -> String {
    format!(
        r#"{{"accounts": [
  {{"id": "{ACCOUNT}", "users": [
    {{"name": "admin", "access_keys": [{{"id": "{}", "secret": "{}"}}],
     "policies": [{{"Version": "2012-10-17", "Statement": {{"Effect": "Allow", "Action": "*", "Resource": "*"}}}}]}},
    {{"name": "Dave", "access_keys": [{{"id": "{}", "secret": "{}"}}], "policies": {dave_policies}}}]}},
  {{"id": "{OTHER}", "users": [
    {{"name": "Ann", "access_keys": [{{"id": "{}", "secret": "{}"}}],
     "policies": [{{"Version": "2012-10-17", "Statement": {{"Effect": "Allow", "Action": "*", "Resource": "*"}}}}]}}]}}]}}"#,
        ADMIN.0, ADMIN.1, DAVE.0, DAVE.1, ANN.0, ANN.1
    )
}

/// A server with the IAM file of [`iam_file`].
pub async fn server(dave_policies: &str) -> TestServer {
    server_in(tempfile::tempdir().unwrap(), dave_policies).await
}

/// [`server`] on an existing directory (a restart).
pub async fn server_in(dir: tempfile::TempDir, dave_policies: &str) -> TestServer {
    let iam = ferry_iam::Iam::parse(&iam_file(dave_policies)).expect("the test IAM file loads");
    TestServer::start_in(dir, |c| c.iam = Some(Arc::new(iam))).await
}

/// One policy document allowing `actions` on `resources` (JSON arrays or strings).
pub fn allow(actions: &str, resources: &str) -> String {
    format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": {actions}, "Resource": {resources}}}]}}"#
    )
}

/// AWS's refusal for Dave when no identity-based policy allows.
pub fn not_allowed(action: &str, resource: &str) -> String {
    format!(
        "User: {DAVE_ARN} is not authorized to perform: {action} on resource: {resource} because no identity-based policy allows the {action} action"
    )
}

/// AWS's refusal for Dave on an explicit deny.
pub fn denied(action: &str, resource: &str) -> String {
    format!(
        "User: {DAVE_ARN} is not authorized to perform: {action} on resource: {resource} with an explicit deny in an identity-based policy"
    )
}

pub fn table_arn(name: &str) -> String {
    format!("arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{name}")
}

/// Assert `r` failed with `AccessDeniedException` and exactly `message`.
#[track_caller]
pub fn assert_access_denied<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    r: Result<T, E>,
    message: &str,
) {
    let (code, msg) = failure(r);
    assert_eq!(code, "AccessDeniedException", "message was: {msg}");
    assert_eq!(msg, message);
}

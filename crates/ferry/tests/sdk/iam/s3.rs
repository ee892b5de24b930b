//! S3 under the IAM file: buckets belong to their creator's account,
//! identity policies on bucket and object ARNs (with `s3:prefix`), bucket
//! policies (the guide's, verbatim with ids substituted) for another
//! account's users, explicit deny in a bucket policy, and
//! Put/Get/DeleteBucketPolicy with their errors and durability.

use aws_sdk_s3::primitives::ByteStream;

use super::*;

/// Assert an S3 call failed with 403 `AccessDenied` "Access Denied".
#[track_caller]
fn assert_s3_denied<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    r: Result<T, aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>>,
) {
    match r {
        Ok(v) => panic!("expected AccessDenied, got {v:?}"),
        Err(e) => {
            let status = e.raw_response().map_or(0, |r| r.status().as_u16());
            assert_eq!(
                (status, e.code(), e.message()),
                (403, Some("AccessDenied"), Some("Access Denied")),
                "{e:?}"
            );
        }
    }
}

async fn put(client: &aws_sdk_s3::Client, bucket: &str, key: &str) {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from_static(b"data"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("put {bucket}/{key}: {e:?}"));
}

async fn keys(client: &aws_sdk_s3::Client, bucket: &str) -> Vec<String> {
    client
        .list_objects_v2()
        .bucket(bucket)
        .send()
        .await
        .unwrap()
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn buckets_belong_to_the_creating_account() {
    let server = server("[]").await;
    let admin = server.s3_as(ADMIN.0, ADMIN.1).await;
    let ann = server.s3_as(ANN.0, ANN.1).await;
    admin.create_bucket().bucket("team-a").send().await.unwrap();
    ann.create_bucket().bucket("team-b").send().await.unwrap();
    let names = |out: aws_sdk_s3::operation::list_buckets::ListBucketsOutput| -> Vec<String> {
        out.buckets()
            .iter()
            .filter_map(|b| b.name().map(str::to_string))
            .collect()
    };
    assert_eq!(
        names(admin.list_buckets().send().await.unwrap()),
        ["team-a"]
    );
    assert_eq!(names(ann.list_buckets().send().await.unwrap()), ["team-b"]);
    // Another account's bucket is out of reach without a bucket policy,
    // even for a user whose own policy allows everything.
    assert_s3_denied(ann.list_objects_v2().bucket("team-a").send().await);
    assert_s3_denied(
        ann.put_object()
            .bucket("team-a")
            .key("k")
            .body(ByteStream::from_static(b"x"))
            .send()
            .await,
    );
    assert!(
        keys(&admin, "team-a").await.is_empty(),
        "the refused put wrote nothing"
    );
    let r = ann.create_bucket().bucket("team-a").send().await;
    assert_eq!(crate::s3::s3_code(r), "409/BucketAlreadyExists");
}

#[tokio::test]
async fn identity_policies_on_bucket_and_object_arns() {
    let server = server(
        r#"[{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shared/public/*"},
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::shared",
             "Condition": {"StringLike": {"s3:prefix": "public/*"}}}]}]"#,
    )
    .await;
    let admin = server.s3_as(ADMIN.0, ADMIN.1).await;
    admin.create_bucket().bucket("shared").send().await.unwrap();
    put(&admin, "shared", "public/a").await;
    put(&admin, "shared", "private/b").await;
    let dave = server.s3_as(DAVE.0, DAVE.1).await;
    dave.get_object()
        .bucket("shared")
        .key("public/a")
        .send()
        .await
        .unwrap();
    assert_s3_denied(
        dave.get_object()
            .bucket("shared")
            .key("private/b")
            .send()
            .await,
    );
    let listed = dave
        .list_objects_v2()
        .bucket("shared")
        .prefix("public/")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.key_count(), Some(1));
    assert_s3_denied(
        dave.list_objects_v2()
            .bucket("shared")
            .prefix("private/")
            .send()
            .await,
    );
    assert_s3_denied(dave.list_objects_v2().bucket("shared").send().await);
    assert_s3_denied(
        dave.put_object()
            .bucket("shared")
            .key("public/new")
            .body(ByteStream::from_static(b"x"))
            .send()
            .await,
    );
    assert_s3_denied(
        dave.delete_object()
            .bucket("shared")
            .key("public/a")
            .send()
            .await,
    );
    assert_eq!(keys(&admin, "shared").await, ["private/b", "public/a"]);
}

const ANN_BUCKET: &str = "ann-data";

/// The guide's bucket policy for imports, verbatim with Dave's account id
/// and Ann's bucket (S3 reserves the `amzn-s3-demo-` prefix).
fn guide_import_bucket_policy() -> String {
    include_str!("../../../../ferry-iam/fixtures/guide-import-bucket-policy.json")
        .replace("123456789012", ACCOUNT)
        .replace("amzn-s3-demo-bucket", ANN_BUCKET)
}

/// The guide's bucket policy for exports, ids substituted likewise.
fn guide_export_bucket_policy() -> String {
    include_str!("../../../../ferry-iam/fixtures/guide-export-bucket-policy.json")
        .replace("123456789012", ACCOUNT)
        .replace("amzn-s3-demo-bucket", ANN_BUCKET)
}

/// Ann's account owns the bucket; Dave (another account) may do all of S3
/// by his own policy.
async fn cross_account() -> (TestServer, aws_sdk_s3::Client, aws_sdk_s3::Client) {
    let server = server(&format!("[{}]", allow(r#""s3:*""#, r#""*""#))).await;
    let ann = server.s3_as(ANN.0, ANN.1).await;
    ann.create_bucket().bucket(ANN_BUCKET).send().await.unwrap();
    put(&ann, ANN_BUCKET, "data/part-0").await;
    let dave = server.s3_as(DAVE.0, DAVE.1).await;
    (server, ann, dave)
}

#[tokio::test]
async fn cross_account_reads_need_the_bucket_policy() {
    let (_server, ann, dave) = cross_account().await;
    assert_s3_denied(
        dave.get_object()
            .bucket(ANN_BUCKET)
            .key("data/part-0")
            .send()
            .await,
    );

    ann.put_bucket_policy()
        .bucket(ANN_BUCKET)
        .policy(guide_import_bucket_policy())
        .send()
        .await
        .unwrap();
    dave.get_object()
        .bucket(ANN_BUCKET)
        .key("data/part-0")
        .send()
        .await
        .unwrap();
    // The guide's policy names `bucket/*` only: ListBucket (on the bucket
    // ARN) is not granted, as in AWS.
    assert_s3_denied(dave.list_objects_v2().bucket(ANN_BUCKET).send().await);
    assert_s3_denied(
        dave.put_object()
            .bucket(ANN_BUCKET)
            .key("data/x")
            .body(ByteStream::from_static(b"x"))
            .send()
            .await,
    );
    // Only the owner's account manages the policy.
    assert_s3_denied(dave.get_bucket_policy().bucket(ANN_BUCKET).send().await);
    assert_s3_denied(dave.delete_bucket_policy().bucket(ANN_BUCKET).send().await);
    let got = ann
        .get_bucket_policy()
        .bucket(ANN_BUCKET)
        .send()
        .await
        .unwrap();
    assert_eq!(got.policy(), Some(guide_import_bucket_policy().as_str()));

    ann.delete_bucket_policy()
        .bucket(ANN_BUCKET)
        .send()
        .await
        .unwrap();
    assert_s3_denied(
        dave.get_object()
            .bucket(ANN_BUCKET)
            .key("data/part-0")
            .send()
            .await,
    );
    let r = ann.get_bucket_policy().bucket(ANN_BUCKET).send().await;
    assert_eq!(crate::s3::s3_message(r), "The bucket policy does not exist");
    let r = ann.get_bucket_policy().bucket(ANN_BUCKET).send().await;
    assert_eq!(crate::s3::s3_code(r), "404/NoSuchBucketPolicy");
}

#[tokio::test]
async fn cross_account_writes_with_the_guides_export_bucket_policy() {
    let (_server, ann, dave) = cross_account().await;
    let write = || {
        dave.put_object()
            .bucket(ANN_BUCKET)
            .key("exports/_started")
            .body(ByteStream::from_static(b""))
            .send()
    };
    assert_s3_denied(write().await);
    ann.put_bucket_policy()
        .bucket(ANN_BUCKET)
        .policy(guide_export_bucket_policy())
        .send()
        .await
        .unwrap();
    write().await.unwrap();
    assert_s3_denied(
        dave.get_object()
            .bucket(ANN_BUCKET)
            .key("exports/_started")
            .send()
            .await,
    );
    assert_eq!(
        keys(&ann, ANN_BUCKET).await,
        ["data/part-0", "exports/_started"]
    );
}

#[tokio::test]
async fn an_explicit_deny_in_a_bucket_policy_wins() {
    let server = server(&format!("[{}]", allow(r#""s3:*""#, r#""*""#))).await;
    let admin = server.s3_as(ADMIN.0, ADMIN.1).await;
    admin.create_bucket().bucket("vault").send().await.unwrap();
    put(&admin, "vault", "k").await;
    let dave = server.s3_as(DAVE.0, DAVE.1).await;
    dave.get_object()
        .bucket("vault")
        .key("k")
        .send()
        .await
        .unwrap();
    admin
        .put_bucket_policy()
        .bucket("vault")
        .policy(format!(
            r#"{{"Version": "2012-10-17", "Statement": {{"Effect": "Deny", "Principal": {{"AWS": "{DAVE_ARN}"}}, "Action": "s3:*", "Resource": ["arn:aws:s3:::vault", "arn:aws:s3:::vault/*"]}}}}"#
        ))
        .send()
        .await
        .unwrap();
    assert_s3_denied(dave.get_object().bucket("vault").key("k").send().await);
    assert_s3_denied(dave.delete_object().bucket("vault").key("k").send().await);
    admin
        .get_object()
        .bucket("vault")
        .key("k")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn malformed_bucket_policies_are_refused_and_policies_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_in(dir, "[]").await;
    let ann = server.s3_as(ANN.0, ANN.1).await;
    ann.create_bucket().bucket("b-policy").send().await.unwrap();
    let put_policy = |text: &str| {
        ann.put_bucket_policy()
            .bucket("b-policy")
            .policy(text)
            .send()
    };
    let r = put_policy("not json").await;
    assert_eq!(
        crate::s3::s3_message(r),
        "Policies must be valid JSON and the first byte must be '{'"
    );
    let r = put_policy(r#"{"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b-policy/*"}}"#).await;
    assert_eq!(crate::s3::s3_code(r), "400/MalformedPolicy");
    let r = ann.get_bucket_policy().bucket("b-policy").send().await;
    assert_eq!(
        crate::s3::s3_code(r),
        "404/NoSuchBucketPolicy",
        "nothing was stored"
    );
    let r = ann
        .get_bucket_policy()
        .bucket("no-such-bucket")
        .send()
        .await;
    assert_eq!(crate::s3::s3_code(r), "404/NoSuchBucket");

    let policy = guide_export_bucket_policy().replace(ANN_BUCKET, "b-policy");
    put_policy(&policy).await.unwrap();
    let dir = server.stop().await;
    let server = server_in(dir, "[]").await;
    let ann = server.s3_as(ANN.0, ANN.1).await;
    let got = ann
        .get_bucket_policy()
        .bucket("b-policy")
        .send()
        .await
        .unwrap();
    assert_eq!(got.policy(), Some(policy.as_str()));
    let admin = server.s3_as(ADMIN.0, ADMIN.1).await;
    assert!(
        admin
            .list_buckets()
            .send()
            .await
            .unwrap()
            .buckets()
            .is_empty(),
        "the owner survives the restart too"
    );
}

//! The object-access trait, exercised the same way on both implementations:
//! the embedded store in process, and `ExternalClient` against moto's
//! `moto_server` (a real S3-compatible server Ferry does not implement),
//! started here on a free port.

use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use ferry_objects::{
    BucketStore, EmbeddedClient, ExternalClient, ExternalS3Config, ObjectClient, ObjectError,
    Objects, StoreOptions,
};
use futures::TryStreamExt as _;
use md5::{Digest, Md5};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One raw, unsigned HTTP request to moto (it accepts any credentials).
async fn raw(port: u16, method: &str, path: &str) -> String {
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

fn md5_b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(data))
}

async fn read_all(
    c: &dyn ObjectClient,
    b: &str,
    k: &str,
    if_match: Option<&str>,
) -> Result<Vec<u8>, ObjectError> {
    let got = c.get(b, k, if_match).await?;
    let chunks: Vec<Bytes> = got.body.try_collect().await?;
    Ok(chunks.concat())
}

/// The behaviour both clients must share.
async fn exercise(c: &dyn ObjectClient, bucket: &str, missing: &str) {
    // missing bucket
    let e = c.head_bucket(missing).await.unwrap_err();
    assert_eq!(
        e,
        ObjectError::NoSuchBucket {
            bucket: missing.into()
        }
    );
    assert_eq!(e.failure_code(), "S3NoSuchBucket");
    assert!(e
        .failure_message()
        .starts_with("The specified bucket does not exist (Service: Amazon S3; Status Code: 404; Error Code: NoSuchBucket; Request ID: "));
    let e = c.list_page(missing, "", None, 10).await.unwrap_err();
    assert_eq!(e.code(), "NoSuchBucket");
    c.head_bucket(bucket).await.unwrap();

    // small writes
    let small = b"{\"Item\":{\"pk\":{\"S\":\"1\"}}}\n".to_vec();
    for k in [
        "data/a.json",
        "data/abc.json",
        "data/b/c.json",
        "datb.json",
        "sp ace/ü+%=&?.json",
    ] {
        let r = c
            .put_bytes(bucket, k, Bytes::from(small.clone()))
            .await
            .unwrap();
        assert_eq!(r.size, small.len() as u64);
        assert_eq!(r.md5_base64, md5_b64(&small));
        assert_eq!(r.etag, hex::encode(Md5::digest(&small)));
    }
    assert_eq!(
        read_all(c, bucket, "sp ace/ü+%=&?.json", None)
            .await
            .unwrap(),
        small
    );

    // a large streamed write (multipart on external stores)
    let big: Vec<u8> = (0..20 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let mut w = c.put(bucket, "data/big.bin").await.unwrap();
    for chunk in big.chunks(1 << 20) {
        w.write(Bytes::copy_from_slice(chunk)).await.unwrap();
    }
    let r = w.finish().await.unwrap();
    assert_eq!(r.size, big.len() as u64);
    assert_eq!(r.md5_base64, md5_b64(&big));
    assert_eq!(
        read_all(c, bucket, "data/big.bin", None).await.unwrap(),
        big
    );

    // an aborted write leaves nothing
    let mut w = c.put(bucket, "data/aborted").await.unwrap();
    w.write(Bytes::from_static(b"x")).await.unwrap();
    w.abort().await.unwrap();

    // raw-prefix listing, paged
    let page = c.list_page(bucket, "data/a", None, 1000).await.unwrap();
    let keys: Vec<&str> = page.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["data/a.json", "data/abc.json"]);
    assert_eq!(page.next_start_after, None);
    let all = c.list_all(bucket, "dat", 100).await.unwrap();
    let keys: Vec<&str> = all.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "data/a.json",
            "data/abc.json",
            "data/b/c.json",
            "data/big.bin",
            "datb.json"
        ]
    );
    let p1 = c.list_page(bucket, "data/", None, 2).await.unwrap();
    assert_eq!(p1.objects.len(), 2);
    assert_eq!(p1.next_start_after.as_deref(), Some("data/abc.json"));
    let p2 = c
        .list_page(bucket, "data/", p1.next_start_after.as_deref(), 2)
        .await
        .unwrap();
    let keys: Vec<&str> = p2.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["data/b/c.json", "data/big.bin"]);
    let e = c.list_all(bucket, "data/", 3).await.unwrap_err();
    assert_eq!(e.code(), "TooManyObjects");
    let listed = all.iter().find(|o| o.key == "data/a.json").unwrap().clone();
    assert_eq!(listed.size, small.len() as u64);
    assert_eq!(listed.etag, hex::encode(Md5::digest(&small)));

    // If-Match on the listed ETag; a changed object is detected
    assert_eq!(
        read_all(c, bucket, "data/a.json", Some(&listed.etag))
            .await
            .unwrap(),
        small
    );
    let quoted = format!("\"{}\"", listed.etag);
    assert_eq!(
        read_all(c, bucket, "data/a.json", Some(&quoted))
            .await
            .unwrap(),
        small
    );
    c.put_bytes(bucket, "data/a.json", Bytes::from_static(b"changed"))
        .await
        .unwrap();
    let e = read_all(c, bucket, "data/a.json", Some(&listed.etag))
        .await
        .unwrap_err();
    assert_eq!(
        e,
        ObjectError::PreconditionFailed {
            bucket: bucket.into(),
            key: "data/a.json".into()
        }
    );
    assert_eq!(e.failure_code(), "S3PreconditionFailed");

    // missing key
    let e = read_all(c, bucket, "data/nope", None).await.unwrap_err();
    assert_eq!(
        e,
        ObjectError::NoSuchKey {
            bucket: bucket.into(),
            key: "data/nope".into()
        }
    );
    assert_eq!(e.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_client() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(BucketStore::open(dir.path(), StoreOptions { fsync: false }).unwrap());
    store.create_bucket("src-bucket").unwrap();
    let c = EmbeddedClient::new(store.clone());
    exercise(&c, "src-bucket", "no-such-bucket").await;
    // odd keys work on the embedded store
    for k in ["a//b", "dir/", "/x", "./..", "..", "tab\tkey"] {
        c.put_bytes("src-bucket", k, Bytes::from_static(b"odd"))
            .await
            .unwrap();
        assert_eq!(
            read_all(&c, "src-bucket", k, None).await.unwrap(),
            b"odd",
            "{k:?}"
        );
    }
    // an aborted write is not visible
    assert_eq!(
        read_all(&c, "src-bucket", "data/aborted", None)
            .await
            .unwrap_err()
            .code(),
        "NoSuchKey"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn external_client_against_moto() {
    let Some(moto) = ferry_objects::moto::start("the external-endpoint test") else {
        return;
    };
    let endpoint = format!("http://127.0.0.1:{}", moto.port);
    let created = raw(moto.port, "PUT", "/ext-bucket").await;
    assert!(created.starts_with("HTTP/1.1 200"), "{created}");
    let c = ExternalClient::new(ExternalS3Config {
        endpoint: Some(endpoint.clone()),
        region: Some("us-east-1".into()),
        access_key: Some("testing".into()),
        secret_key: Some("testing".into()),
        session_token: None,
        virtual_hosted: false,
    });
    assert_eq!(c.kind(), "external");
    exercise(&c, "ext-bucket", "no-such-bucket").await;
    // big object went up in parts
    let listed = c
        .list_page("ext-bucket", "data/big", None, 10)
        .await
        .unwrap();
    assert!(
        listed.objects[0].etag.ends_with("-3"),
        "{:?}",
        listed.objects[0]
    );
    // an aborted write is not visible
    assert_eq!(
        read_all(&c, "ext-bucket", "data/aborted", None)
            .await
            .unwrap_err()
            .code(),
        "NoSuchKey"
    );
    // keys object_store cannot name are reported, not renamed
    for k in ["a//b", "dir/", "/lead", "x/./y", "x/../y"] {
        let e = c.put("ext-bucket", k).await.err().unwrap();
        assert!(
            matches!(e, ObjectError::UnsupportedKey { ref key, .. } if key == k),
            "{k}: {e:?}"
        );
        let e = c.get("ext-bucket", k, None).await.unwrap_err();
        assert_eq!(e.code(), "InvalidArgument");
    }
    // such a key put there by someone else makes the listing fail, naming it
    let put = raw(moto.port, "PUT", "/ext-bucket/odd//key").await;
    assert!(put.starts_with("HTTP/1.1 200"), "{put}");
    let e = c
        .list_page("ext-bucket", "odd", None, 10)
        .await
        .unwrap_err();
    assert!(
        matches!(e, ObjectError::UnsupportedKey { ref key, .. } if key == "odd//key"),
        "{e:?}"
    );

    // the resolver sends every bucket, or only the listed ones, external
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(BucketStore::open(dir.path(), StoreOptions { fsync: false }).unwrap());
    let cfg = ExternalS3Config {
        endpoint: Some(endpoint),
        ..Default::default()
    };
    let all = Objects::new(store.clone(), Some(cfg.clone()), Vec::<String>::new());
    assert_eq!(all.client_for("anything").kind(), "external");
    let some = Objects::new(store.clone(), Some(cfg), ["ext-bucket".to_owned()]);
    assert_eq!(some.client_for("ext-bucket").kind(), "external");
    assert_eq!(some.client_for("local").kind(), "embedded");
    let none = Objects::new(store, None, Vec::<String>::new());
    assert_eq!(none.client_for("ext-bucket").kind(), "embedded");
}

//! Test harness: an `S3Endpoint` served by hyper on 127.0.0.1:0 (as the
//! server crate serves it), and aws-sdk-s3 clients for it.

#![allow(dead_code)]

use std::convert::Infallible;
use std::sync::Arc;

use aws_sdk_s3::error::ProvideErrorMetadata;
use ferry_auth::Credentials;
use ferry_objects::{BucketStore, StoreOptions};
use ferry_s3::S3Endpoint;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const AK: &str = "AKIDFERRYTEST";
pub const SK: &str = "ferry-test-secret";

pub struct Server {
    pub endpoint: String,
    pub port: u16,
    pub dir: tempfile::TempDir,
    pub store: Arc<BucketStore>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts a server; `credentials` empty = open mode.
pub async fn start(credentials: &[(&str, &str)]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let store =
        Arc::new(BucketStore::open(dir.path().join("s3"), StoreOptions { fsync: false }).unwrap());
    let creds = Credentials::new(
        credentials
            .iter()
            .map(|(a, s)| ((*a).to_owned(), (*s).to_owned())),
    );
    let ep = S3Endpoint::new(store.clone(), Arc::new(creds));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let ep = ep.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req| {
                    let ep = ep.clone();
                    async move { Ok::<_, Infallible>(ep.call(req).await) }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    Server {
        endpoint: format!("http://127.0.0.1:{port}"),
        port,
        dir,
        store,
        task,
    }
}

/// A path-style client signing with `ak`/`sk`.
pub async fn client_with(server: &Server, ak: &str, sk: &str) -> aws_sdk_s3::Client {
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(&server.endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            ak, sk, None, None, "test",
        ))
        .load()
        .await;
    let conf = aws_sdk_s3::config::Builder::from(&conf)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

pub async fn client(server: &Server) -> aws_sdk_s3::Client {
    client_with(server, AK, SK).await
}

/// A client that does not sign at all.
pub async fn anonymous(server: &Server) -> aws_sdk_s3::Client {
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(&server.endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .no_credentials()
        .load()
        .await;
    let conf = aws_sdk_s3::config::Builder::from(&conf)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// The S3 error code of a failed SDK call.
pub fn code<E: ProvideErrorMetadata, R: std::fmt::Debug>(
    r: Result<R, aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>>,
) -> String {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => {
            let status = e.raw_response().map(|r| r.status().as_u16());
            format!("{}/{}", status.unwrap_or(0), e.code().unwrap_or("<none>"))
        }
    }
}

/// The S3 error message of a failed SDK call.
pub fn message<E: ProvideErrorMetadata, R: std::fmt::Debug>(
    r: Result<R, aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>>,
) -> String {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.message().unwrap_or("<none>").to_owned(),
    }
}

/// One raw HTTP/1.1 request; returns (status, headers+body text).
pub async fn raw(
    port: u16,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let mut req = format!(
        "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, text)
}

pub async fn body_of(o: aws_sdk_s3::operation::get_object::GetObjectOutput) -> Vec<u8> {
    o.body.collect().await.unwrap().into_bytes().to_vec()
}

//! The load generator's connection: one HTTP/1.1 keep-alive connection
//! (hyper's client, no pool) that signs every request with SigV4 the way an
//! AWS SDK does (`host`, `x-amz-date`, `x-amz-target`, `content-type` signed,
//! payload hashed), so every server pays for the same request it would get
//! from a real client.

use std::net::SocketAddr;
use std::time::SystemTime;

use anyhow::{Context as _, bail};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4::SigningParams;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// The access key every server is started with (Ferry) or accepts (the
/// emulators accept any).
pub const ACCESS_KEY: &str = "AKIDBENCHMARK";
/// Its secret.
pub const SECRET_KEY: &str = "benchmark-secret";
/// The region requests are signed for.
pub const REGION: &str = "us-east-1";

/// One signed keep-alive connection.
pub struct Conn {
    send: SendRequest<Full<Bytes>>,
    host: String,
    credentials: Credentials,
}

impl Conn {
    /// Connect to `addr`.
    pub async fn connect(addr: SocketAddr) -> anyhow::Result<Conn> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        stream.set_nodelay(true)?;
        let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(conn);
        Ok(Conn {
            send,
            host: addr.to_string(),
            credentials: Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "bench"),
        })
    }

    /// POST one DynamoDB call; its status and body.
    pub async fn call(&mut self, op: &str, body: Bytes) -> anyhow::Result<(u16, Bytes)> {
        let target = format!("DynamoDB_20120810.{op}");
        let headers = [
            ("host", self.host.as_str()),
            ("x-amz-target", target.as_str()),
            ("content-type", "application/x-amz-json-1.0"),
        ];
        let identity = self.credentials.clone().into();
        let params = SigningParams::builder()
            .identity(&identity)
            .region(REGION)
            .name("dynamodb")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()?
            .into();
        let signable = SignableRequest::new(
            "POST",
            "/",
            headers.iter().copied(),
            SignableBody::Bytes(&body),
        )?;
        let (instructions, _) = sign(signable, &params)?.into_parts();
        let mut req = http::Request::builder()
            .method("POST")
            .uri("/")
            .header("host", &self.host)
            .header("x-amz-target", &target)
            .header("content-type", "application/x-amz-json-1.0")
            .header("content-length", body.len())
            .body(Full::new(body))?;
        instructions.apply_to_request_http1x(&mut req);
        self.send.ready().await?;
        let resp = self.send.send_request(req).await?;
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await?.to_bytes();
        Ok((status, body))
    }

    /// [`Conn::call`], failing on anything but 200.
    pub async fn ok(&mut self, op: &str, body: Bytes) -> anyhow::Result<Bytes> {
        let (status, answer) = self.call(op, body).await?;
        if status != 200 {
            bail!(
                "{op} answered {status}: {}",
                String::from_utf8_lossy(&answer)
            );
        }
        Ok(answer)
    }
}

//! Online mode (`--endpoint-url`): the commands talk to a running Ferry
//! server through its public APIs, as any client would: the DynamoDB JSON
//! API (`ImportTable`, `DescribeImport`, ...), the Logs API for the import
//! error log, and its S3 endpoint for uploads (objects through
//! `ferry_objects::ExternalClient`; one signed `PUT` creates the upload
//! bucket). Requests are signed with SigV4 with the usual `AWS_*`
//! credentials, or with placeholder ones when none are set (a server run
//! without `--credentials` accepts any).

use std::sync::Arc;

use ferry_objects::{ExternalClient, ExternalS3Config, ObjectClient};
use serde_json::Value;

use super::CliError;

/// The bucket local files are uploaded to before an online import.
pub const UPLOAD_BUCKET: &str = "ferry-cli-uploads";

/// How often a running job is polled over HTTP.
pub const POLL: std::time::Duration = std::time::Duration::from_millis(250);

/// A running server's APIs.
pub struct Api {
    http: reqwest::Client,
    url: String,
    host: String,
    region: String,
    access_key: String,
    secret_key: String,
    session_token: Option<String>,
}

fn env(k: &str) -> Option<String> {
    std::env::var(k).ok().filter(|v| !v.is_empty())
}

impl Api {
    pub fn new(endpoint: &str) -> Result<Api, CliError> {
        let url = endpoint.trim_end_matches('/').to_owned();
        let parsed = reqwest::Url::parse(&url)
            .map_err(|e| CliError::usage(format!("--endpoint-url {endpoint:?}: {e}")))?;
        let host = match (parsed.host_str(), parsed.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            (None, _) => {
                return Err(CliError::usage(format!(
                    "--endpoint-url {endpoint:?} has no host"
                )));
            }
        };
        let (access_key, secret_key) =
            match (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
                (Some(a), Some(s)) => (a, s),
                _ => ("ferry".to_owned(), "ferry".to_owned()),
            };
        Ok(Api {
            http: reqwest::Client::new(),
            url,
            host,
            region: env("AWS_REGION")
                .or_else(|| env("AWS_DEFAULT_REGION"))
                .unwrap_or_else(|| "us-east-1".to_owned()),
            access_key,
            secret_key,
            session_token: env("AWS_SESSION_TOKEN"),
        })
    }

    /// The server's S3 endpoint as an object client.
    pub fn s3(&self) -> Arc<dyn ObjectClient> {
        Arc::new(ExternalClient::new(ExternalS3Config {
            endpoint: Some(self.url.clone()),
            region: Some(self.region.clone()),
            access_key: Some(self.access_key.clone()),
            secret_key: Some(self.secret_key.clone()),
            session_token: self.session_token.clone(),
            virtual_hosted: false,
        }))
    }

    /// SigV4 headers for a request to `/{path}` with `headers` (lower-case
    /// names, sorted) and `body`.
    fn sign(
        &self,
        method: &str,
        path: &str,
        service: &str,
        mut headers: Vec<(String, String)>,
        body: &[u8],
    ) -> Vec<(String, String)> {
        let now = chrono::Utc::now();
        let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
        let date = now.format("%Y%m%d").to_string();
        let payload = ferry_auth::sha256_hex(body);
        headers.push(("host".into(), self.host.clone()));
        headers.push(("x-amz-date".into(), amz_date.clone()));
        headers.push(("x-amz-content-sha256".into(), payload.clone()));
        if let Some(t) = &self.session_token {
            headers.push(("x-amz-security-token".into(), t.clone()));
        }
        headers.sort();
        let signed: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
        let signed = signed.join(";");
        let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
        let canonical = format!("{method}\n{path}\n\n{canonical_headers}\n{signed}\n{payload}");
        let scope = format!("{date}/{}/{service}/aws4_request", self.region);
        let key = ferry_auth::signing_key(&self.secret_key, &date, &self.region, service);
        let signature = ferry_auth::signature(
            &key,
            &ferry_auth::string_to_sign(&amz_date, &scope, &canonical),
        );
        headers.push((
            "authorization".into(),
            format!(
                "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed}, Signature={signature}",
                self.access_key
            ),
        ));
        headers.retain(|(k, _)| k != "host");
        headers
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    ) -> Result<(u16, Vec<u8>), CliError> {
        let mut req = self.http.request(method, format!("{}{path}", self.url));
        for (k, v) in headers {
            req = req.header(k, v);
        }
        let resp = req
            .body(body)
            .send()
            .await
            .map_err(|e| CliError::failed(format!("cannot reach {}: {e}", self.url)))?;
        let status = resp.status().as_u16();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| CliError::failed(format!("reading the answer of {}: {e}", self.url)))?;
        Ok((status, bytes.to_vec()))
    }

    /// One JSON API call (`DynamoDB_20120810.ImportTable`, ...). A refused
    /// request is a usage error `Code: message`.
    pub async fn call(&self, target: &str, body: &Value) -> Result<Value, CliError> {
        let (service, content_type) = if target.starts_with("Logs_") {
            ("logs", "application/x-amz-json-1.1")
        } else {
            ("dynamodb", "application/x-amz-json-1.0")
        };
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        let headers = vec![
            ("content-type".to_owned(), content_type.to_owned()),
            ("x-amz-target".to_owned(), target.to_owned()),
        ];
        let headers = self.sign("POST", "/", service, headers, &bytes);
        let (status, answer) = self
            .send(reqwest::Method::POST, "/", headers, bytes)
            .await?;
        let value: Value = serde_json::from_slice(&answer).unwrap_or(Value::Null);
        if status == 200 {
            return Ok(value);
        }
        let code = value["__type"].as_str().unwrap_or("error");
        let code = code.rsplit('#').next().unwrap_or(code);
        let message = value["message"]
            .as_str()
            .or(value["Message"].as_str())
            .unwrap_or_default();
        Err(CliError::usage(format!("{code}: {message}")))
    }

    /// Create `bucket` on the server's S3 endpoint (one already owned is fine).
    pub async fn ensure_bucket(&self, bucket: &str) -> Result<(), CliError> {
        let path = format!("/{bucket}");
        let headers = self.sign("PUT", &path, "s3", Vec::new(), b"");
        let (status, body) = self
            .send(reqwest::Method::PUT, &path, headers, Vec::new())
            .await?;
        let text = String::from_utf8_lossy(&body);
        if status == 200 || text.contains("BucketAlreadyOwnedByYou") {
            Ok(())
        } else {
            Err(CliError::failed(format!(
                "cannot create the bucket {bucket} on {}: HTTP {status} {text}",
                self.url
            )))
        }
    }
}

//! Harness: run the `ferry` binary, parse its JSON output, and open a
//! server on a data directory to read the results with the AWS SDK.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

use aws_sdk_dynamodb::types::AttributeValue;

/// Run `ferry ARGS`.
pub fn ferry(args: &[&str]) -> Output {
    ferry_env(args, &[])
}

/// Run `ferry ARGS` with environment variables (no `AWS_*` inherited).
pub fn ferry_env(args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ferry"));
    cmd.args(args).env_remove("RUST_LOG");
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") {
            cmd.env_remove(k);
        }
    }
    cmd.envs(vars.iter().copied()).output().expect("run ferry")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The one JSON object a `--json` run prints.
pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON object ({e}): {}\nstderr: {}",
            stdout(o),
            stderr(o)
        )
    })
}

pub fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// A server on `data_dir` (in this process), for reading results.
pub struct Served {
    pub handle: ferry_server::ServerHandle,
    pub client: aws_sdk_dynamodb::Client,
}

impl Served {
    pub async fn open(data_dir: &Path) -> Served {
        Self::open_with(data_dir, Vec::new()).await
    }

    /// With accepted credentials (SigV4 required); the SDK client uses
    /// `AKIDFERRYTEST` / `ferry-test-secret`.
    pub async fn open_with(data_dir: &Path, credentials: Vec<(String, String)>) -> Served {
        let handle = ferry_server::start(ferry_server::Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: Some(data_dir.to_path_buf()),
            credentials,
            ..Default::default()
        })
        .await
        .expect("server starts");
        let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(format!("http://{}", handle.local_addr))
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_credential_types::Credentials::new(
                "AKIDFERRYTEST",
                "ferry-test-secret",
                None,
                None,
                "test",
            ))
            .load()
            .await;
        Served {
            client: aws_sdk_dynamodb::Client::new(&conf),
            handle,
        }
    }

    /// Every item of `table`, sorted by their debug form.
    pub async fn scan(&self, table: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(table)
                .set_exclusive_start_key(start)
                .send()
                .await
                .expect("scan");
            for item in page.items() {
                let sorted: std::collections::BTreeMap<_, _> = item.iter().collect();
                out.push(format!("{sorted:?}"));
            }
            start = page.last_evaluated_key().cloned();
            if start.is_none() {
                break;
            }
        }
        out.sort();
        out
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.handle.local_addr)
    }

    pub async fn stop(self) {
        self.handle.shutdown().await;
    }
}

pub fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub fn n(v: &str) -> AttributeValue {
    AttributeValue::N(v.into())
}

//! Fault tests with the real `ferry serve` binary: a disk that fills up
//! (`disk_full.rs`), a process out of file descriptors (`fds.rs`), and
//! `kill -9` during every background job (`kill9.rs`). After each fault no
//! acknowledged write is lost, no job is reported as succeeded that did
//! not, and the server serves again.
//!
//! The harness here starts the binary as a child process (also used by
//! `durability.rs`), mounts small tmpfs file systems (root only: skipped
//! with a notice elsewhere, but required when `CI` is set), and reads a
//! table back in full. Every wait has a deadline; none is a sleep.

mod disk_full;
mod fds;
mod kill9;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use tokio::io::AsyncBufReadExt;

/// How long any one wait may take before the test fails (a hang guard, not
/// a performance threshold).
pub(crate) const DEADLINE: Duration = Duration::from_secs(180);

/// A `ferry serve` child process (killed when dropped).
pub(crate) struct Ferry {
    pub process: tokio::process::Child,
    pub endpoint: String,
}

/// How to start the binary.
pub(crate) struct Launch<'a> {
    pub data_dir: &'a Path,
    /// Run under `prlimit --nofile=N:N`.
    pub nofile: Option<u64>,
    /// Enable the test clock endpoint.
    pub test_clock: bool,
    /// Send stderr to this file instead of the test's stderr.
    pub stderr: Option<PathBuf>,
}

impl<'a> Launch<'a> {
    pub fn new(data_dir: &'a Path) -> Self {
        Launch {
            data_dir,
            nofile: None,
            test_clock: false,
            stderr: None,
        }
    }

    /// Starts the binary; `Err` with its exit status when it exits before
    /// printing its address.
    pub async fn spawn(&self) -> Result<Ferry, std::process::ExitStatus> {
        let binary = env!("CARGO_BIN_EXE_ferry");
        let mut cmd = match self.nofile {
            Some(n) => {
                let mut c = tokio::process::Command::new("prlimit");
                c.arg(format!("--nofile={n}:{n}")).arg("--").arg(binary);
                c
            }
            None => tokio::process::Command::new(binary),
        };
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(self.data_dir);
        if self.test_clock {
            cmd.arg("--test-clock");
        }
        let stderr = match &self.stderr {
            Some(path) => std::process::Stdio::from(
                std::fs::File::create(path).expect("create the stderr file"),
            ),
            None => std::process::Stdio::inherit(),
        };
        let mut process = cmd
            .stdout(std::process::Stdio::piped())
            .stderr(stderr)
            .kill_on_drop(true)
            .spawn()
            .expect("spawn ferry");
        let stdout = process.stdout.take().expect("piped stdout");
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let line = tokio::time::timeout(DEADLINE, lines.next_line())
            .await
            .expect("ferry prints its address or exits")
            .expect("read stdout");
        let Some(line) = line else {
            let status = tokio::time::timeout(DEADLINE, process.wait())
                .await
                .expect("ferry exits")
                .expect("wait");
            return Err(status);
        };
        let endpoint = line
            .strip_prefix("ferry listening on ")
            .unwrap_or_else(|| panic!("unexpected line {line:?}"))
            .to_string();
        // Keep reading stdout so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Ferry { process, endpoint })
    }
}

/// Starts `ferry serve` on `data_dir` (it must start).
pub(crate) async fn spawn_ferry(data_dir: &Path) -> Ferry {
    match Launch::new(data_dir).spawn().await {
        Ok(f) => f,
        Err(status) => panic!("ferry did not start: {status}"),
    }
}

impl Ferry {
    pub async fn client(&self) -> aws_sdk_dynamodb::Client {
        client_for(&self.endpoint).await
    }

    pub async fn s3(&self) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::from(&sdk_config(&self.endpoint).await)
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    /// `kill -9`, and wait until the process is gone.
    pub async fn kill9(mut self) {
        self.process.start_kill().expect("SIGKILL");
        self.process.wait().await.expect("wait");
    }

    /// Waits (up to the deadline) for the process to exit on its own.
    pub async fn exited(&mut self) -> std::process::ExitStatus {
        tokio::time::timeout(DEADLINE, self.process.wait())
            .await
            .expect("ferry should have exited")
            .expect("wait")
    }

    /// The process id (for `/proc`).
    pub fn pid(&self) -> u32 {
        self.process.id().expect("running")
    }
}

async fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "AKIDFERRYTEST",
            "secret",
            None,
            None,
            "test",
        ))
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await
}

/// A DynamoDB Streams client without retries.
pub(crate) async fn streams_for(endpoint: &str) -> aws_sdk_dynamodbstreams::Client {
    aws_sdk_dynamodbstreams::Client::new(&sdk_config(endpoint).await)
}

/// A DynamoDB client without retries (every answer is seen).
pub(crate) async fn client_for(endpoint: &str) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&sdk_config(endpoint).await)
}

/// Polls `check` until it returns `Some`, failing after [`DEADLINE`].
pub(crate) async fn until<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every item of `table`, by the string value of its attribute `key`.
pub(crate) async fn scan_all(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    key: &str,
) -> BTreeMap<String, HashMap<String, AttributeValue>> {
    crate::imports::scan_all(client, table)
        .await
        .into_iter()
        .map(|it| (it[key].as_s().expect("string key").clone(), it))
        .collect()
}

/// A tmpfs mounted by the test (unmounted when dropped).
pub(crate) struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts a tmpfs of `mib` MiB, or `None` with a notice when this machine
    /// does not allow it (not root, no mount) — except under `CI`, where it
    /// must work.
    pub fn mount(mib: u64, test: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(dir.path())
            .output();
        let refused = match out {
            Ok(o) if o.status.success() => return Some(Tmpfs { dir }),
            Ok(o) => String::from_utf8_lossy(&o.stderr).into_owned(),
            Err(e) => e.to_string(),
        };
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{test}: mounting a tmpfs is required in CI: {refused}");
        }
        eprintln!("NOTICE: {test} skipped: cannot mount a tmpfs here ({refused})");
        None
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// Changes the size limit (more room, or less).
    pub fn resize(&self, mib: u64) {
        let status = std::process::Command::new("mount")
            .args(["-o", &format!("remount,size={mib}m")])
            .arg(self.dir.path())
            .status()
            .expect("mount -o remount");
        assert!(status.success(), "remount to {mib} MiB");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

//! The servers under test: how each is started on a free port, waited for,
//! asked for its CPU time (`/proc/<pid>/stat`, every thread) and stopped.
//! Ferry keeps its data on disk (a fresh directory, no fsync: its default);
//! dynoxide and DynamoDB Local run in memory (their fastest mode; on disk,
//! dynoxide's SQLite commits are far slower), so the comparison favours them.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use crate::client::{ACCESS_KEY, SECRET_KEY};

/// Which server a process is.
#[derive(Clone, Debug)]
pub enum Kind {
    /// `ferry serve` (the binary's path), with credentials on.
    Ferry(PathBuf),
    /// `dynoxide serve` (the binary's path).
    Dynoxide(PathBuf),
    /// DynamoDB Local: the directory holding `DynamoDBLocal.jar` and
    /// `DynamoDBLocal_lib`.
    DynamoDbLocal(PathBuf),
}

impl Kind {
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Ferry(_) => "ferry",
            Kind::Dynoxide(_) => "dynoxide",
            Kind::DynamoDbLocal(_) => "ddb-local",
        }
    }
}

/// A running server.
pub struct Server {
    pub kind: Kind,
    pub addr: SocketAddr,
    child: Child,
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Server {
    /// Start `kind` with its data under `dir`, and wait (up to a minute:
    /// the JVM is slow to start on a loaded machine) until it accepts
    /// connections.
    pub fn start(kind: Kind, dir: &Path) -> anyhow::Result<Server> {
        let port = free_port()?;
        let data = dir.join(kind.name());
        std::fs::create_dir_all(&data)?;
        let mut cmd = match &kind {
            Kind::Ferry(bin) => {
                let mut c = Command::new(bin);
                c.arg("serve")
                    .arg("--listen")
                    .arg(format!("127.0.0.1:{port}"))
                    .arg("--data-dir")
                    .arg(&data)
                    .arg("--credentials")
                    .arg(format!("{ACCESS_KEY}:{SECRET_KEY}"));
                c
            }
            Kind::Dynoxide(bin) => {
                let mut c = Command::new(bin);
                c.arg("serve").arg("--port").arg(port.to_string());
                c
            }
            Kind::DynamoDbLocal(home) => {
                let mut c = Command::new("java");
                c.arg(format!(
                    "-Djava.library.path={}",
                    home.join("DynamoDBLocal_lib").display()
                ))
                .arg("-jar")
                .arg(home.join("DynamoDBLocal.jar"))
                .arg("-port")
                .arg(port.to_string())
                .arg("-inMemory")
                .current_dir(home);
                c
            }
        };
        let child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", kind.name()))?;
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let mut server = Server { kind, addr, child };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if std::net::TcpStream::connect(addr).is_ok() {
                return Ok(server);
            }
            if let Some(status) = server.child.try_wait()? {
                bail!("{} exited at start: {status}", server.kind.name());
            }
            if Instant::now() > deadline {
                bail!("{} did not listen within a minute", server.kind.name());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The process's user + system CPU time so far, all threads.
    pub fn cpu(&self) -> anyhow::Result<Duration> {
        cpu_of(self.child.id())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Clock ticks per second of `/proc/<pid>/stat`'s times (`getconf CLK_TCK`;
/// 100 on every Linux this runs on).
fn ticks_per_second() -> u64 {
    static TICKS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100)
    })
}

/// utime + stime of `pid` (fields 14 and 15 of `/proc/<pid>/stat`, counted
/// after the parenthesised command name, which may hold spaces).
pub fn cpu_of(pid: u32) -> anyhow::Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let after = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .context("malformed /proc stat")?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // `after` starts at field 3 (state): utime is field 14, stime 15.
    let tick = |i: usize| -> anyhow::Result<u64> {
        Ok(fields
            .get(i - 3)
            .context("short /proc stat")?
            .parse::<u64>()?)
    };
    let ticks = tick(14)? + tick(15)?;
    let per_second = ticks_per_second();
    Ok(Duration::from_micros(ticks * 1_000_000 / per_second))
}

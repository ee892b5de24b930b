//! Test support (feature `test-util`): moto's `moto_server`, a real
//! S3-compatible server Ferry does not implement, started on a free port for
//! the external-endpoint tests of every crate. One harness for all of them.
//!
//! Where moto is missing, a test that needs it prints a notice and returns,
//! except when `CI` or `FERRY_REQUIRE_MOTO` is set (`.ci/run` sets the
//! latter): then a missing moto_server fails the test, so CI never passes
//! by skipping.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long moto_server may take to accept connections.
const START_DEADLINE: Duration = Duration::from_secs(60);

/// A running moto_server, killed on drop.
pub struct Moto {
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

impl Moto {
    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether a missing moto_server must fail the test (in CI).
pub fn required() -> bool {
    std::env::var_os("CI").is_some() || std::env::var_os("FERRY_REQUIRE_MOTO").is_some()
}

/// Start moto_server on a free port and wait until it accepts connections.
/// `None` (with a notice naming `test`) when it cannot be run and is not
/// [`required`].
///
/// # Panics
/// When moto is required but cannot be run, or does not start in time.
pub fn start(test: &str) -> Option<Moto> {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port for moto_server: {e}"));
    let spawned = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let child = match spawned {
        Ok(c) => c,
        Err(e) if !required() => {
            eprintln!(
                "NOTICE: moto_server not runnable ({e}); skipping {test} \
                 (install it with `pip install 'moto[server]'`)"
            );
            return None;
        }
        Err(e) => panic!("moto_server is required in CI (CI or FERRY_REQUIRE_MOTO set): {e}"),
    };
    let moto = Moto { child, port };
    let deadline = Instant::now() + START_DEADLINE;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "moto_server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(moto)
}

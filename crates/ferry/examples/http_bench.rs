//! HTTP benchmark of Ferry's DynamoDB API (not a test: it prints figures).
//!
//! Starts a server in process on a fresh data directory, then drives it with
//! a lean keep-alive HTTP/1.1 client: PutItem and GetItem with 1 and 8
//! concurrent clients (throughput, p50/p99 latency), and BatchWriteItem
//! (25 items per request, 8 clients).
//!
//! ```text
//! cargo run --release -p ferry --example http_bench -- [requests-per-run]
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One keep-alive connection speaking just enough HTTP/1.1.
struct Conn {
    stream: TcpStream,
    host: String,
    buf: Vec<u8>,
}

impl Conn {
    async fn connect(addr: std::net::SocketAddr) -> Conn {
        let stream = TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        Conn {
            stream,
            host: addr.to_string(),
            buf: Vec::with_capacity(64 * 1024),
        }
    }

    /// POST one DynamoDB call; returns the status.
    async fn call(&mut self, op: &str, body: &str) -> u16 {
        let req = format!(
            "POST / HTTP/1.1\r\nHost: {}\r\nX-Amz-Target: DynamoDB_20120810.{op}\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\n\r\n{body}",
            self.host,
            body.len()
        );
        self.stream.write_all(req.as_bytes()).await.expect("write");
        self.buf.clear();
        let mut chunk = [0u8; 16 * 1024];
        let (head_end, content_length) = loop {
            let n = self.stream.read(&mut chunk).await.expect("read");
            assert!(n > 0, "server closed the connection");
            self.buf.extend_from_slice(&chunk[..n]);
            if let Some(pos) = find(&self.buf, b"\r\n\r\n") {
                let head = std::str::from_utf8(&self.buf[..pos]).expect("ascii head");
                let len = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse::<usize>().ok())?
                    })
                    .expect("content-length");
                break (pos + 4, len);
            }
        };
        while self.buf.len() < head_end + content_length {
            let n = self.stream.read(&mut chunk).await.expect("read");
            assert!(n > 0, "server closed the connection");
            self.buf.extend_from_slice(&chunk[..n]);
        }
        let status = std::str::from_utf8(&self.buf[9..12])
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        if status != 200 {
            eprintln!(
                "{op} failed: {}",
                String::from_utf8_lossy(&self.buf[head_end..])
            );
        }
        status
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn put_body(i: usize) -> String {
    format!(
        r#"{{"TableName":"bench","Item":{{"pk":{{"S":"key-{i:08}"}},"n":{{"N":"{i}"}},"payload":{{"S":"{}"}}}}}}"#,
        "x".repeat(100)
    )
}

fn get_body(i: usize) -> String {
    format!(r#"{{"TableName":"bench","Key":{{"pk":{{"S":"key-{i:08}"}}}}}}"#)
}

fn batch_body(start: usize) -> String {
    let items: Vec<String> = (start..start + 25)
        .map(|i| {
            format!(
                r#"{{"PutRequest":{{"Item":{{"pk":{{"S":"batch-{i:08}"}},"n":{{"N":"{i}"}},"payload":{{"S":"{}"}}}}}}}}"#,
                "y".repeat(100)
            )
        })
        .collect();
    format!(r#"{{"RequestItems":{{"bench":[{}]}}}}"#, items.join(","))
}

struct Figures {
    ops: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Figures {
    fn per_sec(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64()
    }
    fn pct(&self, p: f64) -> Duration {
        let mut l = self.latencies.clone();
        l.sort();
        l[((l.len() as f64 * p) as usize).min(l.len() - 1)]
    }
}

/// Run `total` calls spread over `clients` connections.
async fn run(
    addr: std::net::SocketAddr,
    clients: usize,
    total: usize,
    op: &'static str,
    body: Arc<dyn Fn(usize) -> String + Send + Sync>,
) -> Figures {
    let per = total / clients;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::connect(addr).await;
            let mut lat = Vec::with_capacity(per);
            for i in 0..per {
                let b = body(c * per + i);
                let t = Instant::now();
                let status = conn.call(op, &b).await;
                lat.push(t.elapsed());
                assert_eq!(status, 200);
            }
            lat
        }));
    }
    let mut latencies = Vec::with_capacity(total);
    for t in tasks {
        latencies.extend(t.await.expect("client task"));
    }
    Figures {
        ops: per * clients,
        elapsed: start.elapsed(),
        latencies,
    }
}

fn main() {
    let total: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = ferry_server::Config {
            listen: "127.0.0.1:0".parse().expect("addr"),
            data_dir: Some(dir.path().join("data")),
            ..Default::default()
        };
        let server = ferry_server::start(config).await.expect("server");
        let addr = server.local_addr;
        let mut setup = Conn::connect(addr).await;
        let status = setup
            .call(
                "CreateTable",
                r#"{"TableName":"bench","BillingMode":"PAY_PER_REQUEST","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}]}"#,
            )
            .await;
        assert_eq!(status, 200);

        println!("Ferry HTTP benchmark: {total} requests per run, {} cores", std::thread::available_parallelism().map_or(1, |n| n.get()));
        println!("{:<32} {:>12} {:>10} {:>10}", "operation", "ops/s", "p50", "p99");
        for clients in [1usize, 8] {
            let put = run(addr, clients, total, "PutItem", Arc::new(put_body)).await;
            println!(
                "{:<32} {:>12.0} {:>10.1?} {:>10.1?}",
                format!("PutItem ({clients} client{})", if clients > 1 { "s" } else { "" }),
                put.per_sec(),
                put.pct(0.50),
                put.pct(0.99)
            );
        }
        for clients in [1usize, 8] {
            let get = run(addr, clients, total, "GetItem", Arc::new(get_body)).await;
            println!(
                "{:<32} {:>12.0} {:>10.1?} {:>10.1?}",
                format!("GetItem ({clients} client{})", if clients > 1 { "s" } else { "" }),
                get.per_sec(),
                get.pct(0.50),
                get.pct(0.99)
            );
        }
        let batches = (total / 25).max(8);
        let bw = run(addr, 8, batches, "BatchWriteItem", Arc::new(|i| batch_body(i * 25))).await;
        println!(
            "{:<32} {:>12.0} {:>10.1?} {:>10.1?}   ({:.0} items/s)",
            "BatchWriteItem x25 (8 clients)",
            bw.per_sec(),
            bw.pct(0.50),
            bw.pct(0.99),
            bw.per_sec() * 25.0
        );
        server.shutdown().await;
    });
}

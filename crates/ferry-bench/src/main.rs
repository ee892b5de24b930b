//! `dataplane_bench`: PutItem and GetItem on Ferry, dynoxide and DynamoDB
//! Local side by side (issue 13), from one native load generator that signs
//! every request with SigV4 like an SDK, over N keep-alive connections.
//!
//! Each server gets a fresh data directory (Ferry on disk; the emulators
//! in memory, their fastest mode) and the same table
//! (`pk` string key, items of ~140 bytes) preloaded with `--items` items.
//! Then `--rounds` rounds run; in each, every server in turn (the order
//! rotates from round to round, so drifting load from other processes
//! falls on all of them alike) takes PutItem and GetItem with 8 connections
//! and with 1. Printed per case and server: ops/s (median of rounds),
//! p50/p99 latency (all rounds), and the server's **CPU time per
//! operation** (utime + stime of its process from `/proc/<pid>/stat`,
//! before and after each phase), which stays meaningful on a machine busy
//! with other work where wall-clock ops/s does not; then Ferry's ratios.
//!
//! ```text
//! cargo run --release -p ferry-bench -- --ferry target/release/ferry \
//!     [--dynoxide PATH] [--ddb-local DIR] [--items N] [--ops N] [--rounds N]
//! ```
//! `scripts/bench-dataplane.sh` installs the other two and runs this.

mod client;
mod servers;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use bytes::Bytes;

use client::Conn;
use servers::{Kind, Server};

/// Command-line options.
struct Options {
    servers: Vec<Kind>,
    items: usize,
    ops: usize,
    rounds: usize,
}

fn parse_args() -> anyhow::Result<Options> {
    let mut o = Options {
        servers: Vec::new(),
        items: 20_000,
        ops: 20_000,
        rounds: 3,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--ferry" => o.servers.push(Kind::Ferry(PathBuf::from(value))),
            "--dynoxide" => o.servers.push(Kind::Dynoxide(PathBuf::from(value))),
            "--ddb-local" => o.servers.push(Kind::DynamoDbLocal(PathBuf::from(value))),
            "--items" => o.items = value.parse()?,
            "--ops" => o.ops = value.parse()?,
            "--rounds" => o.rounds = value.parse()?,
            _ => bail!("unknown option {flag}"),
        }
    }
    if o.servers.is_empty() {
        bail!("give at least one of --ferry PATH, --dynoxide PATH, --ddb-local DIR");
    }
    Ok(o)
}

const TABLE: &str = "bench";

fn put_body(i: usize) -> Bytes {
    Bytes::from(format!(
        r#"{{"TableName":"{TABLE}","Item":{{"pk":{{"S":"key-{i:08}"}},"n":{{"N":"{i}"}},"payload":{{"S":"{}"}}}}}}"#,
        "x".repeat(100)
    ))
}

fn get_body(i: usize) -> Bytes {
    Bytes::from(format!(
        r#"{{"TableName":"{TABLE}","Key":{{"pk":{{"S":"key-{i:08}"}}}}}}"#
    ))
}

/// The i-th key of a phase: a fixed pseudo-random walk over the items.
fn key_index(i: usize, items: usize) -> usize {
    (i.wrapping_mul(2_654_435_761) ^ (i >> 7)) % items
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Put,
    Get,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Put => "PutItem",
            Op::Get => "GetItem",
        }
    }
    fn body(self, i: usize, items: usize) -> Bytes {
        match self {
            Op::Put => put_body(key_index(i, items)),
            Op::Get => get_body(key_index(i, items)),
        }
    }
}

/// What one phase (one op, one connection count, one server) measured.
struct Phase {
    elapsed: Duration,
    cpu: Duration,
    latencies: Vec<Duration>,
}

/// `ops` calls of `op` over `conns` connections to `server`.
async fn phase(
    server: &Server,
    op: Op,
    conns: usize,
    ops: usize,
    items: usize,
) -> anyhow::Result<Phase> {
    let mut clients = Vec::with_capacity(conns);
    for _ in 0..conns {
        clients.push(Conn::connect(server.addr).await?);
    }
    let per = ops / conns;
    let cpu_before = server.cpu()?;
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(conns);
    for (c, mut conn) in clients.into_iter().enumerate() {
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(per);
            for i in 0..per {
                let body = op.body(c * per + i, items);
                let t = Instant::now();
                conn.ok(op.name(), body).await?;
                lat.push(t.elapsed());
            }
            anyhow::Ok(lat)
        }));
    }
    let mut latencies = Vec::with_capacity(ops);
    for t in tasks {
        latencies.extend(t.await??);
    }
    let elapsed = start.elapsed();
    let cpu = server.cpu()?.saturating_sub(cpu_before);
    Ok(Phase {
        elapsed,
        cpu,
        latencies,
    })
}

/// Create the table and load `items` items (not measured).
async fn prepare(server: &Server, items: usize) -> anyhow::Result<()> {
    let mut conn = Conn::connect(server.addr).await?;
    let create = format!(
        r#"{{"TableName":"{TABLE}","AttributeDefinitions":[{{"AttributeName":"pk","AttributeType":"S"}}],"KeySchema":[{{"AttributeName":"pk","KeyType":"HASH"}}],"BillingMode":"PAY_PER_REQUEST"}}"#
    );
    conn.ok("CreateTable", Bytes::from(create)).await?;
    let describe = Bytes::from(format!(r#"{{"TableName":"{TABLE}"}}"#));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let answer = conn.ok("DescribeTable", describe.clone()).await?;
        if String::from_utf8_lossy(&answer).contains(r#""TableStatus":"ACTIVE""#) {
            break;
        }
        if Instant::now() > deadline {
            bail!("{}: table not ACTIVE within a minute", server.kind.name());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let conns = 8;
    let mut tasks = Vec::new();
    for c in 0..conns {
        let addr = server.addr;
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::connect(addr).await?;
            for i in (c..items).step_by(conns) {
                conn.ok("PutItem", put_body(i)).await?;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    // Every server must answer the read the benchmark times with the item.
    let answer = conn.ok("GetItem", get_body(0)).await?;
    if !String::from_utf8_lossy(&answer).contains("key-00000000") {
        bail!(
            "{}: GetItem did not return the item: {}",
            server.kind.name(),
            String::from_utf8_lossy(&answer)
        );
    }
    Ok(())
}

/// All rounds of one case (op, connections) for one server.
#[derive(Default)]
struct Totals {
    rates: Vec<f64>,
    latencies: Vec<Duration>,
    cpu: Duration,
    ops: usize,
}

impl Totals {
    fn add(&mut self, p: Phase) {
        self.rates
            .push(p.latencies.len() as f64 / p.elapsed.as_secs_f64());
        self.ops += p.latencies.len();
        self.cpu += p.cpu;
        self.latencies.extend(p.latencies);
    }
    fn median_rate(&self) -> f64 {
        let mut r = self.rates.clone();
        r.sort_by(f64::total_cmp);
        r.get(r.len() / 2).copied().unwrap_or(0.0)
    }
    fn pct(&mut self, p: f64) -> Duration {
        self.latencies.sort();
        let n = self.latencies.len();
        if n == 0 {
            return Duration::ZERO;
        }
        self.latencies[((n as f64 * p) as usize).min(n - 1)]
    }
    fn cpu_per_op(&self) -> Duration {
        if self.ops == 0 {
            return Duration::ZERO;
        }
        self.cpu / self.ops as u32
    }
}

const CASES: [(Op, usize); 4] = [(Op::Put, 8), (Op::Get, 8), (Op::Put, 1), (Op::Get, 1)];

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn report(servers: &[Server], totals: &mut [Vec<Totals>]) {
    println!(
        "\n| case | server | ops/s (median) | p50 µs | p99 µs | server CPU µs/op |\n| --- | --- | --- | --- | --- | --- |"
    );
    for (ci, (op, conns)) in CASES.iter().enumerate() {
        for (si, s) in servers.iter().enumerate() {
            let t = &mut totals[si][ci];
            let (p50, p99) = (t.pct(0.50), t.pct(0.99));
            println!(
                "| {} ×{conns} | {} | {:.0} | {:.0} | {:.0} | {:.1} |",
                op.name(),
                s.kind.name(),
                t.median_rate(),
                micros(p50),
                micros(p99),
                micros(t.cpu_per_op())
            );
        }
    }
    let Some(ferry) = servers
        .iter()
        .position(|s| matches!(s.kind, Kind::Ferry(_)))
    else {
        return;
    };
    println!(
        "\n| case | Ferry vs | ops/s ratio | p50 ratio (theirs/ours) | CPU/op ratio (theirs/ours) |\n| --- | --- | --- | --- | --- |"
    );
    for (ci, (op, conns)) in CASES.iter().enumerate() {
        let (ours_rate, ours_p50, ours_cpu) = {
            let t = &mut totals[ferry][ci];
            (t.median_rate(), t.pct(0.5), t.cpu_per_op())
        };
        for (si, s) in servers.iter().enumerate() {
            if si == ferry {
                continue;
            }
            let t = &mut totals[si][ci];
            println!(
                "| {} ×{conns} | {} | {:.2}× | {:.2}× | {:.2}× |",
                op.name(),
                s.kind.name(),
                ours_rate / t.median_rate().max(f64::MIN_POSITIVE),
                micros(t.pct(0.5)) / micros(ours_p50).max(f64::MIN_POSITIVE),
                micros(t.cpu_per_op()) / micros(ours_cpu).max(f64::MIN_POSITIVE),
            );
        }
    }
}

async fn run(o: Options) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("ferry-dataplane-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut servers = Vec::new();
    for kind in &o.servers {
        let s = Server::start(kind.clone(), &dir)?;
        prepare(&s, o.items)
            .await
            .with_context(|| format!("preparing {}", s.kind.name()))?;
        eprintln!("{} ready at {}", s.kind.name(), s.addr);
        servers.push(s);
    }
    let mut totals: Vec<Vec<Totals>> = servers
        .iter()
        .map(|_| CASES.iter().map(|_| Totals::default()).collect())
        .collect();
    for round in 0..o.rounds {
        for k in 0..servers.len() {
            let si = (k + round) % servers.len();
            for (ci, (op, conns)) in CASES.iter().enumerate() {
                // Single-connection phases are latency runs: a quarter of the calls.
                let ops = if *conns == 1 { o.ops / 4 } else { o.ops };
                let p = phase(&servers[si], *op, *conns, ops, o.items).await?;
                eprintln!(
                    "round {round} {} {} ×{conns}: {:.0} ops/s, {:.1} µs CPU/op",
                    servers[si].kind.name(),
                    op.name(),
                    p.latencies.len() as f64 / p.elapsed.as_secs_f64(),
                    micros(p.cpu) / p.latencies.len().max(1) as f64
                );
                totals[si][ci].add(p);
            }
        }
    }
    report(&servers, &mut totals);
    drop(servers);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let options = parse_args()?;
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "dataplane_bench: {} items, {} ops per 8-connection phase, {} rounds; load average at start: {}",
        options.items,
        options.ops,
        options.rounds,
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let result = rt.block_on(run(options));
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "\nload average at end: {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    result
}

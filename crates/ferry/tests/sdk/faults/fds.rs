//! A process short of file descriptors: `ferry` runs with a low
//! `RLIMIT_NOFILE`; ~61 MB of items fill most of the storage engine's 64 MiB
//! memtable, then more idle connections than the process has descriptors
//! are opened, and one more batch makes the engine flush the memtable, which
//! needs new files. The connection cap (at most half the descriptors,
//! `conn.rs`) keeps descriptors free for the engine, so connections over it
//! are refused and the flush finds its files; should a flush still fail,
//! fjall's flush worker dies with `EMFILE`, poisons the database, and the
//! engine's watchdog makes the process exit with status 74 (no write follows
//! the fault, so only the watchdog can notice). Either way it never stays up
//! refusing every write, and no acknowledged write is lost.

use aws_sdk_dynamodb::types::{PutRequest, ScalarAttributeType, WriteRequest};

use super::*;
use crate::common::{create_table, s};

/// The descriptor limit the server runs with.
const NOFILE: u64 = 256;
/// Items per batch, and their payload: 25 × 350 KB = 8.75 MB a batch.
const BATCH: usize = 25;
const PAYLOAD: usize = 350_000;
/// Batches written before the descriptors run out: 61.25 MB, under the
/// 64 MiB (67.1 MB) memtable; the next one crosses it.
const BATCHES_BEFORE: usize = 7;

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

/// How many table files fjall has written (a memtable flush adds one).
fn table_files(db: &Path) -> usize {
    let Ok(keyspaces) = std::fs::read_dir(db.join("keyspaces")) else {
        return 0;
    };
    keyspaces
        .flatten()
        .map(|k| std::fs::read_dir(k.path().join("tables")).map_or(0, |t| t.count()))
        .sum()
}

/// One BatchWriteItem of `BATCH` big items; returns their ids once acknowledged.
async fn big_batch(client: &aws_sdk_dynamodb::Client, b: usize, payload: &str) -> Vec<String> {
    let ids: Vec<String> = (0..BATCH).map(|i| format!("big-{b:02}-{i:02}")).collect();
    let requests = ids
        .iter()
        .map(|id| {
            WriteRequest::builder()
                .put_request(
                    PutRequest::builder()
                        .item("id", s(id))
                        .item("payload", s(payload))
                        .build()
                        .unwrap(),
                )
                .build()
        })
        .collect::<Vec<_>>();
    let out = client
        .batch_write_item()
        .request_items("fds", requests)
        .send()
        .await
        .unwrap_or_else(|e| panic!("batch {b}: {e:?}"));
    assert!(out.unprocessed_items().is_none_or(|u| u.is_empty()));
    ids
}

#[tokio::test]
async fn running_out_of_file_descriptors_never_wedges_writes() {
    if std::process::Command::new("prlimit")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "prlimit is required in CI"
        );
        eprintln!("NOTICE: fd exhaustion test skipped: no prlimit");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut launch = Launch::new(&data);
    launch.nofile = Some(NOFILE);
    let mut ferry = launch.spawn().await.expect("ferry starts with 256 fds");
    let client = ferry.client().await;
    create_table(&client, "fds", ("id", ScalarAttributeType::S), None).await;
    let payload = "f".repeat(PAYLOAD);
    let mut acked: Vec<(String, usize)> = Vec::new();
    for b in 0..BATCHES_BEFORE {
        let ids = big_batch(&client, b, &payload).await;
        acked.extend(ids.into_iter().map(|id| (id, PAYLOAD)));
    }
    let db = data.join("db");
    let tables_before = table_files(&db);

    // More idle connections than the process has descriptors: the server
    // holds as many as its cap allows and refuses the rest.
    let pid = ferry.pid();
    let addr = ferry.endpoint.strip_prefix("http://").unwrap().to_string();
    let mut idle = Vec::new();
    for _ in 0..NOFILE + 64 {
        idle.push(tokio::net::TcpStream::connect(&addr).await.unwrap());
    }
    until("the server to reach its connection cap", || async {
        (open_fds(pid) as u64 >= NOFILE / 2).then_some(())
    })
    .await;
    assert!(
        (open_fds(pid) as u64) < NOFILE - 16,
        "the connection cap leaves descriptors for the engine: {} open of {NOFILE}",
        open_fds(pid)
    );

    // The batch that fills the memtable, on the client's pooled connection.
    let ids = big_batch(&client, BATCHES_BEFORE, &payload).await;
    acked.extend(ids.into_iter().map(|id| (id, PAYLOAD)));

    // No write now: the process exits on its own, or the flush succeeds.
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let exited = loop {
        if let Ok(Some(status)) = ferry.process.try_wait() {
            break Some(status);
        }
        if table_files(&db) > tables_before {
            break None;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the memtable was neither flushed nor did the server exit"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    drop(idle);
    let ferry = match exited {
        Some(status) => {
            assert_eq!(status.code(), Some(74), "{status}");
            spawn_ferry(&data).await
        }
        None => {
            eprintln!("NOTICE: the flush found a free descriptor; checking that writes work");
            // The server notices the dropped connections asynchronously; a new
            // connection while it still counts them would be refused (503).
            until("the server to close the dropped connections", || async {
                ((open_fds(pid) as u64) < NOFILE / 4).then_some(())
            })
            .await;
            ferry
        }
    };
    let client = ferry.client().await;
    client
        .put_item()
        .table_name("fds")
        .item("id", s("after"))
        .send()
        .await
        .expect("writes work");
    acked.push(("after".into(), 0));
    let items = scan_all(&client, "fds", "id").await;
    for (id, len) in &acked {
        let it = items
            .get(id)
            .unwrap_or_else(|| panic!("acknowledged write {id} lost"));
        let got = it.get("payload").map_or(0, |p| p.as_s().unwrap().len());
        assert_eq!(got, *len, "{id}");
    }
    ferry.kill9().await;
}

//! A process out of file descriptors: `ferry` runs with a low
//! `RLIMIT_NOFILE`, idle connections take every descriptor, and ~80 MB of
//! writes then make the storage engine flush a memtable, which needs new
//! files. Once the connections are gone the server either serves writes
//! again or has exited (status 74, to be restarted) — it never stays up
//! refusing every write — and no acknowledged write is lost.

use aws_sdk_dynamodb::types::{PutRequest, ScalarAttributeType, WriteRequest};

use super::*;
use crate::common::{create_table, s};

/// The descriptor limit the server runs with.
const NOFILE: u64 = 256;

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
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
    let mut acked: Vec<(String, usize)> = Vec::new();
    client
        .put_item()
        .table_name("fds")
        .item("id", s("before"))
        .send()
        .await
        .unwrap();
    acked.push(("before".into(), 0));

    // Idle connections until the server holds every descriptor it may.
    let pid = ferry.pid();
    let addr = ferry.endpoint.strip_prefix("http://").unwrap().to_string();
    let mut idle = Vec::new();
    for _ in 0..NOFILE + 64 {
        idle.push(tokio::net::TcpStream::connect(&addr).await.unwrap());
    }
    until("the server to run out of descriptors", || async {
        (open_fds(pid) as u64 >= NOFILE - 1).then_some(())
    })
    .await;

    // Big writes on the client's pooled connection: the memtable fills
    // and the engine must write new files without a descriptor to spare.
    let payload = "f".repeat(350_000);
    for b in 0..10 {
        let ids: Vec<String> = (0..25).map(|i| format!("big-{b:02}-{i:02}")).collect();
        let requests = ids
            .iter()
            .map(|id| {
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .item("id", s(id))
                            .item("payload", s(&payload))
                            .build()
                            .unwrap(),
                    )
                    .build()
            })
            .collect::<Vec<_>>();
        match client
            .batch_write_item()
            .request_items("fds", requests)
            .send()
            .await
        {
            Ok(out) if out.unprocessed_items().is_none_or(|u| u.is_empty()) => {
                acked.extend(ids.into_iter().map(|id| (id, payload.len())));
            }
            Ok(_) => panic!("unprocessed items on an on-demand table"),
            Err(_) => break,
        }
    }
    drop(idle);

    // Now: writes work again, or the process has exited to be restarted.
    let fresh = client_for(&ferry.endpoint).await;
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let exited = loop {
        if let Ok(Some(status)) = ferry.process.try_wait() {
            break Some(status);
        }
        let r = fresh
            .put_item()
            .table_name("fds")
            .item("id", s("after"))
            .send()
            .await;
        if r.is_ok() {
            break None;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the server stayed up refusing writes: {r:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let ferry = match exited {
        None => {
            acked.push(("after".into(), 0));
            ferry
        }
        Some(status) => {
            assert_eq!(status.code(), Some(74), "{status}");
            spawn_ferry(&data).await
        }
    };
    let items = scan_all(&ferry.client().await, "fds", "id").await;
    for (id, len) in &acked {
        let it = items
            .get(id)
            .unwrap_or_else(|| panic!("acknowledged write {id} lost"));
        let got = it.get("payload").map_or(0, |p| p.as_s().unwrap().len());
        assert_eq!(got, *len, "{id}");
    }
    ferry.kill9().await;
}

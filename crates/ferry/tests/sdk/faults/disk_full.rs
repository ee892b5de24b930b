//! A disk that fills up: while writing, the server must not stay up
//! refusing every write for ever — it exits with status 74 so that a
//! supervisor restarts it, and once there is room again every acknowledged
//! write is there. A first start on a full disk fails, and the next start,
//! with room, opens the half-created directory.

use aws_sdk_dynamodb::types::ScalarAttributeType;

use super::*;
use crate::common::{create_table, s};

/// `ferry` exits with this status when the table engine refuses writes.
const EXIT_STORAGE_FAILED: i32 = 74;

#[tokio::test]
async fn a_full_disk_makes_the_server_exit_and_loses_no_acknowledged_write() {
    let Some(disk) = Tmpfs::mount(24, "disk full while writing") else {
        return;
    };
    let data = disk.path().join("data");
    let mut ferry = spawn_ferry(&data).await;
    let client = ferry.client().await;
    create_table(&client, "full", ("id", ScalarAttributeType::S), None).await;

    // Write 64 KB items until the disk is full.
    let payload = "x".repeat(64 * 1024);
    let mut acked = Vec::new();
    let mut refused = None;
    for i in 0..2_000 {
        let id = format!("item-{i:05}");
        let r = client
            .put_item()
            .table_name("full")
            .item("id", s(&id))
            .item("payload", s(&payload))
            .send()
            .await;
        match r {
            Ok(_) => acked.push(id),
            Err(e) => {
                refused = Some(e);
                break;
            }
        }
    }
    let refused = refused.expect("a 24 MiB disk fills up before 2,000 items of 64 KB");
    assert!(
        acked.len() > 10,
        "only {} writes before the disk filled",
        acked.len()
    );
    // The refused write is an error (a 500, or no answer at all because the
    // process is already gone), and then the process exits on its own.
    eprintln!("the write that met the full disk: {refused:?}");
    let status = ferry.exited().await;
    assert_eq!(status.code(), Some(EXIT_STORAGE_FAILED), "{status}");

    // With room again the server starts and every acknowledged write is there.
    disk.resize(256);
    let ferry = spawn_ferry(&data).await;
    let client = ferry.client().await;
    let items = scan_all(&client, "full", "id").await;
    for id in &acked {
        let it = items
            .get(id)
            .unwrap_or_else(|| panic!("acknowledged write {id} lost"));
        assert_eq!(it["payload"], s(&payload), "{id}");
    }
    client
        .put_item()
        .table_name("full")
        .item("id", s("after"))
        .item("payload", s("room again"))
        .send()
        .await
        .expect("writes work again");
    let got = client
        .get_item()
        .table_name("full")
        .key("id", s("after"))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    assert_eq!(got.item().unwrap()["payload"], s("room again"));
    ferry.kill9().await;
}

#[tokio::test]
async fn a_first_start_on_a_full_disk_fails_and_the_next_one_opens() {
    let Some(disk) = Tmpfs::mount(8, "first start on a full disk") else {
        return;
    };
    let filler = disk.path().join("filler");
    fill(&filler);
    let data = disk.path().join("data");
    let status = Launch::new(&data)
        .spawn()
        .await
        .err()
        .expect("ferry cannot start on a full disk");
    assert!(!status.success(), "{status}");
    // fjall's creation stopped before its version marker was complete.
    let marker = std::fs::read(data.join("db").join("version")).unwrap_or_default();
    assert!(marker.len() < 4, "marker {marker:?}");

    std::fs::remove_file(&filler).unwrap();
    let ferry = spawn_ferry(&data).await;
    let client = ferry.client().await;
    create_table(&client, "fresh", ("id", ScalarAttributeType::S), None).await;
    client
        .put_item()
        .table_name("fresh")
        .item("id", s("a"))
        .send()
        .await
        .unwrap();
    ferry.kill9().await;
    let ferry = spawn_ferry(&data).await;
    let items = scan_all(&ferry.client().await, "fresh", "id").await;
    assert_eq!(items.keys().collect::<Vec<_>>(), ["a"]);
}

/// Writes `path` until the file system has no room left.
fn fill(path: &Path) {
    use std::io::Write as _;
    let mut file = std::fs::File::create(path).unwrap();
    let chunk = vec![0xA5u8; 4096];
    loop {
        match file.write(&chunk) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if e.raw_os_error() == Some(28) => return, // ENOSPC
            Err(e) => panic!("filling the disk: {e}"),
        }
    }
}

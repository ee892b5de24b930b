//! A disk that fills up: while writing, the server must not stay up
//! refusing every write for ever — it exits with status 74 so that a
//! supervisor restarts it, and once there is room again every acknowledged
//! write is there. A first start on a full disk fails (with status 1, even
//! when its log is on that disk too), and the next start, with room, opens
//! the half-created directory. An export or an import that meets a full
//! disk is never reported COMPLETED without its data.

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
    // The log is on the same disk, as it often is: writing it fails too.
    let mut launch = Launch::new(&data);
    launch.stderr = Some(disk.path().join("ferry.log"));
    let mut ferry = launch.spawn().await.expect("ferry starts");
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
    // Its log goes to the full disk too: lines are lost, but the process
    // still ends with an error status, not an abort.
    let mut launch = Launch::new(&data);
    launch.stderr = Some(disk.path().join("ferry.log"));
    let status = launch
        .spawn()
        .await
        .err()
        .expect("ferry cannot start on a full disk");
    assert_eq!(status.code(), Some(1), "{status}");
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

/// `n` pseudo-random alphanumeric characters (incompressible enough that an
/// export of them is about as large as the table).
fn noise(seed: u64, n: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(ALPHABET[(x % ALPHABET.len() as u64) as usize])
        })
        .collect()
}

#[tokio::test]
async fn an_export_that_meets_a_full_disk_is_never_reported_complete_without_its_data() {
    let Some(disk) = Tmpfs::mount(40, "disk full during an export") else {
        return;
    };
    let data = disk.path().join("data");
    let mut ferry = spawn_ferry(&data).await;
    let (client, s3) = (ferry.client().await, ferry.s3().await);
    s3.create_bucket().bucket("out").send().await.unwrap();
    create_table(&client, "exp", ("id", ScalarAttributeType::S), None).await;
    crate::pitr::enable_pitr(&client, "exp").await;
    // 24 MB of table: it fits, an export of it beside it does not.
    let mut ids = Vec::new();
    for b in 0..480u64 {
        let mut requests = Vec::new();
        for i in 0..25 {
            let id = format!("id-{:05}", b * 25 + i);
            requests.push(
                aws_sdk_dynamodb::types::WriteRequest::builder()
                    .put_request(
                        aws_sdk_dynamodb::types::PutRequest::builder()
                            .item("id", s(&id))
                            .item("noise", s(&noise(b * 25 + i, 2_000)))
                            .build()
                            .unwrap(),
                    )
                    .build(),
            );
            ids.push(id);
        }
        client
            .batch_write_item()
            .request_items("exp", requests)
            .send()
            .await
            .unwrap();
    }
    let export_arn = client
        .export_table_to_point_in_time()
        .table_arn("arn:aws:dynamodb:us-east-1:000000000000:table/exp")
        .s3_bucket("out")
        .send()
        .await
        .unwrap()
        .export_description()
        .and_then(|d| d.export_arn())
        .unwrap()
        .to_string();

    // The export ends, or the server exits because storage refuses writes.
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let status = loop {
        if let Ok(Some(status)) = ferry.process.try_wait() {
            assert_eq!(status.code(), Some(EXIT_STORAGE_FAILED), "{status}");
            break None;
        }
        if let Ok(d) = client
            .describe_export()
            .export_arn(&export_arn)
            .send()
            .await
        {
            let d = d.export_description().unwrap().clone();
            if d.export_status() != Some(&aws_sdk_dynamodb::types::ExportStatus::InProgress) {
                break Some(d);
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the export neither ended nor did the server exit"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    eprintln!(
        "on the full disk: {:?}",
        status
            .as_ref()
            .map(|d| (d.export_status(), d.failure_message()))
    );
    assert_ne!(
        status.as_ref().and_then(|d| d.export_status()),
        Some(&aws_sdk_dynamodb::types::ExportStatus::Completed),
        "an export that cannot fit was reported COMPLETED"
    );

    // With room again (and a restart), the export ends: COMPLETED only with
    // every item, else FAILED; the table is intact and writable.
    disk.resize(256);
    if status.is_some() {
        ferry.kill9().await;
    }
    let ferry = spawn_ferry(&data).await;
    let (client, s3) = (ferry.client().await, ferry.s3().await);
    let d = crate::exports::wait_export(&client, &export_arn).await;
    if d.export_status() == Some(&aws_sdk_dynamodb::types::ExportStatus::Completed) {
        let out = crate::exports::read_export(&s3, "out", &d).await;
        let mut exported: Vec<String> = crate::exports::json_lines(&out)
            .iter()
            .map(|l| l["Item"]["id"]["S"].as_str().unwrap().to_string())
            .collect();
        exported.sort();
        assert_eq!(exported, ids);
    } else {
        assert_eq!(
            d.export_status(),
            Some(&aws_sdk_dynamodb::types::ExportStatus::Failed),
            "{d:?}"
        );
    }
    let items = scan_all(&client, "exp", "id").await;
    assert_eq!(items.keys().cloned().collect::<Vec<_>>(), ids);
    client
        .put_item()
        .table_name("exp")
        .item("id", s("after"))
        .send()
        .await
        .expect("writes work again");
    ferry.kill9().await;
}

#[tokio::test]
async fn an_import_that_meets_a_full_disk_is_never_reported_complete_without_its_items() {
    let Some(disk) = Tmpfs::mount(48, "disk full during an import") else {
        return;
    };
    let data = disk.path().join("data");
    let mut ferry = spawn_ferry(&data).await;
    let (client, s3) = (ferry.client().await, ferry.s3().await);
    s3.create_bucket()
        .bucket("import-src")
        .send()
        .await
        .unwrap();
    // ~34 MB of items, ~5 MB compressed: the source fits, the loaded table
    // beside its sorted runs does not.
    const ITEMS: i64 = 100_000;
    let lines = ferry_formats::generator::json_lines(0..ITEMS as u64);
    s3.put_object()
        .bucket("import-src")
        .key("data/part-0.json.gz")
        .body(crate::imports::gzip(&lines).into())
        .send()
        .await
        .unwrap();
    drop(lines);
    let arn = client
        .import_table()
        .s3_bucket_source(crate::imports::source("import-src", "data/"))
        .input_format(aws_sdk_dynamodb::types::InputFormat::DynamodbJson)
        .input_compression_type(aws_sdk_dynamodb::types::InputCompressionType::Gzip)
        .table_creation_parameters(crate::imports::params(
            "imported",
            ("pk", ScalarAttributeType::S),
            Some(("sk", ScalarAttributeType::S)),
        ))
        .send()
        .await
        .unwrap()
        .import_table_description
        .and_then(|d| d.import_arn)
        .unwrap();

    // The import ends, or the server exits because storage refuses writes.
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let ended = loop {
        if let Ok(Some(status)) = ferry.process.try_wait() {
            assert_eq!(status.code(), Some(EXIT_STORAGE_FAILED), "{status}");
            break None;
        }
        if let Ok(d) = client.describe_import().import_arn(&arn).send().await {
            let d = d.import_table_description.unwrap();
            if d.import_status() != Some(&aws_sdk_dynamodb::types::ImportStatus::InProgress) {
                break Some(d);
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the import neither ended nor did the server exit"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    eprintln!(
        "on the full disk: {:?}",
        ended
            .as_ref()
            .map(|d| (d.import_status(), d.failure_code(), d.failure_message()))
    );
    assert_ne!(
        ended.as_ref().and_then(|d| d.import_status()),
        Some(&aws_sdk_dynamodb::types::ImportStatus::Completed),
        "an import that cannot fit was reported COMPLETED"
    );

    // With room again (and a restart), the import ends: COMPLETED only with
    // every item, else FAILED; the server serves.
    disk.resize(512);
    if ended.is_some() {
        ferry.kill9().await;
    }
    let ferry = spawn_ferry(&data).await;
    let client = ferry.client().await;
    let d = crate::imports::wait(&client, &arn).await;
    eprintln!(
        "after the restart: {:?}",
        (d.import_status(), d.failure_code(), d.failure_message())
    );
    if d.import_status() == Some(&aws_sdk_dynamodb::types::ImportStatus::Completed) {
        assert_eq!(d.imported_item_count(), ITEMS, "{d:?}");
        let all = crate::imports::scan_all(&client, "imported").await;
        assert_eq!(all.len() as i64, ITEMS);
    } else {
        assert_eq!(
            d.import_status(),
            Some(&aws_sdk_dynamodb::types::ImportStatus::Failed),
            "{d:?}"
        );
    }
    create_table(&client, "later", ("id", ScalarAttributeType::S), None).await;
    client
        .put_item()
        .table_name("later")
        .item("id", s("x"))
        .send()
        .await
        .expect("writes work again");
    ferry.kill9().await;
}

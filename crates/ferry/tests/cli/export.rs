//! `ferry export` offline to a local folder in AWS's layout, then `ferry
//! import` of that folder (round trip), and the MD5 refusal of a damaged copy.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, PointInTimeRecoverySpecification,
    ScalarAttributeType,
};

use crate::common::{Served, ferry, json, n, path, s, stderr};

/// A table `Src` with 50 items (and PITR on when `pitr`), in `data`.
async fn seed(data: &std::path::Path, pitr: bool) -> Vec<String> {
    let served = Served::open(data).await;
    let c = &served.client;
    c.create_table()
        .table_name("Src")
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    c.update_continuous_backups()
        .table_name("Src")
        .point_in_time_recovery_specification(
            PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(pitr)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    for i in 0..50 {
        c.put_item()
            .table_name("Src")
            .item("pk", s(&format!("k{i:03}")))
            .item("n", n(&i.to_string()))
            .item(
                "tags",
                aws_sdk_dynamodb::types::AttributeValue::Ss(vec!["a".into(), "b".into()]),
            )
            .send()
            .await
            .unwrap();
    }
    let items = served.scan("Src").await;
    served.stop().await;
    items
}

/// The one export folder `AWSDynamoDB/<id>` under `dest`.
fn export_dir(dest: &std::path::Path) -> std::path::PathBuf {
    let root = dest.join("AWSDynamoDB");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("manifest-summary.json").is_file())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs.remove(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn export_then_import_round_trip_and_md5_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let original = seed(&data, true).await;

    let dest = dir.path().join("out");
    let out = ferry(&[
        "export",
        "Src",
        path(&dest),
        "--data-dir",
        path(&data),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let d = json(&out);
    assert_eq!(d["ExportStatus"], "COMPLETED");
    assert_eq!(d["ItemCount"], 50);
    let export = export_dir(&dest);
    for f in [
        "manifest-summary.json",
        "manifest-summary.md5",
        "manifest-files.json",
        "manifest-files.md5",
    ] {
        assert!(export.join(f).is_file(), "{f}");
    }

    // Import the export folder (format and compression from its manifest).
    let data2 = dir.path().join("data2");
    let args = [
        "--data-dir",
        path(&data2),
        "--table-name",
        "Copy",
        "--key",
        "pk:S",
        "--json",
    ];
    let out = ferry(&[&["import", path(&export)][..], &args].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let i = json(&out);
    assert_eq!(i["ImportStatus"], "COMPLETED");
    assert_eq!(i["InputFormat"], "DYNAMODB_JSON");
    assert_eq!(i["InputCompressionType"], "GZIP");
    assert_eq!(i["ImportedItemCount"], 50);

    // A damaged data file is refused before anything is created, whether
    // the export folder or its data/ folder is named.
    let data_file = std::fs::read_dir(export.join("data"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .next()
        .unwrap();
    let mut bytes = std::fs::read(&data_file).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&data_file, bytes).unwrap();
    let data3 = dir.path().join("data3");
    let args = [
        "--data-dir",
        path(&data3),
        "--table-name",
        "Bad",
        "--key",
        "pk:S",
    ];
    for source in [export.clone(), export.join("data")] {
        let out = ferry(&[&["import", path(&source)][..], &args].concat());
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("does not match manifest-files.json"), "{err}");
        assert!(err.contains("the export is damaged or incomplete"), "{err}");
    }

    let served = Served::open(&data2).await;
    assert_eq!(served.scan("Copy").await, original);
    served.stop().await;
    let served = Served::open(&data3).await;
    let tables = served.client.list_tables().send().await.unwrap();
    assert!(tables.table_names().is_empty());
    served.stop().await;
}

/// Online: the server exports to its own S3 and the folder is downloaded
/// into DEST in the same layout; importing it gives the same items.
#[tokio::test(flavor = "multi_thread")]
async fn online_export_downloads_the_aws_layout() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let original = seed(&data, true).await;
    let served = Served::open(&data).await;
    let dest = dir.path().join("out");
    let url = served.url();
    let args = [
        "export",
        "Src",
        path(&dest),
        "--endpoint-url",
        &url,
        "--json",
    ];
    let out = ferry(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let d = json(&out);
    assert_eq!(d["ExportStatus"], "COMPLETED");
    assert_eq!(d["ItemCount"], 50);
    assert_eq!(d["S3Bucket"], "ferry-cli-uploads");
    let export = export_dir(&dest);
    // A table that does not exist: DynamoDB's error, exit 2.
    let out = ferry(&["export", "Nope", path(&dest), "--endpoint-url", &url]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: ResourceNotFoundException: Requested resource not found: Table: Nope not found\n"
    );
    served.stop().await;

    let data2 = dir.path().join("data2");
    let args = [
        "--data-dir",
        path(&data2),
        "--table-name",
        "Copy",
        "--key",
        "pk:S",
        "-q",
    ];
    let out = ferry(&[&["import", path(&export)][..], &args].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let served = Served::open(&data2).await;
    assert_eq!(served.scan("Copy").await, original);
    served.stop().await;
}

/// Offline, a table without PITR is exported as it is now (Ferry's
/// extension); an earlier ExportTime or an incremental export is refused
/// with the API's messages and writes nothing, and online the API's
/// PointInTimeRecoveryUnavailableException stands.
#[tokio::test(flavor = "multi_thread")]
async fn offline_export_needs_no_pitr_but_only_reads_now() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    seed(&data, false).await;
    let base = |dest: &std::path::Path| -> Vec<String> {
        ["export", "Src", path(dest), "--data-dir", path(&data)]
            .map(String::from)
            .to_vec()
    };
    let run = |args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ferry(&args)
    };

    let refused = dir.path().join("refused");
    let mut past = base(&refused);
    past.extend(["--export-time", "2001-09-09T01:46:40Z"].map(String::from));
    let out = run(past);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("error: InvalidExportTimeException: Export Time is invalid"),
        "{}",
        stderr(&out)
    );
    let mut incremental = base(&refused);
    incremental.extend(
        [
            "--from",
            "2001-09-09T01:46:40Z",
            "--to",
            "2001-09-09T02:46:40Z",
        ]
        .map(String::from),
    );
    let out = run(incremental);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "error: InvalidExportTimeException: Incremental export period from time cannot be less than the table creation time : 2001-09-09T01:46:40Z"
        ),
        "{}",
        stderr(&out)
    );
    assert!(!refused.join("AWSDynamoDB").exists());

    let dest = dir.path().join("out");
    let mut now = base(&dest);
    now.push("--json".into());
    let out = run(now);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let d = json(&out);
    assert_eq!(d["ExportStatus"], "COMPLETED");
    assert_eq!(d["ItemCount"], 50);
    assert!(export_dir(&dest).join("manifest-files.json").is_file());

    let served = Served::open(&data).await;
    let online = dir.path().join("online");
    let out = ferry(&[
        "export",
        "Src",
        path(&online),
        "--endpoint-url",
        &served.url(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "error: PointInTimeRecoveryUnavailableException: Point in time recovery is not enabled for table 'Src'"
        ),
        "{}",
        stderr(&out)
    );
    served.stop().await;
}

/// Offline mode binds no port: `ferry_server::open` (what `--data-dir`
/// uses) succeeds on a configuration whose listen address is taken, where
/// `ferry_server::start` fails to bind.
#[tokio::test(flavor = "multi_thread")]
async fn offline_mode_binds_no_port() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let config = ferry_server::Config {
        listen: taken.local_addr().unwrap(),
        data_dir: Some(dir.path().join("data")),
        ..Default::default()
    };
    let err = ferry_server::start(config.clone())
        .await
        .err()
        .expect("the address is taken");
    assert!(format!("{err:#}").contains("binding"), "{err:#}");
    let instance = ferry_server::open(config)
        .await
        .expect("opens without a port");
    assert!(instance.state().engine.table("nope").is_none());
    instance.shutdown().await;
}

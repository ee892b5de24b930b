//! `ferry export` offline to a local folder in AWS's layout, then `ferry
//! import` of that folder (round trip), and the MD5 refusal of a damaged copy.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, PointInTimeRecoverySpecification,
    ScalarAttributeType,
};

use crate::common::{Served, ferry, json, n, path, s, stderr};

/// A table `Src` with PITR on and 50 items, in `data`.
async fn seed(data: &std::path::Path) -> Vec<String> {
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
                .point_in_time_recovery_enabled(true)
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
    let original = seed(&data).await;

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
    let original = seed(&data).await;
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

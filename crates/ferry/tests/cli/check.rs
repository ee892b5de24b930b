//! `ferry check`: the dry run reports what the import reports, creates nothing.

use crate::common::{ferry, json, path, stderr};

/// A folder of DynamoDB JSON with every kind of bad item, and a duplicate key.
fn bad_source(dir: &std::path::Path) -> std::path::PathBuf {
    let src = dir.join("src");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(
        src.join("a.json"),
        "{\"Item\":{\"pk\":{\"S\":\"1\"},\"sk\":{\"N\":\"1\"}}}\n\
         {\"Item\":{\"pk\":{\"S\":\"2\"}}}\n\
         {\"Item\":{\"pk\":{\"N\":\"3\"},\"sk\":{\"N\":\"1\"}}}\n\
         {\"Item\":{\"pk\":{\"S\":\"1\"},\"sk\":{\"N\":\"1.0\"}}}\n",
    )
    .unwrap();
    std::fs::write(
        src.join("b.json"),
        "{\"Item\":{\"pk\":{\"S\":\"4\"},\"sk\":{\"N\":\"2\"}}}\nnot json at all\n\
         {\"Item\":{\"pk\":{\"S\":\"5\"},\"sk\":{\"N\":\"2\"}}}\n",
    )
    .unwrap();
    src
}

fn sorted_errors(v: &serde_json::Value) -> Vec<String> {
    let mut out: Vec<String> = v["Errors"]
        .as_array()
        .expect("Errors")
        .iter()
        .map(|e| format!("{} {}", e["itemS3Pointer"], e["errorMessages"]))
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn check_reports_what_the_import_logs() {
    let dir = tempfile::tempdir().unwrap();
    let src = bad_source(dir.path());
    let keys = ["--key", "pk:S", "--key", "sk:N"];
    let check = ferry(&[&["check", path(&src), "--json"][..], &keys].concat());
    assert_eq!(check.status.code(), Some(1), "{}", stderr(&check));
    let c = json(&check);
    assert_eq!(c["Status"], "FAILED");
    assert_eq!(c["FailureCode"], "ItemValidationError");
    assert_eq!(c["ErrorCount"], 3);
    assert_eq!(c["ImportedItemCount"], 3);
    assert_eq!(c["DuplicateKeyCount"], 1);
    assert_eq!(c["KeyTypes"]["pk"]["S"], 3);
    assert_eq!(c["Objects"][0]["ErrorCount"], 2);
    assert_eq!(c["Objects"][1]["ErrorCount"], 1);
    // Nothing was created: check takes no data directory at all, and the
    // source is untouched.
    assert_eq!(std::fs::read_dir(&src).unwrap().count(), 2);

    let data = dir.path().join("data");
    let import = ferry(
        &[
            &[
                "import",
                path(&src),
                "--data-dir",
                path(&data),
                "--table-name",
                "Tbl1",
                "--json",
            ][..],
            &keys,
        ]
        .concat(),
    );
    assert_eq!(import.status.code(), Some(1), "{}", stderr(&import));
    let i = json(&import);
    assert_eq!(i["ImportStatus"], "FAILED");
    for field in [
        "ErrorCount",
        "ImportedItemCount",
        "ProcessedItemCount",
        "ProcessedSizeBytes",
    ] {
        assert_eq!(c[field], i[field], "{field}");
    }
    assert_eq!(sorted_errors(&c), sorted_errors(&i));
}

#[tokio::test(flavor = "multi_thread")]
async fn clean_source_checks_completed() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("ok.csv");
    std::fs::write(&src, "pk,v\na,1\nb,2\n").unwrap();
    let out = ferry(&["check", path(&src), "--key", "pk:S", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let c = json(&out);
    assert_eq!(c["Status"], "COMPLETED");
    assert_eq!(c["ImportedItemCount"], 2);
    assert_eq!(c["InputFormat"], "CSV");
    assert!(c.get("FailureCode").is_none());
}

/// Error messages without their S3 pointers (the online check reads the
/// uploaded copy, under another bucket and prefix).
fn messages(v: &serde_json::Value) -> Vec<String> {
    let mut out: Vec<String> = v["Errors"]
        .as_array()
        .expect("Errors")
        .iter()
        .map(|e| e["errorMessages"].to_string())
        .collect();
    out.sort();
    out
}

/// `ferry check --endpoint-url`: the server's dry run (ImportTable with
/// `FerryDryRun`) reports what the local one does, and creates nothing: no
/// table, no import.
#[tokio::test(flavor = "multi_thread")]
async fn online_check_is_the_same_dry_run_on_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let src = bad_source(dir.path());
    let keys = ["--key", "pk:S", "--key", "sk:N"];
    let local = ferry(&[&["check", path(&src), "--json"][..], &keys].concat());
    let local = json(&local);

    let served = crate::common::Served::open(&dir.path().join("data")).await;
    let url = served.url();
    let args: Vec<String> = ["check", path(&src), "--json", "--endpoint-url", &url]
        .iter()
        .chain(keys.iter())
        .map(|a| a.to_string())
        .collect();
    let online = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ferry(&args)
    })
    .await
    .unwrap();
    assert_eq!(online.status.code(), Some(1), "{}", stderr(&online));
    let remote = json(&online);
    for field in [
        "Status",
        "FailureCode",
        "FailureMessage",
        "InputFormat",
        "ProcessedItemCount",
        "ImportedItemCount",
        "ErrorCount",
        "DuplicateKeyCount",
        "KeyTypes",
    ] {
        assert_eq!(remote[field], local[field], "{field}");
    }
    assert_eq!(messages(&remote), messages(&local));
    let per_object = |v: &serde_json::Value| -> Vec<u64> {
        v["Objects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["ErrorCount"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(per_object(&remote), per_object(&local));
    let tables = served.client.list_tables().send().await.unwrap();
    assert!(tables.table_names().is_empty());
    let imports = served.client.list_imports().send().await.unwrap();
    assert!(imports.import_summary_list().is_empty());
    served.stop().await;
}

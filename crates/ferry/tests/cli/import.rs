//! `ferry import` offline: the spec's CSV examples, DynamoDB JSON with bad
//! items, a table definition from describe-table output, a data directory
//! held by a server.

use crate::common::{Served, ferry, ferry_env, json, path, stderr, stdout};

/// The user guide's CLI example: `;`-delimited CSV with a given header list.
#[tokio::test(flavor = "multi_thread")]
async fn csv_with_header_list_and_delimiter() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("songs.csv");
    std::fs::write(
        &src,
        "h1;Money;Pink Floyd;1973\nh2;Hey Jude;The Beatles;1968\n",
    )
    .unwrap();
    let data = dir.path().join("data");
    let out = ferry(&[
        "import",
        path(&src),
        "--data-dir",
        path(&data),
        "--table-name",
        "target-table",
        "--key",
        "hk:S",
        "--csv-delimiter",
        ";",
        "--csv-header",
        "hk,title,artist,year_of_release",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let d = json(&out);
    assert_eq!(d["ImportStatus"], "COMPLETED");
    assert_eq!(d["InputFormat"], "CSV");
    assert_eq!(d["ImportedItemCount"], 2);
    assert_eq!(d["ErrorCount"], 0);
    assert_eq!(
        d["InputFormatOptions"]["Csv"]["HeaderList"][3],
        "year_of_release"
    );
    let served = Served::open(&data).await;
    let items = served.scan("target-table").await;
    assert_eq!(items.len(), 2);
    assert!(
        items[0].contains("\"year_of_release\": S(\"1973\")"),
        "{items:?}"
    );
    served.stop().await;
}

/// The user guide's failing example: the key column is missing, the import
/// FAILS (exit 1) with ItemValidationError and the logged pointer.
#[tokio::test(flavor = "multi_thread")]
async fn csv_missing_key_fails_with_the_logged_error() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("import-test.csv");
    std::fs::write(
        &src,
        "title,artist,year_of_release\nThe Dark Side of the Moon,Pink Floyd,1973\n",
    )
    .unwrap();
    let data = dir.path().join("data");
    let out = ferry(&[
        "import",
        path(&src),
        "--data-dir",
        path(&data),
        "--table-name",
        "target-table",
        "--key",
        "pk:S",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let d = json(&out);
    assert_eq!(d["ImportStatus"], "FAILED");
    assert_eq!(d["FailureCode"], "ItemValidationError");
    assert_eq!(d["ErrorCount"], 1);
    let e = &d["Errors"][0];
    assert_eq!(e["itemS3Pointer"]["key"], "import-test.csv");
    assert_eq!(e["itemS3Pointer"]["itemIndex"], 0);
    assert_eq!(
        e["errorMessages"][0],
        "One or more parameter values were invalid: Missing the key pk in the item"
    );
}

/// `--table-definition` takes describe-table output; a GSI is created and
/// items of the wrong GSI key type are refused with DynamoDB's message.
#[tokio::test(flavor = "multi_thread")]
async fn table_definition_from_describe_table() {
    let dir = tempfile::tempdir().unwrap();
    let def = dir.path().join("describe.json");
    std::fs::write(
        &def,
        r#"{"Table": {"TableName": "Music", "TableStatus": "ACTIVE", "ItemCount": 0,
          "AttributeDefinitions": [{"AttributeName": "Artist", "AttributeType": "S"},
                                   {"AttributeName": "Year", "AttributeType": "N"}],
          "KeySchema": [{"AttributeName": "Artist", "KeyType": "HASH"}],
          "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
          "ProvisionedThroughput": {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0, "WriteCapacityUnits": 0},
          "GlobalSecondaryIndexes": [{"IndexName": "ByYear", "IndexStatus": "ACTIVE",
              "KeySchema": [{"AttributeName": "Year", "KeyType": "HASH"}],
              "Projection": {"ProjectionType": "ALL"}}]}}"#,
    )
    .unwrap();
    let src = dir.path().join("in");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(
        src.join("part-1.json"),
        "{\"Item\":{\"Artist\":{\"S\":\"A\"},\"Year\":{\"N\":\"1999\"}}}\n\
         {\"Item\":{\"Artist\":{\"S\":\"B\"},\"Year\":{\"S\":\"soon\"}}}\n",
    )
    .unwrap();
    let data = dir.path().join("data");
    let out = ferry(&[
        "import",
        path(&src),
        "--data-dir",
        path(&data),
        "--table-definition",
        path(&def),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("FAILED: imported 1 of 2 items, 1 errors"),
        "{text}"
    );
    assert!(text.contains("\"itemIndex\":1"), "{text}");
    let served = Served::open(&data).await;
    let t = served
        .client
        .describe_table()
        .table_name("Music")
        .send()
        .await
        .unwrap();
    let t = t.table().unwrap();
    assert_eq!(t.global_secondary_indexes()[0].index_name(), Some("ByYear"));
    assert_eq!(served.scan("Music").await.len(), 1);
    served.stop().await;
}

/// A data directory held by a running server is refused with a clear
/// message, exit code 1, and nothing is created.
#[tokio::test(flavor = "multi_thread")]
async fn data_dir_in_use_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let served = Served::open(&data).await;
    let src = dir.path().join("a.json");
    std::fs::write(&src, "{\"Item\":{\"pk\":{\"S\":\"x\"}}}\n").unwrap();
    let out = ferry(&[
        "import",
        path(&src),
        "--data-dir",
        path(&data),
        "--table-name",
        "Tbl1",
        "--key",
        "pk:S",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "error: the data directory {} is in use by another ferry process (pid {})\n",
            data.display(),
            std::process::id()
        )),
        "{err}"
    );
    let tables = served.client.list_tables().send().await.unwrap();
    assert!(tables.table_names().is_empty());
    // `ferry serve` says the same instead of the engine's "Locked".
    let out = ferry(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        path(&data),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "the data directory {} is in use by another ferry process (pid {})",
            data.display(),
            std::process::id()
        )) && !err.contains("Locked"),
        "{err}"
    );
    served.stop().await;
}

/// Usage errors exit 2: no key, a format that cannot be guessed, an
/// existing table (the request is refused with DynamoDB's message).
#[tokio::test(flavor = "multi_thread")]
async fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let src = dir.path().join("items.dat");
    std::fs::write(&src, "{\"Item\":{\"pk\":{\"S\":\"x\"}}}\n").unwrap();
    let base = ["import", path(&src), "--data-dir", path(&data)];
    let out = ferry(&[&base[..], &["--table-name", "Tbl1"]].concat());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--key NAME:TYPE"), "{}", stderr(&out));
    let keyed = [&base[..], &["--table-name", "Tbl1", "--key", "pk:S"]].concat();
    let out = ferry(&keyed);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(
            "cannot tell the input format from the file names (items.dat); pass --input-format"
        ),
        "{}",
        stderr(&out)
    );
    let with_format = [&keyed[..], &["--input-format", "DYNAMODB_JSON", "-q"]].concat();
    let out = ferry(&with_format);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = ferry(&with_format);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: ResourceInUseException: Table already exists: Tbl1\n"
    );
}

/// Online: local files are uploaded to the server's S3, ImportTable and
/// DescribeImport are called over HTTP with SigV4 (the server requires it
/// here), and the result and the logged errors are printed as offline.
#[tokio::test(flavor = "multi_thread")]
async fn online_import_through_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let creds = vec![("AKIDFERRYTEST".to_owned(), "ferry-test-secret".to_owned())];
    let served = Served::open_with(&data, creds).await;
    let src = dir.path().join("in");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(
        src.join("a.json"),
        "{\"Item\":{\"pk\":{\"S\":\"a\"}}}\n{\"Item\":{\"nope\":{\"S\":\"b\"}}}\n",
    )
    .unwrap();
    std::fs::write(src.join("b.json"), "{\"Item\":{\"pk\":{\"S\":\"c\"}}}\n").unwrap();
    let url = served.url();
    let args = [
        "import",
        path(&src),
        "--endpoint-url",
        &url,
        "--table-name",
        "Online",
        "--key",
        "pk:S",
        "--json",
    ];
    let signed = [
        ("AWS_ACCESS_KEY_ID", "AKIDFERRYTEST"),
        ("AWS_SECRET_ACCESS_KEY", "ferry-test-secret"),
    ];
    let out = ferry_env(&args, &signed);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let d = json(&out);
    assert_eq!(d["ImportStatus"], "FAILED");
    assert_eq!(d["FailureCode"], "ItemValidationError");
    assert_eq!(d["ImportedItemCount"], 2);
    assert_eq!(d["S3BucketSource"]["S3Bucket"], "ferry-cli-uploads");
    let e = &d["Errors"][0];
    assert_eq!(e["itemS3Pointer"]["itemIndex"], 1);
    assert!(
        e["itemS3Pointer"]["key"]
            .as_str()
            .unwrap()
            .ends_with("/a.json"),
        "{e}"
    );
    assert_eq!(
        e["errorMessages"][0],
        "One or more parameter values were invalid: Missing the key pk in the item"
    );
    assert_eq!(served.scan("Online").await.len(), 2);

    // Wrong credentials: refused with the server's error, nothing created.
    let bad = [
        ("AWS_ACCESS_KEY_ID", "AKIDFERRYTEST"),
        ("AWS_SECRET_ACCESS_KEY", "wrong"),
    ];
    let args = [&args[..6], &["Online2", "--key", "pk:S"]].concat();
    let out = ferry_env(&args, &bad);
    assert_ne!(out.status.code(), Some(0));
    let tables = served.client.list_tables().send().await.unwrap();
    assert_eq!(tables.table_names(), ["Online"]);
    served.stop().await;
}

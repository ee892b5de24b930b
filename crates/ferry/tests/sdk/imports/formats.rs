//! Every input format and compression, the CSV options, the user guide's
//! format examples, and an export's data folder imported back.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeValue, CsvOptions, ImportStatus, InputCompressionType, InputFormat,
    InputFormatOptions, ScalarAttributeType, TableStatus,
};

use super::*;
use crate::common::*;

// --------------------------------------------------------------- the formats

#[tokio::test]
async fn spec_dynamodb_json_example_imports_every_compression() {
    let server = TestServer::start().await;
    let db = server.dynamodb().await;
    bucket(&server, "books").await;
    put(&server, "books", "plain/books.json", SPEC_JSON).await;
    put(
        &server,
        "books",
        "gzip/books.json.gz",
        gzip(SPEC_JSON.as_bytes()),
    )
    .await;
    put(
        &server,
        "books",
        "zstd/books.zst",
        zstd(SPEC_JSON.as_bytes()),
    )
    .await;
    let cases = [
        ("plain/", None, "BooksPlain"),
        ("gzip/", Some(InputCompressionType::Gzip), "BooksGzip"),
        ("zstd/", Some(InputCompressionType::Zstd), "BooksZstd"),
    ];
    for (prefix, compression, table) in cases {
        let started = start(
            &db,
            source("books", prefix),
            InputFormat::DynamodbJson,
            compression.clone(),
            None,
            books(table),
        )
        .await;
        assert_eq!(started.import_status(), Some(&ImportStatus::InProgress));
        assert_eq!(started.processed_item_count(), 0);
        assert_eq!(started.end_time(), None);
        assert!(
            started.client_token().is_some_and(|t| !t.is_empty()),
            "the SDK sends a ClientToken"
        );
        assert_eq!(
            started.cloud_watch_log_group_arn(),
            Some("arn:aws:logs:us-east-1:000000000000:log-group:/aws-dynamodb/imports:*")
        );
        let arn = started.import_arn().unwrap();
        let table_arn = format!("arn:aws:dynamodb:us-east-1:000000000000:table/{table}");
        assert_eq!(started.table_arn(), Some(table_arn.as_str()));
        assert!(arn.starts_with(&format!("{table_arn}/import/")), "{arn}");
        let id = import_id(&started);
        assert_eq!(id.len(), 23);
        let done = wait(&db, arn).await;
        assert_eq!(
            done.import_status(),
            Some(&ImportStatus::Completed),
            "{done:?}"
        );
        assert_eq!(
            counters(&done),
            (3, 3, 0, Some(SPEC_JSON.len() as i64)),
            "{prefix}"
        );
        assert_eq!(done.failure_code(), None);
        assert!(done.end_time().unwrap().secs() >= done.start_time().unwrap().secs());
        assert_eq!(
            done.input_compression_type(),
            Some(&compression.clone().unwrap_or(InputCompressionType::None))
        );
        assert_eq!(done.table_id(), started.table_id());
        let described = db
            .describe_table()
            .table_name(table)
            .send()
            .await
            .unwrap()
            .table
            .unwrap();
        assert_eq!(described.table_status(), Some(&TableStatus::Active));
        assert_eq!(described.table_id(), started.table_id());
        assert_books(&db, table).await;
    }
}

#[tokio::test]
async fn spec_ion_example_and_ion_lines_import() {
    let server = TestServer::start().await;
    let db = server.dynamodb().await;
    bucket(&server, "ion").await;
    put(&server, "ion", "list/books.ion", SPEC_ION).await;
    let done = wait(
        &db,
        start(
            &db,
            source("ion", "list/"),
            InputFormat::Ion,
            None,
            None,
            books("IonList"),
        )
        .await
        .import_arn()
        .unwrap(),
    )
    .await;
    assert_eq!(
        done.import_status(),
        Some(&ImportStatus::Completed),
        "{done:?}"
    );
    assert_eq!(counters(&done), (3, 3, 0, Some(SPEC_ION.len() as i64)));
    assert_books(&db, "IonList").await;

    let lines = "$ion_1_0 {Item:{Id:1.,B:{{aGVsbG8=}},L:[1,\"x\",true,null],M:{a:{b:2.5}},NS:$dynamodb_NS::[1,2]}}\n$ion_1_0 {Item:{Id:2.}}\n";
    put(&server, "ion", "lines/a.ion.gz", gzip(lines.as_bytes())).await;
    let started = start(
        &db,
        source("ion", "lines/"),
        InputFormat::Ion,
        Some(InputCompressionType::Gzip),
        None,
        books("IonLines"),
    )
    .await;
    let done = wait(&db, started.import_arn().unwrap()).await;
    assert_eq!(
        done.import_status(),
        Some(&ImportStatus::Completed),
        "{done:?}"
    );
    let got = db
        .get_item()
        .table_name("IonLines")
        .key("Id", n("1"))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(
        got["B"],
        AttributeValue::B(aws_smithy_types::Blob::new(b"hello".to_vec()))
    );
    assert_eq!(
        got["L"],
        AttributeValue::L(vec![
            n("1"),
            s("x"),
            AttributeValue::Bool(true),
            AttributeValue::Null(true)
        ])
    );
    assert_eq!(
        got["M"],
        AttributeValue::M(HashMap::from([(
            "a".to_string(),
            AttributeValue::M(HashMap::from([("b".to_string(), n("2.5"))]))
        )]))
    );
    let mut ns = got["NS"].as_ns().unwrap().clone();
    ns.sort();
    assert_eq!(ns, vec!["1", "2"]);
}

#[tokio::test]
async fn spec_csv_escaped_quotes_example() {
    let server = TestServer::start().await;
    let db = server.dynamodb().await;
    bucket(&server, "csv").await;
    put(
        &server,
        "csv",
        "good.csv",
        "id,value\n\"\"\"123\"\"\",\"Women's Full \"\"Length\"\" Dress\"\n",
    )
    .await;
    put(
        &server,
        "csv",
        "bad.csv",
        "id,value\n\"123\",Women's Full \"Length\" Dress\n",
    )
    .await;
    let table = params("Dresses", ("id", ScalarAttributeType::S), None);
    let done = wait(
        &db,
        start(
            &db,
            source("csv", "good.csv"),
            InputFormat::Csv,
            None,
            None,
            table,
        )
        .await
        .import_arn()
        .unwrap(),
    )
    .await;
    assert_eq!(
        done.import_status(),
        Some(&ImportStatus::Completed),
        "{done:?}"
    );
    let items = scan_all(&db, "Dresses").await;
    assert_eq!(
        items,
        vec![item(&[
            ("id", s("\"123\"")),
            ("value", s("Women's Full \"Length\" Dress"))
        ])]
    );

    let table = params("DressesBad", ("id", ScalarAttributeType::S), None);
    let started = start(
        &db,
        source("csv", "bad.csv"),
        InputFormat::Csv,
        None,
        None,
        table,
    )
    .await;
    let done = wait(&db, started.import_arn().unwrap()).await;
    assert_eq!(done.import_status(), Some(&ImportStatus::Failed));
    assert_eq!(done.failure_code(), Some("ItemValidationError"));
    assert_eq!(counters(&done), (1, 0, 1, Some(43)));
    assert!(scan_all(&db, "DressesBad").await.is_empty());
    let logs = log_messages(&server, &done).await;
    assert_eq!(logs.len(), 1);
    let event: serde_json::Value = serde_json::from_str(&logs[0]).unwrap();
    assert_eq!(
        event["itemS3Pointer"],
        serde_json::json!({"bucket": "csv", "key": "bad.csv", "itemIndex": 0})
    );
}

const HETEROGENEOUS: &str = "PK,SK,EntityType,Name,Email,OrderDate,Amount,ProductName,Quantity
USER#1,PROFILE,User,Alice,alice@example.com,,,,
USER#1,ORDER#2024-01-15,Order,,,2024-01-15,99.99,,
USER#1,ORDER#2024-02-10,Order,,,2024-02-10,149.50,,
PRODUCT#101,METADATA,Product,,,,,Laptop,50
PRODUCT#102,METADATA,Product,,,,,Mouse,200
USER#2,PROFILE,User,Bob,bob@example.com,,,,
USER#2,ORDER#2024-01-20,Order,,,2024-01-20,75.00,,
PRODUCT#103,METADATA,Product,,,,,Keyboard,150
USER#3,PROFILE,User,Charlie,charlie@example.com,,,,
PRODUCT#104,METADATA,Product,,,,,Monitor,30
";

#[tokio::test]
async fn spec_csv_heterogeneous_items_example() {
    let server = TestServer::start().await;
    let db = server.dynamodb().await;
    bucket(&server, "csv").await;
    put(&server, "csv", "hetero/entities.csv", HETEROGENEOUS).await;
    let table = params(
        "Entities",
        ("PK", ScalarAttributeType::S),
        Some(("SK", ScalarAttributeType::S)),
    );
    let done = wait(
        &db,
        start(
            &db,
            source("csv", "hetero/"),
            InputFormat::Csv,
            None,
            None,
            table,
        )
        .await
        .import_arn()
        .unwrap(),
    )
    .await;
    assert_eq!(
        done.import_status(),
        Some(&ImportStatus::Completed),
        "{done:?}"
    );
    assert_eq!(
        counters(&done),
        (10, 10, 0, Some(HETEROGENEOUS.len() as i64))
    );
    let order = db
        .get_item()
        .table_name("Entities")
        .key("PK", s("USER#1"))
        .key("SK", s("ORDER#2024-02-10"))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(
        order,
        item(&[
            ("PK", s("USER#1")),
            ("SK", s("ORDER#2024-02-10")),
            ("EntityType", s("Order")),
            ("OrderDate", s("2024-02-10")),
            // Not a key column: a string, as written.
            ("Amount", s("149.50")),
        ])
    );
    let product = db
        .get_item()
        .table_name("Entities")
        .key("PK", s("PRODUCT#104"))
        .key("SK", s("METADATA"))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(product.len(), 5);
    assert_eq!(product["Quantity"], s("30"));
}

#[tokio::test]
async fn csv_header_list_and_every_delimiter() {
    let server = TestServer::start().await;
    let db = server.dynamodb().await;
    bucket(&server, "bucket").await;
    for (i, delimiter) in [",", ";", ":", "|", "\t", " "].iter().enumerate() {
        let d = delimiter;
        let data = format!("a1{d}TheDarkSide{d}PinkFloyd{d}1973\na2{d}\"x{d}y\"{d}Artist{d}\n");
        let prefix = format!("music{i}/");
        put(
            &server,
            "bucket",
            &format!("{prefix}data.csv"),
            data.clone(),
        )
        .await;
        let options = InputFormatOptions::builder()
            .csv(
                CsvOptions::builder()
                    .delimiter(*delimiter)
                    .header_list("hk")
                    .header_list("title")
                    .header_list("artist")
                    .header_list("year_of_release")
                    .build(),
            )
            .build();
        let table = format!("Music{i}");
        let started = start(
            &db,
            source("bucket", &prefix),
            InputFormat::Csv,
            None,
            Some(options.clone()),
            params(&table, ("hk", ScalarAttributeType::S), None),
        )
        .await;
        assert_eq!(started.input_format_options(), Some(&options));
        let done = wait(&db, started.import_arn().unwrap()).await;
        assert_eq!(
            done.import_status(),
            Some(&ImportStatus::Completed),
            "delimiter {delimiter:?}: {done:?}"
        );
        assert_eq!(counters(&done), (2, 2, 0, Some(data.len() as i64)));
        let a1 = db
            .get_item()
            .table_name(&table)
            .key("hk", s("a1"))
            .send()
            .await
            .unwrap()
            .item
            .unwrap();
        assert_eq!(a1["year_of_release"], s("1973"));
        assert_eq!(a1["title"], s("TheDarkSide"));
        let a2 = db
            .get_item()
            .table_name(&table)
            .key("hk", s("a2"))
            .send()
            .await
            .unwrap()
            .item
            .unwrap();
        assert_eq!(a2.get("year_of_release"), None);
        assert_eq!(a2["title"], s(&format!("x{delimiter}y")));
    }
}

#[tokio::test]
async fn csv_number_keys_typed_by_attribute_definitions_and_bad_rows() {
    let server = TestServer::start().await;
    let db = server.dynamodb().await;
    bucket(&server, "src-bucket").await;
    put(
        &server,
        "src-bucket",
        "rows/a.csv",
        "id,v\n1,one\n2,two,extra\n3,three\n",
    )
    .await;
    put(
        &server,
        "src-bucket",
        "rows/b.csv",
        "id,v\nnot-a-number,x\n",
    )
    .await;
    put(&server, "src-bucket", "rows/c.csv", "id,v\n10,ten\n").await;
    let started = start(
        &db,
        source("src-bucket", "rows/"),
        InputFormat::Csv,
        None,
        None,
        params("Rows", ("id", ScalarAttributeType::N), None),
    )
    .await;
    let done = wait(&db, started.import_arn().unwrap()).await;
    assert_eq!(done.import_status(), Some(&ImportStatus::Failed));
    assert_eq!(done.failure_code(), Some("ItemValidationError"));
    assert_eq!(
        done.failure_message(),
        Some(
            "Some of the items failed validation checks and were not imported. Please check CloudWatch error logs for more details."
        )
    );
    // a.csv: row 0 imported, row 1 unreadable (the rest of the object is
    // abandoned, as DynamoDB does, and the log says so); b.csv: row 0 bad;
    // c.csv: imported.
    assert_eq!(counters(&done).0, 4);
    assert_eq!(done.imported_item_count(), 2);
    assert_eq!(done.error_count(), 2);
    let mut ids: Vec<String> = scan_all(&db, "Rows")
        .await
        .iter()
        .map(|i| i["id"].as_n().unwrap().clone())
        .collect();
    ids.sort();
    assert_eq!(ids, vec!["1", "10"]);
    let mut logs: Vec<serde_json::Value> = log_messages(&server, &done)
        .await
        .iter()
        .map(|m| serde_json::from_str(m).unwrap())
        .collect();
    logs.sort_by_key(|l| l["itemS3Pointer"]["key"].as_str().unwrap().to_string());
    assert_eq!(logs.len(), 2);
    assert_eq!(
        logs[0]["itemS3Pointer"],
        serde_json::json!({"bucket": "src-bucket", "key": "rows/a.csv", "itemIndex": 1})
    );
    assert_eq!(
        logs[0]["errorMessages"][0].as_str().unwrap(),
        format!(
            "{} (the rest of the object was not imported: 1 more row skipped)",
            ferry_formats::errors::msg::csv_column_count(3, 2)
        )
    );
    assert_eq!(
        logs[1]["itemS3Pointer"],
        serde_json::json!({"bucket": "src-bucket", "key": "rows/b.csv", "itemIndex": 0})
    );
    assert_eq!(logs[1]["importArn"].as_str(), done.import_arn());
    assert_eq!(
        logs[1]["errorMessages"][0].as_str().unwrap(),
        "Invalid number for attribute id: The parameter cannot be converted to a numeric value: not-a-number"
    );
}

#[tokio::test]
async fn csv_value_not_fitting_its_key_type_is_an_item_error_and_the_object_goes_on() {
    let server = TestServer::start().await;
    let db = server.dynamodb().await;
    bucket(&server, "src-bucket").await;
    let data = "pk,v\n1,a\nabc,b\n3,c";
    put(&server, "src-bucket", "typed.csv", data).await;
    let started = start(
        &db,
        source("src-bucket", "typed.csv"),
        InputFormat::Csv,
        None,
        None,
        params("Typed", ("pk", ScalarAttributeType::N), None),
    )
    .await;
    let done = wait(&db, started.import_arn().unwrap()).await;
    assert_eq!(done.import_status(), Some(&ImportStatus::Failed));
    assert_eq!(done.failure_code(), Some("ItemValidationError"));
    assert_eq!(counters(&done), (3, 2, 1, Some(data.len() as i64)));
    let mut pks: Vec<String> = scan_all(&db, "Typed")
        .await
        .iter()
        .map(|i| i["pk"].as_n().unwrap().clone())
        .collect();
    pks.sort();
    assert_eq!(pks, vec!["1", "3"]);
    assert_eq!(
        log_messages(&server, &done).await,
        vec![item_error(
            "src-bucket",
            "typed.csv",
            1,
            done.import_arn().unwrap(),
            "Invalid number for attribute pk: The parameter cannot be converted to a numeric value: abc"
        )]
    );
}

#[tokio::test]
async fn import_of_an_export_data_folder() {
    let server = TestServer::start().await;
    let db = server.dynamodb().await;
    bucket(&server, "exports").await;
    let base = "backups/AWSDynamoDB/01693685827463-2d8752fd";
    put(&server, "exports", &format!("{base}/_started"), "").await;
    put(
        &server,
        "exports",
        &format!("{base}/manifest-summary.json"),
        "{\"version\":\"2020-06-30\"}",
    )
    .await;
    put(
        &server,
        "exports",
        &format!("{base}/manifest-files.json"),
        "{\"itemCount\":3}\n",
    )
    .await;
    let mut lines = Vec::new();
    for i in 0..3000u64 {
        ferry_formats::ddb_json::write_item_line(&ferry_formats::generator::item(i), &mut lines);
    }
    let third = lines.len() / 3;
    let cut1 = third + lines[third..].iter().position(|b| *b == b'\n').unwrap() + 1;
    put(
        &server,
        "exports",
        &format!("{base}/data/sgad6417s6vss4p7owp0471bcq.json.gz"),
        gzip(&lines[..cut1]),
    )
    .await;
    put(
        &server,
        "exports",
        &format!("{base}/data/a5nhonhykq4mbmzvqpl2ikeeei.json.gz"),
        gzip(&lines[cut1..]),
    )
    .await;
    let table = params(
        "Restored",
        ("pk", ScalarAttributeType::S),
        Some(("sk", ScalarAttributeType::S)),
    );
    let done = wait(
        &db,
        start(
            &db,
            source("exports", &format!("{base}/data/")),
            InputFormat::DynamodbJson,
            Some(InputCompressionType::Gzip),
            None,
            table,
        )
        .await
        .import_arn()
        .unwrap(),
    )
    .await;
    assert_eq!(
        done.import_status(),
        Some(&ImportStatus::Completed),
        "{done:?}"
    );
    assert_eq!(counters(&done), (3000, 3000, 0, Some(lines.len() as i64)));
    let got = db
        .get_item()
        .table_name("Restored")
        .key("pk", s(&format!("customer#{:016x}", mix(7))))
        .key("sk", s("order#0000000007"))
        .send()
        .await
        .unwrap();
    assert!(got.item.is_some());
}

#[tokio::test]
async fn every_format_with_every_compression() {
    let server = TestServer::start().await;
    let db = server.dynamodb().await;
    bucket(&server, "src-bucket").await;
    let formats = [
        (
            InputFormat::DynamodbJson,
            "json",
            ferry_formats::generator::json_lines(0..300),
        ),
        (
            InputFormat::Csv,
            "csv",
            ferry_formats::generator::csv(0..300),
        ),
        (
            InputFormat::Ion,
            "ion",
            ferry_formats::generator::ion_lines(0..300),
        ),
    ];
    let compressions = [
        (InputCompressionType::None, "none"),
        (InputCompressionType::Gzip, "gzip"),
        (InputCompressionType::Zstd, "zstd"),
    ];
    for (format, fname, data) in &formats {
        for (compression, cname) in &compressions {
            let body = match compression {
                InputCompressionType::Gzip => gzip(data),
                InputCompressionType::Zstd => zstd(data),
                _ => data.clone(),
            };
            // The object name carries no extension on purpose: the declared
            // compression wins.
            let prefix = format!("matrix/{fname}-{cname}/");
            put(&server, "src-bucket", &format!("{prefix}object"), body).await;
            let table = format!("Matrix-{fname}-{cname}");
            let started = start(
                &db,
                source("src-bucket", &prefix),
                format.clone(),
                Some(compression.clone()),
                None,
                params(
                    &table,
                    ("pk", ScalarAttributeType::S),
                    Some(("sk", ScalarAttributeType::S)),
                ),
            )
            .await;
            let done = wait(&db, started.import_arn().unwrap()).await;
            assert_eq!(
                done.import_status(),
                Some(&ImportStatus::Completed),
                "{fname}/{cname}: {done:?}"
            );
            assert_eq!(
                (
                    done.processed_item_count(),
                    done.imported_item_count(),
                    done.error_count(),
                    done.processed_size_bytes()
                ),
                (300, 300, 0, Some(data.len() as i64)),
                "{fname}/{cname}"
            );
            let got = db
                .get_item()
                .table_name(&table)
                .key("pk", s(&format!("customer#{:016x}", mix(42))))
                .key("sk", s("order#0000000042"))
                .send()
                .await
                .unwrap()
                .item
                .unwrap_or_else(|| panic!("{fname}/{cname}: item 42 missing"));
            let ferry_model::AttributeValue::S(status) =
                &ferry_formats::generator::item(42)["status"]
            else {
                panic!("generated status is a string")
            };
            assert_eq!(got["status"], s(status), "{fname}/{cname}");
        }
    }
}

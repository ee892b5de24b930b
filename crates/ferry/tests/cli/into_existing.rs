//! `ferry import --into-existing` (Ferry's `FerryIntoExistingTable`
//! extension): items are upserted into a live table while clients write to
//! it, online and offline; the refusals change nothing.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TableStatus,
};

use crate::common::{Served, ferry, json, path, s, stderr};

/// Table `Live` (pk:S, GSI `ByColour` on colour:S) with `old` items.
async fn create(served: &Served) {
    let attr = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .unwrap()
    };
    let hash = |name: &str| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(KeyType::Hash)
            .build()
            .unwrap()
    };
    served
        .client
        .create_table()
        .table_name("Live")
        .attribute_definitions(attr("pk"))
        .attribute_definitions(attr("colour"))
        .key_schema(hash("pk"))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("ByColour")
                .key_schema(hash("colour"))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    for i in 0..5 {
        put(served, &format!("k{i}"), "old").await;
    }
}

async fn put(served: &Served, pk: &str, colour: &str) {
    served
        .client
        .put_item()
        .table_name("Live")
        .item("pk", s(pk))
        .item("colour", s(colour))
        .send()
        .await
        .unwrap();
}

/// `count` DynamoDB JSON lines `k<i>` with colour `colour`.
fn source(dir: &std::path::Path, name: &str, count: usize, colour: &str) -> std::path::PathBuf {
    let file = dir.join(name);
    let lines: String = (0..count)
        .map(|i| {
            format!(
                "{{\"Item\":{{\"pk\":{{\"S\":\"k{i}\"}},\"colour\":{{\"S\":\"{colour}\"}}}}}}\n"
            )
        })
        .collect();
    std::fs::write(&file, lines).unwrap();
    file
}

async fn by_colour(served: &Served, colour: &str) -> usize {
    let page = served
        .client
        .query()
        .table_name("Live")
        .index_name("ByColour")
        .key_condition_expression("colour = :c")
        .expression_attribute_values(":c", s(colour))
        .send()
        .await
        .unwrap();
    page.items().len()
}

#[tokio::test(flavor = "multi_thread")]
async fn upserts_into_a_live_table_online_and_offline() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let served = Served::open(&data).await;
    create(&served).await;
    let src = source(dir.path(), "items.json", 300, "imported");
    let url = served.url();

    // Clients keep writing their own items while the import runs.
    let writer = {
        let client = served.client.clone();
        tokio::spawn(async move {
            for i in 0..100 {
                client
                    .put_item()
                    .table_name("Live")
                    .item("pk", s(&format!("client{i}")))
                    .item("colour", s("client"))
                    .send()
                    .await
                    .unwrap();
            }
        })
    };
    let out = tokio::task::spawn_blocking(move || {
        ferry(&[
            "import",
            path(&src),
            "--endpoint-url",
            &url,
            "--table-name",
            "Live",
            "--into-existing",
            "--json",
        ])
    })
    .await
    .unwrap();
    writer.await.unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let d = json(&out);
    assert_eq!(d["ImportStatus"], "COMPLETED");
    assert_eq!(d["ImportedItemCount"], 300);
    assert_eq!(d["TableCreationParameters"]["TableName"], "Live");

    let t = served
        .client
        .describe_table()
        .table_name("Live")
        .send()
        .await
        .unwrap();
    assert_eq!(
        t.table().unwrap().table_status(),
        Some(&TableStatus::Active)
    );
    // k0..k4 were overwritten, the clients' items are all there, and the
    // index sees the imported items.
    assert_eq!(served.scan("Live").await.len(), 400);
    assert_eq!(by_colour(&served, "imported").await, 300);
    assert_eq!(by_colour(&served, "client").await, 100);
    assert_eq!(by_colour(&served, "old").await, 0);
    served.stop().await;

    // Offline, with the key given explicitly.
    let src = source(dir.path(), "more.json", 10, "offline");
    let out = ferry(&[
        "import",
        path(&src),
        "--data-dir",
        path(&data),
        "--table-name",
        "Live",
        "--key",
        "pk:S",
        "--into-existing",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["ImportedItemCount"], 10);
    let served = Served::open(&data).await;
    assert_eq!(served.scan("Live").await.len(), 400);
    assert_eq!(by_colour(&served, "offline").await, 10);
    served.stop().await;
}

/// A missing table, another key schema, no --table-name: refused (exit 2)
/// before anything is written; without the flag an existing table is still
/// DynamoDB's ResourceInUseException.
#[tokio::test(flavor = "multi_thread")]
async fn refusals_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let served = Served::open(&data).await;
    create(&served).await;
    let src = source(dir.path(), "items.json", 3, "imported");
    let url = served.url();
    let base = ["import", path(&src), "--endpoint-url", &url];
    let cases: [(&[&str], &str); 4] = [
        (
            &["--table-name", "Nope", "--into-existing"],
            "error: ResourceNotFoundException: Requested resource not found: Table: Nope not found",
        ),
        (
            &["--table-name", "Live", "--key", "id:S", "--into-existing"],
            "error: ValidationException: One or more parameter values were invalid: the key schema of TableCreationParameters does not match the key schema of table Live",
        ),
        (
            &["--into-existing"],
            "error: --into-existing needs --table-name",
        ),
        (
            &["--table-name", "Live", "--key", "pk:S"],
            "error: ResourceInUseException: Table already exists: Live",
        ),
    ];
    for (extra, message) in cases {
        let out = ferry(&[&base[..], extra].concat());
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(message),
            "{extra:?}: {}",
            stderr(&out)
        );
    }
    let imports = served.client.list_imports().send().await.unwrap();
    assert!(imports.import_summary_list().is_empty());
    assert_eq!(by_colour(&served, "old").await, 5);
    assert_eq!(served.scan("Live").await.len(), 5);
    served.stop().await;
}

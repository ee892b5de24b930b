//! SDK tests: the control plane (CreateTable, DescribeTable, ListTables,
//! DeleteTable, UpdateTable); the wire framing is in `wire.rs`.

use aws_sdk_dynamodb::types::{
    BillingMode, CreateGlobalSecondaryIndexAction, DeleteGlobalSecondaryIndexAction,
    GlobalSecondaryIndex, GlobalSecondaryIndexUpdate, IndexStatus, KeyType, LocalSecondaryIndex,
    Projection, ProjectionType, ProvisionedThroughput, ScalarAttributeType, StreamSpecification,
    StreamViewType, TableStatus, Tag,
};

use crate::common::*;

fn throughput(r: i64, w: i64) -> ProvisionedThroughput {
    ProvisionedThroughput::builder()
        .read_capacity_units(r)
        .write_capacity_units(w)
        .build()
        .unwrap()
}

fn projection(ty: ProjectionType, non_key: &[&str]) -> Projection {
    let mut p = Projection::builder().projection_type(ty);
    for a in non_key {
        p = p.non_key_attributes(*a);
    }
    p.build()
}

#[tokio::test]
async fn create_and_describe_with_indexes() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let out = client
        .create_table()
        .table_name("orders")
        .attribute_definitions(attr_def("pk", ScalarAttributeType::S))
        .attribute_definitions(attr_def("sk", ScalarAttributeType::N))
        .attribute_definitions(attr_def("gpk", ScalarAttributeType::S))
        .attribute_definitions(attr_def("lsk", ScalarAttributeType::B))
        .key_schema(key_element("pk", KeyType::Hash))
        .key_schema(key_element("sk", KeyType::Range))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("by-gpk")
                .key_schema(key_element("gpk", KeyType::Hash))
                .key_schema(key_element("sk", KeyType::Range))
                .projection(projection(ProjectionType::Include, &["total"]))
                .provisioned_throughput(throughput(3, 4))
                .build()
                .unwrap(),
        )
        .local_secondary_indexes(
            LocalSecondaryIndex::builder()
                .index_name("by-lsk")
                .key_schema(key_element("pk", KeyType::Hash))
                .key_schema(key_element("lsk", KeyType::Range))
                .projection(projection(ProjectionType::KeysOnly, &[]))
                .build()
                .unwrap(),
        )
        .provisioned_throughput(throughput(5, 6))
        .tags(Tag::builder().key("team").value("ferry").build().unwrap())
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let created = out.table_description().unwrap();
    assert_eq!(created.table_status(), Some(&TableStatus::Active));
    assert_eq!(
        created.table_arn(),
        Some("arn:aws:dynamodb:us-east-1:000000000000:table/orders")
    );

    let t = client
        .describe_table()
        .table_name("orders")
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(t.table_name(), Some("orders"));
    assert_eq!(t.table_status(), Some(&TableStatus::Active));
    assert_eq!(t.item_count(), Some(0));
    assert_eq!(t.table_size_bytes(), Some(0));
    let id = t.table_id().unwrap();
    assert_eq!(id.len(), 36, "uuid: {id}");
    assert_eq!(id, created.table_id().unwrap());
    let created_at = t.creation_date_time().unwrap().as_secs_f64();
    assert!(
        created_at >= before - 1.0 && created_at <= before + 60.0,
        "{created_at} vs {before}"
    );
    let defs: Vec<(&str, &str)> = t
        .attribute_definitions()
        .iter()
        .map(|d| (d.attribute_name(), d.attribute_type().as_str()))
        .collect();
    assert_eq!(
        defs,
        vec![("pk", "S"), ("sk", "N"), ("gpk", "S"), ("lsk", "B")]
    );
    let keys: Vec<(&str, &str)> = t
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name(), k.key_type().as_str()))
        .collect();
    assert_eq!(keys, vec![("pk", "HASH"), ("sk", "RANGE")]);
    let pt = t.provisioned_throughput().unwrap();
    assert_eq!(
        (pt.read_capacity_units(), pt.write_capacity_units()),
        (Some(5), Some(6))
    );
    assert_eq!(pt.number_of_decreases_today(), Some(0));
    assert!(t.billing_mode_summary().is_none());
    assert_eq!(t.deletion_protection_enabled(), Some(false));
    let spec = t.stream_specification().unwrap();
    assert_eq!(
        spec.stream_view_type(),
        Some(&StreamViewType::NewAndOldImages)
    );
    let label = t.latest_stream_label().unwrap();
    assert_eq!(label.len(), 23, "{label}");
    assert_eq!(
        t.latest_stream_arn().unwrap(),
        format!("arn:aws:dynamodb:us-east-1:000000000000:table/orders/stream/{label}")
    );

    let gsi = &t.global_secondary_indexes()[0];
    assert_eq!(gsi.index_name(), Some("by-gpk"));
    assert_eq!(gsi.index_status(), Some(&IndexStatus::Active));
    assert_eq!(
        gsi.index_arn(),
        Some("arn:aws:dynamodb:us-east-1:000000000000:table/orders/index/by-gpk")
    );
    assert_eq!(
        gsi.projection().unwrap().projection_type(),
        Some(&ProjectionType::Include)
    );
    assert_eq!(
        gsi.projection().unwrap().non_key_attributes(),
        &["total".to_string()]
    );
    let gpt = gsi.provisioned_throughput().unwrap();
    assert_eq!(
        (gpt.read_capacity_units(), gpt.write_capacity_units()),
        (Some(3), Some(4))
    );
    assert_eq!(gsi.item_count(), Some(0));
    let lsi = &t.local_secondary_indexes()[0];
    assert_eq!(lsi.index_name(), Some("by-lsk"));
    assert_eq!(
        lsi.index_arn(),
        Some("arn:aws:dynamodb:us-east-1:000000000000:table/orders/index/by-lsk")
    );
    assert_eq!(
        lsi.projection().unwrap().projection_type(),
        Some(&ProjectionType::KeysOnly)
    );
    server.stop().await;
}

#[tokio::test]
async fn pay_per_request_and_item_counts() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(&client, "ondemand", ("id", ScalarAttributeType::S), None).await;
    for i in 0..3 {
        client
            .put_item()
            .table_name("ondemand")
            .item("id", s(&format!("k{i}")))
            .item("v", s("xyz"))
            .send()
            .await
            .unwrap();
    }
    let t = client
        .describe_table()
        .table_name("ondemand")
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(
        t.billing_mode_summary().unwrap().billing_mode(),
        Some(&BillingMode::PayPerRequest)
    );
    assert!(
        t.billing_mode_summary()
            .unwrap()
            .last_update_to_pay_per_request_date_time()
            .is_some()
    );
    let pt = t.provisioned_throughput().unwrap();
    assert_eq!(
        (pt.read_capacity_units(), pt.write_capacity_units()),
        (Some(0), Some(0))
    );
    assert_eq!(t.item_count(), Some(3));
    assert!(t.table_size_bytes().unwrap() > 0);
    server.stop().await;
}

#[tokio::test]
async fn create_table_validation_messages() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(&client, "taken", ("id", ScalarAttributeType::S), None).await;
    let base = || {
        client
            .create_table()
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attr_def("id", ScalarAttributeType::S))
            .key_schema(key_element("id", KeyType::Hash))
    };

    let (code, msg) = failure(base().table_name("taken").send().await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("ResourceInUseException", "Table already exists: taken")
    );

    assert_validation(
        base().table_name("ab").send().await,
        "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3",
    );
    assert_validation(
        base().table_name("bad name!").send().await,
        "1 validation error detected: Value 'bad name!' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
    );
    assert_validation(
        client
            .create_table()
            .table_name("t1x")
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attr_def("y", ScalarAttributeType::S))
            .key_schema(key_element("x", KeyType::Hash))
            .send()
            .await,
        "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [x], AttributeDefinitions: [y]",
    );
    assert_validation(
        base()
            .table_name("t2x")
            .attribute_definitions(attr_def("other", ScalarAttributeType::N))
            .send()
            .await,
        "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
    );
    assert_validation(
        base()
            .table_name("t3x")
            .provisioned_throughput(throughput(1, 1))
            .send()
            .await,
        "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
    );
    assert_validation(
        client
            .create_table()
            .table_name("t4x")
            .attribute_definitions(attr_def("id", ScalarAttributeType::S))
            .key_schema(key_element("id", KeyType::Hash))
            .send()
            .await,
        "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
    );
    assert_validation(
        client
            .create_table()
            .table_name("t5x")
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attr_def("id", ScalarAttributeType::S))
            .key_schema(key_element("id", KeyType::Range))
            .send()
            .await,
        "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
    );
    let lsi = |name: &str| {
        LocalSecondaryIndex::builder()
            .index_name(name)
            .key_schema(key_element("id", KeyType::Hash))
            .key_schema(key_element("l", KeyType::Range))
            .projection(projection(ProjectionType::All, &[]))
            .build()
            .unwrap()
    };
    assert_validation(
        base()
            .table_name("t6x")
            .attribute_definitions(attr_def("l", ScalarAttributeType::S))
            .local_secondary_indexes(lsi("lsi1"))
            .send()
            .await,
        "One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex",
    );
    let gsi = |name: &str| {
        GlobalSecondaryIndex::builder()
            .index_name(name)
            .key_schema(key_element("g", KeyType::Hash))
            .projection(projection(ProjectionType::KeysOnly, &[]))
            .build()
            .unwrap()
    };
    assert_validation(
        base()
            .table_name("t7x")
            .attribute_definitions(attr_def("g", ScalarAttributeType::S))
            .global_secondary_indexes(gsi("dup"))
            .global_secondary_indexes(gsi("dup"))
            .send()
            .await,
        "One or more parameter values were invalid: Duplicate index name: dup",
    );
    let mut many = base()
        .table_name("t8x")
        .attribute_definitions(attr_def("g", ScalarAttributeType::S));
    for i in 0..21 {
        many = many.global_secondary_indexes(gsi(&format!("gsi{i:02}")));
    }
    assert_validation(
        many.send().await,
        "One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the per-table limit of 20",
    );
    let mut lsis = client
        .create_table()
        .table_name("t9x")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr_def("id", ScalarAttributeType::S))
        .attribute_definitions(attr_def("r", ScalarAttributeType::S))
        .attribute_definitions(attr_def("l", ScalarAttributeType::S))
        .key_schema(key_element("id", KeyType::Hash))
        .key_schema(key_element("r", KeyType::Range));
    for i in 0..6 {
        lsis = lsis.local_secondary_indexes(lsi(&format!("lsi{i}")));
    }
    assert_validation(
        lsis.send().await,
        "One or more parameter values were invalid: Number of LocalSecondaryIndexes exceeds per-table limit of 5",
    );
    assert_validation(
        client
            .create_table()
            .table_name("t10")
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attr_def("id", ScalarAttributeType::S))
            .attribute_definitions(attr_def("r", ScalarAttributeType::S))
            .attribute_definitions(attr_def("l", ScalarAttributeType::S))
            .key_schema(key_element("id", KeyType::Hash))
            .key_schema(key_element("r", KeyType::Range))
            .local_secondary_indexes(
                LocalSecondaryIndex::builder()
                    .index_name("wrong-hash")
                    .key_schema(key_element("l", KeyType::Hash))
                    .key_schema(key_element("r", KeyType::Range))
                    .projection(projection(ProjectionType::All, &[]))
                    .build()
                    .unwrap(),
            )
            .send()
            .await,
        "One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: wrong-hash. index hash key: l, table hash key: id",
    );
    server.stop().await;
}

#[tokio::test]
async fn describe_and_delete_missing_tables() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    let err = client
        .describe_table()
        .table_name("nope")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception());
    assert_eq!(
        err.message(),
        Some("Requested resource not found: Table: nope not found")
    );
    let err = client
        .delete_table()
        .table_name("nope")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception());
    assert_eq!(
        err.message(),
        Some("Requested resource not found: Table: nope not found")
    );
    server.stop().await;
}

#[tokio::test]
async fn list_tables_pages() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    for name in ["t-c", "t-a", "t-e", "t-b", "t-d"] {
        create_table(&client, name, ("id", ScalarAttributeType::S), None).await;
    }
    let all = client.list_tables().send().await.unwrap();
    assert_eq!(all.table_names(), &["t-a", "t-b", "t-c", "t-d", "t-e"]);
    assert_eq!(all.last_evaluated_table_name(), None);

    let p1 = client.list_tables().limit(2).send().await.unwrap();
    assert_eq!(p1.table_names(), &["t-a", "t-b"]);
    assert_eq!(p1.last_evaluated_table_name(), Some("t-b"));
    let p2 = client
        .list_tables()
        .limit(2)
        .exclusive_start_table_name("t-b")
        .send()
        .await
        .unwrap();
    assert_eq!(p2.table_names(), &["t-c", "t-d"]);
    let p3 = client
        .list_tables()
        .limit(2)
        .exclusive_start_table_name("t-d")
        .send()
        .await
        .unwrap();
    assert_eq!(p3.table_names(), &["t-e"]);
    assert_eq!(p3.last_evaluated_table_name(), None);

    assert_validation(
        client.list_tables().limit(0).send().await,
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    assert_validation(
        client.list_tables().limit(101).send().await,
        "1 validation error detected: Value '101' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100",
    );
    server.stop().await;
}

#[tokio::test]
async fn delete_table_answers_deleting() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(&client, "doomed", ("id", ScalarAttributeType::S), None).await;
    client
        .put_item()
        .table_name("doomed")
        .item("id", s("a"))
        .send()
        .await
        .unwrap();
    let out = client
        .delete_table()
        .table_name("doomed")
        .send()
        .await
        .unwrap();
    let d = out.table_description().unwrap();
    assert_eq!(d.table_status(), Some(&TableStatus::Deleting));
    assert_eq!(d.table_name(), Some("doomed"));
    let err = client
        .describe_table()
        .table_name("doomed")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception());
    let err = client
        .get_item()
        .table_name("doomed")
        .key("id", s("a"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception());
    assert_eq!(err.message(), Some("Requested resource not found"));
    // The name is free again, and the new table is empty.
    create_table(&client, "doomed", ("id", ScalarAttributeType::S), None).await;
    let got = client
        .get_item()
        .table_name("doomed")
        .key("id", s("a"))
        .send()
        .await
        .unwrap();
    assert!(got.item().is_none());
    server.stop().await;
}

#[tokio::test]
async fn update_table_throughput_and_billing() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    client
        .create_table()
        .table_name("prov")
        .attribute_definitions(attr_def("id", ScalarAttributeType::S))
        .key_schema(key_element("id", KeyType::Hash))
        .provisioned_throughput(throughput(5, 5))
        .send()
        .await
        .unwrap();
    let out = client
        .update_table()
        .table_name("prov")
        .provisioned_throughput(throughput(10, 2))
        .send()
        .await
        .unwrap();
    let pt = out
        .table_description()
        .unwrap()
        .provisioned_throughput()
        .unwrap();
    assert_eq!(
        (pt.read_capacity_units(), pt.write_capacity_units()),
        (Some(10), Some(2))
    );
    assert_eq!(pt.number_of_decreases_today(), Some(1));
    assert!(pt.last_increase_date_time().is_some());
    assert!(pt.last_decrease_date_time().is_some());

    assert_validation(
        client
            .update_table()
            .table_name("prov")
            .provisioned_throughput(throughput(10, 2))
            .send()
            .await,
        "The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: 10. Requested ReadCapacityUnits: 10. Current WriteCapacityUnits provisioned for the table: 2. Requested WriteCapacityUnits: 2. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.",
    );
    assert_validation(
        client.update_table().table_name("prov").send().await,
        "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required",
    );

    let out = client
        .update_table()
        .table_name("prov")
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    let d = out.table_description().unwrap();
    assert_eq!(
        d.billing_mode_summary().unwrap().billing_mode(),
        Some(&BillingMode::PayPerRequest)
    );
    let d = client
        .describe_table()
        .table_name("prov")
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(
        d.billing_mode_summary().unwrap().billing_mode(),
        Some(&BillingMode::PayPerRequest)
    );
    assert_eq!(
        d.provisioned_throughput().unwrap().read_capacity_units(),
        Some(0)
    );
    let err = client
        .update_table()
        .table_name("gone")
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await;
    let (code, msg) = failure(err);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "ResourceNotFoundException",
            "Requested resource not found: Table: gone not found"
        )
    );
    server.stop().await;
}

#[tokio::test]
async fn update_table_creates_gsi_with_backfill_and_deletes_it() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(&client, "people", ("id", ScalarAttributeType::S), None).await;
    for (id, city) in [
        ("1", Some("paris")),
        ("2", Some("oslo")),
        ("3", Some("paris")),
        ("4", None),
    ] {
        let mut req = client
            .put_item()
            .table_name("people")
            .item("id", s(id))
            .item("name", s(&format!("n{id}")));
        if let Some(c) = city {
            req = req.item("city", s(c));
        }
        req.send().await.unwrap();
    }
    let out = client
        .update_table()
        .table_name("people")
        .attribute_definitions(attr_def("city", ScalarAttributeType::S))
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder()
                .create(
                    CreateGlobalSecondaryIndexAction::builder()
                        .index_name("by-city")
                        .key_schema(key_element("city", KeyType::Hash))
                        .projection(projection(ProjectionType::All, &[]))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let d = out.table_description().unwrap();
    assert_eq!(
        d.global_secondary_indexes()[0].index_name(),
        Some("by-city")
    );
    let defs: Vec<&str> = d
        .attribute_definitions()
        .iter()
        .map(|a| a.attribute_name())
        .collect();
    assert_eq!(defs, vec!["id", "city"]);
    crate::indexes::wait_active(&client, "people", "by-city").await;

    let q = client
        .query()
        .table_name("people")
        .index_name("by-city")
        .key_condition_expression("city = :c")
        .expression_attribute_values(":c", s("paris"))
        .send()
        .await
        .unwrap();
    let mut ids: Vec<String> = q
        .items()
        .iter()
        .map(|i| i["id"].as_s().unwrap().clone())
        .collect();
    ids.sort();
    assert_eq!(ids, vec!["1", "3"]);
    // New writes maintain the backfilled index.
    client
        .put_item()
        .table_name("people")
        .item("id", s("5"))
        .item("city", s("oslo"))
        .send()
        .await
        .unwrap();
    let q = client
        .query()
        .table_name("people")
        .index_name("by-city")
        .key_condition_expression("city = :c")
        .expression_attribute_values(":c", s("oslo"))
        .send()
        .await
        .unwrap();
    assert_eq!(q.count(), 2);
    let d = client
        .describe_table()
        .table_name("people")
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(d.item_count(), Some(5));
    assert_eq!(d.global_secondary_indexes()[0].item_count(), Some(4));
    assert!(d.global_secondary_indexes()[0].index_size_bytes().unwrap() > 0);

    let out = client
        .update_table()
        .table_name("people")
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder()
                .delete(
                    DeleteGlobalSecondaryIndexAction::builder()
                        .index_name("by-city")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(
        out.table_description()
            .unwrap()
            .global_secondary_indexes()
            .is_empty()
    );
    assert_validation(
        client
            .query()
            .table_name("people")
            .index_name("by-city")
            .key_condition_expression("city = :c")
            .expression_attribute_values(":c", s("oslo"))
            .send()
            .await,
        "The table does not have the specified index: by-city",
    );
    server.stop().await;
}

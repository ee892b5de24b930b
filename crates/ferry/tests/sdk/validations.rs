//! Validations DynamoDB performs on requests that are otherwise well formed
//! (issue 11 item 3): duplicated attribute definitions, CreateTable's table
//! name constraint, document paths deeper than 32 levels, list indexes out of
//! range, a parallel scan's start key outside its segment, disabling TTL
//! under another attribute name, a NonKeyAttributes name listed twice, an
//! UpdateTable that redefines a key attribute's type, and `list_append` nested
//! in `list_append`.
//! Each refusal is checked word for word and leaves the tables as they were.

use aws_sdk_dynamodb::types::{
    BillingMode, GlobalSecondaryIndex, GlobalSecondaryIndexUpdate, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification, TimeToLiveStatus,
};

use crate::common::*;

async fn table_names(client: &aws_sdk_dynamodb::Client) -> Vec<String> {
    client
        .list_tables()
        .send()
        .await
        .expect("list tables")
        .table_names
        .unwrap_or_default()
}

#[tokio::test]
async fn an_attribute_defined_twice_is_refused() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    for second in [ScalarAttributeType::N, ScalarAttributeType::S] {
        let r = client
            .create_table()
            .table_name("dups")
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attr_def("xyz", ScalarAttributeType::S))
            .attribute_definitions(attr_def("xyz", second))
            .key_schema(key_element("xyz", KeyType::Hash))
            .send()
            .await;
        assert_validation(r, "Attribute Name is duplicated: xyz");
    }
    assert!(table_names(&client).await.is_empty());

    // UpdateTable: the same rule for the definitions it is given.
    create_table(&client, "base", ("pk", ScalarAttributeType::S), None).await;
    let gsi = GlobalSecondaryIndexUpdate::builder()
        .create(
            aws_sdk_dynamodb::types::CreateGlobalSecondaryIndexAction::builder()
                .index_name("by_x")
                .key_schema(key_element("x", KeyType::Hash))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .build();
    let r = client
        .update_table()
        .table_name("base")
        .attribute_definitions(attr_def("x", ScalarAttributeType::S))
        .attribute_definitions(attr_def("x", ScalarAttributeType::N))
        .global_secondary_index_updates(gsi)
        .send()
        .await;
    assert_validation(r, "Attribute Name is duplicated: x");
    let table = client
        .describe_table()
        .table_name("base")
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert!(table.global_secondary_indexes.is_none());
    assert_eq!(table.attribute_definitions.unwrap().len(), 1);
}

#[tokio::test]
async fn an_index_key_without_a_definition_is_refused() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    let r = client
        .create_table()
        .table_name("gsis")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr_def("pk", ScalarAttributeType::S))
        .key_schema(key_element("pk", KeyType::Hash))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("by_x")
                .key_schema(key_element("x", KeyType::Hash))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await;
    assert_validation(
        r,
        "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [x], AttributeDefinitions: [pk]",
    );
    assert!(table_names(&client).await.is_empty());
}

#[tokio::test]
async fn create_table_reports_a_short_name_as_a_constraint() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    let base = || {
        client
            .create_table()
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attr_def("id", ScalarAttributeType::S))
            .key_schema(key_element("id", KeyType::Hash))
    };
    assert_validation(
        base().table_name("ab").send().await,
        "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3",
    );
    // Several problems: all reported, in DynamoDB's order (pattern first).
    assert_validation(
        base().table_name("a;").send().await,
        "2 validation errors detected: Value 'a;' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; Value 'a;' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3",
    );
    assert!(table_names(&client).await.is_empty());
}

#[tokio::test]
async fn document_paths_deeper_than_32_levels_are_refused() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(&client, "deep", ("pk", ScalarAttributeType::S), None).await;
    client
        .put_item()
        .table_name("deep")
        .set_item(Some(item(&[("pk", s("k")), ("a", s("v"))])))
        .send()
        .await
        .unwrap();
    let deep = |levels: usize| format!("a{}", ".b".repeat(levels - 1));
    // 32 levels (the attribute is level 1) are accepted.
    client
        .get_item()
        .table_name("deep")
        .key("pk", s("k"))
        .projection_expression(deep(32))
        .send()
        .await
        .expect("32 levels");
    let r = client
        .get_item()
        .table_name("deep")
        .key("pk", s("k"))
        .projection_expression(deep(33))
        .send()
        .await;
    assert_validation(
        r,
        "Invalid ProjectionExpression: The document path has too many nesting levels; nesting levels: 33",
    );
    // Any document path: an update's target too, and nothing is written.
    let r = client
        .update_item()
        .table_name("deep")
        .key("pk", s("k"))
        .update_expression(format!("SET {} = :v", deep(33)))
        .expression_attribute_values(":v", s("w"))
        .send()
        .await;
    assert_validation(
        r,
        "Invalid UpdateExpression: The document path has too many nesting levels; nesting levels: 33",
    );
    let got = client
        .get_item()
        .table_name("deep")
        .key("pk", s("k"))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(got, item(&[("pk", s("k")), ("a", s("v"))]));
}

#[tokio::test]
async fn a_list_index_beyond_the_allowed_range_is_refused() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(&client, "lists", ("pk", ScalarAttributeType::S), None).await;
    let r = client
        .get_item()
        .table_name("lists")
        .key("pk", s("k"))
        .projection_expression("a[99999999999999]")
        .send()
        .await;
    assert_validation(
        r,
        "Invalid ProjectionExpression: List index is not within the allowable range; index: [99999999999999]",
    );
    let r = client
        .delete_item()
        .table_name("lists")
        .key("pk", s("k"))
        .condition_expression("attribute_exists(a[99999999999999])")
        .send()
        .await;
    assert_validation(
        r,
        "Invalid ConditionExpression: List index is not within the allowable range; index: [99999999999999]",
    );
}

#[tokio::test]
async fn a_parallel_scan_start_key_must_be_in_its_segment() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(&client, "segs", ("pk", ScalarAttributeType::S), None).await;
    for i in 0..20 {
        client
            .put_item()
            .table_name("segs")
            .set_item(Some(item(&[("pk", s(&format!("k{i}")))])))
            .send()
            .await
            .unwrap();
    }
    // A key of segment 1 (of 2): the first item a scan of that segment gives.
    let in_one = client
        .scan()
        .table_name("segs")
        .segment(1)
        .total_segments(2)
        .limit(1)
        .send()
        .await
        .unwrap()
        .items
        .unwrap()
        .into_iter()
        .next()
        .expect("segment 1 holds an item of 20");
    let r = client
        .scan()
        .table_name("segs")
        .segment(0)
        .total_segments(2)
        .set_exclusive_start_key(Some(in_one.clone()))
        .send()
        .await;
    assert_validation(
        r,
        "The provided starting key is invalid: Invalid ExclusiveStartKey. Please use ExclusiveStartKey with correct Segment. TotalSegments: 2 Segment: 0",
    );
    // In its own segment the key is a valid place to go on from.
    client
        .scan()
        .table_name("segs")
        .segment(1)
        .total_segments(2)
        .set_exclusive_start_key(Some(in_one))
        .send()
        .await
        .expect("the key's own segment");
}

#[tokio::test]
async fn disabling_ttl_must_name_the_enabled_attribute() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(&client, "ttl", ("pk", ScalarAttributeType::S), None).await;
    let spec = |name: &str, enabled: bool| {
        TimeToLiveSpecification::builder()
            .attribute_name(name)
            .enabled(enabled)
            .build()
            .unwrap()
    };
    client
        .update_time_to_live()
        .table_name("ttl")
        .time_to_live_specification(spec("expires", true))
        .send()
        .await
        .unwrap();
    let r = client
        .update_time_to_live()
        .table_name("ttl")
        .time_to_live_specification(spec("other", false))
        .send()
        .await;
    assert_validation(
        r,
        "TimeToLive is active on a different AttributeName: current value of AttributeName is expires",
    );
    let d = client
        .describe_time_to_live()
        .table_name("ttl")
        .send()
        .await
        .unwrap()
        .time_to_live_description
        .unwrap();
    assert_eq!(d.time_to_live_status, Some(TimeToLiveStatus::Enabled));
    assert_eq!(d.attribute_name.as_deref(), Some("expires"));
    client
        .update_time_to_live()
        .table_name("ttl")
        .time_to_live_specification(spec("expires", false))
        .send()
        .await
        .expect("disabling under the enabled name");
}

#[tokio::test]
async fn a_non_key_attribute_listed_twice_is_refused() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    let r = client
        .create_table()
        .table_name("include")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr_def("pk", ScalarAttributeType::S))
        .attribute_definitions(attr_def("x", ScalarAttributeType::S))
        .key_schema(key_element("pk", KeyType::Hash))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("by_x")
                .key_schema(key_element("x", KeyType::Hash))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::Include)
                        .non_key_attributes("a")
                        .non_key_attributes("a")
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await;
    assert_validation(r, "Cannot have two attributes with the same name");
    assert!(table_names(&client).await.is_empty());
}

fn gsi_create(name: &str, keys: &[(&str, KeyType)]) -> GlobalSecondaryIndexUpdate {
    let mut action = aws_sdk_dynamodb::types::CreateGlobalSecondaryIndexAction::builder()
        .index_name(name)
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        );
    for (attr, kt) in keys {
        action = action.key_schema(key_element(attr, kt.clone()));
    }
    GlobalSecondaryIndexUpdate::builder()
        .create(action.build().unwrap())
        .build()
}

/// UpdateTable cannot give an attribute a key of the table already uses
/// another type (the text ScyllaDB's Alternator tests record from DynamoDB).
#[tokio::test]
async fn update_table_cannot_redefine_an_attribute_type() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    client
        .create_table()
        .table_name("redef")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr_def("p", ScalarAttributeType::S))
        .attribute_definitions(attr_def("xyz", ScalarAttributeType::S))
        .key_schema(key_element("p", KeyType::Hash))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("index1")
                .key_schema(key_element("xyz", KeyType::Hash))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let before = client
        .describe_table()
        .table_name("redef")
        .send()
        .await
        .unwrap()
        .table
        .unwrap();

    let r = client
        .update_table()
        .table_name("redef")
        .attribute_definitions(attr_def("xyz", ScalarAttributeType::N))
        .global_secondary_index_updates(gsi_create("index2", &[("xyz", KeyType::Hash)]))
        .send()
        .await;
    assert_validation(
        r,
        "One or more parameter values were invalid: Attributes cannot be redefined. Please check that your attribute has the same type as previously defined. Existing schema: Schema:[SchemaElement: key{xyz:S:HASH}] New schema: Schema:[SchemaElement: key{xyz:N:HASH}]",
    );

    // The table's own key, used as an index's sort key with another type.
    let r = client
        .update_table()
        .table_name("redef")
        .attribute_definitions(attr_def("y", ScalarAttributeType::S))
        .attribute_definitions(attr_def("p", ScalarAttributeType::B))
        .global_secondary_index_updates(gsi_create(
            "index3",
            &[("y", KeyType::Hash), ("p", KeyType::Range)],
        ))
        .send()
        .await;
    assert_validation(
        r,
        "One or more parameter values were invalid: Attributes cannot be redefined. Please check that your attribute has the same type as previously defined. Existing schema: Schema:[SchemaElement: key{p:S:HASH}] New schema: Schema:[SchemaElement: key{y:S:HASH}, SchemaElement: key{p:B:RANGE}]",
    );

    let after = client
        .describe_table()
        .table_name("redef")
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(after.attribute_definitions, before.attribute_definitions);
    assert_eq!(after.global_secondary_indexes().len(), 1);
}

/// `list_append` nested in `list_append` is refused as DynamoDB refuses it
/// (ScyllaDB's Alternator tests record the message); `if_not_exists` inside
/// `list_append` stays allowed.
#[tokio::test]
async fn list_append_cannot_nest_list_append() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(&client, "appends", ("id", ScalarAttributeType::S), None).await;
    let list = |v: &str| AttributeValue::L(vec![s(v)]);
    client
        .put_item()
        .table_name("appends")
        .set_item(Some(item(&[("id", s("a")), ("l", list("x"))])))
        .send()
        .await
        .unwrap();
    for expr in [
        "SET l = list_append(list_append(:a, :b), :c)",
        "SET l = list_append(:a, list_append(l, :c))",
        "SET l = list_append(list_append(list_append(:a, :b), :c), :a)",
    ] {
        let mut update = client
            .update_item()
            .table_name("appends")
            .key("id", s("a"))
            .update_expression(expr)
            .expression_attribute_values(":a", list("a"))
            .expression_attribute_values(":c", list("c"));
        if expr.contains(":b") {
            update = update.expression_attribute_values(":b", list("b"));
        }
        assert_validation(
            update.send().await,
            "Invalid UpdateExpression: The function is not allowed to be used this way in an expression; function: list_append",
        );
    }
    let got = client
        .get_item()
        .table_name("appends")
        .key("id", s("a"))
        .send()
        .await
        .unwrap();
    assert_eq!(got.item.unwrap()["l"], list("x"));
    client
        .update_item()
        .table_name("appends")
        .key("id", s("a"))
        .update_expression("SET l = list_append(if_not_exists(l, :a), :c)")
        .expression_attribute_values(":a", list("a"))
        .expression_attribute_values(":c", list("c"))
        .send()
        .await
        .unwrap();
    let got = client
        .get_item()
        .table_name("appends")
        .key("id", s("a"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.item.unwrap()["l"],
        AttributeValue::L(vec![s("x"), s("c")])
    );
}

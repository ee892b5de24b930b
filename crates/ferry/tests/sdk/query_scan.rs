//! SDK tests: Query and Scan — key conditions, order, Limit and
//! LastEvaluatedKey, 1 MB pages, Select, filters and projections, secondary
//! indexes of every projection type, parallel scan segments.

use std::collections::{BTreeSet, HashMap};

use aws_sdk_dynamodb::types::{
    AttributeValue, BillingMode, GlobalSecondaryIndex, KeyType, LocalSecondaryIndex, Projection,
    ProjectionType, PutRequest, ScalarAttributeType, Select, WriteRequest,
};

use crate::common::*;

type Item = HashMap<String, AttributeValue>;

async fn put_many(client: &aws_sdk_dynamodb::Client, table: &str, items: Vec<Item>) {
    for chunk in items.chunks(25) {
        let reqs: Vec<WriteRequest> = chunk
            .iter()
            .map(|i| {
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .set_item(Some(i.clone()))
                            .build()
                            .unwrap(),
                    )
                    .build()
            })
            .collect();
        let out = client
            .batch_write_item()
            .request_items(table, reqs)
            .send()
            .await
            .unwrap();
        assert!(out.unprocessed_items().unwrap().is_empty());
    }
}

fn ns(items: &[Item], attr: &str) -> Vec<String> {
    items
        .iter()
        .map(|i| i[attr].as_n().unwrap().clone())
        .collect()
}

#[tokio::test]
async fn key_conditions_order_and_limits() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(
        &client,
        "series",
        ("p", ScalarAttributeType::S),
        Some(("t", ScalarAttributeType::N)),
    )
    .await;
    let mut items = Vec::new();
    for t in [-5, 0, 1, 2, 3, 10, 25, 100] {
        items.push(item(&[
            ("p", s("a")),
            ("t", n(&t.to_string())),
            ("odd", AttributeValue::Bool(t % 2 != 0)),
        ]));
    }
    items.push(item(&[("p", s("b")), ("t", n("1"))]));
    put_many(&client, "series", items).await;

    let q = |cond: &'static str| {
        client
            .query()
            .table_name("series")
            .key_condition_expression(cond)
            .expression_attribute_values(":p", s("a"))
    };
    let all = q("p = :p").send().await.unwrap();
    assert_eq!(
        ns(all.items(), "t"),
        ["-5", "0", "1", "2", "3", "10", "25", "100"]
    );
    assert_eq!((all.count(), all.scanned_count()), (8, 8));
    assert!(all.last_evaluated_key().is_none());
    let cases: [(&str, &[&str], &[&str]); 6] = [
        ("p = :p AND t < :x", &["3"], &["-5", "0", "1", "2"]),
        ("p = :p AND t <= :x", &["3"], &["-5", "0", "1", "2", "3"]),
        ("p = :p AND t > :x", &["3"], &["10", "25", "100"]),
        ("p = :p AND t >= :x", &["3"], &["3", "10", "25", "100"]),
        ("p = :p AND t = :x", &["25"], &["25"]),
        (
            "p = :p AND t BETWEEN :x AND :y",
            &["0", "10"],
            &["0", "1", "2", "3", "10"],
        ),
    ];
    for (cond, vals, want) in cases {
        let mut req = q(cond).expression_attribute_values(":x", n(vals[0]));
        if vals.len() > 1 {
            req = req.expression_attribute_values(":y", n(vals[1]));
        }
        let out = req.send().await.unwrap();
        assert_eq!(ns(out.items(), "t"), want, "{cond}");
    }
    let rev = q("p = :p").scan_index_forward(false).send().await.unwrap();
    assert_eq!(
        ns(rev.items(), "t"),
        ["100", "25", "10", "3", "2", "1", "0", "-5"]
    );

    // Limit pages, forwards and backwards, resume exactly after the last key.
    for forward in [true, false] {
        let mut seen = Vec::new();
        let mut start = None;
        loop {
            let page = q("p = :p")
                .scan_index_forward(forward)
                .limit(3)
                .set_exclusive_start_key(start)
                .send()
                .await
                .unwrap();
            assert!(page.count() <= 3);
            seen.extend(ns(page.items(), "t"));
            match page.last_evaluated_key() {
                Some(k) => {
                    assert_eq!(k.len(), 2);
                    start = Some(k.clone());
                }
                None => break,
            }
        }
        let mut want = vec!["-5", "0", "1", "2", "3", "10", "25", "100"];
        if !forward {
            want.reverse();
        }
        assert_eq!(seen, want);
    }

    let filtered = q("p = :p")
        .filter_expression("odd = :yes")
        .expression_attribute_values(":yes", AttributeValue::Bool(true))
        .send()
        .await
        .unwrap();
    assert_eq!(ns(filtered.items(), "t"), ["-5", "1", "3", "25"]);
    assert_eq!((filtered.count(), filtered.scanned_count()), (4, 8));
    let limited = q("p = :p")
        .filter_expression("odd = :yes")
        .expression_attribute_values(":yes", AttributeValue::Bool(true))
        .limit(2)
        .send()
        .await
        .unwrap();
    assert_eq!((limited.count(), limited.scanned_count()), (1, 2));
    assert_eq!(limited.last_evaluated_key().unwrap()["t"], n("0"));

    let count = q("p = :p").select(Select::Count).send().await.unwrap();
    assert_eq!(count.count(), 8);
    assert!(count.items().is_empty());
    let proj = q("p = :p AND t = :x")
        .expression_attribute_values(":x", n("1"))
        .projection_expression("odd")
        .send()
        .await
        .unwrap();
    assert_eq!(
        proj.items(),
        &[item(&[("odd", AttributeValue::Bool(true))])]
    );

    let strings = "words";
    create_table(
        &client,
        strings,
        ("p", ScalarAttributeType::S),
        Some(("w", ScalarAttributeType::S)),
    )
    .await;
    put_many(
        &client,
        strings,
        ["apple", "apricot", "banana", "ap", "b"]
            .iter()
            .map(|w| item(&[("p", s("x")), ("w", s(w))]))
            .collect(),
    )
    .await;
    let out = client
        .query()
        .table_name(strings)
        .key_condition_expression("p = :p AND begins_with(w, :pre)")
        .expression_attribute_values(":p", s("x"))
        .expression_attribute_values(":pre", s("ap"))
        .send()
        .await
        .unwrap();
    let words: Vec<&str> = out
        .items()
        .iter()
        .map(|i| i["w"].as_s().unwrap().as_str())
        .collect();
    assert_eq!(words, ["ap", "apple", "apricot"]);
    server.stop().await;
}

#[tokio::test]
async fn query_and_scan_validation_messages() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(
        &client,
        "qval",
        ("p", ScalarAttributeType::S),
        Some(("t", ScalarAttributeType::N)),
    )
    .await;
    assert_validation(
        client.query().table_name("qval").send().await,
        "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
    );
    assert_validation(
        client
            .query()
            .table_name("qval")
            .key_condition_expression("p = :p")
            .expression_attribute_values(":p", s("a"))
            .select(Select::SpecificAttributes)
            .send()
            .await,
        "1 validation error detected: Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES",
    );
    assert_validation(
        client
            .query()
            .table_name("qval")
            .index_name("missing")
            .key_condition_expression("p = :p")
            .expression_attribute_values(":p", s("a"))
            .send()
            .await,
        "The table does not have the specified index: missing",
    );
    assert_validation(
        client
            .scan()
            .table_name("qval")
            .select(Select::AllProjectedAttributes)
            .send()
            .await,
        "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName",
    );
    assert_validation(
        client
            .scan()
            .table_name("qval")
            .segment(4)
            .total_segments(4)
            .send()
            .await,
        "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 4 is not less than TotalSegments: 4",
    );
    assert_validation(
        client
            .scan()
            .table_name("qval")
            .total_segments(4)
            .send()
            .await,
        "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
    );
    assert_validation(
        client.scan().table_name("qval").limit(0).send().await,
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    assert_validation(
        client
            .scan()
            .table_name("qval")
            .exclusive_start_key("p", s("a"))
            .send()
            .await,
        "The provided starting key is invalid: The provided key element does not match the schema",
    );
    let err = client
        .scan()
        .table_name("nothere")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception());
    assert_eq!(err.message(), Some("Requested resource not found"));
    server.stop().await;
}

#[tokio::test]
async fn one_megabyte_pages_for_query_and_scan() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(
        &client,
        "big",
        ("p", ScalarAttributeType::S),
        Some(("i", ScalarAttributeType::N)),
    )
    .await;
    let payload = "z".repeat(100 * 1024);
    let items: Vec<Item> = (0..30)
        .map(|i| {
            item(&[
                ("p", s("one")),
                ("i", n(&i.to_string())),
                ("data", s(&payload)),
            ])
        })
        .collect();
    for chunk in items.chunks(3) {
        put_many(&client, "big", chunk.to_vec()).await;
    }
    // Query: ~3 MB in one partition takes several 1 MB pages.
    let mut pages = 0;
    let mut seen = Vec::new();
    let mut start = None;
    loop {
        let page = client
            .query()
            .table_name("big")
            .key_condition_expression("p = :p")
            .expression_attribute_values(":p", s("one"))
            .projection_expression("i")
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        pages += 1;
        assert!(
            page.count() <= 11,
            "a page reads at most ~1 MB: {}",
            page.count()
        );
        seen.extend(ns(page.items(), "i"));
        match page.last_evaluated_key() {
            Some(k) => start = Some(k.clone()),
            None => break,
        }
    }
    assert!(pages >= 3, "{pages} pages");
    let want: Vec<String> = (0..30).map(|i| i.to_string()).collect();
    assert_eq!(seen, want);

    // Scan with COUNT still stops at 1 MB per page.
    let mut total = 0;
    let mut start = None;
    let mut scan_pages = 0;
    loop {
        let page = client
            .scan()
            .table_name("big")
            .select(Select::Count)
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        scan_pages += 1;
        assert_eq!(page.count(), page.scanned_count());
        total += page.count();
        match page.last_evaluated_key() {
            Some(k) => start = Some(k.clone()),
            None => break,
        }
    }
    assert_eq!(total, 30);
    assert!(scan_pages >= 3);
    server.stop().await;
}

#[tokio::test]
async fn parallel_scan_segments_cover_every_item_once() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(&client, "segs", ("id", ScalarAttributeType::S), None).await;
    let items: Vec<Item> = (0..300)
        .map(|i| item(&[("id", s(&format!("item-{i}")))]))
        .collect();
    put_many(&client, "segs", items).await;
    for total in [1, 3, 8] {
        let mut seen = Vec::new();
        for segment in 0..total {
            let mut start = None;
            loop {
                let page = client
                    .scan()
                    .table_name("segs")
                    .segment(segment)
                    .total_segments(total)
                    .limit(40)
                    .set_exclusive_start_key(start)
                    .send()
                    .await
                    .unwrap();
                seen.extend(page.items().iter().map(|i| i["id"].as_s().unwrap().clone()));
                match page.last_evaluated_key() {
                    Some(k) => start = Some(k.clone()),
                    None => break,
                }
            }
        }
        assert_eq!(seen.len(), 300, "{total} segments");
        let unique: BTreeSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), 300, "{total} segments");
    }
    server.stop().await;
}

#[tokio::test]
async fn secondary_index_queries_by_projection_type() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    let gsi = |name: &str, ty: ProjectionType, extra: Option<&str>| {
        let mut p = Projection::builder().projection_type(ty);
        if let Some(a) = extra {
            p = p.non_key_attributes(a);
        }
        GlobalSecondaryIndex::builder()
            .index_name(name)
            .key_schema(key_element("g", KeyType::Hash))
            .key_schema(key_element("r", KeyType::Range))
            .projection(p.build())
            .build()
            .unwrap()
    };
    client
        .create_table()
        .table_name("proj")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr_def("pk", ScalarAttributeType::S))
        .attribute_definitions(attr_def("sk", ScalarAttributeType::S))
        .attribute_definitions(attr_def("g", ScalarAttributeType::S))
        .attribute_definitions(attr_def("r", ScalarAttributeType::N))
        .attribute_definitions(attr_def("l", ScalarAttributeType::N))
        .key_schema(key_element("pk", KeyType::Hash))
        .key_schema(key_element("sk", KeyType::Range))
        .global_secondary_indexes(gsi("g-keys", ProjectionType::KeysOnly, None))
        .global_secondary_indexes(gsi("g-incl", ProjectionType::Include, Some("a")))
        .global_secondary_indexes(gsi("g-all", ProjectionType::All, None))
        .local_secondary_indexes(
            LocalSecondaryIndex::builder()
                .index_name("l-keys")
                .key_schema(key_element("pk", KeyType::Hash))
                .key_schema(key_element("l", KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::KeysOnly)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    for i in 0..4 {
        client
            .put_item()
            .table_name("proj")
            .item("pk", s("P"))
            .item("sk", s(&format!("s{i}")))
            .item("g", s("G"))
            .item("r", n(&(10 - i).to_string()))
            .item("l", n(&i.to_string()))
            .item("a", s("A"))
            .item("b", s("B"))
            .send()
            .await
            .unwrap();
    }
    let gq = |index: &str| {
        client
            .query()
            .table_name("proj")
            .index_name(index)
            .key_condition_expression("g = :g AND r > :r")
            .expression_attribute_values(":g", s("G"))
            .expression_attribute_values(":r", n("7"))
    };
    let keys = gq("g-keys").send().await.unwrap();
    assert_eq!(ns(keys.items(), "r"), ["8", "9", "10"]);
    let attrs: BTreeSet<&str> = keys.items()[0].keys().map(String::as_str).collect();
    assert_eq!(attrs, BTreeSet::from(["pk", "sk", "g", "r"]));
    let lek_page = gq("g-keys").limit(1).send().await.unwrap();
    let lek: BTreeSet<&str> = lek_page
        .last_evaluated_key()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(lek, BTreeSet::from(["pk", "sk", "g", "r"]));
    let resumed = gq("g-keys")
        .set_exclusive_start_key(lek_page.last_evaluated_key().cloned())
        .send()
        .await
        .unwrap();
    assert_eq!(ns(resumed.items(), "r"), ["9", "10"]);

    let incl = gq("g-incl").send().await.unwrap();
    let attrs: BTreeSet<&str> = incl.items()[0].keys().map(String::as_str).collect();
    assert_eq!(attrs, BTreeSet::from(["pk", "sk", "g", "r", "a"]));
    let all = gq("g-all").scan_index_forward(false).send().await.unwrap();
    assert_eq!(all.items()[0].len(), 7);
    assert_eq!(ns(all.items(), "r"), ["10", "9", "8"]);

    assert_validation(
        gq("g-keys").select(Select::AllAttributes).send().await,
        "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index g-keys because its projection type is not ALL",
    );
    assert_validation(
        gq("g-all").consistent_read(true).send().await,
        "Consistent reads are not supported on global secondary indexes",
    );

    let lq = || {
        client
            .query()
            .table_name("proj")
            .index_name("l-keys")
            .key_condition_expression("pk = :p AND l >= :l")
            .expression_attribute_values(":p", s("P"))
            .expression_attribute_values(":l", n("2"))
    };
    let lkeys = lq().send().await.unwrap();
    let attrs: BTreeSet<&str> = lkeys.items()[0].keys().map(String::as_str).collect();
    assert_eq!(attrs, BTreeSet::from(["pk", "sk", "l"]));
    let lall = lq()
        .select(Select::AllAttributes)
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    assert_eq!(lall.items().len(), 2);
    assert_eq!(
        lall.items()[0].len(),
        7,
        "LSI reads fetch unprojected attributes from the table"
    );
    let lproj = lq().projection_expression("b, l").send().await.unwrap();
    assert_eq!(lproj.items()[0], item(&[("b", s("B")), ("l", n("2"))]));
    server.stop().await;
}

//! SDK tests: the legacy Query and Scan parameters — `KeyConditions` with
//! every key operator, `QueryFilter` / `ScanFilter` with all 13
//! comparison operators (each checked against its FilterExpression
//! equivalent on the same table), `ConditionalOperator`, `AttributesToGet`
//! with `Select`, and DynamoDB's validation messages.

use std::collections::{BTreeSet, HashMap};

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeValue, ComparisonOperator, Condition, ConditionalOperator, ScalarAttributeType, Select,
};

use crate::common::*;

type Item = HashMap<String, AttributeValue>;

/// A legacy filter, its FilterExpression equivalent and that one's values.
type Equivalent<'a> = (Condition, &'a str, Vec<(&'a str, AttributeValue)>);

fn cond(op: ComparisonOperator, values: &[AttributeValue]) -> Condition {
    Condition::builder()
        .comparison_operator(op)
        .set_attribute_value_list(Some(values.to_vec()))
        .build()
        .unwrap()
}

fn ids(items: &[Item], attr: &str) -> BTreeSet<String> {
    items
        .iter()
        .map(|i| match &i[attr] {
            AttributeValue::S(v) | AttributeValue::N(v) => v.clone(),
            other => panic!("unexpected key {other:?}"),
        })
        .collect()
}

async fn series() -> (TestServer, aws_sdk_dynamodb::Client) {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(
        &client,
        "series",
        ("p", ScalarAttributeType::S),
        Some(("t", ScalarAttributeType::N)),
    )
    .await;
    for t in 1..=6 {
        client
            .put_item()
            .table_name("series")
            .set_item(Some(item(&[
                ("p", s("k")),
                ("t", n(&t.to_string())),
                ("even", AttributeValue::Bool(t % 2 == 0)),
            ])))
            .send()
            .await
            .unwrap();
    }
    (server, client)
}

#[tokio::test]
async fn key_conditions_with_every_sort_key_operator() {
    let (_server, client) = series().await;
    let hash = cond(ComparisonOperator::Eq, &[s("k")]);
    let cases: Vec<(Option<Condition>, &[&str])> = vec![
        (None, &["1", "2", "3", "4", "5", "6"]),
        (Some(cond(ComparisonOperator::Eq, &[n("3")])), &["3"]),
        (Some(cond(ComparisonOperator::Lt, &[n("3")])), &["1", "2"]),
        (
            Some(cond(ComparisonOperator::Le, &[n("3")])),
            &["1", "2", "3"],
        ),
        (Some(cond(ComparisonOperator::Gt, &[n("4")])), &["5", "6"]),
        (
            Some(cond(ComparisonOperator::Ge, &[n("4")])),
            &["4", "5", "6"],
        ),
        (
            Some(cond(ComparisonOperator::Between, &[n("2"), n("4")])),
            &["2", "3", "4"],
        ),
    ];
    for (sort, want) in cases {
        let mut q = client
            .query()
            .table_name("series")
            .key_conditions("p", hash.clone());
        if let Some(c) = sort.clone() {
            q = q.key_conditions("t", c);
        }
        let out = q.send().await.unwrap();
        let want: BTreeSet<String> = want.iter().map(|x| x.to_string()).collect();
        assert_eq!(ids(out.items(), "t"), want, "{sort:?}");
    }
    // KeyConditions go with a FilterExpression: only KeyConditionExpression
    // excludes them.
    let out = client
        .query()
        .table_name("series")
        .key_conditions("p", hash.clone())
        .filter_expression("even = :t")
        .expression_attribute_values(":t", AttributeValue::Bool(true))
        .send()
        .await
        .unwrap();
    assert_eq!(
        ids(out.items(), "t"),
        ["2", "4", "6"].map(String::from).into()
    );

    // BEGINS_WITH on a string sort key.
    create_table(
        &client,
        "words",
        ("p", ScalarAttributeType::S),
        Some(("w", ScalarAttributeType::S)),
    )
    .await;
    for w in ["apple", "apricot", "banana"] {
        client
            .put_item()
            .table_name("words")
            .set_item(Some(item(&[("p", s("k")), ("w", s(w))])))
            .send()
            .await
            .unwrap();
    }
    let out = client
        .query()
        .table_name("words")
        .key_conditions("p", hash)
        .key_conditions("w", cond(ComparisonOperator::BeginsWith, &[s("ap")]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        ids(out.items(), "w"),
        ["apple", "apricot"].map(String::from).into()
    );
}

#[tokio::test]
async fn key_conditions_errors() {
    let (_server, client) = series().await;
    let hash = cond(ComparisonOperator::Eq, &[s("k")]);
    let cases: Vec<(Vec<(&str, Condition)>, &str)> = vec![
        (
            vec![("p", cond(ComparisonOperator::Ne, &[s("k")]))],
            "Attempted conditional constraint is not an indexable operation",
        ),
        (
            vec![
                ("p", hash.clone()),
                ("t", cond(ComparisonOperator::NotNull, &[])),
            ],
            "Attempted conditional constraint is not an indexable operation",
        ),
        (
            vec![("p", cond(ComparisonOperator::Gt, &[s("k")]))],
            "Query key condition not supported",
        ),
        (
            vec![("t", cond(ComparisonOperator::Eq, &[n("1")]))],
            "Query condition missed key schema element: p",
        ),
        (
            vec![
                ("p", hash.clone()),
                ("other", cond(ComparisonOperator::Eq, &[n("1")])),
            ],
            "Query condition missed key schema element: t",
        ),
        (
            vec![("p", cond(ComparisonOperator::Eq, &[n("1")]))],
            "One or more parameter values were invalid: Condition parameter type does not match schema type",
        ),
        (
            vec![
                ("p", hash.clone()),
                ("t", cond(ComparisonOperator::Between, &[n("1")])),
            ],
            "One or more parameter values were invalid: Invalid number of argument(s) for the BETWEEN ComparisonOperator",
        ),
        (
            vec![
                ("p", hash.clone()),
                ("t", cond(ComparisonOperator::Eq, &[n("1")])),
                ("x", cond(ComparisonOperator::Eq, &[n("1")])),
            ],
            "Conditions can be of length 1 or 2 only",
        ),
    ];
    for (conds, message) in cases {
        let mut q = client.query().table_name("series");
        for (attr, c) in conds {
            q = q.key_conditions(attr, c);
        }
        assert_validation(q.send().await, message);
    }
    assert_validation(
        client
            .query()
            .table_name("series")
            .key_conditions("p", hash.clone())
            .key_condition_expression("p = :p")
            .expression_attribute_values(":p", s("k"))
            .send()
            .await,
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {KeyConditions} Expression parameters: {KeyConditionExpression}",
    );
    assert_validation(
        client
            .query()
            .table_name("series")
            .key_conditions("p", hash.clone())
            .query_filter("t", cond(ComparisonOperator::Gt, &[n("1")]))
            .send()
            .await,
        "QueryFilter can only contain non-primary key attributes: Primary key attribute: t",
    );
    assert_validation(
        client
            .query()
            .table_name("series")
            .key_conditions("p", hash)
            .attributes_to_get("t")
            .select(Select::Count)
            .send()
            .await,
        "1 validation error detected: Cannot specify the AttributesToGet when choosing to get only the Count",
    );
}

/// Items exercising every operator: ids `i0`…; `v` of several types.
fn zoo() -> Vec<Item> {
    let vals = [
        Some(s("apple")),
        Some(s("banana")),
        Some(n("5")),
        Some(n("50")),
        Some(AttributeValue::B(Blob::new(vec![1u8, 2, 3]))),
        Some(AttributeValue::Ss(vec!["apple".into(), "kiwi".into()])),
        Some(AttributeValue::Ns(vec!["5".into(), "7".into()])),
        Some(AttributeValue::L(vec![s("apple"), n("5")])),
        Some(AttributeValue::Bool(true)),
        Some(AttributeValue::Null(true)),
        None,
    ];
    vals.into_iter()
        .enumerate()
        .map(|(i, v)| {
            let mut it = item(&[("id", s(&format!("i{i}"))), ("w", n(&i.to_string()))]);
            if let Some(v) = v {
                it.insert("v".into(), v);
            }
            it
        })
        .collect()
}

#[tokio::test]
async fn scan_and_query_filters_match_their_expressions() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(&client, "zoo", ("id", ScalarAttributeType::S), None).await;
    for it in zoo() {
        client
            .put_item()
            .table_name("zoo")
            .set_item(Some(it))
            .send()
            .await
            .unwrap();
    }
    use ComparisonOperator as O;
    let cases: Vec<Equivalent> = vec![
        (
            cond(O::Eq, &[s("apple")]),
            "v = :a",
            vec![(":a", s("apple"))],
        ),
        (cond(O::Ne, &[n("5")]), "v <> :a", vec![(":a", n("5"))]),
        (cond(O::Le, &[n("5")]), "v <= :a", vec![(":a", n("5"))]),
        (cond(O::Lt, &[s("b")]), "v < :a", vec![(":a", s("b"))]),
        (cond(O::Ge, &[n("6")]), "v >= :a", vec![(":a", n("6"))]),
        (
            cond(O::Gt, &[s("apple")]),
            "v > :a",
            vec![(":a", s("apple"))],
        ),
        (cond(O::NotNull, &[]), "attribute_exists(v)", vec![]),
        (cond(O::Null, &[]), "attribute_not_exists(v)", vec![]),
        (
            cond(O::Contains, &[s("apple")]),
            "contains(v, :a)",
            vec![(":a", s("apple"))],
        ),
        (
            cond(O::Contains, &[n("5")]),
            "contains(v, :a)",
            vec![(":a", n("5"))],
        ),
        (
            cond(O::NotContains, &[s("app")]),
            "NOT contains(v, :a)",
            vec![(":a", s("app"))],
        ),
        (
            cond(O::BeginsWith, &[s("ba")]),
            "begins_with(v, :a)",
            vec![(":a", s("ba"))],
        ),
        (
            cond(O::In, &[n("50"), n("5"), n("9")]),
            "v IN (:a, :b, :c)",
            vec![(":a", n("50")), (":b", n("5")), (":c", n("9"))],
        ),
        (
            cond(O::Between, &[n("1"), n("10")]),
            "v BETWEEN :a AND :b",
            vec![(":a", n("1")), (":b", n("10"))],
        ),
    ];
    for (legacy, expr, values) in cases {
        let legacy_out = client
            .scan()
            .table_name("zoo")
            .scan_filter("v", legacy.clone())
            .send()
            .await
            .unwrap();
        let mut q = client.scan().table_name("zoo").filter_expression(expr);
        for (k, v) in values {
            q = q.expression_attribute_values(k, v);
        }
        let expr_out = q.send().await.unwrap();
        assert!(
            legacy_out.count > 0 || expr == "v > :a",
            "{expr} matched nothing"
        );
        assert_eq!(
            ids(legacy_out.items(), "id"),
            ids(expr_out.items(), "id"),
            "{expr}"
        );
        assert_eq!(legacy_out.scanned_count, 11);
    }

    // ConditionalOperator OR, with AttributesToGet.
    let out = client
        .scan()
        .table_name("zoo")
        .scan_filter("v", cond(O::Eq, &[s("apple")]))
        .scan_filter("w", cond(O::Eq, &[n("3")]))
        .conditional_operator(ConditionalOperator::Or)
        .attributes_to_get("id")
        .send()
        .await
        .unwrap();
    assert!(
        out.items().iter().all(|i| i.len() == 1),
        "{:?}",
        out.items()
    );
    assert_eq!(
        ids(out.items(), "id"),
        ["i0", "i3"].map(String::from).into()
    );
    // AND is the default.
    let out = client
        .scan()
        .table_name("zoo")
        .scan_filter("v", cond(O::NotNull, &[]))
        .scan_filter("w", cond(O::Lt, &[n("2")]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        ids(out.items(), "id"),
        ["i0", "i1"].map(String::from).into()
    );

    // QueryFilter on a Query.
    let out = client
        .query()
        .table_name("zoo")
        .key_conditions("id", cond(O::Eq, &[s("i5")]))
        .query_filter("v", cond(O::Contains, &[s("kiwi")]))
        .send()
        .await
        .unwrap();
    assert_eq!(out.count, 1);
}

#[tokio::test]
async fn filter_validation_messages() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    create_table(&client, "zoo", ("id", ScalarAttributeType::S), None).await;
    use ComparisonOperator as O;
    let invalid = "One or more parameter values were invalid: ";
    let cases: Vec<(Condition, String)> = vec![
        (
            cond(O::Eq, &[]),
            format!("{invalid}Invalid number of argument(s) for the EQ ComparisonOperator"),
        ),
        (
            cond(O::Null, &[s("a")]),
            format!("{invalid}Invalid number of argument(s) for the NULL ComparisonOperator"),
        ),
        (
            cond(O::In, &[]),
            format!("{invalid}Invalid number of argument(s) for the IN ComparisonOperator"),
        ),
        (
            cond(O::Between, &[n("1"), s("a")]),
            format!("{invalid}AttributeValues inside AttributeValueList must be of same type"),
        ),
        (
            cond(O::BeginsWith, &[n("1")]),
            format!("{invalid}ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type"),
        ),
        (
            cond(O::Lt, &[AttributeValue::Ss(vec!["a".into()])]),
            format!("{invalid}ComparisonOperator LT is not valid for SS AttributeValue type"),
        ),
        (
            cond(O::Eq, &[AttributeValue::Bool(true)]),
            format!("{invalid}ComparisonOperator EQ is not valid for BOOL AttributeValue type"),
        ),
        (
            cond(O::Between, &[s("b"), s("a")]),
            "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound".to_string(),
        ),
        (
            cond(O::Eq, &[AttributeValue::S(String::new()), s("x")]),
            format!("{invalid}Invalid number of argument(s) for the EQ ComparisonOperator"),
        ),
    ];
    for (c, message) in cases {
        assert_validation(
            client
                .scan()
                .table_name("zoo")
                .scan_filter("v", c)
                .send()
                .await,
            &message,
        );
    }
    assert_validation(
        client
            .scan()
            .table_name("zoo")
            .scan_filter("v", cond(O::NotNull, &[]))
            .projection_expression("id")
            .send()
            .await,
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {ScanFilter} Expression parameters: {ProjectionExpression}",
    );
    let r = server
        .raw(
            "DynamoDB_20120810.Scan",
            r#"{"TableName":"zoo","ScanFilter":{"v":{"ComparisonOperator":"SIMILAR"},"w":{}},"ConditionalOperator":"XOR"}"#,
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["message"],
        "3 validation errors detected: Value 'SIMILAR' at 'scanFilter.v.member.comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]; Value null at 'scanFilter.w.member.comparisonOperator' failed to satisfy constraint: Member must not be null; Value 'XOR' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [OR, AND]"
    );
    assert_validation(
        client
            .scan()
            .table_name("zoo")
            .attributes_to_get("id")
            .select(Select::AllAttributes)
            .send()
            .await,
        "Cannot specify the AttributesToGet when choosing to get ALL_ATTRIBUTES",
    );
}

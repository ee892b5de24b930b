//! SDK tests: ExecuteStatement — INSERT/UPDATE/DELETE with conditions and RETURNING,
//! parameters, DynamoDB's messages for refused statements (and that a
//! refused statement changed nothing), and PartiQL against the equivalent
//! expression calls. SELECT: `partiql_select.rs`; batches:
//! `partiql_batch.rs`; transactions: `partiql_txn.rs`.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeValue, ReturnConsumedCapacity, ReturnValuesOnConditionCheckFailure,
    ScalarAttributeType,
};

use crate::common::*;

pub(crate) type Item = HashMap<String, AttributeValue>;

pub(crate) async fn exec(client: &aws_sdk_dynamodb::Client, statement: &str) -> Vec<Item> {
    client
        .execute_statement()
        .statement(statement)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{statement}: {e:?}"))
        .items()
        .to_vec()
}

pub(crate) async fn get(client: &aws_sdk_dynamodb::Client, table: &str, key: Item) -> Option<Item> {
    client
        .get_item()
        .table_name(table)
        .set_key(Some(key))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item()
        .cloned()
}

/// A table `music` (artist S, song N) with three songs of `a` and one of `b`.
pub(crate) async fn music(server: &TestServer) -> aws_sdk_dynamodb::Client {
    let client = server.dynamodb().await;
    create_table(
        &client,
        "music",
        ("artist", ScalarAttributeType::S),
        Some(("song", ScalarAttributeType::N)),
    )
    .await;
    for (artist, song, title) in [
        ("a", 1, "one"),
        ("a", 2, "two"),
        ("a", 3, "three"),
        ("b", 1, "uno"),
    ] {
        exec(
            &client,
            &format!("INSERT INTO \"music\" VALUE {{'artist': '{artist}', 'song': {song}, 'title': '{title}', 'tags': <<'x', 'y'>>, 'info': {{'year': 2000, 'credits': ['p', 'q']}}}}"),
        )
        .await;
    }
    client
}

pub(crate) fn titles(items: &[Item]) -> Vec<String> {
    let mut t: Vec<String> = items
        .iter()
        .map(|i| i["title"].as_s().unwrap().clone())
        .collect();
    t.sort();
    t
}

#[tokio::test]
async fn insert_of_an_existing_key_is_a_duplicate_and_changes_nothing() {
    let server = TestServer::start().await;
    let client = music(&server).await;
    let err = client
        .execute_statement()
        .statement("INSERT INTO music VALUE {'artist': 'a', 'song': 1, 'title': 'other'}")
        .send()
        .await
        .unwrap_err();
    let e = err.as_service_error().expect("a service error");
    assert!(e.is_duplicate_item_exception(), "{e:?}");
    assert_eq!(
        e.meta().message(),
        Some("Duplicate primary key exists in table")
    );
    let got = get(
        &client,
        "music",
        item(&[("artist", s("a")), ("song", n("1"))]),
    )
    .await;
    assert_eq!(got.unwrap()["title"], s("one"));
    assert_validation(
        client
            .execute_statement()
            .statement("INSERT INTO music VALUE {'artist': 'z'}")
            .send()
            .await,
        "Key attribute should be present in the item: Key song",
    );
    assert_validation(
        client
            .execute_statement()
            .statement("INSERT INTO music VALUE {'artist': 'z', 'song': 'x'}")
            .send()
            .await,
        "Key attribute's data type should match its data type in table's schema: Key song",
    );
    assert_eq!(
        exec(&client, "SELECT * FROM music WHERE artist = 'z'")
            .await
            .len(),
        0
    );
}

#[tokio::test]
async fn update_with_every_action_and_returning() {
    let server = TestServer::start().await;
    let client = music(&server).await;
    let key = item(&[("artist", s("a")), ("song", n("1"))]);
    let rows = exec(&client, "UPDATE music SET plays = 1 SET info.\"year\" = info.\"year\" + 5 SET info.credits = list_append(info.credits, ['r']) SET tags = set_add(tags, <<'z'>>) REMOVE title WHERE artist = 'a' AND song = 1 RETURNING MODIFIED NEW *").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["plays"], n("1"));
    assert!(!rows[0].contains_key("artist"));
    let got = get(&client, "music", key.clone()).await.unwrap();
    assert!(!got.contains_key("title"));
    assert_eq!(got["info"].as_m().unwrap()["year"], n("2005"));
    assert_eq!(
        got["info"].as_m().unwrap()["credits"].as_l().unwrap().len(),
        3
    );
    assert_eq!(got["tags"].as_ss().unwrap().len(), 3);

    let old = exec(&client, "UPDATE music SET tags = set_delete(tags, <<'x'>>) WHERE artist = 'a' AND song = 1 RETURNING ALL OLD *").await;
    assert_eq!(old[0]["tags"].as_ss().unwrap().len(), 3);
    let new = exec(
        &client,
        "UPDATE music SET plays = plays - 1 WHERE artist = 'a' AND song = 1 RETURNING ALL NEW *",
    )
    .await;
    assert_eq!(new[0]["plays"], n("0"));
    assert_eq!(new[0]["tags"].as_ss().unwrap().len(), 2);
    // REMOVE of nothing: MODIFIED NEW has no row.
    let none = exec(&client, "UPDATE music SET plays = 0 REMOVE absent WHERE artist = 'a' AND song = 1 RETURNING MODIFIED OLD *").await;
    assert_eq!(none.len(), 1);
    let plain = exec(
        &client,
        "UPDATE music SET plays = 7 WHERE artist = 'a' AND song = 1",
    )
    .await;
    assert!(plain.is_empty());
}

#[tokio::test]
async fn update_of_a_missing_item_or_a_false_condition_fails_and_changes_nothing() {
    let server = TestServer::start().await;
    let client = music(&server).await;
    let (code, msg) = failure(
        client
            .execute_statement()
            .statement("UPDATE music SET x = 1 WHERE artist = 'ghost' AND song = 1")
            .send()
            .await,
    );
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "ConditionalCheckFailedException",
            "The conditional request failed"
        )
    );
    assert!(
        get(
            &client,
            "music",
            item(&[("artist", s("ghost")), ("song", n("1"))])
        )
        .await
        .is_none()
    );

    let err = client
        .execute_statement()
        .statement(
            "UPDATE music SET title = 'new' WHERE artist = 'a' AND song = 2 AND title = 'wrong'",
        )
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await
        .unwrap_err();
    let e = err.as_service_error().unwrap();
    assert!(e.is_conditional_check_failed_exception());
    let aws_sdk_dynamodb::operation::execute_statement::ExecuteStatementError::ConditionalCheckFailedException(c) = e else {
        panic!("{e:?}")
    };
    assert_eq!(c.item().unwrap()["title"], s("two"));
    let got = get(
        &client,
        "music",
        item(&[("artist", s("a")), ("song", n("2"))]),
    )
    .await;
    assert_eq!(got.unwrap()["title"], s("two"));
    assert_validation(
        client
            .execute_statement()
            .statement("UPDATE music SET artist = 'b' WHERE artist = 'a' AND song = 2")
            .send()
            .await,
        "One or more parameter values were invalid: Cannot update attribute artist. This attribute is part of the key",
    );
}

#[tokio::test]
async fn delete_returning_and_conditions() {
    let server = TestServer::start().await;
    let client = music(&server).await;
    // A missing item: success, whatever the condition.
    let rows = exec(
        &client,
        "DELETE FROM music WHERE artist = 'ghost' AND song = 1 AND title = 'x' RETURNING ALL OLD *",
    )
    .await;
    assert!(rows.is_empty());
    let (code, _) = failure(
        client
            .execute_statement()
            .statement("DELETE FROM music WHERE artist = 'a' AND song = 3 AND title = 'x'")
            .send()
            .await,
    );
    assert_eq!(code, "ConditionalCheckFailedException");
    assert!(
        get(
            &client,
            "music",
            item(&[("artist", s("a")), ("song", n("3"))])
        )
        .await
        .is_some()
    );
    let rows = exec(
        &client,
        "DELETE FROM music WHERE artist = 'a' AND song = 3 AND title = 'three' RETURNING ALL OLD *",
    )
    .await;
    assert_eq!(rows[0]["title"], s("three"));
    assert!(
        get(
            &client,
            "music",
            item(&[("artist", s("a")), ("song", n("3"))])
        )
        .await
        .is_none()
    );
    assert_validation(
        client
            .execute_statement()
            .statement("DELETE FROM music WHERE artist = 'a' AND song = 2 RETURNING MODIFIED OLD *")
            .send()
            .await,
        "Invalid returning clause: RETURNING MODIFIED OLD *. Only RETURNING ALL OLD * is allowed in DELETE statements.",
    );
}

#[tokio::test]
async fn reserved_words_need_quotes() {
    let server = TestServer::start().await;
    let client = music(&server).await;
    for statement in [
        "SELECT * FROM music WHERE artist = 'a' AND size = 1",
        "SELECT key FROM music WHERE artist = 'a'",
        "UPDATE music SET timestamp = 1 WHERE artist = 'a' AND song = 1",
    ] {
        assert_validation(
            client.execute_statement().statement(statement).send().await,
            "Statement wasn't well formed, can't be processed: Unexpected keyword",
        );
    }
    exec(
        &client,
        "UPDATE music SET \"timestamp\" = 1 WHERE artist = 'a' AND song = 1",
    )
    .await;
    let rows = exec(
        &client,
        "SELECT \"timestamp\" FROM music WHERE artist = 'a' AND \"timestamp\" = 1 AND size(tags) = 2",
    )
    .await;
    assert_eq!(rows.len(), 1);
}

#[tokio::test]
async fn refused_statements_answer_dynamodb_messages_and_change_nothing() {
    let server = TestServer::start().await;
    let client = music(&server).await;
    let cases = [
        (
            "SLECT * FROM music",
            "Statement wasn't well formed, can't be processed: Expected data manipulation",
        ),
        (
            "SELECT * FROM music WHERE",
            "Statement wasn't well formed, can't be processed: Unexpected term",
        ),
        (
            "SELECT * FROM music WHERE artist = 'a' AND",
            "Statement wasn't well formed, can't be processed: Missing right-hand side expression of infix operator",
        ),
        (
            "DELETE FROM music WHERE artist = 'a' foo",
            "Statement wasn't well formed, can't be processed: Unexpected token after expression",
        ),
        (
            "DELETE FROM music WHERE artist = 'a'",
            "Where clause does not contain a mandatory equality on all key attributes",
        ),
        (
            "UPDATE music SET title = 'x' WHERE title = 'one'",
            "Where clause does not contain a mandatory equality on all key attributes",
        ),
        (
            "UPDATE music x SET title = 'x' WHERE artist = 'a' AND song = 1",
            "Aliasing is not supported",
        ),
        (
            "UPDATE \"music\".\"i\" SET title = 'x' WHERE artist = 'a' AND song = 1",
            "This operation is not supported on an index",
        ),
        (
            "INSERT INTO music VALUE {'artist': 'n', 'song': 9, 'big': 1e126}",
            "Number overflow. Attempting to store a number with magnitude larger than supported range under root",
        ),
        (
            "INSERT INTO music VALUE {'artist': 'n', 'song': 9} RETURNING ALL OLD *",
            "RETURNING is not supported in INSERT",
        ),
        (
            "UPDATE music SET title = upper(title) WHERE artist = 'a' AND song = 1",
            "Unrecognized function: upper",
        ),
    ];
    for (statement, message) in cases {
        let (code, msg) = failure(client.execute_statement().statement(statement).send().await);
        assert_eq!(code, "ValidationException", "{statement}");
        assert_eq!(msg, message, "{statement}");
    }
    let all = exec(&client, "SELECT * FROM music").await;
    assert_eq!(titles(&all), ["one", "three", "two", "uno"]);
    let (code, msg) = failure(
        client
            .execute_statement()
            .statement("SELECT * FROM nosuch")
            .send()
            .await,
    );
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("ResourceNotFoundException", "Requested resource not found")
    );
}

#[tokio::test]
async fn parameters_bind_in_order_and_must_all_be_given() {
    let server = TestServer::start().await;
    let client = music(&server).await;
    let out = client
        .execute_statement()
        .statement("SELECT * FROM music WHERE artist = ? AND song > ?")
        .parameters(s("a"))
        .parameters(n("1"))
        .send()
        .await
        .unwrap();
    assert_eq!(titles(out.items()), ["three", "two"]);
    client
        .execute_statement()
        .statement("INSERT INTO music VALUE {'artist': ?, 'song': ?, 'blob': ?}")
        .parameters(s("p"))
        .parameters(n("5"))
        .parameters(AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(
            vec![1, 2],
        )))
        .send()
        .await
        .unwrap();
    let got = get(
        &client,
        "music",
        item(&[("artist", s("p")), ("song", n("5"))]),
    )
    .await
    .unwrap();
    assert_eq!(
        got["blob"],
        AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(vec![1, 2]))
    );
    assert_validation(
        client
            .execute_statement()
            .statement("SELECT * FROM music WHERE artist = ? AND song = ?")
            .parameters(s("a"))
            .send()
            .await,
        "Number of parameters in request and statement don't match.",
    );
    assert_validation(
        client
            .execute_statement()
            .statement("INSERT INTO music VALUE {'artist': ?, 'song': 6}")
            .parameters(n("1"))
            .send()
            .await,
        "Key attribute's data type should match its data type in table's schema: Key artist",
    );
    let r = server
        .raw(
            "DynamoDB_20120810.ExecuteStatement",
            r#"{"Statement":"SELECT * FROM music","Parameters":[]}"#,
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["message"],
        "1 validation error detected: Value '[]' at 'parameters' failed to satisfy constraint: Member must have length greater than or equal to 1"
    );
}

#[tokio::test]
async fn consumed_capacity_is_charged_like_query_scan_and_writes() {
    let server = TestServer::start().await;
    let client = music(&server).await;
    let out = client
        .execute_statement()
        .statement("SELECT * FROM music WHERE artist = 'b'")
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    let cc = out.consumed_capacity().unwrap();
    assert_eq!(cc.table_name(), Some("music"));
    assert_eq!(cc.capacity_units(), Some(0.5));
    let out = client
        .execute_statement()
        .statement("UPDATE music SET plays = 1 WHERE artist = 'b' AND song = 1")
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert_eq!(out.consumed_capacity().unwrap().capacity_units(), Some(1.0));
}

/// PartiQL and the expression API give the same items: each WHERE against a
/// Scan with the equivalent FilterExpression (or a Query with the key
/// condition), and each UPDATE against the equivalent UpdateItem on a twin
/// table.
#[tokio::test]
async fn partiql_matches_the_expression_api() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    for t in ["pqa", "pqb"] {
        create_table(
            &client,
            t,
            ("pk", ScalarAttributeType::S),
            Some(("sk", ScalarAttributeType::N)),
        )
        .await;
    }
    for i in 0..40u32 {
        let it = item(&[
            ("pk", s(&format!("k{}", i % 4))),
            ("sk", n(&i.to_string())),
            ("n", n(&((i * 7) % 11).to_string())),
            ("s", s(&format!("v{}", i % 5))),
            ("l", AttributeValue::L(vec![n(&(i % 3).to_string())])),
        ]);
        for t in ["pqa", "pqb"] {
            client
                .put_item()
                .table_name(t)
                .set_item(Some(it.clone()))
                .send()
                .await
                .unwrap();
        }
    }
    let filters = [
        (
            "n > 5 AND s <> 'v1'",
            "#n > :a AND #s <> :b",
            vec![(":a", n("5")), (":b", s("v1"))],
        ),
        (
            "begins_with(s, 'v2') OR l[0] = 1",
            "begins_with(#s, :a) OR #l[0] = :b",
            vec![(":a", s("v2")), (":b", n("1"))],
        ),
        (
            "n BETWEEN 2 AND 6 AND NOT (s IN ['v0', 'v3'])",
            "#n BETWEEN :a AND :b AND NOT (#s IN (:c, :d))",
            vec![
                (":a", n("2")),
                (":b", n("6")),
                (":c", s("v0")),
                (":d", s("v3")),
            ],
        ),
        (
            "size(s) = 2 AND absent IS MISSING",
            "size(#s) = :a AND attribute_not_exists(#absent)",
            vec![(":a", n("2"))],
        ),
    ];
    let names: HashMap<String, String> = ["n", "s", "l", "absent"]
        .iter()
        .map(|x| (format!("#{x}"), x.to_string()))
        .collect();
    for (where_, expr, values) in filters {
        let partiql = exec(&client, &format!("SELECT * FROM pqa WHERE {where_}")).await;
        let used: HashMap<String, String> = names
            .iter()
            .filter(|(k, _)| expr.contains(k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let scan = client
            .scan()
            .table_name("pqa")
            .filter_expression(expr)
            .set_expression_attribute_names(Some(used.clone()))
            .set_expression_attribute_values(Some(
                values
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.clone()))
                    .collect(),
            ))
            .send()
            .await
            .unwrap();
        let mut a = partiql.clone();
        let mut b = scan.items().to_vec();
        let key = |i: &Item| {
            (
                i["pk"].as_s().unwrap().clone(),
                i["sk"].as_n().unwrap().parse::<u32>().unwrap(),
            )
        };
        a.sort_by_key(key);
        b.sort_by_key(key);
        assert_eq!(a, b, "{where_}");
        assert!(!a.is_empty(), "{where_} matches something");

        let queried = exec(
            &client,
            &format!("SELECT * FROM pqa WHERE pk = 'k1' AND sk >= 10 AND ({where_})"),
        )
        .await;
        let want: Vec<Item> = b
            .iter()
            .filter(|i| i["pk"] == s("k1") && key(i).1 >= 10)
            .cloned()
            .collect();
        assert_eq!(queried, want, "query: {where_}");
    }
    let updates = [
        (
            "SET n = n + 3, s = 'w' REMOVE l",
            "SET #n = #n + :a, #s = :b REMOVE #l",
            vec![(":a", n("3")), (":b", s("w"))],
        ),
        (
            "SET l = list_append(l, [9]) SET extra = {'a': [1, 'x']}",
            "SET #l = list_append(#l, :a), #extra = :b",
            vec![
                (":a", AttributeValue::L(vec![n("9")])),
                (
                    ":b",
                    AttributeValue::M(item(&[("a", AttributeValue::L(vec![n("1"), s("x")]))])),
                ),
            ],
        ),
    ];
    let mut names = names;
    names.insert("#extra".into(), "extra".into());
    for (i, (set, expr, values)) in updates.into_iter().enumerate() {
        let sk = (i * 3).to_string();
        exec(
            &client,
            &format!(
                "UPDATE pqa {set} WHERE pk = 'k{}' AND sk = {sk}",
                (i * 3) % 4
            ),
        )
        .await;
        let used: HashMap<String, String> = names
            .iter()
            .filter(|(k, _)| expr.contains(k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let key = item(&[("pk", s(&format!("k{}", (i * 3) % 4))), ("sk", n(&sk))]);
        client
            .update_item()
            .table_name("pqb")
            .set_key(Some(key.clone()))
            .update_expression(expr)
            .set_expression_attribute_names(Some(used))
            .set_expression_attribute_values(Some(
                values
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.clone()))
                    .collect(),
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(
            get(&client, "pqa", key.clone()).await,
            get(&client, "pqb", key).await,
            "{set}"
        );
    }
}

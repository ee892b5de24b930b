//! SDK tests: ExecuteStatement's SELECT — by key (a Query) and by Scan,
//! projections, Limit/NextToken paging and the binding of a NextToken to its
//! statement, ORDER BY the sort key, and SELECT from an index. Writes,
//! refusals and the comparison with the expression API: `partiql.rs`.

use aws_sdk_dynamodb::types::{AttributeValue, ScalarAttributeType};

use crate::common::*;
use crate::partiql::{exec, get, music, titles};

#[tokio::test]
async fn insert_then_select_by_key_and_by_scan() {
    let server = TestServer::start().await;
    let client = music(&server).await;
    let got = get(
        &client,
        "music",
        item(&[("artist", s("a")), ("song", n("2"))]),
    )
    .await;
    let got = got.expect("inserted");
    assert_eq!(got["tags"].as_ss().unwrap().len(), 2);
    assert_eq!(got["info"].as_m().unwrap()["year"], n("2000"));

    let q = exec(
        &client,
        "SELECT * FROM \"music\" WHERE artist = 'a' AND song >= 2",
    )
    .await;
    assert_eq!(titles(&q), ["three", "two"]);
    let all = exec(&client, "select * from music").await;
    assert_eq!(all.len(), 4);
    let filtered = exec(
        &client,
        "SELECT * FROM music WHERE title IN ['uno', 'one'] AND NOT begins_with(title, 'u')",
    )
    .await;
    assert_eq!(titles(&filtered), ["one"]);
    let missing = exec(&client, "SELECT * FROM music WHERE artist = 'a' AND absent IS MISSING AND title IS NOT MISSING AND song BETWEEN 1 AND 2").await;
    assert_eq!(titles(&missing), ["one", "two"]);
    let funcs = exec(&client, "SELECT * FROM music WHERE contains(tags, 'x') AND attribute_type(info, 'M') AND size(title) = 3").await;
    assert_eq!(titles(&funcs), ["one", "two", "uno"]);
}

#[tokio::test]
async fn projection_names_values_by_their_last_path_element() {
    let server = TestServer::start().await;
    let client = music(&server).await;
    let rows = exec(&client, "SELECT title, info.\"year\", info.credits[1], absent FROM music WHERE artist = 'b' AND song = 1").await;
    assert_eq!(
        rows,
        vec![item(&[
            ("title", s("uno")),
            ("year", n("2000")),
            ("credits[1]", s("q"))
        ])]
    );
    let (code, msg) = failure(
        client
            .execute_statement()
            .statement("SELECT *, title FROM music")
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(
        msg,
        "Other attributes should not be present in the projection when '*' is used."
    );
}

#[tokio::test]
async fn limit_and_next_token_walk_every_item_once() {
    let server = TestServer::start().await;
    let client = music(&server).await;
    for statement in [
        "SELECT * FROM music",
        "SELECT * FROM music WHERE artist = 'a'",
    ] {
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        let mut pages = 0;
        loop {
            let out = client
                .execute_statement()
                .statement(statement)
                .limit(1)
                .set_next_token(token.clone())
                .send()
                .await
                .unwrap();
            pages += 1;
            assert!(out.items().len() <= 1);
            seen.extend(out.items().iter().cloned());
            match out.next_token() {
                Some(t) => {
                    assert!(out.last_evaluated_key().is_some());
                    token = Some(t.to_string());
                }
                None => break,
            }
            assert!(pages < 10, "no end to the pages");
        }
        let want = if statement.contains("WHERE") { 3 } else { 4 };
        assert_eq!(seen.len(), want, "{statement}");
        let mut t = titles(&seen);
        t.dedup();
        assert_eq!(t.len(), want, "{statement}: no item twice");
    }
    assert_validation(
        client
            .execute_statement()
            .statement("SELECT * FROM music")
            .next_token("bm90IGEga2V5")
            .send()
            .await,
        "Invalid NextToken",
    );
}

/// A NextToken belongs to the statement and parameters that issued it:
/// replayed with another statement or other parameters it is refused
/// (`NextToken does not match request`); another Limit or ConsistentRead is
/// accepted.
#[tokio::test]
async fn next_token_is_bound_to_its_statement() {
    let server = TestServer::start().await;
    let client = music(&server).await;
    let by_artist = "SELECT * FROM music WHERE artist = ?";
    let first = client
        .execute_statement()
        .statement(by_artist)
        .parameters(AttributeValue::S("a".into()))
        .limit(1)
        .send()
        .await
        .unwrap();
    let token = first.next_token().expect("more pages").to_string();
    let replay = |statement: &str, artist: &str| {
        client
            .execute_statement()
            .statement(statement)
            .parameters(AttributeValue::S(artist.into()))
            .next_token(token.clone())
    };
    for (statement, artist) in [
        (by_artist, "b"),
        ("SELECT * FROM music WHERE artist = ? AND title <> 'x'", "a"),
        ("select * from music where artist = ?", "a"),
    ] {
        assert_validation(
            replay(statement, artist).limit(1).send().await,
            "NextToken does not match request",
        );
    }
    let rest = replay(by_artist, "a")
        .limit(10)
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    assert_eq!(rest.items().len(), 2, "the two items after the first");
    assert_eq!(rest.next_token(), None);
    let mut all = first.items().to_vec();
    all.extend(rest.items().iter().cloned());
    let mut t = titles(&all);
    t.dedup();
    assert_eq!(t.len(), 3);
}

/// `ORDER BY` the sort key of one partition, in pages; DynamoDB's refusals.
#[tokio::test]
async fn order_by_the_sort_key_of_one_partition() {
    let server = TestServer::start().await;
    let client = music(&server).await;
    let statement = "SELECT title FROM music WHERE artist = 'a' ORDER BY song DESC";
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = client
            .execute_statement()
            .statement(statement)
            .limit(2)
            .set_next_token(token.clone())
            .send()
            .await
            .unwrap();
        seen.extend(
            out.items()
                .iter()
                .map(|i| i["title"].as_s().unwrap().clone()),
        );
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
        assert!(seen.len() < 10, "no end to the pages");
    }
    assert_eq!(seen, ["three", "two", "one"]);
    let asc = exec(
        &client,
        "SELECT title FROM music WHERE artist = 'a' ORDER BY artist, song ASC",
    )
    .await;
    let titles: Vec<&str> = asc
        .iter()
        .map(|i| i["title"].as_s().unwrap().as_str())
        .collect();
    assert_eq!(titles, ["one", "two", "three"]);
    for (statement, message) in [
        (
            "SELECT * FROM music ORDER BY song",
            "Must have WHERE clause in the statement when using ORDER BY clause.",
        ),
        (
            "SELECT * FROM music WHERE artist = 'a' ORDER BY title",
            "Attribute title in ORDER BY clause must be part of the primary key",
        ),
        (
            "SELECT * FROM music WHERE song = 1 ORDER BY song",
            "Must have at least one non-optional hash key condition in WHERE clause when using ORDER BY clause.",
        ),
        (
            "SELECT * FROM music WHERE artist IN ['a', 'b'] ORDER BY song",
            "Must have hash key in ORDER BY clause when more than one hash key condition specified in WHERE clause.",
        ),
    ] {
        assert_validation(
            client.execute_statement().statement(statement).send().await,
            message,
        );
    }
}

#[tokio::test]
async fn select_from_an_index() {
    let server = TestServer::start().await;
    let client = server.dynamodb().await;
    client
        .create_table()
        .table_name("people")
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .attribute_definitions(attr_def("id", ScalarAttributeType::S))
        .attribute_definitions(attr_def("city", ScalarAttributeType::S))
        .key_schema(key_element("id", aws_sdk_dynamodb::types::KeyType::Hash))
        .global_secondary_indexes(
            aws_sdk_dynamodb::types::GlobalSecondaryIndex::builder()
                .index_name("by_city")
                .key_schema(key_element("city", aws_sdk_dynamodb::types::KeyType::Hash))
                .projection(
                    aws_sdk_dynamodb::types::Projection::builder()
                        .projection_type(aws_sdk_dynamodb::types::ProjectionType::All)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    for (id, city) in [("1", "rome"), ("2", "oslo"), ("3", "rome")] {
        exec(
            &client,
            &format!("INSERT INTO people VALUE {{'id': '{id}', 'city': '{city}'}}"),
        )
        .await;
    }
    let rows = exec(
        &client,
        "SELECT id FROM \"people\".\"by_city\" WHERE city = 'rome'",
    )
    .await;
    let mut ids: Vec<&str> = rows
        .iter()
        .map(|r| r["id"].as_s().unwrap().as_str())
        .collect();
    ids.sort();
    assert_eq!(ids, ["1", "3"]);
    assert_validation(
        client
            .execute_statement()
            .statement("SELECT * FROM people.by_city WHERE city = 'rome'")
            .consistent_read(true)
            .send()
            .await,
        "Strongly consistent read is not supported on Global Secondary Indexes",
    );
    assert_validation(
        client
            .execute_statement()
            .statement("SELECT * FROM people.nope")
            .send()
            .await,
        "The table does not have the specified index: nope",
    );
}

//! SDK tests: BatchExecuteStatement — one item or error per statement,
//! the 25-statement limit, and no mixing of reads and writes.

use aws_sdk_dynamodb::types::{
    BatchStatementErrorCodeEnum, BatchStatementRequest, ReturnConsumedCapacity,
};

use crate::common::*;
use crate::partiql::{get, music};

fn stmt(s: &str) -> BatchStatementRequest {
    BatchStatementRequest::builder()
        .statement(s)
        .build()
        .unwrap()
}

#[tokio::test]
async fn batch_answers_each_statement_with_its_item_or_error() {
    let server = TestServer::start().await;
    let client = music(&server).await;
    let out = client
        .batch_execute_statement()
        .statements(stmt("SLECT * FROM music WHERE artist = 'a'"))
        .statements(stmt("INSERT INTO music VALUE {'artist': 'a', 'song': 1}"))
        .statements(stmt(
            "UPDATE music SET t = 'yes' WHERE artist = 'a' AND song = 2 AND title = 'wrong'",
        ))
        .statements(stmt(
            "INSERT INTO music VALUE {'artist': 'c', 'song': 1, 'title': 'new'}",
        ))
        .statements(stmt("DELETE FROM nosuch WHERE artist = 'a' AND song = 1"))
        .send()
        .await
        .unwrap();
    let r = out.responses();
    assert_eq!(r.len(), 5);
    let e0 = r[0].error().unwrap();
    assert_eq!(
        e0.code(),
        Some(&BatchStatementErrorCodeEnum::ValidationError)
    );
    assert_eq!(
        e0.message(),
        Some("Statement wasn't well formed, can't be processed: Expected data manipulation")
    );
    assert_eq!(r[0].table_name(), None);
    assert_eq!(
        r[1].error().unwrap().code(),
        Some(&BatchStatementErrorCodeEnum::DuplicateItem)
    );
    assert_eq!(r[1].table_name(), Some("music"));
    assert_eq!(
        r[2].error().unwrap().code(),
        Some(&BatchStatementErrorCodeEnum::ConditionalCheckFailed)
    );
    assert!(r[3].error().is_none());
    assert_eq!(
        r[4].error().unwrap().code(),
        Some(&BatchStatementErrorCodeEnum::ResourceNotFound)
    );
    // The failed ones changed nothing, the good one wrote.
    let got = get(
        &client,
        "music",
        item(&[("artist", s("a")), ("song", n("2"))]),
    )
    .await
    .unwrap();
    assert!(!got.contains_key("t"));
    assert!(
        get(
            &client,
            "music",
            item(&[("artist", s("c")), ("song", n("1"))])
        )
        .await
        .is_some()
    );

    let reads = client
        .batch_execute_statement()
        .statements(stmt(
            "SELECT title FROM music WHERE artist = 'a' AND song = 2",
        ))
        .statements(stmt(
            "SELECT * FROM music WHERE artist = 'zzz' AND song = 2",
        ))
        .statements(stmt("SELECT * FROM music WHERE artist = 'a'"))
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    let r = reads.responses();
    assert_eq!(r[0].item().unwrap(), &item(&[("title", s("two"))]));
    assert!(r[1].item().is_none() && r[1].error().is_none());
    let e2 = r[2].error().unwrap();
    assert_eq!(
        e2.code(),
        Some(&BatchStatementErrorCodeEnum::ValidationError)
    );
    assert_eq!(
        e2.message(),
        Some("Where clause does not contain a mandatory equality on all key attributes")
    );
    assert_eq!(reads.consumed_capacity()[0].table_name(), Some("music"));
}

#[tokio::test]
async fn batch_limits_and_no_mixing() {
    let server = TestServer::start().await;
    let client = music(&server).await;
    let mut too_many = client.batch_execute_statement();
    for i in 0..26 {
        too_many = too_many.statements(stmt(&format!(
            "SELECT * FROM music WHERE artist = 'a' AND song = {i}"
        )));
    }
    let (code, msg) = failure(too_many.send().await);
    assert_eq!(code, "ValidationException");
    assert_eq!(
        msg,
        "1 validation error detected: Value at 'statements' failed to satisfy constraint: Member must have length less than or equal to 25"
    );
    assert_validation(
        client
            .batch_execute_statement()
            .statements(stmt("SELECT * FROM music WHERE artist = 'a' AND song = 1"))
            .statements(stmt("INSERT INTO music VALUE {'artist': 'm', 'song': 1}"))
            .send()
            .await,
        "BatchExecuteStatement API does not support both read and write operations in the same request.",
    );
    assert!(
        get(
            &client,
            "music",
            item(&[("artist", s("m")), ("song", n("1"))])
        )
        .await
        .is_none()
    );
}

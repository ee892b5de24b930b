//! SDK tests: ExecuteTransaction — all-or-nothing writes with reasons,
//! EXISTS condition checks, read transactions, ClientRequestToken, and
//! DynamoDB's messages for what a transaction refuses.

use aws_sdk_dynamodb::operation::execute_transaction::ExecuteTransactionError;
use aws_sdk_dynamodb::types::{ParameterizedStatement, ScalarAttributeType};

use crate::common::*;

fn st(s: &str) -> ParameterizedStatement {
    ParameterizedStatement::builder()
        .statement(s)
        .build()
        .unwrap()
}

async fn table(server: &TestServer) -> aws_sdk_dynamodb::Client {
    let client = server.dynamodb().await;
    create_table(&client, "txns", ("pk", ScalarAttributeType::S), None).await;
    for (pk, v) in [("a", "1"), ("b", "2")] {
        client
            .put_item()
            .table_name("txns")
            .set_item(Some(item(&[("pk", s(pk)), ("n", n(v))])))
            .send()
            .await
            .unwrap();
    }
    client
}

async fn n_of(client: &aws_sdk_dynamodb::Client, pk: &str) -> Option<String> {
    let out = client
        .get_item()
        .table_name("txns")
        .key("pk", s(pk))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    out.item().map(|i| i["n"].as_n().unwrap().clone())
}

#[tokio::test]
async fn writes_commit_together() {
    let server = TestServer::start().await;
    let client = table(&server).await;
    client
        .execute_transaction()
        .transact_statements(st("INSERT INTO txns VALUE {'pk': 'c', 'n': 3}"))
        .transact_statements(st("UPDATE txns SET n = n + 10 WHERE pk = 'a'"))
        .transact_statements(st("DELETE FROM txns WHERE pk = 'b'"))
        .send()
        .await
        .unwrap();
    assert_eq!(n_of(&client, "c").await.as_deref(), Some("3"));
    assert_eq!(n_of(&client, "a").await.as_deref(), Some("11"));
    assert_eq!(n_of(&client, "b").await, None);
}

#[tokio::test]
async fn a_failing_statement_cancels_all_with_reasons() {
    let server = TestServer::start().await;
    let client = table(&server).await;
    let err = client
        .execute_transaction()
        .transact_statements(st("INSERT INTO txns VALUE {'pk': 'c', 'n': 3}"))
        .transact_statements(st("UPDATE txns SET n = 5 WHERE pk = 'ghost'"))
        .transact_statements(st("EXISTS(SELECT * FROM txns WHERE pk = 'b' AND n = 2)"))
        .send()
        .await
        .unwrap_err();
    let ExecuteTransactionError::TransactionCanceledException(e) = err.into_service_error() else {
        panic!("not a cancellation")
    };
    assert_eq!(
        e.message(),
        Some(
            "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed, None]"
        )
    );
    let codes: Vec<&str> = e
        .cancellation_reasons()
        .iter()
        .map(|r| r.code().unwrap_or(""))
        .collect();
    assert_eq!(codes, ["None", "ConditionalCheckFailed", "None"]);
    assert_eq!(n_of(&client, "c").await, None, "the insert was not kept");

    // A false EXISTS and a duplicate INSERT cancel too.
    let err = client
        .execute_transaction()
        .transact_statements(st("UPDATE txns SET n = 9 WHERE pk = 'a'"))
        .transact_statements(st("EXISTS(SELECT * FROM txns WHERE pk = 'b' AND n = 99)"))
        .transact_statements(st("INSERT INTO txns VALUE {'pk': 'c', 'n': 3}"))
        .send()
        .await
        .unwrap_err();
    let ExecuteTransactionError::TransactionCanceledException(e) = err.into_service_error() else {
        panic!("not a cancellation")
    };
    let codes: Vec<&str> = e
        .cancellation_reasons()
        .iter()
        .map(|r| r.code().unwrap_or(""))
        .collect();
    assert_eq!(codes, ["None", "ConditionalCheckFailed", "None"]);
    assert_eq!(n_of(&client, "a").await.as_deref(), Some("1"));
    let err = client
        .execute_transaction()
        .transact_statements(st("INSERT INTO txns VALUE {'pk': 'a', 'n': 3}"))
        .send()
        .await
        .unwrap_err();
    let ExecuteTransactionError::TransactionCanceledException(e) = err.into_service_error() else {
        panic!("not a cancellation")
    };
    assert_eq!(
        e.cancellation_reasons()[0].code(),
        Some("ConditionalCheckFailed")
    );
    assert_eq!(n_of(&client, "a").await.as_deref(), Some("1"));
}

#[tokio::test]
async fn reads_answer_one_item_per_statement() {
    let server = TestServer::start().await;
    let client = table(&server).await;
    let out = client
        .execute_transaction()
        .transact_statements(st("SELECT n FROM txns WHERE pk = 'a'"))
        .transact_statements(st("SELECT * FROM txns WHERE pk = 'zzz'"))
        .transact_statements(st("SELECT * FROM txns WHERE pk = 'b'"))
        .send()
        .await
        .unwrap();
    let r = out.responses();
    assert_eq!(r.len(), 3);
    assert_eq!(r[0].item().unwrap(), &item(&[("n", n("1"))]));
    assert!(r[1].item().is_none());
    assert_eq!(r[2].item().unwrap()["pk"], s("b"));
}

#[tokio::test]
async fn refused_transactions_change_nothing() {
    let server = TestServer::start().await;
    let client = table(&server).await;
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "SELECT * FROM txns WHERE pk = 'a'",
                "UPDATE txns SET n = 0 WHERE pk = 'a'",
            ],
            "ExecuteTransaction API does not support both read and write operations in the same request.",
        ),
        (
            vec!["UPDATE txns SET n = 0 WHERE pk = 'a' RETURNING ALL NEW *"],
            "Validation failed in TransactStatements[0]: RETURNING clause is not supported in ExecuteTransaction.",
        ),
        (
            vec![
                "UPDATE txns SET n = 0 WHERE pk = 'a'",
                "SELECT * FROM txns WHERE",
            ],
            "Validation failed in TransactStatements[1]: Statement wasn't well formed, can't be processed: Unexpected term",
        ),
        (
            vec!["SELECT * FROM txns WHERE n = 1"],
            "Validation failed in TransactStatements[0]: Select statements within ExecuteTransaction must specify the primary key in the where clause.",
        ),
        (
            vec!["SELECT * FROM \"txns\".\"ix\" WHERE pk = 'a'"],
            "Validation failed in TransactStatements[0]: Reads on indices are not supported within transactions.",
        ),
        (
            vec![
                "UPDATE txns SET n = 0 WHERE pk = 'a'",
                "DELETE FROM txns WHERE pk = 'a'",
            ],
            "Transaction request cannot include multiple operations on one item",
        ),
    ];
    for (statements, message) in cases {
        let mut req = client.execute_transaction();
        for s in &statements {
            req = req.transact_statements(st(s));
        }
        assert_validation(req.send().await, message);
    }
    let mut too_many = client.execute_transaction();
    for i in 0..101 {
        too_many =
            too_many.transact_statements(st(&format!("UPDATE txns SET n = 0 WHERE pk = 'k{i}'")));
    }
    assert_validation(
        too_many.send().await,
        "1 validation error detected: Value at 'transactStatements' failed to satisfy constraint: Member must have length less than or equal to 100",
    );
    assert_eq!(n_of(&client, "a").await.as_deref(), Some("1"));
}

#[tokio::test]
async fn a_client_request_token_runs_the_transaction_once() {
    let server = TestServer::start().await;
    let client = table(&server).await;
    for _ in 0..2 {
        client
            .execute_transaction()
            .client_request_token("partiql-token-1")
            .transact_statements(st("UPDATE txns SET n = n + 1 WHERE pk = 'a'"))
            .send()
            .await
            .unwrap();
    }
    assert_eq!(n_of(&client, "a").await.as_deref(), Some("2"));
    let (code, _) = failure(
        client
            .execute_transaction()
            .client_request_token("partiql-token-1")
            .transact_statements(st("UPDATE txns SET n = n + 5 WHERE pk = 'a'"))
            .send()
            .await,
    );
    assert_eq!(code, "IdempotentParameterMismatchException");
    assert_eq!(n_of(&client, "a").await.as_deref(), Some("2"));
}

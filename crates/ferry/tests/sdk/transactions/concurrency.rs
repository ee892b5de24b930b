//! Many clients at once: transactions moving money between accounts (some
//! refused by their conditions), single-item writes to the same accounts,
//! transactional reads, and a full export taken in the middle of the run.
//! Every read, the final state and the export see the same total.

use aws_sdk_dynamodb::types::{ExportStatus, Get, TransactGetItem};
use serde_json::Value;

use super::*;
use crate::exports::{arn, json_lines, read_export, wait_export};
use crate::pitr::enable_pitr;

const ACCOUNTS: usize = 8;
const START: i64 = 1000;
const TRANSFER_TASKS: usize = 4;
const TRANSFERS: usize = 40;

fn acct(i: usize) -> String {
    format!("acct{i}")
}

/// Sum of the `b` members of DynamoDB JSON items (absent = 0).
fn sum_json(items: &[Value]) -> i64 {
    items
        .iter()
        .filter_map(|i| i["Item"]["b"]["N"].as_str())
        .map(|v| v.parse::<i64>().unwrap())
        .sum()
}

fn sum_items(items: &[Item]) -> i64 {
    items
        .iter()
        .filter_map(|i| match i.get("b") {
            Some(AttributeValue::N(v)) => Some(v.parse::<i64>().unwrap()),
            _ => None,
        })
        .sum()
}

/// Move `amount` from one account to another and log it in `ledger`.
async fn transfer(
    client: &aws_sdk_dynamodb::Client,
    from: usize,
    to: usize,
    amount: i64,
    id: &str,
) -> bool {
    let r = client
        .transact_write_items()
        .transact_items(add("bank", &acct(from), -amount))
        .transact_items(add("bank", &acct(to), amount))
        .transact_items(put_if_absent(
            "ledger",
            item(&[("id", s(id)), ("amount", n(&amount.to_string()))]),
        ))
        .send()
        .await;
    match r {
        Ok(_) => true,
        Err(e) => {
            let (message, reasons) = cancellation::<()>(Err(e));
            assert!(message.starts_with("Transaction cancelled"), "{message}");
            assert_eq!(reasons[0].code(), Some("ConditionalCheckFailed"));
            false
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn transfers_keep_the_total_in_reads_and_in_an_export() {
    let server = TestServer::start().await;
    let (client, s3) = (server.dynamodb().await, server.s3().await);
    s3.create_bucket().bucket("exports").send().await.unwrap();
    for t in ["bank", "ledger"] {
        create_table(&client, t, ("id", ScalarAttributeType::S), None).await;
    }
    enable_pitr(&client, "bank").await;
    for i in 0..ACCOUNTS {
        client
            .put_item()
            .table_name("bank")
            .set_item(Some(account(&acct(i), START)))
            .send()
            .await
            .unwrap();
    }
    let total = START * ACCOUNTS as i64;

    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<()>();
    let mut ready_tx = Some(ready_tx);
    let mut tasks = Vec::new();
    for w in 0..TRANSFER_TASKS {
        let client = client.clone();
        let mut signal = if w == 0 { ready_tx.take() } else { None };
        tasks.push(tokio::spawn(async move {
            let mut done = 0usize;
            for i in 0..TRANSFERS {
                let (from, to) = ((w * 3 + i) % ACCOUNTS, (w * 5 + i * 3 + 1) % ACCOUNTS);
                if from == to {
                    continue;
                }
                // Every ninth transfer asks for more than any account holds.
                let amount = if i % 9 == 8 {
                    10 * total
                } else {
                    (i % 7 + 1) as i64
                };
                if transfer(&client, from, to, amount, &format!("t{w}-{i}")).await {
                    done += 1;
                }
                if i == 10
                    && let Some(tx) = signal.take()
                {
                    tx.send(()).unwrap();
                }
            }
            done
        }));
    }
    // Single-item writes to the same accounts (not to the balances).
    let mut writers = Vec::new();
    for w in 0..2usize {
        let client = client.clone();
        writers.push(tokio::spawn(async move {
            for i in 0..TRANSFERS {
                client
                    .update_item()
                    .table_name("bank")
                    .set_key(Some(key(&acct((w + i) % ACCOUNTS))))
                    .update_expression("SET touches = if_not_exists(touches, :z) + :one")
                    .expression_attribute_values(":z", n("0"))
                    .expression_attribute_values(":one", n("1"))
                    .send()
                    .await
                    .unwrap();
            }
        }));
    }
    // Transactional reads: every snapshot holds the total.
    let reader = {
        let client = client.clone();
        tokio::spawn(async move {
            for _ in 0..TRANSFERS {
                let mut req = client.transact_get_items();
                for i in 0..ACCOUNTS {
                    req = req.transact_items(
                        TransactGetItem::builder()
                            .get(
                                Get::builder()
                                    .table_name("bank")
                                    .set_key(Some(key(&acct(i))))
                                    .build()
                                    .unwrap(),
                            )
                            .build(),
                    );
                }
                let out = req.send().await.unwrap();
                let items: Vec<Item> = out
                    .responses()
                    .iter()
                    .filter_map(|r| r.item().cloned())
                    .collect();
                assert_eq!(sum_items(&items), total);
            }
        })
    };

    ready_rx.await.unwrap();
    let started = client
        .export_table_to_point_in_time()
        .table_arn(arn("bank"))
        .s3_bucket("exports")
        .send()
        .await
        .unwrap();
    let export_arn = started
        .export_description()
        .and_then(|d| d.export_arn())
        .unwrap()
        .to_string();

    let mut transfers = 0;
    for t in tasks {
        transfers += t.await.unwrap();
    }
    for t in writers {
        t.await.unwrap();
    }
    reader.await.unwrap();

    let bank = scan_all(&client, "bank").await;
    assert_eq!(bank.len(), ACCOUNTS);
    assert_eq!(sum_items(&bank), total);
    let touches: i64 = bank
        .iter()
        .map(|i| match i.get("touches") {
            Some(AttributeValue::N(v)) => v.parse::<i64>().unwrap(),
            _ => 0,
        })
        .sum();
    assert_eq!(touches, 2 * TRANSFERS as i64, "no single write was lost");
    assert_eq!(scan_all(&client, "ledger").await.len(), transfers);
    assert!(transfers > 0 && transfers < TRANSFER_TASKS * TRANSFERS);

    let d = wait_export(&client, &export_arn).await;
    assert_eq!(d.export_status(), Some(&ExportStatus::Completed));
    let out = read_export(&s3, "exports", &d).await;
    let lines = json_lines(&out);
    assert_eq!(lines.len(), ACCOUNTS);
    assert_eq!(
        sum_json(&lines),
        total,
        "the export is transactionally consistent"
    );
}

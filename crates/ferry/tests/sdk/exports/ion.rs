//! SDK tests: Ion exports, every line re-read with ion-rs and compared with
//! the DynamoDB JSON form of the same data.

use aws_sdk_dynamodb::types::{ExportFormat, ExportStatus, ExportType};
use serde_json::{Value, json};

use super::*;

/// An Ion value as canonical DynamoDB JSON (numbers canonicalised).
fn ion_to_json(e: &ion_rs::Element) -> Value {
    use ion_rs::IonType;
    let num = |d: ion_rs::Decimal| -> Value {
        let text = d.to_string().replace('d', "e");
        let text = text.strip_suffix('.').unwrap_or(&text);
        json!({"N": ferry_model::Number::parse(text).unwrap().to_string()})
    };
    let ann = e.annotations().first();
    match (e.ion_type(), ann) {
        (IonType::List, Some(set)) => {
            let members: Vec<Value> = e
                .as_sequence()
                .unwrap()
                .iter()
                .map(|m| match set {
                    "$dynamodb_SS" => json!(m.as_string().unwrap()),
                    "$dynamodb_NS" => num(m.as_decimal().unwrap())["N"].clone(),
                    "$dynamodb_BS" => json!(b64(m.as_blob().unwrap())),
                    other => panic!("annotation {other}"),
                })
                .collect();
            json!({ set.trim_start_matches("$dynamodb_"): members })
        }
        (IonType::String, _) => json!({"S": e.as_string().unwrap()}),
        (IonType::Decimal, _) => num(e.as_decimal().unwrap()),
        (IonType::Blob, _) => json!({"B": b64(e.as_blob().unwrap())}),
        (IonType::Bool, _) => json!({"BOOL": e.as_bool().unwrap()}),
        (IonType::Null, _) => json!({"NULL": true}),
        (IonType::List, None) => {
            json!({"L": e.as_sequence().unwrap().iter().map(ion_to_json).collect::<Vec<_>>()})
        }
        (IonType::Struct, _) => json!({"M": ion_struct(e)}),
        (other, _) => panic!("unexpected Ion type {other:?}"),
    }
}

fn ion_struct(e: &ion_rs::Element) -> Value {
    let mut m = serde_json::Map::new();
    for (k, v) in e.as_struct().unwrap().fields() {
        m.insert(k.text().unwrap().to_string(), ion_to_json(v));
    }
    Value::Object(m)
}

/// Each Ion line, `$ion_1_0 {Item:{...}}` or `$ion_1_0 {Record:{...}}`, as
/// the DynamoDB JSON form of the same line.
pub(super) fn ion_lines(out: &Output, top: &str) -> Vec<Value> {
    let mut v: Vec<Value> = out
        .files
        .values()
        .flatten()
        .map(|line| {
            assert!(line.starts_with(&format!("$ion_1_0 {{{top}:")), "{line}");
            let elements = ion_rs::Element::read_all(line.as_bytes()).unwrap();
            assert_eq!(elements.len(), 1, "one value per line: {line}");
            let outer = elements
                .iter()
                .next()
                .unwrap()
                .as_struct()
                .unwrap()
                .get(top)
                .unwrap()
                .clone();
            let mut j = if top == "Item" {
                json!({ "Item": ion_struct(&outer) })
            } else {
                let mut m = serde_json::Map::new();
                for (k, v) in outer.as_struct().unwrap().fields() {
                    let name = k.text().unwrap();
                    let value = match name {
                        "Metadata" => {
                            let ts = v.as_struct().unwrap().get("WriteTimestampMicros").unwrap();
                            json!({ "WriteTimestampMicros": num_text(ts) })
                        }
                        _ => ion_struct(v),
                    };
                    m.insert(name.to_string(), value);
                }
                json!({ top: Value::Object(m) })
            };
            normalize(&mut j);
            j
        })
        .collect();
    v.sort_by_key(|x| x.to_string());
    v
}

fn num_text(e: &ion_rs::Element) -> String {
    let text = e.as_decimal().unwrap().to_string().replace('d', "e");
    let text = text.strip_suffix('.').unwrap_or(&text);
    ferry_model::Number::parse(text).unwrap().to_string()
}

#[tokio::test]
async fn ion_export_rereads_with_ion_rs() {
    let server = TestServer::start().await;
    let (client, s3) = (server.dynamodb().await, server.s3().await);
    s3.create_bucket().bucket("ion").send().await.unwrap();
    pitr_table(&client, "ionx").await;
    for i in 0..12 {
        put(&client, "ionx", rich_item(i, "v")).await;
    }
    let out = client
        .export_table_to_point_in_time()
        .table_arn(arn("ionx"))
        .s3_bucket("ion")
        .export_format(ExportFormat::Ion)
        .export_type(ExportType::FullExport)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.export_description().unwrap().export_type(),
        Some(&ExportType::FullExport)
    );
    let d = wait_export(
        &client,
        out.export_description().unwrap().export_arn().unwrap(),
    )
    .await;
    assert_eq!(
        d.export_status(),
        Some(&ExportStatus::Completed),
        "{:?}",
        d.failure_message()
    );
    assert_eq!(d.s3_prefix(), None);
    let out = read_export(&s3, "ion", &d).await;
    assert!(
        out.files
            .keys()
            .all(|k| k.starts_with("AWSDynamoDB/") && k.ends_with(".ion.gz"))
    );
    let got = ion_lines(&out, "Item");
    let mut expected: Vec<Value> = (0..12).map(|i| rich_json(i, "v")).collect();
    expected.sort_by_key(|x| x.to_string());
    assert_eq!(got, expected);
    assert_eq!(out.summary["outputFormat"], "ION");
    // AWS's number forms: integers end with '.', 600 is 6d2.
    let text: String = out
        .files
        .values()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        text.contains("n:6d2") && text.contains("sk:1.,") && text.contains("$dynamodb_SS::["),
        "{text}"
    );
}

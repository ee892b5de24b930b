//! The CloudWatch Logs subset on Ferry's port (`X-Amz-Target:
//! Logs_20140328.*`, JSON 1.1) over real import error logs: GetLogEvents
//! with its token dance, FilterLogEvents, DescribeLogStreams,
//! DescribeLogGroups, and Logs-style errors.

use aws_sdk_dynamodb::types::{ImportStatus, InputFormat, ScalarAttributeType};

use crate::common::*;
use crate::imports::{bucket, import_id, params, put, source, start, wait};

const GROUP: &str = "/aws-dynamodb/imports";

async fn logs(server: &TestServer, op: &str, body: serde_json::Value) -> RawResponse {
    raw_post(
        server.addr(),
        &[
            ("X-Amz-Target", &format!("Logs_20140328.{op}")),
            ("Content-Type", "application/x-amz-json-1.1"),
        ],
        &body.to_string(),
    )
    .await
}

/// A failed import with one bad item in each of `bad` objects (and a good one).
async fn failed_import(server: &TestServer, table: &str, bad: usize) -> (String, String) {
    let db = server.dynamodb().await;
    bucket(server, "logs").await;
    put(
        server,
        "logs",
        &format!("{table}/good.json"),
        "{\"Item\":{\"pk\":{\"S\":\"ok\"}}}\n",
    )
    .await;
    for i in 0..bad {
        put(server, "logs", &format!("{table}/bad-{i:02}.json"), format!("{{\"Item\":{{\"pk\":{{\"S\":\"x{i}\"}}}}}}\n{{\"Item\":{{\"nokey\":{{\"N\":\"{i}\"}}}}}}\n")).await;
    }
    let d = start(
        &db,
        source("logs", &format!("{table}/")),
        InputFormat::DynamodbJson,
        None,
        None,
        params(table, ("pk", ScalarAttributeType::S), None),
    )
    .await;
    let done = wait(&db, d.import_arn().unwrap()).await;
    assert_eq!(done.import_status(), Some(&ImportStatus::Failed));
    assert_eq!(done.error_count(), bad as i64);
    (import_id(&done), done.import_arn().unwrap().to_string())
}

fn is_token(t: &str, dir: char) -> bool {
    let b = t.as_bytes();
    b.len() == 60
        && b[0] == dir as u8
        && &t[1..2] == "/"
        && t.ends_with("/s")
        && t[2..58].bytes().all(|c| c.is_ascii_digit())
}

#[tokio::test]
async fn get_log_events_prints_the_errors_as_the_guide_shows() {
    let server = TestServer::start().await;
    let (id, arn) = failed_import(&server, "LogsA", 3).await;
    let stream = format!("{id}/error");
    let r = logs(
        &server,
        "GetLogEvents",
        serde_json::json!({"logGroupName": GROUP, "logStreamName": stream}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.headers["content-type"], "application/x-amz-json-1.1");
    let v = r.json();
    let events = v["events"].as_array().unwrap();
    assert_eq!(events.len(), 3);
    let mut keys = Vec::new();
    for e in events {
        assert!(e["timestamp"].as_i64().unwrap() > 1_600_000_000_000);
        assert!(e["ingestionTime"].as_i64().unwrap() >= e["timestamp"].as_i64().unwrap());
        let m: serde_json::Value = serde_json::from_str(e["message"].as_str().unwrap()).unwrap();
        assert_eq!(m["importArn"], arn.as_str());
        assert_eq!(m["itemS3Pointer"]["bucket"], "logs");
        assert_eq!(m["itemS3Pointer"]["itemIndex"], 1);
        assert_eq!(
            m["errorMessages"],
            serde_json::json!([
                "One or more parameter values were invalid: Missing the key pk in the item"
            ])
        );
        // The field order of AWS's message.
        assert!(
            e["message"]
                .as_str()
                .unwrap()
                .starts_with("{\"itemS3Pointer\":{\"bucket\":\"logs\",\"key\":\"LogsA/bad-")
        );
        keys.push(m["itemS3Pointer"]["key"].as_str().unwrap().to_string());
    }
    keys.sort();
    assert_eq!(
        keys,
        vec![
            "LogsA/bad-00.json",
            "LogsA/bad-01.json",
            "LogsA/bad-02.json"
        ]
    );
    let fwd = v["nextForwardToken"].as_str().unwrap();
    let back = v["nextBackwardToken"].as_str().unwrap();
    assert!(is_token(fwd, 'f') && is_token(back, 'b'), "{fwd} {back}");
    // Paging forward from the head, one at a time, then the end: the same
    // forward token comes back and no events.
    let mut token: Option<String> = None;
    let mut seen = 0;
    loop {
        let mut body = serde_json::json!({"logGroupName": GROUP, "logStreamName": stream, "startFromHead": true, "limit": 1});
        if let Some(t) = &token {
            body["nextToken"] = serde_json::json!(t);
        }
        let v = logs(&server, "GetLogEvents", body).await.json();
        let n = v["events"].as_array().unwrap().len();
        let next = v["nextForwardToken"].as_str().unwrap().to_string();
        if n == 0 {
            assert_eq!(Some(next), token);
            break;
        }
        seen += n;
        token = Some(next);
    }
    assert_eq!(seen, 3);
}

#[tokio::test]
async fn filter_and_describe() {
    let server = TestServer::start().await;
    let (id, _) = failed_import(&server, "LogsB", 2).await;
    let stream = format!("{id}/error");
    let v = logs(
        &server,
        "FilterLogEvents",
        serde_json::json!({"logGroupName": GROUP, "filterPattern": "\"bad-01\""}),
    )
    .await
    .json();
    let events = v["events"].as_array().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["logStreamName"], stream.as_str());
    assert!(
        events[0]["message"]
            .as_str()
            .unwrap()
            .contains("LogsB/bad-01.json")
    );
    assert!(events[0]["eventId"].as_str().is_some_and(|e| e.len() == 56));
    assert_eq!(
        v["searchedLogStreams"],
        serde_json::json!([{"logStreamName": stream, "searchedCompletely": true}])
    );
    let v = logs(
        &server,
        "FilterLogEvents",
        serde_json::json!({"logGroupName": GROUP, "logStreamNames": [stream], "limit": 1}),
    )
    .await
    .json();
    assert_eq!(v["events"].as_array().unwrap().len(), 1);
    let token = v["nextToken"].as_str().unwrap().to_string();
    let v = logs(
        &server,
        "FilterLogEvents",
        serde_json::json!({"logGroupName": GROUP, "nextToken": token}),
    )
    .await
    .json();
    assert_eq!(v["events"].as_array().unwrap().len(), 1);
    assert!(v.get("nextToken").is_none());

    let v = logs(
        &server,
        "DescribeLogStreams",
        serde_json::json!({"logGroupName": GROUP}),
    )
    .await
    .json();
    let streams = v["logStreams"].as_array().unwrap();
    assert_eq!(streams.len(), 1);
    assert_eq!(streams[0]["logStreamName"], stream.as_str());
    assert_eq!(
        streams[0]["arn"],
        format!("arn:aws:logs:us-east-1:000000000000:log-group:/aws-dynamodb/imports:log-stream:{stream}").as_str()
    );
    assert!(
        streams[0]["lastEventTimestamp"].as_i64().unwrap()
            >= streams[0]["firstEventTimestamp"].as_i64().unwrap()
    );
    let v = logs(
        &server,
        "DescribeLogGroups",
        serde_json::json!({"logGroupNamePrefix": "/aws-dynamodb"}),
    )
    .await
    .json();
    let groups = v["logGroups"].as_array().unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0]["logGroupName"], GROUP);
    assert_eq!(
        groups[0]["arn"],
        "arn:aws:logs:us-east-1:000000000000:log-group:/aws-dynamodb/imports:*"
    );
    assert_eq!(
        groups[0]["logGroupArn"],
        "arn:aws:logs:us-east-1:000000000000:log-group:/aws-dynamodb/imports"
    );
    assert!(groups[0]["storedBytes"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn logs_errors_have_bare_types_and_cloudwatch_messages() {
    let server = TestServer::start().await;
    let r = logs(
        &server,
        "GetLogEvents",
        serde_json::json!({"logGroupName": GROUP, "logStreamName": "x/error"}),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json(),
        serde_json::json!({"__type": "ResourceNotFoundException", "message": "The specified log group does not exist."})
    );
    failed_import(&server, "LogsC", 1).await;
    let r = logs(
        &server,
        "GetLogEvents",
        serde_json::json!({"logGroupName": GROUP, "logStreamName": "nope/error"}),
    )
    .await;
    assert_eq!(
        r.json(),
        serde_json::json!({"__type": "ResourceNotFoundException", "message": "The specified log stream does not exist."})
    );
    let r = logs(
        &server,
        "DescribeLogStreams",
        serde_json::json!({"logGroupName": "/nope"}),
    )
    .await;
    assert_eq!(r.json()["__type"], "ResourceNotFoundException");
    let r = logs(
        &server,
        "GetLogEvents",
        serde_json::json!({"logGroupName": GROUP, "logStreamName": "x", "nextToken": "garbage"}),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json(),
        serde_json::json!({"__type": "InvalidParameterException", "message": "The specified nextToken is invalid."})
    );
}

#[tokio::test]
async fn error_logs_survive_a_restart() {
    let server = TestServer::start().await;
    let (id, _) = failed_import(&server, "LogsD", 2).await;
    let dir = server.stop().await;
    let server = TestServer::start_in(dir, |_| {}).await;
    let v = logs(&server, "GetLogEvents", serde_json::json!({"logGroupName": GROUP, "logStreamName": format!("{id}/error"), "startFromHead": true})).await.json();
    assert_eq!(v["events"].as_array().unwrap().len(), 2);
}

/// JSON nested far past the parser's limit is a bare SerializationException
/// in a known member and skipped (without recursion) in an unknown one:
/// never a stack overflow, and the server keeps serving.
#[tokio::test]
async fn deeply_nested_logs_requests_are_bounded() {
    let server = TestServer::start().await;
    for levels in [200, 100_000] {
        let deep = format!("{}1{}", "[".repeat(levels), "]".repeat(levels));
        let known = format!(r#"{{"logGroupName":{deep}}}"#);
        let unknown = format!(r#"{{"logGroupName":"/nope","unknownMember":{deep}}}"#);
        for (body, answer) in [
            (known, "SerializationException"),
            (unknown, "ResourceNotFoundException"),
        ] {
            let r = raw_post(
                server.addr(),
                &[
                    ("X-Amz-Target", "Logs_20140328.DescribeLogStreams"),
                    ("Content-Type", "application/x-amz-json-1.1"),
                ],
                &body,
            )
            .await;
            assert_eq!(r.status, 400, "{levels}: {}", r.body);
            assert_eq!(r.json()["__type"], answer, "{levels}: {}", r.body);
        }
    }
    let r = logs(&server, "DescribeLogGroups", serde_json::json!({})).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

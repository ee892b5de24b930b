//! Tests of the CloudWatch Logs event store: appends across blocks, the
//! GetLogEvents token dance, filtering, describing, deleting, reopening.

use std::sync::Arc;

use ferry_storage::{Engine, EngineConfig};

use super::*;

fn engine() -> Arc<Engine> {
    Engine::open(EngineConfig::default()).unwrap()
}

fn events(from: usize, to: usize, ts: i64) -> Vec<InputEvent> {
    (from..to)
        .map(|i| InputEvent {
            timestamp: ts + i as i64,
            message: format!("event {i:04}"),
        })
        .collect()
}

fn messages(page: &EventsPage) -> Vec<String> {
    page.events.iter().map(|e| e.message.clone()).collect()
}

fn range(from: usize, to: usize) -> Vec<String> {
    (from..to).map(|i| format!("event {i:04}")).collect()
}

#[test]
fn tokens_have_cloudwatch_shape_and_round_trip() {
    let f = EventsToken::Forward(1).encode();
    assert_eq!(
        f,
        "f/00000000000000000000000000000000000000000000000000000001/s"
    );
    assert_eq!(f.len(), 2 + 56 + 2);
    assert_eq!(EventsToken::parse(&f).unwrap(), EventsToken::Forward(1));
    assert_eq!(
        EventsToken::parse(&EventsToken::Backward(77).encode()).unwrap(),
        EventsToken::Backward(77)
    );
    for bad in ["", "f/", "x/1/s", "f/12", "f/1a/s", "f//s"] {
        assert!(
            matches!(EventsToken::parse(bad), Err(LogError::InvalidToken)),
            "{bad}"
        );
    }
}

#[test]
fn get_events_pages_forward_and_backward() {
    let store = LogStore::new(engine());
    store
        .put_events("/g", "s/error", events(0, 300, 1000), 5000)
        .unwrap();
    store
        .put_events("/g", "s/error", events(300, 600, 1000), 6000)
        .unwrap();

    // Newest first page by default (startFromHead false): the last 100.
    let q = GetEventsQuery {
        limit: Some(100),
        ..Default::default()
    };
    let page = store.get_events("/g", "s/error", &q).unwrap();
    assert_eq!(messages(&page), range(500, 600));
    assert_eq!(page.next_forward, EventsToken::Forward(600));
    assert_eq!(page.next_backward, EventsToken::Backward(500));
    // Going back.
    let q = GetEventsQuery {
        limit: Some(250),
        token: Some(page.next_backward),
        ..Default::default()
    };
    let back = store.get_events("/g", "s/error", &q).unwrap();
    assert_eq!(messages(&back), range(250, 500));
    assert_eq!(back.next_backward, EventsToken::Backward(250));
    assert_eq!(back.next_forward, EventsToken::Forward(500));
    // Forward from the head, through the block boundary at 256.
    let q = GetEventsQuery {
        limit: Some(257),
        start_from_head: true,
        ..Default::default()
    };
    let head = store.get_events("/g", "s/error", &q).unwrap();
    assert_eq!(messages(&head), range(0, 257));
    assert_eq!(head.events[256].seq, 256);
    assert_eq!(head.events[256].ingestion_time, 5000);
    // At the end, the forward token comes back unchanged.
    let q = GetEventsQuery {
        token: Some(EventsToken::Forward(600)),
        ..Default::default()
    };
    let end = store.get_events("/g", "s/error", &q).unwrap();
    assert!(end.events.is_empty());
    assert_eq!(end.next_forward, EventsToken::Forward(600));
    // Time window.
    let q = GetEventsQuery {
        start_time: Some(1010),
        end_time: Some(1013),
        start_from_head: true,
        ..Default::default()
    };
    assert_eq!(
        messages(&store.get_events("/g", "s/error", &q).unwrap()),
        range(10, 13)
    );
}

#[test]
fn missing_group_and_stream_have_cloudwatch_messages() {
    let store = LogStore::new(engine());
    let q = GetEventsQuery::default();
    let e = store.get_events("/nope", "x", &q).unwrap_err();
    assert_eq!(e.to_string(), "The specified log group does not exist.");
    store.ensure_group("/g", 1).unwrap();
    let e = store.get_events("/g", "x", &q).unwrap_err();
    assert_eq!(e.to_string(), "The specified log stream does not exist.");
}

#[test]
fn events_survive_a_reopen_and_appends_continue_the_partial_block() {
    let dir = tempfile::tempdir().unwrap();
    let config = EngineConfig {
        path: Some(dir.path().to_path_buf()),
        sync: false,
    };
    {
        let store = LogStore::new(Engine::open(config.clone()).unwrap());
        store.put_events("/g", "a", events(0, 10, 100), 7).unwrap();
    }
    let store = LogStore::new(Engine::open(config).unwrap());
    store.put_events("/g", "a", events(10, 20, 100), 8).unwrap();
    let q = GetEventsQuery {
        start_from_head: true,
        ..Default::default()
    };
    let page = store.get_events("/g", "a", &q).unwrap();
    assert_eq!(messages(&page), range(0, 20));
    let rec = store.stream("/g", "a").unwrap();
    assert_eq!(rec.count, 20);
    assert_eq!(rec.first_event_timestamp, Some(100));
    assert_eq!(rec.last_event_timestamp, Some(119));
    assert_eq!(rec.last_ingestion_time, Some(8));
    assert_eq!(rec.stored_bytes, 20 * 10);
}

#[test]
fn timestamps_never_go_backwards_within_a_stream() {
    let store = LogStore::new(engine());
    let evs = vec![
        InputEvent {
            timestamp: 50,
            message: "a".into(),
        },
        InputEvent {
            timestamp: 40,
            message: "b".into(),
        },
    ];
    store.put_events("/g", "s", evs, 1).unwrap();
    let page = store
        .get_events(
            "/g",
            "s",
            &GetEventsQuery {
                start_from_head: true,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(
        page.events.iter().map(|e| e.timestamp).collect::<Vec<_>>(),
        vec![50, 50]
    );
}

#[test]
fn filter_interleaves_streams_and_pages() {
    let store = LogStore::new(engine());
    store
        .put_events(
            "/g",
            "one",
            vec![
                InputEvent {
                    timestamp: 1,
                    message: "alpha missing key".into(),
                },
                InputEvent {
                    timestamp: 3,
                    message: "beta".into(),
                },
            ],
            10,
        )
        .unwrap();
    store
        .put_events(
            "/g",
            "two",
            vec![
                InputEvent {
                    timestamp: 2,
                    message: "gamma missing key".into(),
                },
                InputEvent {
                    timestamp: 4,
                    message: "delta \"missing key\"".into(),
                },
            ],
            10,
        )
        .unwrap();
    let q = FilterQuery {
        pattern: Some("\"missing key\"".into()),
        ..Default::default()
    };
    let page = store.filter_events("/g", &q).unwrap();
    let got: Vec<(&str, &str)> = page
        .events
        .iter()
        .map(|e| (e.stream.as_str(), e.event.message.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("one", "alpha missing key"),
            ("two", "gamma missing key"),
            ("two", "delta \"missing key\"")
        ]
    );
    assert_eq!(page.searched_streams, vec!["one", "two"]);
    assert_eq!(page.next_token, None);
    // Paging one at a time reaches every event exactly once.
    let mut token = None;
    let mut all = Vec::new();
    loop {
        let q = FilterQuery {
            limit: Some(1),
            token: token.clone(),
            ..Default::default()
        };
        let page = store.filter_events("/g", &q).unwrap();
        all.extend(page.events.into_iter().map(|e| e.event.message));
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(
        all,
        vec![
            "alpha missing key",
            "gamma missing key",
            "beta",
            "delta \"missing key\""
        ]
    );
    // Stream selection, exclusions and alternatives.
    let q = FilterQuery {
        stream_names: Some(vec!["two".into()]),
        pattern: Some("-delta".into()),
        ..Default::default()
    };
    let page = store.filter_events("/g", &q).unwrap();
    assert_eq!(page.events.len(), 1);
    assert_eq!(page.events[0].event.message, "gamma missing key");
    let q = FilterQuery {
        pattern: Some("?beta ?gamma".into()),
        ..Default::default()
    };
    assert_eq!(store.filter_events("/g", &q).unwrap().events.len(), 2);
    let q = FilterQuery {
        stream_names: Some(vec![]),
        stream_prefix: Some("o".into()),
        ..Default::default()
    };
    assert!(matches!(
        store.filter_events("/g", &q),
        Err(LogError::InvalidParameter(_))
    ));
}

#[test]
fn describe_streams_and_groups_with_paging() {
    let store = LogStore::new(engine());
    for (i, name) in ["c/error", "a/error", "b/error"].iter().enumerate() {
        store
            .put_events(
                "/aws-dynamodb/imports",
                name,
                events(0, 1, 100 * (3 - i as i64)),
                9,
            )
            .unwrap();
    }
    store.ensure_group("/other", 5).unwrap();
    let q = StreamsQuery::default();
    let page = store.describe_streams("/aws-dynamodb/imports", &q).unwrap();
    assert_eq!(
        page.items
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        vec!["a/error", "b/error", "c/error"]
    );
    let q = StreamsQuery {
        order_by_last_event_time: true,
        descending: true,
        ..Default::default()
    };
    let page = store.describe_streams("/aws-dynamodb/imports", &q).unwrap();
    assert_eq!(
        page.items
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        vec!["c/error", "a/error", "b/error"]
    );
    let q = StreamsQuery {
        limit: Some(2),
        ..Default::default()
    };
    let first = store.describe_streams("/aws-dynamodb/imports", &q).unwrap();
    assert_eq!(first.items.len(), 2);
    let q = StreamsQuery {
        limit: Some(2),
        token: first.next_token.clone(),
        ..Default::default()
    };
    let second = store.describe_streams("/aws-dynamodb/imports", &q).unwrap();
    assert_eq!(
        second
            .items
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        vec!["c/error"]
    );
    assert_eq!(second.next_token, None);
    let q = StreamsQuery {
        prefix: Some("a".into()),
        order_by_last_event_time: true,
        ..Default::default()
    };
    assert!(matches!(
        store.describe_streams("/aws-dynamodb/imports", &q),
        Err(LogError::InvalidParameter(_))
    ));

    let groups = store.describe_groups(None, None, None).unwrap();
    assert_eq!(
        groups
            .items
            .iter()
            .map(|g| g.name.as_str())
            .collect::<Vec<_>>(),
        vec!["/aws-dynamodb/imports", "/other"]
    );
    assert_eq!(groups.items[0].stored_bytes, 30);
    let groups = store.describe_groups(Some("/aws"), Some(1), None).unwrap();
    assert_eq!(groups.items.len(), 1);
    assert_eq!(groups.next_token, None);
    assert!(matches!(
        store.describe_groups(None, None, Some("zz")),
        Err(LogError::InvalidToken)
    ));
}

#[test]
fn delete_stream_removes_its_events() {
    let store = LogStore::new(engine());
    store.put_events("/g", "s", events(0, 300, 1), 1).unwrap();
    store.delete_stream("/g", "s").unwrap();
    assert!(matches!(
        store.stream("/g", "s"),
        Err(LogError::StreamNotFound)
    ));
    assert_eq!(
        store.describe_groups(None, None, None).unwrap().items[0].stored_bytes,
        0
    );
    // A new stream of the same name starts empty.
    store.put_events("/g", "s", events(0, 1, 1), 2).unwrap();
    let page = store
        .get_events(
            "/g",
            "s",
            &GetEventsQuery {
                start_from_head: true,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(messages(&page), range(0, 1));
}

//! Format-1 table records, as `ferry serve` wrote them before typed settings
//! (`tests/fixtures/catalog-v1/`, taken from a data directory made by that
//! version; `crates/ferry/tests/sdk/migration.rs` opens the whole directory),
//! read as today's records.

use std::collections::BTreeMap;

use ferry_model::{
    AttributeDefinition, BillingMode, OnDemandThroughput, ScalarType, SseSettings, StreamSettings,
    StreamViewType, TableClass, TableSettings, Tag, Throughput,
};

use crate::catalog::TableRecord;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/catalog-v1/",
            $name,
            ".json"
        ))
    };
}

fn v1(json: &[u8]) -> Vec<u8> {
    let mut bytes = vec![1];
    bytes.extend_from_slice(json.trim_ascii_end());
    bytes
}

fn decode_v1(json: &[u8]) -> TableRecord {
    let (record, old) = TableRecord::decode(&v1(json)).expect("format 1 decodes");
    assert!(old, "format 1 is reported as old");
    // Written again, it reads back as today's format, unchanged.
    let (again, old) = TableRecord::decode(&record.encode().expect("encode")).expect("decode");
    assert!(!old);
    assert_eq!(again.full_def(), record.full_def());
    record
}

fn def(name: &str, ty: ScalarType) -> AttributeDefinition {
    AttributeDefinition {
        name: name.to_string(),
        ty,
    }
}

#[test]
fn every_setting_of_a_format_1_record_is_kept() {
    let r = decode_v1(fixture!("full"));
    assert_eq!(r.tid, 2);
    assert_eq!(r.def.name, "full");
    assert_eq!(r.indexes.len(), 2);
    assert!(r.history);
    assert_eq!(r.stream_until, Some(i64::MAX));
    assert_eq!(
        r.def.pitr.as_ref().map(|p| p.recovery_period_days),
        Some(35)
    );
    assert_eq!(
        r.def.settings,
        TableSettings {
            attribute_definitions: vec![
                def("pk", ScalarType::S),
                def("sk", ScalarType::N),
                def("g", ScalarType::B),
                def("l", ScalarType::S),
            ],
            billing_mode: Some(BillingMode::PayPerRequest),
            throughput: Throughput::default(),
            pay_per_request_since_micros: Some(1_796_605_562_434_539),
            index_throughput: BTreeMap::new(),
            sse: Some(SseSettings {
                enabled: true,
                kms_master_key_id: Some("my-key".to_string()),
            }),
            tags: vec![
                Tag {
                    key: "team".to_string(),
                    value: "ferry".to_string()
                },
                Tag {
                    key: "env".to_string(),
                    value: "test".to_string()
                },
            ],
            table_class: Some(TableClass::StandardInfrequentAccess),
            deletion_protection: true,
            on_demand_throughput: Some(OnDemandThroughput {
                max_read_request_units: Some(100),
                max_write_request_units: Some(50),
            }),
            streams: vec![StreamSettings {
                created_micros: 1_796_605_562_434_539,
                disabled_micros: None,
                view_type: StreamViewType::NewAndOldImages,
            }],
            ttl_attribute: Some("expires".to_string()),
        }
    );
}

#[test]
fn throughput_history_streams_and_a_disabled_ttl_migrate() {
    let r = decode_v1(fixture!("prov"));
    let s = &r.def.settings;
    assert_eq!(s.billing_mode, None);
    assert_eq!(
        s.throughput,
        Throughput {
            read_capacity_units: 7,
            write_capacity_units: 2,
            last_increase_micros: Some(1_796_605_562_460_948),
            last_decrease_micros: Some(1_796_605_562_460_948),
            decreases_today: 1,
        }
    );
    assert_eq!(s.index_throughput.get("byX"), Some(&Throughput::new(2, 1)));
    assert_eq!(
        s.streams
            .iter()
            .map(|s| (s.view_type, s.disabled_micros.is_some()))
            .collect::<Vec<_>>(),
        [
            (StreamViewType::KeysOnly, true),
            (StreamViewType::NewImage, false)
        ]
    );
    assert_eq!(s.ttl_attribute, None);
    assert_eq!(s.tags.len(), 1);

    let r = decode_v1(fixture!("ppr2prov"));
    let s = &r.def.settings;
    assert_eq!(s.billing_mode, Some(BillingMode::Provisioned));
    assert_eq!(s.pay_per_request_since_micros, Some(1_796_605_562_527_769));
    assert_eq!(
        s.throughput.last_increase_micros,
        Some(1_796_605_562_529_086)
    );
}

#[test]
fn a_bare_format_1_record_has_default_settings() {
    let json = String::from_utf8_lossy(fixture!("ppr2prov")).into_owned();
    let start = json.find("\"extra\":").expect("extra");
    let end = json
        .find("},\"indexes\":[],\"next_iid\"")
        .expect("end of def");
    for bare in ["null", "{}"] {
        let text = format!("{}\"extra\":{bare}{}", &json[..start], &json[end..]);
        let r = decode_v1(text.as_bytes());
        assert_eq!(r.def.settings, TableSettings::default());
    }
}

#[test]
fn an_unreadable_format_1_setting_is_corrupt_not_a_default() {
    let json = String::from_utf8_lossy(fixture!("full")).into_owned();
    for (from, to) in [
        ("\"PAY_PER_REQUEST\"", "\"FREE\""),
        ("\"NEW_AND_OLD_IMAGES\"", "\"ALL\""),
        ("\"AttributeType\":\"N\"", "\"AttributeType\":\"X\""),
        ("\"Tags\":[", "\"Tags\":7,\"x\":["),
        (
            "\"DeletionProtectionEnabled\":true",
            "\"DeletionProtectionEnabled\":\"yes\"",
        ),
    ] {
        let text = json.replacen(from, to, 1);
        assert_ne!(text, json);
        let err = TableRecord::decode(&v1(text.as_bytes())).expect_err(&text);
        assert!(
            matches!(err, crate::StorageError::Corrupt(_)),
            "{from}: {err}"
        );
    }
    let err = TableRecord::decode(&[9, b'{', b'}']).expect_err("unknown format");
    assert!(
        err.to_string().contains("unknown format version 9"),
        "{err}"
    );
}

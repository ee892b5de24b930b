//! Tests of backups against a real engine: a backup holds its table's items
//! and outlives the table; a copy cut by a restart is redone from PITR
//! history or dropped.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ferry_storage::Engine;

use super::*;
use crate::export::tests::{engine, item, put, table};

const DEADLINE: Duration = Duration::from_secs(120);

async fn available(backups: &Backups, arn: &str) -> BackupRecord {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let rec = backups.get(arn).unwrap().expect("the backup exists");
        if rec.status == BackupStatus::Available {
            return rec;
        }
        assert!(Instant::now() < deadline, "the backup did not finish");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn loaded_items(engine: &Arc<Engine>, arn: &str, like: &Table) -> u64 {
    let mut def = like.def();
    def.name = format!("copy-{}", uuid::Uuid::new_v4());
    def.id = uuid::Uuid::new_v4().to_string();
    let target = engine.create_table(def).unwrap();
    load_into(engine, arn, &target, &AtomicBool::new(false)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_holds_its_table_and_outlives_it() {
    let engine = engine();
    let src = table(&engine, "src", false);
    for i in 0..3000 {
        put(&src, item(&format!("k{i}"), i, &"v".repeat(500)));
    }
    let backups = Backups::new(engine.clone(), tokio::runtime::Handle::current());
    let rec = backups
        .create(src.clone(), "bk1".into(), "arn:t".into())
        .unwrap();
    put(&src, item("late", 1, "after the backup"));
    let done = available(&backups, &rec.arn).await;
    assert_eq!(done.items, 3000);
    assert!(data::chunk_keys(&engine, &rec.arn).unwrap().len() > 1);
    engine.delete_table("src").unwrap();
    assert_eq!(
        loaded_items(&engine, &rec.arn, &table(&engine, "shape", false)),
        3000
    );
    backups.delete(&rec.arn, false).unwrap();
    assert!(backups.get(&rec.arn).unwrap().is_none());
    assert!(data::chunk_keys(&engine, &rec.arn).unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_copy_is_redone_from_pitr_history_or_dropped() {
    let engine = engine();
    let with = table(&engine, "with", true);
    let without = table(&engine, "without", false);
    for i in 0..10 {
        put(&with, item(&format!("k{i}"), i, "x"));
        put(&without, item(&format!("k{i}"), i, "x"));
    }
    let ts = engine.clock().now();
    put(&with, item("late", 1, "after the backup"));
    let cut = |t: &Table, arn: &str| {
        let rec = BackupRecord {
            version: BACKUP_VERSION,
            arn: arn.into(),
            name: "cut".into(),
            status: BackupStatus::Creating,
            created_micros: ts,
            table_arn: "arn:t".into(),
            table: t.def(),
            items: 0,
            size_bytes: 0,
        };
        let mut stale = data::data_prefix(arn);
        stale.extend_from_slice(&7u32.to_be_bytes());
        engine
            .meta()
            .put_many(
                NS_BACKUPS,
                &[
                    (&record_key(arn), Some(&encode(&rec).unwrap())),
                    (&stale, Some(b"partial")),
                ],
            )
            .unwrap();
    };
    cut(&with, "arn:with");
    cut(&without, "arn:without");
    let backups = Backups::new(engine.clone(), tokio::runtime::Handle::current());
    assert_eq!(backups.recover().unwrap(), (1, 1));
    let redone = available(&backups, "arn:with").await;
    assert_eq!(redone.items, 10);
    assert_eq!(loaded_items(&engine, "arn:with", &with), 10);
    assert!(backups.get("arn:without").unwrap().is_none());
    assert!(data::chunk_keys(&engine, "arn:without").unwrap().is_empty());
}

#[tokio::test]
async fn a_creating_or_restoring_backup_is_not_deleted() {
    let engine = engine();
    let src = table(&engine, "src", false);
    let backups = Backups::new(engine.clone(), tokio::runtime::Handle::current());
    let rec = BackupRecord {
        version: BACKUP_VERSION,
        arn: "arn:creating".into(),
        name: "bk1".into(),
        status: BackupStatus::Creating,
        created_micros: 1,
        table_arn: "arn:t".into(),
        table: src.def(),
        items: 0,
        size_bytes: 0,
    };
    engine
        .meta()
        .put(NS_BACKUPS, &record_key(&rec.arn), &encode(&rec).unwrap())
        .unwrap();
    assert!(matches!(
        backups.delete(&rec.arn, false),
        Err(BackupError::InUse)
    ));
    let available = BackupRecord {
        status: BackupStatus::Available,
        ..rec.clone()
    };
    engine
        .meta()
        .put(
            NS_BACKUPS,
            &record_key(&rec.arn),
            &encode(&available).unwrap(),
        )
        .unwrap();
    assert!(matches!(
        backups.delete(&rec.arn, true),
        Err(BackupError::InUse)
    ));
    assert!(matches!(
        backups.delete("arn:none", false),
        Err(BackupError::NotFound)
    ));
    assert!(backups.delete(&rec.arn, false).is_ok());
}

//! Bucket store tests: buckets, odd keys, atomic overwrite, reopen, conditions,
//! copy, multipart, and path safety.

use std::io::Read;

use super::format::Checksums;
use super::*;

fn store() -> (tempfile::TempDir, BucketStore) {
    let dir = tempfile::tempdir().unwrap();
    let s = BucketStore::open(dir.path().join("s3"), StoreOptions { fsync: false }).unwrap();
    (dir, s)
}

fn put(s: &BucketStore, b: &str, k: &str, data: &[u8]) -> ObjectInfo {
    let mut w = s.begin_put(b, k).unwrap();
    w.write(data).unwrap();
    s.finish_put(w, ObjectAttrs::default(), &PutCondition::default())
        .unwrap()
}

fn get(s: &BucketStore, b: &str, k: &str) -> Vec<u8> {
    let o = s.open_object(b, k).unwrap();
    let n = o.info.size;
    let mut out = Vec::new();
    o.into_reader(0, n).unwrap().read_to_end(&mut out).unwrap();
    out
}

fn all_keys(s: &BucketStore, b: &str) -> Vec<String> {
    let p = s
        .list_objects(
            b,
            &ListQuery {
                max_keys: 100_000,
                ..Default::default()
            },
        )
        .unwrap();
    p.objects.into_iter().map(|o| o.key).collect()
}

#[test]
fn buckets_lifecycle() {
    let (_d, s) = store();
    s.create_bucket("alpha").unwrap();
    s.create_bucket("beta").unwrap();
    assert!(
        matches!(s.create_bucket("alpha"), Err(StoreError::BucketAlreadyOwnedByYou(n)) if n == "alpha")
    );
    assert!(matches!(
        s.create_bucket("Bad_Name"),
        Err(StoreError::InvalidBucketName(_))
    ));
    assert_eq!(
        s.list_buckets()
            .iter()
            .map(|b| b.name.as_str())
            .collect::<Vec<_>>(),
        ["alpha", "beta"]
    );
    put(&s, "alpha", "k", b"v");
    assert!(matches!(
        s.delete_bucket("alpha"),
        Err(StoreError::BucketNotEmpty(_))
    ));
    assert!(s.delete_object("alpha", "k").unwrap());
    assert!(!s.delete_object("alpha", "k").unwrap());
    s.delete_bucket("alpha").unwrap();
    assert!(matches!(
        s.head_bucket("alpha"),
        Err(StoreError::NoSuchBucket(_))
    ));
    assert!(matches!(
        s.begin_put("alpha", "k"),
        Err(StoreError::NoSuchBucket(_))
    ));
    // the name can be reused
    s.create_bucket("alpha").unwrap();
    assert!(all_keys(&s, "alpha").is_empty());
}

#[test]
fn odd_keys_round_trip_and_stay_inside() {
    let (d, s) = store();
    s.create_bucket("bk1").unwrap();
    let keys = [
        "plain",
        "a//b",
        "dir/",
        "/leading",
        ".",
        "..",
        "../../../../escape",
        "a/./b/../c",
        "sp ace+plus%25",
        "ünï/cödé/日本",
        "tab\there",
        "nul\0byte",
        &"k".repeat(1024),
    ];
    for (i, k) in keys.iter().enumerate() {
        put(&s, "bk1", k, format!("data{i}").as_bytes());
    }
    for (i, k) in keys.iter().enumerate() {
        assert_eq!(get(&s, "bk1", k), format!("data{i}").as_bytes(), "{k:?}");
        assert_eq!(s.head_object("bk1", k).unwrap().key, *k);
    }
    let mut sorted: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
    sorted.sort();
    assert_eq!(all_keys(&s, "bk1"), sorted);
    assert!(matches!(
        s.begin_put("bk1", &"k".repeat(1025)),
        Err(StoreError::InvalidKey)
    ));
    assert!(matches!(
        s.begin_put("bk1", ""),
        Err(StoreError::InvalidKey)
    ));
    // nothing was created outside the store root
    let mut outside: Vec<_> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    outside.sort();
    assert_eq!(outside, ["s3"]);
    // crafted bucket names never resolve
    for b in ["..", "../bk1", "bk1/..", "/etc", "bk1/objects", "."] {
        assert!(
            matches!(s.head_bucket(b), Err(StoreError::NoSuchBucket(_))),
            "{b}"
        );
        assert!(
            matches!(s.create_bucket(b), Err(StoreError::InvalidBucketName(_))),
            "{b}"
        );
    }
}

#[test]
fn overwrite_keeps_readers_consistent() {
    let (_d, s) = store();
    s.create_bucket("bk1").unwrap();
    put(&s, "bk1", "k", &[1u8; 100_000]);
    let reader = s.open_object("bk1", "k").unwrap();
    let info = put(&s, "bk1", "k", &[2u8; 50]);
    assert_eq!(info.size, 50);
    let mut old = Vec::new();
    let n = reader.info.size;
    reader
        .into_reader(0, n)
        .unwrap()
        .read_to_end(&mut old)
        .unwrap();
    assert_eq!(old, vec![1u8; 100_000]);
    assert_eq!(get(&s, "bk1", "k"), vec![2u8; 50]);
}

#[test]
fn unfinished_writes_are_invisible_and_cleaned() {
    let (d, s) = store();
    s.create_bucket("bk1").unwrap();
    let mut w = s.begin_put("bk1", "k").unwrap();
    w.write(b"partial").unwrap();
    assert!(matches!(
        s.open_object("bk1", "k"),
        Err(StoreError::NoSuchKey { .. })
    ));
    assert!(all_keys(&s, "bk1").is_empty());
    drop(w);
    let tmp = d.path().join("s3/tmp");
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0);
    // a crash leftover is removed at open
    std::fs::write(tmp.join("leftover"), b"x").unwrap();
    drop(s);
    let s = BucketStore::open(d.path().join("s3"), StoreOptions::default()).unwrap();
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0);
    assert!(all_keys(&s, "bk1").is_empty());
}

#[test]
fn reopen_rebuilds_index() {
    let (d, s) = store();
    s.create_bucket("bk1").unwrap();
    s.create_bucket("bk2").unwrap();
    for i in 0..300 {
        put(&s, "bk1", &format!("k{i:04}"), b"x");
    }
    let info = put(&s, "bk2", "only", b"hello");
    drop(s);
    let s = BucketStore::open(d.path().join("s3"), StoreOptions::default()).unwrap();
    assert_eq!(s.object_count("bk1").unwrap(), 300);
    let p = s
        .list_objects(
            "bk2",
            &ListQuery {
                max_keys: 10,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(p.objects.len(), 1);
    assert_eq!(p.objects[0].etag, "5d41402abc4b2a76b9719d911017c592");
    assert_eq!(p.objects[0].last_modified, info.last_modified);
    assert_eq!(p.objects[0].size, 5);
}

#[test]
fn conditional_puts() {
    let (_d, s) = store();
    s.create_bucket("bk1").unwrap();
    let first = put(&s, "bk1", "k", b"one");
    let create_only = PutCondition {
        if_none_match_any: true,
        ..Default::default()
    };
    let mut w = s.begin_put("bk1", "k").unwrap();
    w.write(b"two").unwrap();
    assert!(matches!(
        s.finish_put(w, ObjectAttrs::default(), &create_only),
        Err(StoreError::PreconditionFailed)
    ));
    let wrong = PutCondition {
        if_match: Some("0".repeat(32)),
        ..Default::default()
    };
    let mut w = s.begin_put("bk1", "k").unwrap();
    w.write(b"two").unwrap();
    assert!(matches!(
        s.finish_put(w, ObjectAttrs::default(), &wrong),
        Err(StoreError::PreconditionFailed)
    ));
    let right = PutCondition {
        if_match: Some(first.etag.clone()),
        ..Default::default()
    };
    let mut w = s.begin_put("bk1", "k").unwrap();
    w.write(b"two").unwrap();
    s.finish_put(w, ObjectAttrs::default(), &right).unwrap();
    assert_eq!(get(&s, "bk1", "k"), b"two");
    let mut w = s.begin_put("bk1", "new").unwrap();
    w.write(b"x").unwrap();
    assert!(matches!(
        s.finish_put(w, ObjectAttrs::default(), &right),
        Err(StoreError::NoSuchKey { .. })
    ));
}

#[test]
fn copy_keeps_or_replaces_metadata() {
    let (_d, s) = store();
    s.create_bucket("bk1").unwrap();
    s.create_bucket("bk2").unwrap();
    let attrs = ObjectAttrs {
        content_type: Some("text/csv".into()),
        user_metadata: [("color".to_owned(), "blue".to_owned())].into(),
        ..Default::default()
    };
    let mut w = s.begin_put("bk1", "src").unwrap();
    w.write(b"a,b\n1,2\n").unwrap();
    let src = s
        .finish_put(w, attrs.clone(), &PutCondition::default())
        .unwrap();
    let c = s
        .copy_object("bk1", "src", "bk2", "dst", None, &PutCondition::default())
        .unwrap();
    assert_eq!(c.etag, src.etag);
    assert_eq!(c.attrs, attrs);
    assert_eq!(get(&s, "bk2", "dst"), b"a,b\n1,2\n");
    let c = s
        .copy_object(
            "bk1",
            "src",
            "bk1",
            "src",
            Some(ObjectAttrs::default()),
            &PutCondition::default(),
        )
        .unwrap();
    assert_eq!(c.attrs, ObjectAttrs::default());
    assert!(matches!(
        s.copy_object("bk1", "missing", "bk2", "x", None, &PutCondition::default()),
        Err(StoreError::NoSuchKey { .. })
    ));
}

#[test]
fn multipart_upload() {
    let (_d, s) = store();
    s.create_bucket("bk1").unwrap();
    let up = s
        .create_upload(
            "bk1",
            "big",
            ObjectAttrs {
                content_type: Some("x/y".into()),
                ..Default::default()
            },
            None,
            None,
        )
        .unwrap();
    let part = |n: u32, byte: u8, len: usize| {
        let mut w = s.begin_part("bk1", &up.upload_id, n).unwrap();
        w.write(&vec![byte; len]).unwrap();
        s.finish_part(w, Checksums::default()).unwrap()
    };
    let p1 = part(1, b'a', 5 * 1024 * 1024);
    let _old = part(2, b'x', 10);
    let p2 = part(2, b'b', 5 * 1024 * 1024);
    let p3 = part(3, b'c', 7);
    let (_, listed) = s.list_parts("bk1", &up.upload_id).unwrap();
    assert_eq!(
        listed.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(listed[1].1.etag, p2.etag);
    assert_eq!(s.list_uploads("bk1").unwrap().len(), 1);

    let refs = |v: &[(u32, &ObjectInfo)]| -> Vec<PartRef> {
        v.iter()
            .map(|(n, i)| PartRef {
                part_number: *n,
                etag: i.etag.clone(),
            })
            .collect()
    };
    let mut hook = NoHook;
    let e = s
        .complete_upload(
            "bk1",
            &up.upload_id,
            &refs(&[(2, &p2), (1, &p1)]),
            &PutCondition::default(),
            &mut hook,
        )
        .unwrap_err();
    assert!(matches!(e, StoreError::InvalidPartOrder));
    let e = s
        .complete_upload(
            "bk1",
            &up.upload_id,
            &refs(&[(1, &p1), (2, &p3)]),
            &PutCondition::default(),
            &mut hook,
        )
        .unwrap_err();
    assert!(matches!(e, StoreError::InvalidPart { part: 2 }));
    let e = s
        .complete_upload(
            "bk1",
            &up.upload_id,
            &refs(&[(3, &p3), (4, &p3)]),
            &PutCondition::default(),
            &mut hook,
        )
        .unwrap_err();
    assert!(matches!(e, StoreError::InvalidPart { part: 4 }));
    let e = s
        .complete_upload(
            "bk1",
            &up.upload_id,
            &refs(&[(3, &p3), (3, &p3)]),
            &PutCondition::default(),
            &mut hook,
        )
        .unwrap_err();
    assert!(matches!(e, StoreError::InvalidPartOrder));

    let info = s
        .complete_upload(
            "bk1",
            &up.upload_id,
            &refs(&[(1, &p1), (2, &p2), (3, &p3)]),
            &PutCondition::default(),
            &mut hook,
        )
        .unwrap();
    let mut md5s = Vec::new();
    for p in [&p1, &p2, &p3] {
        md5s.extend(hex::decode(&p.etag).unwrap());
    }
    use md5::Digest;
    let want = format!("{}-3", hex::encode(md5::Md5::digest(&md5s)));
    assert_eq!(info.etag, want);
    assert_eq!(info.size, 10 * 1024 * 1024 + 7);
    assert_eq!(info.parts_count, Some(3));
    assert_eq!(info.attrs.content_type.as_deref(), Some("x/y"));
    let data = get(&s, "bk1", "big");
    assert_eq!(data.len(), 10 * 1024 * 1024 + 7);
    assert!(data[..5 * 1024 * 1024].iter().all(|&b| b == b'a'));
    assert_eq!(&data[data.len() - 7..], b"ccccccc");
    assert!(matches!(
        s.list_parts("bk1", &up.upload_id),
        Err(StoreError::NoSuchUpload(_))
    ));
    assert!(s.list_uploads("bk1").unwrap().is_empty());
}

#[test]
fn multipart_small_parts_and_abort() {
    let (_d, s) = store();
    s.create_bucket("bk1").unwrap();
    let up = s
        .create_upload("bk1", "k", ObjectAttrs::default(), None, None)
        .unwrap();
    let mut refs = Vec::new();
    for n in 1..=2 {
        let mut w = s.begin_part("bk1", &up.upload_id, n).unwrap();
        w.write(b"tiny").unwrap();
        let i = s.finish_part(w, Checksums::default()).unwrap();
        refs.push(PartRef {
            part_number: n,
            etag: i.etag,
        });
    }
    let e = s
        .complete_upload(
            "bk1",
            &up.upload_id,
            &refs,
            &PutCondition::default(),
            &mut NoHook,
        )
        .unwrap_err();
    assert!(matches!(e, StoreError::EntityTooSmall { part: 1 }));
    assert!(matches!(
        s.begin_part("bk1", &up.upload_id, 0),
        Err(StoreError::InvalidArgument(_))
    ));
    assert!(matches!(
        s.begin_part("bk1", &up.upload_id, 10_001),
        Err(StoreError::InvalidArgument(_))
    ));
    s.abort_upload("bk1", &up.upload_id).unwrap();
    assert!(matches!(
        s.abort_upload("bk1", &up.upload_id),
        Err(StoreError::NoSuchUpload(_))
    ));
    assert!(matches!(
        s.begin_part("bk1", "../../../../../../etc", 1),
        Err(StoreError::NoSuchUpload(_))
    ));
    assert!(matches!(
        s.begin_part("bk1", &"0".repeat(32), 1),
        Err(StoreError::NoSuchUpload(_))
    ));
}

#[test]
fn listing_fifty_thousand_objects() {
    let (_d, s) = store();
    s.create_bucket("many").unwrap();
    for i in 0..50_000u32 {
        let mut w = s
            .begin_put("many", &format!("data/{:02}/part-{i:06}.json", i % 7))
            .unwrap();
        w.write(b"{}").unwrap();
        s.finish_put(w, ObjectAttrs::default(), &PutCondition::default())
            .unwrap();
    }
    let mut marker: Option<String> = None;
    let mut seen = 0usize;
    let mut pages = 0;
    loop {
        let p = s
            .list_objects(
                "many",
                &ListQuery {
                    prefix: "data/03/",
                    delimiter: Some("/"),
                    start_after: marker.as_deref(),
                    max_keys: 1000,
                },
            )
            .unwrap();
        seen += p.objects.len();
        pages += 1;
        if !p.is_truncated {
            break;
        }
        marker = p.next_marker;
    }
    assert_eq!(seen, (0..50_000u32).filter(|i| i % 7 == 3).count());
    assert_eq!(pages, 8);
    let p = s
        .list_objects(
            "many",
            &ListQuery {
                prefix: "data/",
                delimiter: Some("/"),
                start_after: None,
                max_keys: 1000,
            },
        )
        .unwrap();
    assert_eq!(p.common_prefixes.len(), 7);
    assert!(p.objects.is_empty());
}

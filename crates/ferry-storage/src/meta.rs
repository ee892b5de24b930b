//! `MetaStore`: small durable records of other layers (jobs, log events,
//! client tokens) in the `meta` keyspace. A namespace is a key prefix: the
//! namespace's escaped bytes and a terminator (the S key encoding), then the
//! caller's key, so namespaces never overlap.

use std::ops::Bound;
use std::sync::Arc;

use crate::StorageError;
use crate::keys::{encode_bytes, prefix_end};
use crate::store::{Store, engine_err};

/// `(key, value)` pairs of one namespace, in key order.
pub type MetaEntries = Vec<(Vec<u8>, Vec<u8>)>;

/// A durable ordered map of `(namespace, key) -> bytes`, for records that
/// are not items: import/export jobs, CloudWatch log events, client tokens.
pub struct MetaStore {
    store: Arc<Store>,
}

/// The `meta` keyspace key of `key` in namespace `ns`.
pub(crate) fn full_key(ns: &str, key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(ns.len() + key.len() + 2);
    encode_bytes(ns.as_bytes(), &mut k);
    k.extend_from_slice(key);
    k
}

impl MetaStore {
    pub(crate) fn new(store: Arc<Store>) -> MetaStore {
        MetaStore { store }
    }

    pub fn put(&self, ns: &str, key: &[u8], value: &[u8]) -> Result<(), StorageError> {
        let mut batch = self.store.batch();
        batch.insert(&self.store.meta, full_key(ns, key), value.to_vec());
        self.store.commit_plain(batch)
    }

    /// Several puts and deletes (`None` values) in one atomic, durable batch.
    pub fn put_many(
        &self,
        ns: &str,
        entries: &[(&[u8], Option<&[u8]>)],
    ) -> Result<(), StorageError> {
        let mut batch = self.store.batch();
        for (key, value) in entries {
            match value {
                Some(v) => batch.insert(&self.store.meta, full_key(ns, key), v.to_vec()),
                None => batch.remove(&self.store.meta, full_key(ns, key)),
            }
        }
        self.store.commit_plain(batch)
    }

    pub fn get(&self, ns: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self
            .store
            .meta
            .get(full_key(ns, key))
            .map_err(engine_err)?
            .map(|v| v.to_vec()))
    }

    pub fn delete(&self, ns: &str, key: &[u8]) -> Result<(), StorageError> {
        let mut batch = self.store.batch();
        batch.remove(&self.store.meta, full_key(ns, key));
        self.store.commit_plain(batch)
    }

    /// Entries of `ns` whose key starts with `prefix`, in key order, starting
    /// after `after` when given.
    pub fn scan(
        &self,
        ns: &str,
        prefix: &[u8],
        after: Option<&[u8]>,
    ) -> Result<MetaEntries, StorageError> {
        self.scan_limit(ns, prefix, after, usize::MAX)
    }

    /// Like [`MetaStore::scan`], at most `limit` entries.
    pub fn scan_limit(
        &self,
        ns: &str,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<MetaEntries, StorageError> {
        let ns_len = full_key(ns, b"").len();
        let start_key = full_key(ns, prefix);
        let end = match prefix_end(&start_key) {
            Some(e) => Bound::Excluded(e),
            None => Bound::Unbounded,
        };
        let start = match after {
            Some(a) if a >= prefix => Bound::Excluded(full_key(ns, a)),
            _ => Bound::Included(start_key),
        };
        let snapshot = self.store.snapshot();
        let mut out = Vec::new();
        for guard in fjall::Readable::range(&snapshot, &self.store.meta, (start, end)) {
            if out.len() >= limit {
                break;
            }
            let (k, v) = guard.into_inner().map_err(engine_err)?;
            out.push((k.get(ns_len..).unwrap_or_default().to_vec(), v.to_vec()));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use crate::{Engine, EngineConfig};

    #[test]
    fn namespaces_are_separate_and_scans_page() {
        let engine = Engine::open(EngineConfig::default()).expect("open");
        let m = engine.meta();
        m.put("jobs", b"a1", b"x").expect("put");
        m.put("jobs", b"a2", b"y").expect("put");
        m.put("jobs", b"b1", b"z").expect("put");
        m.put("job", b"sa1", b"other").expect("put");
        m.put("jobsx", b"", b"other").expect("put");
        assert_eq!(m.get("jobs", b"a2").expect("get"), Some(b"y".to_vec()));
        assert_eq!(m.get("job", b"a2").expect("get"), None);
        let all = m.scan("jobs", b"", None).expect("scan");
        let keys: Vec<&[u8]> = all.iter().map(|(k, _)| k.as_slice()).collect();
        assert_eq!(keys, vec![&b"a1"[..], b"a2", b"b1"]);
        let a = m.scan("jobs", b"a", Some(b"a1")).expect("scan");
        assert_eq!(a, vec![(b"a2".to_vec(), b"y".to_vec())]);
        assert!(m.scan("jobs", b"a", Some(b"z")).expect("scan").is_empty());
        let page = m.scan_limit("jobs", b"", None, 2).expect("scan");
        assert_eq!(page.len(), 2);
        m.delete("jobs", b"a1").expect("delete");
        assert_eq!(m.get("jobs", b"a1").expect("get"), None);
        m.put_many("jobs", &[(b"c", Some(b"1")), (b"b1", None)])
            .expect("put_many");
        let all = m.scan("jobs", b"", None).expect("scan");
        assert_eq!(
            all,
            vec![
                (b"a2".to_vec(), b"y".to_vec()),
                (b"c".to_vec(), b"1".to_vec())
            ]
        );
    }
}

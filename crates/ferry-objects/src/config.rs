//! Which store a job's bucket lives in.
//!
//! The rule: by default every bucket is in the embedded store (the buckets
//! users create through Ferry's own S3 endpoint). When an external endpoint is
//! configured (`--s3-endpoint`), every import/export bucket goes to it —
//! unless `external_buckets` lists bucket names, in which case only those go
//! external and all others stay embedded (a per-bucket mapping). A bucket
//! name can also be mounted on any other client ([`Objects::mount`]: the
//! command line mounts local directories this way), which wins over both.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use crate::client::ObjectClient;
use crate::embedded::EmbeddedClient;
use crate::error::StoreError;
use crate::external::{ExternalClient, ExternalS3Config};
use crate::store::{BucketStore, StoreOptions};

/// Object-store settings (part of Ferry's server configuration).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectsConfig {
    /// The embedded store's root, `<data-dir>/s3`.
    pub embedded_root: PathBuf,
    /// fsync object files before publishing them.
    pub fsync: bool,
    /// An external S3-compatible endpoint for import/export buckets.
    pub external: Option<ExternalS3Config>,
    /// If non-empty, only these buckets go to `external`.
    pub external_buckets: Vec<String>,
}

/// The object stores of a running Ferry: the embedded bucket store (also
/// served by the S3 endpoint) and the optional external endpoint.
#[derive(Debug, Clone)]
pub struct Objects {
    store: Arc<BucketStore>,
    embedded: Arc<EmbeddedClient>,
    external: Option<Arc<ExternalClient>>,
    external_buckets: BTreeSet<String>,
    /// Buckets mounted on other clients (shared by every clone).
    mounts: Arc<parking_lot::RwLock<BTreeMap<String, Arc<dyn ObjectClient>>>>,
}

impl Objects {
    /// Opens the embedded store at `config.embedded_root`.
    pub fn open(config: &ObjectsConfig) -> Result<Self, StoreError> {
        let store = Arc::new(BucketStore::open(
            config.embedded_root.clone(),
            StoreOptions {
                fsync: config.fsync,
            },
        )?);
        Ok(Self::new(
            store,
            config.external.clone(),
            config.external_buckets.iter().cloned(),
        ))
    }

    /// From an already open store.
    pub fn new(
        store: Arc<BucketStore>,
        external: Option<ExternalS3Config>,
        external_buckets: impl IntoIterator<Item = String>,
    ) -> Self {
        Objects {
            embedded: Arc::new(EmbeddedClient::new(store.clone())),
            store,
            external: external.map(|c| Arc::new(ExternalClient::new(c))),
            external_buckets: external_buckets.into_iter().collect(),
            mounts: Arc::default(),
        }
    }

    /// The embedded bucket store (for the S3 endpoint).
    pub fn store(&self) -> &Arc<BucketStore> {
        &self.store
    }

    /// Whether `bucket` is served by the external endpoint.
    pub fn is_external(&self, bucket: &str) -> bool {
        self.external.is_some()
            && (self.external_buckets.is_empty() || self.external_buckets.contains(bucket))
    }

    /// Serve `bucket` with `client` from now on, in this `Objects` and every
    /// clone of it (the job runner's included).
    pub fn mount(&self, bucket: &str, client: Arc<dyn ObjectClient>) {
        self.mounts.write().insert(bucket.to_owned(), client);
    }

    /// The client for an import/export bucket (see the module docs).
    pub fn client_for(&self, bucket: &str) -> Arc<dyn ObjectClient> {
        if let Some(client) = self.mounts.read().get(bucket) {
            return client.clone();
        }
        match &self.external {
            Some(ext) if self.is_external(bucket) => ext.clone(),
            _ => self.embedded.clone(),
        }
    }
}

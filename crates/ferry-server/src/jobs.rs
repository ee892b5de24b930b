//! Wiring of the object stores (the embedded bucket store under
//! `<data-dir>/s3/`, served by the S3 endpoint and used by imports and
//! exports) and of the job runner (`ferry-jobs`: imports, exports,
//! restores, import error logs).

use std::sync::Arc;

use anyhow::Context as _;
use ferry_jobs::Jobs;
use ferry_objects::{Objects, ObjectsConfig};
use ferry_storage::Engine;

use crate::Config;

/// Open the object stores. With no data directory (in memory) the embedded
/// store lives in a temporary directory, returned so it lives as long.
pub fn open_objects(config: &Config) -> anyhow::Result<(Objects, Option<tempfile::TempDir>)> {
    let (root, scratch) = match &config.data_dir {
        Some(dir) => (dir.join("s3"), None),
        None => {
            let tmp = tempfile::tempdir().context("creating a temporary S3 directory")?;
            (tmp.path().join("s3"), Some(tmp))
        }
    };
    std::fs::create_dir_all(&root).with_context(|| format!("creating {}", root.display()))?;
    let objects = Objects::open(&ObjectsConfig {
        embedded_root: root.clone(),
        fsync: config.sync,
        external: config.external_s3.clone(),
        external_buckets: config.external_buckets.clone(),
    })
    .with_context(|| format!("opening the bucket store at {}", root.display()))?;
    Ok((objects, scratch))
}

/// Open the job runner over the engine and the object stores, in the current
/// tokio runtime.
pub fn open_jobs(engine: &Arc<Engine>, objects: &Objects) -> anyhow::Result<Arc<Jobs>> {
    let handle = tokio::runtime::Handle::current();
    Jobs::new(
        engine.clone(),
        objects.clone(),
        handle,
        ferry_jobs::JobsConfig::default(),
    )
    .context("opening the job records")
}

//! Ferry's import and export jobs: ImportTable (S3 → new table) and
//! ExportTableToPointInTime (table as of a time, or the changes between two
//! times → S3), with durable job records, progress counters, CloudWatch-style
//! error logs and recovery after a restart.
//!
//! Knows the engine (`ferry-storage`), the codecs (`ferry-formats`) and object
//! access (`ferry-objects`); knows nothing about HTTP or DynamoDB JSON request
//! shapes (the server translates requests into the typed specs here).

pub mod backup;
pub mod cwlogs;
pub mod export;
pub mod ids;
pub mod import;

use std::sync::Arc;

use ferry_storage::{Engine, StorageError};

/// Settings of the job runner.
#[derive(Clone, Debug, Default)]
pub struct JobsConfig {
    pub import: import::ImportConfig,
    pub export: export::ExportConfig,
}

/// Everything the server needs for jobs: the import runner, the CloudWatch
/// Logs store (import error logs), and (added by the export side) exports.
pub struct Jobs {
    pub engine: Arc<Engine>,
    pub logs: Arc<cwlogs::LogStore>,
    pub imports: Arc<import::Imports>,
    /// ExportTableToPointInTime jobs.
    pub exports: Arc<export::Exports>,
    /// RestoreTableToPointInTime data copies.
    pub restores: Arc<export::restore::Restores>,
    /// On-demand backups (CreateBackup and the rest).
    pub backups: Arc<backup::Backups>,
}

impl Jobs {
    /// Open the job runner over `engine`; `objects` picks the object client
    /// of a bucket, `handle` runs async object I/O. Call [`Jobs::recover`]
    /// once the server is ready to resume the jobs of an earlier run.
    pub fn new(
        engine: Arc<Engine>,
        objects: ferry_objects::Objects,
        handle: tokio::runtime::Handle,
        config: JobsConfig,
    ) -> Result<Arc<Jobs>, StorageError> {
        let logs = Arc::new(cwlogs::LogStore::new(engine.clone()));
        let resolver: export::objects::ClientResolver = {
            let objects = objects.clone();
            Arc::new(move |bucket: &str| objects.client_for(bucket))
        };
        let sinks = Arc::new(export::objects::ObjectsSinks::new(resolver, handle.clone()));
        let exports =
            export::Exports::new(engine.clone(), sinks, handle.clone(), config.export.clone());
        let restores = export::restore::Restores::new(
            engine.clone(),
            handle.clone(),
            Arc::new(export::restore::activate),
        );
        let backups = backup::Backups::new(engine.clone(), handle.clone());
        let source = Arc::new(import::objects::ObjectsSource::new(objects, handle));
        let imports = import::Imports::open(engine.clone(), logs.clone(), source, config.import)?;
        Ok(Arc::new(Jobs {
            engine,
            logs,
            imports,
            exports,
            restores,
            backups,
        }))
    }

    /// Resume (or end) the jobs a previous run left in progress.
    pub fn recover(&self) {
        self.imports.recover();
        if let Err(e) = self.exports.recover() {
            tracing::error!(error = %e, "exports could not be resumed");
        }
        if let Err(e) = self.restores.recover() {
            tracing::error!(error = %e, "restores could not be resumed");
        }
        if let Err(e) = self.backups.recover() {
            tracing::error!(error = %e, "backups could not be resumed");
        }
    }

    /// Stop running jobs (they resume on the next start) and wait for them.
    pub fn shutdown(&self) {
        self.imports.shutdown();
        self.exports.shutdown(std::time::Duration::from_secs(30));
        self.restores.shutdown(std::time::Duration::from_secs(30));
        self.backups.shutdown(std::time::Duration::from_secs(30));
    }
}

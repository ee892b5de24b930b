//! One import's life after ImportTable accepted it: prepare the table, list
//! and pin the objects, run the pipeline, then finalize (table ACTIVE,
//! record terminal). Every phase change is written to the record first, so a
//! restart knows where the import was (see `Imports::recover`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ferry_model::TableStatus;
use ferry_storage::{BulkLoader, Table};

use super::errlog::ImportErrorLog;
use super::pipeline::{self, ItemSink, Live, Plan};
use super::spec::{
    Compression, Counters, Failure, ImportRecord, ImportRequest, ImportStatus, Phase,
    RECORD_VERSION,
};
use super::{
    ITEM_VALIDATION_CODE, ITEM_VALIDATION_MESSAGE, Imports, MAX_ATTEMPTS, MAX_LOGGED_ERRORS,
    MAX_OBJECTS,
};
use crate::cwlogs::IMPORT_LOG_GROUP;
use crate::ids;

/// The in-memory state of a running import.
#[derive(Default)]
pub struct Running {
    pub live: Live,
    /// Set to stop the job (shutdown): it stays IN_PROGRESS.
    pub stop: AtomicBool,
    /// Started by recovery after a restart.
    pub resumed: bool,
}

/// FailureCode and message when a prefix names more objects than an import
/// may read (AWS documents the limit, not the code).
pub const TOO_MANY_OBJECTS_CODE: &str = "ImportSourceObjectLimitExceeded";
pub fn too_many_objects_message() -> String {
    format!(
        "The import source has more than {MAX_OBJECTS} S3 objects under the given prefix; an import can read at most {MAX_OBJECTS} objects."
    )
}

/// FailureCode and message of an import a restart interrupted too often.
pub const INTERRUPTED_CODE: &str = "InternalServerError";
pub const INTERRUPTED_MESSAGE: &str =
    "The import was interrupted by server restarts and could not be completed.";

/// The record of a new import.
pub fn new_record(req: ImportRequest, now_millis: i64, now_micros: i64) -> ImportRecord {
    let id = ids::new_job_id(now_millis);
    let table_arn = format!(
        "arn:aws:dynamodb:{}:{}:table/{}",
        req.region, req.account_id, req.table.name
    );
    let arn = format!("{table_arn}/import/{id}");
    let table_id = uuid::Uuid::new_v4().to_string();
    let mut table = req.table;
    table.id = table_id.clone();
    table.status = TableStatus::Creating;
    table.created_micros = now_micros;
    let mut source = req.source;
    if source.bucket_owner.is_none() {
        source.bucket_owner = Some(req.account_id.clone());
    }
    ImportRecord {
        v: RECORD_VERSION,
        id,
        arn,
        region: req.region,
        account_id: req.account_id,
        table_name: table.name.clone(),
        table_arn,
        table_id,
        client_token: req.client_token,
        source,
        format: req.format,
        compression: req.compression.unwrap_or(Compression::None),
        format_options: req.format_options,
        table_creation_parameters: req.table_creation_parameters,
        table,
        status: ImportStatus::InProgress,
        phase: Phase::Accepted,
        start_millis: now_millis,
        end_millis: None,
        counters: Counters::default(),
        failure: None,
        attempts: 1,
        into_existing: req.into_existing,
    }
}

/// The record of an import into the existing table `existing`.
pub fn new_record_into(
    req: ImportRequest,
    existing: ferry_model::TableDef,
    now_millis: i64,
    now_micros: i64,
) -> ImportRecord {
    let mut rec = new_record(req, now_millis, now_micros);
    rec.table_id = existing.id.clone();
    rec.table = existing;
    rec
}

struct LoaderSink<'a>(&'a BulkLoader);

impl ItemSink for LoaderSink<'_> {
    fn write(&self, items: Vec<ferry_model::Item>) -> Result<(), String> {
        self.0.write(items).map_err(|e| e.to_string())
    }
}

/// An import into an existing table: each item is a put through the
/// normal write path (indexes, streams and PITR history see it).
struct UpsertSink<'a>(&'a Table);

impl ItemSink for UpsertSink<'_> {
    fn write(&self, items: Vec<ferry_model::Item>) -> Result<(), String> {
        for item in items {
            let key = self
                .0
                .key_of(&item)
                .ok_or_else(|| "an item without the table's key".to_string())?;
            self.0
                .write(&key, |_| {
                    Ok::<_, std::convert::Infallible>(ferry_storage::Write::Put(item))
                })
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

fn internal(message: &str) -> Failure {
    Failure {
        code: pipeline::INTERNAL_FAILURE_CODE.into(),
        message: message.into(),
    }
}

/// Run (or resume) import `id` to its end.
pub fn run(imports: &Arc<Imports>, id: &str, running: &Arc<Running>) {
    let Some(rec) = imports.registry.lock().records.get(id).cloned() else {
        return;
    };
    match rec.phase {
        Phase::Done => {}
        Phase::Finalizing => finalize(imports, rec),
        Phase::Accepted | Phase::Loading => load(imports, rec, running),
    }
    imports.registry.lock().running.remove(id);
}

fn save(imports: &Imports, rec: &ImportRecord) {
    if let Err(e) = imports.store.put(rec) {
        tracing::error!(import = %rec.arn, error = %e, "cannot write the import record");
    }
    imports
        .registry
        .lock()
        .records
        .insert(rec.id.clone(), rec.clone());
}

/// Our table (same id), if it exists.
fn own_table(imports: &Imports, rec: &ImportRecord) -> Option<Arc<Table>> {
    imports
        .engine
        .table(&rec.table_name)
        .filter(|t| t.def().id == rec.table_id)
}

/// The table to load into: fresh and empty (a resumed import starts over).
fn prepare_table(
    imports: &Imports,
    rec: &ImportRecord,
    resumed: bool,
) -> Result<Arc<Table>, Failure> {
    let engine = &imports.engine;
    if rec.into_existing {
        // Upserts are idempotent: a resumed import writes the items again.
        return own_table(imports, rec).ok_or_else(|| {
            internal("The import's table was deleted or replaced by another table.")
        });
    }
    match engine.table(&rec.table_name) {
        Some(t) if t.def().id == rec.table_id => {
            if !resumed {
                return Ok(t);
            }
            engine
                .delete_table(&rec.table_name)
                .map_err(|_| internal("The import could not reset its table after a restart."))?;
        }
        Some(_) => {
            return Err(internal(
                "The import's table was replaced by another table of the same name.",
            ));
        }
        None => {}
    }
    engine.create_table(rec.table.clone()).map_err(|e| {
        tracing::error!(import = %rec.arn, error = %e, "cannot create the import table");
        internal("The import could not create its table.")
    })
}

/// End the import FAILED before any data: no table is left behind (an
/// existing table imported into is left as it is).
fn fail_without_table(imports: &Imports, mut rec: ImportRecord, failure: Failure) {
    if !rec.into_existing
        && own_table(imports, &rec).is_some()
        && let Err(e) = imports.engine.delete_table(&rec.table_name)
    {
        tracing::error!(import = %rec.arn, error = %e, "cannot delete the import table");
    }
    rec.status = ImportStatus::Failed;
    rec.phase = Phase::Done;
    rec.end_millis = Some(imports.now_millis());
    tracing::info!(import = %rec.arn, code = %failure.code, "import failed");
    rec.failure = Some(failure);
    save(imports, &rec);
}

fn load(imports: &Arc<Imports>, mut rec: ImportRecord, running: &Arc<Running>) {
    if running.resumed {
        rec.attempts += 1;
        if rec.attempts > MAX_ATTEMPTS {
            rec.counters = Counters::default();
            rec.failure = Some(internal(INTERRUPTED_MESSAGE));
            if let Some(f) = rec.failure.as_mut() {
                f.code = INTERRUPTED_CODE.into();
            }
            rec.phase = Phase::Finalizing;
            save(imports, &rec);
            return finalize(imports, rec);
        }
        save(imports, &rec);
        if let Err(e) = imports
            .logs
            .delete_stream(IMPORT_LOG_GROUP, &rec.error_stream())
        {
            tracing::error!(import = %rec.arn, error = %e, "cannot clear the import error log");
        }
    }
    running.live.reset();
    // The objects: pinned earlier (resumed while loading), or listed now.
    let pinned = if rec.phase == Phase::Loading {
        match imports.store.objects(&rec.id) {
            Ok(list) => list,
            // Listing again could read other objects than the loaded ones.
            Err(e) => {
                tracing::error!(import = %rec.arn, error = %e, "cannot read the pinned import objects");
                rec.failure = Some(internal(&format!("cannot read the import's objects: {e}")));
                rec.phase = Phase::Finalizing;
                save(imports, &rec);
                return finalize(imports, rec);
            }
        }
    } else {
        None
    };
    let objects = match pinned {
        Some(list) => list,
        None => {
            let prefix = rec.source.key_prefix.clone().unwrap_or_default();
            match imports
                .source
                .list(&rec.source.bucket, &prefix, MAX_OBJECTS + 1)
            {
                Err(e) => return fail_without_table(imports, rec, e.failure()),
                Ok(list) if list.len() > MAX_OBJECTS => {
                    let failure = Failure {
                        code: TOO_MANY_OBJECTS_CODE.into(),
                        message: too_many_objects_message(),
                    };
                    return fail_without_table(imports, rec, failure);
                }
                Ok(list) => list,
            }
        }
    };
    let table = match prepare_table(imports, &rec, running.resumed) {
        Ok(t) => t,
        Err(failure) => {
            rec.failure = Some(failure);
            rec.phase = Phase::Finalizing;
            save(imports, &rec);
            return finalize(imports, rec);
        }
    };
    if rec.phase != Phase::Loading {
        if let Err(e) = imports.store.put_objects(&rec.id, &objects) {
            tracing::error!(import = %rec.arn, error = %e, "cannot pin the import objects");
        }
        rec.phase = Phase::Loading;
        save(imports, &rec);
    }

    let csv = super::check::csv_options(rec.format_options.as_ref());
    let plan = Plan {
        bucket: &rec.source.bucket,
        objects: &objects,
        format: rec.format,
        compression: rec.compression,
        csv,
        key_types: rec.key_types(),
        table: &rec.table,
    };
    let loader = (!rec.into_existing).then(|| table.bulk_loader());
    let upsert = UpsertSink(&table);
    let bulk = loader.as_ref().map(LoaderSink);
    let sink: &dyn ItemSink = match &bulk {
        Some(b) => b,
        None => &upsert,
    };
    let errlog = ImportErrorLog::new(
        &imports.logs,
        &imports.engine,
        rec.error_stream(),
        &rec.source.bucket,
        &rec.arn,
        MAX_LOGGED_ERRORS,
    );
    let started = std::time::Instant::now();
    let result = pipeline::run(
        &plan,
        &imports.config.pipeline,
        imports.source.as_ref(),
        sink,
        &errlog,
        &running.live,
        &running.stop,
    );
    errlog.flush();
    let read = started.elapsed();
    let finished = loader.map_or(Ok(()), BulkLoader::finish);
    tracing::info!(
        import = %rec.arn,
        objects = objects.len(),
        read_secs = read.as_secs_f64(),
        finish_secs = (started.elapsed() - read).as_secs_f64(),
        "import data loaded"
    );
    if result.is_ok() && running.stop.load(Ordering::SeqCst) {
        // Shut down: stays IN_PROGRESS, redone by the next start.
        tracing::info!(import = %rec.arn, "import interrupted by shutdown");
        return;
    }
    let counters = running.live.snapshot();
    rec.counters = counters;
    rec.failure = match (result, finished) {
        (Err(f), _) => Some(f),
        (Ok(()), Err(e)) => {
            tracing::error!(import = %rec.arn, error = %e, "import flush failed");
            Some(internal("The import failed because of an internal error."))
        }
        (Ok(()), Ok(())) if counters.errors > 0 => Some(Failure {
            code: ITEM_VALIDATION_CODE.into(),
            message: ITEM_VALIDATION_MESSAGE.into(),
        }),
        (Ok(()), Ok(())) => None,
    };
    rec.phase = Phase::Finalizing;
    save(imports, &rec);
    finalize(imports, rec);
}

/// Make the table ACTIVE and the record terminal.
fn finalize(imports: &Imports, mut rec: ImportRecord) {
    if !rec.into_existing
        && let Some(table) = own_table(imports, &rec)
        && let Err(e) = table.update_def(&mut |d| d.status = TableStatus::Active)
    {
        tracing::error!(import = %rec.arn, error = %e, "cannot activate the import table");
    }
    rec.status = if rec.failure.is_some() {
        ImportStatus::Failed
    } else {
        ImportStatus::Completed
    };
    rec.phase = Phase::Done;
    rec.end_millis = Some(imports.now_millis().max(rec.start_millis));
    tracing::info!(
        import = %rec.arn,
        status = rec.status.as_str(),
        items = rec.counters.imported_items,
        errors = rec.counters.errors,
        "import finished"
    );
    save(imports, &rec);
}

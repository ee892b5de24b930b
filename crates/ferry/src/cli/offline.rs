//! Offline mode (`--data-dir`): the data directory is opened in this process
//! with the server's own wiring (engine, job runner, object stores) and no
//! listener (`ferry_server::open`), so an offline import or export is the
//! very job ImportTable or ExportTableToPointInTime runs, called in-process.

use std::path::Path;

use super::CliError;

/// "the data directory D is in use by another ferry process (pid N)" when
/// `e` is the storage engine's "another process holds the lock" (`ferry
/// serve` prints it too); `None` for any other error.
pub fn in_use_message(data_dir: &Path, e: &anyhow::Error) -> Option<String> {
    let locked = e.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<fjall::Error>(),
            Some(fjall::Error::Locked)
        )
    });
    if !locked {
        return None;
    }
    let pid = match ferry_server::data_dir_holder(data_dir) {
        Some(pid) => format!(" (pid {pid})"),
        None => String::new(),
    };
    Some(format!(
        "the data directory {} is in use by another ferry process{pid}",
        data_dir.display()
    ))
}

/// Open `data_dir`; refused clearly while a server (or another command)
/// holds it.
pub async fn open(data_dir: &Path) -> Result<ferry_server::Instance, CliError> {
    let config = ferry_server::Config {
        data_dir: Some(data_dir.to_path_buf()),
        ..ferry_server::Config::default()
    };
    ferry_server::open(config).await.map_err(|e| {
        CliError::failed(in_use_message(data_dir, &e).unwrap_or_else(|| {
            format!(
                "cannot open the data directory {}: {e:#}",
                data_dir.display()
            )
        }))
    })
}

/// A request the in-process handlers refused: a usage error `Code:
/// message`, as online mode prints it.
pub fn api_error(e: ferry_server::errors::ApiError) -> CliError {
    CliError::usage(format!(
        "{}: {}",
        e.code.name(),
        e.message.unwrap_or_default()
    ))
}

/// One DynamoDB operation (`DescribeTable`, ...) on the opened data
/// directory, through the server's dispatch.
pub async fn call(
    state: &ferry_server::AppState,
    operation: &str,
    body: &serde_json::Value,
) -> Result<serde_json::Value, CliError> {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let answer = ferry_server::call(state, operation, &bytes)
        .await
        .map_err(api_error)?;
    Ok(serde_json::from_slice(&answer).unwrap_or_default())
}

//! Offline mode (`--data-dir`): the data directory is opened in this process
//! with the server's own wiring (engine, job runner, object stores), so an
//! offline import or export is the very job ImportTable or
//! ExportTableToPointInTime runs. Its HTTP listener is bound to an ephemeral
//! loopback port and used by nothing.

use std::path::Path;

use super::CliError;

/// Whether `e` is the storage engine's "another process holds the lock".
fn is_locked(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<fjall::Error>(),
            Some(fjall::Error::Locked)
        )
    })
}

/// Open `data_dir`; refused clearly while a server (or another command)
/// holds it.
pub async fn open(data_dir: &Path) -> Result<ferry_server::ServerHandle, CliError> {
    let config = ferry_server::Config {
        listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        data_dir: Some(data_dir.to_path_buf()),
        ..ferry_server::Config::default()
    };
    ferry_server::start(config).await.map_err(|e| {
        if is_locked(&e) {
            CliError::failed(format!(
                "the data directory {} is in use by another ferry process",
                data_dir.display()
            ))
        } else {
            CliError::failed(format!(
                "cannot open the data directory {}: {e:#}",
                data_dir.display()
            ))
        }
    })
}

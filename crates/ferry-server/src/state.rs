//! The server's shared state ([`AppState`]: settings, the table engine, and
//! later the job runner and object stores) and the per-request context
//! (region and request id, kept in a task-local so every handler can build
//! ARNs with `state.region()` while keeping the `(state, body)` signature).

use std::sync::Arc;

use ferry_storage::{Engine, Table};

use crate::Config;
use crate::errors::ApiError;

/// Everything a handler can reach.
pub struct AppState {
    pub config: Config,
    pub engine: Arc<Engine>,
    /// The embedded bucket store (and any external S3 endpoint).
    pub objects: ferry_objects::Objects,
    /// Imports, exports, restores and import error logs.
    pub jobs: Arc<ferry_jobs::Jobs>,
    /// The accepted access keys (empty: accept every request).
    pub credentials: Arc<ferry_auth::Credentials>,
    /// The S3 endpoint over the embedded bucket store.
    pub s3: ferry_s3::S3Endpoint,
    /// TransactWriteItems' client request tokens of the last 10 minutes.
    pub tokens: Arc<crate::transact::tokens::Tokens>,
    /// The in-memory mode's temporary S3 directory (removed on drop).
    pub(crate) _scratch: Option<tempfile::TempDir>,
}

/// Facts about the request being served.
#[derive(Clone, Debug)]
pub struct RequestInfo {
    /// From the SigV4 credential scope, else the configured region.
    pub region: String,
    /// The verified principal, with an IAM file (`iam/mod.rs`).
    pub caller: Option<Arc<crate::iam::Caller>>,
}

tokio::task_local! {
    static REQUEST: RequestInfo;
}

/// Run `fut` with `info` as the current request.
pub async fn with_request<F: std::future::Future>(info: RequestInfo, fut: F) -> F::Output {
    REQUEST.scope(info, fut).await
}

impl AppState {
    /// The region of the current request (its SigV4 scope), else the
    /// configured one.
    pub fn region(&self) -> String {
        REQUEST
            .try_with(|r| r.region.clone())
            .unwrap_or_else(|_| self.config.region.clone())
    }

    /// The caller of the current request (only with an IAM file).
    pub fn caller(&self) -> Option<Arc<crate::iam::Caller>> {
        REQUEST.try_with(|r| r.caller.clone()).ok().flatten()
    }

    /// The account of the current request: its caller's, else the
    /// configured one (no IAM file).
    pub fn account_id(&self) -> String {
        match self.caller() {
            Some(c) => c.user.account.clone(),
            None => self.config.account_id.clone(),
        }
    }

    /// The ARN of the current request's principal: its IAM user, else the
    /// account's root (`arn:aws:iam::<account>:root`).
    pub fn caller_arn(&self) -> String {
        match self.caller() {
            Some(c) => c.user.arn.clone(),
            None => format!("arn:aws:iam::{}:root", self.config.account_id),
        }
    }

    /// `arn:aws:dynamodb:<region>:<account>:table/<name>`.
    pub fn table_arn(&self, table: &str) -> String {
        format!(
            "arn:aws:dynamodb:{}:{}:table/{table}",
            self.region(),
            self.account_id()
        )
    }

    /// The table for an item operation: missing, CREATING or DELETING tables
    /// are `ResourceNotFoundException: Requested resource not found`.
    pub fn active_table(&self, name: &str) -> Result<Arc<Table>, ApiError> {
        active_table(&self.engine, name)
    }
}

/// See [`AppState::active_table`] (for use inside blocking closures).
pub fn active_table(engine: &Engine, name: &str) -> Result<Arc<Table>, ApiError> {
    let table = engine
        .table(name)
        .ok_or_else(ApiError::resource_not_found)?;
    let status = table.shared_def().status;
    match status {
        ferry_model::TableStatus::Creating | ferry_model::TableStatus::Deleting => {
            Err(ApiError::resource_not_found())
        }
        ferry_model::TableStatus::Active | ferry_model::TableStatus::Updating => Ok(table),
    }
}

/// Run blocking storage work off the reactor, still as the current request
/// (its region and caller), so that `AppState::region`, `account_id` and
/// `caller` answer the same inside `f` as in the handler.
pub async fn blocking<T, F>(f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
{
    let request = REQUEST.try_with(RequestInfo::clone).ok();
    tokio::task::spawn_blocking(move || match request {
        Some(info) => REQUEST.sync_scope(info, f),
        None => f(),
    })
    .await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn blocking_work_runs_as_the_current_request() {
        let info = RequestInfo {
            region: "eu-west-9".to_owned(),
            caller: None,
        };
        let seen = with_request(
            info,
            blocking(|| Ok(REQUEST.try_with(|r| r.region.clone()).ok())),
        )
        .await
        .unwrap();
        assert_eq!(seen.as_deref(), Some("eu-west-9"));
        let outside = blocking(|| Ok(REQUEST.try_with(|r| r.region.clone()).ok()))
            .await
            .unwrap();
        assert_eq!(outside, None);
    }
}

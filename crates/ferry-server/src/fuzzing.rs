//! The entry the fuzz targets in `fuzz/` drive (only with the `fuzzing`
//! feature): a server's state over an in-memory engine, without a listener
//! or background tasks, that runs one DynamoDB request body or one S3
//! request the way `http.rs` dispatches them after the signature check.

use std::sync::Arc;

use ferry_storage::{Engine, EngineConfig};
use http::{Request, Response};

use crate::errors::ApiError;
pub use crate::router::Operation;
use crate::state::AppState;
use crate::{Config, dispatch, new_state};

/// The tables every harness starts with: `keyed` (hash `pk` S, range `sk`
/// N, a GSI on `g` S, an LSI on `l` B) and `hashed` (hash `id` B).
const TABLES: [&str; 2] = [
    r#"{"TableName":"keyed","BillingMode":"PAY_PER_REQUEST",
        "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},
            {"AttributeName":"sk","AttributeType":"N"},{"AttributeName":"g","AttributeType":"S"},
            {"AttributeName":"l","AttributeType":"B"}],
        "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],
        "GlobalSecondaryIndexes":[{"IndexName":"gsi","KeySchema":[{"AttributeName":"g","KeyType":"HASH"}],
            "Projection":{"ProjectionType":"ALL"}}],
        "LocalSecondaryIndexes":[{"IndexName":"lsi","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},
            {"AttributeName":"l","KeyType":"RANGE"}],"Projection":{"ProjectionType":"KEYS_ONLY"}}]}"#,
    r#"{"TableName":"hashed","BillingMode":"PAY_PER_REQUEST",
        "AttributeDefinitions":[{"AttributeName":"id","AttributeType":"B"}],
        "KeySchema":[{"AttributeName":"id","KeyType":"HASH"}]}"#,
];

/// A server state to run requests against.
pub struct Harness {
    rt: tokio::runtime::Runtime,
    state: Arc<AppState>,
}

impl Harness {
    /// An in-memory server with the tables of [`TABLES`].
    pub fn new() -> anyhow::Result<Harness> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let state = rt.block_on(async {
            let engine = Engine::open(EngineConfig {
                path: None,
                sync: false,
            })?;
            let config = Config {
                data_dir: None,
                ..Config::default()
            };
            new_state(config, engine)
        })?;
        let harness = Harness { rt, state };
        for table in TABLES {
            harness
                .dynamodb(Operation::CreateTable, table.as_bytes())
                .map_err(|e| anyhow::anyhow!("creating a fuzzing table: {e:?}"))?;
        }
        Ok(harness)
    }

    /// Runs `body` as the DynamoDB operation `op`.
    pub fn dynamodb(&self, op: Operation, body: &[u8]) -> Result<Vec<u8>, ApiError> {
        self.rt.block_on(dispatch::dynamodb(&self.state, op, body))
    }

    /// Serves one S3 request (open mode: signatures are ignored).
    pub fn s3(&self, req: Request<s3s::Body>) -> Response<s3s::Body> {
        self.rt.block_on(self.state.s3.call_body(req))
    }
}

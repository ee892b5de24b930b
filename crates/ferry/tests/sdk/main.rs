//! The one integration-test binary: the real AWS SDKs against a real Ferry
//! server on an ephemeral loopback port. One module per capability.

mod common;

mod backups;
mod backups_faults;
mod backups_in_use;
mod capacity;
mod control;
mod durability;
mod exports;
mod external;
mod faults;
mod hardening;
mod http2_limits;
mod http_limits;
mod iam;
mod imports;
mod indexes;
mod items;
mod key_rules;
mod legacy_fixes;
mod legacy_items;
mod legacy_query;
mod limits;
mod logs;
mod migration;
mod partiql;
mod partiql_batch;
mod partiql_select;
mod partiql_txn;
mod pitr;
mod query_scan;
mod s3;
mod s3_auth;
mod s3_edges;
mod s3_framing;
mod s3_multipart;
mod streams;
mod streams_durability;
mod tables;
mod transactions;
mod validations;
mod wire;

//! Tests of the data commands (`ferry import`, `ferry check`, `ferry export`,
//! `ferry completions`) running the real `ferry` binary. Results are read
//! back with the AWS SDK from a server opened on the same data directory
//! afterwards (in this test process).

mod common;

mod check;
mod export;
mod import;
mod into_existing;
mod manners;

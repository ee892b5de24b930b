//! ferry-jobs (being written).

//! ferry-s3 (being written).

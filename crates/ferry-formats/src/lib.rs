//! ferry-formats (being written).

//! ferry-server (being written).

//! ferry-storage (being written).

//! ferry-objects (being written).

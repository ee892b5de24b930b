//! ferry-expr (being written).

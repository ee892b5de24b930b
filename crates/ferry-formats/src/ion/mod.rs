//! Amazon Ion: the import reader (text one value per line, a top-level list,
//! multi-line values, or binary; parsed with ion-rs, after a fast path for the
//! subset AWS writes) and the export writer (hand-written, AWS's exact text).
//! See `read.rs`, `fast.rs` and `write.rs` for the type mapping, the fast
//! path's subset and the exact output forms.

mod binary;
mod fast;
mod frame;
mod read;
mod write;

pub use read::{IonReader, record_to_item};
pub use write::{
    write_blob, write_change_line, write_field_name, write_item_line, write_number, write_string,
    write_struct, write_value,
};

#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
mod tests;

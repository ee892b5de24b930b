//! DynamoDB numbers: up to 38 significant digits, magnitude 1E-130 to 9.99…E+125.

/// A DynamoDB number (placeholder: being implemented).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Number {
    negative: bool,
    coefficient: u128,
    exponent: i16,
}

/// Why a text is not a DynamoDB number.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NumberError {
    #[error("malformed number")]
    Malformed,
}

//! Parsing number text the way DynamoDB does (Java `BigDecimal` syntax), in one
//! pass over the bytes and without allocating, then checking range and precision.
//!
//! Accepted: `1`, `-0.5`, `+3`, `.5`, `5.`, `0001.23`, `1e10`, `1E+10`, `0e1000`.
//! Refused (malformed): empty, spaces anywhere, `NaN`, `Infinity`, `1e`, `.`,
//! `0x10`, an exponent that does not fit a 32-bit integer.
//! Leading and trailing zeros are not significant: `1.000…0` (any length) is 1.

use super::{MAX_DIGITS, MAX_MAGNITUDE, MIN_MAGNITUDE, Number, NumberError};

/// Largest exponent magnitude Java's `BigDecimal` accepts.
const MAX_EXPONENT_TEXT: i64 = i32::MAX as i64;

pub(super) fn parse(text: &str) -> Result<Number, NumberError> {
    let malformed = || NumberError::Malformed(text.to_owned());
    let b = text.as_bytes();
    let len = b.len();
    let mut i = 0;
    let negative = match b.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    let int_start = i;
    while i < len && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = &b[int_start..i];
    let mut frac_digits: &[u8] = &[];
    if i < len && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < len && b[i].is_ascii_digit() {
            i += 1;
        }
        frac_digits = &b[frac_start..i];
    }
    if int_digits.is_empty() && frac_digits.is_empty() {
        return Err(malformed());
    }
    let mut exponent: i64 = 0;
    if i < len && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        let exp_negative = match b.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let exp_start = i;
        while i < len && b[i].is_ascii_digit() {
            exponent = exponent * 10 + i64::from(b[i] - b'0');
            if exponent > MAX_EXPONENT_TEXT {
                return Err(malformed());
            }
            i += 1;
        }
        if i == exp_start {
            return Err(malformed());
        }
        if exp_negative {
            exponent = -exponent;
        }
    }
    if i != len {
        return Err(malformed());
    }

    // Digits form one sequence: the integer digits then the fraction digits.
    let digit = |k: usize| -> u8 {
        if k < int_digits.len() {
            int_digits[k] - b'0'
        } else {
            frac_digits[k - int_digits.len()] - b'0'
        }
    };
    let n = int_digits.len() + frac_digits.len();
    let Some(first) = (0..n).find(|&k| digit(k) != 0) else {
        return Ok(Number::zero());
    };
    let last = (first..n).rev().find(|&k| digit(k) != 0).unwrap_or(first);
    let count = (last - first + 1) as i64;
    // Power of ten of the last significant digit, then of the first.
    let last_exponent = exponent - frac_digits.len() as i64 + (n - 1 - last) as i64;
    let magnitude = last_exponent + count - 1;
    if magnitude > MAX_MAGNITUDE {
        return Err(NumberError::Overflow);
    }
    if magnitude < MIN_MAGNITUDE {
        return Err(NumberError::Underflow);
    }
    if count > i64::from(MAX_DIGITS) {
        return Err(NumberError::TooManyDigits);
    }
    let mut coefficient: u128 = 0;
    for k in first..=last {
        coefficient = coefficient * 10 + u128::from(digit(k));
    }
    Ok(Number {
        negative,
        coefficient,
        // Within [-167, 125] because the magnitude is in range.
        exponent: last_exponent as i16,
    })
}

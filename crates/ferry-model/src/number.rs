//! DynamoDB numbers: exact decimals of up to 38 significant digits whose
//! magnitude lies between 1E-130 and 9.9999999999999999999999999999999999999E+125
//! (or zero).
//!
//! A [`Number`] is kept normalised — sign, a `u128` coefficient without trailing
//! zeros, and a power-of-ten exponent — so the derived `Eq`/`Hash` compare by
//! numeric value (`1.0 == 1`). Parsing lives in `number/parse.rs`, arithmetic in
//! `number/arith.rs` and the order-preserving key encoding in `number/key.rs`.

use std::cmp::Ordering;
use std::fmt;

mod arith;
mod key;
mod parse;
#[cfg(test)]
pub(crate) mod tests;

/// Most significant digits a number may carry.
pub const MAX_DIGITS: u32 = 38;
/// Largest allowed power of ten of a number's leading digit (9.99…E+125).
pub(crate) const MAX_MAGNITUDE: i64 = 125;
/// Smallest allowed power of ten of a number's leading digit (1E-130).
pub(crate) const MIN_MAGNITUDE: i64 = -130;

/// `POW10[i] == 10^i` for every `i` a 38-digit coefficient can need.
pub(crate) const POW10: [u128; 39] = {
    let mut table = [1u128; 39];
    let mut i = 1;
    while i < 39 {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

/// A DynamoDB number.
///
/// Invariants: zero is `{negative: false, coefficient: 0, exponent: 0}`; any
/// other value has a coefficient that does not end in `0`, has at most 38
/// digits, and a leading-digit magnitude within `[-130, 125]`. The value is
/// `(-1)^negative × coefficient × 10^exponent`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Number {
    negative: bool,
    coefficient: u128,
    exponent: i16,
}

/// Why a text (or the result of arithmetic) is not a DynamoDB number.
/// [`NumberError::message`] is DynamoDB's exact ValidationException text.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
pub enum NumberError {
    /// Not the syntax of a number; carries the offending text.
    #[error("{}", self.message())]
    Malformed(String),
    /// More than 38 significant digits.
    #[error("{}", self.message())]
    TooManyDigits,
    /// Magnitude above 9.99…E+125.
    #[error("{}", self.message())]
    Overflow,
    /// Magnitude below 1E-130.
    #[error("{}", self.message())]
    Underflow,
    /// The exact result of an addition or subtraction needs more than 38
    /// significant digits. DynamoDB reports this with its overflow message.
    #[error("{}", self.message())]
    Inexact,
}

/// DynamoDB's message for a text that is not a number (followed by `: <text>`
/// when the text is not empty).
pub const MALFORMED_NUMBER_MESSAGE: &str = "The parameter cannot be converted to a numeric value";
/// DynamoDB's message for more than 38 significant digits.
pub const TOO_MANY_DIGITS_MESSAGE: &str =
    "Attempting to store more than 38 significant digits in a Number";
/// DynamoDB's message for a number above the supported range.
pub const OVERFLOW_MESSAGE: &str =
    "Number overflow. Attempting to store a number with magnitude larger than supported range";
/// DynamoDB's message for a non-zero number below the supported range.
pub const UNDERFLOW_MESSAGE: &str =
    "Number underflow. Attempting to store a number with magnitude smaller than supported range";

impl NumberError {
    /// The exact text DynamoDB puts in the ValidationException.
    pub fn message(&self) -> String {
        match self {
            NumberError::Malformed(text) if text.is_empty() => MALFORMED_NUMBER_MESSAGE.to_owned(),
            NumberError::Malformed(text) => format!("{MALFORMED_NUMBER_MESSAGE}: {text}"),
            NumberError::TooManyDigits => TOO_MANY_DIGITS_MESSAGE.to_owned(),
            NumberError::Overflow | NumberError::Inexact => OVERFLOW_MESSAGE.to_owned(),
            NumberError::Underflow => UNDERFLOW_MESSAGE.to_owned(),
        }
    }
}

/// Number of decimal digits of `c` (1 for zero).
pub(crate) fn digit_count(c: u128) -> u32 {
    if c == 0 { 1 } else { c.ilog10() + 1 }
}

impl Number {
    /// Zero.
    pub const fn zero() -> Number {
        Number {
            negative: false,
            coefficient: 0,
            exponent: 0,
        }
    }

    /// Parse DynamoDB's number syntax (what Java's `BigDecimal` accepts:
    /// optional sign, digits with an optional point, optional exponent; no
    /// spaces, no `NaN`/`Infinity`) and check precision and range.
    pub fn parse(text: &str) -> Result<Number, NumberError> {
        parse::parse(text)
    }

    /// Build a number from sign, coefficient and exponent, normalising and
    /// checking range (first) and precision; `too_many` is the error for more
    /// than 38 digits.
    pub(crate) fn from_parts(
        negative: bool,
        mut coefficient: u128,
        mut exponent: i64,
        too_many: NumberError,
    ) -> Result<Number, NumberError> {
        if coefficient == 0 {
            return Ok(Number::zero());
        }
        while coefficient.is_multiple_of(10) {
            coefficient /= 10;
            exponent += 1;
        }
        let digits = digit_count(coefficient);
        let magnitude = exponent + i64::from(digits) - 1;
        if magnitude > MAX_MAGNITUDE {
            return Err(NumberError::Overflow);
        }
        if magnitude < MIN_MAGNITUDE {
            return Err(NumberError::Underflow);
        }
        if digits > MAX_DIGITS {
            return Err(too_many);
        }
        // In range: exponent lies within [-167, 125].
        Ok(Number {
            negative,
            coefficient,
            exponent: exponent as i16,
        })
    }

    /// True for zero.
    pub fn is_zero(&self) -> bool {
        self.coefficient == 0
    }

    /// True for numbers below zero.
    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// The number with its sign flipped (zero stays zero).
    #[must_use]
    pub fn negate(&self) -> Number {
        Number {
            negative: !self.negative && !self.is_zero(),
            ..self.clone()
        }
    }

    /// Number of significant digits (1 for zero).
    pub fn significant_digits(&self) -> u32 {
        digit_count(self.coefficient)
    }

    /// The significant digits without trailing zeros, as an integer.
    pub fn coefficient(&self) -> u128 {
        self.coefficient
    }

    /// The power of ten the coefficient is scaled by.
    pub fn exponent(&self) -> i32 {
        i32::from(self.exponent)
    }

    /// The power of ten of the leading digit (0 for zero): `1.5` → 0, `150` → 2.
    pub fn magnitude(&self) -> i32 {
        if self.is_zero() {
            0
        } else {
            i32::from(self.exponent) + digit_count(self.coefficient) as i32 - 1
        }
    }

    /// The value as an `i64` if it is an integer that fits.
    #[must_use]
    pub fn to_i64(&self) -> Option<i64> {
        if self.exponent < 0 {
            return None;
        }
        let scale = POW10.get(self.exponent as usize)?;
        let magnitude = self.coefficient.checked_mul(*scale)?;
        if self.negative {
            if magnitude <= i64::MAX as u128 + 1 {
                Some((magnitude as i128).wrapping_neg() as i64)
            } else {
                None
            }
        } else {
            i64::try_from(magnitude).ok()
        }
    }

    /// The nearest `f64` (lossy; for tests, benchmarks and TTL-like uses).
    pub fn to_f64(&self) -> f64 {
        let text = format!(
            "{}{}e{}",
            if self.negative { "-" } else { "" },
            self.coefficient,
            self.exponent
        );
        text.parse().unwrap_or(f64::NAN)
    }

    /// Compare magnitudes (absolute values) of two non-zero numbers.
    fn cmp_magnitude(&self, other: &Number) -> Ordering {
        self.magnitude().cmp(&other.magnitude()).then_with(|| {
            let a = self.coefficient * POW10[(MAX_DIGITS - digit_count(self.coefficient)) as usize];
            let b =
                other.coefficient * POW10[(MAX_DIGITS - digit_count(other.coefficient)) as usize];
            a.cmp(&b)
        })
    }

    fn signum(&self) -> i8 {
        if self.is_zero() {
            0
        } else if self.negative {
            -1
        } else {
            1
        }
    }
}

impl Default for Number {
    fn default() -> Self {
        Number::zero()
    }
}

impl std::str::FromStr for Number {
    type Err = NumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Number::parse(s)
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        self.signum()
            .cmp(&other.signum())
            .then_with(|| match self.signum() {
                0 => Ordering::Equal,
                1 => self.cmp_magnitude(other),
                _ => other.cmp_magnitude(self),
            })
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

const ZEROS: &str = "00000000000000000000000000000000000000000000000000000000000000000000";

fn write_zeros(f: &mut fmt::Formatter<'_>, mut n: usize) -> fmt::Result {
    while n > 0 {
        let chunk = n.min(ZEROS.len());
        f.write_str(&ZEROS[..chunk])?;
        n -= chunk;
    }
    Ok(())
}

/// DynamoDB's canonical text: plain notation, never an exponent, no trailing
/// zeros after the point, no `-0` (`"1.50"` → `1.5`, `"1e3"` → `1000`).
impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_zero() {
            return f.write_str("0");
        }
        let mut buf = [0u8; 40];
        let mut pos = buf.len();
        let mut c = self.coefficient;
        while c > 0 {
            pos -= 1;
            buf[pos] = b'0' + (c % 10) as u8;
            c /= 10;
        }
        // Only ASCII digits were written.
        let digits = std::str::from_utf8(&buf[pos..]).map_err(|_| fmt::Error)?;
        if self.negative {
            f.write_str("-")?;
        }
        let exponent = i64::from(self.exponent);
        if exponent >= 0 {
            f.write_str(digits)?;
            return write_zeros(f, exponent as usize);
        }
        let point = digits.len() as i64 + exponent;
        if point > 0 {
            let (whole, fraction) = digits.split_at(point as usize);
            f.write_str(whole)?;
            f.write_str(".")?;
            f.write_str(fraction)
        } else {
            f.write_str("0.")?;
            write_zeros(f, (-point) as usize)?;
            f.write_str(digits)
        }
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Number({self})")
    }
}

impl From<u64> for Number {
    fn from(v: u64) -> Self {
        // At most 20 digits and magnitude 19: always valid.
        Number::from_parts(false, u128::from(v), 0, NumberError::TooManyDigits)
            .unwrap_or_else(|_| Number::zero())
    }
}

impl From<i64> for Number {
    fn from(v: i64) -> Self {
        Number::from(v.unsigned_abs()).with_sign(v < 0)
    }
}

impl From<u32> for Number {
    fn from(v: u32) -> Self {
        Number::from(u64::from(v))
    }
}

impl From<i32> for Number {
    fn from(v: i32) -> Self {
        Number::from(i64::from(v))
    }
}

impl From<usize> for Number {
    fn from(v: usize) -> Self {
        Number::from(v as u64)
    }
}

impl Number {
    fn with_sign(mut self, negative: bool) -> Number {
        self.negative = negative && !self.is_zero();
        self
    }
}

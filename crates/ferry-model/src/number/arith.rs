//! Exact addition and subtraction for UpdateExpression `SET a = a + :v` and `ADD`.
//!
//! DynamoDB never rounds: a result that needs more than 38 significant digits
//! is an error ([`NumberError::Inexact`]), as is one outside the range.
//!
//! Both operands are aligned to the smaller exponent in a `u128`. When the
//! aligned operand does not fit (it would need more than ~38 digits), the exact
//! result necessarily has more than 38 significant digits: its lowest digit is
//! the (non-zero) lowest digit of the other operand, and its magnitude is at
//! least 10^38 of that unit. So a failed alignment is `Inexact` directly.

use super::{Number, NumberError, POW10};

/// `c × 10^shift`, or `None` when that does not fit a `u128`.
fn scale(c: u128, shift: u32) -> Option<u128> {
    POW10.get(shift as usize).and_then(|p| c.checked_mul(*p))
}

impl Number {
    /// `self + other`, exactly.
    pub fn checked_add(&self, other: &Number) -> Result<Number, NumberError> {
        if other.is_zero() {
            return Ok(self.clone());
        }
        if self.is_zero() {
            return Ok(other.clone());
        }
        let exponent = self.exponent.min(other.exponent);
        let a = scale(self.coefficient, (self.exponent - exponent) as u32)
            .ok_or(NumberError::Inexact)?;
        let b = scale(other.coefficient, (other.exponent - exponent) as u32)
            .ok_or(NumberError::Inexact)?;
        let (negative, magnitude) = if self.negative == other.negative {
            (self.negative, a.checked_add(b).ok_or(NumberError::Inexact)?)
        } else if a >= b {
            (self.negative, a - b)
        } else {
            (other.negative, b - a)
        };
        Number::from_parts(
            negative,
            magnitude,
            i64::from(exponent),
            NumberError::Inexact,
        )
    }

    /// `self - other`, exactly.
    pub fn checked_sub(&self, other: &Number) -> Result<Number, NumberError> {
        self.checked_add(&other.negate())
    }
}

//! Order-preserving, prefix-free byte encoding of numbers for storage keys:
//! comparing two encodings with `memcmp` gives the numeric order, and no
//! encoding is a prefix of another, so encodings can be concatenated.
//!
//! Layout (version 1):
//! - zero: `[0x02]`
//! - positive: `[0x03, magnitude + 130, pairs…]`
//! - negative: `[0x01]` then every byte of the positive layout of `|n|`
//!   (after the tag) inverted (`0xFF - b`).
//!
//! `magnitude` is the power of ten of the leading digit (−130..=125, so one
//! byte 0..=255). The digits (without trailing zeros, padded with one `0` to
//! an even count) are taken two at a time as `x` in 0..=99 and written as
//! `2x + 1`, except the last pair, written as `2x`. The even last byte ends
//! the encoding (prefix-free), and a shorter digit string sorts before a
//! longer one that extends it, as its value is smaller.

use super::{MAX_DIGITS, MIN_MAGNITUDE, Number, POW10, digit_count};

const TAG_NEGATIVE: u8 = 0x01;
const TAG_ZERO: u8 = 0x02;
const TAG_POSITIVE: u8 = 0x03;

impl Number {
    /// Append this number's key encoding to `out`.
    pub fn encode_key(&self, out: &mut Vec<u8>) {
        if self.is_zero() {
            out.push(TAG_ZERO);
            return;
        }
        let invert = if self.negative { 0xFF } else { 0x00 };
        out.push(if self.negative {
            TAG_NEGATIVE
        } else {
            TAG_POSITIVE
        });
        out.push(((i64::from(self.magnitude()) - MIN_MAGNITUDE) as u8) ^ invert);
        let digits = digit_count(self.coefficient);
        // Left-align the coefficient to an even number of digits.
        let even = digits + (digits & 1);
        let mut rest = self.coefficient * POW10[(even - digits) as usize];
        let mut remaining = even;
        while remaining > 0 {
            remaining -= 2;
            let divisor = POW10[remaining as usize];
            let pair = (rest / divisor) as u8;
            rest %= divisor;
            let byte = if remaining == 0 {
                2 * pair
            } else {
                2 * pair + 1
            };
            out.push(byte ^ invert);
        }
    }

    /// Decode one number from the front of `bytes`; returns it with the
    /// number of bytes consumed, or `None` if the bytes are not an encoding.
    #[must_use]
    pub fn decode_key(bytes: &[u8]) -> Option<(Number, usize)> {
        let invert = match *bytes.first()? {
            TAG_ZERO => return Some((Number::zero(), 1)),
            TAG_POSITIVE => 0x00,
            TAG_NEGATIVE => 0xFF,
            _ => return None,
        };
        let magnitude = i64::from(*bytes.get(1)? ^ invert) + MIN_MAGNITUDE;
        let mut coefficient: u128 = 0;
        let mut digits: u32 = 0;
        let mut at = 2;
        loop {
            let byte = *bytes.get(at)? ^ invert;
            at += 1;
            let pair = u128::from(byte / 2);
            if pair > 99 || digits + 2 > MAX_DIGITS + 1 {
                return None;
            }
            if digits == 0 && pair < 10 {
                return None; // leading digit must not be zero
            }
            let last = byte % 2 == 0;
            if last && pair % 10 == 0 {
                if pair == 0 {
                    return None; // would end in a zero digit
                }
                coefficient = coefficient * 10 + pair / 10;
                digits += 1;
            } else {
                coefficient = coefficient * 100 + pair;
                digits += 2;
            }
            if last {
                break;
            }
        }
        if digits > MAX_DIGITS {
            return None;
        }
        let exponent = magnitude - i64::from(digits) + 1;
        let number = Number {
            negative: invert == 0xFF,
            coefficient,
            exponent: i16::try_from(exponent).ok()?,
        };
        // Out-of-range magnitudes cannot be produced by `encode_key`.
        if i64::from(number.magnitude()) > super::MAX_MAGNITUDE {
            return None;
        }
        Some((number, at))
    }
}

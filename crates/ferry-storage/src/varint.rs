//! The one unsigned LEB128 varint of the storage encodings (item values,
//! bulk-load runs): least significant 7-bit group first, at most 10 bytes
//! for a `u64`.

/// The most bytes a `u64` takes.
pub(crate) const MAX_LEN: usize = 10;

/// Writes `v` into `buf`; returns how many bytes it took.
#[inline]
pub(crate) fn encode(mut v: u64, buf: &mut [u8; MAX_LEN]) -> usize {
    let mut n = 0;
    while v >= 0x80 {
        buf[n] = (v as u8) | 0x80;
        v >>= 7;
        n += 1;
    }
    buf[n] = v as u8;
    n + 1
}

/// Appends `v` to `out`.
#[inline]
pub(crate) fn put(v: u64, out: &mut Vec<u8>) {
    let mut buf = [0u8; MAX_LEN];
    let n = encode(v, &mut buf);
    out.extend_from_slice(&buf[..n]);
}

/// A varint ran past [`MAX_LEN`] bytes: no `u64` is encoded that way.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct TooLong;

/// The varint at the start of `b`: its value and length, or `None` when `b`
/// ends before the varint does.
#[inline]
pub(crate) fn decode(b: &[u8]) -> Result<Option<(u64, usize)>, TooLong> {
    let mut v = 0u64;
    for (i, &byte) in b.iter().enumerate().take(MAX_LEN) {
        v |= u64::from(byte & 0x7F) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(Some((v, i + 1)));
        }
    }
    if b.len() >= MAX_LEN {
        return Err(TooLong);
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_reports_short_and_long_input() {
        for v in [0, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            let mut out = Vec::new();
            put(v, &mut out);
            assert_eq!(decode(&out), Ok(Some((v, out.len()))));
            assert_eq!(decode(&out[..out.len() - 1]), Ok(None));
        }
        assert_eq!(decode(&[0x80; MAX_LEN]), Err(TooLong));
        assert_eq!(decode(&[]), Ok(None));
    }
}

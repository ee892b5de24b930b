//! Splits a *binary* Ion 1.0 stream into top-level values without parsing
//! them (every binary value starts with its length), so each can be parsed
//! on its own by ion-rs — streaming, one bad value costing one record, and
//! without holding ion-rs' (non-`Send`) streaming reader.
//!
//! Local symbol tables (`$ion_symbol_table::{…}` at top level) give meaning
//! to the symbol ids of the values after them, so each chunk handed out is:
//! the version marker, every symbol table seen since the last version marker
//! (in order, so appends work), then the value.
//!
//! ion-rs reads containers recursively, so a value nested deeper than
//! [`MAX_DEPTH`] (the text reader's limit) is reported as
//! [`BinaryChunk::TooDeep`] after an iterative walk of its lengths, and is
//! never handed to ion-rs.

use std::io::{self, BufRead, Read};

use super::frame::MAX_DEPTH;
use crate::errors::MAX_RECORD_BYTES;

/// The binary Ion 1.0 version marker.
pub(crate) const IVM: [u8; 4] = [0xE0, 0x01, 0x00, 0xEA];

/// Symbol id of `$ion_symbol_table` in the system symbol table.
const ION_SYMBOL_TABLE_SID: u64 = 3;

/// What [`BinaryFramer::next_chunk`] found.
pub(crate) enum BinaryChunk {
    /// `chunk` holds a value to parse.
    Value,
    /// A value longer than [`MAX_RECORD_BYTES`], skipped.
    TooLong,
    /// A value nested deeper than [`MAX_DEPTH`], skipped.
    TooDeep,
    /// The stream is corrupt (the message says how); framing is lost.
    Corrupt(&'static str),
}

pub(crate) struct BinaryFramer {
    symbol_tables: Vec<u8>,
    pub(crate) chunk: Vec<u8>,
    value: Vec<u8>,
}

impl BinaryFramer {
    pub(crate) fn new() -> Self {
        BinaryFramer {
            symbol_tables: Vec::new(),
            chunk: Vec::new(),
            value: Vec::new(),
        }
    }

    /// The next top-level user value; `Ok(None)` at the end of the stream.
    pub(crate) fn next_chunk<R: BufRead>(
        &mut self,
        r: &mut R,
        bytes_read: &mut u64,
    ) -> io::Result<Option<BinaryChunk>> {
        loop {
            self.value.clear();
            let Some(td) = read_byte(r, bytes_read, &mut self.value)? else {
                return Ok(None);
            };
            if td == IVM[0] {
                if !read_n(r, 3, bytes_read, &mut self.value)? || self.value[..] != IVM {
                    return Ok(Some(BinaryChunk::Corrupt("invalid binary version marker")));
                }
                self.symbol_tables.clear();
                continue;
            }
            let (t, l) = (td >> 4, td & 0x0F);
            let length = if t == 0xF {
                return Ok(Some(BinaryChunk::Corrupt("invalid type descriptor")));
            } else if t == 1 || l == 15 {
                0 // bool, or a null of any type
            } else if l == 14 || (t == 0xD && l == 1) {
                match read_var_uint(r, bytes_read, &mut self.value)? {
                    Some(n) => n,
                    None => return Ok(Some(BinaryChunk::Corrupt("truncated length"))),
                }
            } else {
                u64::from(l)
            };
            if length > MAX_RECORD_BYTES as u64 {
                if !skip(r, length, bytes_read)? {
                    return Ok(Some(BinaryChunk::Corrupt("truncated value")));
                }
                if t == 0 {
                    continue; // padding
                }
                return Ok(Some(BinaryChunk::TooLong));
            }
            let header_len = self.value.len();
            if !read_n(r, length as usize, bytes_read, &mut self.value)? {
                return Ok(Some(BinaryChunk::Corrupt("truncated value")));
            }
            if t == 0 {
                continue; // NOP padding
            }
            // Every value's lengths are checked before ion-rs sees it,
            // symbol tables too: they are handed to it with every later value
            // (ion-rs 1.2 subtracts with overflow on an annotation wrapper
            // shorter than its annotations).
            match depth_exceeds(&self.value, MAX_DEPTH) {
                Some(false) => {}
                Some(true) => return Ok(Some(BinaryChunk::TooDeep)),
                None => return Ok(Some(BinaryChunk::Corrupt("invalid value length"))),
            }
            // A local symbol table: a struct annotated `$ion_symbol_table`
            // (anything else so annotated is an ordinary value, read once:
            // kept as a table it would be read again with every later value).
            let body = &self.value[header_len..];
            if t == 0xE
                && first_annotation(body) == Some(ION_SYMBOL_TABLE_SID)
                && annotated_type(body) == Some(0xD)
            {
                if self.symbol_tables.len() + self.value.len() > MAX_RECORD_BYTES {
                    return Ok(Some(BinaryChunk::Corrupt("symbol tables too large")));
                }
                self.symbol_tables.extend_from_slice(&self.value);
                continue;
            }
            self.chunk.clear();
            self.chunk.extend_from_slice(&IVM);
            self.chunk.extend_from_slice(&self.symbol_tables);
            self.chunk.extend_from_slice(&self.value);
            return Ok(Some(BinaryChunk::Value));
        }
    }
}

/// Whether the binary Ion `value` (one complete top-level value) nests
/// containers (lists, s-expressions, structs) deeper than `max`; `None` if
/// its lengths are inconsistent. Iterative: a stack of container ends.
fn depth_exceeds(value: &[u8], max: usize) -> Option<bool> {
    // (end offset, is a struct) of each open container.
    let mut open: Vec<(usize, bool)> = Vec::new();
    let mut pos = 0;
    while pos < value.len() {
        while open.last().is_some_and(|&(end, _)| pos >= end) {
            open.pop();
        }
        if open.last().is_some_and(|&(_, is_struct)| is_struct) {
            pos += var_uint(value.get(pos..)?)?.1; // the field name
        }
        let td = *value.get(pos)?;
        pos += 1;
        let (t, l) = (td >> 4, td & 0x0F);
        let length = if t == 1 || l == 15 {
            0 // bool, or a null of any type
        } else if l == 14 || (t == 0xD && l == 1) {
            let (n, used) = var_uint(value.get(pos..)?)?;
            pos += used;
            usize::try_from(n).ok()?
        } else {
            usize::from(l)
        };
        let end = pos.checked_add(length)?;
        if end > value.len() || open.last().is_some_and(|&(outer, _)| end > outer) {
            return None;
        }
        match t {
            0xB..=0xD if l != 15 => {
                open.push((end, t == 0xD));
                if open.len() > max {
                    return Some(true);
                }
            }
            // An annotation wrapper: skip the annotations, read the value.
            0xE => {
                let (annot_len, used) = var_uint(value.get(pos..)?)?;
                pos = pos
                    .checked_add(used)?
                    .checked_add(usize::try_from(annot_len).ok()?)?;
                if pos > end {
                    return None;
                }
            }
            _ => pos = end,
        }
    }
    Some(false)
}

/// The first annotation symbol id of an annotation wrapper's body
/// (`annot_length` VarUInt, then the annotation ids).
fn first_annotation(body: &[u8]) -> Option<u64> {
    let (_, used) = var_uint(body)?;
    Some(var_uint(&body[used..])?.0)
}

/// The type code of the value an annotation wrapper's body wraps.
fn annotated_type(body: &[u8]) -> Option<u8> {
    let (annot_len, used) = var_uint(body)?;
    let at = used.checked_add(usize::try_from(annot_len).ok()?)?;
    Some(body.get(at)? >> 4)
}

fn var_uint(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, &b) in bytes.iter().enumerate().take(9) {
        value = (value << 7) | u64::from(b & 0x7F);
        if b & 0x80 != 0 {
            return Some((value, i + 1));
        }
    }
    None
}

fn read_byte<R: BufRead>(
    r: &mut R,
    bytes_read: &mut u64,
    out: &mut Vec<u8>,
) -> io::Result<Option<u8>> {
    let Some(&b) = r.fill_buf()?.first() else {
        return Ok(None);
    };
    r.consume(1);
    *bytes_read += 1;
    out.push(b);
    Ok(Some(b))
}

/// Appends exactly `n` bytes to `out`; `false` if the stream ends first.
fn read_n<R: BufRead>(
    r: &mut R,
    n: usize,
    bytes_read: &mut u64,
    out: &mut Vec<u8>,
) -> io::Result<bool> {
    let got = r.take(n as u64).read_to_end(out)?;
    *bytes_read += got as u64;
    Ok(got == n)
}

fn skip<R: BufRead>(r: &mut R, n: u64, bytes_read: &mut u64) -> io::Result<bool> {
    let got = io::copy(&mut r.take(n), &mut io::sink())?;
    *bytes_read += got;
    Ok(got == n)
}

fn read_var_uint<R: BufRead>(
    r: &mut R,
    bytes_read: &mut u64,
    out: &mut Vec<u8>,
) -> io::Result<Option<u64>> {
    let mut value = 0u64;
    for _ in 0..9 {
        let Some(b) = read_byte(r, bytes_read, out)? else {
            return Ok(None);
        };
        value = (value << 7) | u64::from(b & 0x7F);
        if b & 0x80 != 0 {
            return Ok(Some(value));
        }
    }
    Ok(None)
}

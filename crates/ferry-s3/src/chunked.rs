//! An `aws-chunked` body decoder for open mode (no credentials configured).
//!
//! With credentials, s3s decodes aws-chunked bodies itself while verifying
//! every chunk signature. In open mode Ferry does not know the signer's secret,
//! so it strips the signature and decodes the framing here instead (chunk
//! signatures, if any, are ignored): `<hex size>[;ext]\r\n<data>\r\n` … then
//! `0[;ext]\r\n`, optional trailer lines (`x-amz-checksum-crc32:…`), `\r\n`.
//! Trailers are handed to the S3 handlers through [`DecodedTrailers`] in the
//! request extensions.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures::Stream;
use http::{HeaderMap, HeaderName, HeaderValue};
use s3s::stream::{ByteStream, RemainingLength};

/// Longest chunk-header or trailer line accepted.
const MAX_LINE: usize = 8 * 1024;
/// Most trailer bytes accepted.
const MAX_TRAILERS: usize = 16 * 1024;

/// Trailers of a body decoded by [`AwsChunkedDecoder`], available once the
/// body was read to its end.
#[derive(Debug, Clone, Default)]
pub struct DecodedTrailers(pub Arc<Mutex<Option<HeaderMap>>>);

impl DecodedTrailers {
    pub fn take(&self) -> Option<HeaderMap> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

/// A malformed aws-chunked body.
#[derive(Debug, thiserror::Error)]
pub enum ChunkedError {
    #[error("aws-chunked: malformed framing")]
    Format,
    #[error("aws-chunked: body ended early")]
    Incomplete,
    #[error("aws-chunked: underlying body failed: {0}")]
    Underlying(String),
}

enum State {
    Header,
    Data(u64),
    DataEnd,
    Trailers,
    Done,
}

/// Decodes an aws-chunked stream of bytes into the payload bytes.
pub struct AwsChunkedDecoder<S> {
    inner: S,
    buf: BytesMut,
    state: State,
    trailers: HeaderMap,
    trailer_bytes: usize,
    out: DecodedTrailers,
    remaining: Option<u64>,
}

impl<S> AwsChunkedDecoder<S> {
    /// `decoded_len`: `x-amz-decoded-content-length`, if sent.
    pub fn new(inner: S, decoded_len: Option<u64>) -> (Self, DecodedTrailers) {
        let out = DecodedTrailers::default();
        (
            AwsChunkedDecoder {
                inner,
                buf: BytesMut::new(),
                state: State::Header,
                trailers: HeaderMap::new(),
                trailer_bytes: 0,
                out: out.clone(),
                remaining: decoded_len,
            },
            out,
        )
    }

    fn take_line(&mut self) -> Result<Option<BytesMut>, ChunkedError> {
        match self.buf.windows(2).position(|w| w == b"\r\n") {
            Some(i) => {
                let line = self.buf.split_to(i);
                let _ = self.buf.split_to(2);
                Ok(Some(line))
            }
            None if self.buf.len() > MAX_LINE => Err(ChunkedError::Format),
            None => Ok(None),
        }
    }

    /// Advances on buffered bytes: `Ok(Some(bytes))` to yield, `Ok(None)` to
    /// read more (or finish when `Done`).
    fn step(&mut self) -> Result<Option<Bytes>, ChunkedError> {
        loop {
            match self.state {
                State::Done => return Ok(None),
                State::Data(n) => {
                    if self.buf.is_empty() {
                        return Ok(None);
                    }
                    let k = usize::try_from(n).unwrap_or(usize::MAX).min(self.buf.len());
                    let data = self.buf.split_to(k).freeze();
                    let left = n - k as u64;
                    self.state = if left == 0 {
                        State::DataEnd
                    } else {
                        State::Data(left)
                    };
                    if let Some(r) = self.remaining.as_mut() {
                        *r = r.saturating_sub(k as u64);
                    }
                    return Ok(Some(data));
                }
                State::DataEnd => {
                    if self.buf.len() < 2 {
                        return Ok(None);
                    }
                    if &self.buf[..2] != b"\r\n" {
                        return Err(ChunkedError::Format);
                    }
                    let _ = self.buf.split_to(2);
                    self.state = State::Header;
                }
                State::Header => {
                    let Some(line) = self.take_line()? else {
                        return Ok(None);
                    };
                    let text = std::str::from_utf8(&line).map_err(|_| ChunkedError::Format)?;
                    let size = text.split(';').next().unwrap_or_default().trim();
                    let size = u64::from_str_radix(size, 16).map_err(|_| ChunkedError::Format)?;
                    self.state = if size == 0 {
                        State::Trailers
                    } else {
                        State::Data(size)
                    };
                }
                State::Trailers => {
                    let Some(line) = self.take_line()? else {
                        return Ok(None);
                    };
                    if line.is_empty() {
                        let t = std::mem::take(&mut self.trailers);
                        *self.out.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(t);
                        self.state = State::Done;
                        return Ok(None);
                    }
                    self.trailer_bytes += line.len();
                    if self.trailer_bytes > MAX_TRAILERS {
                        return Err(ChunkedError::Format);
                    }
                    let text = std::str::from_utf8(&line).map_err(|_| ChunkedError::Format)?;
                    let (name, value) = text.split_once(':').ok_or(ChunkedError::Format)?;
                    let name = name.trim().to_ascii_lowercase();
                    if name == "x-amz-trailer-signature" {
                        continue;
                    }
                    let name = HeaderName::from_bytes(name.as_bytes())
                        .map_err(|_| ChunkedError::Format)?;
                    let value =
                        HeaderValue::from_str(value.trim()).map_err(|_| ChunkedError::Format)?;
                    self.trailers.append(name, value);
                }
            }
        }
    }
}

impl<S, E> Stream for AwsChunkedDecoder<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    type Item = Result<Bytes, s3s::StdError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        this.poll_decoded(cx)
            .map(|o| o.map(|r| r.map_err(|e| Box::new(e) as s3s::StdError)))
    }
}

impl<S, E> AwsChunkedDecoder<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    fn poll_decoded(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, ChunkedError>>> {
        let this = self;
        loop {
            match this.step() {
                Err(e) => {
                    this.state = State::Done;
                    return Poll::Ready(Some(Err(e)));
                }
                Ok(Some(b)) => return Poll::Ready(Some(Ok(b))),
                Ok(None) if matches!(this.state, State::Done) => return Poll::Ready(None),
                Ok(None) => {}
            }
            match Pin::new(&mut this.inner).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(b))) => this.buf.extend_from_slice(&b),
                Poll::Ready(Some(Err(e))) => {
                    this.state = State::Done;
                    return Poll::Ready(Some(Err(ChunkedError::Underlying(e.to_string()))));
                }
                Poll::Ready(None) => {
                    // Tolerate a missing final CRLF after the last chunk.
                    if matches!(this.state, State::Trailers) && this.buf.is_empty() {
                        let t = std::mem::take(&mut this.trailers);
                        *this.out.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(t);
                        this.state = State::Done;
                        return Poll::Ready(None);
                    }
                    this.state = State::Done;
                    return Poll::Ready(Some(Err(ChunkedError::Incomplete)));
                }
            }
        }
    }
}

impl<S, E> ByteStream for AwsChunkedDecoder<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    fn remaining_length(&self) -> RemainingLength {
        match self.remaining {
            Some(n) => RemainingLength::new_exact(usize::try_from(n).unwrap_or(usize::MAX)),
            None => RemainingLength::unknown(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt as _;
    use proptest::prelude::*;

    async fn decode(pieces: Vec<Vec<u8>>) -> (Result<Vec<u8>, String>, Option<HeaderMap>) {
        let inner = futures::stream::iter(
            pieces
                .into_iter()
                .map(|p| Ok::<_, std::io::Error>(Bytes::from(p))),
        );
        let (mut d, trailers) = AwsChunkedDecoder::new(inner, None);
        let mut out = Vec::new();
        while let Some(r) = d.next().await {
            match r {
                Ok(b) => out.extend_from_slice(&b),
                Err(e) => return (Err(e.to_string()), trailers.take()),
            }
        }
        (Ok(out), trailers.take())
    }

    fn encode(data: &[u8], chunk: usize, signed: bool, trailer: Option<&str>) -> Vec<u8> {
        let mut out = Vec::new();
        let sig = if signed {
            ";chunk-signature=abcdef"
        } else {
            ""
        };
        for c in data.chunks(chunk.max(1)) {
            out.extend_from_slice(format!("{:x}{sig}\r\n", c.len()).as_bytes());
            out.extend_from_slice(c);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("0{sig}\r\n").as_bytes());
        if let Some(t) = trailer {
            out.extend_from_slice(t.as_bytes());
            out.extend_from_slice(b"\r\n");
            if signed {
                out.extend_from_slice(b"x-amz-trailer-signature:0123\r\n");
            }
        }
        out.extend_from_slice(b"\r\n");
        out
    }

    #[tokio::test]
    async fn decodes_signed_with_trailer() {
        let body = encode(
            b"hello world",
            4,
            true,
            Some("x-amz-checksum-crc32:DUoRhQ=="),
        );
        let (data, trailers) = decode(vec![body]).await;
        assert_eq!(data.unwrap(), b"hello world");
        let t = trailers.unwrap();
        assert_eq!(t.get("x-amz-checksum-crc32").unwrap(), "DUoRhQ==");
        assert!(t.get("x-amz-trailer-signature").is_none());
    }

    #[tokio::test]
    async fn rejects_truncated_and_garbage() {
        let mut body = encode(b"hello", 5, false, None);
        body.truncate(6);
        assert_eq!(
            decode(vec![body]).await.0.unwrap_err(),
            "aws-chunked: body ended early"
        );
        let (r, _) = decode(vec![b"zz\r\nhello\r\n".to_vec()]).await;
        assert_eq!(r.unwrap_err(), "aws-chunked: malformed framing");
        let (r, _) = decode(vec![b"5\r\nhelloXX0\r\n\r\n".to_vec()]).await;
        assert_eq!(r.unwrap_err(), "aws-chunked: malformed framing");
    }

    proptest! {
        #[test]
        fn any_split_decodes(
            data in prop::collection::vec(any::<u8>(), 0..300),
            chunk in 1usize..64,
            cuts in prop::collection::vec(0usize..400, 0..6),
            signed in any::<bool>(),
            trailer in any::<bool>(),
        ) {
            let t = trailer.then_some("x-amz-checksum-sha256:abc=");
            let enc = encode(&data, chunk, signed, t);
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(enc.len())).collect();
            cuts.sort_unstable();
            let mut pieces = Vec::new();
            let mut at = 0;
            for c in cuts {
                pieces.push(enc[at..c].to_vec());
                at = c;
            }
            pieces.push(enc[at..].to_vec());
            let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
            let (got, trailers) = rt.block_on(decode(pieces));
            prop_assert_eq!(got.unwrap(), data);
            let trailers = trailers.unwrap();
            prop_assert_eq!(trailers.get("x-amz-checksum-sha256").is_some(), trailer);
        }
    }
}

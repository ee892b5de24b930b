//! HTTP/2 (prior knowledge, raw frames) on the one port: a well-formed
//! request is served, and a connection that keeps moving bytes without ever
//! starting a request (PINGs, a header block trickled in CONTINUATION
//! frames) is closed by the header timeout, as an HTTP/1 one is.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::*;

/// Generous bound for "the server reacted" (the idle timeout, 60 s, is
/// longer: only the header timeout can close the connections below in time).
const DEADLINE: Duration = Duration::from_secs(30);

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const HEADERS: u8 = 1;
const SETTINGS: u8 = 4;
const PING: u8 = 6;
const CONTINUATION: u8 = 9;
const END_STREAM: u8 = 0x1;
const END_HEADERS: u8 = 0x4;

fn frame(ty: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).unwrap().to_be_bytes();
    let mut out = vec![len[1], len[2], len[3], ty, flags];
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

async fn open(addr: std::net::SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(PREFACE).await.unwrap();
    s.write_all(&frame(SETTINGS, 0, 0, &[])).await.unwrap();
    s
}

/// HPACK for `GET /` over http, `:authority: ferry` (literal, indexed name).
fn get_root() -> Vec<u8> {
    let mut block = vec![0x82, 0x86, 0x84, 0x41, 5];
    block.extend_from_slice(b"ferry");
    block
}

/// True once the server has closed the connection.
async fn closed_within(s: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let until = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(until, s.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

#[tokio::test]
async fn a_well_formed_http2_request_is_served() {
    let server = TestServer::start().await;
    let mut s = open(server.addr()).await;
    s.write_all(&frame(HEADERS, END_HEADERS | END_STREAM, 1, &get_root()))
        .await
        .unwrap();
    // Frames until the answer's HEADERS on stream 1: `:status: 200` is the
    // HPACK static entry 8.
    let mut buf = Vec::new();
    let status = tokio::time::timeout(DEADLINE, async {
        loop {
            while buf.len() >= 9 {
                let len =
                    usize::from(buf[0]) << 16 | usize::from(buf[1]) << 8 | usize::from(buf[2]);
                if buf.len() < 9 + len {
                    break;
                }
                let (ty, stream) = (buf[3], u32::from_be_bytes([buf[5], buf[6], buf[7], buf[8]]));
                let payload: Vec<u8> = buf[9..9 + len].to_vec();
                buf.drain(..9 + len);
                if ty == HEADERS && stream == 1 {
                    return payload.first().copied();
                }
            }
            let mut chunk = [0u8; 4096];
            let n = s.read(&mut chunk).await.unwrap();
            assert!(n > 0, "closed before answering");
            buf.extend_from_slice(&chunk[..n]);
        }
    })
    .await
    .expect("an answer before the deadline");
    assert_eq!(status, Some(0x88));
    drop(s);
    server.stop().await;
}

#[tokio::test]
async fn http2_connections_that_start_no_request_are_closed() {
    let server = TestServer::start_with(|c| c.header_read_timeout = Duration::from_secs(1)).await;
    let addr = server.addr();

    // PINGs every 200 ms, never a request.
    let pinging = async {
        let mut s = open(addr).await;
        tokio::time::timeout(DEADLINE, async {
            loop {
                if s.write_all(&frame(PING, 0, 0, &[7; 8])).await.is_err() {
                    return;
                }
                if closed_within(&mut s, Duration::from_millis(200)).await {
                    return;
                }
            }
        })
        .await
        .expect("the pinging connection is closed before the deadline");
    };

    // A header block that never ends: HEADERS without END_HEADERS, then a
    // few CONTINUATION frames (h2 caps their number), then nothing.
    let trickling = async {
        let mut s = open(addr).await;
        s.write_all(&frame(HEADERS, 0, 1, &[0x82])).await.unwrap();
        for _ in 0..3 {
            if closed_within(&mut s, Duration::from_millis(200)).await {
                return;
            }
            if s.write_all(&frame(CONTINUATION, 0, 1, &[0x86]))
                .await
                .is_err()
            {
                return;
            }
        }
        assert!(
            closed_within(&mut s, DEADLINE).await,
            "the trickling connection is closed before the deadline"
        );
    };
    tokio::join!(pinging, trickling);

    // Others are still served.
    let r = server.raw("DynamoDB_20120810.ListTables", "{}").await;
    assert_eq!(r.status, 200);
    server.stop().await;
}

//! serve (docs/PEERS.md): the peer as the HTTP/1.1 server of simul's
//! `GET /delay?ms=D&bytes=B&seed=S`, one task per accepted connection, with the
//! limits and answers of simul's own servers (bench/net/http.cpp).

use std::io::{self, Write};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::{fnv1a, mix64, Record, CHECKSUM_MASK, FNV_BASIS};

// Largest values served, as bench/net/http.hpp's: a request beyond them gets a 400.
const MAX_DELAY_MS: u64 = 600_000;
const MAX_BODY_BYTES: u64 = 64 << 20;
/// Longest request head read (Beast's header limit); a longer one gets a 400.
const MAX_HEAD_BYTES: usize = 8 << 10;
/// A body is made and sent this much at a time (http.cpp's part_bytes), so that a client
/// that does not read holds the server to one part, not to the whole body.
const PART_BYTES: usize = 64 << 10;
/// The read buffer of a connection: Beast's starts at 512 bytes, and simul-load's
/// requests are under 100.
const READ_BUFFER_BYTES: usize = 512;

/// Accepts connections until there are `n` or `deadline` has passed, and spawns the task
/// of each into `handles`: task i is the i-th connection accepted, and starts when it is.
/// Err says why fewer than `n` came.
pub async fn accept(
    listener: &TcpListener,
    n: usize,
    t0: Instant,
    deadline: Instant,
    handles: &mut Vec<JoinHandle<Record>>,
) -> Result<(), String> {
    while handles.len() < n {
        match tokio::time::timeout_at(deadline.into(), listener.accept()).await {
            Ok(Ok((stream, _))) => {
                let start = t0.elapsed();
                handles.push(tokio::spawn(connection(stream, t0, start)));
            }
            // As simul's own accept loop: a connection reset before it was accepted is no error.
            Ok(Err(e)) if matches!(e.kind(), io::ErrorKind::ConnectionAborted | io::ErrorKind::Interrupted) => {}
            Ok(Err(e)) => return Err(format!("not accepted: accept failed: {e}")),
            Err(_) => return Err("not accepted: no connection came before the accept deadline".to_string()),
        }
    }
    Ok(())
}

async fn connection(stream: TcpStream, t0: Instant, start: Duration) -> Record {
    let result = serve(stream).await;
    (start.as_nanos() as i64, t0.elapsed().as_nanos() as i64, result)
}

/// What a request asks; the body of (bytes, seed) after a wait of `ms`.
struct Request {
    ms: u64,
    bytes: u64,
    seed: u64,
    http10: bool,
    keep_alive: bool,
}

/// Serves one connection's requests, one after another, until the client closes it, asks
/// to close, or sends one that cannot be parsed (a 400, then close). Returns the sum of the
/// digests of the bodies sent, mod 2^52; fails on a socket error.
async fn serve(stream: TcpStream) -> Result<u64, String> {
    stream.set_nodelay(true).map_err(|e| format!("TCP_NODELAY: {e}"))?;
    let mut conn = BufReader::with_capacity(READ_BUFFER_BYTES, stream);
    let mut head = Vec::new(); // the connection's buffers, reused by each request
    let mut out = Vec::new();
    let mut sum = 0;
    while read_head(&mut conn, &mut head).await.map_err(|e| format!("receive: {e}"))? {
        let request = match parse(&head) {
            Ok(request) => request,
            Err(why) => {
                bad_request(&mut conn, &why).await.map_err(|e| format!("send: {e}"))?;
                break;
            }
        };
        if request.ms > 0 {
            tokio::time::sleep(Duration::from_millis(request.ms)).await; // the backend's work
        }
        let digest = respond(&mut conn, &request, &mut out).await.map_err(|e| format!("send: {e}"))?;
        sum = (sum + digest) & CHECKSUM_MASK;
        if !request.keep_alive {
            break;
        }
    }
    let _ = conn.shutdown().await; // then the socket closes with the task
    Ok(sum)
}

/// Reads one request's head, up to and with its empty line, into `head` (at most
/// MAX_HEAD_BYTES of it); false if the client closed before sending any of it.
async fn read_head(conn: &mut BufReader<TcpStream>, head: &mut Vec<u8>) -> io::Result<bool> {
    head.clear();
    while !head.ends_with(b"\r\n\r\n") && head.len() < MAX_HEAD_BYTES {
        let room = (MAX_HEAD_BYTES - head.len()) as u64;
        if (&mut *conn).take(room).read_until(b'\n', head).await? == 0 {
            break; // the client closed
        }
    }
    Ok(!head.is_empty())
}

/// The request in `head`, or why it is not one this server answers.
fn parse(head: &[u8]) -> Result<Request, String> {
    let head = head.strip_suffix(b"\r\n\r\n").ok_or("the request ended inside its head, or its head is over 8 KiB")?;
    let head = std::str::from_utf8(head).map_err(|_| "the request's head is not text")?;
    let mut lines = head.split("\r\n");
    let line = lines.next().unwrap_or_default();
    let mut words = line.split(' ');
    let (method, target, version) = match (words.next(), words.next(), words.next(), words.next()) {
        (Some(method), Some(target), Some(version), None) => (method, target, version),
        _ => return Err(format!("bad request line '{line}'")),
    };
    let http10 = match version {
        "HTTP/1.1" => false,
        "HTTP/1.0" => true,
        _ => return Err(format!("bad HTTP version '{version}'")),
    };
    let (mut close, mut keep_alive) = (false, false); // the Connection header's tokens
    for header in lines {
        let (name, value) = header.split_once(':').ok_or_else(|| format!("bad header line '{header}'"))?;
        if name.eq_ignore_ascii_case("connection") {
            for token in value.split(',').map(str::trim) {
                close |= token.eq_ignore_ascii_case("close");
                keep_alive |= token.eq_ignore_ascii_case("keep-alive");
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding")
            || (name.eq_ignore_ascii_case("content-length") && value.trim() != "0")
        {
            return Err("a GET with a body".to_string());
        }
    }
    if method != "GET" {
        return Err("only GET is served".to_string());
    }
    let (ms, bytes, seed) = parse_target(target).ok_or_else(|| format!("bad target '{target}'"))?;
    // HTTP/1.1 keeps the connection unless asked to close; 1.0 closes it unless asked to keep it.
    Ok(Request { ms, bytes, seed, http10, keep_alive: if http10 { keep_alive && !close } else { !close } })
}

/// (ms, bytes, seed) of `/delay?ms=D&bytes=B[&seed=S]`, as http.cpp's parse_target: decimal
/// values, no other keys, ms and bytes within the limits.
fn parse_target(target: &str) -> Option<(u64, u64, u64)> {
    let query = target.strip_prefix("/delay?")?;
    let query = query.strip_suffix('&').unwrap_or(query); // a last '&' ends the query
    let (mut ms, mut bytes, mut seed) = (None, None, 0);
    for pair in query.split('&') {
        let (key, text) = pair.split_once('=')?;
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let value: u64 = text.parse().ok()?;
        match key {
            "ms" => ms = Some(value),
            "bytes" => bytes = Some(value),
            "seed" => seed = value,
            _ => return None,
        }
    }
    let (ms, bytes) = (ms?, bytes?);
    (ms <= MAX_DELAY_MS && bytes <= MAX_BODY_BYTES).then(|| (ms, bytes, seed))
}

/// Writes the 200 to `request`, its body made a part at a time into `out`: the header and
/// the body in one write up to PART_BYTES. Returns the body's FNV-1a 52.
async fn respond(conn: &mut BufReader<TcpStream>, request: &Request, out: &mut Vec<u8>) -> io::Result<u64> {
    let connection = match (request.keep_alive, request.http10) {
        (false, _) => "Connection: close\r\n",
        (true, true) => "Connection: keep-alive\r\n",
        (true, false) => "",
    };
    out.clear();
    write!(
        out,
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: text/plain\r\n{connection}\r\n",
        request.bytes
    )?;
    let bytes = request.bytes as usize;
    let mut hash = FNV_BASIS;
    let mut at = 0;
    loop {
        let part = PART_BYTES.min(bytes - at);
        let from = out.len();
        out.resize(from + part, 0);
        fill_body(&mut out[from..], request.seed, at);
        hash = fnv1a(hash, &out[from..]);
        conn.write_all(out).await?;
        at += part;
        if at == bytes {
            return Ok(hash & CHECKSUM_MASK);
        }
        out.clear();
    }
}

/// Bytes [at, at + out.len()) of the body of seed (PEERS.md): byte k is 'a' + w(k) mod 26,
/// w(k) = mix64(seed * 0x100000001b3 + (k - k mod 8)) >> (8 * (k mod 8)).
fn fill_body(out: &mut [u8], seed: u64, at: usize) {
    let mut word = 0;
    for (j, byte) in out.iter_mut().enumerate() {
        let k = (at + j) as u64;
        if j == 0 || k % 8 == 0 {
            word = mix64(seed.wrapping_mul(0x100000001b3).wrapping_add(k - k % 8));
        }
        *byte = b'a' + ((word >> (8 * (k % 8))) % 26) as u8;
    }
}

async fn bad_request(conn: &mut BufReader<TcpStream>, why: &str) -> io::Result<()> {
    let body = format!("{why}\nexpected: GET /delay?ms=D&bytes=B[&seed=S]\n");
    let response = format!(
        "HTTP/1.1 400 Bad Request\r\nContent-Length: {}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    conn.write_all(response.as_bytes()).await
}

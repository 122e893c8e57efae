//! simul's peer for Tokio: runs one case's tasks on a Tokio runtime and reports
//! when each started and ended, by the protocol of docs/PEERS.md.
//!
//! Usage: simul-peer-tokio current_thread|multi_thread

mod serve;

use std::collections::HashMap;
use std::fmt::Display;
use std::io::{BufRead, BufWriter, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::unix::io::FromRawFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// What every task of the case does; a serve task serves one accepted connection (serve.rs).
enum Work {
    Sleep { wait: Duration },
    Chess { moves: u64, think: Duration, reply: Duration },
    Fetch { server: SocketAddr, host: String, delay_ms: u64, bytes: usize },
    FileRead { dir: PathBuf, size: u64, chunk: usize },
    Serve { listener: TcpListener, accept_for: Duration },
}

/// One task's record: START and END in ns after t0 (-1: never), and its checksum or why it failed.
type Record = (i64, i64, Result<u64, String>);

/// SplitMix64's finaliser.
fn mix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d049bb133111eb);
    x ^ (x >> 31)
}

/// FNV-1a 64 of `bytes`, from `h` (FNV_BASIS for a digest of its own).
fn fnv1a(h: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(h, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100000001b3))
}
const FNV_BASIS: u64 = 0xcbf29ce484222325;
/// Checksums (a body's FNV-1a 64, a file's sum) keep their low 52 bits, so that sums stay exact in a double.
const CHECKSUM_MASK: u64 = (1 << 52) - 1;

/// A bad environment or a broken handshake: one line on stderr, exit 2.
fn die(message: impl Display) -> ! {
    eprintln!("simul-peer-tokio: {message}");
    std::process::exit(2)
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| die(format_args!("{name} is not set")))
}

fn number<T: std::str::FromStr>(what: &str, text: &str) -> T {
    text.trim().parse().unwrap_or_else(|_| die(format_args!("{what}: not a number: {text:?}")))
}

/// Reads one line from simul and dies unless it is `word`.
fn expect(word: &str) {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).unwrap_or_else(|e| die(e));
    if line.trim_end() != word {
        die(format_args!("expected {word:?} from simul, read {line:?}"));
    }
}

async fn run(work: &'static Work, i: u64, t0: Instant) -> Record {
    let start = t0.elapsed();
    let result = match work {
        Work::Sleep { wait } => {
            let begin = Instant::now();
            tokio::time::sleep(*wait).await;
            if begin.elapsed() < *wait {
                Err("woke before the wait was over".to_string())
            } else {
                Ok(mix64(i))
            }
        }
        Work::Chess { moves, think, reply } => {
            let mut position = mix64(i);
            for _ in 0..*moves {
                // Thinking is time on the clock, not a count of steps (PEERS.md), and it
                // holds its worker the whole time, as the C++ models' thinking does.
                let began = Instant::now();
                while began.elapsed() < *think {}
                position = mix64(position);
                tokio::time::sleep(*reply).await;
            }
            Ok(position)
        }
        Work::Fetch { server, host, delay_ms, bytes } => {
            let limit = Duration::from_millis(delay_ms + 10_000);
            match tokio::time::timeout(limit, fetch(*server, host, *delay_ms, *bytes, i)).await {
                Ok(result) => result,
                Err(_) => Err(format!("no full response within {} ms", limit.as_millis())),
            }
        }
        Work::FileRead { dir, size, chunk } => file_read(dir, i, *size, *chunk).await,
        Work::Serve { .. } => unreachable!("a connection's task is spawned by serve::accept"),
    };
    (start.as_nanos() as i64, t0.elapsed().as_nanos() as i64, result)
}

/// One GET to the delay server; the body's FNV-1a 64, masked to 52 bits.
async fn fetch(server: SocketAddr, host: &str, delay_ms: u64, bytes: usize, seed: u64) -> Result<u64, String> {
    let mut stream = TcpStream::connect(server).await.map_err(|e| format!("connect: {e}"))?;
    stream.set_nodelay(true).map_err(|e| format!("TCP_NODELAY: {e}"))?;
    let request = format!(
        "GET /delay?ms={delay_ms}&bytes={bytes}&seed={seed} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.map_err(|e| format!("send: {e}"))?;
    let mut response = Vec::with_capacity(bytes + 256);
    stream.read_to_end(&mut response).await.map_err(|e| format!("receive: {e}"))?;

    let split = response.windows(4).position(|w| w == b"\r\n\r\n").ok_or("response ends inside its headers")?;
    let head = String::from_utf8_lossy(&response[..split]);
    let body = &response[split + 4..];
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or_default();
    if status.split(' ').nth(1) != Some("200") {
        return Err(format!("status line {status:?}"));
    }
    let length = lines.find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim().eq_ignore_ascii_case("content-length").then(|| value.trim().parse::<usize>().ok())?
    });
    if length != Some(body.len()) || body.len() != bytes {
        return Err(format!("body of {} bytes, Content-Length {length:?}, asked for {bytes}", body.len()));
    }
    Ok(fnv1a(FNV_BASIS, body) & CHECKSUM_MASK)
}

/// file_read's checksum of one 4 KiB block at `offset` in its file (support/file_hash.hpp):
/// sixteen lanes seeded with the offset, each over every sixteenth little-endian word, folded
/// with mix64. A file's sum is its blocks' hashes added up.
const HASH_BLOCK_BYTES: usize = 4096;

fn hash_block(block: &[u8], offset: u64) -> u64 {
    let mut lanes: [u64; 16] = std::array::from_fn(|l| mix64(offset + l as u64));
    for row in block.chunks_exact(8 * lanes.len()) {
        for (lane, word) in lanes.iter_mut().zip(row.chunks_exact(8)) {
            let word = u64::from_le_bytes(word.try_into().unwrap());
            *lane = lane.wrapping_add(word).wrapping_mul(0x9e3779b185ebca87).rotate_left(29);
        }
    }
    lanes.iter().fold(0, |h, &lane| mix64(h ^ lane))
}

/// Task i of file_read: dir/f{i:05}.dat read whole, `chunk` bytes a read, every block summed.
/// Tokio has no asynchronous file IO of its own: tokio::fs sends each call to its blocking pool,
/// and Tokio's docs advise doing a batch of file work in one spawn_blocking instead, which is what
/// a Tokio programmer reading whole files writes. (tokio::fs::File with read_exact, tried first,
/// made a trip to the pool for every 16 KiB and took 13 times the C++ loop's makespan on 1 MiB
/// files, run 20261203T004214Z.) The task waits on the pool; the file's reads and hash run there.
async fn file_read(dir: &Path, i: u64, size: u64, chunk: usize) -> Result<u64, String> {
    let path = dir.join(format!("f{i:05}.dat"));
    tokio::task::spawn_blocking(move || read_and_hash(&path, size, chunk))
        .await
        .map_err(|e| format!("the read of file {i} did not finish: {e}"))?
}

fn read_and_hash(path: &Path, size: u64, chunk: usize) -> Result<u64, String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(|e| format!("open {}: {e}", path.display()))?;
    let mut buf = vec![0; chunk];
    let (mut sum, mut at) = (0u64, 0u64);
    while at < size {
        let read = &mut buf[..chunk.min((size - at) as usize)];
        file.read_exact(read).map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => format!("{} is shorter than {size} bytes", path.display()),
            _ => format!("read {}: {e}", path.display()),
        })?;
        for (k, block) in read.chunks_exact(HASH_BLOCK_BYTES).enumerate() {
            sum = sum.wrapping_add(hash_block(block, at + (k * HASH_BLOCK_BYTES) as u64));
        }
        at += read.len() as u64;
    }
    Ok(sum & CHECKSUM_MASK)
}

/// Spawns task i at its due time (`due`, ns after t0; all at t0 without it).
async fn dispatch(
    work: &'static Work,
    n: usize,
    due: Option<&[u64]>,
    t0: Instant,
    handles: &mut Vec<JoinHandle<Record>>,
) {
    for i in 0..n {
        // No task is spawned before its due time.
        if let Some(due) = due {
            let at = t0 + Duration::from_nanos(due[i]);
            if Instant::now() < at {
                tokio::time::sleep_until(at.into()).await;
            }
        }
        handles.push(tokio::spawn(run(work, i as u64, t0)));
    }
}

fn main() {
    let mut builder = match std::env::args().nth(1).as_deref() {
        Some("current_thread") => tokio::runtime::Builder::new_current_thread(),
        Some("multi_thread") => tokio::runtime::Builder::new_multi_thread(), // a worker per core
        _ => die("usage: simul-peer-tokio current_thread|multi_thread"),
    };
    if env("SIMUL_PEER") != "1" {
        die("SIMUL_PEER: only version 1 of the protocol is known");
    }
    // Before the work: serve's listener is registered with the runtime.
    let runtime = builder.enable_all().build().unwrap_or_else(|e| die(format_args!("runtime: {e}")));
    let workload = env("SIMUL_WORKLOAD");
    let params = env("SIMUL_PARAMS");
    let params: HashMap<&str, &str> = params.split_whitespace().filter_map(|kv| kv.split_once('=')).collect();
    let param = |name: &str| -> u64 {
        number(name, params.get(name).unwrap_or_else(|| die(format_args!("SIMUL_PARAMS has no {name}"))))
    };
    let work = match workload.as_str() {
        "sleep" => Work::Sleep { wait: Duration::from_millis(param("wait_ms")) },
        "chess" => Work::Chess {
            moves: param("moves"),
            think: Duration::from_micros(param("think_us")),
            reply: Duration::from_micros(param("reply_us")),
        },
        "fetch" => {
            let (host, port) = (env("SIMUL_DELAY_HOST"), env("SIMUL_DELAY_PORT"));
            // Resolved now: connecting by name would resolve on Tokio's blocking pool, in every task.
            let server = (host.as_str(), number::<u16>("SIMUL_DELAY_PORT", &port))
                .to_socket_addrs()
                .ok()
                .and_then(|mut addrs| addrs.next())
                .unwrap_or_else(|| die(format_args!("cannot resolve SIMUL_DELAY_HOST {host:?}")));
            Work::Fetch { server, host, delay_ms: param("delay_ms"), bytes: param("bytes") as usize }
        }
        "file_read" => {
            // O_DIRECT reads need buffers aligned to the device's blocks, which a Vec does not
            // promise.
            if params.get("direct") != Some(&"0") {
                println!(
                    "skip file_read: direct:1 (O_DIRECT) needs aligned buffers, which the Tokio peer's \
                     reads do not give; it reads through the page cache (direct:0)"
                );
                return;
            }
            // io picks the read path of simul's C++ loops; simul sends a peer only its first value,
            // and any other would run the same reads twice.
            if let Some(io) = params.get("io").filter(|&&io| io != "native") {
                println!(
                    "skip file_read: io:{io} picks a read path of simul's C++ loops; the Tokio peer has \
                     one, std::fs on Tokio's blocking pool, and runs io:native only"
                );
                return;
            }
            let (size, chunk) = (param("file_kib") * 1024, param("chunk_kib") as usize * 1024);
            if chunk == 0 || size % HASH_BLOCK_BYTES as u64 != 0 || chunk % HASH_BLOCK_BYTES != 0 {
                die("file_read: file_kib and chunk_kib must be > 0 and in whole 4 KiB blocks");
            }
            Work::FileRead { dir: PathBuf::from(env("SIMUL_FILE_DIR")), size, chunk }
        }
        "serve" => {
            let fd: i32 = number("SIMUL_LISTEN_FD", &env("SIMUL_LISTEN_FD"));
            // simul's listening socket, bound on 127.0.0.1; this process owns its descriptor.
            let listener = unsafe { std::net::TcpListener::from_raw_fd(fd) };
            let _in_runtime = runtime.enter(); // from_std registers it with the runtime's reactor
            let listener = listener
                .set_nonblocking(true)
                .and_then(|()| TcpListener::from_std(listener))
                .unwrap_or_else(|e| die(format_args!("SIMUL_LISTEN_FD={fd}: {e}")));
            // As simul's own servers (bench/workloads/serve.cpp): a connection that has not
            // come by the end of the load, its 2 s request timeout and 5 s more never will.
            Work::Serve { listener, accept_for: Duration::from_secs(param("duration_s") + 7) }
        }
        other => {
            println!("skip the Tokio peer runs sleep, chess, fetch, file_read and serve, not {other}");
            return;
        }
    };
    let work: &'static Work = Box::leak(Box::new(work)); // shared by every task for the whole run
    let n: usize = number("SIMUL_TASKS", &env("SIMUL_TASKS"));
    // Due times in ns after t0, in task order (simul writes them ascending).
    let due: Option<Vec<u64>> = std::env::var_os("SIMUL_DUE_FILE").map(|path| {
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| die(format_args!("SIMUL_DUE_FILE: {e}")));
        let due: Vec<u64> = text.lines().map(|line| number("SIMUL_DUE_FILE", line)).collect();
        if due.len() != n {
            die(format_args!("SIMUL_DUE_FILE has {} lines for {n} tasks", due.len()));
        }
        due
    });
    let mut handles = Vec::with_capacity(n);
    let mut records: Vec<Record> = Vec::with_capacity(n);
    println!("ready");

    expect("go");
    let t0 = Instant::now();
    runtime.block_on(async {
        let accepted = match work {
            Work::Serve { listener, accept_for } => {
                serve::accept(listener, n, t0, t0 + *accept_for, &mut handles).await
            }
            _ => Ok(dispatch(work, n, due.as_deref(), t0, &mut handles).await),
        };
        for handle in handles.drain(..) {
            let record = handle.await.unwrap_or_else(|e| (-1, -1, Err(format!("task: {e}"))));
            records.push(record);
        }
        if let Err(why) = accepted {
            records.resize_with(n, || (-1, -1, Err(why.clone()))); // the connections that never came
        }
    });
    println!("done");

    expect("send");
    let mut out = BufWriter::new(std::io::stdout().lock());
    for (i, (start, end, result)) in records.iter().enumerate() {
        let _ = match result {
            Ok(checksum) => writeln!(out, "{i} {start} {end} ok {checksum}"),
            Err(message) => writeln!(out, "{i} {start} {end} fail {}", message.replace('\n', " ")),
        };
    }
    let _ = writeln!(out, "end");
    let _ = out.flush();
}

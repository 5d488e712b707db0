//! A lean HTTP/1.1 load generator for 127.0.0.1: `connections` keep-alive connections, each sending
//! its next request as soon as the previous answer is read, for a bounded time. Written by hand
//! (no client library) so that it spends as little of the machine's two cores as possible.

use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

pub struct Outcome {
    pub requests: usize,
    /// Answers outside 2xx; a run with any is not a valid figure.
    pub failures: usize,
    pub seconds: f64,
    /// Sorted, microseconds.
    pub latencies: Vec<u32>,
    pub first_failure: Option<String>,
}

impl Outcome {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.seconds
    }
}

/// Runs the load. `request(connection, n)` builds the raw bytes of connection's n-th request.
/// Requests answered during the first `warmup` are not counted.
pub async fn run(addr: std::net::SocketAddr, connections: usize, warmup: Duration, measure: Duration, request: impl Fn(usize, usize) -> Vec<u8> + Clone + Send + 'static) -> Outcome {
    let start = Instant::now();
    let (count_from, stop_at) = (start + warmup, start + warmup + measure);
    let mut tasks = Vec::new();
    for c in 0..connections {
        let request = request.clone();
        tasks.push(tokio::spawn(async move {
            let stream = TcpStream::connect(addr).await.expect("connect");
            stream.set_nodelay(true).unwrap();
            let (read, mut write) = stream.into_split();
            let mut read = BufReader::new(read);
            let (mut latencies, mut failures, mut first_failure) = (Vec::new(), 0usize, None);
            let mut line = String::new();
            for n in 0.. {
                let sent = Instant::now();
                if sent >= stop_at {
                    break;
                }
                write.write_all(&request(c, n)).await.expect("send");
                line.clear();
                read.read_line(&mut line).await.expect("status line");
                let status: u16 = line.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
                let mut length = 0usize;
                loop {
                    line.clear();
                    read.read_line(&mut line).await.expect("header");
                    if line == "\r\n" || line.is_empty() {
                        break;
                    }
                    if let Some((name, value)) = line.split_once(':')
                        && name.eq_ignore_ascii_case("content-length")
                    {
                        length = value.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; length];
                read.read_exact(&mut body).await.expect("body");
                let done = Instant::now();
                if sent >= count_from {
                    latencies.push(done.duration_since(sent).as_micros() as u32);
                    if !(200..300).contains(&status) {
                        failures += 1;
                        first_failure.get_or_insert_with(|| format!("{status} {}", String::from_utf8_lossy(&body)));
                    }
                }
            }
            (latencies, failures, first_failure)
        }));
    }
    let mut outcome = Outcome { requests: 0, failures: 0, seconds: measure.as_secs_f64(), latencies: Vec::new(), first_failure: None };
    for task in tasks {
        let (latencies, failures, first_failure) = task.await.expect("load task");
        outcome.latencies.extend(latencies);
        outcome.failures += failures;
        outcome.first_failure = outcome.first_failure.or(first_failure);
    }
    outcome.requests = outcome.latencies.len();
    outcome.latencies.sort_unstable();
    outcome
}

/// The raw bytes of a `POST path` with a JSON body.
pub fn post_json(path: &str, body: &str) -> Vec<u8> {
    format!("POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

/// The raw bytes of a `POST path` with a JSON body and a bearer token.
pub fn post_json_as(path: &str, token: &str, body: &str) -> Vec<u8> {
    format!("POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

/// The raw bytes of a `GET path`.
pub fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").into_bytes()
}

/// The raw bytes of a `GET path` with a bearer token.
pub fn get_as(path: &str, token: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n").into_bytes()
}

/// Prints a load's line: requests per second, p50, p99 and max, and the first failure if any.
pub fn report(label: &str, outcome: &Outcome) {
    let (p50, p99, max) = super::percentiles(&outcome.latencies);
    println!("  {label:<58} {:>8.0} req/s   p50 {p50:>6.2} ms   p99 {p99:>6.2} ms   max {max:>7.2} ms   ({} requests, {} failed)", outcome.per_second(), outcome.requests, outcome.failures);
    if let Some(f) = &outcome.first_failure {
        println!("    first failure: {f}");
    }
}

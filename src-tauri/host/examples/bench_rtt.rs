//! Round trips of `health` from Rust: serial latency (p50/p99) and pipelined throughput.
//!
//!     cargo run --release --example bench_rtt [-- --serial N --pipelined N --window N --current-thread]
//!
//! Three rows, so that each layer's cost shows:
//! * `cat`: the same frames echoed through a pipe; the floor of any stdio protocol;
//! * sidecar, raw frames: the real sidecar (`python -I -m sidecar`), written and read with the
//!   bare codec, as bench/run.py does from Python;
//! * sidecar, `Client::health()`: the host's client, with correlation, timeouts, policy checks
//!   and typed decoding; pipelined with up to `--window` calls in flight.

use std::process::Stdio;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use sidecar_host::framing::{self, DEFAULT_MAX_FRAME_BYTES};
use sidecar_host::types::Policy;
use sidecar_host::{Locator, PolicyGate, SpawnConfig, Supervisor, SupervisorConfig};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::process::Command;

type Error = Box<dyn std::error::Error + Send + Sync>;

struct Row {
    peer: &'static str,
    serial: Vec<Duration>,
    pipelined_per_s: f64,
}

fn health_frame(id: usize) -> Bytes {
    Bytes::from(format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"health"}}"#))
}

/// Serial and pipelined round trips with the bare codec over a child's pipes.
async fn raw<W, R>(stdin: W, stdout: R, serial: usize, pipelined: usize) -> Result<(Vec<Duration>, f64), Error>
where
    W: AsyncWrite + Unpin + Send + 'static,
    R: AsyncRead + Unpin + Send + 'static,
{
    let mut writer = framing::writer(stdin, DEFAULT_MAX_FRAME_BYTES);
    let mut reader = framing::reader(stdout, DEFAULT_MAX_FRAME_BYTES);
    let mut latencies = Vec::with_capacity(serial);
    for id in 0..serial {
        let started = Instant::now();
        writer.send(health_frame(id)).await?;
        reader.next().await.ok_or("peer closed its output")??;
        latencies.push(started.elapsed());
    }
    let started = Instant::now();
    // Write from a task while reading here, or both pipes fill and nobody moves.
    let writing = tokio::spawn(async move {
        for id in 0..pipelined {
            writer.feed(health_frame(id)).await?;
        }
        SinkExt::<Bytes>::flush(&mut writer).await?;
        Ok::<_, std::io::Error>(writer)
    });
    for _ in 0..pipelined {
        reader.next().await.ok_or("peer closed its output")??;
    }
    let elapsed = started.elapsed();
    drop(writing.await??);
    Ok((latencies, pipelined as f64 / elapsed.as_secs_f64()))
}

async fn cat(serial: usize, pipelined: usize) -> Result<Row, Error> {
    let mut child = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::piped()).kill_on_drop(true).spawn()?;
    let (stdin, stdout) = (child.stdin.take().ok_or("stdin")?, child.stdout.take().ok_or("stdout")?);
    let (serial, pipelined_per_s) = raw(stdin, stdout, serial, pipelined).await?;
    Ok(Row { peer: "cat (pipe floor), raw frames", serial, pipelined_per_s })
}

async fn sidecar_raw(python: &std::path::Path, serial: usize, pipelined: usize) -> Result<Row, Error> {
    let spawned = sidecar_host::spawn::spawn(&SpawnConfig::new(python).arg("--log-level").arg("warning"))?;
    let (serial, pipelined_per_s) = raw(spawned.stdin, spawned.stdout, serial, pipelined).await?;
    spawned.group.kill();
    Ok(Row { peer: "sidecar, raw frames", serial, pipelined_per_s })
}

async fn sidecar_client(
    python: &std::path::Path,
    serial: usize,
    pipelined: usize,
    window: usize,
) -> Result<Row, Error> {
    let policy: Policy = serde_json::from_str(r#"{"capabilities":[]}"#)?;
    let config = SupervisorConfig::new(SpawnConfig::new(python).arg("--log-level").arg("warning"));
    let supervisor = Supervisor::start(config, PolicyGate::new(policy)).await?;
    let client = supervisor.client()?;
    let mut latencies = Vec::with_capacity(serial);
    for _ in 0..serial {
        let started = Instant::now();
        client.health().await?;
        latencies.push(started.elapsed());
    }
    let started = Instant::now();
    let results: Vec<_> = futures::stream::iter(0..pipelined)
        .map(|_| {
            let client = client.clone();
            async move { client.health().await }
        })
        .buffer_unordered(window)
        .collect()
        .await;
    let elapsed = started.elapsed();
    if let Some(Err(error)) = results.into_iter().find(Result::is_err) {
        return Err(error.into());
    }
    supervisor.stop().await;
    Ok(Row {
        peer: "sidecar, Client::health()",
        serial: latencies,
        pipelined_per_s: pipelined as f64 / elapsed.as_secs_f64(),
    })
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).map_or(f64::NAN, |d| d.as_secs_f64() * 1e6)
}

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    // The multi-threaded runtime is what a Tauri app runs; on a small machine its cross-thread
    // wake-ups dominate the client's cost, which `--current-thread` shows.
    let current_thread = args.iter().any(|a| a == "--current-thread");
    let runtime = if current_thread {
        tokio::runtime::Builder::new_current_thread().enable_all().build()?
    } else {
        tokio::runtime::Builder::new_multi_thread().enable_all().build()?
    };
    runtime.block_on(run(&args, if current_thread { "current-thread" } else { "multi-thread" }))
}

async fn run(args: &[String], flavor: &str) -> Result<(), Error> {
    let (serial, pipelined, window) =
        (arg(args, "--serial", 2000), arg(args, "--pipelined", 20000), arg(args, "--window", 64));
    let python = Locator::from_env(None).locate()?.python;
    println!(
        "health round trips: {serial} serial, {pipelined} pipelined (client window {window}); {flavor} tokio runtime; python {}",
        python.display()
    );
    let rows = [
        cat(serial, pipelined).await?,
        sidecar_raw(&python, serial, pipelined).await?,
        sidecar_client(&python, serial, pipelined, window).await?,
    ];
    println!("\n| peer | serial p50 (µs) | serial p99 (µs) | pipelined (calls/s) |\n|---|---:|---:|---:|");
    for mut row in rows {
        row.serial.sort();
        println!(
            "| {} | {:.0} | {:.0} | {:.0} |",
            row.peer,
            percentile(&row.serial, 0.50),
            percentile(&row.serial, 0.99),
            row.pipelined_per_s
        );
    }
    Ok(())
}

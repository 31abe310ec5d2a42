//! What the evidence log adds to a call: serial `health` calls to the real sidecar through
//! `Client::health()`, without a log and with one, side by side in the same run (rounds
//! alternate between the configurations, so the machine's drift hits all of them alike).
//!
//!     cargo run --release --example bench_evidence [-- --calls N --rounds N]
//!
//! Configurations: no log; a log on the repository's disk (each entry `fdatasync`ed, as in the
//! app); a log on /dev/shm (tmpfs: the sync costs nothing, so what remains is building, hashing
//! and writing the entry). A checkpoint (an Ed25519 signature) is due every 64 entries, as in
//! the app.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sidecar_host::evidence::{EvidenceLog, InstallationKey, LogOptions, Recorder, Writer};
use sidecar_host::types::Policy;
use sidecar_host::{Client, Locator, PolicyGate, SpawnConfig, Supervisor, SupervisorConfig};

type Error = Box<dyn std::error::Error + Send + Sync>;

struct Config {
    name: &'static str,
    supervisor: Supervisor,
    client: Client,
    samples: Vec<Duration>,
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn open_log(dir: &Path) -> Result<Arc<EvidenceLog>, Error> {
    let _ = std::fs::remove_dir_all(dir);
    let key = InstallationKey::load_or_create(&dir.join("installation.key"))?;
    let writer = Writer { name: "bench_evidence".into(), version: "0".into(), runtime_manifest_sha256: None };
    Ok(Arc::new(EvidenceLog::open(&dir.join("evidence.jsonl"), key, LogOptions::new(writer))?))
}

async fn start(name: &'static str, python: &Path, log: Option<Arc<EvidenceLog>>) -> Result<Config, Error> {
    let mut config = SupervisorConfig::new(SpawnConfig::new(python));
    config.client.evidence = log.map(Recorder::new);
    let policy: Policy = serde_json::from_str(r#"{"capabilities": []}"#)?;
    let supervisor = Supervisor::start(config, PolicyGate::new(policy)).await?;
    let client = supervisor.client()?;
    for _ in 0..50 {
        client.health().await?; // warm-up
    }
    Ok(Config { name, supervisor, client, samples: Vec::new() })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let calls = arg("--calls", 200);
    let rounds = arg("--rounds", 10);
    let python = Locator::from_env(None).locate()?.python;
    let disk: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-evidence");
    let shm = PathBuf::from("/dev/shm").join(format!("bench-evidence-{}", std::process::id()));
    let mut configs = vec![
        start("no evidence log", &python, None).await?,
        start("log on disk (ext4, fdatasync per entry)", &python, Some(open_log(&disk)?)).await?,
        start("log on tmpfs (/dev/shm)", &python, Some(open_log(&shm)?)).await?,
    ];
    for _ in 0..rounds {
        for config in &mut configs {
            for _ in 0..calls {
                let started = Instant::now();
                config.client.health().await?;
                config.samples.push(started.elapsed());
            }
        }
    }
    println!("{} serial `health` calls per configuration, in {rounds} alternating rounds\n", calls * rounds);
    println!("| configuration | p50 (µs) | p90 (µs) | mean (µs) | added at p50 (µs) | added, mean (µs) |");
    println!("|---|---:|---:|---:|---:|---:|");
    let mut base = None;
    for config in &mut configs {
        config.samples.sort_unstable();
        let mean = config.samples.iter().sum::<Duration>() / config.samples.len() as u32;
        let (p50, p90) = (percentile(&config.samples, 0.5), percentile(&config.samples, 0.9));
        let (base_p50, base_mean) = *base.get_or_insert((p50, mean));
        println!(
            "| {} | {:.0} | {:.0} | {:.0} | {:+.0} | {:+.0} |",
            config.name,
            micros(p50),
            micros(p90),
            micros(mean),
            micros(p50) - micros(base_p50),
            micros(mean) - micros(base_mean)
        );
    }
    for config in configs {
        config.supervisor.stop().await;
    }
    for dir in [&disk, &shm] {
        let _ = std::fs::remove_dir_all(dir);
    }
    Ok(())
}

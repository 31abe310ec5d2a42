//! `sidecar-host`: the host crate from the command line, for people integrating it.
//!
//!     sidecar-host call METHOD [PARAMS_JSON] --policy FILE [--evidence FILE] [--key FILE]
//!                       [--host-config FILE] [--timeout SECONDS]
//!     sidecar-host evidence verify FILE [--head HASH] [--key HEX] [--json]
//!
//! `call` runs one call through what the app uses (locate, spawn, handshake, supervisor, policy
//! gate, and with `--evidence` the evidence log), prints the result or the error as JSON and
//! exits 0 on a result, 1 on an error. `evidence verify` checks a log's chain and signatures.
//! Exit 2 is a usage error, 3 a host that could not run the call at all.

mod args;
mod call;
mod verify;

use std::process::ExitCode;

use args::Command;

fn main() -> ExitCode {
    init_tracing();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args::parse(&args) {
        Ok(Command::Call(call)) => call::run(call),
        Ok(Command::Verify(verify)) => verify::run(&verify),
        Ok(Command::Help) => {
            println!("{}", args::USAGE);
            ExitCode::SUCCESS
        }
        Ok(Command::Version) => {
            println!("sidecar-host {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("sidecar-host: {message}\n\n{}", args::USAGE);
            ExitCode::from(2)
        }
    }
}

/// The host's log and the sidecar's (forwarded) on stderr; `SIDECAR_HOST_LOG=debug|info|warn`.
fn init_tracing() {
    let level = match std::env::var("SIDECAR_HOST_LOG").as_deref() {
        Ok("debug") => tracing::Level::DEBUG,
        Ok("info") => tracing::Level::INFO,
        _ => tracing::Level::WARN,
    };
    let _ = tracing_subscriber::fmt().with_writer(std::io::stderr).with_max_level(level).try_init();
}

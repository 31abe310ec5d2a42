//! `sidecar-host evidence verify`: the chain, every signature, and optionally a printed head.

use std::process::ExitCode;

use sidecar_host::evidence::{self, Verified};

use crate::args::VerifyArgs;

pub fn run(args: &VerifyArgs) -> ExitCode {
    let bytes = match std::fs::read(&args.file) {
        Ok(bytes) => bytes,
        Err(error) => {
            eprintln!("sidecar-host: cannot read {}: {error}", args.file.display());
            return ExitCode::from(2);
        }
    };
    let name = args.file.display();
    match evidence::verify(&bytes, args.head.as_deref()) {
        Ok(verified) => match wrong_key(&verified, args.key.as_deref()) {
            Some(problem) => {
                println!("{name}: {problem}");
                ExitCode::from(1)
            }
            None => {
                if args.json {
                    println!("{}", serde_json::to_string_pretty(&verified).unwrap_or_default());
                } else {
                    print!("{}", summary(&verified));
                }
                ExitCode::SUCCESS
            }
        },
        Err(failure) => {
            if args.json {
                println!("{}", serde_json::to_string_pretty(&failure).unwrap_or_default());
            } else {
                println!("{name}: {failure}");
            }
            ExitCode::from(1)
        }
    }
}

/// With `--key`: every checkpoint must be signed with it, and there must be one.
fn wrong_key(verified: &Verified, key: Option<&str>) -> Option<String> {
    let key = key?;
    if verified.checkpoints == 0 {
        return Some("no checkpoint is signed, so nothing is signed with that key".into());
    }
    let others: Vec<&String> = verified.keys.iter().filter(|k| *k != key).collect();
    (!others.is_empty()).then(|| format!("checkpoints are signed with other keys than {key}: {}", join(&others)))
}

/// The first line is fixed (`ok: N entries, head H`), for scripts; the rest is for people.
fn summary(verified: &Verified) -> String {
    let mut out = format!("ok: {} entries, head {}\n", verified.entries, verified.head);
    match verified.last_signed {
        Some(seq) => {
            out += &format!(
                "{} signed checkpoints (key {}), the last signing entry {seq}",
                verified.checkpoints,
                join(&verified.keys.iter().collect::<Vec<_>>())
            );
            out += &match verified.unsigned() {
                0 => "; every entry is covered\n".to_owned(),
                n => format!("; {n} entries after it are not signed yet\n"),
            };
        }
        None => out += "no signed checkpoint\n",
    }
    for (seq, bytes) in &verified.torn {
        out += &format!("{bytes} bytes cut short by a crash, recorded by entry {seq}\n");
    }
    if let Some(seq) = verified.head_found {
        out += &format!("--head is entry {seq}; {} entries follow it\n", verified.entries - seq - 1);
    }
    out
}

fn join(keys: &[&String]) -> String {
    keys.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
}

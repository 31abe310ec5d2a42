//! The command line, parsed by hand: two subcommands and a few options need no parser crate.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

pub const USAGE: &str = "\
usage:
  sidecar-host call METHOD [PARAMS_JSON] --policy FILE [--evidence FILE] [--key FILE]
                    [--host-config FILE] [--timeout SECONDS]
  sidecar-host evidence verify FILE [--head HASH] [--key HEX] [--json]

call             run one call through the host (locate, spawn, handshake, policy gate);
                 the result or the error is printed as JSON (exit 0 on a result, 1 on an error)
  --policy       the policy (JSON, docs/PROTOCOL.md) the host grants and checks
  --evidence     append the call to this evidence log (created if missing)
  --key          the evidence signing key (default: sidecar-host/evidence.key in the
                 user's data folder; made on first use, owner-only)
  --host-config  HostConfig JSON (adb_key_path, adb_server, ...)
  --timeout      seconds the call may take (default 30)
evidence verify  check a log's chain and signatures; prints its entry count and head hash
                 (exit 1 naming the first entry changed, deleted, reordered, duplicated or
                 inserted, or a log cut short before --head)
  --head         the head hash a report printed: the log must hold that entry
  --key          the public key (hex) every checkpoint must be signed with
  --json         print the result as JSON

SIDECAR_PYTHON names the Python that runs the sidecar (default: the repository's .venv, then PATH).
SIDECAR_HOST_LOG=info|debug shows more of the host's and the sidecar's log on stderr.";

pub enum Command {
    Call(CallArgs),
    Verify(VerifyArgs),
    Help,
    Version,
}

pub struct CallArgs {
    pub method: String,
    pub params: Option<Value>,
    pub policy: PathBuf,
    pub evidence: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub host_config: Option<PathBuf>,
    pub timeout: Duration,
}

pub struct VerifyArgs {
    pub file: PathBuf,
    pub head: Option<String>,
    pub key: Option<String>,
    pub json: bool,
}

pub fn parse(args: &[String]) -> Result<Command, String> {
    match args.first().map(String::as_str) {
        None | Some("-h" | "--help" | "help") => Ok(Command::Help),
        Some("-V" | "--version") => Ok(Command::Version),
        Some("call") => call(&args[1..]).map(Command::Call),
        Some("evidence") if args.get(1).map(String::as_str) == Some("verify") => {
            verify(&args[2..]).map(Command::Verify)
        }
        Some("evidence") => Err("`evidence` takes the subcommand `verify`".into()),
        Some(other) => Err(format!("unknown command `{other}`")),
    }
}

/// Positional arguments, and `--name value` options from `allowed` (and `flags`, without value).
struct Split {
    positional: Vec<String>,
    options: Vec<(String, String)>,
    flags: Vec<String>,
}

fn split(args: &[String], allowed: &[&str], flags: &[&str]) -> Result<Split, String> {
    let mut out = Split { positional: Vec::new(), options: Vec::new(), flags: Vec::new() };
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        if let Some(name) = arg.strip_prefix("--") {
            if flags.contains(&name) {
                out.flags.push(name.to_owned());
            } else if allowed.contains(&name) {
                let value = rest.next().ok_or_else(|| format!("--{name} needs a value"))?;
                if out.options.iter().any(|(n, _)| n == name) {
                    return Err(format!("--{name} is given twice"));
                }
                out.options.push((name.to_owned(), value.clone()));
            } else {
                return Err(format!("unknown option `{arg}`"));
            }
        } else {
            out.positional.push(arg.clone());
        }
    }
    Ok(out)
}

impl Split {
    fn option(&self, name: &str) -> Option<&str> {
        self.options.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

fn call(args: &[String]) -> Result<CallArgs, String> {
    let split = split(args, &["policy", "evidence", "key", "host-config", "timeout"], &[])?;
    let (method, params) = match split.positional.as_slice() {
        [method] => (method.clone(), None),
        [method, params] => {
            let params = serde_json::from_str(params).map_err(|e| format!("PARAMS_JSON is not JSON: {e}"))?;
            (method.clone(), Some(params))
        }
        [] => return Err("`call` needs a METHOD".into()),
        _ => return Err("`call` takes METHOD and at most one PARAMS_JSON".into()),
    };
    let timeout = match split.option("timeout") {
        None => Duration::from_secs(30),
        Some(text) => text
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s > 0.0)
            .and_then(|s| Duration::try_from_secs_f64(s).ok())
            .ok_or_else(|| format!("--timeout {text}: give a positive number of seconds"))?,
    };
    Ok(CallArgs {
        method,
        params,
        policy: split.option("policy").map(PathBuf::from).ok_or("`call` needs --policy FILE")?,
        evidence: split.option("evidence").map(PathBuf::from),
        key: split.option("key").map(PathBuf::from),
        host_config: split.option("host-config").map(PathBuf::from),
        timeout,
    })
}

fn verify(args: &[String]) -> Result<VerifyArgs, String> {
    let split = split(args, &["head", "key"], &["json"])?;
    let [file] = split.positional.as_slice() else { return Err("`evidence verify` takes one FILE".into()) };
    Ok(VerifyArgs {
        file: PathBuf::from(file),
        head: split.option("head").map(str::to_owned),
        key: split.option("key").map(str::to_owned),
        json: split.flags.iter().any(|f| f == "json"),
    })
}

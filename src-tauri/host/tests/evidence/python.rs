//! tests/evidence/verify_evidence.py, written from docs/EVIDENCE.md alone, agrees with
//! `sidecar-host evidence verify` on valid logs (entry count and head) and on damaged ones (the
//! line named), for every kind of damage.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{closed_log, entry, join, lines, open, python, repo, scratch, sidecar_host};

/// A small deterministic generator (xorshift), so the damaged logs are the same every run.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Valid logs, and damaged copies of them: (file, whether `--head` is passed).
fn variants(dir: &Path) -> Vec<(PathBuf, bool)> {
    let closed = closed_log(&scratch("py-closed"), 12, 4);
    let torn_dir = scratch("py-torn");
    let log = open(&torn_dir, 3);
    log.append(vec![entry(0), entry(1)], None).unwrap();
    drop(log);
    let torn_path = torn_dir.join("evidence.jsonl");
    let mut cut = std::fs::read(&torn_path).unwrap();
    cut.extend_from_slice(b"{\"kind\":\"ca");
    std::fs::write(&torn_path, &cut).unwrap();
    let log = open(&torn_dir, 3);
    log.append(vec![entry(2)], None).unwrap();
    log.close().unwrap();
    drop(log);
    let torn = std::fs::read(&torn_path).unwrap();
    let foreign = lines(&closed_log(&scratch("py-foreign"), 3, 2));

    let mut out = Vec::new();
    let mut save = |name: String, bytes: &[u8], head: bool| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        out.push((path, head));
    };
    let mut dice = Dice(0x9e37_79b9_7f4a_7c15);
    for (base_name, base) in [("closed", &closed), ("torn", &torn)] {
        save(format!("{base_name}-valid"), base, false);
        save(format!("{base_name}-valid-head"), base, true);
        save(format!("{base_name}-unrecorded-crash"), &cut, false);
        let all = lines(base);
        for k in 0..12 {
            let mut bytes = base.clone();
            let at = dice.below(bytes.len());
            bytes[at] ^= 1 << dice.below(8);
            save(format!("{base_name}-byte-{k}"), &bytes, false);
        }
        for k in 0..5 {
            let mut damaged = all.clone();
            damaged.remove(dice.below(all.len()));
            save(format!("{base_name}-deleted-{k}"), &join(&damaged), true);
            let mut damaged = all.clone();
            damaged.insert(dice.below(all.len() + 1), foreign[dice.below(foreign.len())].clone());
            save(format!("{base_name}-inserted-{k}"), &join(&damaged), false);
            let mut damaged = all.clone();
            let copy = all[dice.below(all.len())].clone();
            damaged.insert(dice.below(all.len() + 1), copy);
            save(format!("{base_name}-duplicated-{k}"), &join(&damaged), false);
            let mut damaged = all.clone();
            damaged.swap(dice.below(all.len()), dice.below(all.len()));
            save(format!("{base_name}-swapped-{k}"), &join(&damaged), false);
            save(format!("{base_name}-cut-{k}"), &join(&all[..dice.below(all.len())]), true);
        }
    }
    out
}

/// `ok ENTRIES HEAD` or `bad LINE`, from the command line's JSON.
fn rust_verdict(file: &Path, head: Option<&str>) -> String {
    let mut command = sidecar_host();
    command.args(["evidence", "verify", "--json"]).arg(file);
    if let Some(head) = head {
        command.args(["--head", head]);
    }
    let output = command.output().expect("sidecar-host runs");
    let json: Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    match json.get("line") {
        Some(line) => {
            assert_eq!(output.status.code(), Some(1), "a failure exits 1");
            format!("bad {line}")
        }
        None => {
            assert!(output.status.success());
            format!("ok {} {}", json["entries"], json["head"].as_str().unwrap())
        }
    }
}

fn python_verdicts(files: &[&PathBuf], head: Option<&str>) -> Vec<String> {
    let mut command = std::process::Command::new(python());
    command.arg(repo().join("tests/evidence/verify_evidence.py"));
    if let Some(head) = head {
        command.args(["--head", head]);
    }
    let output = command.args(files).output().expect("the Python verifier runs");
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(output.stderr.is_empty(), "{}", String::from_utf8_lossy(&output.stderr));
    text.lines().map(|line| line.split(':').next().unwrap().to_owned()).collect()
}

#[test]
fn the_python_verifier_agrees_on_valid_and_damaged_logs() {
    let dir = scratch("python-agrees");
    let variants = variants(&dir);
    let head_of = |name: &str| {
        let base = if name.starts_with("closed") { "closed-valid" } else { "torn-valid" };
        let bytes = std::fs::read(dir.join(base)).unwrap();
        sidecar_host::evidence::verify(&bytes, None).unwrap().head
    };
    let (with_head, without): (Vec<_>, Vec<_>) = variants.iter().partition(|(_, head)| *head);
    let mut checked = 0;
    let mut bad = 0;
    for (group, by_head) in [(without, false), (with_head, true)] {
        for base in ["closed", "torn"] {
            let files: Vec<&PathBuf> = group
                .iter()
                .map(|(p, _)| p)
                .filter(|p| p.file_name().unwrap().to_str().unwrap().starts_with(base))
                .collect();
            let head = by_head.then(|| head_of(base));
            let python = python_verdicts(&files, head.as_deref());
            assert_eq!(python.len(), files.len());
            for (file, theirs) in files.iter().zip(python) {
                let ours = rust_verdict(file, head.as_deref());
                assert_eq!(ours, theirs, "{}", file.display());
                checked += 1;
                bad += usize::from(ours.starts_with("bad"));
            }
        }
    }
    assert_eq!(checked, variants.len());
    assert!(bad >= checked - 4 - 2, "all but the valid logs are damaged ({bad} of {checked})");
}

//! A process killed with SIGKILL while writing entries under load leaves a log that verifies up
//! to its last complete entry, and the next open marks how it was left (`torn`, with the cut
//! bytes recorded, or `unclosed`), after which the whole log verifies again. Five rounds on the
//! same log; entries up to 1 MiB from four threads, so that the kill often lands mid-write.
//!
//! Its own `main` (no libtest harness): the same binary is the writer, run as a child with
//! `EVIDENCE_CRASH_WRITER` set.

#[cfg(unix)]
fn main() {
    if let Some(dir) = std::env::var_os("EVIDENCE_CRASH_WRITER") {
        crash::writer(std::path::Path::new(&dir));
    }
    println!("\nrunning 1 test");
    crash::sigkill_while_writing_leaves_a_log_that_verifies_to_its_last_complete_entry();
    println!("test sigkill_while_writing_leaves_a_log_that_verifies_to_its_last_complete_entry ... ok");
    println!("\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out\n");
}

#[cfg(not(unix))]
fn main() {
    println!("SIGKILL is a unix signal; this test runs on unix only");
}

#[cfg(unix)]
mod crash {
    use std::io::{BufRead, BufReader};
    use std::path::{Path, PathBuf};
    use std::process::{Command, Stdio};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    use serde_json::{Value, json};
    use sidecar_host::evidence::{self, EvidenceLog, InstallationKey, LogOptions, Problem, Writer};

    const ROUNDS: usize = 5;
    /// How much a round writes before the kill.
    const ROUND_BYTES: u64 = 6 << 20;

    fn open(dir: &Path) -> EvidenceLog {
        let key = InstallationKey::load_or_create(&dir.join("key")).expect("a key");
        let writer = Writer { name: "evidence-crash".into(), version: "0".into(), runtime_manifest_sha256: None };
        EvidenceLog::open(&dir.join("evidence.jsonl"), key, LogOptions { writer, checkpoint_every: 16 }).expect("opens")
    }

    /// The child: four threads appending entries of varied size until killed.
    pub fn writer(dir: &Path) -> ! {
        let log = Arc::new(open(dir));
        println!("ready");
        let threads: Vec<_> = (0..4u64)
            .map(|t| {
                let log = Arc::clone(&log);
                std::thread::spawn(move || {
                    for i in 0u64.. {
                        let size = ((i * 7919 + t * 104_729) % 1024 + 1) * 1024; // 1 KiB to 1 MiB
                        let entry = json!({"kind": "call", "method": "logs/collect", "thread": t, "i": i, "params": {"blob": "x".repeat(size as usize)}});
                        log.append(vec![entry.as_object().cloned().unwrap()], None).expect("appended");
                    }
                })
            })
            .collect();
        for thread in threads {
            let _ = thread.join();
        }
        unreachable!("the writers run until killed")
    }

    /// Wait (up to a second) until the file ends mid-line: a write is in progress, so the kill
    /// that follows at once most likely cuts it.
    fn catch_mid_write(path: &Path) {
        use std::io::{Read, Seek, SeekFrom};
        let mut file = std::fs::File::open(path).unwrap();
        let deadline = Instant::now() + Duration::from_secs(1);
        let mut last = [0u8];
        while Instant::now() < deadline {
            let ended =
                file.seek(SeekFrom::End(-1)).and_then(|_| file.read_exact(&mut last)).is_ok() && last[0] == b'\n';
            if !ended {
                return;
            }
            std::thread::yield_now();
        }
    }

    pub fn sigkill_while_writing_leaves_a_log_that_verifies_to_its_last_complete_entry() {
        let dir: PathBuf = std::env::temp_dir().join(format!("sidecar-evidence-crash-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("evidence.jsonl");
        let mut torn_rounds = 0;
        for round in 0..ROUNDS {
            let start = std::fs::metadata(&path).map_or(0, |m| m.len());
            let mut child = Command::new(std::env::current_exe().unwrap())
                .env("EVIDENCE_CRASH_WRITER", &dir)
                .stdout(Stdio::piped())
                .spawn()
                .expect("the writer starts");
            let mut ready = String::new();
            BufReader::new(child.stdout.take().unwrap()).read_line(&mut ready).unwrap();
            assert_eq!(ready, "ready\n", "round {round}: the writer opened the log");
            let deadline = Instant::now() + Duration::from_secs(60);
            while std::fs::metadata(&path).unwrap().len() < start + ROUND_BYTES {
                assert!(Instant::now() < deadline, "round {round}: the writer wrote too little");
                std::thread::sleep(Duration::from_millis(5));
            }
            catch_mid_write(&path);
            kill(Pid::from_raw(i32::try_from(child.id()).unwrap()), Signal::SIGKILL).unwrap();
            child.wait().unwrap();

            let bytes = std::fs::read(&path).unwrap();
            let verified = match evidence::verify(&bytes, None) {
                Ok(verified) => verified,
                Err(failure) => {
                    let Problem::Torn { offset, bytes: cut } = failure.problem else {
                        panic!("round {round}: a killed writer left damage, not just a torn end: {failure}")
                    };
                    assert_eq!(offset + cut, bytes.len() as u64, "the torn part is the end of the file");
                    torn_rounds += 1;
                    *failure.verified
                }
            };
            let newline = bytes.iter().rposition(|b| *b == b'\n').unwrap(); // the last complete line's
            let head_line = bytes[..newline].rsplit(|b| *b == b'\n').next().unwrap();
            let head: Value = serde_json::from_slice(head_line).unwrap();
            assert_eq!(
                verified.head,
                head["hash"].as_str().unwrap(),
                "round {round}: verified up to the last complete entry"
            );

            let log = open(&dir);
            let reopened = std::fs::read(&path).unwrap();
            assert!(reopened.starts_with(&bytes), "round {round}: nothing is rewritten or truncated");
            let opening: Value =
                serde_json::from_slice(reopened[bytes.len()..].split(|b| *b == b'\n').find(|l| !l.is_empty()).unwrap())
                    .unwrap();
            assert_eq!(opening["kind"], "log_open");
            let end = opening["previous"]["end"].as_str().unwrap();
            assert!(end == "torn" || end == "unclosed", "round {round}: marked on reopen, not `{end}`");
            assert_eq!(
                opening["prev"].as_str(),
                Some(verified.head.as_str()),
                "the chain goes on from the last complete entry"
            );
            let whole = log.verify(None).unwrap().unwrap_or_else(|f| panic!("round {round}: after reopening: {f}"));
            assert_eq!(whole.torn.len(), torn_rounds);
            log.close().unwrap();
        }
        println!("{ROUNDS} kills, {torn_rounds} of them mid-entry");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

//! The log file: appends are durable and ordered, reopening goes on from the last intact entry
//! and records how the log was left, one writer at a time, checkpoints where they are due.

use std::io::Write;
use std::sync::Arc;

use serde_json::json;
use sidecar_host::evidence::{self, EvidenceError, Problem};

use crate::common::{closed_log, entries, entry, lines, open, scratch};

#[test]
fn a_closed_log_verifies_and_reopens_as_closed() {
    let dir = scratch("closed");
    let bytes = closed_log(&dir, 5, 64);
    let verified = evidence::verify(&bytes, None).expect("it verifies");
    // log_open, its checkpoint, 5 calls, log_close, its checkpoint
    assert_eq!(verified.entries, 9);
    assert_eq!(verified.unsigned(), 0, "a closed log ends signed");
    let kinds: Vec<String> = entries(&bytes).iter().map(|e| e["kind"].as_str().unwrap().to_owned()).collect();
    assert_eq!(kinds, ["log_open", "checkpoint", "call", "call", "call", "call", "call", "log_close", "checkpoint"]);

    let log = open(&dir, 64);
    let head = log.head();
    let reopened = entries(&std::fs::read(dir.join("evidence.jsonl")).unwrap());
    assert_eq!(reopened[9]["kind"], "log_open");
    assert_eq!(reopened[9]["previous"], json!({"end": "closed", "last": {"seq": 8, "hash": verified.head}}));
    assert_eq!(reopened[9]["seq"], 9, "the chain goes on");
    assert_eq!(head.seq, 10, "log_open and its checkpoint");
}

#[test]
fn a_log_its_writer_did_not_close_reopens_as_unclosed() {
    let dir = scratch("unclosed");
    let log = open(&dir, 64);
    log.append(vec![entry(0)], None).unwrap();
    drop(log); // a crash between entries: everything written is complete
    let _log = open(&dir, 64);
    let all = entries(&std::fs::read(dir.join("evidence.jsonl")).unwrap());
    assert_eq!(all[3]["previous"]["end"], "unclosed");
    assert!(evidence::verify(&std::fs::read(dir.join("evidence.jsonl")).unwrap(), None).is_ok());
}

#[test]
fn a_torn_last_line_is_kept_ended_and_recorded_by_the_next_open() {
    let dir = scratch("torn");
    let log = open(&dir, 64);
    log.append(vec![entry(0)], None).unwrap();
    let before = log.head();
    drop(log);
    let path = dir.join("evidence.jsonl");
    let torn = br#"{"kind":"call","method":"inspect/basic","outc"#;
    std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(torn).unwrap();
    let cut = std::fs::read(&path).unwrap();

    let failure = evidence::verify(&cut, None).expect_err("an unrecorded torn line fails");
    assert_eq!(failure.problem, Problem::Torn { offset: (cut.len() - torn.len()) as u64, bytes: torn.len() as u64 });
    assert_eq!(failure.verified.entries, 3, "everything before it verifies");
    assert_eq!(failure.verified.head, before.hash);

    let _log = open(&dir, 64);
    let after = std::fs::read(&path).unwrap();
    assert!(after.starts_with(&cut), "nothing written is ever rewritten");
    assert_eq!(&after[cut.len()..=cut.len()], b"\n", "a newline ends the torn line");
    let opened: serde_json::Value = serde_json::from_slice(&lines(&after)[4]).unwrap();
    assert_eq!(opened["kind"], "log_open");
    assert_eq!(opened["previous"]["end"], "torn");
    assert_eq!(
        opened["previous"]["skipped"],
        json!({"offset": cut.len() - torn.len(), "bytes": torn.len(), "sha256": evidence::canonical::sha256_hex(torn)})
    );
    assert_eq!(opened["prev"], json!(before.hash), "the chain goes on from the last intact entry");
    let verified = evidence::verify(&after, None).expect("a recorded torn line verifies");
    assert_eq!(verified.torn, vec![(3, torn.len() as u64)]);
}

#[test]
fn a_log_whose_first_write_was_torn_starts_its_chain_after_it() {
    let dir = scratch("torn-first");
    std::fs::write(dir.join("evidence.jsonl"), br#"{"kind":"log_op"#).unwrap();
    let _log = open(&dir, 64);
    let bytes = std::fs::read(dir.join("evidence.jsonl")).unwrap();
    let verified = evidence::verify(&bytes, None).expect("it verifies");
    assert_eq!(verified.entries, 2);
    assert_eq!(verified.torn, vec![(0, 15)]);
}

#[test]
fn concurrent_appends_land_in_one_order_with_no_seq_twice() {
    let dir = scratch("concurrent");
    let log = Arc::new(open(&dir, 8));
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                (0..25).map(|i| log.append(vec![entry(t * 100 + i)], None).unwrap()[0].seq).collect::<Vec<_>>()
            })
        })
        .collect();
    let mut seqs: Vec<u64> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
    seqs.sort_unstable();
    seqs.dedup();
    assert_eq!(seqs.len(), 200, "every append got its own seq");
    log.close().unwrap();
    let bytes = std::fs::read(dir.join("evidence.jsonl")).unwrap();
    let verified = evidence::verify(&bytes, None).expect("one chain");
    assert_eq!(verified.entries, 2 + 200 + 200 / 8 + 2, "an interval checkpoint every 8 calls");
    assert_eq!(log.written().len() as u64, verified.entries);
}

#[test]
fn checkpoints_sign_the_entry_before_them_with_the_installation_key() {
    let dir = scratch("checkpoints");
    let bytes = closed_log(&dir, 7, 3);
    let all = entries(&bytes);
    let key = evidence::InstallationKey::load_or_create(&dir.join("key")).unwrap().public_hex();
    let checkpoints: Vec<&serde_json::Value> = all.iter().filter(|e| e["kind"] == "checkpoint").collect();
    let reasons: Vec<&str> = checkpoints.iter().map(|c| c["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons, ["log_open", "interval", "interval", "log_close"]);
    for checkpoint in checkpoints {
        assert_eq!(checkpoint["public_key"], json!(key), "the public key is in every signed entry");
        let signed = &all[checkpoint["signed"]["seq"].as_u64().unwrap() as usize];
        assert_eq!(checkpoint["signed"]["hash"], signed["hash"]);
        assert_eq!(checkpoint["prev"], signed["hash"]);
    }
    assert!(!String::from_utf8_lossy(&bytes).contains(std::fs::read_to_string(dir.join("key")).unwrap().trim()));
}

#[cfg(unix)]
#[test]
fn a_second_writer_is_refused_while_the_first_holds_the_log() {
    let dir = scratch("busy");
    let first = open(&dir, 64);
    let key = evidence::InstallationKey::load_or_create(&dir.join("key")).unwrap();
    let second = evidence::EvidenceLog::open(
        &dir.join("evidence.jsonl"),
        key,
        evidence::LogOptions::new(crate::common::writer()),
    );
    assert!(matches!(second, Err(EvidenceError::Busy { .. })), "{second:?}");
    drop(first);
    assert!(
        evidence::EvidenceLog::open(
            &dir.join("evidence.jsonl"),
            evidence::InstallationKey::load_or_create(&dir.join("key")).unwrap(),
            evidence::LogOptions::new(crate::common::writer())
        )
        .is_ok()
    );
}

#[test]
fn a_closed_log_takes_no_more_entries() {
    let dir = scratch("after-close");
    let log = open(&dir, 64);
    log.close().unwrap();
    assert!(matches!(log.append(vec![entry(0)], None), Err(EvidenceError::Closed { .. })));
}

#[test]
fn the_log_verifies_itself_while_it_is_written() {
    let dir = scratch("self-verify");
    let log = open(&dir, 4);
    for i in 0..10 {
        log.append(vec![entry(i)], None).unwrap();
    }
    let head = log.head();
    let verified = log.verify(Some(&head.hash)).unwrap().expect("it verifies");
    assert_eq!(verified.head_found, Some(head.seq));
    assert_eq!(verified.entries, head.seq + 1);
}

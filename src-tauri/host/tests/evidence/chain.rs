//! Property tests over the chain: any single-byte change, deletion, insertion, duplication or
//! reorder of entries fails verification at the line it happened; cutting the log short fails
//! once the head a report printed is given.

use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::sample::Index;
use sidecar_host::evidence::{self, Problem};

use crate::common::{closed_log, entry, join, lines, open, scratch};

struct Bases {
    /// A closed log with interval checkpoints.
    closed: Vec<u8>,
    /// A log with a crash-torn line recorded by the open after it.
    torn: Vec<u8>,
    /// Another installation's log: the source of inserted entries.
    foreign: Vec<u8>,
}

fn bases() -> &'static Bases {
    static BASES: OnceLock<Bases> = OnceLock::new();
    BASES.get_or_init(|| {
        let closed = closed_log(&scratch("prop-closed"), 24, 5);
        let dir = scratch("prop-torn");
        let log = open(&dir, 4);
        for i in 0..5 {
            log.append(vec![entry(i)], None).unwrap();
        }
        drop(log);
        let path = dir.join("evidence.jsonl");
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend_from_slice(br#"{"kind":"call","method":"logs/col"#);
        std::fs::write(&path, &bytes).unwrap();
        let log = open(&dir, 4);
        for i in 5..9 {
            log.append(vec![entry(i)], None).unwrap();
        }
        log.close().unwrap();
        drop(log);
        let torn = std::fs::read(&path).unwrap();
        let foreign = closed_log(&scratch("prop-foreign"), 6, 3);
        for base in [&closed, &torn, &foreign] {
            evidence::verify(base, None).expect("the bases verify");
        }
        Bases { closed, torn, foreign }
    })
}

fn base(torn: bool) -> &'static [u8] {
    if torn { &bases().torn } else { &bases().closed }
}

/// The 1-based line a byte offset falls on.
fn line_of(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset].iter().filter(|b| **b == b'\n').count() + 1
}

fn failed_line(bytes: &[u8], head: Option<&str>) -> usize {
    evidence::verify(bytes, head).expect_err("the damage is detected").line
}

/// Whether a failure at `line` names the damage: one of `expected`, or in the torn log the
/// torn bytes themselves, whose record no longer matches when the damage sits next to them.
fn names(line: usize, expected: &[usize], torn: bool) -> bool {
    expected.contains(&line) || (torn && Some(line) == torn_line())
}

/// The 1-based line of the torn bytes in the torn base.
fn torn_line() -> Option<usize> {
    lines(&bases().torn).iter().position(|line| evidence::line::parse(line).is_err()).map(|i| i + 1)
}

proptest! {
    // A failure is a bug to fix here, not a case to keep: no regression files.
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_single_byte_change_is_detected_at_its_line(torn: bool, at: Index, xor in 1u8..=255) {
        let mut bytes = base(torn).to_vec();
        let offset = at.index(bytes.len());
        bytes[offset] ^= xor;
        let line = failed_line(&bytes, None);
        // In the torn log, damage to the record of the torn bytes is named at those bytes.
        prop_assert!(line == line_of(&bytes, offset) || (torn && line < line_of(&bytes, offset)), "line {line}");
    }

    #[test]
    fn deleting_an_entry_is_detected_and_cutting_the_end_needs_the_head(torn: bool, at: Index) {
        let original = base(torn);
        let mut all = lines(original);
        let index = at.index(all.len());
        all.remove(index);
        let head = evidence::verify(original, None).unwrap().head;
        if index < all.len() {
            let line = failed_line(&join(&all), None);
            prop_assert!(names(line, &[index + 1], torn), "line {line}, deleted {index}");
        } else {
            // The last entry: only the head a report printed shows it is gone.
            prop_assert!(evidence::verify(&join(&all), None).is_ok());
            let failure = evidence::verify(&join(&all), Some(&head)).unwrap_err();
            prop_assert!(matches!(failure.problem, Problem::HeadMissing { .. }), "{failure}");
        }
    }

    #[test]
    fn inserting_another_logs_entry_is_detected(torn: bool, at: Index, pick: Index) {
        let mut all = lines(base(torn));
        let foreign = lines(&bases().foreign);
        let position = at.index(all.len() + 1);
        all.insert(position, foreign[pick.index(foreign.len())].clone());
        let line = failed_line(&join(&all), None);
        // The foreign log's first entry chains at the very start; its successor is then refused.
        prop_assert!(names(line, &[position + 1, position + 2], torn), "line {line}, inserted at {position}");
    }

    #[test]
    fn duplicating_an_entry_is_detected(torn: bool, which: Index, at: Index) {
        let mut all = lines(base(torn));
        let copy = all[which.index(all.len())].clone();
        let position = at.index(all.len() + 1);
        all.insert(position, copy);
        let line = failed_line(&join(&all), None);
        prop_assert!(names(line, &[position + 1, position + 2], torn), "line {line}, copied to {position}");
    }

    #[test]
    fn reordering_two_entries_is_detected(torn: bool, a: Index, b: Index) {
        let mut all = lines(base(torn));
        let (i, j) = (a.index(all.len()), b.index(all.len()));
        prop_assume!(i != j);
        all.swap(i, j);
        let line = failed_line(&join(&all), None);
        prop_assert!(names(line, &[i.min(j) + 1], torn), "line {line}, swapped {i} and {j}");
    }

    #[test]
    fn a_log_cut_short_is_detected_given_the_head(torn: bool, keep: Index) {
        let original = base(torn);
        let all = lines(original);
        let kept = keep.index(all.len());
        let head = evidence::verify(original, None).unwrap().head;
        let failure = evidence::verify(&join(&all[..kept]), Some(&head)).unwrap_err();
        prop_assert!(matches!(failure.problem, Problem::HeadMissing { .. } | Problem::Changed { .. }), "{failure}");
    }
}

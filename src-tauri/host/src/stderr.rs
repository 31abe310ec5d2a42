//! Drains the sidecar's stderr continuously (a full pipe would block the child) and forwards
//! each line to `tracing` with a `[python]` prefix, keeping the last lines for error reports.
//!
//! The sidecar writes one JSON object per line (`{ts, level, logger, msg, exc?}`); anything
//! else (an interpreter that fails before logging is set up) is forwarded as a warning.
//! Forwarding is rate-limited ([`LINES_PER_WINDOW`]; the rest is counted and summarised), so a
//! sidecar that floods its stderr cannot flood the host's log; the tail keeps every line.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::Deserialize;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::task::JoinHandle;

use crate::throttle::Throttle;

/// Longest line kept; the rest of a longer line is dropped (and said so), never buffered.
const MAX_LINE_BYTES: usize = 16 * 1024;
/// Lines kept for [`StderrLog::tail`].
const TAIL_LINES: usize = 20;
/// Lines forwarded per [`WINDOW`]; a chatty sidecar at debug level stays well below.
const LINES_PER_WINDOW: u32 = 500;
const WINDOW: Duration = Duration::from_secs(10);

/// The drain task and the last lines it saw.
#[derive(Debug)]
pub struct StderrLog {
    tail: Arc<Mutex<VecDeque<String>>>,
    task: JoinHandle<()>,
}

impl StderrLog {
    /// Start draining `stderr` of the sidecar with process id `pid`.
    pub fn drain<R: AsyncRead + Unpin + Send + 'static>(stderr: R, pid: u32) -> Self {
        let tail = Arc::new(Mutex::new(VecDeque::with_capacity(TAIL_LINES)));
        let task = tokio::spawn(drain(BufReader::new(stderr), pid, Arc::clone(&tail)));
        Self { tail, task }
    }

    /// The last lines, oldest first, one per line; for errors shown to people.
    pub fn tail(&self) -> String {
        let tail = self.tail.lock().unwrap_or_else(PoisonError::into_inner);
        tail.iter().map(String::as_str).collect::<Vec<_>>().join("\n")
    }

    /// Wait (bounded) until the pipe is closed, so that [`Self::tail`] has everything.
    pub async fn finished(&mut self, within: Duration) {
        // A timeout leaves the task running: a grandchild may still hold the pipe open.
        let _ = tokio::time::timeout(within, &mut self.task).await;
    }
}

async fn drain<R: AsyncRead + Unpin>(mut reader: BufReader<R>, pid: u32, tail: Arc<Mutex<VecDeque<String>>>) {
    let mut throttle = Throttle::new("[python] lines of the sidecar's log", LINES_PER_WINDOW, WINDOW);
    let mut line = Vec::new();
    let mut truncated = false;
    loop {
        let chunk = match reader.fill_buf().await {
            Ok(chunk) => chunk,
            Err(error) => {
                tracing::warn!(pid, %error, "[python] reading the sidecar's stderr failed");
                return;
            }
        };
        if chunk.is_empty() {
            if !line.is_empty() {
                emit(&line, truncated, pid, &tail, &mut throttle);
            }
            return;
        }
        let (used, complete) = match chunk.iter().position(|&b| b == b'\n') {
            Some(end) => (end + 1, Some(end)),
            None => (chunk.len(), None),
        };
        let piece = &chunk[..complete.unwrap_or(used)];
        let room = MAX_LINE_BYTES.saturating_sub(line.len());
        line.extend_from_slice(&piece[..piece.len().min(room)]);
        truncated |= piece.len() > room;
        reader.consume(used);
        if complete.is_some() {
            emit(&line, truncated, pid, &tail, &mut throttle);
            line.clear();
            truncated = false;
        }
    }
}

#[derive(Deserialize)]
struct Record<'a> {
    level: &'a str,
    #[serde(default)]
    logger: &'a str,
    msg: String,
    exc: Option<String>,
}

fn emit(raw: &[u8], truncated: bool, pid: u32, tail: &Mutex<VecDeque<String>>, throttle: &mut Throttle) {
    let text = String::from_utf8_lossy(raw);
    let text = text.trim_end_matches('\r');
    let shown = if truncated { format!("{text}… (line truncated)") } else { text.to_owned() };
    if throttle.admit() {
        forward(text, &shown, pid);
    }
    let mut tail = tail.lock().unwrap_or_else(PoisonError::into_inner);
    if tail.len() == TAIL_LINES {
        tail.pop_front();
    }
    tail.push_back(shown);
}

fn forward(text: &str, shown: &str, pid: u32) {
    match serde_json::from_str::<Record>(text) {
        Ok(Record { level, logger, msg, exc }) => {
            let exc = exc.as_deref().unwrap_or("");
            match level {
                "debug" => tracing::debug!(target: "sidecar::python", pid, logger, exc, "[python] {msg}"),
                "info" => tracing::info!(target: "sidecar::python", pid, logger, exc, "[python] {msg}"),
                "warning" => tracing::warn!(target: "sidecar::python", pid, logger, exc, "[python] {msg}"),
                _ => tracing::error!(target: "sidecar::python", pid, logger, exc, "[python] {msg}"),
            }
        }
        Err(_) => tracing::warn!(target: "sidecar::python", pid, "[python] {shown}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn keeps_the_last_lines_and_bounds_long_ones() {
        let mut input = Vec::new();
        for i in 0..30 {
            input.extend_from_slice(format!("line {i}\n").as_bytes());
        }
        input.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES * 3));
        let mut log = StderrLog::drain(std::io::Cursor::new(input), 1);
        log.finished(std::time::Duration::from_secs(5)).await;
        let tail = log.tail();
        let lines: Vec<&str> = tail.lines().collect();
        assert_eq!(lines.len(), TAIL_LINES);
        assert_eq!(lines[0], "line 11");
        assert!(lines[TAIL_LINES - 1].ends_with("(line truncated)"));
        assert!(lines[TAIL_LINES - 1].len() < MAX_LINE_BYTES + 100);
    }
}

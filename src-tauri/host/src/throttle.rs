//! A rate limit for log events the sidecar can cause at will (garbage frames, answers nobody
//! waits for, its own stderr lines): one event per frame or line would let a misbehaving
//! sidecar write the host's log as fast as it can write its pipes.
//!
//! The first `burst` events of each `window` are logged; the rest are counted, and the count
//! is logged as one line when the next window begins or the throttle is dropped (the
//! connection or the stderr pipe ended), so nothing is left out without a trace.

use std::time::{Duration, Instant};

#[derive(Debug)]
pub(crate) struct Throttle {
    /// What the events are, for the summary line ("unreadable frames from the sidecar").
    what: &'static str,
    burst: u32,
    window: Duration,
    began: Option<Instant>,
    logged: u32,
    suppressed: u64,
}

impl Throttle {
    pub(crate) const fn new(what: &'static str, burst: u32, window: Duration) -> Self {
        Self { what, burst, window, began: None, logged: 0, suppressed: 0 }
    }

    /// Whether to log the event that just happened; false means it was counted instead.
    pub(crate) fn admit(&mut self) -> bool {
        self.admit_at(Instant::now())
    }

    fn admit_at(&mut self, now: Instant) -> bool {
        if self.began.is_none_or(|began| now.saturating_duration_since(began) >= self.window) {
            self.summarise();
            self.began = Some(now);
            self.logged = 0;
        }
        if self.logged < self.burst {
            self.logged += 1;
            true
        } else {
            self.suppressed += 1;
            false
        }
    }

    /// Log how many events were left out since the last summary, if any were.
    pub(crate) fn summarise(&mut self) {
        if self.suppressed > 0 {
            let (what, suppressed, window) = (self.what, self.suppressed, self.window);
            tracing::warn!(
                what,
                suppressed,
                "suppressed {suppressed} similar events ({what}; at most {} per {window:?})",
                self.burst
            );
            self.suppressed = 0;
        }
    }
}

impl Drop for Throttle {
    fn drop(&mut self) {
        self.summarise();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_of_a_window_pass_the_rest_are_counted_until_the_next_window() {
        let mut throttle = Throttle::new("test events", 3, Duration::from_secs(10));
        let start = Instant::now();
        let admitted: Vec<bool> = (0..1000).map(|_| throttle.admit_at(start)).collect();
        assert_eq!(admitted.iter().filter(|a| **a).count(), 3);
        assert!(admitted[..3].iter().all(|a| *a), "the first ones are logged");
        assert_eq!(throttle.suppressed, 997);
        // Within the window nothing changes; the next window summarises and admits again.
        assert!(!throttle.admit_at(start + Duration::from_secs(9)));
        assert!(throttle.admit_at(start + Duration::from_secs(10)));
        assert_eq!(throttle.suppressed, 0, "the summary was logged when the window changed");
    }
}

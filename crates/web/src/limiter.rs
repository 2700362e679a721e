//! A fixed-window request limiter for the public forms: so many per address per window,
//! and so many in all, so a flood is refused cheaply and the site stays up for everyone
//! else. In memory: one server process, and a restart forgiving everyone is acceptable.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct Limiter {
    per_key: u32,
    total: u32,
    window: Duration,
    state: Mutex<Window>,
}

struct Window {
    started: Instant,
    counts: HashMap<String, u32>,
    total: u32,
}

/// Distinct addresses remembered per window; beyond it new addresses are refused, which
/// bounds memory under a flood from many addresses.
const MAX_KEYS: usize = 100_000;

impl Limiter {
    pub fn new(per_key: u32, total: u32, window: Duration) -> Limiter {
        Limiter {
            per_key,
            total,
            window,
            state: Mutex::new(Window {
                started: Instant::now(),
                counts: HashMap::new(),
                total: 0,
            }),
        }
    }

    /// Counts one request from `key`; false when it is over a limit.
    pub fn allow(&self, key: &str) -> bool {
        self.allow_at(key, Instant::now())
    }

    fn allow_at(&self, key: &str, now: Instant) -> bool {
        let mut w = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if now.duration_since(w.started) >= self.window {
            w.started = now;
            w.counts.clear();
            w.total = 0;
        }
        if w.total >= self.total {
            return false;
        }
        if !w.counts.contains_key(key) && w.counts.len() >= MAX_KEYS {
            return false;
        }
        let n = w.counts.entry(key.to_string()).or_insert(0);
        if *n >= self.per_key {
            return false;
        }
        *n += 1;
        w.total += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_address_is_held_to_its_share_and_others_still_get_through() {
        let l = Limiter::new(3, 5, Duration::from_secs(60));
        let t = Instant::now();
        assert!((0..3).all(|_| l.allow_at("1.1.1.1", t)));
        assert!(!l.allow_at("1.1.1.1", t));
        assert!(l.allow_at("2.2.2.2", t));
        assert!(l.allow_at("3.3.3.3", t));
        // The total is spent: everyone waits for the next window.
        assert!(!l.allow_at("4.4.4.4", t));
        assert!(l.allow_at("1.1.1.1", t + Duration::from_secs(61)));
    }
}

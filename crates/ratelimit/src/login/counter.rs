//! Failure counting for one username or one address: the rules both stores
//! apply (the Redis script mirrors these functions).

/// How failures of one kind (per user or per IP) are counted and punished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rule {
    pub max_failures: u32,
    pub window: u64,
    pub lockout: u64,
    /// Exponential backoff: the n-th failure makes the next attempt wait
    /// `base × 2^(n−1)`, at most `max` (0: no backoff).
    pub backoff_base: u64,
    pub backoff_max: u64,
}

/// One key's failures: count in the current window, when that window began,
/// the last failure, and the end of a lockout.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counter {
    pub count: u32,
    pub start: u64,
    pub last: u64,
    pub locked_until: u64,
}

/// Why an attempt must wait, and for how long (nanoseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wait {
    Locked(u64),
    Backoff(u64),
}

impl Rule {
    pub(crate) fn backoff(&self, count: u32) -> u64 {
        if self.backoff_base == 0 || count == 0 {
            return 0;
        }
        let shift = (count - 1).min(40);
        self.backoff_base
            .saturating_mul(1u64 << shift)
            .min(self.backoff_max)
    }
}

impl Counter {
    /// Whether an attempt at `now` must wait.
    pub(crate) fn wait(&self, rule: &Rule, now: u64) -> Option<Wait> {
        if self.locked_until > now {
            return Some(Wait::Locked(self.locked_until - now));
        }
        if self.start.saturating_add(rule.window) <= now {
            return None;
        }
        let until = self.last.saturating_add(rule.backoff(self.count));
        (until > now).then(|| Wait::Backoff(until - now))
    }

    /// Counts a failure at `now`; `true` when it starts a lockout.
    pub(crate) fn fail(&mut self, rule: &Rule, now: u64) -> bool {
        if self.locked_until > now {
            return false;
        }
        if self.count == 0 || self.start.saturating_add(rule.window) <= now {
            self.count = 0;
            self.start = now;
        }
        self.count += 1;
        self.last = now;
        if self.count >= rule.max_failures {
            self.locked_until = now.saturating_add(rule.lockout);
            self.count = 0;
            return true;
        }
        false
    }

    /// From when on the counter carries nothing.
    pub(crate) fn idle_at(&self, rule: &Rule) -> u64 {
        self.locked_until
            .max(self.start.saturating_add(rule.window))
            .max(self.last.saturating_add(rule.backoff(self.count)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    fn rule() -> Rule {
        Rule {
            max_failures: 3,
            window: 60 * S,
            lockout: 600 * S,
            backoff_base: 0,
            backoff_max: 0,
        }
    }

    #[test]
    fn locks_on_the_nth_failure_in_the_window_then_lifts() {
        let r = rule();
        let mut c = Counter::default();
        assert!(!c.fail(&r, 10 * S));
        assert!(!c.fail(&r, 20 * S));
        assert_eq!(c.wait(&r, 20 * S), None);
        assert!(c.fail(&r, 30 * S));
        assert_eq!(c.wait(&r, 30 * S), Some(Wait::Locked(600 * S)));
        assert_eq!(c.wait(&r, 630 * S - 1), Some(Wait::Locked(1)));
        assert_eq!(c.wait(&r, 630 * S), None);
        // Failures while locked are not counted towards the next lockout.
        let mut d = c;
        assert!(!d.fail(&r, 40 * S));
        assert_eq!(d, c);
    }

    #[test]
    fn failures_outside_the_window_start_a_new_count() {
        let r = rule();
        let mut c = Counter::default();
        c.fail(&r, 0);
        c.fail(&r, 10 * S);
        assert!(!c.fail(&r, 60 * S), "the window had ended");
        assert_eq!(c.count, 1);
    }

    #[test]
    fn backoff_does_not_outlive_a_lockout() {
        // A short lockout inside a long window: once it lifts, the count was
        // reset, so there is no backoff left to wait out.
        let r = Rule {
            max_failures: 2,
            lockout: 10 * S,
            backoff_base: S,
            backoff_max: 100 * S,
            ..rule()
        };
        let mut c = Counter::default();
        c.fail(&r, 0);
        assert!(c.fail(&r, S));
        assert_eq!(c.wait(&r, 11 * S), None);
        assert_eq!(r.backoff(0), 0);
        let no_backoff = rule();
        assert_eq!(no_backoff.backoff(3), 0);
    }

    #[test]
    fn idle_at_covers_the_lockout_and_the_window() {
        let r = rule();
        let mut c = Counter::default();
        c.fail(&r, 5 * S);
        assert_eq!(c.idle_at(&r), 65 * S);
        c.fail(&r, 6 * S);
        c.fail(&r, 7 * S);
        assert_eq!(c.idle_at(&r), 607 * S);
    }

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let r = Rule {
            max_failures: 100,
            backoff_base: S,
            backoff_max: 5 * S,
            ..rule()
        };
        let mut c = Counter::default();
        let mut now = 0;
        for expected in [1, 2, 4, 5, 5] {
            c.fail(&r, now);
            assert_eq!(c.wait(&r, now), Some(Wait::Backoff(expected * S)));
            assert_eq!(c.wait(&r, now + expected * S), None);
            now += expected * S;
        }
    }
}

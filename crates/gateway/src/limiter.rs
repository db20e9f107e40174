//! Rate limits as token buckets, behind a trait so that several Portico nodes can later
//! share them (through Redis); this is the in-memory implementation.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use portico_config::Throttle;

/// Decides whether one more request under `key` fits its bucket.
pub trait Limiter: Send + Sync {
    /// Takes one token from the bucket named `key` (created full), if there is one.
    fn try_acquire(&self, key: &str, limit: Throttle) -> bool;

    /// Counts one request against the quota named `key`, `limit` requests in the period
    /// named `period` (another name than last time starts a fresh count), if it fits.
    fn try_count(&self, key: &str, period: &str, limit: u64) -> bool;
}

/// Buckets and quota counters in this process's memory.
#[derive(Default)]
pub struct LocalBuckets {
    buckets: Mutex<HashMap<String, Bucket>>,
    /// Quota name → (period name, requests counted in it).
    counters: Mutex<HashMap<String, (String, u64)>>,
}

struct Bucket {
    tokens: f64,
    refilled: Instant,
}

impl Limiter for LocalBuckets {
    fn try_acquire(&self, key: &str, limit: Throttle) -> bool {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let capacity = f64::from(limit.burst);
        let bucket = buckets.entry(key.to_string()).or_insert(Bucket {
            tokens: capacity,
            refilled: now,
        });
        let elapsed = now.duration_since(bucket.refilled).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * limit.rate).min(capacity);
        bucket.refilled = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    fn try_count(&self, key: &str, period: &str, limit: u64) -> bool {
        let mut counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        let counter = counters
            .entry(key.to_string())
            .or_insert_with(|| (period.to_string(), 0));
        if counter.0 != period {
            *counter = (period.to_string(), 0);
        }
        if counter.1 < limit {
            counter.1 += 1;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quota_counts_within_its_period_and_starts_afresh_in_the_next() {
        let counters = LocalBuckets::default();
        assert!(counters.try_count("k", "2026-11-26", 2));
        assert!(counters.try_count("k", "2026-11-26", 2));
        assert!(!counters.try_count("k", "2026-11-26", 2));
        assert!(counters.try_count("other", "2026-11-26", 2), "per key");
        assert!(counters.try_count("k", "2026-11-27", 2), "a new period");
    }

    #[test]
    fn a_bucket_allows_its_burst_then_refuses() {
        let buckets = LocalBuckets::default();
        let limit = Throttle {
            rate: 0.0,
            burst: 2,
        };
        assert!(buckets.try_acquire("a", limit));
        assert!(buckets.try_acquire("a", limit));
        assert!(!buckets.try_acquire("a", limit));
        assert!(buckets.try_acquire("b", limit), "buckets are per key");
        let none = Throttle {
            rate: 1000.0,
            burst: 0,
        };
        assert!(
            !buckets.try_acquire("c", none),
            "a burst of 0 refuses everything"
        );
    }
}

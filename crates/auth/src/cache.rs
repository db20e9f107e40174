//! Authorizer decisions cached for their TTL, keyed by the identity sources, behind a trait
//! so that several Portico nodes can later share them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::lambda::Decision;

pub trait DecisionCache: Send + Sync {
    fn get(&self, key: &str) -> Option<Decision>;
    fn put(&self, key: String, decision: Decision, ttl: Duration);
}

/// Decisions in this process's memory.
#[derive(Default)]
pub struct LocalCache {
    entries: Mutex<HashMap<String, (Instant, Decision)>>,
}

impl DecisionCache for LocalCache {
    fn get(&self, key: &str) -> Option<Decision> {
        self.get_at(key, Instant::now())
    }

    fn put(&self, key: String, decision: Decision, ttl: Duration) {
        self.put_at(key, decision, ttl, Instant::now());
    }
}

impl LocalCache {
    fn get_at(&self, key: &str, now: Instant) -> Option<Decision> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get(key) {
            Some((expires, decision)) if *expires > now => Some(decision.clone()),
            Some(_) => {
                entries.remove(key);
                None
            }
            None => None,
        }
    }

    fn put_at(&self, key: String, decision: Decision, ttl: Duration, now: Instant) {
        if ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|_, (expires, _)| *expires > now);
        entries.insert(key, (now + ttl, decision));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_decisions_for_their_ttl_only() {
        let cache = LocalCache::default();
        let start = Instant::now();
        let minute = Duration::from_secs(60);
        cache.put_at(
            "a".into(),
            Decision::Deny { explicit: false },
            minute,
            start,
        );
        cache.put_at(
            "b".into(),
            Decision::Deny { explicit: false },
            Duration::ZERO,
            start,
        );
        assert_eq!(
            cache.get_at("a", start),
            Some(Decision::Deny { explicit: false })
        );
        assert_eq!(cache.get_at("b", start), None, "a TTL of 0 caches nothing");
        let later = start + minute - Duration::from_nanos(1);
        assert_eq!(
            cache.get_at("a", later),
            Some(Decision::Deny { explicit: false })
        );
        assert_eq!(cache.get_at("a", start + minute), None, "expired");
    }
}

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
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get(key) {
            Some((expires, decision)) if *expires > Instant::now() => Some(decision.clone()),
            Some(_) => {
                entries.remove(key);
                None
            }
            None => None,
        }
    }

    fn put(&self, key: String, decision: Decision, ttl: Duration) {
        if ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
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
        cache.put("a".into(), Decision::Deny, Duration::from_secs(60));
        cache.put("b".into(), Decision::Deny, Duration::ZERO);
        assert_eq!(cache.get("a"), Some(Decision::Deny));
        assert_eq!(cache.get("b"), None, "a TTL of 0 caches nothing");
        cache.put("c".into(), Decision::Deny, Duration::from_nanos(1));
        assert_eq!(cache.get("c"), None, "expired");
    }
}

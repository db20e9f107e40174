//! Who may call. Pure decisions over what a request carries, and caches of them; no HTTP,
//! no processes: the gateway's authorize phase gathers the inputs (and invokes a Lambda
//! authorizer through the runtime) and asks this crate what they mean.

pub mod cache;
pub mod jwt;
pub mod lambda;
pub mod sigv4;

pub use cache::{DecisionCache, LocalCache};
pub use jwt::{Refusal, Rule, Verified};
pub use lambda::{Decision, decide};

/// A JSON string, or the strings of a JSON array (claims and policy fields take both forms).
pub(crate) fn strings(value: Option<&serde_json::Value>) -> Vec<String> {
    match value {
        Some(serde_json::Value::String(s)) => vec![s.clone()],
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

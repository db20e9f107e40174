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

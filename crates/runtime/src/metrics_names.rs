//! The metrics Lambda publishes per function, as Portico names them in the Prometheus
//! text format (`/metrics` on the admin listener): Invocations, Errors, Throttles,
//! Duration, ConcurrentExecutions, and cold starts with their init duration.

/// The label naming the function.
pub const FUNCTION: &str = "function";
pub const INVOCATIONS: &str = "portico_function_invocations_total";
pub const ERRORS: &str = "portico_function_errors_total";
pub const THROTTLES: &str = "portico_function_throttles_total";
pub const DURATION: &str = "portico_function_duration_seconds";
pub const CONCURRENT: &str = "portico_function_concurrent_executions";
pub const COLD_STARTS: &str = "portico_function_cold_starts_total";
pub const INIT_DURATION: &str = "portico_function_init_duration_seconds";

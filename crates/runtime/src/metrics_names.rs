//! The metrics Lambda publishes per function, as Portico names them in the Prometheus
//! text format (`/metrics` on the admin listener): Invocations, Errors, Throttles,
//! Duration, ConcurrentExecutions, and cold starts with their init duration; and the
//! metrics a function's own log lines carry in the Embedded Metric Format.

/// The label naming the function.
pub const FUNCTION: &str = "function";
pub const INVOCATIONS: &str = "portico_function_invocations_total";
pub const ERRORS: &str = "portico_function_errors_total";
pub const THROTTLES: &str = "portico_function_throttles_total";
pub const DURATION: &str = "portico_function_duration_seconds";
pub const CONCURRENT: &str = "portico_function_concurrent_executions";
pub const COLD_STARTS: &str = "portico_function_cold_starts_total";
pub const INIT_DURATION: &str = "portico_function_init_duration_seconds";
pub const EMF_INVALID: &str = "portico_emf_invalid_total";

/// Records the metrics of `line` if it is an EMF document: per metric, `emf_<namespace>_<name>`
/// (the last value), `…_sum` and `…_count`, labelled by function, unit and dimensions. A
/// document that breaks the specification is counted in [`EMF_INVALID`] (the line itself
/// is logged as any other).
pub fn embedded(function: &str, line: &str) {
    let Some(parsed) = portico_events::emf::parse(line) else {
        return;
    };
    let metrics = match parsed {
        Ok(metrics) => metrics,
        Err(e) => {
            tracing::debug!(function, "{e}");
            metrics::counter!(EMF_INVALID, FUNCTION => function.to_string()).increment(1);
            return;
        }
    };
    for metric in metrics {
        let name = format!(
            "emf_{}_{}",
            sanitize(&metric.namespace),
            sanitize(&metric.name)
        );
        let mut labels = vec![(FUNCTION.to_string(), function.to_string())];
        if let Some(unit) = metric.unit {
            labels.push(("unit".to_string(), unit));
        }
        for (key, value) in metric.dimensions {
            labels.push((sanitize(&key), value));
        }
        let labels: Vec<metrics::Label> = labels
            .into_iter()
            .map(|(k, v)| metrics::Label::new(k, v))
            .collect();
        let sum: f64 = metric.values.iter().sum();
        if let Some(last) = metric.values.last() {
            metrics::gauge!(name.clone(), labels.clone()).set(*last);
        }
        metrics::gauge!(format!("{name}_sum"), labels.clone()).increment(sum);
        metrics::counter!(format!("{name}_count"), labels).increment(metric.values.len() as u64);
    }
}

/// A Prometheus name part: letters, digits and `_`, not starting with a digit.
fn sanitize(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

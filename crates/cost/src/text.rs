//! The report as a table for a terminal.

use std::fmt::Write;

use crate::estimate::Report;

/// The report for people: fronts cheapest first with their items, then the routes that
/// would break AWS's limits, then the notes.
pub fn render_text(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "What the {} request(s) Portico served in {} would cost on AWS:\n",
        report.requests,
        window(report.window_seconds)
    );
    let mut fronts: Vec<_> = report.fronts.iter().collect();
    fronts.sort_by(|a, b| a.usd.total_cmp(&b.usd));
    let label_width = fronts.iter().map(|f| f.label.len()).max().unwrap_or(0);
    let item_width = fronts
        .iter()
        .flat_map(|f| &f.lines)
        .map(|l| l.item.len())
        .max()
        .unwrap_or(0);
    for front in fronts {
        let _ = writeln!(
            out,
            "  {:label_width$}  {:>12}  ({} per million requests)",
            front.label,
            usd(front.usd),
            usd(front.usd_per_million)
        );
        for line in &front.lines {
            let _ = writeln!(
                out,
                "      {:item_width$}  {:>12}",
                line.item,
                usd(line.usd)
            );
        }
    }
    out.push('\n');
    if report.warnings.is_empty() {
        out.push_str("No route would break AWS's limits.\n");
    } else {
        out.push_str("Routes that would break AWS's limits:\n");
        for w in &report.warnings {
            let name = crate::usage::route_name(&w.target, &w.stage, &w.route);
            let front = w.front.label();
            let _ = writeln!(
                out,
                "  {name}  {front}: {}, over AWS's {}",
                w.observed, w.limit
            );
        }
    }
    out.push_str("\nNotes:\n");
    for note in &report.notes {
        let _ = writeln!(out, "  - {note}");
    }
    out
}

/// Dollars, with small amounts still visible: `$3.99`, `$0.0123`, `$0.000042`, `$0`.
pub fn usd(amount: f64) -> String {
    if amount == 0.0 || !amount.is_finite() {
        return "$0".to_string();
    }
    let decimals = if amount.abs() >= 1.0 {
        2
    } else {
        // Two significant digits, and at least four decimals.
        let leading_zeros = (-amount.abs().log10()).floor() as usize;
        (leading_zeros + 2).clamp(4, 12)
    };
    format!("${amount:.decimals$}")
}

/// `0.3 s`, `45.0 s`, `2 min 5 s`, `3 h 2 min`.
fn window(seconds: f64) -> String {
    if seconds < 59.95 {
        return format!("{:.1} s", seconds.max(0.0));
    }
    let s = seconds.round() as u64;
    match s {
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Prices, RouteUsage, Usage, estimate};

    #[test]
    fn small_amounts_stay_visible() {
        assert_eq!(usd(0.0), "$0");
        assert_eq!(usd(0.000042), "$0.000042");
        assert_eq!(usd(0.0000420001), "$0.000042");
        assert_eq!(usd(0.0123), "$0.0123");
        assert_eq!(usd(0.5), "$0.5000");
        assert_eq!(usd(3.994), "$3.99");
        assert_eq!(usd(1234.5), "$1234.50");
        assert_eq!(usd(0.0000000012), "$0.0000000012");
    }

    #[test]
    fn windows_read_as_durations() {
        assert_eq!(window(0.31), "0.3 s");
        assert_eq!(window(45.0), "45.0 s");
        assert_eq!(window(125.0), "2 min 5 s");
        assert_eq!(window(3.0 * 3600.0 + 120.0), "3 h 2 min");
    }

    fn report(max_response_bytes: u64) -> Report {
        let route = RouteUsage {
            target: "api:shop".to_string(),
            stage: "$default".to_string(),
            route: "GET /big".to_string(),
            function: Some("f".to_string()),
            memory_mb: Some(128),
            requests: 3,
            invocations: 3,
            request_bytes: 0,
            max_request_bytes: 0,
            response_bytes: max_response_bytes,
            max_response_bytes,
            billed_ms: 30,
            max_latency_ms: 12.0,
        };
        let usage = Usage {
            window_seconds: 125.0,
            routes: vec![route],
        };
        estimate(&usage, &Prices::default_table())
    }

    #[test]
    fn the_table_lists_fronts_cheapest_first_then_warnings_and_notes() {
        let text = render_text(&report(100));
        assert!(
            text.starts_with("What the 3 request(s) Portico served in 2 min 5 s would cost"),
            "{text}"
        );
        let at = |label: &str| text.find(&format!("\n  {label} ")).expect(label);
        assert!(at("Function URL") < at("HTTP API"), "{text}");
        assert!(at("HTTP API") < at("REST API"), "{text}");
        assert!(text.contains("per million requests"), "{text}");
        assert!(
            text.contains("No route would break AWS's limits."),
            "{text}"
        );
        assert!(text.contains("  - free tiers not applied"), "{text}");

        let text = render_text(&report(7 * 1024 * 1024));
        assert!(
            text.contains(
                "api:shop $default GET /big  Function URL: 7.0 MB response, over AWS's 6 MB payload"
            ),
            "{text}"
        );
        assert!(!text.contains("No route would break"), "{text}");
    }
}

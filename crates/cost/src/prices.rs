//! The price table: AWS's prices and limits, read from `prices.yaml` (embedded as the
//! default) or from a copy the user edited.

use serde::{Deserialize, Deserializer};

/// The default table: us-east-1, x86, on-demand, first tiers, every field commented.
pub const DEFAULT_TABLE: &str = include_str!("../prices.yaml");

/// What AWS charges and the limits it enforces; the fields are documented in `prices.yaml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prices {
    /// The region the prices are for.
    pub region: String,
    /// When the prices were read.
    pub read_on: String,
    pub lambda: LambdaPrices,
    pub rest_api: RequestPrices,
    pub http_api: HttpApiPrices,
    pub function_url: RequestPrices,
    pub alb: AlbPrices,
    pub data_transfer: DataTransferPrices,
    pub limits: Limits,
}

/// AWS Lambda's on-demand prices.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LambdaPrices {
    /// USD per million invocations.
    #[serde(deserialize_with = "amount")]
    pub requests_per_million: f64,
    /// USD per GB-second of billed duration.
    #[serde(deserialize_with = "amount")]
    pub gb_second: f64,
    /// Milliseconds duration is rounded up to; always 1 (see [`Prices::from_yaml`]).
    #[serde(deserialize_with = "one_ms")]
    pub billing_granularity_ms: u64,
}

/// A front that charges per request (REST API, Function URL).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestPrices {
    /// USD per million requests.
    #[serde(deserialize_with = "amount")]
    pub requests_per_million: f64,
}

/// HTTP API prices: per request, metered in increments of the request's size.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpApiPrices {
    /// USD per million (metered) requests.
    #[serde(deserialize_with = "amount")]
    pub requests_per_million: f64,
    /// A request counts once per started increment of this many KB.
    #[serde(deserialize_with = "positive")]
    pub metering_increment_kb: f64,
}

/// Application Load Balancer prices, with the LCU dimensions that matter for Lambda targets.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlbPrices {
    /// USD per ALB-hour.
    #[serde(deserialize_with = "amount")]
    pub hour: f64,
    /// USD per LCU-hour.
    #[serde(deserialize_with = "amount")]
    pub lcu_hour: f64,
    /// GB processed per hour that make one LCU with Lambda targets.
    #[serde(deserialize_with = "positive")]
    pub lcu_lambda_gb_per_hour: f64,
    /// New connections per second that make one LCU.
    #[serde(deserialize_with = "positive")]
    pub lcu_new_connections_per_second: f64,
    /// Rule evaluations per second that make one LCU.
    #[serde(deserialize_with = "positive")]
    pub lcu_rule_evaluations_per_second: f64,
    /// Rules evaluated free per request.
    pub free_rules_per_request: u64,
}

/// Data transfer out to the internet, the same behind every front.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataTransferPrices {
    /// USD per GB out.
    #[serde(deserialize_with = "amount")]
    pub out_per_gb: f64,
}

/// AWS's limits per front, checked against the observed maxima.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    pub rest_api: FrontLimits,
    pub http_api: FrontLimits,
    pub function_url: FrontLimits,
    pub alb: FrontLimits,
}

/// One front's limits; `None` checks nothing.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrontLimits {
    /// The longest a request may take, in seconds.
    #[serde(deserialize_with = "optional_positive")]
    pub timeout_seconds: Option<f64>,
    /// The largest request or response payload, in MB (1,048,576 bytes).
    #[serde(deserialize_with = "optional_positive")]
    pub payload_mb: Option<f64>,
}

impl Prices {
    /// The embedded default table.
    pub fn default_table() -> Prices {
        Prices::from_yaml(DEFAULT_TABLE, "the default price table").unwrap_or_else(|e| {
            unreachable!("the embedded prices.yaml is checked by its tests: {e}")
        })
    }

    /// Reads a price table; `file_name` names it in errors, which say where the problem is
    /// (`file:line:column`) and how to fix it.
    pub fn from_yaml(text: &str, file_name: &str) -> Result<Prices, String> {
        serde_saphyr::from_str(text).map_err(|e| {
            let (line, column) = e
                .location()
                .map(|l| (l.line(), l.column()))
                .unwrap_or((0, 0));
            let message = first_line(&e.without_snippet().to_string());
            format!(
                "{file_name}:{line}:{column}: {message}\n  help: compare it with `portico cost --print-prices`, which prints the default table with every key documented"
            )
        })
    }
}

/// The deserializer's message without the position it appends (ours leads the line).
fn first_line(rendered: &str) -> String {
    let line = rendered.lines().next().unwrap_or(rendered).trim();
    match line.rfind(" at line ") {
        Some(i) if line[i..].contains(", column ") => line[..i].to_string(),
        _ => line.to_string(),
    }
}

/// A price: a finite number, zero or more.
fn amount<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let value = f64::deserialize(d)?;
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(serde::de::Error::custom(format!(
            "{value} is not a price: write a number of US dollars, 0 or more"
        )))
    }
}

/// A size or rate that divides: a finite number above zero.
fn positive<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let value = f64::deserialize(d)?;
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(serde::de::Error::custom(format!(
            "{value} is out of range: write a number above 0"
        )))
    }
}

fn optional_positive<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    match Option::<f64>::deserialize(d)? {
        None => Ok(None),
        Some(value) if value.is_finite() && value > 0.0 => Ok(Some(value)),
        Some(value) => Err(serde::de::Error::custom(format!(
            "{value} is out of range: write a number above 0, or null to check nothing"
        ))),
    }
}

fn one_ms<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    match u64::deserialize(d)? {
        1 => Ok(1),
        other => Err(serde::de::Error::custom(format!(
            "billing granularity {other} ms is not supported: Portico counts whole milliseconds per invocation, as Lambda bills them; write 1"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_table_parses_with_the_prices_it_documents() {
        let p = Prices::from_yaml(DEFAULT_TABLE, "prices.yaml").unwrap();
        assert_eq!(p.region, "us-east-1");
        assert_eq!(p.lambda.requests_per_million, 0.20);
        assert_eq!(p.lambda.gb_second, 0.0000166667);
        assert_eq!(p.lambda.billing_granularity_ms, 1);
        assert_eq!(p.rest_api.requests_per_million, 3.50);
        assert_eq!(p.http_api.requests_per_million, 1.00);
        assert_eq!(p.http_api.metering_increment_kb, 512.0);
        assert_eq!(p.function_url.requests_per_million, 0.0);
        assert_eq!((p.alb.hour, p.alb.lcu_hour), (0.0225, 0.008));
        assert_eq!(p.alb.lcu_lambda_gb_per_hour, 0.4);
        assert_eq!(p.data_transfer.out_per_gb, 0.09);
        assert_eq!(p.limits.rest_api.timeout_seconds, Some(29.0));
        assert_eq!(p.limits.http_api.timeout_seconds, Some(30.0));
        assert_eq!(p.limits.function_url.payload_mb, Some(6.0));
        assert_eq!(p.limits.alb.payload_mb, Some(1.0));
        assert_eq!(Prices::default_table(), p);
    }

    /// Every key of the default table has a comment line of its own just above it (a
    /// section's first key may share its section's comment only if it has one too).
    #[test]
    fn every_key_of_the_default_table_is_documented() {
        let lines: Vec<&str> = DEFAULT_TABLE.lines().collect();
        let mut keys = 0;
        for (i, line) in lines.iter().enumerate() {
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let key = trimmed.split(':').next().unwrap_or_default();
            keys += 1;
            let above = i.checked_sub(1).map(|j| lines[j].trim()).unwrap_or("");
            assert!(
                above.starts_with('#') && above.len() > 2,
                "prices.yaml line {}: `{key}` has no comment line above it",
                i + 1
            );
        }
        assert!(keys > 25, "found only {keys} keys");
    }

    #[test]
    fn the_default_table_names_its_sources_and_says_free_tiers_are_not_applied() {
        for page in [
            "https://aws.amazon.com/lambda/pricing/",
            "https://aws.amazon.com/api-gateway/pricing/",
            "https://aws.amazon.com/elasticloadbalancing/pricing/",
        ] {
            assert!(DEFAULT_TABLE.contains(page), "{page}");
        }
        assert!(DEFAULT_TABLE.contains("Free tiers are NOT applied"));
    }

    #[test]
    fn a_broken_table_is_reported_with_its_file_line_and_column() {
        let broken = DEFAULT_TABLE.replace("  gb_second: 0.0000166667", "  gb_secnd: 0.0000166667");
        let line = broken.lines().position(|l| l.contains("gb_secnd")).unwrap() + 1;
        let error = Prices::from_yaml(&broken, "mine.yaml").unwrap_err();
        assert!(
            error.starts_with(&format!("mine.yaml:{line}:3: ")),
            "{error}"
        );
        assert!(error.contains("gb_secnd"), "{error}");
        assert!(error.contains("--print-prices"), "{error}");

        let negative = DEFAULT_TABLE.replace("  hour: 0.0225", "  hour: -1");
        let line = negative.lines().position(|l| l == "  hour: -1").unwrap() + 1;
        let error = Prices::from_yaml(&negative, "mine.yaml").unwrap_err();
        assert!(error.starts_with(&format!("mine.yaml:{line}:")), "{error}");
        assert!(error.contains("not a price"), "{error}");

        let coarse =
            DEFAULT_TABLE.replace("billing_granularity_ms: 1", "billing_granularity_ms: 100");
        let error = Prices::from_yaml(&coarse, "mine.yaml").unwrap_err();
        assert!(error.contains("write 1"), "{error}");

        let error = Prices::from_yaml("region: [", "mine.yaml").unwrap_err();
        assert!(error.starts_with("mine.yaml:1:"), "{error}");
    }

    #[test]
    fn a_limit_may_be_switched_off_with_null() {
        let text = DEFAULT_TABLE.replace("    timeout_seconds: 29", "    timeout_seconds: null");
        let p = Prices::from_yaml(&text, "mine.yaml").unwrap();
        assert_eq!(p.limits.rest_api.timeout_seconds, None);
    }
}

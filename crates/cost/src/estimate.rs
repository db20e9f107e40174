//! The estimate: the observed traffic priced behind each of the four fronts, and the routes
//! whose observed maxima would break a front's limits.

use serde::Serialize;

use crate::prices::{FrontLimits, Prices};
use crate::usage::{RouteUsage, Usage};

/// Bytes in the KB, MB and GB of the price table (binary, as AWS bills them).
const KB: f64 = 1024.0;
const MB: f64 = 1024.0 * 1024.0;
const GB: f64 = 1024.0 * 1024.0 * 1024.0;

/// A front door a Lambda function can sit behind on AWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Front {
    RestApi,
    HttpApi,
    FunctionUrl,
    Alb,
}

impl Front {
    /// Every front, in the order the report lists them.
    pub const ALL: [Front; 4] = [
        Front::RestApi,
        Front::HttpApi,
        Front::FunctionUrl,
        Front::Alb,
    ];

    /// Its name for people.
    pub fn label(self) -> &'static str {
        match self {
            Front::RestApi => "REST API",
            Front::HttpApi => "HTTP API",
            Front::FunctionUrl => "Function URL",
            Front::Alb => "ALB",
        }
    }

    fn limits(self, prices: &Prices) -> &FrontLimits {
        match self {
            Front::RestApi => &prices.limits.rest_api,
            Front::HttpApi => &prices.limits.http_api,
            Front::FunctionUrl => &prices.limits.function_url,
            Front::Alb => &prices.limits.alb,
        }
    }

    /// What waits for the function, for the timeout's name.
    fn timeout_name(self) -> &'static str {
        match self {
            Front::RestApi | Front::HttpApi => "integration timeout",
            Front::FunctionUrl | Front::Alb => "function timeout",
        }
    }
}

/// What the observed traffic would cost, per front, and what would break.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// How long Portico had been serving, in seconds.
    pub window_seconds: f64,
    /// Requests compared across fronts (every route but the Invoke API's).
    pub requests: u64,
    /// One per front, in [`Front::ALL`]'s order.
    pub fronts: Vec<FrontCost>,
    /// Invoke API traffic: Lambda only, the same whatever the front, so in no front's total.
    pub invoke_api: InvokeApiCost,
    /// Each route and front where an observed maximum is over AWS's limit.
    pub warnings: Vec<Warning>,
    /// What the estimate assumes and leaves out.
    pub notes: Vec<String>,
}

/// The traffic's cost behind one front.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrontCost {
    pub front: Front,
    pub label: String,
    /// The total, in USD.
    pub usd: f64,
    /// The total per million requests at the observed mix (0 without requests).
    pub usd_per_million: f64,
    /// The total, itemised.
    pub lines: Vec<Line>,
}

/// One item of a front's cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Line {
    /// What is charged, with its quantity.
    pub item: String,
    pub usd: f64,
}

/// The Invoke API's traffic and its Lambda cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InvokeApiCost {
    pub requests: u64,
    pub usd: f64,
}

/// A route whose observed maximum would break a front's limit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Warning {
    pub target: String,
    pub stage: String,
    pub route: String,
    pub front: Front,
    /// The limit, as AWS states it (`6 MB payload`).
    pub limit: String,
    /// The observed maximum (`7.3 MB response`).
    pub observed: String,
}

/// Lambda's part of a set of routes' cost: the same behind every front.
struct LambdaCost {
    requests: u64,
    gb_seconds: f64,
}

impl LambdaCost {
    fn of<'a>(routes: impl IntoIterator<Item = &'a RouteUsage>) -> LambdaCost {
        let mut cost = LambdaCost {
            requests: 0,
            gb_seconds: 0.0,
        };
        for r in routes.into_iter().filter(|r| r.function.is_some()) {
            cost.requests += r.invocations;
            let memory_gb = r.memory_mb.unwrap_or(0) as f64 / 1024.0;
            cost.gb_seconds += r.billed_ms as f64 / 1000.0 * memory_gb;
        }
        cost
    }

    fn lines(&self, prices: &Prices) -> [Line; 2] {
        [
            Line {
                item: format!("Lambda requests ({})", self.requests),
                usd: self.requests as f64 * prices.lambda.requests_per_million / 1e6,
            },
            Line {
                item: format!("Lambda compute ({} GB-s)", quantity(self.gb_seconds)),
                usd: self.gb_seconds * prices.lambda.gb_second,
            },
        ]
    }
}

/// Prices `usage` behind each front with `prices`, and checks each route against the limits.
pub fn estimate(usage: &Usage, prices: &Prices) -> Report {
    let window_seconds = usage.window_seconds.max(0.0);
    let (invoke, routes): (Vec<&RouteUsage>, Vec<&RouteUsage>) =
        usage.routes.iter().partition(|r| r.is_invoke_api());
    let requests: u64 = routes.iter().map(|r| r.requests).sum();
    let request_bytes: u64 = routes.iter().map(|r| r.request_bytes).sum();
    let response_bytes: u64 = routes.iter().map(|r| r.response_bytes).sum();
    let lambda = LambdaCost::of(routes.iter().copied());
    let out_gb = response_bytes as f64 / GB;
    let transfer = Line {
        item: format!(
            "Data transfer out ({} GB, the same on every front)",
            quantity(out_gb)
        ),
        usd: out_gb * prices.data_transfer.out_per_gb,
    };
    let per_request = |label: &str, count: u64, per_million: f64| Line {
        item: format!("{label} ({count})"),
        usd: count as f64 * per_million / 1e6,
    };
    let increment = prices.http_api.metering_increment_kb * KB;
    let metered: u64 = routes.iter().map(|r| metered_requests(r, increment)).sum();

    let fronts = Front::ALL
        .iter()
        .map(|&front| {
            let mut lines = match front {
                Front::RestApi => vec![per_request(
                    "API requests",
                    requests,
                    prices.rest_api.requests_per_million,
                )],
                Front::HttpApi => vec![Line {
                    item: format!(
                        "API requests ({requests}, metered as {metered} in {} KB increments)",
                        prices.http_api.metering_increment_kb
                    ),
                    usd: metered as f64 * prices.http_api.requests_per_million / 1e6,
                }],
                Front::FunctionUrl => vec![per_request(
                    "Function URL requests",
                    requests,
                    prices.function_url.requests_per_million,
                )],
                Front::Alb => alb_lines(
                    prices,
                    window_seconds,
                    requests,
                    request_bytes + response_bytes,
                    routes.len() as u64,
                ),
            };
            lines.extend(lambda.lines(prices));
            lines.push(transfer.clone());
            let usd: f64 = lines.iter().map(|l| l.usd).sum();
            FrontCost {
                front,
                label: front.label().to_string(),
                usd,
                usd_per_million: per_million(usd, requests),
                lines,
            }
        })
        .collect();

    let invoke_lambda = LambdaCost::of(invoke.iter().copied());
    let invoke_api = InvokeApiCost {
        requests: invoke.iter().map(|r| r.requests).sum(),
        usd: invoke_lambda.lines(prices).iter().map(|l| l.usd).sum(),
    };
    let warnings = routes
        .iter()
        .flat_map(|r| Front::ALL.iter().flat_map(move |&f| check(r, f, prices)))
        .collect();
    let notes = notes(prices, &routes, &invoke_api, increment);
    Report {
        window_seconds,
        requests,
        fronts,
        invoke_api,
        warnings,
        notes,
    }
}

/// The ALB's own lines: its hours in the window, and its LCU-hours.
///
/// LCUs are the largest of their dimensions each hour; over the window they are taken at the
/// window's average rates, which is exact for traffic spread evenly.
fn alb_lines(
    prices: &Prices,
    window_seconds: f64,
    requests: u64,
    processed_bytes: u64,
    rules: u64,
) -> Vec<Line> {
    let alb = &prices.alb;
    let hours = window_seconds / 3600.0;
    // LCU-hours per dimension: the quantity over the window divided by one LCU's hourly worth.
    let new_connections = requests as f64 / (alb.lcu_new_connections_per_second * 3600.0);
    let processed = processed_bytes as f64 / GB / alb.lcu_lambda_gb_per_hour;
    let evaluations = requests as f64 * rules.saturating_sub(alb.free_rules_per_request) as f64
        / (alb.lcu_rule_evaluations_per_second * 3600.0);
    let (lcu_hours, dimension) = [
        (new_connections, "new connections"),
        (processed, "processed bytes"),
        (evaluations, "rule evaluations"),
    ]
    .into_iter()
    .fold(
        (0.0, "no traffic"),
        |best, d| if d.0 > best.0 { d } else { best },
    );
    vec![
        Line {
            item: format!("ALB hours ({}, the window's share)", quantity(hours)),
            usd: hours * alb.hour,
        },
        Line {
            item: format!("ALB LCU-hours ({}, by {dimension})", quantity(lcu_hours)),
            usd: lcu_hours * alb.lcu_hour,
        },
    ]
}

/// A route's requests as an HTTP API meters them: each counts once per started increment.
///
/// Only the route's total and largest request are known, so this is the fewest the requests
/// could count as: exact when at most one of them is larger than an increment.
fn metered_requests(route: &RouteUsage, increment: f64) -> u64 {
    if route.requests == 0 {
        return 0;
    }
    let units = |bytes: u64| (bytes as f64 / increment).ceil() as u64;
    let largest = units(route.max_request_bytes).max(1);
    let others = route.request_bytes.saturating_sub(route.max_request_bytes);
    largest + (route.requests - 1).max(units(others))
}

fn per_million(usd: f64, requests: u64) -> f64 {
    if requests == 0 {
        0.0
    } else {
        usd / requests as f64 * 1e6
    }
}

/// The limits `route`'s observed maxima break behind `front`.
fn check(route: &RouteUsage, front: Front, prices: &Prices) -> Vec<Warning> {
    let limits = front.limits(prices);
    let warning = |limit: String, observed: String| Warning {
        target: route.target.clone(),
        stage: route.stage.clone(),
        route: route.route.clone(),
        front,
        limit,
        observed,
    };
    let mut warnings = Vec::new();
    if let Some(seconds) = limits.timeout_seconds
        && route.max_latency_ms > seconds * 1000.0
    {
        warnings.push(warning(
            format!("{} {}", duration(seconds), front.timeout_name()),
            format!("{} s", above(route.max_latency_ms / 1000.0, seconds)),
        ));
    }
    if let Some(mb) = limits.payload_mb {
        let (bytes, what) = if route.max_response_bytes > route.max_request_bytes {
            (route.max_response_bytes, "response")
        } else {
            (route.max_request_bytes, "request")
        };
        if bytes as f64 > mb * MB {
            let observed = bytes as f64 / MB;
            let shown = above(observed, mb);
            let shown = if shown.parse::<f64>().is_ok_and(|s| s > mb) {
                format!("{shown} MB")
            } else {
                format!("{bytes} bytes")
            };
            warnings.push(warning(
                format!("{mb} MB payload"),
                format!("{shown} {what}"),
            ));
        }
    }
    warnings
}

/// `value`, which is over `limit`, with as few decimals (1 to 6) as show it is over.
fn above(value: f64, limit: f64) -> String {
    (1..=6)
        .map(|decimals| format!("{value:.decimals$}"))
        .find(|s| s.parse::<f64>().is_ok_and(|v| v > limit))
        .unwrap_or_else(|| format!("{value}"))
}

/// `29 s`, `15 min`.
fn duration(seconds: f64) -> String {
    if seconds >= 60.0 && seconds % 60.0 == 0.0 {
        format!("{} min", seconds / 60.0)
    } else {
        format!("{seconds} s")
    }
}

/// A quantity for an item's text: three significant digits, small ones still visible
/// (`12500`, `1.91`, `0.000000263`).
fn quantity(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return "0".to_string();
    }
    let magnitude = value.abs().log10().floor() as i32;
    let decimals = (2 - magnitude).clamp(0, 12) as usize;
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

fn notes(
    prices: &Prices,
    routes: &[&RouteUsage],
    invoke: &InvokeApiCost,
    increment: f64,
) -> Vec<String> {
    let mut notes = vec![
        "free tiers not applied".to_string(),
        format!(
            "prices for {} read on {} (edit them: portico cost --print-prices > prices.yaml, then --prices prices.yaml)",
            prices.region, prices.read_on
        ),
        "Lambda compute: each invocation's time in Portico rounded up to 1 ms, at the function's configured memory; it may run faster or slower on AWS".to_string(),
        "data transfer out is charged on response bodies, the same on every front".to_string(),
        "ALB: its hourly charge is the window's share; AWS bills every started hour, traffic or not; one listener rule per route".to_string(),
    ];
    if invoke.requests > 0 {
        notes.push(format!(
            "Invoke API: {} request(s), {} of Lambda, the same behind every front, so in no front's total",
            invoke.requests,
            crate::text::usd(invoke.usd)
        ));
    }
    if routes
        .iter()
        .any(|r| r.max_request_bytes as f64 > increment)
    {
        notes.push(format!(
            "HTTP API: requests over {} KB count as several; counted from each route's total and largest request (exact when one request per route is that large)",
            prices.http_api.metering_increment_kb
        ));
    }
    let unanswered: u64 = routes
        .iter()
        .filter(|r| r.function.is_none())
        .map(|r| r.requests)
        .sum();
    if unanswered > 0 {
        notes.push(format!(
            "{unanswered} request(s) answered without a function (HTTP proxy, mock, no route): no Lambda charges; a Function URL could not serve them"
        ));
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(target: &str, requests: u64) -> RouteUsage {
        RouteUsage {
            target: target.to_string(),
            stage: "$default".to_string(),
            route: "GET /items".to_string(),
            function: Some("f".to_string()),
            memory_mb: Some(128),
            requests,
            invocations: requests,
            request_bytes: 0,
            max_request_bytes: 0,
            response_bytes: 0,
            max_response_bytes: 0,
            billed_ms: 0,
            max_latency_ms: 1.0,
        }
    }

    fn usage(window_seconds: f64, routes: Vec<RouteUsage>) -> Usage {
        Usage {
            window_seconds,
            routes,
        }
    }

    fn front(report: &Report, front: Front) -> &FrontCost {
        report.fronts.iter().find(|f| f.front == front).unwrap()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    /// A million requests of 1 KB each way, 100 ms each at 128 MB, in an hour.
    #[test]
    fn a_million_small_requests_cost_what_the_price_pages_say() {
        let mut r = route("api:shop", 1_000_000);
        r.request_bytes = 1_000_000 * 1024;
        r.max_request_bytes = 1024;
        r.response_bytes = 1_000_000 * 1024;
        r.max_response_bytes = 1024;
        r.billed_ms = 1_000_000 * 100;
        let report = estimate(&usage(3600.0, vec![r]), &Prices::default_table());
        assert_eq!(report.requests, 1_000_000);

        // Lambda: $0.20 of requests; 100,000 s at 0.125 GB = 12,500 GB-s.
        let lambda = 0.20 + 12_500.0 * 0.0000166667;
        // 1,024,000,000 bytes out = 0.95367431640625 GB.
        let transfer = 0.953_674_316_406_25 * 0.09;
        let rest = 3.50 + lambda + transfer;
        let http = 1.00 + lambda + transfer;
        let url = lambda + transfer;
        // ALB: one hour; LCUs by new connections (1,000,000 / 90,000 a LCU-hour) rather than
        // bytes (1.9073 GB / 0.4 = 4.77) or rules (one rule: free).
        let alb = 0.0225 + 1_000_000.0 / 90_000.0 * 0.008 + lambda + transfer;
        for (f, expected) in [
            (Front::RestApi, rest),
            (Front::HttpApi, http),
            (Front::FunctionUrl, url),
            (Front::Alb, alb),
        ] {
            let cost = front(&report, f);
            assert!(
                close(cost.usd, expected),
                "{f:?}: {} != {expected}",
                cost.usd
            );
            assert!(close(cost.usd_per_million, expected), "{f:?}");
            let sum: f64 = cost.lines.iter().map(|l| l.usd).sum();
            assert!(close(sum, cost.usd), "{f:?}: lines add up");
        }
        assert!(close(rest, 3.994_164_438_476_562_5));
        assert!(report.warnings.is_empty(), "{:?}", report.warnings);
        assert!(report.notes.contains(&"free tiers not applied".to_string()));
    }

    #[test]
    fn quantities_keep_three_significant_digits() {
        assert_eq!(quantity(12_500.0), "12500");
        assert_eq!(quantity(1.907_348_6), "1.91");
        assert_eq!(quantity(1.0), "1");
        assert_eq!(quantity(0.000_000_262_6), "0.000000263");
        assert_eq!(quantity(0.0), "0");
    }

    #[test]
    fn http_api_requests_are_metered_in_512_kb_increments() {
        let prices = Prices::default_table();
        let http = |r: RouteUsage| {
            let report = estimate(&usage(60.0, vec![r]), &prices);
            front(&report, Front::HttpApi).lines[0].usd * 1e6
        };
        let mut one = route("api:shop", 1);
        one.request_bytes = 600 * 1024;
        one.max_request_bytes = 600 * 1024;
        assert!(
            close(http(one.clone()), 2.0),
            "a 600 KB request counts as 2"
        );
        one.request_bytes = 512 * 1024;
        one.max_request_bytes = 512 * 1024;
        assert!(close(http(one), 1.0), "512 KB exactly counts once");
        // One large request among small ones: 2 + 2.
        let mut three = route("api:shop", 3);
        three.request_bytes = 600 * 1024 + 2 * 1024;
        three.max_request_bytes = 600 * 1024;
        assert!(close(http(three), 4.0));
        // Empty requests still count.
        assert!(close(http(route("api:shop", 5)), 5.0));
    }

    #[test]
    fn invoke_api_traffic_is_listed_but_in_no_front() {
        let mut invoke = route("lambda", 10);
        invoke.stage.clear();
        invoke.route.clear();
        invoke.billed_ms = 1000;
        let report = estimate(
            &usage(60.0, vec![invoke, route("url:f", 2)]),
            &Prices::default_table(),
        );
        assert_eq!(report.requests, 2);
        assert_eq!(report.invoke_api.requests, 10);
        let expected = 10.0 * 0.20 / 1e6 + 1.0 * 0.125 * 0.0000166667;
        assert!(close(report.invoke_api.usd, expected));
        let url = front(&report, Front::FunctionUrl);
        assert!(url.lines.iter().any(|l| l.item == "Lambda requests (2)"));
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.starts_with("Invoke API: 10 request(s)"))
        );
    }

    #[test]
    fn routes_without_a_function_pay_no_lambda() {
        let mut proxy = route("api:shop", 4);
        proxy.function = None;
        proxy.memory_mb = None;
        proxy.billed_ms = 0;
        let report = estimate(&usage(60.0, vec![proxy]), &Prices::default_table());
        let rest = front(&report, Front::RestApi);
        assert!(close(rest.usd, 4.0 * 3.50 / 1e6));
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.starts_with("4 request(s) answered without"))
        );
    }

    #[test]
    fn no_traffic_costs_nothing_but_the_albs_hours() {
        let report = estimate(&usage(3600.0, vec![]), &Prices::default_table());
        assert_eq!(report.requests, 0);
        for f in &report.fronts {
            let expected = if f.front == Front::Alb { 0.0225 } else { 0.0 };
            assert!(close(f.usd, expected), "{:?}", f.front);
            assert_eq!(f.usd_per_million, 0.0);
        }
        let json = serde_json::to_value(&report).unwrap();
        let names: Vec<&str> = json["fronts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["front"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["rest_api", "http_api", "function_url", "alb"]);
    }

    fn eleven_routes() -> Vec<RouteUsage> {
        (0..11)
            .map(|i| {
                let mut r = route("api:shop", 90_000);
                r.route = format!("GET /r{i}");
                r
            })
            .collect()
    }

    #[test]
    fn rules_beyond_the_free_ten_cost_lcus() {
        // 11 routes of 90,000 requests each in an hour: 990,000 requests evaluating one rule
        // beyond the free ten = 990,000 evaluations / 3,600,000 a LCU-hour = 0.275 LCU-hours,
        // fewer than by new connections (990,000 / 90,000 = 11), so connections decide.
        let prices = Prices::default_table();
        let report = estimate(&usage(3600.0, eleven_routes()), &prices);
        let lcu = &front(&report, Front::Alb).lines[1];
        assert!(close(lcu.usd, 11.0 * 0.008), "{lcu:?}");
        assert!(lcu.item.contains("by new connections"), "{lcu:?}");
        // With one rule evaluation per second making an LCU, rules decide: 990,000 / 3,600.
        let mut dear = prices.clone();
        dear.alb.lcu_rule_evaluations_per_second = 1.0;
        let report = estimate(&usage(3600.0, eleven_routes()), &dear);
        let lcu = &front(&report, Front::Alb).lines[1];
        assert!(lcu.item.contains("by rule evaluations"), "{lcu:?}");
        assert!(close(lcu.usd, 275.0 * 0.008), "{lcu:?}");
    }

    fn warnings(request: u64, response: u64, latency_ms: f64) -> Vec<(Front, String, String)> {
        let mut r = route("api:shop", 1);
        (r.max_request_bytes, r.request_bytes) = (request, request);
        (r.max_response_bytes, r.response_bytes) = (response, response);
        r.max_latency_ms = latency_ms;
        estimate(&usage(60.0, vec![r]), &Prices::default_table())
            .warnings
            .into_iter()
            .map(|w| (w.front, w.limit, w.observed))
            .collect()
    }

    fn warned(front: Front, limit: &str, observed: &str) -> (Front, String, String) {
        (front, limit.to_string(), observed.to_string())
    }

    #[test]
    fn payloads_over_each_fronts_limit_warn_and_payloads_at_it_do_not() {
        let mb = 1024 * 1024;
        assert_eq!(warnings(mb, mb, 1.0), []);
        assert_eq!(
            warnings(mb + 1, 0, 1.0),
            [warned(Front::Alb, "1 MB payload", "1.000001 MB request")]
        );
        assert_eq!(warnings(6 * mb, 0, 1.0).len(), 1, "only the ALB's");
        let over_six = warnings(0, 7 * mb + mb / 2, 1.0);
        assert_eq!(
            over_six,
            [
                warned(Front::FunctionUrl, "6 MB payload", "7.5 MB response"),
                warned(Front::Alb, "1 MB payload", "7.5 MB response"),
            ]
        );
        assert_eq!(warnings(10 * mb, 0, 1.0).len(), 2, "URL and ALB only");
        let over_ten = warnings(10 * mb + 1, 0, 1.0);
        assert_eq!(
            over_ten[..2],
            [
                warned(Front::RestApi, "10 MB payload", "10.000001 MB request"),
                warned(Front::HttpApi, "10 MB payload", "10.000001 MB request"),
            ]
        );
        assert_eq!(over_ten.len(), 4);
    }

    #[test]
    fn slow_routes_warn_over_each_fronts_timeout_and_not_at_it() {
        assert_eq!(warnings(0, 0, 29_000.0), []);
        assert_eq!(
            warnings(0, 0, 29_001.0),
            [warned(
                Front::RestApi,
                "29 s integration timeout",
                "29.001 s"
            )]
        );
        assert_eq!(warnings(0, 0, 30_000.0).len(), 1, "REST only");
        assert_eq!(
            warnings(0, 0, 31_200.0),
            [
                warned(Front::RestApi, "29 s integration timeout", "31.2 s"),
                warned(Front::HttpApi, "30 s integration timeout", "31.2 s"),
            ]
        );
        assert_eq!(warnings(0, 0, 900_000.0).len(), 2);
        let over_fifteen = warnings(0, 0, 901_000.0);
        assert_eq!(
            over_fifteen[2..],
            [
                warned(Front::FunctionUrl, "15 min function timeout", "901.0 s"),
                warned(Front::Alb, "15 min function timeout", "901.0 s"),
            ]
        );
    }

    #[test]
    fn warnings_name_their_route() {
        let mut r = route("api:shop", 1);
        r.route = "GET /big".to_string();
        r.max_response_bytes = 8 * 1024 * 1024;
        let report = estimate(&usage(60.0, vec![r]), &Prices::default_table());
        let json = serde_json::to_value(&report.warnings[0]).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"target": "api:shop", "stage": "$default", "route": "GET /big",
                "front": "function_url", "limit": "6 MB payload", "observed": "8.0 MB response"})
        );
    }
}

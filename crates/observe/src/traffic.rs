//! The observatory: records folded into per-route seconds, totals and usage, and the tail.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use portico_cost::{RouteUsage, Usage};
use serde::Serialize;

/// How far back the per-second traffic goes, in seconds.
pub const WINDOW_SECONDS: u64 = 300;
/// The span of the routes' `last_minute`, in seconds.
const LAST_MINUTE: u64 = 60;
/// How many requests the tail keeps.
pub const TAIL_KEPT: usize = 1_000;
/// The most tail entries one answer carries.
const TAIL_PAGE: usize = 200;
/// The most records waiting to be folded; beyond, records are counted as dropped.
const WAITING: usize = 65_536;
/// The most latencies kept per route and second; beyond, a uniform sample of them.
const SAMPLES_PER_SECOND: usize = 1_000;

/// A route as metrics label it: the door and API, the stage and the route key (or REST
/// method), empty where they do not apply.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct RouteId {
    pub target: Target,
    pub stage: String,
    pub route: String,
}

/// The door and API a request came through, as every record names it: `url:<function>`,
/// `api:<name>` (an HTTP API), `rest:<name>`, `ws:<name>`, `lambda` (the Invoke API), and one name for
/// all requests to a function URL or an API that does not exist (`url:-`, `api:-`), so
/// that made-up names cannot grow the metrics and the dashboard without end.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    FunctionUrl(String),
    HttpApi(String),
    RestApi(String),
    WebSocketApi(String),
    Invoke,
    UnknownUrl,
    UnknownApi,
}

impl Target {
    pub fn function_url(function: &str) -> Target {
        Target::FunctionUrl(function.to_string())
    }

    pub fn http_api(api: &str) -> Target {
        Target::HttpApi(api.to_string())
    }

    pub fn rest_api(api: &str) -> Target {
        Target::RestApi(api.to_string())
    }

    pub fn websocket_api(api: &str) -> Target {
        Target::WebSocketApi(api.to_string())
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::FunctionUrl(function) => write!(f, "url:{function}"),
            Target::HttpApi(api) => write!(f, "api:{api}"),
            Target::RestApi(api) => write!(f, "rest:{api}"),
            Target::WebSocketApi(api) => write!(f, "ws:{api}"),
            Target::Invoke => f.write_str("lambda"),
            Target::UnknownUrl => f.write_str("url:-"),
            Target::UnknownApi => f.write_str("api:-"),
        }
    }
}

impl Serialize for Target {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The function a route invokes, and its memory, which Lambda bills by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FunctionUse {
    pub name: String,
    pub memory_mb: u32,
}

/// A route of the running config, listed before any traffic comes.
#[derive(Debug, Clone)]
pub struct Declared {
    pub id: RouteId,
    /// Where to call it.
    pub url: Option<String>,
    pub function: Option<FunctionUse>,
}

/// One request as the record phase saw it.
#[derive(Debug, Clone)]
pub struct Record {
    pub id: RouteId,
    pub request_id: String,
    pub received: SystemTime,
    pub method: String,
    pub path: String,
    pub status: u16,
    /// End to end, until the answer's head.
    pub latency: Duration,
    /// How long the integration took, if one ran.
    pub integration: Option<Duration>,
    /// The function invoked, if one was.
    pub function: Option<FunctionUse>,
    pub request_bytes: u64,
    /// `None` for a streamed answer, whose length is not known when it starts.
    pub response_bytes: Option<u64>,
    pub error: Option<String>,
}

/// Collects records off the request path and answers the dashboard's questions.
pub struct Observatory {
    sender: SyncSender<Record>,
    dropped: AtomicU64,
    state: Mutex<State>,
}

struct State {
    waiting: Receiver<Record>,
    started: SystemTime,
    routes: BTreeMap<RouteId, RouteState>,
    tail: VecDeque<TailEntry>,
    last_seq: u64,
    /// xorshift state for sampling latencies.
    rng: u64,
}

#[derive(Default)]
struct RouteState {
    url: Option<String>,
    function: Option<FunctionUse>,
    totals: Totals,
    seconds: VecDeque<Second>,
    usage: Accumulated,
}

/// Requests and errors by class.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub requests: u64,
    pub errors_4xx: u64,
    pub errors_5xx: u64,
}

impl Totals {
    fn add(&mut self, status: u16) {
        self.requests += 1;
        self.errors_4xx += u64::from((400..500).contains(&status));
        self.errors_5xx += u64::from((500..600).contains(&status));
    }
}

struct Second {
    t: u64,
    totals: Totals,
    latencies_ms: Vec<f32>,
    /// Its point, once asked for, until another request comes in this second: a past
    /// second's percentiles are sorted out once, not at every poll.
    point: Option<Point>,
}

#[derive(Default)]
struct Accumulated {
    invocations: u64,
    request_bytes: u64,
    max_request_bytes: u64,
    response_bytes: u64,
    max_response_bytes: u64,
    billed_ms: u64,
    max_latency_ms: f64,
}

/// Every route's traffic over the last [`WINDOW_SECONDS`]: `GET /api/traffic`.
#[derive(Debug, Serialize)]
pub struct Traffic {
    /// The current unix second.
    pub now: u64,
    pub seconds: u64,
    /// Records lost because they came faster than they were folded.
    pub dropped: u64,
    pub routes: Vec<RouteTraffic>,
}

#[derive(Debug, Serialize)]
pub struct RouteTraffic {
    #[serde(flatten)]
    pub id: RouteId,
    pub url: Option<String>,
    pub totals: Totals,
    /// The last 60 seconds: counts, and percentiles over all their (sampled) latencies.
    pub last_minute: Point,
    /// One point per second with traffic, oldest first.
    pub points: Vec<Point>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Point {
    pub t: u64,
    #[serde(flatten)]
    pub totals: Totals,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
}

/// The newest requests: `GET /api/tail?after=SEQ`.
#[derive(Debug, Serialize)]
pub struct Tail {
    /// The last sequence number handed out; ask for `after=next` to get only newer ones.
    pub next: u64,
    pub entries: Vec<TailEntry>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TailEntry {
    pub seq: u64,
    pub time_ms: u64,
    pub request_id: String,
    #[serde(flatten)]
    pub id: RouteId,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub latency_ms: f64,
    pub error: Option<String>,
}

fn unix(time: SystemTime) -> Duration {
    time.duration_since(UNIX_EPOCH).unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The nearest-rank percentile `p` (0..=1) of sorted `values`.
fn percentile(sorted: &[f32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    f64::from(sorted[rank.clamp(1, sorted.len()) - 1])
}

impl Observatory {
    /// An observatory listing `declared` routes from the start.
    pub fn new(declared: Vec<Declared>) -> Observatory {
        let (sender, waiting) = sync_channel(WAITING);
        let routes = declared
            .into_iter()
            .map(|d| {
                let state = RouteState {
                    url: d.url,
                    function: d.function,
                    ..RouteState::default()
                };
                (d.id, state)
            })
            .collect();
        Observatory {
            sender,
            dropped: AtomicU64::new(0),
            state: Mutex::new(State {
                waiting,
                started: SystemTime::now(),
                routes,
                tail: VecDeque::with_capacity(TAIL_KEPT),
                last_seq: 0,
                rng: 0x9E37_79B9_7F4A_7C15,
            }),
        }
    }

    /// Hands `record` over without waiting; counted as dropped if too many are waiting.
    pub fn record(&self, record: Record) {
        if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) =
            self.sender.try_send(record)
        {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Folds the waiting records into the state; called by readers and periodically, so
    /// that records never pile up.
    pub fn fold(&self) {
        drop(self.folded());
    }

    fn folded(&self) -> std::sync::MutexGuard<'_, State> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        // At most what was waiting: under load, records keep coming while these are folded.
        for _ in 0..WAITING {
            let Ok(record) = state.waiting.try_recv() else {
                break;
            };
            state.add(record);
        }
        let horizon = unix(SystemTime::now())
            .as_secs()
            .saturating_sub(WINDOW_SECONDS);
        for route in state.routes.values_mut() {
            while route.seconds.front().is_some_and(|s| s.t <= horizon) {
                route.seconds.pop_front();
            }
        }
        state
    }

    pub fn traffic(&self) -> Traffic {
        let mut state = self.folded();
        let now = unix(SystemTime::now()).as_secs();
        let routes = state
            .routes
            .iter_mut()
            .map(|(id, route)| RouteTraffic {
                id: id.clone(),
                url: route.url.clone(),
                totals: route.totals,
                last_minute: route.since(now.saturating_sub(LAST_MINUTE), now),
                points: route.seconds.iter_mut().map(Second::point).collect(),
            })
            .collect();
        Traffic {
            now,
            seconds: WINDOW_SECONDS,
            dropped: self.dropped.load(Ordering::Relaxed),
            routes,
        }
    }

    /// The requests after sequence number `after`, oldest first; all kept when `after` is
    /// ahead of this observatory (a reader that saw a Portico since restarted).
    pub fn tail(&self, after: u64) -> Tail {
        let state = self.folded();
        let after = if after > state.last_seq { 0 } else { after };
        let entries: Vec<TailEntry> = state
            .tail
            .iter()
            .filter(|e| e.seq > after)
            .take(TAIL_PAGE)
            .cloned()
            .collect();
        Tail {
            next: entries.last().map_or(after, |e| e.seq),
            entries,
        }
    }

    /// What the served traffic used, per route with traffic: `GET /usage`, which the cost
    /// lens prices. Billed time is each invocation's integration time rounded up to a whole
    /// millisecond (at least one), as Lambda bills duration.
    pub fn usage(&self) -> Usage {
        let state = self.folded();
        let routes = state
            .routes
            .iter()
            .filter(|(_, r)| r.totals.requests > 0)
            .map(|(id, r)| RouteUsage {
                target: id.target.to_string(),
                stage: id.stage.clone(),
                route: id.route.clone(),
                function: r.function.as_ref().map(|f| f.name.clone()),
                memory_mb: r.function.as_ref().map(|f| u64::from(f.memory_mb)),
                requests: r.totals.requests,
                invocations: r.usage.invocations,
                request_bytes: r.usage.request_bytes,
                max_request_bytes: r.usage.max_request_bytes,
                response_bytes: r.usage.response_bytes,
                max_response_bytes: r.usage.max_response_bytes,
                billed_ms: r.usage.billed_ms,
                max_latency_ms: r.usage.max_latency_ms,
            })
            .collect();
        Usage {
            window_seconds: SystemTime::now()
                .duration_since(state.started)
                .unwrap_or_default()
                .as_secs_f64(),
            routes,
        }
    }
}

impl State {
    fn add(&mut self, record: Record) {
        let t = unix(record.received);
        let latency_ms = ms(record.latency);
        let sample = self.next_random();
        let route = self.routes.entry(record.id.clone()).or_default();
        route.totals.add(record.status);
        if route.function.is_none() {
            route.function.clone_from(&record.function);
        }
        let usage = &mut route.usage;
        usage.request_bytes = usage.request_bytes.saturating_add(record.request_bytes);
        usage.max_request_bytes = usage.max_request_bytes.max(record.request_bytes);
        let response_bytes = record.response_bytes.unwrap_or(0);
        usage.response_bytes = usage.response_bytes.saturating_add(response_bytes);
        usage.max_response_bytes = usage.max_response_bytes.max(response_bytes);
        if let (Some(_), Some(integration)) = (&record.function, record.integration) {
            usage.invocations += 1;
            let billed = (ms(integration).ceil() as u64).max(1);
            usage.billed_ms = usage.billed_ms.saturating_add(billed);
        }
        usage.max_latency_ms = usage.max_latency_ms.max(latency_ms);
        route
            .second(t.as_secs())
            .add(record.status, latency_ms as f32, sample);

        self.last_seq += 1;
        if self.tail.len() == TAIL_KEPT {
            self.tail.pop_front();
        }
        self.tail.push_back(TailEntry {
            seq: self.last_seq,
            time_ms: t.as_millis() as u64,
            request_id: record.request_id,
            id: record.id,
            method: record.method,
            path: record.path,
            status: record.status,
            latency_ms,
            error: record.error,
        });
    }

    fn next_random(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }
}

impl RouteState {
    /// The second `t`, made if missing; records arrive nearly in order, so it is found from
    /// the back.
    fn second(&mut self, t: u64) -> &mut Second {
        let at = self.seconds.iter().rposition(|s| s.t <= t);
        let index = match at {
            Some(i) if self.seconds[i].t == t => i,
            Some(i) => i + 1,
            None => 0,
        };
        if self.seconds.get(index).is_none_or(|s| s.t != t) {
            let second = Second {
                t,
                totals: Totals::default(),
                latencies_ms: Vec::new(),
                point: None,
            };
            self.seconds.insert(index, second);
        }
        &mut self.seconds[index]
    }
}

impl RouteState {
    /// The seconds after `from`, up to `now`, as one point at `now`.
    fn since(&self, from: u64, now: u64) -> Point {
        let mut totals = Totals::default();
        let mut latencies = Vec::new();
        for second in self.seconds.iter().filter(|s| s.t > from) {
            totals.requests += second.totals.requests;
            totals.errors_4xx += second.totals.errors_4xx;
            totals.errors_5xx += second.totals.errors_5xx;
            latencies.extend_from_slice(&second.latencies_ms);
        }
        summary(now, totals, latencies)
    }
}

/// A point with the percentiles of `latencies`.
fn summary(t: u64, totals: Totals, mut latencies: Vec<f32>) -> Point {
    latencies.sort_by(f32::total_cmp);
    Point {
        t,
        totals,
        p50_ms: percentile(&latencies, 0.50),
        p90_ms: percentile(&latencies, 0.90),
        p99_ms: percentile(&latencies, 0.99),
    }
}

impl Second {
    /// Counts one request; its latency is kept, or (beyond [`SAMPLES_PER_SECOND`]) replaces
    /// a kept one with the probability that keeps the sample uniform.
    fn add(&mut self, status: u16, latency_ms: f32, random: u64) {
        self.point = None;
        self.totals.add(status);
        if self.latencies_ms.len() < SAMPLES_PER_SECOND {
            self.latencies_ms.push(latency_ms);
        } else {
            let slot = (random % self.totals.requests) as usize;
            if let Some(kept) = self.latencies_ms.get_mut(slot) {
                *kept = latency_ms;
            }
        }
    }

    fn point(&mut self) -> Point {
        *self
            .point
            .get_or_insert_with(|| summary(self.t, self.totals, self.latencies_ms.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(route: &str) -> RouteId {
        RouteId {
            target: Target::http_api("shop"),
            stage: "$default".into(),
            route: route.into(),
        }
    }

    fn record(route: &str, status: u16, latency_ms: u64, at: SystemTime) -> Record {
        Record {
            id: id(route),
            request_id: format!("r-{route}-{latency_ms}"),
            received: at,
            method: "GET".into(),
            path: "/x".into(),
            status,
            latency: Duration::from_millis(latency_ms),
            integration: Some(Duration::from_micros(latency_ms * 1000 - 300)),
            function: Some(FunctionUse {
                name: "f".into(),
                memory_mb: 256,
            }),
            request_bytes: latency_ms,
            response_bytes: Some(10),
            error: None,
        }
    }

    #[test]
    fn declared_routes_are_listed_before_traffic() {
        let o = Observatory::new(vec![Declared {
            id: id("GET /a"),
            url: Some("http://x/a".into()),
            function: None,
        }]);
        let traffic = o.traffic();
        assert_eq!(traffic.routes.len(), 1);
        assert_eq!(traffic.routes[0].totals, Totals::default());
        assert!(o.usage().routes.is_empty(), "no traffic, no usage");
    }

    #[test]
    fn seconds_count_requests_errors_and_percentiles() {
        let o = Observatory::new(Vec::new());
        let now = SystemTime::now();
        for latency in 1..=100 {
            let status = match latency {
                1..=3 => 404,
                4 => 502,
                _ => 200,
            };
            o.record(record("GET /a", status, latency, now));
        }
        o.record(record("GET /a", 200, 7, now - Duration::from_secs(2)));
        let traffic = o.traffic();
        let route = &traffic.routes[0];
        assert_eq!(
            route.totals,
            Totals {
                requests: 101,
                errors_4xx: 3,
                errors_5xx: 1
            }
        );
        assert_eq!(route.points.len(), 2, "two seconds with traffic");
        assert!(route.points[0].t < route.points[1].t, "oldest first");
        let last = &route.points[1];
        assert_eq!(last.totals.requests, 100);
        assert_eq!((last.p50_ms, last.p90_ms, last.p99_ms), (50.0, 90.0, 99.0));
        // The last minute: both seconds' requests, percentiles over all their latencies
        // (1..=100 and another 7: the 51st of the 101 is 50).
        let minute = &route.last_minute;
        assert_eq!(minute.totals.requests, 101);
        assert_eq!(minute.totals.errors_4xx, 3);
        assert_eq!((minute.p50_ms, minute.p99_ms), (50.0, 99.0));
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.0);
    }

    #[test]
    fn a_late_record_updates_its_seconds_point() {
        let o = Observatory::new(Vec::new());
        let past = SystemTime::now() - Duration::from_secs(2);
        o.record(record("GET /a", 200, 4, past));
        assert_eq!(o.traffic().routes[0].points[0].p99_ms, 4.0);
        // A slow request of that second, recorded after its point was made.
        o.record(record("GET /a", 200, 40, past));
        let traffic = o.traffic();
        let point = &traffic.routes[0].points[0];
        assert_eq!((point.totals.requests, point.p99_ms), (2, 40.0));
    }

    #[test]
    fn the_last_minute_leaves_older_seconds_out() {
        let o = Observatory::new(Vec::new());
        let now = SystemTime::now();
        o.record(record(
            "GET /a",
            500,
            90,
            now - Duration::from_secs(LAST_MINUTE + 2),
        ));
        o.record(record("GET /a", 200, 3, now));
        let traffic = o.traffic();
        let minute = &traffic.routes[0].last_minute;
        assert_eq!(minute.totals.requests, 1);
        assert_eq!(minute.totals.errors_5xx, 0);
        assert_eq!(minute.p99_ms, 3.0);
    }

    #[test]
    fn old_seconds_leave_the_window() {
        let o = Observatory::new(Vec::new());
        let old = SystemTime::now() - Duration::from_secs(WINDOW_SECONDS + 5);
        o.record(record("GET /a", 200, 5, old));
        let route = &o.traffic().routes[0];
        assert_eq!(route.totals.requests, 1, "totals stay");
        assert!(route.points.is_empty(), "the second is gone");
    }

    #[test]
    fn usage_sums_payloads_and_billed_milliseconds() {
        let o = Observatory::new(Vec::new());
        let now = SystemTime::now();
        o.record(record("GET /a", 200, 5, now));
        o.record(record("GET /a", 200, 12, now));
        let usage = o.usage();
        let route = &usage.routes[0];
        assert_eq!(route.requests, 2);
        assert_eq!((route.request_bytes, route.max_request_bytes), (17, 12));
        assert_eq!((route.response_bytes, route.max_response_bytes), (20, 10));
        // 4.7 ms → 5, 11.7 ms → 12.
        assert_eq!(route.billed_ms, 17);
        assert_eq!(route.max_latency_ms, 12.0);
        assert_eq!(route.function.as_deref(), Some("f"));
        assert_eq!(route.memory_mb, Some(256));
    }

    #[test]
    fn the_tail_pages_from_a_sequence_number_and_keeps_the_newest() {
        let o = Observatory::new(Vec::new());
        let now = SystemTime::now();
        for i in 0..(TAIL_KEPT as u64 + 10) {
            o.record(record("GET /a", 200, i + 1, now));
        }
        let first = o.tail(0);
        assert_eq!(first.entries.len(), TAIL_PAGE);
        assert_eq!(first.entries[0].seq, 11, "the oldest ten are gone");
        assert_eq!(first.next, 10 + TAIL_PAGE as u64);
        let rest = o.tail(TAIL_KEPT as u64 + 5);
        assert_eq!(rest.entries.len(), 5);
        assert_eq!(rest.next, TAIL_KEPT as u64 + 10);
        let none = o.tail(rest.next);
        assert!(none.entries.is_empty());
        assert_eq!(none.next, rest.next);
        // A reader ahead of this observatory saw one before a restart: it gets all.
        let restarted = o.tail(rest.next + 500);
        assert_eq!(restarted.entries[0].seq, 11);
    }

    #[test]
    fn a_busy_second_keeps_a_bounded_sample() {
        let o = Observatory::new(Vec::new());
        let now = SystemTime::now();
        for _ in 0..5_000 {
            o.record(record("GET /a", 200, 3, now));
        }
        let state = o.folded();
        let second = &state.routes[&id("GET /a")].seconds[0];
        assert_eq!(second.totals.requests, 5_000);
        assert_eq!(second.latencies_ms.len(), SAMPLES_PER_SECOND);
    }
}

//! Observability: the admin listener (/metrics in the Prometheus text format after known
//! traffic, exact counts per door, stage and route, and per function; /healthz, /readyz,
//! /routes), EMF log lines as metrics, and trace ids carried on to functions.

use crate::harness::Portico;

/// The text of `p`'s /metrics.
pub(crate) async fn scrape(p: &Portico) -> String {
    let admin = p.admin.expect("the admin listener's address is printed");
    reqwest::get(format!("http://{admin}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The value of `name` on the line whose labels include every one of `labels`.
pub(crate) fn metric(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .find(|l| {
            labels
                .iter()
                .all(|(k, v)| l.contains(&format!("{k}=\"{v}\"")))
        })
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

/// A Function URL, an HTTP API with a working and a failing route, and a REST API.
const SHOP_AND_PETS: &str = r#"
functions:
  echo: {runtime: python3.12, handler: app.echo_proxy, code: "@fixtures/python", url: {}, memory: 512}
  fail: {runtime: python3.12, handler: app.fail, code: "@fixtures/python"}
apis:
  shop:
    protocol: http
    routes:
      GET /items: {function: echo}
      GET /broken: {function: fail}
  pets:
    protocol: rest
    routes:
      GET /pets/{id}: {function: echo}
"#;

#[tokio::test]
async fn metrics_count_known_traffic_per_route_and_function() {
    let p = Portico::start(SHOP_AND_PETS);
    let admin = p.admin.expect("the admin listener's address is printed");
    let get = |url: String| async move { reqwest::get(url).await.unwrap() };
    for _ in 0..3 {
        assert_eq!(p.api_get("shop/items").await.status(), 200);
    }
    assert_eq!(p.api_get("shop/nowhere").await.status(), 404);
    assert_eq!(p.api_get("shop/broken").await.status(), 500);
    for id in [1, 2] {
        assert_eq!(
            p.api_get(&format!("pets/prod/pets/{id}")).await.status(),
            200
        );
    }
    assert_eq!(p.get("echo", "/x").await.status(), 200);
    // The last invocation's REPORT means every invocation was recorded.
    p.wait_for_lines("REPORT RequestId", 7);

    let text = get(format!("http://{admin}/metrics"))
        .await
        .text()
        .await
        .unwrap();
    let count = |name: &str, labels: &[(&str, &str)]| metric(&text, name, labels);
    let items = [
        ("target", "api:shop"),
        ("stage", "$default"),
        ("route", "GET /items"),
    ];
    assert_eq!(count("portico_requests_total", &items), Some(3.0), "{text}");
    assert_eq!(count("portico_4xx_errors_total", &items), None);
    // No route, but the stage is known.
    let nowhere = [("target", "api:shop"), ("stage", "$default"), ("route", "")];
    assert_eq!(count("portico_4xx_errors_total", &nowhere), Some(1.0));
    let broken = [("target", "api:shop"), ("route", "GET /broken")];
    assert_eq!(count("portico_5xx_errors_total", &broken), Some(1.0));
    let pets = [
        ("target", "rest:pets"),
        ("stage", "prod"),
        ("route", "GET /pets/{id}"),
    ];
    assert_eq!(count("portico_requests_total", &pets), Some(2.0));
    assert_eq!(
        count("portico_requests_total", &[("target", "url:echo")]),
        Some(1.0)
    );
    // Latencies are histograms: every request falls in the +Inf bucket.
    assert_eq!(count("portico_latency_seconds_count", &items), Some(3.0));
    let all = [items[0], items[1], items[2], ("le", "+Inf")];
    assert_eq!(count("portico_latency_seconds_bucket", &all), Some(3.0));
    assert_eq!(
        count("portico_integration_latency_seconds_count", &items),
        Some(3.0)
    );
    // Per function, as Lambda publishes them.
    let echo = [("function", "echo")];
    assert_eq!(
        count("portico_function_invocations_total", &echo),
        Some(6.0)
    );
    assert_eq!(
        count("portico_function_cold_starts_total", &echo),
        Some(1.0)
    );
    assert_eq!(
        count("portico_function_concurrent_executions", &echo),
        Some(0.0)
    );
    assert_eq!(
        count("portico_function_duration_seconds_count", &echo),
        Some(6.0)
    );
    let fail = [("function", "fail")];
    assert_eq!(count("portico_function_errors_total", &fail), Some(1.0));
    assert_eq!(count("portico_function_errors_total", &echo), None);

    for path in ["/healthz", "/readyz"] {
        let answer = get(format!("http://{admin}{path}")).await;
        assert_eq!(answer.status(), 200, "{path}");
    }
    let routes: serde_json::Value = get(format!("http://{admin}/routes"))
        .await
        .json()
        .await
        .unwrap();
    let urls: Vec<&str> = routes
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["url"].as_str())
        .collect();
    assert!(
        urls.iter()
            .any(|u| u.ends_with("/execute-api/pets/prod/pets/{id}")),
        "{urls:?}"
    );
    assert_eq!(get(format!("http://{admin}/nope")).await.status(), 404);
}

#[tokio::test]
async fn embedded_metric_format_lines_become_metrics() {
    let p = Portico::start(
        r#"
functions:
  emf: {runtime: python3.12, handler: app.emf, code: "@fixtures/python", url: {}}
"#,
    );
    let admin = p.admin.expect("the admin listener's address is printed");
    for _ in 0..2 {
        assert_eq!(p.get("emf", "/").await.status(), 200);
    }
    // The broken document comes after the good one on the same output: once both broken
    // ones are logged, every document has been read (and recorded, before it is logged).
    p.wait_for_lines(r#""Name": "gone""#, 2);
    let text = reqwest::get(format!("http://{admin}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let labels = [
        ("function", "emf"),
        ("unit", "Milliseconds"),
        ("functionVersion", "$LATEST"),
    ];
    let value = |name: &str| metric(&text, name, &labels);
    assert_eq!(
        value("emf_lambda_function_metrics_time"),
        Some(100.0),
        "{text}"
    );
    assert_eq!(value("emf_lambda_function_metrics_time_sum"), Some(200.0));
    assert_eq!(value("emf_lambda_function_metrics_time_count"), Some(2.0));
    // The broken documents are counted, and still logged as lines (above).
    assert_eq!(
        metric(&text, "portico_emf_invalid_total", &[("function", "emf")]),
        Some(2.0)
    );
}

#[tokio::test]
async fn trace_ids_are_carried_on_to_functions() {
    let p = Portico::start(
        r#"
functions:
  traced: {runtime: nodejs20.x, handler: async.context, code: "@fixtures/node", url: {}}
"#,
    );
    let url = p.url("traced", "/");
    let trace_of = |header: Option<(&'static str, &'static str)>| {
        let mut request = p.client().get(&url);
        if let Some((name, value)) = header {
            request = request.header(name, value);
        }
        async move {
            let context: serde_json::Value = request.send().await.unwrap().json().await.unwrap();
            context["traceId"].as_str().unwrap().to_string()
        }
    };
    let amzn = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    assert_eq!(trace_of(Some(("x-amzn-trace-id", amzn))).await, amzn);
    assert_eq!(
        trace_of(Some((
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        )))
        .await,
        "Root=1-4bf92f35-77b34da6a3ce929d0e0e4736;Parent=00f067aa0ba902b7;Sampled=1"
    );
    // Without one, a new root.
    let fresh = trace_of(None).await;
    assert!(fresh.starts_with("Root=1-") && fresh != amzn, "{fresh}");
}

#[tokio::test]
async fn stage_access_logs_follow_their_format() {
    let p = Portico::start(
        r#"
functions:
  echo: {runtime: python3.12, handler: app.echo_proxy, code: "@fixtures/python"}
apis:
  shop:
    protocol: http
    stages:
      prod:
        access_log:
          format: '{"requestId":"$context.requestId","route":"$context.routeKey","status":"$context.status","ip":"$context.identity.sourceIp","error":"$context.error.message"}'
    routes:
      GET /items: {function: echo}
"#,
    );
    let answered = p.api_get("shop/prod/items").await;
    assert_eq!(answered.status(), 200);
    let id = answered.headers()["apigw-requestid"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(p.api_get("shop/prod/nowhere").await.status(), 404);
    let lines = p.wait_for_lines(r#"{"requestId":"#, 2);
    let first: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(
        first,
        serde_json::json!({"requestId": id, "route": "GET /items", "status": "200", "ip": "127.0.0.1", "error": "-"})
    );
    let second: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
    assert_eq!(
        (second["status"].as_str(), second["route"].as_str()),
        (Some("404"), Some("-"))
    );
}

/// `GET` `path` on `p`'s admin listener, as JSON.
pub(crate) async fn admin_json(p: &Portico, path: &str) -> serde_json::Value {
    let admin = p.admin.expect("the admin listener's address is printed");
    let answer = reqwest::get(format!("http://{admin}{path}")).await.unwrap();
    assert_eq!(answer.status(), 200, "{path}");
    answer.json().await.unwrap()
}

/// The entry of `list` whose `key` fields are `values`.
pub(crate) fn find<'a>(list: &'a serde_json::Value, key: &[(&str, &str)]) -> &'a serde_json::Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|r| key.iter().all(|(k, v)| r[*k] == *v))
        .unwrap_or_else(|| panic!("no {key:?} in {list:#}"))
}

#[tokio::test]
async fn the_dashboard_api_reports_traffic_the_tail_usage_and_instances() {
    let p = Portico::start(SHOP_AND_PETS);
    let items = [
        ("target", "api:shop"),
        ("stage", "$default"),
        ("route", "GET /items"),
    ];
    let pets = [
        ("target", "rest:pets"),
        ("stage", "prod"),
        ("route", "GET /pets/{id}"),
    ];
    // Every route of the config is listed before any traffic.
    let before = admin_json(&p, "/api/traffic").await;
    let listed = find(&before["routes"], &pets);
    assert_eq!(listed["totals"]["requests"], 0);
    assert!(
        listed["url"]
            .as_str()
            .unwrap()
            .ends_with("/execute-api/pets/prod/pets/{id}")
    );
    find(&before["routes"], &[("target", "url:echo")]);
    find(
        &before["routes"],
        &[("target", "lambda"), ("route", "fail")],
    );

    let mut ids = Vec::new();
    for _ in 0..3 {
        let answer = p.api_get("shop/items").await;
        assert_eq!(answer.status(), 200);
        ids.push(
            answer.headers()["apigw-requestid"]
                .to_str()
                .unwrap()
                .to_string(),
        );
    }
    assert_eq!(p.api_get("shop/nowhere").await.status(), 404);
    assert_eq!(p.api_get("shop/broken").await.status(), 500);
    let posted = p
        .client()
        .post(p.url("echo", "/upload"))
        .body("x".repeat(1000))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 200);
    let posted_id = posted.headers()["x-amzn-requestid"]
        .to_str()
        .unwrap()
        .to_string();
    let posted_len = posted.bytes().await.unwrap().len() as u64;

    let traffic = admin_json(&p, "/api/traffic").await;
    let route = find(&traffic["routes"], &items);
    assert_eq!(route["totals"]["requests"], 3, "{traffic:#}");
    assert_eq!(route["totals"]["errors_4xx"], 0);
    let points = route["points"].as_array().unwrap();
    let counted: u64 = points.iter().map(|p| p["requests"].as_u64().unwrap()).sum();
    assert_eq!(counted, 3, "every request is in a second of the window");
    assert!(points.iter().all(|p| p["p50_ms"].as_f64().unwrap() > 0.0));
    let nowhere = find(&traffic["routes"], &[("target", "api:shop"), ("route", "")]);
    assert_eq!(nowhere["totals"]["errors_4xx"], 1);
    let broken = find(&traffic["routes"], &[("route", "GET /broken")]);
    assert_eq!(broken["totals"]["errors_5xx"], 1);

    // The tail: every request, oldest first, with the id its client was answered with.
    let tail = admin_json(&p, "/api/tail?after=0").await;
    let entries = tail["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 6, "{tail:#}");
    let tail_ids: Vec<&str> = entries
        .iter()
        .map(|e| e["request_id"].as_str().unwrap())
        .collect();
    assert_eq!(&tail_ids[..3], &ids[..]);
    assert_eq!(tail_ids[5], posted_id);
    assert_eq!(entries[3]["status"], 404);
    assert_eq!(entries[5]["method"], "POST");
    assert_eq!(entries[5]["path"], "/upload");
    let next = tail["next"].as_u64().unwrap();
    let newer = admin_json(&p, &format!("/api/tail?after={next}")).await;
    assert_eq!(newer["entries"].as_array().unwrap().len(), 0);
    assert_eq!(newer["next"], next);

    // Usage, for the cost lens: payloads, billed milliseconds and the function's memory.
    let usage = admin_json(&p, "/usage").await;
    let url = find(&usage["routes"], &[("target", "url:echo")]);
    assert_eq!(url["requests"], 1);
    assert_eq!(url["request_bytes"], 1000);
    assert_eq!(url["response_bytes"], posted_len);
    assert_eq!(url["function"], "echo");
    assert_eq!(url["memory_mb"], 512);
    assert!(url["billed_ms"].as_u64().unwrap() >= 1);
    assert!(usage["window_seconds"].as_f64().unwrap() > 0.0);
    assert!(
        usage["routes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["target"] != "rest:pets"),
        "routes without traffic use nothing"
    );

    // Instances: the last REPORT means every instance has finished its invocations.
    p.wait_for_lines("REPORT RequestId", 5);
    let functions = admin_json(&p, "/api/functions").await;
    let echo = find(&functions, &[("name", "echo")]);
    assert_eq!(echo["invocations"], 4);
    assert_eq!(echo["cold_starts"], 1);
    assert_eq!(echo["instances"], 1);
    assert_eq!(echo["busy"], 0);
    let fail = find(&functions, &[("name", "fail")]);
    assert_eq!(fail["invocations"], 1);

    let admin = p.admin.unwrap();
    let bad = reqwest::get(format!("http://{admin}/api/tail?after=soon"))
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("after=soon"));
}

#[tokio::test(flavor = "multi_thread")]
async fn readyz_turns_to_draining_while_in_flight_requests_finish() {
    let p = Portico::start(
        "functions:\n  gate: {runtime: python3.12, handler: app.wait_at_gate, code: \"@fixtures/python\", timeout: 300}\n",
    );
    let admin = p.admin.expect("the admin listener's address is printed");
    let status = |path: &'static str| async move {
        reqwest::get(format!("http://{admin}{path}"))
            .await
            .unwrap()
            .status()
    };
    assert_eq!(status("/readyz").await, 200);
    let gate = crate::harness::Gate::new().await;
    let payload = format!(r#"{{"gate": "{}"}}"#, gate.addr);
    let request = p.client().post(p.invoke_url("gate")).body(payload).send();
    let in_flight = tokio::spawn(request);
    let waiting = gate.arrival().await;
    p.press_ctrl_c();
    p.wait_for_log("waiting for in-flight requests");
    assert_eq!(status("/readyz").await, 503);
    assert_eq!(status("/healthz").await, 200, "alive, though draining");
    drop(waiting);
    let finished = in_flight.await.unwrap().unwrap();
    assert_eq!(finished.status(), 200);
    let exit = tokio::task::spawn_blocking(move || p.interrupt());
    assert!(exit.await.unwrap().success());
}

#[tokio::test]
async fn request_spans_are_exported_to_an_otlp_collector() {
    let mut collector = crate::harness::Helper::start("otlp_collector.py", &[]);
    let endpoint = collector.ready.trim().to_string();
    let p = Portico::start(&format!(
        r#"
tracing: {{otlp_endpoint: "{endpoint}", service_name: shop-local}}
functions:
  echo: {{runtime: python3.12, handler: app.echo_proxy, code: "@fixtures/python"}}
  fail: {{runtime: python3.12, handler: app.fail, code: "@fixtures/python"}}
apis:
  shop:
    protocol: http
    routes:
      GET /items: {{function: echo}}
      GET /broken: {{function: fail}}
"#
    ));
    assert!(
        p.banner.contains(&format!("OTLP to {endpoint}/v1/traces")),
        "{}",
        p.banner
    );
    let traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    let answer = p
        .client()
        .get(format!("http://{}/execute-api/shop/items", p.addr))
        .header("traceparent", traceparent)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let spans: serde_json::Value = serde_json::from_str(&collector.ask("spans 6")).unwrap();
    let spans = spans.as_array().unwrap();
    let names: Vec<&str> = spans.iter().map(|s| s["name"].as_str().unwrap()).collect();
    let span = |name: &str| {
        spans
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no {name} span in {names:?}"))
    };
    let root = span("GET /items");
    // One trace, the client's; the request span is the child of the client's span.
    assert!(
        spans
            .iter()
            .all(|s| s["trace_id"] == "0af7651916cd43dd8448eb211c80319c")
    );
    assert_eq!(root["parent_span_id"], "b7ad6b7169203331");
    assert_eq!(root["kind"], 2, "server");
    assert_eq!(root["service"], "shop-local");
    assert_eq!(root["path"], "/v1/traces");
    assert_eq!(root["content_type"], "application/x-protobuf");
    assert_eq!(root["attributes"]["http.route"], "GET /items");
    assert_eq!(root["attributes"]["http.response.status_code"], 200);
    assert_eq!(root["attributes"]["portico.target"], "api:shop");
    assert_eq!(root["status"], 0, "unset");
    // The phases are the request's children, within it; the invocation is integrate's.
    for phase in ["authorize", "validate", "map", "integrate"] {
        let child = span(phase);
        assert_eq!(child["parent_span_id"], root["span_id"], "{phase}");
        let time = |span: &serde_json::Value, at: &str| span[at].as_u64().unwrap();
        assert!(time(child, "start") >= time(root, "start"), "{phase}");
        assert!(time(child, "end") <= time(root, "end"), "{phase}");
        assert!(time(child, "start") <= time(child, "end"), "{phase}");
    }
    let invoke = span("invoke echo");
    assert_eq!(invoke["parent_span_id"], span("integrate")["span_id"]);
    assert_eq!(invoke["kind"], 3, "client");
    assert_eq!(invoke["attributes"]["faas.invoked_name"], "echo");

    // A failed request's span says so; without a traceparent, a trace of its own.
    assert_eq!(p.api_get("shop/broken").await.status(), 500);
    let spans: serde_json::Value = serde_json::from_str(&collector.ask("spans 12")).unwrap();
    let broken = spans
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "GET /broken")
        .expect("the failed request's span");
    assert_eq!(broken["status"], 2, "error");
    assert_eq!(broken["parent_span_id"], "", "a root span");
    assert_ne!(broken["trace_id"], "0af7651916cd43dd8448eb211c80319c");
}

#[tokio::test]
async fn a_collector_that_refuses_spans_does_not_stop_the_requests() {
    let mut collector = crate::harness::Helper::start("otlp_collector.py", &[]);
    assert_eq!(collector.ask("status 503"), "ok");
    let endpoint = collector.ready.trim().to_string();
    let p = Portico::start_with(
        "functions:\n  echo: {runtime: python3.12, handler: app.echo_proxy, code: \"@fixtures/python\", url: {}}\n",
        &["--otlp-endpoint", &endpoint],
    );
    for _ in 0..3 {
        assert_eq!(p.get("echo", "/").await.status(), 200);
    }
    let warning = p.wait_for_log("cannot export spans");
    assert!(
        warning.contains("dropped until the collector answers"),
        "{warning}"
    );
    // A later export is refused too (the exporter may retry each), and not said again.
    let before: u32 = collector.ask("posts 1").parse().unwrap();
    assert_eq!(p.get("echo", "/").await.status(), 200);
    let after: u32 = collector
        .ask(&format!("posts {}", before + 1))
        .parse()
        .unwrap();
    assert!(after > before, "{before} then {after} exports");
    assert_eq!(p.logs().matches("cannot export spans").count(), 1);
}

#[tokio::test]
async fn made_up_names_are_counted_under_one_target() {
    let p = Portico::start(SHOP_AND_PETS);
    for i in 0..20 {
        let url = p.url(&format!("nobody{i}"), "/");
        // No such Function URL: 403, as AWS answers.
        assert_eq!(p.client().get(url).send().await.unwrap().status(), 403);
        assert_eq!(p.api_get(&format!("noapi{i}/x")).await.status(), 404);
    }
    let traffic = admin_json(&p, "/api/traffic").await;
    let targets: Vec<&str> = traffic["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["target"].as_str().unwrap())
        .collect();
    assert!(
        targets
            .iter()
            .all(|t| !t.contains("nobody") && !t.contains("noapi")),
        "{targets:?}"
    );
    assert_eq!(
        find(&traffic["routes"], &[("target", "url:-")])["totals"]["errors_4xx"],
        20
    );
    assert_eq!(
        find(&traffic["routes"], &[("target", "api:-")])["totals"]["errors_4xx"],
        20
    );
    let text = scrape(&p).await;
    assert!(
        !text.contains("nobody") && !text.contains("noapi"),
        "{text}"
    );
    assert_eq!(
        metric(&text, "portico_4xx_errors_total", &[("target", "url:-")]),
        Some(20.0)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn spans_waiting_when_portico_stops_still_reach_the_collector() {
    let mut collector = crate::harness::Helper::start("otlp_collector.py", &[]);
    let endpoint = collector.ready.trim().to_string();
    let p = Portico::start_with(
        "functions:\n  echo: {runtime: python3.12, handler: app.echo_proxy, code: \"@fixtures/python\", url: {}}\n",
        &["--otlp-endpoint", &endpoint],
    );
    assert_eq!(p.get("echo", "/").await.status(), 200);
    // Stopped at once: the spans were still gathering for their batch.
    let status = tokio::task::spawn_blocking(move || p.interrupt())
        .await
        .unwrap();
    assert!(status.success());
    let spans: serde_json::Value = serde_json::from_str(&collector.ask("spans 1")).unwrap();
    let names: Vec<&str> = spans
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"GET"), "{names:?}");
    assert!(names.contains(&"invoke echo"), "{names:?}");
}

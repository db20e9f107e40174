//! The runtimes: Portico's bootstraps for Python and Node, and AWS's own Python runtime
//! client (`awslambdaric` from PyPI) speaking to Portico's Runtime API.

use serde_json::{Value, json};

use crate::harness::Portico;

async fn payload(p: &Portico, function: &str, event: &str) -> (Option<String>, Value) {
    let response = p.invoke(function, event, &[]).await;
    assert_eq!(response.status(), 200, "{function}");
    let error = response
        .headers()
        .get("x-amz-function-error")
        .map(|v| v.to_str().unwrap().to_string());
    (error, response.json().await.unwrap())
}

#[tokio::test]
async fn awslambdaric_runs_the_same_handler_as_the_bootstrap() {
    let p = Portico::start(
        r#"
functions:
  ric:
    runtime: provided
    code: "@fixtures/python"
    handler: app.echo
    command: ["@python", "-m", "awslambdaric", "app.echo"]
  ricfail:
    runtime: provided
    code: "@fixtures/python"
    command: ["@python", "-m", "awslambdaric", "app.fail"]
  ours: {runtime: python3.12, handler: app.echo, code: "@fixtures/python"}
"#,
    );
    let event = r#"{"from": "awslambdaric", "n": [1, 2]}"#;
    let (error, ric) = payload(&p, "ric", event).await;
    assert_eq!(error, None);
    assert_eq!(ric, json!({"from": "awslambdaric", "n": [1, 2]}));
    let (_, ours) = payload(&p, "ours", event).await;
    assert_eq!(ric, ours);
    let (error, failed) = payload(&p, "ricfail", "{}").await;
    assert_eq!(error.as_deref(), Some("Unhandled"));
    assert_eq!(failed["errorType"], "ValueError");
    assert_eq!(failed["errorMessage"], "something broke");
}

#[tokio::test]
async fn node_handlers_in_every_style() {
    let p = Portico::start(
        r#"
functions:
  asyncfn: {runtime: nodejs20.x, handler: async.handler, code: "@fixtures/node"}
  callback: {runtime: nodejs20.x, handler: callback.handler, code: "@fixtures/node"}
  esm: {runtime: nodejs22.x, handler: esm.handler, code: "@fixtures/node"}
  fail: {runtime: nodejs20.x, handler: async.fail, code: "@fixtures/node"}
  cbfail: {runtime: nodejs20.x, handler: callback.fail, code: "@fixtures/node"}
  context: {runtime: nodejs20.x, handler: async.context, code: "@fixtures/node", memory: 512}
  missing: {runtime: nodejs20.x, handler: app.handler, code: "@fixtures/node/missing_handler"}
"#,
    );
    let rows = [
        (
            "asyncfn",
            json!({"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": "Hello from Node"}),
        ),
        (
            "callback",
            json!({"statusCode": 200, "body": "called back"}),
        ),
        ("esm", json!({"statusCode": 200, "body": "Hello from ESM"})),
    ];
    for (function, expected) in rows {
        assert_eq!(
            payload(&p, function, "{}").await,
            (None, expected),
            "{function}"
        );
    }
    let (error, body) = payload(&p, "fail", "{}").await;
    assert_eq!(error.as_deref(), Some("Unhandled"));
    assert_eq!(
        (body["errorType"].as_str(), body["errorMessage"].as_str()),
        (Some("TypeError"), Some("bad thing"))
    );
    assert!(body["trace"].is_array());
    let (error, body) = payload(&p, "cbfail", "{}").await;
    assert_eq!(error.as_deref(), Some("Unhandled"));
    assert_eq!(body["errorMessage"], "callback error");
    let (_, ctx) = payload(&p, "context", "{}").await;
    assert_eq!(ctx["functionName"], "context");
    assert_eq!(ctx["memoryLimitInMB"], "512");
    assert_eq!(
        ctx["invokedFunctionArn"],
        "arn:aws:lambda:us-east-1:000000000000:function:context"
    );
    assert!(ctx["remainingTimeInMillis"].as_u64().unwrap() > 0);
    assert!(ctx["traceId"].as_str().unwrap().starts_with("Root=1-"));
    let (error, body) = payload(&p, "missing", "{}").await;
    assert_eq!(error.as_deref(), Some("Unhandled"));
    assert_eq!(body["errorType"], "Runtime.HandlerNotFound");
}

#[tokio::test]
async fn instances_are_reused_while_warm() {
    let p = Portico::start(
        r#"
functions:
  pid: {runtime: python3.12, handler: app.pid, code: "@fixtures/python"}
"#,
    );
    let (_, first) = payload(&p, "pid", "{}").await;
    let (_, second) = payload(&p, "pid", "{}").await;
    assert_eq!(first["pid"], second["pid"]);
    assert_eq!(
        first["pid"], first["pgid"],
        "each instance leads its own process group"
    );
    p.wait_for_lines("REPORT RequestId", 2);
    assert_eq!(p.logs().matches("Init Duration").count(), 1);
}

#[tokio::test]
async fn idle_instances_are_stopped_and_started_again_on_demand() {
    let p = Portico::start(
        r#"
functions:
  pid: {runtime: python3.12, handler: app.pid, code: "@fixtures/python", idle_timeout: 1}
"#,
    );
    let (_, first) = payload(&p, "pid", "{}").await;
    p.wait_for_log("instance stopped after 1s idle");
    let pid = first["pid"].as_i64().unwrap();
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "the idle process is gone"
    );
    let (_, second) = payload(&p, "pid", "{}").await;
    assert_ne!(first["pid"], second["pid"]);
    p.wait_for_lines("REPORT RequestId", 2);
    assert_eq!(p.logs().matches("Init Duration").count(), 2);
}

#[tokio::test]
async fn failed_event_invocations_are_retried_twice() {
    let p = Portico::start_with(
        r#"
functions:
  fail: {runtime: python3.12, handler: app.fail, code: "@fixtures/python"}
"#,
        &["--async-retry-delay", "0"],
    );
    let response = p
        .invoke("fail", "{}", &[("x-amz-invocation-type", "Event")])
        .await;
    assert_eq!(response.status(), 202);
    let request_id = response.headers()["x-amzn-requestid"]
        .to_str()
        .unwrap()
        .to_string();
    p.wait_for_log("after 3 attempts; dropped");
    // Three attempts, all with the caller's request id, two of them retries.
    let starts = p
        .logs()
        .matches(&format!("START RequestId: {request_id}"))
        .count();
    assert_eq!(starts, 3, "{}", p.logs());
    assert_eq!(p.logs().matches("retrying in").count(), 2, "{}", p.logs());
}

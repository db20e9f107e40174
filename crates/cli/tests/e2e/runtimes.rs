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
    assert_eq!(p.logs().matches("Init Duration").count(), 1);
}

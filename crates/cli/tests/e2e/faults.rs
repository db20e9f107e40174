//! Bad input and faults: each answered in AWS's shape, and Portico keeps serving after each.

use serde_json::Value;

use crate::harness::Portico;

const FAULTS: &str = r#"
functions:
  hello: {runtime: python3.12, handler: app.hello, code: "@fixtures/python", url: {}}
  fail: {runtime: python3.12, handler: app.fail, code: "@fixtures/python", url: {}}
  sleep: {runtime: python3.12, handler: app.sleep, code: "@fixtures/python", timeout: 1, url: {}}
  crash: {runtime: python3.12, handler: app.crash, code: "@fixtures/python", url: {}}
  big: {runtime: python3.12, handler: app.big, code: "@fixtures/python", url: {}}
  badinit: {runtime: python3.12, handler: app.handler, code: "@fixtures/python/bad_init", url: {}}
  nodebadinit: {runtime: nodejs20.x, handler: app.handler, code: "@fixtures/node/bad_init"}
  garbage: {runtime: provided, code: "@fixtures/garbage", url: {}}
  slow: {runtime: python3.12, handler: app.sleep, code: "@fixtures/python", timeout: 10, concurrency: 2, url: {}}
"#;

/// The Invoke API answer for `payload`: status, `X-Amz-Function-Error`, body.
async fn invoke(p: &Portico, function: &str, payload: &str) -> (u16, Option<String>, Value) {
    let response = p.invoke(function, payload, &[]).await;
    let status = response.status().as_u16();
    let error = response
        .headers()
        .get("x-amz-function-error")
        .map(|v| v.to_str().unwrap().to_string());
    let body = response.bytes().await.unwrap();
    let body = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into()));
    (status, error, body)
}

async fn still_serves(p: &Portico) {
    let response = p.get("hello", "/").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "Hello from Python");
}

#[tokio::test]
async fn a_function_error_is_a_502_on_the_url_and_unhandled_on_invoke() {
    let p = Portico::start(FAULTS);
    let url = p.get("fail", "/").await;
    assert_eq!(url.status(), 502);
    assert_eq!(url.text().await.unwrap(), "Internal Server Error");
    let (status, error, body) = invoke(&p, "fail", "{}").await;
    assert_eq!((status, error.as_deref()), (200, Some("Unhandled")));
    assert_eq!(body["errorType"], "ValueError");
    assert_eq!(body["errorMessage"], "something broke");
    assert!(
        body["stackTrace"].as_array().is_some_and(|t| !t.is_empty()),
        "{body}"
    );
    still_serves(&p).await;
}

#[tokio::test]
async fn a_hanging_function_is_killed_at_its_timeout() {
    let p = Portico::start(FAULTS);
    let (status, error, body) = invoke(&p, "sleep", r#"{"seconds": 60}"#).await;
    assert_eq!((status, error.as_deref()), (200, Some("Unhandled")));
    assert_eq!(body["errorType"], "Sandbox.Timedout");
    let message = body["errorMessage"].as_str().unwrap();
    assert!(
        message.ends_with("Error: Task timed out after 1.00 seconds"),
        "{message}"
    );
    // The URL gets a 502 too, from a fresh instance: the timed-out one was killed.
    let url = p.get("sleep", "/").await;
    assert_eq!(url.status(), 502);
    p.settle(&url);
    assert_eq!(p.logs().matches("Init Duration").count(), 2, "{}", p.logs());
    still_serves(&p).await;
}

#[tokio::test]
async fn a_crash_is_reported_and_the_instance_replaced() {
    let p = Portico::start(FAULTS);
    let (_, error, body) = invoke(&p, "crash", "{}").await;
    assert_eq!(error.as_deref(), Some("Unhandled"));
    assert_eq!(body["errorType"], "Runtime.ExitError");
    assert!(
        body["errorMessage"]
            .as_str()
            .unwrap()
            .ends_with("Runtime exited with error: exit status 3"),
        "{body}"
    );
    assert_eq!(p.get("crash", "/").await.status(), 502);
    still_serves(&p).await;
}

#[tokio::test]
async fn an_init_failure_reaches_the_invocation_that_started_it() {
    let p = Portico::start(FAULTS);
    let (_, error, body) = invoke(&p, "badinit", "{}").await;
    assert_eq!(error.as_deref(), Some("Unhandled"));
    assert_eq!(body["errorType"], "RuntimeError");
    assert_eq!(body["errorMessage"], "init failed on purpose");
    assert_eq!(p.get("badinit", "/").await.status(), 502);
    let (_, error, body) = invoke(&p, "nodebadinit", "{}").await;
    assert_eq!(error.as_deref(), Some("Unhandled"));
    assert!(body["errorType"].is_string(), "{body}");
    still_serves(&p).await;
}

#[tokio::test]
async fn an_oversized_buffered_response_is_refused() {
    let p = Portico::start(FAULTS);
    let seven_mb = r#"{"bytes": 7340032}"#;
    let (_, error, body) = invoke(&p, "big", seven_mb).await;
    assert_eq!(error.as_deref(), Some("Unhandled"));
    assert_eq!(body["errorType"], "Function.ResponseSizeTooLarge");
    assert_eq!(
        body["errorMessage"],
        "Response payload size exceeded maximum allowed payload size (6291556 bytes)."
    );
    // The instance survived the refusal and answers a small request.
    let (_, error, body) = invoke(&p, "big", r#"{"bytes": 3}"#).await;
    assert_eq!((error, body), (None, Value::String("xxx".into())));
    still_serves(&p).await;
}

#[tokio::test]
async fn a_runtime_posting_garbage_is_refused_and_its_non_json_answer_is_a_502() {
    let p = Portico::start(FAULTS);
    assert_eq!(p.get("garbage", "/").await.status(), 502);
    p.wait_for_log("bogus path -> 404, wrong id -> 400, late init error -> 403");
    p.wait_for_log(
        "extensions: no name -> 400, bad events -> 400, unknown id -> 403, after init -> 403",
    );
    let (status, error, body) = invoke(&p, "garbage", "{}").await;
    // Lambda returns whatever the runtime posted, byte for byte.
    assert_eq!((status, error), (200, None));
    assert_eq!(body, Value::String("this is not json".into()));
    still_serves(&p).await;
}

#[tokio::test]
async fn a_ten_megabyte_body_is_refused_with_413() {
    let p = Portico::start(FAULTS);
    let ten_mb = vec![b'a'; 10 * 1024 * 1024];
    let url = p
        .client()
        .post(p.url("hello", "/"))
        .body(ten_mb.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(url.status(), 413);
    assert_eq!(
        url.headers()["x-amzn-errortype"],
        "RequestTooLargeException"
    );
    let invoke = p
        .client()
        .post(p.invoke_url("hello"))
        .body(ten_mb)
        .send()
        .await
        .unwrap();
    assert_eq!(invoke.status(), 413);
    assert_eq!(
        invoke.headers()["x-amzn-errortype"],
        "RequestTooLargeException"
    );
    let body: Value = invoke.json().await.unwrap();
    assert_eq!(
        body["message"],
        "Request must be smaller than 6291456 bytes for the Invoke operation"
    );
    assert!(
        !p.logs().contains("START RequestId"),
        "no function may run for a refused request"
    );
    still_serves(&p).await;
}

#[tokio::test]
async fn requests_beyond_concurrency_are_throttled_as_lambda_does() {
    let p = Portico::start(FAULTS);
    let requests = (0..200).map(|_| {
        let request = p
            .client()
            .post(p.invoke_url("slow"))
            .body(r#"{"seconds": 0.4}"#)
            .send();
        async move {
            let response = request.await.unwrap();
            let status = response.status().as_u16();
            let kind = response
                .headers()
                .get("x-amzn-errortype")
                .map(|v| v.to_str().unwrap().to_string());
            let body: Value = response.json().await.unwrap();
            (status, kind, body)
        }
    });
    let results = futures_util::future::join_all(requests).await;
    let ok = results
        .iter()
        .filter(|(s, _, b)| *s == 200 && *b == "woke")
        .count();
    let throttled: Vec<_> = results.iter().filter(|(s, _, _)| *s == 429).collect();
    assert_eq!(
        ok + throttled.len(),
        200,
        "every request is answered or throttled"
    );
    assert!(ok >= 2, "the two instances served requests");
    assert!(
        !throttled.is_empty(),
        "200 requests of 0.4 s cannot fit in 2 instances within a second"
    );
    for (_, kind, body) in throttled {
        assert_eq!(kind.as_deref(), Some("TooManyRequestsException"));
        assert_eq!(
            body["Reason"],
            "ReservedFunctionConcurrentInvocationLimitExceeded"
        );
    }
    p.wait_for_lines("REPORT RequestId", ok);
    assert_eq!(
        p.logs().matches("Init Duration").count(),
        2,
        "never more instances than the concurrency"
    );
    still_serves(&p).await;
}

#[tokio::test]
async fn a_function_over_its_memory_is_stopped() {
    let p = Portico::start(
        r#"
functions:
  hello: {runtime: python3.12, handler: app.hello, code: "@fixtures/python", url: {}}
  hog: {runtime: python3.12, handler: app.hog, code: "@fixtures/python", memory: 128, timeout: 30}
"#,
    );
    let (_, error, body) = invoke(&p, "hog", r#"{"mb": 300, "seconds": 20}"#).await;
    assert_eq!(error.as_deref(), Some("Unhandled"));
    assert_eq!(body["errorType"], "Runtime.OutOfMemory");
    // Within its memory, the same function runs to the end.
    let (_, error, body) = invoke(&p, "hog", r#"{"mb": 10, "seconds": 0}"#).await;
    assert_eq!((error, body), (None, Value::from(10 * 1024 * 1024)));
    still_serves(&p).await;
}

#[tokio::test]
async fn the_unbounded_profile_lifts_the_size_limits() {
    let p = Portico::start(
        r#"
limits: unbounded
functions:
  hello: {runtime: python3.12, handler: app.hello, code: "@fixtures/python", url: {}}
  big: {runtime: python3.12, handler: app.big, code: "@fixtures/python"}
"#,
    );
    let (_, error, body) = invoke(&p, "big", r#"{"bytes": 7340032}"#).await;
    assert_eq!(error, None);
    assert_eq!(body.as_str().map(str::len), Some(7_340_032));
    let ten_mb = vec![b'a'; 10 * 1024 * 1024];
    let url = p
        .client()
        .post(p.url("hello", "/"))
        .body(ten_mb)
        .send()
        .await
        .unwrap();
    assert_eq!(url.status(), 200);
}

#[tokio::test]
async fn a_function_that_prints_without_pause_still_answers_and_times_out() {
    let p = Portico::start(
        r#"
functions:
  chatty: {runtime: python3.12, handler: app.chatty, code: "@fixtures/python", timeout: 2}
"#,
    );
    let (_, error, body) = invoke(&p, "chatty", r#"{"then": "return"}"#).await;
    assert_eq!((error, body), (None, Value::String("done".into())));
    let (_, error, body) = invoke(&p, "chatty", r#"{"then": "hang"}"#).await;
    assert_eq!(error.as_deref(), Some("Unhandled"));
    assert_eq!(body["errorType"], "Sandbox.Timedout");
}

#[tokio::test]
async fn output_that_is_not_text_does_not_break_the_function() {
    let p = Portico::start(
        r#"
functions:
  binary: {runtime: python3.12, handler: app.binary_output, code: "@fixtures/python"}
"#,
    );
    for _ in 0..2 {
        let (_, error, body) = invoke(&p, "binary", "{}").await;
        assert_eq!((error, body), (None, Value::String("still here".into())));
    }
    p.wait_for_log("not utf-8: \u{fffd}\u{fffd}");
}

#[tokio::test]
async fn concurrent_init_failures_each_get_the_init_error() {
    let p = Portico::start(
        r#"
functions:
  badinit: {runtime: python3.12, handler: app.handler, code: "@fixtures/python/bad_init", concurrency: 2}
"#,
    );
    let (a, b) = tokio::join!(invoke(&p, "badinit", "{}"), invoke(&p, "badinit", "{}"));
    for (_, error, body) in [a, b] {
        assert_eq!(error.as_deref(), Some("Unhandled"));
        assert_eq!(body["errorType"], "RuntimeError", "{body}");
    }
}

#[tokio::test]
async fn a_caller_that_gives_up_keeps_its_slot_until_the_function_ends() {
    let p = Portico::start(
        r#"
functions:
  slow: {runtime: python3.12, handler: app.sleep, code: "@fixtures/python", concurrency: 1, timeout: 10}
"#,
    );
    // A warm instance, so that the next invocation starts at once, well within the
    // caller's patience.
    let (_, warm, _) = invoke(&p, "slow", r#"{"seconds": 0}"#).await;
    assert_eq!(warm, None);
    let gave_up = p
        .client()
        .post(p.invoke_url("slow"))
        .body(r#"{"seconds": 3}"#)
        .timeout(std::time::Duration::from_millis(300))
        .send()
        .await;
    assert!(gave_up.unwrap_err().is_timeout());
    // The abandoned invocation still runs, so the only slot is taken: Lambda throttles.
    let throttled = p.invoke("slow", r#"{"seconds": 0}"#, &[]).await;
    assert_eq!(throttled.status(), 429);
    p.wait_for_lines("END RequestId", 2);
    let (status, error, body) = invoke(&p, "slow", r#"{"seconds": 0}"#).await;
    assert_eq!(
        (status, error, body),
        (200, None, Value::String("woke".into()))
    );
}

//! Function URLs: the event functions receive, the responses clients get, streaming, CORS.

use serde_json::{Value, json};

use crate::harness::{Gate, Portico};

const PYTHON: &str = r#"
functions:
  hello: {runtime: python3.12, handler: app.hello, code: "@fixtures/python", url: {}}
  echo: {runtime: python3.12, handler: app.echo, code: "@fixtures/python", url: {}}
  raw: {runtime: python3.12, handler: app.body_value, code: "@fixtures/python", url: {}}
  private: {runtime: python3.12, handler: app.hello, code: "@fixtures/python"}
"#;

#[tokio::test]
async fn a_python_function_answers_on_both_url_forms() {
    let p = Portico::start(PYTHON);
    let path_form = p.get("hello", "/any/path").await;
    assert_eq!(path_form.status(), 200);
    assert_eq!(path_form.headers()["content-type"], "text/plain");
    assert!(path_form.headers().contains_key("x-amzn-requestid"));
    assert_eq!(path_form.text().await.unwrap(), "Hello from Python");

    let host_form = p
        .client()
        .get(format!("{}/any/path", p.endpoint()))
        .header(
            "host",
            format!("hello.lambda-url.localhost:{}", p.addr.port()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(host_form.status(), 200);
    assert_eq!(host_form.text().await.unwrap(), "Hello from Python");
}

#[tokio::test]
async fn the_function_receives_the_function_url_event() {
    let p = Portico::start(PYTHON);
    let response = p
        .client()
        .post(p.url("echo", "/items/42?a=1&a=2&b=x%20y"))
        .header("content-type", "application/json")
        .header("cookie", "c1=v1; c2=v2")
        .header("x-multi", "one")
        .header("user-agent", "e2e-test")
        .body(r#"{"k":"v"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let event: Value = response.json().await.unwrap();
    assert_eq!(event["version"], "2.0");
    assert_eq!(event["routeKey"], "$default");
    assert_eq!(event["rawPath"], "/items/42");
    assert_eq!(event["rawQueryString"], "a=1&a=2&b=x%20y");
    assert_eq!(
        event["queryStringParameters"],
        json!({"a": "1,2", "b": "x y"})
    );
    assert_eq!(event["cookies"], json!(["c1=v1", "c2=v2"]));
    assert_eq!(event["headers"]["x-multi"], "one");
    assert_eq!(event["headers"]["x-forwarded-proto"], "http");
    assert_eq!(event["headers"]["x-forwarded-for"], "127.0.0.1");
    assert!(event["headers"].get("cookie").is_none());
    assert_eq!(event["body"], r#"{"k":"v"}"#);
    assert_eq!(event["isBase64Encoded"], false);
    let ctx = &event["requestContext"];
    assert_eq!(ctx["http"]["method"], "POST");
    assert_eq!(ctx["http"]["path"], "/items/42");
    assert_eq!(ctx["http"]["sourceIp"], "127.0.0.1");
    assert_eq!(ctx["http"]["userAgent"], "e2e-test");
    assert_eq!(ctx["stage"], "$default");
    assert_eq!(ctx["apiId"], "echo");
    assert_eq!(ctx["requestId"].as_str().unwrap().len(), 36);
    assert!(ctx["timeEpoch"].as_u64().unwrap() > 1_600_000_000_000);

    let binary = p
        .client()
        .post(p.url("echo", "/"))
        .header("content-type", "application/octet-stream")
        .body(vec![0u8, 255, 1])
        .send()
        .await
        .unwrap();
    let event: Value = binary.json().await.unwrap();
    assert_eq!(event["body"], "AP8B");
    assert_eq!(event["isBase64Encoded"], true);
}

#[tokio::test]
async fn bare_results_are_inferred_as_json_bodies() {
    let p = Portico::start(PYTHON);
    let rows: &[(Value, &str)] = &[
        (json!("hello"), "hello"),
        (json!(3), "3"),
        (json!(["a", 1, true]), r#"["a",1,true]"#),
        (json!({"hello": "world"}), r#"{"hello":"world"}"#),
        (json!({"statusCode": 418, "body": "teapot"}), "teapot"),
        // Framing headers are the listener's, whatever the function says.
        (
            json!({"statusCode": 200, "headers": {"content-length": "999", "connection": "close"}, "body": "framed"}),
            "framed",
        ),
    ];
    for (value, body) in rows {
        let response = p
            .client()
            .post(p.url("raw", "/"))
            .header("content-type", "application/json")
            .body(json!({"value": value}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            if *body == "teapot" { 418 } else { 200 },
            "{value}"
        );
        assert_eq!(
            response.headers()["content-type"],
            "application/json",
            "{value}"
        );
        assert_eq!(response.text().await.unwrap(), *body, "{value}");
    }
}

#[tokio::test]
async fn a_function_without_a_url_is_forbidden() {
    let p = Portico::start(PYTHON);
    let response = p.get("private", "/").await;
    assert_eq!(response.status(), 403);
    assert_eq!(
        response.headers()["x-amzn-errortype"],
        "AccessDeniedException"
    );
    let body: Value = response.json().await.unwrap();
    assert!(body["Message"].as_str().unwrap().contains("`private`"));
    assert_eq!(p.get("nosuch", "/").await.status(), 403);
    let unknown = p
        .client()
        .get(format!("{}/elsewhere", p.endpoint()))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn a_rust_lambda_http_function_answers() {
    let p = Portico::start(
        r#"
functions:
  rust: {runtime: provided.al2023, code: "@fixtures/rust-hello", command: ["@rust-hello"], url: {}}
"#,
    );
    let response = p.get("rust", "/?name=Ferris").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/plain");
    assert_eq!(response.text().await.unwrap(), "Hello, Ferris!");
}

/// Reads the first chunk, opens the gate, then reads the rest: the first chunk arrived while
/// the function was still waiting at the gate, so it was streamed, not buffered.
async fn assert_streams(p: &Portico, function: &str, status: u16) -> reqwest::Response {
    let gate = Gate::new().await;
    let mut response = p.get(function, &format!("/?gate={}", gate.addr)).await;
    assert_eq!(response.status(), status);
    let first = response.chunk().await.unwrap().unwrap();
    assert_eq!(&first[..], b"first\n");
    gate.open().await;
    assert_eq!(crate::harness::rest_of(&mut response).await, b"second\n");
    response
}

const STREAMS: &str = r#"
functions:
  node: {runtime: nodejs20.x, handler: stream.handler, code: "@fixtures/node", url: {invoke_mode: response_stream}}
  plain: {runtime: nodejs20.x, handler: stream.plain, code: "@fixtures/node", url: {invoke_mode: response_stream}}
  failing: {runtime: nodejs20.x, handler: stream.failing, code: "@fixtures/node", url: {invoke_mode: response_stream}}
  buffered: {runtime: nodejs20.x, handler: stream.plain, code: "@fixtures/node", url: {}}
  rust:
    runtime: provided
    code: "@fixtures/rust-hello"
    command: ["@rust-hello"]
    environment: {HELLO_MODE: stream}
    url: {invoke_mode: response_stream}
"#;

#[tokio::test]
async fn node_streams_reach_the_client_before_the_function_ends() {
    let p = Portico::start(STREAMS);
    let gate = Gate::new().await;
    let mut response = p.get("node", &format!("/?gate={}", gate.addr)).await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["x-streamed"], "yes");
    assert_eq!(response.headers()["set-cookie"], "a=1");
    assert_eq!(&response.chunk().await.unwrap().unwrap()[..], b"first\n");
    gate.open().await;
    assert_eq!(crate::harness::rest_of(&mut response).await, b"second\n");
}

#[tokio::test]
async fn rust_lambda_http_streams_reach_the_client_before_the_function_ends() {
    let p = Portico::start(STREAMS);
    let response = assert_streams(&p, "rust", 201).await;
    assert_eq!(response.headers()["x-streamed"], "yes");
}

#[tokio::test]
async fn streams_without_a_prelude_and_streams_in_buffered_mode() {
    let p = Portico::start(STREAMS);
    let plain = p.get("plain", "/").await;
    assert_eq!(plain.status(), 200);
    assert_eq!(plain.headers()["content-type"], "application/octet-stream");
    assert_eq!(plain.text().await.unwrap(), "abc");
    // BUFFERED mode reads the streamed bytes as a buffered result: "abc" is not JSON.
    assert_eq!(p.get("buffered", "/").await.status(), 502);
}

#[tokio::test]
async fn a_stream_that_breaks_ends_the_response_abruptly() {
    let p = Portico::start(STREAMS);
    let mut response = p.get("failing", "/").await;
    assert_eq!(response.status(), 200);
    let mut got = Vec::new();
    let error = loop {
        match response.chunk().await {
            Ok(Some(chunk)) => got.extend_from_slice(&chunk),
            Ok(None) => panic!("the stream ended cleanly after {got:?}"),
            Err(e) => break e,
        }
    };
    assert_eq!(got, b"partial\n");
    assert!(error.is_body() || error.is_decode(), "{error}");
    // Portico still serves the function.
    assert_eq!(p.get("plain", "/").await.text().await.unwrap(), "abc");
}

#[tokio::test]
async fn a_client_that_leaves_mid_stream_does_not_break_the_function() {
    let p = Portico::start(STREAMS);
    let gate = Gate::new().await;
    let mut response = p.get("node", &format!("/?gate={}", gate.addr)).await;
    assert_eq!(&response.chunk().await.unwrap().unwrap()[..], b"first\n");
    drop(response);
    gate.open().await;
    p.wait_for_log("END RequestId");
    // The instance finished its invocation and serves the next one.
    let again = assert_streams(&p, "node", 201).await;
    assert_eq!(again.headers()["x-streamed"], "yes");
}

#[tokio::test]
async fn cors_is_answered_and_enforced_as_function_urls_do() {
    let p = Portico::start(
        r#"
functions:
  hello:
    runtime: python3.12
    handler: app.hello
    code: "@fixtures/python"
    url:
      cors: {allow_origins: ["https://app.example"], allow_methods: [GET, post], allow_headers: [x-token], expose_headers: [x-id], max_age: 300, allow_credentials: true}
"#,
    );
    let preflight = p
        .client()
        .request(reqwest::Method::OPTIONS, p.url("hello", "/"))
        .header("origin", "https://app.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 200);
    let h = preflight.headers();
    assert_eq!(h["access-control-allow-origin"], "https://app.example");
    assert_eq!(h["access-control-allow-methods"], "GET,POST");
    assert_eq!(h["access-control-allow-headers"], "x-token");
    assert_eq!(h["access-control-max-age"], "300");
    assert_eq!(h["access-control-allow-credentials"], "true");
    assert!(
        !p.logs().contains("START RequestId"),
        "a preflight must not invoke the function"
    );

    let allowed = p
        .client()
        .get(p.url("hello", "/"))
        .header("origin", "https://app.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    assert_eq!(allowed.headers()["access-control-expose-headers"], "x-id");

    let other = p
        .client()
        .get(p.url("hello", "/"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200);
    assert!(!other.headers().contains_key("access-control-allow-origin"));

    // Portico's own answers carry the CORS headers too, so browsers can read them.
    let too_large = p
        .client()
        .post(p.url("hello", "/"))
        .header("origin", "https://app.example")
        .body(vec![b'a'; 7 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(too_large.status(), 413);
    assert_eq!(
        too_large.headers()["access-control-allow-origin"],
        "https://app.example"
    );
}

/// The same port answers TLS with a certificate by Portico's local authority (for the name
/// asked for, or for the address), and a client that breaks the handshake is closed on.
#[tokio::test]
async fn https_is_served_on_the_same_port_by_portico_s_own_authority() {
    let p = Portico::start(PYTHON);
    let ca = p.certificate_authority();
    assert!(p.banner.contains(&ca.display().to_string()), "{}", p.banner);
    let got = p.python(
        "https_client.py",
        &[
            ca.to_str().unwrap(),
            "/lambda-url/echo/",
            "echo.lambda-url.localhost",
        ],
    );
    assert_eq!(
        got["by_address"],
        json!({"status": 200, "proto": "https", "body": "over tls"}),
        "{got}"
    );
    assert_eq!(
        got["by_name"]["names"],
        json!(["localhost", "echo.lambda-url.localhost"])
    );
    assert!(
        got["outside"]
            .as_str()
            .unwrap()
            .contains("Hostname mismatch"),
        "{got}"
    );
    assert_eq!(got["untrusting"], "SSLCertVerificationError");
    assert_eq!(got["garbage_record"], "closed");
    assert_eq!(got["cut_short"], "closed");
    assert_eq!(got["plain"], json!({"status": 200, "proto": "http"}));
}

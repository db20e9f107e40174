//! Lambdaliths: whole web apps in one function, run unchanged. Flask, Express and axum apps
//! as `runtime: web` (Portico turns each event into a plain HTTP request to the app), and
//! the real Lambda Web Adapter (an extension started from a layer, with
//! `AWS_LAMBDA_EXEC_WRAPPER`) in front of the same Flask app.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::harness::{Gate, Portico, header, repo};

fn flask_app() -> String {
    repo().join("fixtures/web/flask").display().to_string()
}

/// The Flask app as `runtime: web`, behind a Function URL (buffered and streamed) and an
/// HTTP API's routes (2.0 and 1.0) and a REST API's.
fn flask_web() -> String {
    format!(
        r#"
functions:
  flask:
    runtime: web
    code: "{app}"
    command: ["@python", app.py]
    readiness: {{path: /health}}
    url: {{}}
  flaskstream:
    runtime: web
    code: "{app}"
    command: ["@python", app.py]
    url: {{invoke_mode: response_stream}}
apis:
  shop:
    protocol: http
    routes:
      ANY /echo/old/{{proxy+}}: {{function: flask, payload_format: "1.0"}}
      $default: {{function: flask}}
  rest:
    protocol: rest
    stages: {{prod: {{}}}}
    routes:
      ANY /{{proxy+}}: {{function: flask}}
"#,
        app = flask_app()
    )
}

/// A GET with a repeated query parameter, a header and cookies, through `url`.
async fn get_echo(p: &Portico, url: String) -> (u16, reqwest::header::HeaderMap, Value) {
    Portico::answer(
        p.client()
            .get(url)
            .header("x-test", "hello")
            .header("cookie", "a=1; b=2"),
    )
    .await
}

#[tokio::test]
async fn a_flask_app_runs_as_a_web_function_behind_each_door() {
    let p = Portico::start(&flask_web());
    // A Function URL: the query, a header, the cookies, a status code and the app's headers.
    let (status, headers, body) =
        get_echo(&p, p.url("flask", "/echo/items?q=1&q=2&status=201")).await;
    assert_eq!(status, 201, "{}", p.logs());
    assert_eq!(body["method"], "GET");
    assert_eq!(body["path"], "/echo/items");
    assert_eq!(body["args"], json!({"q": ["1", "2"], "status": ["201"]}));
    assert_eq!(body["header"], "hello");
    assert_eq!(body["cookies"], json!({"a": "1", "b": "2"}));
    assert_eq!(body["lambda_context"], true);
    assert_eq!(body["request_context"], true);
    assert_eq!(header(&headers, "x-app").as_deref(), Some("flask"));
    assert_eq!(
        header(&headers, "content-type").as_deref(),
        Some("application/json")
    );
    let cookies: Vec<_> = headers.get_all("set-cookie").iter().collect();
    assert_eq!(cookies.len(), 2, "{headers:?}");
    assert!(header(&headers, "x-amzn-requestid").is_some());

    // A POST with a JSON body, through the HTTP API's $default route (payload 2.0).
    let url = format!("{}/execute-api/shop/echo/new?x=y", p.endpoint());
    let (status, headers, body) = Portico::answer(
        p.client()
            .post(url)
            .header("content-type", "application/json")
            .body(r#"{"name": "Ada"}"#),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["method"], "POST");
    assert_eq!(body["path"], "/echo/new");
    assert_eq!(body["json"], json!({"name": "Ada"}));
    assert_eq!(body["args"], json!({"x": ["y"]}));
    assert!(header(&headers, "apigw-requestid").is_some());

    // The 1.0 route: the app sees the path and a status code it chose.
    let url = format!("{}/execute-api/shop/echo/old/x?status=404", p.endpoint());
    let (status, headers, body) = Portico::answer(p.client().put(url).body("plain text")).await;
    assert_eq!(status, 404);
    assert_eq!(body["method"], "PUT");
    assert_eq!(body["path"], "/echo/old/x");
    assert_eq!(body["body"], "plain text");
    assert_eq!(headers.get_all("set-cookie").iter().count(), 2);

    // A REST API: the path without the stage.
    let url = format!("{}/execute-api/rest/prod/echo/r?k=v", p.endpoint());
    let (status, _, body) = get_echo(&p, url).await;
    assert_eq!(status, 200);
    assert_eq!(body["path"], "/echo/r");
    assert_eq!(body["args"], json!({"k": ["v"]}));

    // Binary bytes come back as they were.
    let response = p.get("flask", "/binary").await;
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.unwrap();
    assert_eq!(bytes.to_vec(), (0..=255u8).collect::<Vec<_>>());

    // Any other event goes to the app's /events.
    let response = p.invoke("flask", r#"{"Records": [1]}"#, &[]).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({"passed_through": {"Records": [1]}}));

    // The app's output is the function's log, between START and END.
    let line = p.wait_for_log("echo PUT /old/x");
    assert!(line.contains("flask"), "{line}");
    p.wait_for_log("REPORT RequestId:");
}

#[tokio::test]
async fn a_flask_app_streams_behind_a_streaming_function_url() {
    let p = Portico::start(&flask_web());
    let gate = Gate::new().await;
    let mut response = p
        .get("flaskstream", &format!("/stream?gate={}", gate.addr))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-streamed"], "yes");
    let first = response.chunk().await.unwrap().unwrap();
    assert_eq!(&first[..], b"first\n");
    gate.open().await;
    assert_eq!(crate::harness::rest_of(&mut response).await, b"second\n");
}

#[tokio::test]
async fn a_web_server_that_fails_is_answered_as_aws_answers() {
    let config = format!(
        r#"
functions:
  never:
    runtime: web
    code: "{app}"
    command: ["@python", app.py]
    readiness: {{path: /unhealthy}}
    url: {{}}
  exits:
    runtime: web
    code: "{app}"
    command: ["@python", "-c", "raise SystemExit(4)"]
    url: {{}}
  crashes:
    runtime: web
    code: "{app}"
    command: ["@python", app.py]
    url: {{}}
  slow:
    runtime: web
    code: "{app}"
    command: ["@python", app.py]
    timeout: 1
    url: {{}}
apis:
  shop:
    protocol: http
    routes:
      GET /never: {{function: never}}
      GET /exits: {{function: exits}}
      GET /crash: {{function: crashes}}
"#,
        app = flask_app()
    );
    let p = Portico::start(&config);
    // A server that exits at start: an init error, 502 from the URL, 500 from the API.
    assert_eq!(p.get("exits", "/").await.status(), 502);
    let api = p.api_get("shop/exits").await;
    assert_eq!(api.status(), 500);
    assert_eq!(
        api.json::<Value>().await.unwrap(),
        json!({"message": "Internal Server Error"})
    );
    let response = p.invoke("exits", "{}", &[]).await;
    assert_eq!(
        header(response.headers(), "x-amz-function-error").as_deref(),
        Some("Unhandled")
    );
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["errorType"], "Runtime.ExitError", "{error}");

    // A server that crashes in the middle of a request; the next request gets a new one.
    assert_eq!(p.get("crashes", "/crash").await.status(), 502);
    p.wait_for_log("crashing on purpose");
    assert_eq!(p.api_get("shop/crash").await.status(), 500);
    let (status, _, body) = get_echo(&p, p.url("crashes", "/echo/after")).await;
    assert_eq!((status, body["path"].clone()), (200, json!("/echo/after")));

    // A request past the function's timeout: the instance is stopped, the next is served.
    let gate = Gate::new().await;
    let response = p.get("slow", &format!("/hang?gate={}", gate.addr)).await;
    assert_eq!(response.status(), 502);
    p.wait_for_log("Task timed out after 1.00 seconds");
    let (status, _, _) = get_echo(&p, p.url("slow", "/echo/again")).await;
    assert_eq!(status, 200);

    // A server that never passes its readiness check: an init error once init's 10 s are up.
    let (url, api) = tokio::join!(p.get("never", "/"), p.api_get("shop/never"));
    assert_eq!(url.status(), 502);
    assert_eq!(api.status(), 500);
    let line = p.wait_for_log("did not pass its readiness check");
    assert!(line.contains("/unhealthy"), "{line}");
}

/// Copies the Express fixture into a temporary folder and installs its `package.json` there
/// with npm, from the registry.
fn express_app() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let fixture = repo().join("fixtures/web/express");
    for file in ["package.json", "app.js"] {
        std::fs::copy(fixture.join(file), dir.path().join(file)).unwrap();
    }
    let out = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--omit=dev"])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .expect("npm is installed (scripts/test installs it)");
    assert!(
        out.status.success(),
        "npm install failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

/// The echo routes of the Express and axum fixtures, behind a Function URL and an HTTP API.
async fn check_echo_app(p: &Portico, function: &str, app: &str) {
    let (status, headers, body) = get_echo(p, p.url(function, "/items/7?q=1&status=202")).await;
    assert_eq!(status, 202, "{body}\n{}", p.logs());
    assert_eq!(body["method"], "GET");
    assert_eq!(body["id"], "7");
    assert_eq!(body["header"], "hello");
    assert_eq!(body["cookie"], "a=1; b=2");
    assert_eq!(header(&headers, "x-app").as_deref(), Some(app));
    assert!(
        header(&headers, "set-cookie").is_some_and(|c| c.starts_with("seen=yes")),
        "{headers:?}"
    );
    let url = format!("{}/execute-api/{function}/items/8?q=x", p.endpoint());
    let (status, headers, body) = Portico::answer(
        p.client()
            .post(url)
            .header("content-type", "text/plain")
            .body("the body"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["method"], "POST");
    assert_eq!(body["id"], "8");
    assert_eq!(body["body"], "the body");
    assert!(header(&headers, "apigw-requestid").is_some());
    p.wait_for_log(&format!("{app} POST /items/8"));
}

#[tokio::test]
async fn an_express_app_runs_as_a_web_function() {
    let app = express_app();
    let p = Portico::start(&format!(
        r#"
functions:
  express:
    runtime: web
    code: "{}"
    command: [node, app.js]
    url: {{}}
apis:
  express:
    protocol: http
    routes:
      ANY /{{proxy+}}: {{function: express}}
"#,
        app.path().display()
    ));
    check_echo_app(&p, "express", "express").await;
    let body: Value = p
        .get("express", "/items/9?q=a&q=b")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["query"], json!({"q": ["a", "b"]}));
}

#[tokio::test]
async fn an_axum_app_runs_as_a_web_function() {
    let p = Portico::start(
        r#"
functions:
  axum:
    runtime: web
    code: "@fixtures/web-axum"
    command: ["@web-axum"]
    readiness: {protocol: tcp}
    url: {}
apis:
  axum:
    protocol: http
    routes:
      $default: {function: axum}
"#,
    );
    check_echo_app(&p, "axum", "axum").await;
    let response = p.get("axum", "/").await;
    assert_eq!(response.headers()["content-type"], "text/plain");
    assert_eq!(response.text().await.unwrap(), "Hello, world!");
    // One instance serves request after request over its kept-alive connection.
    for n in 0..20 {
        let body: Value = p
            .get("axum", &format!("/items/{n}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(body["id"], n.to_string());
    }
}

/// A SAM app made for the Lambda Web Adapter's zip layer: the Flask app, its `run.sh` as the
/// Handler, `AWS_LAMBDA_EXEC_WRAPPER: /opt/bootstrap` and the adapter's public layer.
const ADAPTER_TEMPLATE: &str = r#"AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  FlaskFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: app/
      Handler: run.sh
      Runtime: python3.12
      Layers:
        - !Sub arn:aws:lambda:${AWS::Region}:753240598075:layer:LambdaAdapterLayerX86:24
      Environment:
        Variables:
          AWS_LAMBDA_EXEC_WRAPPER: /opt/bootstrap
          AWS_LWA_PORT: 8000
          AWS_LWA_READINESS_CHECK_PATH: /health
      FunctionUrlConfig:
        AuthType: NONE
      Events:
        Root:
          Type: HttpApi
"#;

/// A folder with the template and the Flask app beside it, `run.sh` starting it as a zip
/// package for the adapter does.
fn adapter_app() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("template.yaml"), ADAPTER_TEMPLATE).unwrap();
    let app = dir.path().join("app");
    std::fs::create_dir(&app).unwrap();
    std::fs::copy(repo().join("fixtures/web/flask/app.py"), app.join("app.py")).unwrap();
    write_script(
        &app.join("run.sh"),
        &format!("#!/bin/sh\nexec {} app.py\n", crate::harness::python()),
    );
    dir
}

fn write_script(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[tokio::test]
async fn a_sam_app_for_the_adapters_layer_runs_as_a_web_function() {
    let dir = adapter_app();
    let out = Command::new(env!("CARGO_BIN_EXE_portico"))
        .arg("import")
        .current_dir(dir.path())
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(printed.contains("runtime: \"web\""), "{printed}");
    assert!(printed.contains("./run.sh"), "{printed}");
    assert!(!printed.contains("AWS_LAMBDA_EXEC_WRAPPER"), "{printed}");
    assert!(
        stderr.contains(
            "Portico serves it as `runtime: web`, its Handler `run.sh` as the web server"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("is not on this machine"), "{stderr}");

    let p = Portico::serve_in(dir, &[]);
    let (status, _, body) = get_echo(&p, p.url("FlaskFunction", "/echo/sam?x=1")).await;
    assert_eq!(status, 200, "{}", p.logs());
    assert_eq!(body["path"], "/echo/sam");
    let url = format!("{}/execute-api/ServerlessHttpApi/echo/api", p.endpoint());
    let (status, _, body) = get_echo(&p, url).await;
    assert_eq!((status, body["path"].clone()), (200, json!("/echo/api")));
}

#[tokio::test]
async fn extensions_get_their_events_and_an_invocation_ends_after_them() {
    let gate = Gate::new().await;
    let p = Portico::start(&format!(
        r#"
functions:
  hello:
    runtime: python3.12
    handler: app.hello
    code: "@fixtures/python"
    layers: ["@fixtures/extensions/recorder"]
    environment: {{RECORDER_GATE: "{gate}"}}
    idle_timeout: 1
    url: {{}}
  slow:
    runtime: python3.12
    handler: app.wait_at_gate
    code: "@fixtures/python"
    layers: ["@fixtures/extensions/recorder"]
    timeout: 1
"#,
        gate = gate.addr
    ));
    // The caller is answered while the extension still works on the invocation...
    let response = p.get("hello", "/").await;
    assert_eq!(response.status(), 200);
    let id = header(response.headers(), "x-amzn-requestid").unwrap();
    let invoke = p.wait_for_log(&format!("recorder INVOKE {id}"));
    assert!(
        invoke.contains("arn:aws:lambda:us-east-1:000000000000:function:hello X-Amzn-Trace-Id"),
        "{invoke}"
    );
    // ...and the invocation ends once it asks for its next event.
    gate.open().await;
    p.wait_for_log(&format!("REPORT RequestId: {id}"));
    let logs = p.logs();
    let done = logs.find(&format!("recorder done {id}")).unwrap();
    let end = logs.find(&format!("END RequestId: {id}")).unwrap();
    assert!(done < end, "{logs}");
    assert!(
        logs.contains(
            "recorder registered for hello (handler app.hello, runtime-only variables: False)"
        ),
        "{logs}"
    );
    // Reaped after a second idle: the extension gets SHUTDOWN.
    p.wait_for_log("recorder SHUTDOWN spindown");

    // A timed-out invocation resets the instance: SHUTDOWN says why.
    let never = Gate::new().await;
    let payload = json!({"gate": never.addr}).to_string();
    let response = p.invoke("slow", &payload, &[]).await;
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["errorType"], "Sandbox.Timedout");
    p.wait_for_log("recorder SHUTDOWN timeout");
}

/// A free loopback port, for an app behind the adapter (which listens where it is told).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The adapter's zip layer as Lambda extracts it into /opt: `bootstrap`, the exec wrapper
/// that runs the function's handler as its web app, and `extensions/lambda-adapter`.
fn adapter_layer(dir: &Path) -> PathBuf {
    let layer = dir.join("adapter-layer");
    std::fs::create_dir_all(layer.join("extensions")).unwrap();
    write_script(
        &layer.join("bootstrap"),
        "#!/bin/sh\n# Runs the handler (run.sh) instead of the runtime it is given.\nexec \"$LAMBDA_TASK_ROOT/$_HANDLER\"\n",
    );
    std::os::unix::fs::symlink(
        crate::harness::lambda_adapter(),
        layer.join("extensions/lambda-adapter"),
    )
    .unwrap();
    layer
}

#[tokio::test]
async fn the_lambda_web_adapter_serves_a_flask_app_from_its_layer() {
    let dir = adapter_app();
    let layer = adapter_layer(dir.path());
    let config = format!(
        r#"
functions:
  flask:
    runtime: python3.12
    handler: run.sh
    code: "{app}"
    layers: ["{layer}"]
    concurrency: 1
    environment:
      AWS_LAMBDA_EXEC_WRAPPER: /opt/bootstrap
      AWS_LWA_PORT: {port}
      AWS_LWA_READINESS_CHECK_PATH: /health
    url: {{}}
  flaskstream:
    runtime: python3.12
    handler: run.sh
    code: "{app}"
    layers: ["{layer}"]
    concurrency: 1
    environment:
      AWS_LAMBDA_EXEC_WRAPPER: /opt/bootstrap
      AWS_LWA_PORT: {stream_port}
      AWS_LWA_READINESS_CHECK_PATH: /health
      AWS_LWA_INVOKE_MODE: response_stream
    url: {{invoke_mode: response_stream}}
apis:
  shop:
    protocol: http
    routes:
      $default: {{function: flask}}
"#,
        app = dir.path().join("app").display(),
        layer = layer.display(),
        port = free_port(),
        stream_port = free_port(),
    );
    let p = Portico::start(&config);
    // A Function URL: query, header, cookies, the status code and the app's headers.
    let (status, headers, body) =
        get_echo(&p, p.url("flask", "/echo/items?q=1&q=2&status=201")).await;
    assert_eq!(status, 201, "{body}\n{}", p.logs());
    assert_eq!(body["method"], "GET");
    assert_eq!(body["path"], "/echo/items");
    assert_eq!(body["args"], json!({"q": ["1", "2"], "status": ["201"]}));
    assert_eq!(body["header"], "hello");
    assert_eq!(body["cookies"], json!({"a": "1", "b": "2"}));
    assert_eq!(body["lambda_context"], true);
    assert_eq!(body["request_context"], true);
    assert_eq!(header(&headers, "x-app").as_deref(), Some("flask"));
    assert_eq!(headers.get_all("set-cookie").iter().count(), 2);
    // A POST with a JSON body through the HTTP API.
    let url = format!("{}/execute-api/shop/echo/new?x=y", p.endpoint());
    let (status, _, body) = Portico::answer(
        p.client()
            .post(url)
            .header("content-type", "application/json")
            .body(r#"{"name": "Ada"}"#),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["method"], "POST");
    assert_eq!(body["json"], json!({"name": "Ada"}));
    assert_eq!(body["args"], json!({"x": ["y"]}));

    // Binary bytes, through the adapter's base64.
    let bytes = p.get("flask", "/binary").await.bytes().await.unwrap();
    assert_eq!(bytes.to_vec(), (0..=255u8).collect::<Vec<_>>());

    // AWS_LWA_INVOKE_MODE response_stream behind a streaming URL: chunks as they come.
    let gate = Gate::new().await;
    let mut response = p
        .get("flaskstream", &format!("/stream?gate={}", gate.addr))
        .await;
    assert_eq!(response.status(), 200, "{}", p.logs());
    assert_eq!(response.headers()["x-streamed"], "yes");
    let first = response.chunk().await.unwrap().unwrap();
    assert_eq!(&first[..], b"first\n");
    gate.open().await;
    assert_eq!(crate::harness::rest_of(&mut response).await, b"second\n");
}

#[tokio::test]
async fn a_sam_app_given_the_adapters_layer_runs_the_adapter() {
    let dir = adapter_app();
    let layer = adapter_layer(dir.path());
    let template = ADAPTER_TEMPLATE.replace("8000", &free_port().to_string());
    std::fs::write(dir.path().join("template.yaml"), template).unwrap();
    let flag = format!(
        "--layer=arn:aws:lambda:us-east-1:753240598075:layer:LambdaAdapterLayerX86={}",
        layer.display()
    );
    let p = Portico::serve_in(dir, &[&flag]);
    let (status, _, body) = get_echo(&p, p.url("FlaskFunction", "/echo/sam?x=1")).await;
    assert_eq!(status, 200, "{}", p.logs());
    assert_eq!(body["path"], "/echo/sam");
    assert_eq!(body["lambda_context"], true);
    assert!(!p.logs().contains("Portico serves it as `runtime: web`"));
}

//! The command line: validate, routes, invoke, and a graceful Ctrl-C.

use std::process::Command;

use crate::harness::{Portico, expand};

fn portico(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_portico"))
        .args(args)
        .output()
        .unwrap()
}

fn config(yaml: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("portico.yaml");
    std::fs::write(&path, expand(yaml)).unwrap();
    (dir, path.display().to_string())
}

#[test]
fn validate_reports_each_problem_with_its_place() {
    let (_dir, path) = config(
        "functions:\n  hello:\n    runtime: pyhton3.12\n    handler: app.hello\n    code: \"@fixtures/python\"\n    timeout: 0\n",
    );
    let out = portico(&["validate", &path]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{path}:3:14: unknown runtime `pyhton3.12`")),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `python3.12`?"), "{stderr}");
    assert!(
        stderr.contains(&format!("{path}:6:14: timeout 0 is out of range")),
        "{stderr}"
    );

    let (_dir, good) = config(
        "functions:\n  hello: {runtime: python3.12, handler: app.hello, code: \"@fixtures/python\"}\n",
    );
    let out = portico(&["validate", &good]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A WebSocket mock's template or response pattern that does not parse stops `validate`
/// (and start-up), at the route's `mock:`.
#[test]
fn validate_checks_websocket_mocks() {
    let (_dir, path) = config(
        "apis:\n  chat:\n    protocol: websocket\n    routes:\n      ping:\n        mock: {request_template: '#if($x', responses: {'/2(\\d/': ok}}\n",
    );
    let out = portico(&["validate", &path]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "{path}:6:15: WebSocket API `chat`, route `ping`: a template of the mock does not parse"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("route `ping`: `/2(\\d/` is not a regular expression"),
        "{stderr}"
    );
}

/// A REST method that calls an AWS service with no endpoint for it stops `validate` (and
/// start-up), saying which endpoint to set.
#[test]
fn validate_names_the_endpoint_a_service_integration_needs() {
    let (_dir, path) = config(
        "apis:\n  shop:\n    protocol: rest\n    openapi: \"@fixtures/openapi/aws-services.yaml\"\n\
         endpoints: {sqs: \"http://127.0.0.1:1\", sns: \"http://127.0.0.1:1\"}\n",
    );
    let out = portico(&["validate", &path]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    // At the `openapi:` line, with the operation's place in the document.
    assert!(
        stderr.contains(&format!("{path}:4:14: ")) && stderr.contains("aws-services.yaml#/paths/~1items/post: REST API `shop`, `POST /items`: no endpoint for `dynamodb`: set `endpoints: {dynamodb: <url>}` in the config or AWS_ENDPOINT_URL_DYNAMODB"),
        "{stderr}"
    );
    assert!(!stderr.contains("POST /orders"), "{stderr}");
}

#[test]
fn validate_reads_openapi_documents_and_their_templates() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, expand(text)).unwrap();
        path.display().to_string()
    };
    let config = "apis:\n  pets:\n    protocol: rest\n    openapi: ./api.yaml\n";
    let path = write("portico.yaml", config);
    let check = |document: &str| {
        write("api.yaml", document);
        let out = portico(&["validate", &path]);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.success(), stderr)
    };
    // A broken document: the problem's JSON pointer, at the `openapi:` line.
    let (ok, stderr) = check(
        "openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths:\n  /pets:\n    get:\n      x-amazon-apigateway-integration: {type: carrier-pigeon}\n",
    );
    assert!(!ok);
    assert!(
        stderr.contains(&format!(
            "{path}:4:14: ./api.yaml#/paths/~1pets/get/x-amazon-apigateway-integration/type"
        )),
        "{stderr}"
    );
    // A template that does not parse: at the `openapi:` line, its operation's JSON pointer,
    // its API, method and place.
    let (ok, stderr) = check(
        "openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths:\n  /pets:\n    get:\n      x-amazon-apigateway-integration:\n        type: mock\n        requestTemplates: {application/json: '#if($x'}\n",
    );
    assert!(!ok);
    assert!(
        stderr.contains(&format!(
            "{path}:4:14: ./api.yaml#/paths/~1pets/get: REST API `pets`, GET /pets: the request application/json template: line 1"
        )),
        "{stderr}"
    );
    // A selection pattern Portico cannot compile: its API, method and the pattern.
    let (ok, stderr) = check(
        "openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths:\n  /pets:\n    get:\n      x-amazon-apigateway-integration:\n        type: mock\n        requestTemplates: {application/json: '{\"statusCode\": 200}'}\n        responses: {'(?=4)\\d+': {statusCode: '400'}, default: {statusCode: '200'}}\n",
    );
    assert!(!ok);
    assert!(
        stderr.contains(&format!(
            "{path}:4:14: ./api.yaml#/paths/~1pets/get: REST API `pets`, GET /pets: selection pattern: `(?=4)"
        )),
        "{stderr}"
    );
    // An extension Portico does not serve: a warning, not an error.
    let (ok, stderr) = check(
        "openapi: 3.0.1\ninfo: {title: t, version: '1'}\nx-amazon-apigateway-minimum-compression-size: 1024\npaths:\n  /pets:\n    get:\n      x-amazon-apigateway-integration:\n        type: mock\n        requestTemplates: {application/json: '{\"statusCode\": 200}'}\n",
    );
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("warning: ./api.yaml#/x-amazon-apigateway-minimum-compression-size"),
        "{stderr}"
    );
}

#[test]
fn routes_lists_every_url() {
    let (_dir, path) = config(
        "functions:\n  hello: {runtime: python3.12, handler: app.hello, code: \"@fixtures/python\", url: {}}\n  quiet: {runtime: python3.12, handler: app.hello, code: \"@fixtures/python\"}\n",
    );
    let out = portico(&["routes", &path, "--listen", "127.0.0.1:4000"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("http://hello.lambda-url.localhost:4000/"),
        "{stdout}"
    );
    assert!(
        stdout.contains("http://127.0.0.1:4000/lambda-url/hello/"),
        "{stdout}"
    );
    assert!(
        stdout.contains("http://127.0.0.1:4000/2015-03-31/functions/quiet/invocations"),
        "{stdout}"
    );
    assert!(!stdout.contains("lambda-url/quiet"), "{stdout}");
}

#[test]
fn invoke_runs_a_function_once() {
    let (_dir, path) = config(
        "functions:\n  echo: {runtime: python3.12, handler: app.echo, code: \"@fixtures/python\"}\n",
    );
    let out = portico(&[
        "invoke",
        "echo",
        "--payload",
        r#"{"a": 1}"#,
        "--config",
        &path,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), r#"{"a": 1}"#);
    let out = portico(&["invoke", "nosuch", "--config", &path]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no function `nosuch`"));
}

// Multi-threaded: the in-flight request must progress while the test blocks on the log.
#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_finishes_in_flight_requests_and_leaves_no_process() {
    let p = Portico::start(
        "functions:\n  pid: {runtime: python3.12, handler: app.pid, code: \"@fixtures/python\"}\n  sleep: {runtime: python3.12, handler: app.sleep, code: \"@fixtures/python\", timeout: 5}\n",
    );
    let response = p.invoke("pid", "{}", &[]).await;
    let pid = response.json::<serde_json::Value>().await.unwrap()["pid"]
        .as_i64()
        .unwrap();
    let request = p
        .client()
        .post(p.invoke_url("sleep"))
        .body(r#"{"seconds": 0.5}"#)
        .send();
    let in_flight = tokio::spawn(request);
    // The second START is the sleep's: it is running when Ctrl-C comes.
    p.wait_for_lines("START RequestId", 2);
    let addr = p.addr;
    let status = tokio::task::spawn_blocking(move || p.interrupt())
        .await
        .unwrap();
    assert!(status.success());
    let finished = in_flight.await.unwrap().unwrap();
    assert_eq!(finished.text().await.unwrap(), r#""woke""#);
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "function process {pid} outlived portico"
    );
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "the port is closed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_ctrl_c_stops_at_once() {
    let p = Portico::start(
        "functions:\n  sleep: {runtime: python3.12, handler: app.sleep, code: \"@fixtures/python\", timeout: 300}\n",
    );
    let request = p
        .client()
        .post(p.invoke_url("sleep"))
        .body(r#"{"seconds": 250}"#)
        .send();
    let in_flight = tokio::spawn(request);
    p.wait_for_log("START RequestId");
    p.press_ctrl_c();
    p.wait_for_log("Ctrl-C again to stop now");
    let status = tokio::task::spawn_blocking(move || p.interrupt());
    let status = tokio::time::timeout(crate::harness::PATIENCE, status)
        .await
        .expect("portico did not stop at the second Ctrl-C")
        .unwrap();
    assert!(status.success());
    // The cut-off invocation was killed: its caller gets Lambda's error for a runtime that
    // exited, or, when Portico is gone before that answer is written, a closed connection.
    match in_flight.await.unwrap() {
        Ok(response) => {
            assert_eq!(response.headers()["x-amz-function-error"], "Unhandled");
            let body: serde_json::Value = response.json().await.unwrap();
            assert_eq!(body["errorType"], "Runtime.ExitError");
        }
        Err(e) => assert!(!e.is_timeout(), "{e}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn no_function_outlives_a_killed_portico() {
    use tokio::io::AsyncReadExt;
    let p = Portico::start(
        "functions:\n  gate: {runtime: python3.12, handler: app.wait_at_gate, code: \"@fixtures/python\", timeout: 300}\n",
    );
    let gate = crate::harness::Gate::new().await;
    let payload = format!(r#"{{"gate": "{}"}}"#, gate.addr);
    let request = p.client().post(p.invoke_url("gate")).body(payload).send();
    let _in_flight = tokio::spawn(request);
    // The function is now running, blocked at the gate, not talking to Portico.
    let mut waiting = gate.arrival().await;
    tokio::task::spawn_blocking(move || p.kill_hard())
        .await
        .unwrap();
    // Its end closes its connection to the gate: the kernel killed it with Portico.
    let mut byte = [0u8; 1];
    let read = tokio::time::timeout(crate::harness::PATIENCE, waiting.read(&mut byte))
        .await
        .expect("the function outlived portico");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
}

/// Copies `files` of `fixtures/` into `to`, keeping their names.
fn copy_fixtures(to: &std::path::Path, files: &[&str]) {
    std::fs::create_dir_all(to).unwrap();
    for file in files {
        let from = crate::harness::repo().join("fixtures").join(file);
        let name = std::path::Path::new(file).file_name().unwrap();
        std::fs::copy(&from, to.join(name)).unwrap();
    }
}

/// The way most people start a tool: in the app's own folder, with the config and the code
/// named relative to it (`portico serve` or `portico serve portico.yaml`). Every path an
/// instance sees must be absolute, since its working directory is its code folder.
#[tokio::test]
async fn serve_started_in_the_apps_folder_runs_relative_code() {
    for args in [&[][..], &["portico.yaml"][..], &["./portico.yaml"][..]] {
        let app = tempfile::tempdir().unwrap();
        copy_fixtures(&app.path().join("py"), &["python/app.py"]);
        copy_fixtures(&app.path().join("functions/node"), &["node/async.js"]);
        std::fs::write(
            app.path().join("portico.yaml"),
            "functions:\n  py: {runtime: python3.12, handler: app.context_info, code: py}\n  \
             node: {runtime: nodejs20.x, handler: async.handler, code: ./functions/node, url: {}}\n",
        )
        .unwrap();
        let root = app.path().canonicalize().unwrap();
        let p = Portico::serve_in(app, args);

        let py = p.invoke("py", "{}", &[]).await;
        assert_eq!(py.headers().get("x-amz-function-error"), None, "{args:?}");
        let py: serde_json::Value = py.json().await.unwrap();
        assert_eq!(
            py["env"]["LAMBDA_TASK_ROOT"],
            root.join("py").display().to_string(),
            "{args:?}: {py}"
        );
        let node = p.get("node", "/").await;
        assert_eq!(node.status(), 200, "{args:?}");
        assert_eq!(node.text().await.unwrap(), "Hello from Node", "{args:?}");
    }
}

/// `endpoints:` reaches functions as the SDKs' `AWS_ENDPOINT_URL_<SERVICE>`, and the Lambda
/// API is Portico itself unless said otherwise: a function calling another through the
/// endpoint it was given reaches it.
#[tokio::test]
async fn functions_get_the_endpoints_of_services_and_lambda_is_portico() {
    let app = tempfile::tempdir().unwrap();
    std::fs::write(
        app.path().join("caller.py"),
        r#"import json, os, urllib.request

def handler(event, context):
    lambda_url = os.environ["AWS_ENDPOINT_URL_LAMBDA"]
    request = urllib.request.Request(lambda_url + "/2015-03-31/functions/callee/invocations", data=b'{"n": 1}', method="POST")
    with urllib.request.urlopen(request) as answer:
        called = json.load(answer)
    return {"lambda": lambda_url, "dynamodb": os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"), "called": called}

def echo(event, context):
    return event
"#,
    )
    .unwrap();
    std::fs::write(
        app.path().join("portico.yaml"),
        "endpoints: {dynamodb: \"http://127.0.0.1:8000\"}\nfunctions:\n  \
         caller: {runtime: python3.12, handler: caller.handler, code: .}\n  \
         callee: {runtime: python3.12, handler: caller.echo, code: .}\n",
    )
    .unwrap();
    let p = Portico::serve_in(app, &[]);
    let answer: serde_json::Value = p.invoke("caller", "{}", &[]).await.json().await.unwrap();
    assert_eq!(
        answer,
        serde_json::json!({"lambda": p.endpoint(), "dynamodb": "http://127.0.0.1:8000", "called": {"n": 1}})
    );
}

/// A request's log line reads at a glance (method, path, status, duration, route, function,
/// cold start), and with `--log-format json` every part is a field.
#[tokio::test]
async fn request_lines_read_at_a_glance_and_as_json() {
    let yaml = r#"
functions:
  hello: {runtime: python3.12, handler: app.hello, code: "@fixtures/python", url: {}}
apis:
  shop:
    protocol: http
    routes:
      GET /items/{id}: {function: hello}
"#;
    let p = Portico::start(yaml);
    assert_eq!(p.get("hello", "/x").await.status(), 200);
    let line = p.wait_for_log("GET /x 200 ");
    assert!(
        line.contains(" ms  url:hello → hello (cold start "),
        "{line}"
    );
    assert_eq!(p.api_get("shop/items/7").await.status(), 200);
    let line = p.wait_for_log("GET /items/7 200 ");
    assert!(
        line.contains(" ms  api:shop $default GET /items/{id} → hello"),
        "{line}"
    );
    assert!(!line.contains("cold start"), "{line}");

    let p = Portico::start_with(yaml, &["--log-format", "json"]);
    let first = p.get("hello", "/x").await;
    let line = p.wait_for_log(r#""door":"url:hello""#);
    let fields: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(
        (
            &fields["method"],
            &fields["path"],
            &fields["status"],
            &fields["function"]
        ),
        (
            &serde_json::json!("GET"),
            &serde_json::json!("/x"),
            &serde_json::json!(200),
            &serde_json::json!("hello")
        )
    );
    assert!(fields["duration_ms"].as_f64().unwrap() > 0.0, "{line}");
    assert!(fields["cold_start_ms"].as_f64().unwrap() > 0.0, "{line}");
    assert_eq!(
        fields["request_id"],
        first.headers()["x-amzn-requestid"].to_str().unwrap()
    );
}

/// `serve --watch`: a change to a function's code or the config is served from the next
/// request on, a request in flight during the reload finishes, and a broken change keeps the
/// previous version serving, with the reason in the log.
#[tokio::test]
async fn watch_reloads_changes_and_keeps_serving_through_broken_ones() {
    let app = tempfile::tempdir().unwrap();
    let handler = |version: &str| {
        format!(
            "import socket\n\ndef handler(event, context):\n    return {{'version': '{version}'}}\n\n\
             def wait(event, context):\n    host, port = event['gate'].rsplit(':', 1)\n    \
             with socket.create_connection((host, int(port))) as conn:\n        conn.recv(1)\n    \
             return 'through'\n"
        )
    };
    let config = "functions:\n  app: {runtime: python3.12, handler: app.handler, code: .}\n  \
                  gated: {runtime: python3.12, handler: app.wait, code: ., timeout: 30}\n";
    std::fs::write(app.path().join("app.py"), handler("v1")).unwrap();
    std::fs::write(app.path().join("portico.yaml"), config).unwrap();
    let dir = app.path().to_path_buf();
    let p = Portico::serve_in(app, &["--watch"]);
    assert!(p.banner.contains("Watching"), "{}", p.banner);
    let version =
        async || -> serde_json::Value { p.invoke("app", "{}", &[]).await.json().await.unwrap() };
    assert_eq!(version().await["version"], "v1");

    // A request in flight while the code changes is answered by the old instance.
    let gate = crate::harness::Gate::new().await;
    let payload = format!(r#"{{"gate": "{}"}}"#, gate.addr);
    let request = p.invoke("gated", &payload, &[]);
    let change = async {
        let mut conn = gate.arrival().await;
        std::fs::write(dir.join("app.py"), handler("v2")).unwrap();
        p.wait_for_log("reloaded ");
        use tokio::io::AsyncWriteExt;
        conn.write_all(b"!").await.unwrap();
        conn
    };
    let (in_flight, _conn) = tokio::join!(request, change);
    assert_eq!(in_flight.status(), 200);
    assert_eq!(in_flight.text().await.unwrap(), "\"through\"");
    assert_eq!(version().await["version"], "v2");

    // A broken config is reported; the previous version goes on serving.
    std::fs::write(
        dir.join("portico.yaml"),
        "functions:\n  app: {runtime: pyhton3.12, handler: app.handler, code: .}\n",
    )
    .unwrap();
    let why = p.wait_for_log("not reloaded, still serving the previous version");
    assert!(why.contains("unknown runtime `pyhton3.12`"), "{why}");
    assert_eq!(version().await["version"], "v2");
}

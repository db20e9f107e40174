//! SAM templates served as they are (`fixtures/sam/`, each app with the answers AWS gives in
//! its EXPECTED.md): `portico serve template.yaml` in the app's folder, real clients.

use std::path::Path;

use serde_json::{Value, json};

use crate::harness::{Issuer, Portico, header};

/// A copy of `fixtures/sam/<app>` in a temp folder, so that nothing is written into the repo.
pub(crate) fn app(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(
        &crate::harness::repo().join("fixtures/sam").join(name),
        dir.path(),
    );
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// `portico serve` with no config named, in a copy of the app's folder (it finds
/// template.yaml), with `args`.
fn serve(name: &str, args: &[&str]) -> Portico {
    Portico::serve_in(app(name), args)
}

async fn get(p: &Portico, path: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    let response = p
        .client()
        .get(format!("{}{path}", p.endpoint()))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, headers, body)
}

#[tokio::test]
async fn sam_init_python_hello_world_runs_as_deployed() {
    let p = serve("hello-python", &[]);
    assert!(p.banner.contains("serving template.yaml"), "{}", p.banner);
    let hello =
        json!({"message": "hello world", "resource": "/hello", "path": "/hello", "stage": "Prod"});
    let (status, headers, body) = get(&p, "/execute-api/ServerlessRestApi/Prod/hello").await;
    assert_eq!((status, body), (200, hello.clone()));
    assert_eq!(
        header(&headers, "content-type").as_deref(),
        Some("application/json")
    );
    assert!(header(&headers, "x-amzn-requestid").is_some());
    // The URL `sam deploy` prints ends with a slash: the same resource, as on AWS.
    let (status, _, body) = get(&p, "/execute-api/ServerlessRestApi/Prod/hello/").await;
    assert_eq!(
        (status, &body["message"]),
        (200, &json!("hello world")),
        "{body}"
    );
    // The implicit API's deployment stage serves it too.
    let (status, _, body) = get(&p, "/execute-api/ServerlessRestApi/Stage/hello").await;
    assert_eq!(status, 200);
    assert_eq!(body["stage"], "Stage");
    // Hosts are case-insensitive: the host form in lower case finds the API.
    let response = p
        .client()
        .get(format!("{}/Prod/hello", p.endpoint()))
        .header(
            "host",
            format!("serverlessrestapi.execute-api.localhost:{}", p.addr.port()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap(), hello);
    for (method, path) in [("POST", "/Prod/hello"), ("GET", "/Prod/goodbye")] {
        let response = p
            .client()
            .request(
                method.parse().unwrap(),
                format!("{}/execute-api/ServerlessRestApi{path}", p.endpoint()),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{method} {path}");
        assert_eq!(
            header(response.headers(), "x-amzn-errortype").as_deref(),
            Some("MissingAuthenticationTokenException")
        );
        assert_eq!(
            response.json::<Value>().await.unwrap(),
            json!({"message": "Missing Authentication Token"})
        );
    }
    // The function by its logical id through the Invoke API, with an event that is not an
    // API's: the handler's KeyError, as on AWS.
    let response = p.invoke("HelloWorldFunction", "{}", &[]).await;
    assert_eq!(
        header(response.headers(), "x-amz-function-error").as_deref(),
        Some("Unhandled")
    );
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["errorType"], "KeyError");
}

#[tokio::test]
async fn sam_init_node_hello_world_with_an_http_api_event() {
    let p = serve("hello-node", &["template.yaml"]);
    let (status, _, body) = get(&p, "/execute-api/ServerlessRestApi/Prod/hello").await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"message": "hello world", "resource": "/hello", "path": "/hello", "stage": "Prod"})
    );
    let (status, headers, body) = get(&p, "/execute-api/ServerlessHttpApi/greet?name=Ada").await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"message": "Hello, Ada!", "routeKey": "GET /greet", "rawPath": "/greet"})
    );
    assert!(header(&headers, "apigw-requestid").is_some());
    let (status, _, body) = get(&p, "/execute-api/ServerlessHttpApi/hello").await;
    assert_eq!((status, body), (404, json!({"message": "Not Found"})));
    let (status, _, body) = get(&p, "/execute-api/ServerlessRestApi/Prod/greet").await;
    assert_eq!(
        (status, body),
        (403, json!({"message": "Missing Authentication Token"}))
    );
}

#[tokio::test]
async fn http_api_with_a_jwt_authorizer_and_parameters_from_the_command_line() {
    let issuer = Issuer::start(None);
    let overrides = format!("IssuerUrl={} ClientId=my-app", issuer.url);
    let p = serve("http-jwt", &["--parameter-overrides", &overrides]);
    let token = |name: &str| issuer.tokens[name].as_str().unwrap().to_string();
    let call = async |path: &str, token: Option<String>| {
        let mut request = p
            .client()
            .get(format!("{}/execute-api/MyHttpApi/v1{path}", p.endpoint()));
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (status, headers, response.json::<Value>().await.unwrap())
    };
    // `Authorizer: NONE` on the event: no token needed.
    let (status, _, body) = call("/public", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["routeKey"], "GET /public");
    // The API's default authorizer guards the rest.
    let (status, _, body) = call("/me", None).await;
    assert_eq!((status, body), (401, json!({"message": "Unauthorized"})));
    let (status, _, body) = call("/me", Some(token("valid"))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["sub"], "ada");
    assert_eq!(body["iss"], issuer.url.as_str());
    let (status, headers, _) = call("/me", Some(token("wrong_audience"))).await;
    assert_eq!(status, 401);
    assert!(
        header(&headers, "www-authenticate")
            .unwrap()
            .contains("the token does not have a valid audience"),
        "{headers:?}"
    );
    let (status, _, _) = call("/me", Some(token("expired"))).await;
    assert_eq!(status, 401);
    // The route's AuthorizationScopes: the token has `profile` only.
    let (status, headers, body) = call("/orders", Some(token("no_scope"))).await;
    assert_eq!((status, body), (403, json!({"message": "Forbidden"})));
    assert!(
        header(&headers, "www-authenticate")
            .unwrap()
            .contains("insufficient_scope")
    );
    // No `$default` stage.
    let (status, _, _) = get(&p, "/execute-api/MyHttpApi/public").await;
    assert_eq!(status, 404);
    // CorsConfiguration: preflights are answered by the API, without the authorizer.
    let url = format!("{}/execute-api/MyHttpApi/v1/me", p.endpoint());
    let preflight = crate::harness::preflight(
        p.client(),
        &url,
        "https://app.example.com",
        "GET",
        Some("authorization"),
    )
    .await;
    assert_eq!(preflight.status(), 204);
    assert_eq!(
        header(preflight.headers(), "access-control-allow-origin").as_deref(),
        Some("https://app.example.com")
    );
    assert_eq!(
        header(preflight.headers(), "access-control-max-age").as_deref(),
        Some("600")
    );
}

#[tokio::test]
async fn rest_api_with_lambda_authorizers_an_api_key_a_usage_plan_and_a_model() {
    let p = serve("rest-auth", &[]);
    // The usage plan's key has no value in the template: Portico makes one and prints it.
    let printed = p
        .banner
        .lines()
        .find(|l| l.contains("API key  OrdersApi/OrdersApiApiKey"))
        .unwrap_or_else(|| panic!("no API key in:\n{}", p.banner));
    let key = printed.split_whitespace().last().unwrap().to_string();
    let base = format!("{}/execute-api/OrdersApi/dev", p.endpoint());
    let call = async |method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>| {
        let mut request = p
            .client()
            .request(method.parse().unwrap(), format!("{base}{path}"));
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        if let Some(body) = body {
            request = request.body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let kind = header(response.headers(), "x-amzn-errortype");
        (status, kind, response.json::<Value>().await.unwrap())
    };
    let (status, _, body) = call("GET", "/health", &[], None).await;
    assert_eq!((status, body), (200, json!({"status": "ok"})));
    let (status, kind, body) = call("GET", "/orders", &[("x-api-key", &key)], None).await;
    assert_eq!(
        (status, kind.as_deref(), body),
        (
            401,
            Some("UnauthorizedException"),
            json!({"message": "Unauthorized"})
        )
    );
    let (status, _, _) = call(
        "GET",
        "/orders",
        &[("x-api-key", &key), ("authorization", "nope")],
        None,
    )
    .await;
    assert_eq!(status, 401);
    let (status, kind, _) = call(
        "GET",
        "/orders",
        &[("x-api-key", &key), ("authorization", "deny")],
        None,
    )
    .await;
    assert_eq!(
        (status, kind.as_deref()),
        (403, Some("AccessDeniedException"))
    );
    let (status, kind, body) = call("GET", "/orders", &[("authorization", "allow")], None).await;
    assert_eq!(
        (status, kind.as_deref(), body),
        (
            403,
            Some("ForbiddenException"),
            json!({"message": "Forbidden"})
        )
    );
    let (status, _, body) = call(
        "GET",
        "/orders",
        &[("x-api-key", &key), ("authorization", "allow")],
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["principalId"], "user");
    assert_eq!(body["tier"], "gold");
    // The REQUEST authorizer, by its identity source x-user, with the body model checked on
    // its own route (POST /orders is behind the TOKEN authorizer, whose cached policy for
    // `allow` names GET /orders only, as on AWS: exercised in a fresh server below).
    let (status, _, _) = call("GET", "/profile", &[("x-api-key", &key)], None).await;
    assert_eq!(status, 401);
    let (status, _, body) = call(
        "GET",
        "/profile",
        &[("x-api-key", &key), ("x-user", "alice")],
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"], "alice");
    let (status, kind, _) = call(
        "GET",
        "/profile",
        &[("x-api-key", &key), ("x-user", "mallory")],
        None,
    )
    .await;
    assert_eq!(
        (status, kind.as_deref()),
        (403, Some("AccessDeniedException"))
    );
    let (status, _, body) = call("GET", "/nothing", &[], None).await;
    assert_eq!(
        (status, body),
        (403, json!({"message": "Missing Authentication Token"}))
    );

    let p = serve("rest-auth", &[]);
    let key = p
        .banner
        .lines()
        .find(|l| l.contains("API key  OrdersApi/OrdersApiApiKey"))
        .and_then(|l| l.split_whitespace().last())
        .unwrap()
        .to_string();
    let base = format!("{}/execute-api/OrdersApi/dev", p.endpoint());
    let post = async |body: &str| {
        let response = p
            .client()
            .post(format!("{base}/orders"))
            .header("x-api-key", &key)
            .header("authorization", "allow")
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        (
            response.status().as_u16(),
            response.json::<Value>().await.unwrap(),
        )
    };
    let (status, body) = post(r#"{"item": "book", "quantity": 2}"#).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["created"], json!({"item": "book", "quantity": 2}));
    for bad in [
        r#"{"item": "book"}"#,
        r#"{"item": "book", "quantity": 0}"#,
        "not json",
    ] {
        let (status, body) = post(bad).await;
        assert_eq!(
            (status, body),
            (400, json!({"message": "Invalid request body"})),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn function_urls_streaming_and_iam_from_function_url_config() {
    let p = serve("url-stream", &[]);
    let response = p.get("StreamFunction", "/").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.text().await.unwrap(),
        "chunk 1 of 3\nchunk 2 of 3\nchunk 3 of 3\n"
    );
    let response = p.get("StreamFunction", "/teapot").await;
    assert_eq!(response.status(), 418);
    assert_eq!(
        header(response.headers(), "x-streamed").as_deref(),
        Some("yes")
    );
    // AuthType AWS_IAM: an unsigned request is refused.
    let response = p.get("BufferedFunction", "/").await;
    assert_eq!(response.status(), 403);
    assert_eq!(
        header(response.headers(), "x-amzn-errortype").as_deref(),
        Some("AccessDeniedException")
    );
}

#[tokio::test]
async fn auto_publish_alias_makes_the_events_and_the_url_invoke_the_alias() {
    let p = serve("alias-live", &[]);
    let url = format!(
        "http://live.WhoFunction.lambda-url.localhost:{}/",
        p.addr.port()
    );
    assert!(p.banner.contains(&url), "{}", p.banner);
    let alias = "arn:aws:lambda:us-east-1:000000000000:function:WhoFunction:live";
    let who =
        json!({"invoked_function_arn": alias, "function_version": "1", "environment_version": "1"});
    for path in [
        "/lambda-url/WhoFunction:live/",
        "/execute-api/ServerlessRestApi/Prod/who",
        "/execute-api/ServerlessHttpApi/who",
    ] {
        let (status, _, body) = get(&p, path).await;
        assert_eq!((status, body), (200, who.clone()), "{path}");
    }
    // $LATEST has no URL: SAM puts it on the alias.
    let (status, _, _) = get(&p, "/lambda-url/WhoFunction/").await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn parameters_conditions_mappings_and_globals_resolve_as_cloudformation_does() {
    let p = serve("globals-params", &[]);
    let (status, _, body) = get(&p, "/execute-api/ServerlessHttpApi/env").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["environment"],
        json!({"STAGE": "dev", "LOG_LEVEL": "DEBUG", "SHARED": "from-function", "ONLY_GLOBAL": "kept",
               "GREETING": "hello from dev", "TABLE": "orders-dev-us-east-1", "REGION_PREFIX": "us",
               "SECOND_ZONE": "b", "TIMEOUT": "10", "TOPIC_ARN": "arn:aws:sns:us-east-1:000000000000:dev-alerts",
               "PROD_ONLY": null, "MODE": "sandbox"})
    );
    assert_eq!(
        (body["memoryMb"].clone(), body["timeoutSeconds"].clone()),
        (json!(512), json!(10))
    );
    // The resource whose condition is false does not exist.
    let (status, _, _) = get(&p, "/execute-api/ServerlessHttpApi/prod-only").await;
    assert_eq!(status, 404);
    let response = p.invoke("ProdOnlyFunction", "{}", &[]).await;
    assert_eq!(response.status(), 404);

    let p = serve("globals-params", &["--parameter-overrides", "Stage=prod"]);
    let (status, _, body) = get(&p, "/execute-api/ServerlessHttpApi/env").await;
    assert_eq!(status, 200, "{body}");
    let environment = &body["environment"];
    assert_eq!(
        (
            &environment["STAGE"],
            &environment["LOG_LEVEL"],
            &environment["PROD_ONLY"],
            &environment["MODE"]
        ),
        (
            &json!("prod"),
            &json!("WARN"),
            &json!("set in prod"),
            &json!("live")
        )
    );
    let (status, _, body) = get(&p, "/execute-api/ServerlessHttpApi/prod-only").await;
    assert_eq!(
        (status, body),
        (200, json!("only deployed when Stage is prod"))
    );
}

/// The broken templates of `fixtures/sam/bad/`, each refused (or warned about) at its place,
/// with what to do.
#[test]
fn broken_templates_are_answered_with_their_place_and_a_fix() {
    let bad = crate::harness::repo().join("fixtures/sam/bad");
    // (file, error or warning, line:column, in the message, in the help)
    let rows = [
        (
            "ref-to-nothing.yaml",
            "error",
            "14:23",
            "`Ref: OrdersTable` names nothing",
            "--parameter-overrides OrdersTable=",
        ),
        (
            "getatt-no-dot.yaml",
            "error",
            "15:12",
            "names no attribute",
            "resource.attribute",
        ),
        (
            "select-out-of-range.yaml",
            "error",
            "14:17",
            "index 3 is out of range",
            "from 0 to 2",
        ),
        (
            "missing-codeuri.yaml",
            "error",
            "9:16",
            "code folder `hello_world/` does not exist",
            "fix the path",
        ),
        (
            "unknown-runtime.yaml",
            "error",
            "11:16",
            "unknown runtime `python2.7`",
            "python3.x",
        ),
        (
            "unknown-condition.yaml",
            "error",
            "20:19",
            "`IsProduction` names no condition",
            "did you mean `IsProd`?",
        ),
        (
            "yaml-syntax.yaml",
            "error",
            "13:13",
            "':'",
            "fix the YAML syntax",
        ),
        (
            "sqs-event.yaml",
            "warning",
            "19:17",
            "is of type SQS, which Portico does not serve",
            "Invoke API",
        ),
        (
            "import-value.yaml",
            "warning",
            "16:23",
            "reads another stack's export",
            "--parameter-overrides shared-data-OrdersTableName=",
        ),
    ];
    for (file, kind, place, message, help) in rows {
        let path = bad.join(file);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_portico"))
            .arg("validate")
            .arg(&path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let line = format!("{kind}: {}:{place}: ", path.display());
        let found = stderr
            .split("\n")
            .position(|l| l.starts_with(&line) && l.contains(message))
            .unwrap_or_else(|| panic!("{file}: no `{line}...{message}` in:\n{stderr}"));
        let next = stderr.lines().nth(found + 1).unwrap_or_default();
        assert!(
            next.contains("help:") && next.contains(help),
            "{file}: {next}"
        );
        assert_eq!(out.status.success(), kind == "warning", "{file}:\n{stderr}");
    }
}

/// `portico import` prints the config a template is served as: serving that printed config
/// answers as serving the template does.
#[tokio::test]
async fn import_prints_the_config_the_template_is_served_as() {
    let dir = app("hello-python");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_portico"))
        .arg("import")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).unwrap();
    assert!(printed.contains("HelloWorldFunction:"), "{printed}");
    std::fs::write(dir.path().join("portico.yaml"), &printed).unwrap();
    // With both present, `portico serve` takes portico.yaml first.
    let p = Portico::serve_in(dir, &[]);
    assert!(p.banner.contains("serving portico.yaml"), "{}", p.banner);
    let (status, _, body) = get(&p, "/execute-api/ServerlessRestApi/Prod/hello").await;
    assert_eq!(status, 200);
    assert_eq!(body["message"], "hello world");
}

#[test]
fn serve_says_what_it_looked_for_in_a_folder_without_a_config() {
    let empty = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_portico"))
        .arg("serve")
        .current_dir(empty.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "no config here: looked for portico.yaml, template.yaml, template.yml, template.json"
        ),
        "{stderr}"
    );
}

/// Layers as Lambda lays them out in `/opt`: the template's own LayerVersion and a public
/// layer named by ARN, for which `--layer ARN=DIR` names a local folder; the later layer's
/// module wins.
#[tokio::test]
async fn layers_put_their_modules_packages_and_tools_on_the_functions_paths() {
    let dir = app("layers");
    let extra = dir.path().join("extra").display().to_string();
    let layer =
        format!("--layer=arn:aws:lambda:us-east-1:123456789012:layer:shared-settings={extra}");
    let p = Portico::serve_in(dir, &[&layer]);
    let (status, _, body) = get(&p, "/execute-api/ServerlessHttpApi/python").await;
    assert_eq!(status, 200, "{body}\n{}", p.logs());
    assert_eq!(
        body,
        json!({"greeting": "Hello, Python, from the common layer", "settings": "shared-settings layer",
               "tool": "a tool from the common layer"})
    );
    let (status, _, body) = get(&p, "/execute-api/ServerlessHttpApi/node").await;
    assert_eq!(status, 200, "{body}\n{}", p.logs());
    assert_eq!(
        body,
        json!({"greeting": "Hello, Node, from the common layer"})
    );
    let (status, _, body) = get(&p, "/execute-api/ServerlessHttpApi/esm").await;
    assert_eq!(status, 200, "{body}\n{}", p.logs());
    assert_eq!(
        body,
        json!({"greeting": "Hello, ESM, from the common layer"})
    );

    // Without `--layer`, the public layer is named as missing, with the flag that fixes it.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_portico"))
        .args(["validate", "template.yaml"])
        .current_dir(app("layers").path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("template.yaml:29:11: the layer `arn:aws:lambda:us-east-1:123456789012:layer:shared-settings:7` of `PythonFunction` is not on this machine"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "pass `--layer arn:aws:lambda:us-east-1:123456789012:layer:shared-settings:7=DIR`"
        ),
        "{stderr}"
    );
}

/// What `sam build` would do, Portico does before serving: requirements.txt installed into a
/// copy of the code (from PyPI), a Makefile's `build-<Function>` target run; the second start
/// reuses the builds.
#[tokio::test]
async fn functions_are_built_as_sam_build_builds_them_and_the_builds_are_reused() {
    let dir = app("builds");
    let root = dir.path();
    let p = Portico::serve_at(root, &[]);
    let (status, _, body) = get(&p, "/execute-api/ServerlessHttpApi/requirements").await;
    assert_eq!(
        (status, body),
        (200, json!({"six": "1.16.0"})),
        "{}",
        p.logs()
    );
    let (status, _, body) = get(&p, "/execute-api/ServerlessHttpApi/made").await;
    assert_eq!((status, body), (200, json!({"built": "by make"})));
    assert!(
        p.logs()
            .contains("build RequirementsFunction: installing requirements.txt"),
        "{}",
        p.logs()
    );
    // The source folders are left as they were.
    assert!(!root.join("with_requirements/six.py").exists());
    assert!(!root.join("with_makefile/made.py").exists());
    drop(p);
    let again = Portico::serve_at(root, &[]);
    assert!(again.logs().contains("reusing"), "{}", again.logs());
    let (status, _, _) = get(&again, "/execute-api/ServerlessHttpApi/requirements").await;
    assert_eq!(status, 200);
}

/// Functions import the AWS SDK their runtime ships without bundling it (boto3, the SDK for
/// JavaScript v3), as on Lambda; their Lambda calls reach Portico.
#[tokio::test]
async fn functions_import_the_aws_sdk_their_runtime_ships() {
    let p = serve("aws-sdk", &[]);
    let answer: Value = p
        .invoke("PythonCaller", "{}", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        answer["answer"],
        json!({"echoed": {"from": "python"}}),
        "{answer}\n{}",
        p.logs()
    );
    assert!(
        answer["sdk"].as_str().unwrap().starts_with("boto3 1."),
        "{answer}"
    );
    let answer: Value = p
        .invoke("NodeCaller", "{}", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        answer["answer"],
        json!({"echoed": {"from": "node"}}),
        "{answer}\n{}",
        p.logs()
    );
    // Powertools' public layer, named by its ARN, is made from PyPI's package.
    let answer: Value = p
        .invoke("PowertoolsFunction", "{}", &[])
        .await
        .json()
        .await
        .unwrap();
    assert!(
        answer["powertools"].as_str().unwrap_or("").starts_with('3'),
        "{answer}\n{}",
        p.logs()
    );
    let line = p.wait_for_log(r#""message":"structured""#);
    assert!(line.contains(r#""service":"portico-fixture""#), "{line}");
}

/// An HTTP API declared by its OpenAPI definition (`DefinitionBody`): its routes, its Lambda
/// request authorizer and its CORS, with a function's HttpApi event added to them.
#[tokio::test]
async fn http_api_from_its_openapi_definition() {
    let p = serve("http-definition", &[]);
    let call = async |path: &str, key: Option<&str>| {
        let mut request = p
            .client()
            .get(format!("{}/execute-api/Api{path}", p.endpoint()));
        if let Some(key) = key {
            request = request.header("x-key", key);
        }
        let response = request.send().await.unwrap();
        (
            response.status().as_u16(),
            response.json::<Value>().await.unwrap(),
        )
    };
    assert_eq!(
        call("/items/7", Some("open-sesame")).await,
        (200, json!({"id": "7", "routeKey": "GET /items/{id}"}))
    );
    assert_eq!(
        call("/items/7", Some("wrong")).await,
        (403, json!({"message": "Forbidden"}))
    );
    assert_eq!(
        call("/items/7", None).await,
        (401, json!({"message": "Unauthorized"}))
    );
    assert_eq!(call("/health", None).await, (200, json!({"status": "ok"})));
    let url = format!("{}/execute-api/Api/items/7", p.endpoint());
    let preflight =
        crate::harness::preflight(p.client(), &url, "https://app.example.com", "GET", None).await;
    assert_eq!(preflight.status(), 204);
    assert_eq!(
        header(preflight.headers(), "access-control-allow-origin").as_deref(),
        Some("https://app.example.com")
    );
}

//! HTTP APIs: stages, AWS's route matching, the 2.0 event with route data, API Gateway's
//! error shapes.

use serde_json::{Value, json};

use crate::harness::{Issuer, Portico, Upstream, awscurl, header};

const SHOP: &str = r#"
functions:
  echo: {runtime: python3.12, handler: app.echo, code: "@fixtures/python"}
  fail: {runtime: python3.12, handler: app.fail, code: "@fixtures/python"}
  sleep: {runtime: python3.12, handler: app.sleep, code: "@fixtures/python", timeout: 1}
  sleepy: {runtime: python3.12, handler: app.sleep, code: "@fixtures/python", timeout: 60}
apis:
  shop:
    protocol: http
    stages: {$default: {}, prod: {variables: {table: items, size: 3}}}
    routes:
      GET /items/{id}: {function: echo}
      GET /items/special: {function: echo}
      ANY /{proxy+}: {function: echo}
      GET /fail: {function: fail}
      GET /slow: {function: sleep}
      GET /impatient: {function: sleepy, timeout_ms: 300}
  strict:
    protocol: http
    routes:
      GET /items: {function: echo}
"#;

/// GETs `url`: status, `apigw-requestid`, body as JSON.
async fn get(p: &Portico, url: &str) -> (u16, Option<String>, Value) {
    let (status, headers, body) = Portico::answer(p.client().get(url)).await;
    (status, header(&headers, "apigw-requestid"), body)
}

#[tokio::test]
async fn routes_stages_and_the_event_are_api_gateways() {
    let p = Portico::start(SHOP);
    let base = format!("{}/execute-api/shop", p.endpoint());

    let (status, id, event) = get(&p, &format!("{base}/items/42?x=1")).await;
    assert_eq!(status, 200);
    assert_eq!(event["routeKey"], "GET /items/{id}");
    assert_eq!(event["rawPath"], "/items/42");
    assert_eq!(event["pathParameters"], json!({"id": "42"}));
    assert_eq!(event["queryStringParameters"], json!({"x": "1"}));
    assert!(event.get("stageVariables").is_none());
    let ctx = &event["requestContext"];
    assert_eq!(
        (ctx["stage"].as_str(), ctx["apiId"].as_str()),
        (Some("$default"), Some("shop"))
    );
    assert_eq!(ctx["routeKey"], "GET /items/{id}");
    assert_eq!(
        ctx["requestId"].as_str(),
        id.as_deref(),
        "apigw-requestid is the event's requestId"
    );

    let (_, _, special) = get(&p, &format!("{base}/items/special")).await;
    assert_eq!(special["routeKey"], "GET /items/special");
    assert!(special.get("pathParameters").is_none());

    let (_, _, prod) = get(&p, &format!("{base}/prod/items/7")).await;
    assert_eq!(
        prod["rawPath"], "/prod/items/7",
        "a named stage stays in rawPath"
    );
    assert_eq!(prod["requestContext"]["stage"], "prod");
    assert_eq!(
        prod["stageVariables"],
        json!({"size": "3", "table": "items"})
    );

    let deleted = p
        .client()
        .delete(format!("{base}/a/b/c"))
        .send()
        .await
        .unwrap();
    let event: Value = deleted.json().await.unwrap();
    assert_eq!(event["routeKey"], "ANY /{proxy+}");
    assert_eq!(event["pathParameters"], json!({"proxy": "a/b/c"}));

    // The host form reaches the same API.
    let host_form = p
        .client()
        .get(format!("{}/items/9", p.endpoint()))
        .header(
            "host",
            format!("shop.execute-api.localhost:{}", p.addr.port()),
        )
        .send()
        .await
        .unwrap();
    let event: Value = host_form.json().await.unwrap();
    assert_eq!(event["pathParameters"], json!({"id": "9"}));
    assert_eq!(
        event["requestContext"]["domainName"],
        "shop.execute-api.localhost"
    );
}

#[tokio::test]
async fn misses_and_failures_answer_in_api_gateways_shape() {
    let p = Portico::start(SHOP);
    let rows = [
        ("/execute-api/strict/nope", 404, "Not Found"),
        ("/execute-api/strict/prod/items", 404, "Not Found"),
        ("/execute-api/nosuchapi/items", 404, "Not Found"),
        ("/execute-api/shop/fail", 500, "Internal Server Error"),
        ("/execute-api/shop/slow", 503, "Service Unavailable"),
        // The route's own timeout, shorter than the function's.
        ("/execute-api/shop/impatient", 503, "Service Unavailable"),
    ];
    for (path, status, message) in rows {
        let (got, id, body) = get(&p, &format!("{}{path}", p.endpoint())).await;
        assert_eq!((got, body), (status, json!({"message": message})), "{path}");
        assert!(
            id.is_some_and(|id| id.len() == 16),
            "{path}: apigw-requestid"
        );
    }
    let (status, _, _) = get(&p, &format!("{}/execute-api/strict/items", p.endpoint())).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn cors_preflights_are_answered_by_the_api() {
    let p = Portico::start(
        r#"
functions:
  echo: {runtime: python3.12, handler: app.echo, code: "@fixtures/python"}
apis:
  shop:
    protocol: http
    cors: {allow_origins: ["https://app.example"], allow_methods: [GET, POST], allow_headers: [authorization], max_age: 60}
    routes:
      GET /items: {function: echo}
"#,
    );
    let url = format!("{}/execute-api/shop/items", p.endpoint());
    let preflight = p
        .client()
        .request(reqwest::Method::OPTIONS, &url)
        .header("origin", "https://app.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 204, "no OPTIONS route is needed");
    assert_eq!(
        preflight.headers()["access-control-allow-methods"],
        "GET,POST"
    );
    assert_eq!(
        preflight.headers()["access-control-allow-headers"],
        "authorization"
    );
    assert_eq!(preflight.headers()["access-control-max-age"], "60");
    assert!(preflight.headers().contains_key("apigw-requestid"));

    let get = p
        .client()
        .get(&url)
        .header("origin", "https://app.example")
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 200);
    assert_eq!(
        get.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    let miss = p
        .client()
        .get(format!("{url}/nope"))
        .header("origin", "https://app.example")
        .send()
        .await
        .unwrap();
    assert_eq!(miss.status(), 404);
    assert_eq!(
        miss.headers()["access-control-allow-origin"],
        "https://app.example",
        "errors carry CORS too"
    );
}

#[tokio::test]
async fn routes_and_stages_are_throttled_by_token_buckets() {
    let p = Portico::start(
        r#"
functions:
  echo: {runtime: python3.12, handler: app.echo, code: "@fixtures/python"}
apis:
  shop:
    protocol: http
    stages:
      $default: {}
      prod: {throttle: {rate: 0.01, burst: 1}}
    routes:
      GET /limited: {function: echo, throttle: {rate: 0.01, burst: 2}}
      GET /free: {function: echo}
"#,
    );
    let status = |path: &'static str| {
        let request = p
            .client()
            .get(format!("{}/execute-api/shop{path}", p.endpoint()))
            .send();
        async move {
            let response = request.await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    // The route's own bucket: a burst of 2, then API Gateway's 429.
    assert_eq!(status("/limited").await.0, 200);
    assert_eq!(status("/limited").await.0, 200);
    assert_eq!(
        status("/limited").await,
        (429, json!({"message": "Too Many Requests"}))
    );
    // The stage's default applies to routes without their own.
    assert_eq!(status("/prod/free").await.0, 200);
    assert_eq!(status("/prod/free").await.0, 429);
    // The $default stage has no throttle.
    for _ in 0..5 {
        assert_eq!(status("/free").await.0, 200);
    }
}

#[tokio::test]
async fn routes_can_use_payload_format_1_0() {
    let p = Portico::start(
        r#"
functions:
  proxy: {runtime: python3.12, handler: app.echo_proxy, code: "@fixtures/python"}
  echo: {runtime: python3.12, handler: app.echo, code: "@fixtures/python"}
apis:
  shop:
    protocol: http
    stages: {$default: {}, prod: {variables: {table: items}}}
    routes:
      GET /items/{id}: {function: proxy, payload_format: "1.0"}
      GET /bare: {function: echo, payload_format: "1.0"}
"#,
    );
    let response = p
        .client()
        .get(format!(
            "{}/execute-api/shop/prod/items/7?a=1&a=2",
            p.endpoint()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let multi: Vec<&str> = response
        .headers()
        .get_all("x-multi")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(multi, ["a", "b"]);
    let event: Value = response.json().await.unwrap();
    assert_eq!(event["version"], "1.0");
    assert_eq!(event["resource"], "/items/{id}");
    assert_eq!(event["httpMethod"], "GET");
    assert_eq!(event["pathParameters"], json!({"id": "7"}));
    assert_eq!(
        event["multiValueQueryStringParameters"],
        json!({"a": ["1", "2"]})
    );
    assert_eq!(event["stageVariables"], json!({"table": "items"}));
    assert_eq!(event["requestContext"]["stage"], "prod");
    // 1.0 requires a statusCode: a bare result is an integration failure.
    let (status, _, body) = get(&p, &format!("{}/execute-api/shop/bare", p.endpoint())).await;
    assert_eq!(
        (status, body),
        (500, json!({"message": "Internal Server Error"}))
    );
}

#[tokio::test]
async fn lambda_authorizers_guard_routes_and_cache_their_decisions() {
    let p = Portico::start(
        r#"
functions:
  echo: {runtime: python3.12, handler: app.echo, code: "@fixtures/python"}
  simple: {runtime: python3.12, handler: app.authorize_simple, code: "@fixtures/python"}
  policy: {runtime: python3.12, handler: app.authorize_policy, code: "@fixtures/python"}
  v1: {runtime: python3.12, handler: app.authorize_v1, code: "@fixtures/python"}
  narrow: {runtime: python3.12, handler: app.authorize_orders_only, code: "@fixtures/python"}
apis:
  shop:
    protocol: http
    authorizers:
      simple: {type: lambda, function: simple, simple_responses: true, identity_source: ["$request.header.Authorization"], ttl: 300}
      policy: {type: lambda, function: policy, identity_source: ["$request.header.Authorization"], ttl: 0}
      v1: {type: lambda, function: v1, payload_format: "1.0", identity_source: ["$request.header.Authorization"], ttl: 0}
      narrow: {type: lambda, function: narrow, identity_source: ["$request.header.Authorization"], ttl: 300}
    routes:
      GET /items:
        function: echo
        authorizer: simple
        request_parameters: {"overwrite:header.x-user": "${context.authorizer.user}-${context.authorizer.level}"}
      GET /orders: {function: echo, authorizer: policy}
      GET /legacy/{id}: {function: echo, authorizer: v1}
      GET /narrow/orders: {function: echo, authorizer: narrow}
      GET /narrow/items: {function: echo, authorizer: narrow}
      GET /open: {function: echo}
"#,
    );
    let call = |path: &str, token: Option<&str>| {
        let mut request = p
            .client()
            .get(format!("{}/execute-api/shop{path}", p.endpoint()));
        if let Some(token) = token {
            request = request.header("authorization", token);
        }
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    assert_eq!(
        call("/items", None).await,
        (401, json!({"message": "Unauthorized"}))
    );
    assert_eq!(
        call("/items", Some("wrong")).await,
        (403, json!({"message": "Forbidden"}))
    );
    let (status, event) = call("/items", Some("let-me-in")).await;
    assert_eq!(status, 200);
    assert_eq!(
        event["requestContext"]["authorizer"],
        json!({"lambda": {"user": "ada", "level": 3}})
    );
    assert_eq!(event["headers"]["x-user"], "ada-3");
    let (status, _) = call("/items", Some("let-me-in")).await;
    assert_eq!(status, 200);
    // Two identities asked once each: the repeated one came from the cache, and the request
    // without an identity never reached the authorizer.
    p.wait_for_lines("REPORT RequestId", 4);
    let seen = p.wait_for_lines("authorizer saw", 2);
    assert_eq!(p.logs().matches("authorizer saw").count(), 2, "{seen:?}");
    assert!(
        seen[0].contains("arn:aws:execute-api:us-east-1:000000000000:shop/$default/GET/items"),
        "{seen:?}"
    );

    assert_eq!(call("/orders", Some("let-me-in")).await.0, 200);
    assert_eq!(
        call("/orders", Some("nope")).await,
        (403, json!({"message": "Forbidden"}))
    );
    // Payload format 1.0: the REST request authorizer's event; its policy decides.
    let (status, event) = call("/legacy/7", Some("let-me-in")).await;
    assert_eq!(status, 200, "{event}");
    assert_eq!(
        event["requestContext"]["authorizer"],
        json!({"lambda": {"resource": "/legacy/{id}"}})
    );
    assert_eq!(
        call("/legacy/7", Some("nope")).await,
        (403, json!({"message": "Forbidden"}))
    );
    // A cached policy decides for its own route only: the same identity asking for another
    // route is judged by the policy again, not given the first route's Allow.
    assert_eq!(call("/narrow/orders", Some("ada")).await.0, 200);
    assert_eq!(
        call("/narrow/items", Some("ada")).await,
        (403, json!({"message": "Forbidden"}))
    );
    let (status, event) = call("/open", None).await;
    assert_eq!(status, 200);
    assert!(event["requestContext"].get("authorizer").is_none());
}

/// Two throwaway CAs for helper servers that speak https (`clients/tls.py` writes each
/// server's CA into the folder it is given): Portico trusts the first through
/// `SSL_CERT_FILE`, and not the second.
struct Cas {
    trusted: tempfile::TempDir,
    untrusted: tempfile::TempDir,
}

impl Cas {
    fn new() -> Cas {
        let dir = || tempfile::tempdir().unwrap();
        Cas {
            trusted: dir(),
            untrusted: dir(),
        }
    }

    /// The CA certificate file to give Portico as `SSL_CERT_FILE`.
    fn trusted_file(&self) -> String {
        self.trusted.path().join("ca.pem").display().to_string()
    }
}

/// GETs `path` of the `shop` API with `token` as a bearer token: the status and the JSON body.
async fn bearer(p: &Portico, path: &str, token: Option<String>) -> (u16, Value) {
    let mut request = p
        .client()
        .get(format!("{}/execute-api/shop{path}", p.endpoint()));
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json::<Value>().await.unwrap())
}

#[tokio::test]
async fn jwt_authorizers_verify_tokens_as_api_gateway_does() {
    let issuer = Issuer::start(None);
    let p = Portico::start(&format!(
        r#"
functions:
  echo: {{runtime: python3.12, handler: app.echo, code: "@fixtures/python"}}
apis:
  shop:
    protocol: http
    authorizers:
      users: {{type: jwt, issuer: "{issuer}", audience: [my-app]}}
      others: {{type: jwt, issuer: "{issuer}", audience: [other-app]}}
    routes:
      GET /items: {{function: echo, authorizer: users, scopes: ["items:read"]}}
      GET /others: {{function: echo, authorizer: others}}
      GET /me: {{function: echo, authorizer: users}}
"#,
        issuer = issuer.url
    ));
    let call =
        |path: &'static str, token: Option<&str>| bearer(&p, path, token.map(str::to_string));
    let token = |name: &str| issuer.tokens[name].as_str().unwrap().to_string();

    let (status, event) = call("/items", Some(&token("valid"))).await;
    assert_eq!(status, 200, "{event}");
    let jwt = &event["requestContext"]["authorizer"]["jwt"];
    assert_eq!(jwt["claims"]["sub"], "ada");
    assert_eq!(jwt["claims"]["aud"], "my-app");
    assert!(
        jwt["claims"]["exp"].is_string(),
        "claims are passed as strings: {jwt}"
    );
    assert_eq!(jwt["scopes"], json!(["items:read", "profile"]));
    for name in ["ec", "client_id"] {
        assert_eq!(call("/items", Some(&token(name))).await.0, 200, "{name}");
    }
    // Verified for `users` and remembered, the token is still not for `others`' audience.
    assert_eq!(call("/others", Some(&token("valid"))).await.0, 401);
    let unauthorized = json!({"message": "Unauthorized"});
    assert_eq!(call("/items", None).await, (401, unauthorized.clone()));
    for name in [
        "expired",
        "not_yet",
        "issued_later",
        "wrong_issuer",
        "wrong_audience",
        "unknown_key",
        "tampered",
        "alg_none",
        "hmac_with_public_key",
    ] {
        assert_eq!(
            call("/items", Some(&token(name))).await,
            (401, unauthorized.clone()),
            "{name}"
        );
    }
    // A valid token without the route's scope: 403; a route without scopes takes it.
    assert_eq!(
        call("/items", Some(&token("no_scope"))).await,
        (403, json!({"message": "Forbidden"}))
    );
    assert_eq!(call("/me", Some(&token("no_scope"))).await.0, 200);

    // `www-authenticate` says why, as API Gateway's troubleshooting guide shows it.
    let challenge = |path: &'static str, name: &str| {
        let request = p
            .client()
            .get(format!("{}/execute-api/shop{path}", p.endpoint()))
            .bearer_auth(token(name));
        async move {
            let response = request.send().await.unwrap();
            let value = &response.headers()["www-authenticate"];
            value.to_str().unwrap().to_string()
        }
    };
    let expected = [
        (
            "/me",
            "wrong_audience",
            r#"scope="" error="invalid_token" error_description="the token does not have a valid audience""#,
        ),
        (
            "/items",
            "expired",
            r#"scope="items:read" error="invalid_token" error_description="the token has expired""#,
        ),
        (
            "/me",
            "alg_none",
            r#"scope="" error="invalid_token" error_description="signing method none is invalid""#,
        ),
        (
            "/items",
            "no_scope",
            r#"scope="items:read" error="insufficient_scope" error_description="the token does not have the required scopes""#,
        ),
    ];
    for (path, name, value) in expected {
        assert_eq!(
            challenge(path, name).await,
            format!("Bearer {value}"),
            "{name}"
        );
    }
}

#[tokio::test]
async fn jwt_keys_come_over_https_and_rotate() {
    let cas = Cas::new();
    let mut issuer = Issuer::start(Some(cas.trusted.path()));
    let stranger = Issuer::start(Some(cas.untrusted.path()));
    assert!(issuer.url.starts_with("https://"), "{}", issuer.url);
    let p = Portico::start_with_env(
        &format!(
            r#"
functions:
  echo: {{runtime: python3.12, handler: app.echo, code: "@fixtures/python"}}
apis:
  shop:
    protocol: http
    authorizers:
      users: {{type: jwt, issuer: "{issuer}", audience: [my-app]}}
      strangers: {{type: jwt, issuer: "{stranger}", audience: [my-app]}}
    routes:
      GET /items: {{function: echo, authorizer: users}}
      GET /strange: {{function: echo, authorizer: strangers}}
"#,
            issuer = issuer.url,
            stranger = stranger.url
        ),
        &[],
        &[("SSL_CERT_FILE", &cas.trusted_file())],
    );
    let token = |name: &str| Some(issuer.tokens[name].as_str().unwrap().to_string());

    // The keys are found over https through the issuer's OpenID configuration.
    assert_eq!(bearer(&p, "/items", token("valid")).await.0, 200);
    assert_eq!(issuer.server.ask("fetches"), "1");
    // The issuer publishes a new key: a token naming it makes Portico fetch the keys again.
    assert_eq!(issuer.server.ask("rotate"), "rotated");
    let (status, event) = bearer(&p, "/items", token("rotated")).await;
    assert_eq!(status, 200, "{event}");
    assert_eq!(issuer.server.ask("fetches"), "2");
    // A flood of made-up key ids right after: refused, and the issuer is not asked again.
    for i in 0..20 {
        let made_up = token(&format!("made_up_kid_{i}"));
        assert_eq!(bearer(&p, "/items", made_up).await.0, 401);
    }
    assert_eq!(issuer.server.ask("fetches"), "2");
    // An issuer whose certificate Portico does not trust gives no keys: 401.
    let foreign = Some(stranger.tokens["valid"].as_str().unwrap().to_string());
    assert_eq!(
        bearer(&p, "/strange", foreign).await,
        (401, json!({"message": "Unauthorized"}))
    );
}

#[tokio::test]
async fn http_proxy_routes_forward_and_stream_both_ways() {
    let upstream = Upstream::start(None);
    let p = Portico::start(&format!(
        r#"
limits: unbounded
apis:
  shop:
    protocol: http
    routes:
      ANY /legacy/{{proxy+}}: {{http: "http://127.0.0.1:{port}/echo/{{proxy}}"}}
      GET /big: {{http: "http://127.0.0.1:{port}/big"}}
      POST /count: {{http: "http://127.0.0.1:{port}/count"}}
      GET /down: {{http: "http://127.0.0.1:1/nothing"}}
"#,
        port = upstream.port
    ));
    let base = format!("{}/execute-api/shop", p.endpoint());
    let echoed = p
        .client()
        .put(format!("{base}/legacy/a/b?x=1&t=%7E&flag"))
        .header("x-test", "kept")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.status(), 200);
    assert_eq!(echoed.headers()["x-upstream"], "yes");
    assert!(echoed.headers().contains_key("apigw-requestid"));
    let seen: Value = echoed.json().await.unwrap();
    assert_eq!(seen["method"], "PUT");
    assert_eq!(seen["path"], "/echo/a/b");
    // Passed on byte for byte: no re-encoding of what the client sent.
    assert_eq!(seen["query"], "x=1&t=%7E&flag");
    assert_eq!(seen["headers"]["x-test"], "kept");
    assert_eq!(seen["headers"]["x-forwarded-for"], "127.0.0.1");
    assert_eq!(
        seen["headers"]["host"],
        format!("127.0.0.1:{}", upstream.port)
    );
    assert_eq!(seen["body_bytes"], 5);

    // 256 MiB down and 256 MiB up go through without Portico holding them.
    const MIB: u64 = 1024 * 1024;
    let mut download = p
        .client()
        .get(format!("{base}/big?mb=256"))
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 200);
    let mut received = 0u64;
    while let Some(chunk) = download.chunk().await.unwrap() {
        received += chunk.len() as u64;
    }
    assert_eq!(received, 256 * MIB);
    let upload = p
        .client()
        .post(format!("{base}/count"))
        .body(vec![b'u'; 256 * MIB as usize])
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 201);
    assert_eq!(
        upload.json::<Value>().await.unwrap(),
        json!({"bytes": 256 * MIB})
    );
    let peak_mib = p.peak_memory_kb() / 1024;
    assert!(
        peak_mib < 64,
        "portico peaked at {peak_mib} MiB while streaming 256 MiB each way"
    );

    let (status, _, body) = get(&p, &format!("{base}/down")).await;
    assert_eq!(
        (status, body),
        (500, json!({"message": "Internal Server Error"}))
    );
}

#[tokio::test]
async fn http_proxy_routes_reach_https_upstreams_portico_trusts() {
    let cas = Cas::new();
    let secure = Upstream::start(Some(cas.trusted.path()));
    let stranger = Upstream::start(Some(cas.untrusted.path()));
    let p = Portico::start_with_env(
        &format!(
            r#"
apis:
  shop:
    protocol: http
    routes:
      GET /secure/{{proxy+}}: {{http: "https://127.0.0.1:{secure}/echo/{{proxy}}"}}
      GET /stranger: {{http: "https://127.0.0.1:{stranger}/echo"}}
"#,
            secure = secure.port,
            stranger = stranger.port
        ),
        &[],
        &[("SSL_CERT_FILE", &cas.trusted_file())],
    );
    let base = format!("{}/execute-api/shop", p.endpoint());
    let (status, _, seen) = get(&p, &format!("{base}/secure/a/b?q=1")).await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["path"], "/echo/a/b");
    assert_eq!(seen["query"], "q=1");
    assert_eq!(
        seen["headers"]["host"],
        format!("127.0.0.1:{}", secure.port)
    );
    // A certificate from a CA nobody trusts is an integration failure, as on AWS.
    let (status, _, body) = get(&p, &format!("{base}/stranger")).await;
    assert_eq!(
        (status, body),
        (500, json!({"message": "Internal Server Error"}))
    );
    // The log says why.
    let why = p.wait_for_log("GET /stranger 500");
    assert!(
        why.contains("invalid peer certificate: UnknownIssuer"),
        "{why}"
    );
}

#[tokio::test]
async fn an_upload_over_the_aws_limit_is_refused_on_the_way() {
    let upstream = Upstream::start(None);
    let p = Portico::start(&format!(
        r#"
apis:
  shop:
    protocol: http
    routes:
      POST /count: {{http: "http://127.0.0.1:{port}/count"}}
"#,
        port = upstream.port
    ));
    let url = format!("{}/execute-api/shop/count", p.endpoint());
    let small = p
        .client()
        .post(&url)
        .body(vec![b'u'; 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(small.status(), 201);
    let large = p
        .client()
        .post(&url)
        .body(vec![b'u'; 11 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(large.status(), 413);
    assert_eq!(
        large.json::<Value>().await.unwrap(),
        json!({"message": "Request Entity Too Large"})
    );
}

#[tokio::test]
async fn aws_iam_takes_botocore_signatures_and_refuses_tampered_ones() {
    let p = Portico::start_with_env(
        r#"
credentials:
  AKIDPORTICOTEST: {secret: "${env:PORTICO_TEST_SECRET}"}
functions:
  private: {runtime: python3.12, handler: app.echo, code: "@fixtures/python", url: {auth: aws_iam}}
  echo: {runtime: python3.12, handler: app.echo, code: "@fixtures/python"}
apis:
  shop:
    protocol: http
    routes:
      POST /signed: {function: echo, auth: aws_iam}
"#,
        &[],
        &[("PORTICO_TEST_SECRET", "portico-test-secret")],
    );
    let got = p.python(
        "sigv4.py",
        &["/lambda-url/private/x", "/execute-api/shop/signed"],
    );
    let status = |name: &str| {
        got[name][0]
            .as_u64()
            .unwrap_or_else(|| panic!("{name}: {got}"))
    };
    assert_eq!(status("signed"), 200, "{got}");
    let event: Value = serde_json::from_str(got["signed"][1].as_str().unwrap()).unwrap();
    let iam = &event["requestContext"]["authorizer"]["iam"];
    assert_eq!(iam["accessKey"], "AKIDPORTICOTEST");
    assert_eq!(iam["accountId"], "000000000000");
    assert_eq!(event["body"], "hello");
    assert_eq!(status("presigned"), 200, "{got}");
    for tampered in [
        "method",
        "path",
        "query",
        "header",
        "body",
        "date",
        "unsigned",
        "wrong_secret",
        "unknown_key",
        "wrong_service",
    ] {
        assert_eq!(status(tampered), 403, "{tampered}: {got}");
    }
    assert_eq!(status("api_signed"), 200, "{got}");
    assert_eq!(
        got["api_unsigned"],
        json!([403, r#"{"message":"Forbidden"}"#])
    );

    // awscurl (PyPI) signs on its own; its requests are accepted too, and a wrong secret is not.
    let awscurl = |secret: &str| awscurl(&p, "shop/signed", secret);
    let accepted = awscurl("portico-test-secret");
    let body = String::from_utf8_lossy(&accepted.stdout);
    assert!(
        accepted.status.success(),
        "{body}{}",
        String::from_utf8_lossy(&accepted.stderr)
    );
    let event: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(event["body"], r#"{"via": "awscurl"}"#);
    let refused = awscurl("wrong-secret");
    assert!(
        String::from_utf8_lossy(&refused.stdout).contains("Forbidden"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_route_can_stream_what_the_function_streams() {
    let p = Portico::start(
        r#"
functions:
  stream: {runtime: nodejs20.x, handler: stream.handler, code: "@fixtures/node"}
apis:
  shop:
    protocol: http
    routes:
      GET /live: {function: stream, invoke_mode: response_stream}
      GET /whole: {function: stream}
"#,
    );
    let gate = crate::harness::Gate::new().await;
    let url = format!("{}/execute-api/shop/live?gate={}", p.endpoint(), gate.addr);
    let mut response = p.client().get(url).send().await.unwrap();
    assert_eq!(response.status(), 201);
    assert!(response.headers().contains_key("apigw-requestid"));
    // The first chunk arrives while the function still waits at the gate.
    assert_eq!(&response.chunk().await.unwrap().unwrap()[..], b"first\n");
    gate.open().await;
    assert_eq!(&response.chunk().await.unwrap().unwrap()[..], b"second\n");
    // Without the opt-in, the route answers once the function is done, as API Gateway does.
    let whole = p.api_get("shop/whole").await;
    assert_eq!(whole.status(), 201);
    assert_eq!(whole.text().await.unwrap(), "first\nsecond\n");
}

#[tokio::test]
async fn parameter_mappings_change_what_the_proxy_sends() {
    let upstream = Upstream::start(None);
    let p = Portico::start(&format!(
        r#"
apis:
  shop:
    protocol: http
    stages: {{prod: {{variables: {{table: items}}}}}}
    routes:
      GET /things/{{id}}:
        http: "http://127.0.0.1:{port}/echo/{{id}}"
        request_parameters:
          "append:header.x-from": "$request.header.x-client"
          "overwrite:header.x-stage": "${{context.stage}}/${{stageVariables.table}}"
          "remove:header.x-secret": ""
          "overwrite:header.x-route": "$context.routeKey"
          "remove:querystring.debug": ""
          "overwrite:querystring.id": "${{request.path.id}}-v2"
          "overwrite:path": "/echo/moved/${{request.path.id}}"
"#,
        port = upstream.port
    ));
    let response = p
        .client()
        .get(format!(
            "{}/execute-api/shop/prod/things/7?debug=1&keep=yes",
            p.endpoint()
        ))
        .header("x-client", "portico-test")
        .header("x-secret", "do-not-forward")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let seen: Value = response.json().await.unwrap();
    assert_eq!(seen["path"], "/echo/moved/7");
    assert_eq!(seen["query"], "keep=yes&id=7-v2");
    assert_eq!(seen["headers"]["x-from"], "portico-test");
    assert_eq!(seen["headers"]["x-stage"], "prod/items");
    assert_eq!(seen["headers"]["x-route"], "GET /things/{id}");
    assert!(seen["headers"].get("x-secret").is_none(), "{seen}");
}

#[tokio::test]
async fn response_mappings_change_what_the_client_gets() {
    let upstream = Upstream::start(None);
    let p = Portico::start(&format!(
        r#"
apis:
  shop:
    protocol: http
    routes:
      GET /gone:
        http: "http://127.0.0.1:{port}/nothing"
        response_parameters:
          "404":
            "overwrite:statuscode": "410"
            "append:header.x-was": "$response.header.x-upstream"
            "remove:header.x-upstream": ""
            "overwrite:header.x-error": "$response.body.error"
          "200": {{"overwrite:header.x-never": "mapped for 200 only"}}
      GET /broken:
        http: "http://127.0.0.1:{port}/echo"
        response_parameters: {{"200": {{"overwrite:statuscode": "$response.header.content-type"}}}}
"#,
        port = upstream.port
    ));
    let response = p.api_get("shop/gone").await;
    assert_eq!(response.status(), 410);
    assert_eq!(response.headers()["x-was"], "yes");
    assert_eq!(response.headers()["x-error"], "no such path");
    assert!(response.headers().get("x-upstream").is_none());
    assert!(response.headers().get("x-never").is_none());
    assert_eq!(
        response.text().await.unwrap(),
        r#"{"error":"no such path"}"#
    );

    // A mapping that yields no status code: API Gateway's 500, not a broken answer.
    let response = p.api_get("shop/broken").await;
    assert_eq!(response.status(), 500);
    assert_eq!(
        response.text().await.unwrap(),
        r#"{"message":"Internal Server Error"}"#
    );
}

#[tokio::test]
async fn function_routes_map_the_event_and_the_answer() {
    let p = Portico::start(
        r#"
functions:
  echo: {runtime: python3.12, handler: app.echo, code: "@fixtures/python"}
  fail: {runtime: python3.12, handler: app.fail, code: "@fixtures/python"}
apis:
  shop:
    protocol: http
    routes:
      GET /items:
        function: echo
        request_parameters:
          "overwrite:header.x-tenant": "t-${request.querystring.tenant}"
          "remove:querystring.tenant": ""
          "append:querystring.source": "portico"
        response_parameters: {"200": {"overwrite:header.x-mapped": "$context.routeKey"}}
      GET /fail:
        function: fail
        response_parameters: {"500": {"overwrite:statuscode": "200"}}
"#,
    );
    let response = p.api_get("shop/items?tenant=acme&page=2").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-mapped"], "GET /items");
    let event: Value = response.json().await.unwrap();
    assert_eq!(event["headers"]["x-tenant"], "t-acme");
    assert_eq!(event["rawQueryString"], "page=2&source=portico");
    assert_eq!(
        event["queryStringParameters"],
        json!({"page": "2", "source": "portico"})
    );

    // A failed function is API Gateway's answer, not the integration's: never mapped.
    let response = p.api_get("shop/fail").await;
    assert_eq!(response.status(), 500);
}

#[tokio::test]
async fn aws_iam_guards_http_proxy_routes() {
    let upstream = Upstream::start(None);
    let p = Portico::start_with_env(
        &format!(
            r#"
credentials:
  AKIDPORTICOTEST: {{secret: "${{env:PORTICO_TEST_SECRET}}"}}
apis:
  shop:
    protocol: http
    routes:
      POST /proxied: {{http: "http://127.0.0.1:{port}/echo", auth: aws_iam}}
"#,
            port = upstream.port
        ),
        &[],
        &[("PORTICO_TEST_SECRET", "portico-test-secret")],
    );
    let accepted = awscurl(&p, "shop/proxied", "portico-test-secret");
    let seen: Value =
        serde_json::from_slice(&accepted.stdout).unwrap_or_else(|e| panic!("{e}: {accepted:?}"));
    assert_eq!(seen["path"], "/echo");
    assert_eq!(seen["body_bytes"], r#"{"via": "awscurl"}"#.len());

    let refused = awscurl(&p, "shop/proxied", "wrong-secret");
    assert_eq!(
        String::from_utf8_lossy(&refused.stdout),
        r#"{"message":"Forbidden"}"#,
        "{refused:?}"
    );
    let unsigned = p
        .client()
        .post(format!("{}/execute-api/shop/proxied", p.endpoint()))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 403);
}

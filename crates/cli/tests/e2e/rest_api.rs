//! REST APIs: stages, resources and methods, REST's flavor of the 1.0 event, HTTP proxy
//! methods, SigV4, and REST's gateway responses for what goes wrong.

use serde_json::{Value, json};

use crate::harness::Portico;
use crate::http_api::{Upstream, awscurl};

/// GETs `url`: status, `x-amzn-ErrorType`, body as JSON.
async fn get(p: &Portico, url: &str) -> (u16, Option<String>, Value) {
    let response = p.client().get(url).send().await.unwrap();
    assert!(
        response.headers().contains_key("x-amzn-requestid"),
        "REST APIs name every answer's request id"
    );
    assert!(response.headers().contains_key("x-amz-apigw-id"));
    let status = response.status().as_u16();
    let error_type = response
        .headers()
        .get("x-amzn-errortype")
        .map(|v| v.to_str().unwrap().to_string());
    (status, error_type, response.json().await.unwrap())
}

#[tokio::test]
async fn lambda_proxy_methods_get_rests_1_0_event() {
    let upstream = Upstream::start(None);
    let p = Portico::start_with_env(
        &format!(
            r#"
functions:
  echo: {{runtime: python3.12, handler: app.echo_proxy, code: "@fixtures/python"}}
  bare: {{runtime: python3.12, handler: app.echo, code: "@fixtures/python"}}
  sleepy: {{runtime: python3.12, handler: app.sleep, code: "@fixtures/python", timeout: 60}}
apis:
  petstore:
    protocol: rest
    stages: {{prod: {{variables: {{table: pets}}}}, test: {{}}}}
    routes:
      GET /pets/{{id}}: {{function: echo}}
      GET /pets/special: {{function: echo}}
      ANY /{{proxy+}}: {{function: echo}}
      GET /bare: {{function: bare}}
      GET /impatient: {{function: sleepy, timeout_ms: 300}}
      GET /upstream/{{proxy+}}: {{http: "http://127.0.0.1:{port}/echo/{{proxy}}"}}
      POST /signed: {{function: echo, auth: aws_iam}}
credentials:
  AKIDPORTICOTEST: {{secret: portico-test-secret}}
"#,
            port = upstream.port
        ),
        &[],
        &[],
    );
    let base = format!("{}/execute-api/petstore", p.endpoint());

    // echo_proxy answers with the event as its body.
    let (status, error, event) = get(&p, &format!("{base}/prod/pets/7?kind=cat&kind=dog")).await;
    assert_eq!((status, error), (200, None), "{event}");
    assert_eq!(event["resource"], "/pets/{id}");
    assert_eq!(event["path"], "/pets/7");
    assert_eq!(event["httpMethod"], "GET");
    assert!(
        event.get("version").is_none(),
        "REST events have no version"
    );
    assert_eq!(event["pathParameters"], json!({"id": "7"}));
    assert_eq!(event["queryStringParameters"], json!({"kind": "dog"}));
    assert_eq!(
        event["multiValueQueryStringParameters"],
        json!({"kind": ["cat", "dog"]})
    );
    assert_eq!(event["stageVariables"], json!({"table": "pets"}));
    let context = &event["requestContext"];
    assert_eq!(context["stage"], "prod");
    assert_eq!(context["path"], "/prod/pets/7");
    assert_eq!(context["resourcePath"], "/pets/{id}");
    assert_eq!(context["identity"]["sourceIp"], "127.0.0.1");

    // A literal resource wins over a parameter; a greedy one takes the rest, any method.
    let (_, _, event) = get(&p, &format!("{base}/test/pets/special")).await;
    assert_eq!(event["resource"], "/pets/special");
    assert_eq!(event["stageVariables"], Value::Null);
    let (_, _, event) = get(&p, &format!("{base}/prod/a/b/c")).await;
    assert_eq!(event["resource"], "/{proxy+}");
    assert_eq!(event["pathParameters"], json!({"proxy": "a/b/c"}));

    // An HTTP proxy method passes the request on.
    let (status, _, seen) = get(&p, &format!("{base}/prod/upstream/x/y?q=1")).await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["path"], "/echo/x/y");
    assert_eq!(seen["query"], "q=1");

    // REST's answers for what goes wrong.
    let missing = (
        403,
        Some("MissingAuthenticationTokenException".to_string()),
        json!({"message": "Missing Authentication Token"}),
    );
    assert_eq!(get(&p, &format!("{base}/staging/pets/7")).await, missing);
    assert_eq!(get(&p, &format!("{base}/prod")).await, missing);
    assert_eq!(
        get(&p, &format!("{base}/prod/bare")).await,
        (
            502,
            Some("InternalServerErrorException".to_string()),
            json!({"message": "Internal server error"})
        )
    );
    assert_eq!(
        get(&p, &format!("{base}/prod/impatient")).await,
        (
            504,
            Some("InternalServerErrorException".to_string()),
            json!({"message": "Endpoint request timed out"})
        )
    );

    // AWS_IAM: awscurl's signature is accepted, a wrong secret is not.
    let accepted = awscurl(&p, "petstore/prod/signed", "portico-test-secret");
    let event: Value = serde_json::from_slice(&accepted.stdout).unwrap();
    assert_eq!(event["body"], r#"{"via": "awscurl"}"#, "{event}");
    let refused = awscurl(&p, "petstore/prod/signed", "wrong-secret");
    let refused = String::from_utf8_lossy(&refused.stdout);
    assert!(
        refused.contains("The request signature we calculated does not match"),
        "{refused}"
    );
    let (status, error, _) = {
        let response = p
            .client()
            .post(format!("{base}/prod/signed"))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let error = response.headers().get("x-amzn-errortype").cloned();
        (status, error, response.text().await.unwrap())
    };
    assert_eq!(
        (status, error.as_ref().map(|e| e.to_str().unwrap())),
        (403, Some("MissingAuthenticationTokenException"))
    );
}

#[tokio::test]
async fn api_keys_and_usage_plans_guard_methods() {
    let p = Portico::start_with_env(
        r#"
functions:
  echo: {runtime: python3.12, handler: app.echo_proxy, code: "@fixtures/python"}
apis:
  petstore:
    protocol: rest
    api_keys:
      gold-key: {value: "${env:PORTICO_TEST_GOLD_KEY}"}
      silver-key: {value: silver-0123456789abcdef}
      stray-key: {value: stray-0123456789abcdefg}
    usage_plans:
      gold: {quota: {limit: 2, period: DAY}, keys: [gold-key]}
      silver: {throttle: {rate: 0, burst: 1}, keys: [silver-key]}
    routes:
      GET /keyed: {function: echo, api_key_required: true}
      GET /open: {function: echo}
"#,
        &[],
        &[("PORTICO_TEST_GOLD_KEY", "gold-0123456789abcdefghij")],
    );
    let url = format!("{}/execute-api/petstore/prod/keyed", p.endpoint());
    let call = |key: Option<&'static str>| {
        let mut request = p.client().get(&url);
        if let Some(key) = key {
            request = request.header("x-api-key", key);
        }
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let error = response
                .headers()
                .get("x-amzn-errortype")
                .map(|v| v.to_str().unwrap().to_string());
            let body: Value = response.json().await.unwrap();
            (status, error, body)
        }
    };
    let forbidden = (
        403,
        Some("ForbiddenException".to_string()),
        json!({"message": "Forbidden"}),
    );
    assert_eq!(call(None).await, forbidden, "no key");
    assert_eq!(
        call(Some("not-a-key-0123456789")).await,
        forbidden,
        "unknown key"
    );
    assert_eq!(
        call(Some("stray-0123456789abcdefg")).await,
        forbidden,
        "a key in no plan"
    );
    // gold: a quota of 2 a day.
    for _ in 0..2 {
        assert_eq!(call(Some("gold-0123456789abcdefghij")).await.0, 200);
    }
    assert_eq!(
        call(Some("gold-0123456789abcdefghij")).await,
        (
            429,
            Some("LimitExceededException".to_string()),
            json!({"message": "Limit Exceeded"})
        )
    );
    // silver: a burst of 1, never refilled.
    assert_eq!(call(Some("silver-0123456789abcdef")).await.0, 200);
    assert_eq!(
        call(Some("silver-0123456789abcdef")).await,
        (
            429,
            Some("TooManyRequestsException".to_string()),
            json!({"message": "Too Many Requests"})
        )
    );
    // A method without `api_key_required` takes no key.
    let open = format!("{}/execute-api/petstore/prod/open", p.endpoint());
    assert_eq!(p.client().get(open).send().await.unwrap().status(), 200);
}

//! REST APIs: stages, resources and methods, REST's flavor of the 1.0 event, HTTP proxy
//! methods, SigV4, and REST's gateway responses for what goes wrong.

use serde_json::{Value, json};

use crate::harness::{Portico, Upstream, awscurl, header};

/// GETs `url`: status, `x-amzn-ErrorType`, body as JSON; every REST answer names its ids.
async fn get(p: &Portico, url: &str) -> (u16, Option<String>, Value) {
    let (status, headers, body) = Portico::answer(p.client().get(url)).await;
    assert!(
        headers.contains_key("x-amzn-requestid"),
        "REST APIs name every answer's request id"
    );
    assert!(headers.contains_key("x-amz-apigw-id"));
    (status, header(&headers, "x-amzn-errortype"), body)
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
      made-up: {}
    usage_plans:
      gold: {quota: {limit: 2, period: DAY}, keys: [gold-key]}
      made-up-plan: {keys: [made-up]}
      silver:
        throttle: {rate: 0, burst: 1}
        method_throttles: {"GET /limited": {rate: 0, burst: 2}}
        keys: [silver-key]
    routes:
      GET /keyed: {function: echo, api_key_required: true}
      GET /limited: {function: echo, api_key_required: true}
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
            let (status, headers, body) = Portico::answer(request).await;
            (status, header(&headers, "x-amzn-errortype"), body)
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
    // A method with its own throttle in the plan has its own bucket.
    let limited = format!("{}/execute-api/petstore/prod/limited", p.endpoint());
    let statuses = [0; 3].map(|_| {
        p.client()
            .get(&limited)
            .header("x-api-key", "silver-0123456789abcdef")
            .send()
    });
    let mut seen = Vec::new();
    for request in statuses {
        seen.push(request.await.unwrap().status().as_u16());
    }
    assert_eq!(seen, [200, 200, 429]);
    // A key without a value is made up, printed at start-up, and works.
    let printed = p
        .banner
        .lines()
        .find(|l| l.contains("API key  petstore/made-up"))
        .unwrap_or_else(|| panic!("no made-up key in:\n{}", p.banner));
    let made_up = printed.split_whitespace().last().unwrap();
    assert_eq!(made_up.len(), 40);
    let keyed = p.client().get(&url).header("x-api-key", made_up).send();
    assert_eq!(keyed.await.unwrap().status(), 200);
    // A method without `api_key_required` takes no key.
    let open = format!("{}/execute-api/petstore/prod/open", p.endpoint());
    assert_eq!(p.client().get(open).send().await.unwrap().status(), 200);
}

/// Writes `document` next to a config serving it as the REST API `api` (with `more` of its
/// settings, indented as they go), and starts Portico.
fn serve_openapi(
    api: &str,
    document: &str,
    functions: &str,
    more: &str,
) -> (Portico, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{api}.yaml"));
    std::fs::write(&path, document).unwrap();
    let p = Portico::start(&format!(
        "{functions}\napis:\n  {api}:\n    protocol: rest\n    openapi: \"{}\"\n    stages: {{dev: {{}}}}\n{more}",
        path.display()
    ));
    (p, dir)
}

#[tokio::test]
async fn the_petstore_example_runs_as_api_gateway_exports_it() {
    let upstream = Upstream::start(None);
    let exported = include_str!("../../../config/tests/openapi/petstore.yaml").replace(
        "http://petstore.execute-api.us-east-1.amazonaws.com",
        &format!("http://127.0.0.1:{}", upstream.port),
    );
    let (p, _dir) = serve_openapi("petstore", &exported, "", "");
    let base = format!("{}/execute-api/petstore/dev", p.endpoint());

    // GET /: a MOCK whose response template is the HTML page, with the stage in its links.
    let page = p.client().get(format!("{base}/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-type"], "text/html");
    let html = page.text().await.unwrap();
    assert!(html.contains("Welcome to your Pet Store API"), "{html}");
    assert!(html.contains(r#"href="/dev/pets/1""#), "{html}");

    // GET /pets: HTTP, with the query mapped on and the CORS header from a static mapping.
    let pets = p
        .client()
        .get(format!("{base}/pets?type=cat&ignored=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(pets.status(), 200);
    assert_eq!(pets.headers()["access-control-allow-origin"], "*");
    let pets: Value = pets.json().await.unwrap();
    assert_eq!(pets, json!([{"id": 2, "type": "cat", "price": 124.99}]));

    // GET /pets/{petId}: the path parameter mapped into the backend's URL.
    let pet: Value = p
        .client()
        .get(format!("{base}/pets/3"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(pet, json!({"id": 3, "type": "fish", "price": 0.99}));

    // POST /pets: the body passed through (when_no_match) to the backend.
    let created: Value = p
        .client()
        .post(format!("{base}/pets"))
        .header("content-type", "application/json")
        .body(r#"{"type": "cat", "price": 123.11}"#)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        created,
        json!({"pet": {"type": "cat", "price": 123.11}, "message": "success"})
    );

    // OPTIONS /pets: the CORS MOCK.
    let preflight = p
        .client()
        .request(reqwest::Method::OPTIONS, format!("{base}/pets"))
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 200);
    assert_eq!(
        preflight.headers()["access-control-allow-methods"],
        "POST,GET,OPTIONS"
    );
    // No such method: REST's 403.
    let missing = p
        .client()
        .delete(format!("{base}/pets"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 403);
}

#[tokio::test]
async fn lambda_non_proxy_methods_map_with_templates() {
    let document = r##"
openapi: "3.0.1"
info: {title: Calc, version: "1"}
paths:
  /calc:
    get:
      parameters:
      - {name: operand1, in: query, schema: {type: string}}
      - {name: operand2, in: query, schema: {type: string}}
      - {name: operator, in: query, schema: {type: string}}
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        uri: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:Calc/invocations"
        requestTemplates:
          application/json: "{\"a\": \"$input.params('operand1')\", \"b\": \"$input.params('operand2')\", \"op\": \"$input.params('operator')\"}"
        passthroughBehavior: never
        responses:
          default:
            statusCode: "200"
            responseParameters:
              method.response.header.operator: integration.response.body.op
            responseTemplates:
              application/json: "#set($res = $input.path('$'))\n{\"result\": \"$res.a $res.op $res.b = $res.c\"}"
          "400 .*":
            statusCode: "400"
            responseTemplates:
              application/json: "{\"error\": \"$input.path('$.errorMessage')\"}"
  /jobs:
    post:
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        uri: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:job/invocations"
        requestParameters:
          integration.request.header.X-Amz-Invocation-Type: "'Event'"
        responses:
          default:
            statusCode: "202"
"##;
    let functions = r#"functions:
  Calc: {runtime: nodejs20.x, handler: calc.handler, code: "@fixtures/node"}
  job: {runtime: nodejs20.x, handler: calc.job, code: "@fixtures/node"}"#;
    let (p, _dir) = serve_openapi("calc", document, functions, "");
    let base = format!("{}/execute-api/calc/dev", p.endpoint());
    let calc = |query: &'static str| {
        let request = p.client().get(format!("{base}/calc?{query}"));
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let operator = response
                .headers()
                .get("operator")
                .map(|v| v.to_str().unwrap().to_string());
            (status, operator, response.json::<Value>().await.unwrap())
        }
    };
    assert_eq!(
        calc("operand1=3&operand2=4&operator=add").await,
        (
            200,
            Some("add".to_string()),
            json!({"result": "3 add 4 = 7"})
        )
    );
    // A function error picks the integration response by its errorMessage.
    assert_eq!(
        calc("operand1=3&operand2=0&operator=div").await,
        (400, None, json!({"error": "400 Divide by Zero"}))
    );
    assert_eq!(
        calc("operand1=x&operand2=0&operator=add").await,
        (400, None, json!({"error": "400 Invalid Operand"}))
    );
    // passthroughBehavior never: another content type is refused.
    let refused = p
        .client()
        .get(format!("{base}/calc"))
        .header("content-type", "text/plain")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 415);
    assert_eq!(
        refused.json::<Value>().await.unwrap(),
        json!({"message": "Unsupported Media Type"})
    );

    // X-Amz-Invocation-Type 'Event': answered at once, the function runs after.
    let accepted = p
        .client()
        .post(format!("{base}/jobs"))
        .header("content-type", "application/json")
        .body(r#"{"job": 42}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 202);
    p.wait_for_log(r#"job ran with {"job":42}"#);
}

#[tokio::test]
async fn request_validators_check_parameters_and_bodies() {
    let upstream = Upstream::start(None);
    let sample = include_str!("../../../config/tests/openapi/request_validation.json").replace(
        "http://petstore-demo-endpoint.execute-api.com",
        &format!("http://127.0.0.1:{}", upstream.port),
    );
    let keys = "    api_keys: {tester: {value: tester-0123456789abcdef}}\n    usage_plans: {basic: {keys: [tester]}}\n";
    let (p, _dir) = serve_openapi("validated", &sample, "", keys);
    let url = format!("{}/execute-api/validated/dev/validation", p.endpoint());
    let send = |request: reqwest::RequestBuilder| async move {
        let response = request
            .header("x-api-key", "tester-0123456789abcdef")
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json::<Value>().await.unwrap())
    };
    // GET: the query parameter q1 is required ("params-only", the document's default).
    assert_eq!(
        send(p.client().get(&url)).await,
        (
            400,
            json!({"message": "Missing required request parameters: [q1]"})
        )
    );
    let (status, pets) = send(p.client().get(format!("{url}?q1=cat"))).await;
    assert_eq!(
        (status, pets),
        (200, json!([{"id": 2, "type": "cat", "price": 124.99}]))
    );
    // POST ("all"): header h1, and a body matching RequestBodyModel.
    let good = r#"{"name": "Fluffy", "type": "cat", "price": 50}"#;
    let post = |h1: Option<&str>, body: &str| {
        let mut request = p
            .client()
            .post(&url)
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(h1) = h1 {
            request = request.header("h1", h1);
        }
        request
    };
    assert_eq!(
        send(post(None, good)).await,
        (
            400,
            json!({"message": "Missing required request parameters: [h1]"})
        )
    );
    let invalid = json!({"message": "Invalid request body"});
    for bad in [
        r#"{"name": "Fluffy", "type": "cat", "price": 15}"#,
        r#"{"name": "Fluffy", "type": "lion", "price": 50}"#,
        r#"{"type": "cat", "price": 50}"#,
        r#"{"name": "Fluffy", "type": "cat", "#,
    ] {
        assert_eq!(
            send(post(Some("v"), bad)).await,
            (400, invalid.clone()),
            "{bad}"
        );
    }
    let (status, created) = send(post(Some("v"), good)).await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["message"], "success");
}

#[tokio::test]
async fn lambda_authorizers_guard_methods_and_their_policies_are_cached() {
    let document = r##"
openapi: "3.0.1"
info: {title: Guarded, version: "1"}
components:
  securitySchemes:
    tok:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: custom
      x-amazon-apigateway-authorizer:
        type: token
        authorizerUri: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:token_auth/invocations"
        authorizerResultTtlInSeconds: 300
        identityValidationExpression: "^[a-z]+$"
    req:
      type: apiKey
      name: Unused
      in: header
      x-amazon-apigateway-authtype: custom
      x-amazon-apigateway-authorizer:
        type: request
        authorizerUri: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:request_auth/invocations"
        identitySource: "method.request.header.HeaderAuth1, method.request.querystring.QueryString1"
        authorizerResultTtlInSeconds: 0
paths:
  /pets:
    get:
      security: [{tok: []}]
      x-amazon-apigateway-integration: &echo
        type: aws_proxy
        httpMethod: POST
        uri: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:echo/invocations"
  /toys:
    get:
      security: [{tok: []}]
      x-amazon-apigateway-integration: *echo
  /request:
    get:
      security: [{req: []}]
      x-amazon-apigateway-integration: *echo
"##;
    let functions = r#"functions:
  echo: {runtime: python3.12, handler: app.echo_proxy, code: "@fixtures/python"}
  token_auth: {runtime: python3.12, handler: app.authorize_token, code: "@fixtures/python"}
  request_auth: {runtime: python3.12, handler: app.authorize_request, code: "@fixtures/python"}"#;
    let (p, _dir) = serve_openapi("guarded", document, functions, "");
    let base = format!("{}/execute-api/guarded/dev", p.endpoint());
    let get = |path: &'static str, token: Option<&'static str>| {
        let mut request = p.client().get(format!("{base}{path}"));
        if let Some(token) = token {
            request = request.header("authorization", token);
        }
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let (status, event) = get("/pets", Some("allow")).await;
    assert_eq!(status, 200, "{event}");
    assert_eq!(
        event["requestContext"]["authorizer"],
        json!({"principalId": "user", "stringKey": "stringval", "numberKey": 123, "booleanKey": true})
    );
    // Cached for the token: asked once (counted at the end).
    assert_eq!(get("/pets", Some("allow")).await.0, 200);
    // The cached policy names /pets only, so it denies /toys, as on AWS.
    let denied = (
        403,
        json!({"message": "User is not authorized to access this resource"}),
    );
    assert_eq!(get("/toys", Some("allow")).await, denied);
    assert_eq!(get("/pets", Some("deny")).await, denied);
    let unauthorized = (401, json!({"message": "Unauthorized"}));
    assert_eq!(get("/pets", Some("unauthorized")).await, unauthorized);
    assert_eq!(get("/pets", None).await, unauthorized);
    // Not matching the validation expression: refused without asking the function.
    assert_eq!(get("/pets", Some("Not-Lower-Case")).await, unauthorized);
    assert_eq!(
        get("/pets", Some("boom")).await,
        (500, json!({"message": "Internal server error"}))
    );
    // Six invocations: the authorizer for allow, deny, unauthorized and boom, the function
    // twice. Each answer waited for its invocation, so a seventh would be logged by now.
    p.wait_for_lines("REPORT RequestId", 6);
    assert_eq!(p.logs().matches("REPORT RequestId").count(), 6);
    assert_eq!(p.logs().matches("token authorizer saw allow").count(), 1);
    // The authorizer cache's hits (the second /pets and /toys) and misses, counted.
    let text = crate::metrics::scrape(&p).await;
    let tok = [("target", "rest:guarded"), ("authorizer", "tok")];
    let count = |name: &str| crate::metrics::metric(&text, name, &tok);
    assert_eq!(
        count("portico_authorizer_cache_hits_total"),
        Some(2.0),
        "{text}"
    );
    assert_eq!(count("portico_authorizer_cache_misses_total"), Some(4.0));

    // REQUEST: both identity sources must be there; the function then decides.
    assert_eq!(get("/request", None).await, unauthorized);
    let request = |header: &'static str| {
        p.client()
            .get(format!("{base}/request?QueryString1=queryValue1"))
            .header("HeaderAuth1", header)
    };
    let allowed = request("headerValue1").send().await.unwrap();
    assert_eq!(allowed.status(), 200);
    let event: Value = allowed.json().await.unwrap();
    assert_eq!(event["requestContext"]["authorizer"]["principalId"], "me");
    let refused = request("wrong").send().await.unwrap();
    assert_eq!(refused.status(), 403);
}

#[tokio::test]
async fn gateway_responses_are_customised_as_the_api_says() {
    let document = r##"
openapi: "3.0.1"
info: {title: Custom, version: "1"}
x-amazon-apigateway-request-validators:
  body: {validateRequestBody: true, validateRequestParameters: false}
x-amazon-apigateway-gateway-responses:
  DEFAULT_4XX:
    responseParameters:
      gatewayresponse.header.Access-Control-Allow-Origin: "'*'"
      gatewayresponse.header.X-Asked: method.request.header.x-asked
    responseTemplates:
      application/json: '{"error": $context.error.messageString, "type": "$context.error.responseType"}'
  MISSING_AUTHENTICATION_TOKEN:
    statusCode: 404
    responseTemplates:
      application/json: '{"error": "no such route: $context.httpMethod $context.path"}'
  BAD_REQUEST_BODY:
    statusCode: 422
    responseTemplates:
      application/json: '{"invalid": "$util.escapeJavaScript($context.error.validationErrorString)"}'
components:
  schemas:
    Pet: {type: object, required: [name], properties: {name: {type: string}}}
paths:
  /pets:
    post:
      x-amazon-apigateway-request-validator: body
      requestBody: {content: {application/json: {schema: {$ref: "#/components/schemas/Pet"}}}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses: {default: {statusCode: "200"}}
    get:
      security: [{api_key: []}]
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses: {default: {statusCode: "200"}}
"##;
    let (p, _dir) = serve_openapi("custom", document, "", "");
    let base = format!("{}/execute-api/custom/dev", p.endpoint());
    // A specific type's status and template.
    let missing = p.client().get(format!("{base}/nope")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.json::<Value>().await.unwrap(),
        json!({"error": "no such route: GET /dev/nope"})
    );
    // DEFAULT_4XX for the rest of the 4XX family: a missing API key here.
    let keyless = p
        .client()
        .get(format!("{base}/pets"))
        .header("x-asked", "yes")
        .send()
        .await
        .unwrap();
    assert_eq!(keyless.status(), 403);
    assert_eq!(keyless.headers()["access-control-allow-origin"], "*");
    assert_eq!(keyless.headers()["x-asked"], "yes");
    assert_eq!(keyless.headers()["x-amzn-errortype"], "ForbiddenException");
    assert_eq!(
        keyless.json::<Value>().await.unwrap(),
        json!({"error": "Forbidden", "type": "INVALID_API_KEY"})
    );
    // The validator's message reaches the template.
    let invalid = p
        .client()
        .post(format!("{base}/pets"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), 422);
    let body: Value = invalid.json().await.unwrap();
    assert!(body["invalid"].as_str().unwrap().contains("name"), "{body}");
}

#[tokio::test]
async fn a_runaway_template_is_cut_off_with_a_500() {
    let document = r##"
openapi: "3.0.1"
info: {title: Runaway, version: "1"}
paths:
  /doubling:
    get:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: '#set($s = "0123456789")#foreach($i in [1..64])#set($s = "$s$s")#end$s'
  /spinning:
    get:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates:
          application/json: '#foreach($i in [1..1000])#foreach($j in [1..1000])#foreach($k in [1..1000])#end#end#end{"statusCode": 200}'
        responses: {default: {statusCode: "200"}}
"##;
    let (p, _dir) = serve_openapi("runaway", document, "", "");
    let base = format!("{}/execute-api/runaway/dev", p.endpoint());
    for path in ["/doubling", "/spinning"] {
        let answer = p
            .client()
            .get(format!("{base}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 500, "{path}");
        assert_eq!(
            answer.json::<Value>().await.unwrap(),
            json!({"message": "Internal server error"})
        );
    }
    // Portico is still serving.
    let line = p.wait_for_log("GET /dev/doubling 500");
    assert!(line.contains("response template"), "{line}");
}

#[tokio::test]
async fn binary_media_types_decide_what_is_base64() {
    let p = Portico::start(
        r#"
functions:
  echo: {runtime: python3.12, handler: app.echo_proxy, code: "@fixtures/python"}
  png: {runtime: python3.12, handler: app.binary_proxy, code: "@fixtures/python"}
apis:
  files:
    protocol: rest
    binary_media_types: [image/png]
    routes:
      POST /echo: {function: echo}
      GET /png: {function: png}
"#,
    );
    let base = format!("{}/execute-api/files/prod", p.endpoint());
    let send = |content_type: &'static str, body: &'static [u8]| {
        let request = p
            .client()
            .post(format!("{base}/echo"))
            .header("content-type", content_type)
            .body(body);
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    // A binary media type: base64 in the event.
    let event = send("image/png", b"\x89PNG\xff").await;
    assert_eq!(event["isBase64Encoded"], true);
    assert_eq!(event["body"], "iVBOR/8=");
    // Any other type is text, as REST APIs pass it (bytes that are not UTF-8 are lost).
    let event = send("text/plain; charset=utf-8", "héllo".as_bytes()).await;
    assert_eq!(
        (event["isBase64Encoded"].clone(), event["body"].clone()),
        (json!(false), json!("héllo"))
    );
    let event = send("application/octet-stream", b"\xff").await;
    assert_eq!(
        (event["isBase64Encoded"].clone(), event["body"].clone()),
        (json!(false), json!("\u{fffd}"))
    );
    // A base64 answer is decoded for a client that accepts the binary type, else passed on.
    let image = p
        .client()
        .get(format!("{base}/png"))
        .header("accept", "image/png")
        .send()
        .await
        .unwrap();
    assert_eq!(image.headers()["content-type"], "image/png");
    assert_eq!(image.bytes().await.unwrap().as_ref(), b"\x89PNG\r\n\x1a\n");
    let text = p.client().get(format!("{base}/png")).send().await.unwrap();
    assert_eq!(text.text().await.unwrap(), "iVBORw0KGgo=");
}

#[tokio::test]
async fn a_streaming_method_passes_bytes_on_as_the_function_writes_them() {
    let document = r##"
openapi: "3.0.1"
info: {title: Live, version: "1"}
paths:
  /live:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        responseTransferMode: STREAM
        timeoutInMillis: 900000
        uri: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:stream/invocations"
"##;
    let functions = r#"functions:
  stream: {runtime: nodejs20.x, handler: stream.handler, code: "@fixtures/node"}"#;
    let (p, _dir) = serve_openapi("live", document, functions, "");
    let gate = crate::harness::Gate::new().await;
    let url = format!(
        "{}/execute-api/live/dev/live?gate={}",
        p.endpoint(),
        gate.addr
    );
    let mut response = p.client().get(url).send().await.unwrap();
    assert_eq!(response.status(), 201);
    // The first chunk arrives while the function still waits at the gate.
    assert_eq!(&response.chunk().await.unwrap().unwrap()[..], b"first\n");
    gate.open().await;
    assert_eq!(&response.chunk().await.unwrap().unwrap()[..], b"second\n");
}

#[tokio::test]
async fn content_handling_converts_a_base64_answer_to_bytes() {
    let document = r##"
openapi: "3.0.1"
info: {title: Images, version: "1"}
paths:
  /logo:
    get:
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        uri: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:png/invocations"
        responses:
          default:
            statusCode: "200"
            contentHandling: CONVERT_TO_BINARY
            responseParameters:
              method.response.header.Content-Type: "'image/png'"
"##;
    let functions = r#"functions:
  png: {runtime: python3.12, handler: app.png_base64, code: "@fixtures/python"}"#;
    let (p, _dir) = serve_openapi("images", document, functions, "");
    let logo = p
        .client()
        .get(format!("{}/execute-api/images/dev/logo", p.endpoint()))
        .send()
        .await
        .unwrap();
    assert_eq!(logo.status(), 200);
    assert_eq!(logo.headers()["content-type"], "image/png");
    assert_eq!(logo.bytes().await.unwrap().as_ref(), b"\x89PNG\r\n\x1a\n");
}

#[tokio::test]
async fn a_stage_cache_keeps_get_answers_by_api_gateways_keys() {
    let document = r##"
openapi: "3.0.1"
info: {title: Cached, version: "1"}
paths:
  /pets:
    get:
      parameters: [{name: type, in: query, schema: {type: string}}]
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:echo/invocations"
        cacheKeyParameters: [method.request.querystring.type]
    post:
      x-amazon-apigateway-integration: &echo
        type: aws_proxy
        httpMethod: POST
        uri: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:echo/invocations"
  /pets/{id}:
    get:
      x-amazon-apigateway-integration: *echo
"##;
    let functions = r#"functions:
  echo: {runtime: python3.12, handler: app.echo_proxy, code: "@fixtures/python"}"#;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cached.yaml"), document).unwrap();
    let p = Portico::start(&format!(
        "{functions}\napis:\n  cached:\n    protocol: rest\n    openapi: \"{}\"\n    stages: {{dev: {{cache_ttl: 300}}}}\n",
        dir.path().join("cached.yaml").display()
    ));
    let base = format!("{}/execute-api/cached/dev", p.endpoint());
    let get = |path: &'static str| {
        let request = p.client().get(format!("{base}{path}"));
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.unwrap()
        }
    };
    // Keyed by the named query parameter: one invocation per value.
    let cat = get("/pets?type=cat").await;
    assert_eq!(get("/pets?type=cat").await, cat);
    let dog = get("/pets?type=dog").await;
    assert_eq!(dog["queryStringParameters"]["type"], "dog");
    // An unsigned Cache-Control: max-age=0 is ignored, as API Gateway ignores it by default.
    let ignored = p
        .client()
        .get(format!("{base}/pets?type=cat"))
        .header("cache-control", "max-age=0")
        .send()
        .await
        .unwrap();
    assert_eq!(ignored.json::<Value>().await.unwrap(), cat);
    // A path parameter not named as a key does not split the cache: /pets/2 gets /pets/1's
    // answer, as on AWS.
    let first = get("/pets/1").await;
    assert_eq!(first["pathParameters"]["id"], "1");
    assert_eq!(get("/pets/2").await["pathParameters"]["id"], "1");
    // POST is not cached.
    for _ in 0..2 {
        let posted = p
            .client()
            .post(format!("{base}/pets"))
            .send()
            .await
            .unwrap();
        assert_eq!(posted.status(), 200);
    }
    // Invocations: cat, dog, /pets/1, and the two POSTs.
    p.wait_for_lines("REPORT RequestId", 5);
    assert_eq!(p.logs().matches("REPORT RequestId").count(), 5);
    // The access log says which answers came from the cache.
    let hits = p.wait_for_lines("(stage cache hit)", 3);
    assert_eq!(p.logs().matches("(stage cache hit)").count(), 3, "{hits:?}");
    assert_eq!(p.logs().matches("(stage cache miss)").count(), 3);
    // And in the metrics, as CacheHitCount and CacheMissCount.
    let text = crate::metrics::scrape(&p).await;
    let count = |name: &str, route: &str| {
        crate::metrics::metric(&text, name, &[("target", "rest:cached"), ("route", route)])
    };
    assert_eq!(
        count("portico_cache_hits_total", "GET /pets"),
        Some(2.0),
        "{text}"
    );
    assert_eq!(count("portico_cache_misses_total", "GET /pets"), Some(2.0));
    assert_eq!(
        count("portico_cache_hits_total", "GET /pets/{id}"),
        Some(1.0)
    );
}

#[tokio::test]
async fn an_authorizer_can_supply_the_api_key() {
    let document = r##"
openapi: "3.0.1"
info: {title: KeyedByAuthorizer, version: "1"}
x-amazon-apigateway-api-key-source: AUTHORIZER
components:
  securitySchemes:
    tok:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: custom
      x-amazon-apigateway-authorizer:
        type: token
        authorizerUri: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:token_auth/invocations"
paths:
  /keyed:
    get:
      security: [{tok: [], api_key: []}]
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses: {default: {statusCode: "200"}}
"##;
    let functions = r#"functions:
  token_auth: {runtime: python3.12, handler: app.authorize_token, code: "@fixtures/python"}"#;
    // The authorizer answers with usageIdentifierKey `authorizer-key-0123456789`.
    let keys = "    api_keys: {via-authorizer: {value: authorizer-key-0123456789}}\n    usage_plans: {one-a-day: {quota: {limit: 1, period: DAY}, keys: [via-authorizer]}}\n";
    let (p, _dir) = serve_openapi("keyed", document, functions, keys);
    let url = format!("{}/execute-api/keyed/dev/keyed", p.endpoint());
    let call = || {
        p.client()
            .get(&url)
            .header("authorization", "allow")
            .header("x-api-key", "ignored-when-the-source-is-the-authorizer")
            .send()
    };
    assert_eq!(call().await.unwrap().status(), 200);
    // The one request a day the key's plan allows is used up.
    let second = call().await.unwrap();
    assert_eq!(second.status(), 429);
    assert_eq!(
        second.headers()["x-amzn-errortype"],
        "LimitExceededException"
    );
}

#[tokio::test]
async fn cognito_user_pool_authorizers_verify_the_pools_tokens() {
    let pool = crate::harness::Issuer::start_pool("/us-east-1_Portico");
    let endpoint = pool.url.trim_end_matches("/us-east-1_Portico").to_string();
    let document = r##"
openapi: "3.0.1"
info: {title: Pooled, version: "1"}
components:
  securitySchemes:
    pool:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: cognito_user_pools
      x-amazon-apigateway-authorizer:
        type: cognito_user_pools
        providerARNs: ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Portico"]
paths:
  /me:
    get:
      security: [{pool: []}]
      x-amazon-apigateway-integration: &echo
        type: aws_proxy
        httpMethod: POST
        uri: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:echo/invocations"
  /write:
    get:
      security: [{pool: ["items:write"]}]
      x-amazon-apigateway-integration: *echo
"##;
    let functions = r#"functions:
  echo: {runtime: python3.12, handler: app.echo_proxy, code: "@fixtures/python"}"#;
    let more = format!("    cognito_endpoint: \"{endpoint}\"\n");
    let (p, _dir) = serve_openapi("pooled", document, functions, &more);
    let base = format!("{}/execute-api/pooled/dev", p.endpoint());
    let token = |name: &str| pool.tokens[name].as_str().unwrap().to_string();
    let get = |path: &'static str, token: String| {
        let request = p
            .client()
            .get(format!("{base}{path}"))
            .header("authorization", token);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let (status, event) = get("/me", token("valid")).await;
    assert_eq!(status, 200, "{event}");
    assert_eq!(
        event["requestContext"]["authorizer"]["claims"]["sub"],
        "ada"
    );
    let unauthorized = (401, json!({"message": "Unauthorized"}));
    for bad in ["expired", "tampered", "alg_none", "wrong_issuer"] {
        assert_eq!(get("/me", token(bad)).await, unauthorized, "{bad}");
    }
    // A method with scopes takes an access token that carries one.
    assert_eq!(get("/write", token("valid")).await, unauthorized);
}

#[tokio::test]
async fn stage_variables_pick_backends_and_functions() {
    let upstream = Upstream::start(None);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("staged.yaml"),
        r##"
openapi: "3.0.1"
info: {title: Staged, version: "1"}
paths:
  /fn:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:${stageVariables.fn}/invocations"
"##,
    )
    .unwrap();
    let p = Portico::start(&format!(
        r#"
functions:
  echo: {{runtime: python3.12, handler: app.echo_proxy, code: "@fixtures/python"}}
  hello: {{runtime: python3.12, handler: app.hello, code: "@fixtures/python"}}
apis:
  staged:
    protocol: rest
    openapi: "{doc}"
    stages:
      blue: {{variables: {{backend: "127.0.0.1:{port}", fn: echo}}}}
      green: {{variables: {{backend: "127.0.0.1:1", fn: hello}}}}
    routes:
      GET /up/{{proxy+}}: {{http: "http://${{stageVariables.backend}}/echo/{{proxy}}"}}
"#,
        doc = dir.path().join("staged.yaml").display(),
        port = upstream.port
    ));
    let base = format!("{}/execute-api/staged", p.endpoint());
    let (status, _, seen) = get(&p, &format!("{base}/blue/up/a/b")).await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["path"], "/echo/a/b");
    // green's backend is down: its stage variable was used.
    assert_eq!(get(&p, &format!("{base}/green/up/a/b")).await.0, 502);
    // The function a stage names.
    let (_, _, event) = get(&p, &format!("{base}/blue/fn")).await;
    assert_eq!(event["requestContext"]["stage"], "blue");
    let hello = p
        .client()
        .get(format!("{base}/green/fn"))
        .send()
        .await
        .unwrap();
    assert_eq!(hello.status(), 200);
}

#[tokio::test]
async fn templates_override_requests_and_responses_through_context() {
    let upstream = Upstream::start(None);
    let document = format!(
        r##"
openapi: "3.0.1"
info: {{title: Overrides, version: "1"}}
paths:
  /teapot:
    get:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {{application/json: '{{"statusCode": 200}}'}}
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: '#set($context.responseOverride.status = 418)#set($context.responseOverride.header.X-Teapot = "short and stout"){{"brewing": false}}'
  /dogs:
    get:
      x-amazon-apigateway-integration:
        type: http
        httpMethod: GET
        uri: "http://127.0.0.1:{port}/petstore/pets"
        requestTemplates:
          application/json: '#set($context.requestOverride.querystring.type = "dog")'
        responses: {{default: {{statusCode: "200"}}}}
"##,
        port = upstream.port
    );
    let (p, _dir) = serve_openapi("overrides", &document, "", "");
    let base = format!("{}/execute-api/overrides/dev", p.endpoint());
    let teapot = p
        .client()
        .get(format!("{base}/teapot"))
        .send()
        .await
        .unwrap();
    assert_eq!(teapot.status(), 418);
    assert_eq!(teapot.headers()["x-teapot"], "short and stout");
    assert_eq!(
        teapot.json::<Value>().await.unwrap(),
        json!({"brewing": false})
    );
    let dogs: Value = p
        .client()
        .get(format!("{base}/dogs"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(dogs, json!([{"id": 1, "type": "dog", "price": 249.99}]));
}

#[tokio::test]
async fn a_stage_caches_the_methods_it_names() {
    let p = Portico::start(
        r#"
functions:
  echo: {runtime: python3.12, handler: app.echo_proxy, code: "@fixtures/python"}
apis:
  picky:
    protocol: rest
    stages:
      prod: {cache_methods: {"POST /search": 60, "GET /fresh": 0}}
    routes:
      POST /search: {function: echo}
      GET /fresh: {function: echo}
"#,
    );
    let base = format!("{}/execute-api/picky/prod", p.endpoint());
    for _ in 0..2 {
        let searched = p
            .client()
            .post(format!("{base}/search"))
            .send()
            .await
            .unwrap();
        assert_eq!(searched.status(), 200);
        let fresh = p
            .client()
            .get(format!("{base}/fresh"))
            .send()
            .await
            .unwrap();
        assert_eq!(fresh.status(), 200);
    }
    // POST /search once (cached by name), GET /fresh twice (TTL 0, and no stage cache_ttl).
    p.wait_for_lines("REPORT RequestId", 3);
    assert_eq!(p.logs().matches("REPORT RequestId").count(), 3);
    assert_eq!(p.logs().matches("(stage cache hit)").count(), 1);
}

//! Lambda proxy methods: REST's flavor of the 1.0 event, resource matching, HTTP proxy
//! methods, REST's answers for what goes wrong, and AWS_IAM.

use serde_json::{Value, json};

use super::get;
use crate::harness::{Setup, Upstream, awscurl};

#[tokio::test]
async fn lambda_proxy_methods_get_rests_1_0_event() {
    let upstream = Upstream::start(None);
    let p = Setup::new()
        .config("credentials: {AKIDPORTICOTEST: {secret: portico-test-secret}}")
        .python("echo", "app.echo_proxy")
        .python("bare", "app.echo")
        .function(
            "sleepy",
            r#"{runtime: python3.12, handler: app.sleep, code: "@fixtures/python", timeout: 60}"#,
        )
        .rest_api(
            "petstore",
            r#"
stages: {prod: {variables: {table: pets}}, test: {}}
routes:
  GET /pets/{id}: {function: echo}
  GET /pets/special: {function: echo}
  ANY /{proxy+}: {function: echo}
  GET /bare: {function: bare}
  GET /impatient: {function: sleepy, timeout_ms: 300}
  GET /upstream/{proxy+}: {http: "http://@upstream/echo/{proxy}"}
  POST /signed: {function: echo, auth: aws_iam}
"#,
        )
        .replace("@upstream", &upstream.addr())
        .serve();
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

    // Header names reach the event as the client spelt them (HTTP/1), request after
    // request on one connection; Portico's own as API Gateway spells them.
    let events = p.python(
        "header_case.py",
        &[
            "/execute-api/petstore/prod/pets/7",
            "/execute-api/petstore/prod/pets/8",
        ],
    );
    for event in events.as_array().unwrap() {
        let headers = &event["headers"];
        assert_eq!(headers["Content-Type"], "application/json", "{event}");
        assert_eq!(headers["X-Mixed-Case"], "Value", "{event}");
        assert_eq!(headers["x-lower"], "v", "{event}");
        assert_eq!(headers["X-Forwarded-Proto"], "http", "{event}");
        assert_eq!(event["multiValueHeaders"]["X-Mixed-Case"], json!(["Value"]));
        assert!(headers.get("content-type").is_none(), "{event}");
    }

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

//! Parameter mappings: what a route sends its integration and what the client gets back.

use serde_json::{Value, json};

use crate::harness::{Setup, Upstream};

#[tokio::test]
async fn parameter_mappings_change_what_the_proxy_sends() {
    let upstream = Upstream::start(None);
    let p = Setup::new()
        .http_api(
            "shop",
            r#"
stages: {prod: {variables: {table: items}}}
routes:
  GET /things/{id}:
    http: "http://@upstream/echo/{id}"
    request_parameters:
      "append:header.x-from": "$request.header.x-client"
      "overwrite:header.x-stage": "${context.stage}/${stageVariables.table}"
      "remove:header.x-secret": ""
      "overwrite:header.x-route": "$context.routeKey"
      "overwrite:header.x-request": "$context.requestId"
      "remove:querystring.debug": ""
      "overwrite:querystring.id": "${request.path.id}-v2"
      "overwrite:path": "/echo/moved/${request.path.id}"
"#,
        )
        .replace("@upstream", &upstream.addr())
        .serve();
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
    // One request id: the one the client is answered with.
    let request_id = response.headers()["apigw-requestid"]
        .to_str()
        .unwrap()
        .to_string();
    let seen: Value = response.json().await.unwrap();
    assert_eq!(seen["headers"]["x-request"], request_id.as_str());
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
    let p = Setup::new()
        .http_api(
            "shop",
            r#"
routes:
  GET /gone:
    http: "http://@upstream/nothing"
    response_parameters:
      "404":
        "overwrite:statuscode": "410"
        "append:header.x-was": "$response.header.x-upstream"
        "remove:header.x-upstream": ""
        "overwrite:header.x-error": "$response.body.error"
      "200": {"overwrite:header.x-never": "mapped for 200 only"}
  GET /broken:
    http: "http://@upstream/echo"
    response_parameters: {"200": {"overwrite:statuscode": "$response.header.content-type"}}
"#,
        )
        .replace("@upstream", &upstream.addr())
        .serve();
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
    let p = Setup::new()
        .python("echo", "app.echo")
        .python("fail", "app.fail")
        .http_api(
            "shop",
            r#"
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
        )
        .serve();
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

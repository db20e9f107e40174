//! Payload format 1.0 on an HTTP API's routes.

use serde_json::{Value, json};

use super::get;
use crate::harness::Setup;

#[tokio::test]
async fn routes_can_use_payload_format_1_0() {
    let p = Setup::new()
        .python("proxy", "app.echo_proxy")
        .python("echo", "app.echo")
        .http_api(
            "shop",
            r#"
stages: {$default: {}, prod: {variables: {table: items}}}
routes:
  GET /items/{id}: {function: proxy, payload_format: "1.0"}
  GET /bare: {function: echo, payload_format: "1.0"}
"#,
        )
        .serve();
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

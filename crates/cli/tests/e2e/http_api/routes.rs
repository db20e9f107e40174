//! Routes and stages: AWS's route matching, the 2.0 event with route data, the host form, and
//! API Gateway's answers for misses and failures.

use serde_json::{Value, json};

use super::get;
use crate::harness::Setup;

/// The shop of the routing tests: literal, parameter and greedy routes, functions that fail
/// or run out of time, a named stage with variables, and a second API with one route.
fn shop() -> Setup {
    Setup::new()
        .python("echo", "app.echo")
        .python("fail", "app.fail")
        .function(
            "sleep",
            r#"{runtime: python3.12, handler: app.sleep, code: "@fixtures/python", timeout: 1}"#,
        )
        .function(
            "sleepy",
            r#"{runtime: python3.12, handler: app.sleep, code: "@fixtures/python", timeout: 60}"#,
        )
        .http_api(
            "shop",
            r#"
stages: {$default: {}, prod: {variables: {table: items, size: 3}}}
routes:
  GET /items/{id}: {function: echo}
  GET /items/special: {function: echo}
  ANY /{proxy+}: {function: echo}
  GET /fail: {function: fail}
  GET /slow: {function: sleep}
  GET /impatient: {function: sleepy, timeout_ms: 300}
"#,
        )
        .http_api("strict", "routes: {GET /items: {function: echo}}")
}

#[tokio::test]
async fn routes_stages_and_the_event_are_api_gateways() {
    let p = shop().serve();
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
    let p = shop().serve();
    let rows = [
        ("/execute-api/strict/nope", 404, "Not Found"),
        ("/execute-api/strict/prod/items", 404, "Not Found"),
        ("/execute-api/nosuchapi/items", 404, "Not Found"),
        ("/execute-api/shop/fail", 500, "Internal Server Error"),
        // A function past its own timeout failed, as on AWS.
        ("/execute-api/shop/slow", 500, "Internal Server Error"),
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

//! Lambda authorizers: simple responses and IAM policies, payload formats, cached decisions.

use serde_json::{Value, json};

use crate::harness::Setup;

#[tokio::test]
async fn lambda_authorizers_guard_routes_and_cache_their_decisions() {
    let p = Setup::new()
        .python("echo", "app.echo")
        .python("simple", "app.authorize_simple")
        .python("policy", "app.authorize_policy")
        .python("v1", "app.authorize_v1")
        .python("narrow", "app.authorize_orders_only")
        .http_api(
            "shop",
            r#"
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
        )
        .serve();
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

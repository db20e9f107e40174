//! Throttling: token buckets per route and per stage.

use serde_json::{Value, json};

use crate::harness::Setup;

#[tokio::test]
async fn routes_and_stages_are_throttled_by_token_buckets() {
    let p = Setup::new()
        .python("echo", "app.echo")
        .http_api(
            "shop",
            r#"
stages:
  $default: {}
  prod: {throttle: {rate: 0.01, burst: 1}}
routes:
  GET /limited: {function: echo, throttle: {rate: 0.01, burst: 2}}
  GET /free: {function: echo}
"#,
        )
        .serve();
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

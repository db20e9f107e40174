//! Streaming routes: the answer passed on as the function writes it, when the route opts in.

use crate::harness::Setup;

#[tokio::test]
async fn a_route_can_stream_what_the_function_streams() {
    let p = Setup::new()
        .node("stream", "stream.handler")
        .http_api(
            "shop",
            r#"
routes:
  GET /live: {function: stream, invoke_mode: response_stream}
  GET /whole: {function: stream}
"#,
        )
        .serve();
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

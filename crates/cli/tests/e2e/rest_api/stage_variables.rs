//! Stage variables: a stage picks the backend and the function.

use super::get;
use crate::harness::{Setup, Upstream};

#[tokio::test]
async fn stage_variables_pick_backends_and_functions() {
    let upstream = Upstream::start(None);
    let p = Setup::new()
        .python("echo", "app.echo_proxy")
        .python("hello", "app.hello")
        .rest_api(
            "staged",
            r#"
stages:
  blue: {variables: {backend: "@upstream", fn: echo}}
  green: {variables: {backend: "127.0.0.1:1", fn: hello}}
  bare: {}
routes:
  GET /up/{proxy+}: {http: "http://${stageVariables.backend}/echo/{proxy}"}
"#,
        )
        .openapi("fixtures/openapi/stage-variable-function.yaml")
        .replace("@upstream", &upstream.addr())
        .serve();
    let base = format!("{}/execute-api/staged", p.endpoint());
    let (status, _, seen) = get(&p, &format!("{base}/blue/up/a/b")).await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["path"], "/echo/a/b");
    // green's backend is down (its stage variable was used), and bare has no backend
    // variable: API Gateway's 500 for an endpoint it cannot reach or a URL it cannot make.
    let misconfigured = (
        500,
        Some("InternalServerErrorException".to_string()),
        serde_json::json!({"message": "Internal server error"}),
    );
    assert_eq!(
        get(&p, &format!("{base}/green/up/a/b")).await,
        misconfigured
    );
    assert_eq!(get(&p, &format!("{base}/bare/up/a/b")).await, misconfigured);
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

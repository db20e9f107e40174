//! Authorizers: Lambda TOKEN and REQUEST authorizers and their cached policies, Cognito user
//! pools.

use serde_json::{Value, json};

use crate::harness::{Issuer, Setup};

#[tokio::test]
async fn lambda_authorizers_guard_methods_and_their_policies_are_cached() {
    let p = Setup::new()
        .python("echo", "app.echo_proxy")
        .python("token_auth", "app.authorize_token")
        .python("request_auth", "app.authorize_request")
        .rest_api("guarded", "stages: {dev: {}}")
        .openapi("fixtures/openapi/lambda-authorizers.yaml")
        .serve();
    let base = format!("{}/execute-api/guarded/dev", p.endpoint());
    let get = |path: &'static str, token: Option<&'static str>| {
        let mut request = p.client().get(format!("{base}{path}"));
        if let Some(token) = token {
            request = request.header("authorization", token);
        }
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let kind = response.headers().get("x-amzn-errortype").cloned();
            let body = response.json::<Value>().await.unwrap();
            if status != 200 {
                let kind = kind.map(|k| k.to_str().unwrap().to_string());
                return (status, json!({"type": kind, "body": body}));
            }
            (status, body)
        }
    };
    let (status, event) = get("/pets", Some("allow")).await;
    assert_eq!(status, 200, "{event}");
    // The context's numbers and booleans reach the integration as strings.
    assert_eq!(
        event["requestContext"]["authorizer"],
        json!({"principalId": "user", "stringKey": "stringval", "numberKey": "123", "booleanKey": "true"})
    );
    // Cached for the token: asked once (counted at the end).
    assert_eq!(get("/pets", Some("allow")).await.0, 200);
    // The cached policy names /pets only, so it denies /toys (implicitly), as on AWS.
    let denied = |message: &str| {
        let body = json!({"Message": message});
        (403, json!({"type": "AccessDeniedException", "body": body}))
    };
    assert_eq!(
        get("/toys", Some("allow")).await,
        denied("User is not authorized to access this resource")
    );
    assert_eq!(
        get("/pets", Some("deny")).await,
        denied("User is not authorized to access this resource with an explicit deny")
    );
    let unauthorized = (
        401,
        json!({"type": "UnauthorizedException", "body": {"message": "Unauthorized"}}),
    );
    assert_eq!(get("/pets", Some("unauthorized")).await, unauthorized);
    assert_eq!(get("/pets", None).await, unauthorized);
    // Not matching the validation expression: refused without asking the function.
    assert_eq!(get("/pets", Some("Not-Lower-Case")).await, unauthorized);
    // A failing authorizer, and one whose context holds an object.
    let misconfigured = (
        500,
        json!({"type": "AuthorizerConfigurationException", "body": {"message": null}}),
    );
    assert_eq!(get("/pets", Some("boom")).await, misconfigured);
    assert_eq!(get("/pets", Some("nested")).await, misconfigured);
    // Seven invocations: the authorizer for allow, deny, unauthorized, boom and nested, the
    // function twice. Each answer waited for its invocation, so an eighth would be logged by
    // now.
    p.wait_for_lines("REPORT RequestId", 7);
    assert_eq!(p.logs().matches("REPORT RequestId").count(), 7);
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
    assert_eq!(count("portico_authorizer_cache_misses_total"), Some(5.0));

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
    let authorizer = &event["requestContext"]["authorizer"];
    assert_eq!(authorizer["principalId"], "me");
    // The authorizer saw the resource path, and the stage in `requestContext.path`.
    assert_eq!(authorizer["path"], "/request", "{event}");
    assert_eq!(authorizer["contextPath"], "/dev/request");
    let refused = request("wrong").send().await.unwrap();
    assert_eq!(refused.status(), 403);
}

#[tokio::test]
async fn cognito_user_pool_authorizers_verify_the_pools_tokens() {
    let pool = Issuer::start_pool("/us-east-1_Portico");
    let endpoint = pool.url.trim_end_matches("/us-east-1_Portico").to_string();
    let p = Setup::new()
        .python("echo", "app.echo_proxy")
        .rest_api(
            "pooled",
            r#"
stages: {dev: {}}
cognito_endpoint: "@pool"
"#,
        )
        .openapi("fixtures/openapi/cognito-authorizer.yaml")
        .replace("@pool", &endpoint)
        .serve();
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

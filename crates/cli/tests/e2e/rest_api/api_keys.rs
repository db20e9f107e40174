//! API keys and usage plans: quotas, throttles, made-up keys, and a key an authorizer supplies.

use serde_json::json;

use crate::harness::{Portico, Setup, header};

#[tokio::test]
async fn api_keys_and_usage_plans_guard_methods() {
    let p = Setup::new()
        .python("echo", "app.echo_proxy")
        .rest_api(
            "petstore",
            r#"
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
        )
        .env("PORTICO_TEST_GOLD_KEY", "gold-0123456789abcdefghij")
        .serve();
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

#[tokio::test]
async fn an_authorizer_can_supply_the_api_key() {
    // The authorizer answers with usageIdentifierKey `authorizer-key-0123456789`.
    let p = Setup::new()
        .python("token_auth", "app.authorize_token")
        .rest_api(
            "keyed",
            r#"
stages: {dev: {}}
api_keys: {via-authorizer: {value: authorizer-key-0123456789}}
usage_plans: {one-a-day: {quota: {limit: 1, period: DAY}, keys: [via-authorizer]}}
"#,
        )
        .openapi("fixtures/openapi/api-key-from-authorizer.yaml")
        .serve();
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

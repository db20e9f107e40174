//! JWT authorizers: tokens verified as API Gateway does, keys fetched over https and rotated.

use serde_json::{Value, json};

use super::Cas;
use crate::harness::{Issuer, Portico, Setup};

/// GETs `path` of the `shop` API with `token` as a bearer token: the status and the JSON body.
async fn bearer(p: &Portico, path: &str, token: Option<String>) -> (u16, Value) {
    let mut request = p
        .client()
        .get(format!("{}/execute-api/shop{path}", p.endpoint()));
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json::<Value>().await.unwrap())
}

#[tokio::test]
async fn jwt_authorizers_verify_tokens_as_api_gateway_does() {
    let issuer = Issuer::start(None);
    let p = Setup::new()
        .python("echo", "app.echo")
        .http_api(
            "shop",
            r#"
authorizers:
  users: {type: jwt, issuer: "@issuer", audience: [my-app]}
  others: {type: jwt, issuer: "@issuer", audience: [other-app]}
routes:
  GET /items: {function: echo, authorizer: users, scopes: ["items:read"]}
  GET /others: {function: echo, authorizer: others}
  GET /me: {function: echo, authorizer: users}
"#,
        )
        .replace("@issuer", &issuer.url)
        .serve();
    let call =
        |path: &'static str, token: Option<&str>| bearer(&p, path, token.map(str::to_string));
    let token = |name: &str| issuer.tokens[name].as_str().unwrap().to_string();

    let (status, event) = call("/items", Some(&token("valid"))).await;
    assert_eq!(status, 200, "{event}");
    let jwt = &event["requestContext"]["authorizer"]["jwt"];
    assert_eq!(jwt["claims"]["sub"], "ada");
    assert_eq!(jwt["claims"]["aud"], "my-app");
    assert!(
        jwt["claims"]["exp"].is_string(),
        "claims are passed as strings: {jwt}"
    );
    assert_eq!(jwt["scopes"], json!(["items:read", "profile"]));
    for name in ["ec", "client_id"] {
        assert_eq!(call("/items", Some(&token(name))).await.0, 200, "{name}");
    }
    // Verified for `users` and remembered, the token is still not for `others`' audience.
    assert_eq!(call("/others", Some(&token("valid"))).await.0, 401);
    let unauthorized = json!({"message": "Unauthorized"});
    assert_eq!(call("/items", None).await, (401, unauthorized.clone()));
    for name in [
        "expired",
        "not_yet",
        "issued_later",
        "wrong_issuer",
        "wrong_audience",
        "unknown_key",
        "tampered",
        "alg_none",
        "hmac_with_public_key",
    ] {
        assert_eq!(
            call("/items", Some(&token(name))).await,
            (401, unauthorized.clone()),
            "{name}"
        );
    }
    // A valid token without the route's scope: 403; a route without scopes takes it.
    assert_eq!(
        call("/items", Some(&token("no_scope"))).await,
        (403, json!({"message": "Forbidden"}))
    );
    assert_eq!(call("/me", Some(&token("no_scope"))).await.0, 200);

    // `www-authenticate` says why, as API Gateway's troubleshooting guide shows it.
    let challenge = |path: &'static str, name: &str| {
        let request = p
            .client()
            .get(format!("{}/execute-api/shop{path}", p.endpoint()))
            .bearer_auth(token(name));
        async move {
            let response = request.send().await.unwrap();
            let value = &response.headers()["www-authenticate"];
            value.to_str().unwrap().to_string()
        }
    };
    let expected = [
        (
            "/me",
            "wrong_audience",
            r#"scope="" error="invalid_token" error_description="the token does not have a valid audience""#,
        ),
        (
            "/items",
            "expired",
            r#"scope="items:read" error="invalid_token" error_description="the token has expired""#,
        ),
        (
            "/me",
            "alg_none",
            r#"scope="" error="invalid_token" error_description="signing method none is invalid""#,
        ),
        (
            "/items",
            "no_scope",
            r#"scope="items:read" error="insufficient_scope" error_description="the token does not have the required scopes""#,
        ),
    ];
    for (path, name, value) in expected {
        assert_eq!(
            challenge(path, name).await,
            format!("Bearer {value}"),
            "{name}"
        );
    }
}

#[tokio::test]
async fn jwt_keys_come_over_https_and_rotate() {
    let cas = Cas::new();
    let mut issuer = Issuer::start(Some(cas.trusted.path()));
    let stranger = Issuer::start(Some(cas.untrusted.path()));
    assert!(issuer.url.starts_with("https://"), "{}", issuer.url);
    let p = Setup::new()
        .python("echo", "app.echo")
        .http_api(
            "shop",
            r#"
authorizers:
  users: {type: jwt, issuer: "@issuer", audience: [my-app]}
  strangers: {type: jwt, issuer: "@stranger", audience: [my-app]}
routes:
  GET /items: {function: echo, authorizer: users}
  GET /strange: {function: echo, authorizer: strangers}
"#,
        )
        .replace("@issuer", &issuer.url)
        .replace("@stranger", &stranger.url)
        .env("SSL_CERT_FILE", &cas.trusted_file())
        .serve();
    let token = |name: &str| Some(issuer.tokens[name].as_str().unwrap().to_string());

    // The keys are found over https through the issuer's OpenID configuration.
    assert_eq!(bearer(&p, "/items", token("valid")).await.0, 200);
    assert_eq!(issuer.server.ask("fetches"), "1");
    // The issuer publishes a new key: a token naming it makes Portico fetch the keys again.
    assert_eq!(issuer.server.ask("rotate"), "rotated");
    let (status, event) = bearer(&p, "/items", token("rotated")).await;
    assert_eq!(status, 200, "{event}");
    assert_eq!(issuer.server.ask("fetches"), "2");
    // A flood of made-up key ids right after: refused, and the issuer is not asked again.
    for i in 0..20 {
        let made_up = token(&format!("made_up_kid_{i}"));
        assert_eq!(bearer(&p, "/items", made_up).await.0, 401);
    }
    assert_eq!(issuer.server.ask("fetches"), "2");
    // An issuer whose certificate Portico does not trust gives no keys: 401.
    let foreign = Some(stranger.tokens["valid"].as_str().unwrap().to_string());
    assert_eq!(
        bearer(&p, "/strange", foreign).await,
        (401, json!({"message": "Unauthorized"}))
    );
}

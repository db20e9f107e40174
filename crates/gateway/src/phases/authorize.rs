//! Authorize: who may call. Function URLs: `auth: none` lets everyone in, `aws_iam` takes
//! SigV4 signatures. HTTP API routes: a Lambda or JWT authorizer, or `auth: aws_iam`. REST
//! methods: `AWS_IAM`, a Lambda TOKEN or REQUEST authorizer, or a Cognito user pool.

use portico_auth::{Decision, DecisionCache};
use portico_auth::{jwt, sigv4};
use portico_config::rest::Source;
use portico_config::{Api, AuthorizerKind, FunctionUrl, IdentitySource, UrlAuth};
use portico_events::{ApiError, GatewayResponse, UrlError};
use portico_runtime::{InvokeRequest, Outcome, Runtime};

use crate::phases::map::Target;
use crate::phases::resolve::ApiTarget;

use crate::ctx::{Flow, RequestCtx};
use crate::refusal::{Kind, Refusal};

/// A Function URL's `AuthType`: with `aws_iam`, a request without a valid SigV4 signature
/// gets Lambda's 403 `AccessDeniedException`.
pub fn function_url(ctx: &mut RequestCtx, url: &FunctionUrl, signing: &Signing<'_>) -> Flow {
    match url.auth {
        UrlAuth::None => Flow::Continue,
        UrlAuth::AwsIam => match iam(ctx, signing, "lambda") {
            Ok(()) => Flow::Continue,
            Err(why) => Flow::Refuse(Refusal::url(
                UrlError::SignatureRequired,
                format!(
                    "this Function URL takes AWS_IAM auth and {why}; sign requests with SigV4 (service lambda) using a key of the config's `credentials:`"
                ),
            )),
        },
    }
}

/// An HTTP API route with `auth: aws_iam` (run once the body is read: the signature covers it).
pub fn http_api_iam(ctx: &mut RequestCtx, signing: &Signing<'_>) -> Flow {
    match iam(ctx, signing, "execute-api") {
        Ok(()) => Flow::Continue,
        Err(why) => refuse(ApiError::Forbidden, format!("aws_iam: {why}")),
    }
}

/// A WebSocket API's handshake with `auth: aws_iam` on `$connect`, or a call of its
/// management API when Portico knows keys (`credentials:`): it must be signed (service
/// `execute-api`) by one of them; the body is read already.
pub fn execute_api_iam(ctx: &mut RequestCtx, signing: &Signing<'_>) -> Result<(), String> {
    iam(ctx, signing, "execute-api").map_err(|e| e.to_string())
}

/// A REST API method with `AWS_IAM` authorization (once the body is read): no signature is
/// REST's 403 "Missing Authentication Token", a wrong one its invalid-signature 403.
pub fn rest_api_iam(ctx: &mut RequestCtx, signing: &Signing<'_>) -> Flow {
    let refused = match iam(ctx, signing, "execute-api") {
        Ok(()) => return Flow::Continue,
        Err(sigv4::SigError::Missing) => GatewayResponse::MissingAuthenticationToken,
        Err(_) => GatewayResponse::InvalidSignature,
    };
    Flow::Refuse(Refusal::rest(refused, "aws_iam: no valid signature"))
}

/// What SigV4 verification needs besides the request.
pub struct Signing<'a> {
    pub credentials: &'a std::collections::BTreeMap<String, String>,
    pub region: &'a str,
    pub account_id: &'a str,
}

/// Verifies the request's SigV4 signature for `service`; on success the caller goes to
/// `ctx.authorizer` as `{"iam": {...}}`.
fn iam(ctx: &mut RequestCtx, signing: &Signing<'_>, service: &str) -> Result<(), sigv4::SigError> {
    let request = sigv4::Signed {
        method: ctx.method.as_str(),
        path: &ctx.path_as_received,
        query: &ctx.query,
        headers: &ctx.headers,
        body: &ctx.body,
    };
    let caller = sigv4::verify(
        &request,
        service,
        signing.region,
        |key| signing.credentials.get(key).cloned(),
        std::time::SystemTime::now(),
    )?;
    let account = signing.account_id;
    let key = &caller.access_key;
    ctx.authorizer = Some(serde_json::json!({
        "iam": {
            "accessKey": key,
            "accountId": account,
            "callerId": key,
            "cognitoIdentity": null,
            "principalOrgId": null,
            "userArn": format!("arn:aws:iam::{account}:user/{key}"),
            "userId": key,
        }
    }));
    Ok(())
}

/// An HTTP API route's authorizer. The identity sources must be present (else 401, without
/// asking anyone); then a Lambda authorizer decides (from the cache, or by invoking its
/// function) or a JWT is verified against the issuer's keys. An allowed request carries
/// what the authorizer said on to the integration (`ctx.authorizer`).
pub async fn http_api(
    ctx: &mut RequestCtx,
    gate: &Gate<'_, Api>,
    target: &Target<'_>,
    route: &ApiTarget<'_>,
) -> Flow {
    let Some(name) = &route.route.authorizer else {
        return Flow::Continue;
    };
    let Some(authorizer) = gate.api.authorizers.get(name) else {
        return refuse(
            ApiError::IntegrationFailed,
            format!("no authorizer `{name}`"),
        );
    };
    let mut identity = Vec::new();
    for source in &authorizer.identity_sources {
        let value = match source {
            IdentitySource::Header(header) => ctx.header(header).map(str::to_string),
            IdentitySource::Query(key) => form_urlencoded::parse(ctx.query.as_bytes())
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.into_owned()),
        };
        match value {
            Some(value) if !value.is_empty() => identity.push(value),
            _ => {
                return refuse(
                    ApiError::Unauthorized,
                    format!("no identity source for `{name}`"),
                );
            }
        }
    }
    let verdict = match &authorizer.kind {
        AuthorizerKind::Lambda {
            function,
            payload_format,
            simple_responses,
            ttl,
        } => {
            let lambda = LambdaAuthorizer {
                name,
                function,
                payload_format: *payload_format,
                simple_responses: *simple_responses,
                ttl: *ttl,
            };
            lambda_decision(ctx, gate, target, route, &lambda, &identity)
                .await
                .map(|context| serde_json::json!({ "lambda": context }))
        }
        AuthorizerKind::Jwt {
            issuer,
            audience,
            jwks_uri,
        } => {
            let rule = jwt::Rule { issuer, audience };
            match jwt_claims(gate.jwks, &rule, jwks_uri.as_deref(), &identity[0]).await {
                Ok(verified) if verified.allows(&route.route.scopes) => {
                    Ok(serde_json::json!({ "jwt": verified.authorizer }))
                }
                Ok(_) => Err((
                    ApiError::Forbidden,
                    "the token does not have the required scopes".into(),
                )),
                Err(refused) => Err(refused),
            }
        }
    };
    match verdict {
        Ok(authorizer) => {
            ctx.authorizer = Some(authorizer);
            Flow::Continue
        }
        Err((error, why)) => {
            let challenge = matches!(authorizer.kind, AuthorizerKind::Jwt { .. })
                .then(|| bearer_challenge(&route.route.scopes, error, &why).ok())
                .flatten();
            match challenge {
                Some(challenge) => {
                    Flow::Refuse(Refusal::new(Kind::Bearer { error, challenge }, why))
                }
                None => refuse(error, why),
            }
        }
    }
}

/// The `www-authenticate` of a refused JWT, as API Gateway words it:
/// `Bearer scope="<route scopes>" error="invalid_token" error_description="<why>"`.
fn bearer_challenge(
    scopes: &[String],
    error: ApiError,
    why: &str,
) -> Result<http::HeaderValue, http::header::InvalidHeaderValue> {
    let code = if error == ApiError::Forbidden {
        "insufficient_scope"
    } else {
        "invalid_token"
    };
    let why = why.replace('"', "'");
    http::HeaderValue::from_str(&format!(
        "Bearer scope=\"{}\" error=\"{code}\" error_description=\"{why}\"",
        scopes.join(" ")
    ))
}

fn refuse(error: ApiError, why: String) -> Flow {
    Flow::Refuse(Refusal::api(error, why))
}

/// Why an authorizer said no: the answer to give, and the reason to log.
type Refused = (ApiError, String);

struct LambdaAuthorizer<'a> {
    name: &'a str,
    function: &'a str,
    payload_format: portico_config::PayloadFormat,
    simple_responses: bool,
    ttl: std::time::Duration,
}

/// A Lambda authorizer's decision for `identity`: cached, or asked of its function. `Ok` is
/// the context it allowed the request with.
async fn lambda_decision(
    ctx: &RequestCtx,
    gate: &Gate<'_, Api>,
    target: &Target<'_>,
    route: &ApiTarget<'_>,
    authorizer: &LambdaAuthorizer<'_>,
    identity: &[String],
) -> Result<serde_json::Value, Refused> {
    let failed = |why: String| (ApiError::IntegrationFailed, why);
    let route_path = route.route_path.trim_start_matches('/');
    let route_arn = format!(
        "arn:aws:execute-api:{}:{}:{}/{}/{}/{route_path}",
        gate.region, gate.account_id, gate.api.name, route.stage, ctx.method
    );
    // A policy answers for the route it was asked about: its decision is kept per route.
    // A simple answer holds for every route of the identity.
    let route_part = if authorizer.simple_responses {
        ""
    } else {
        route_arn.as_str()
    };
    // A JSON array: no identity value can pass for another part of the key.
    let cache_key =
        serde_json::json!(["http", gate.api.name, authorizer.name, identity, route_part])
            .to_string();
    let cached = gate.cache.get(&cache_key);
    count_cache(
        &format!("api:{}", gate.api.name),
        authorizer.name,
        cached.is_some(),
    );
    let decision = match cached {
        Some(decision) => decision,
        None => {
            let event = crate::phases::map::authorizer_event(
                ctx,
                target,
                route.route,
                authorizer.payload_format,
                gate.account_id,
                &route_arn,
                identity,
            );
            let where_ = (gate.region, gate.account_id);
            let answer = invoke_authorizer(ctx, gate.runtime, where_, authorizer.function, event)
                .await
                .map_err(|(why, _)| failed(why))?;
            let decision =
                portico_auth::decide(&answer, authorizer.simple_responses, &route_arn)
                    .map_err(|why| failed(format!("authorizer answer unusable: {}", why.0)))?;
            gate.cache.put(cache_key, decision.clone(), authorizer.ttl);
            decision
        }
    };
    let decision = match decision {
        // A whole answer decides for the route asked about now.
        Decision::Answer(answer) => {
            portico_auth::lambda::decide_value(&answer, authorizer.simple_responses, &route_arn)
                .map_err(|why| failed(format!("authorizer answer unusable: {}", why.0)))?
        }
        decision => decision,
    };
    match decision {
        Decision::Allow { context } => Ok(context),
        _ => Err((
            ApiError::Forbidden,
            format!("denied by `{}`", authorizer.name),
        )),
    }
}

/// A JWT's claims and scopes, verified against the issuer's keys (refetched once when the
/// token names a key they lack).
async fn jwt_claims(
    jwks: &crate::jwks::Jwks,
    rule: &jwt::Rule<'_>,
    jwks_uri: Option<&str>,
    credential: &str,
) -> Result<jwt::Verified, Refused> {
    let token = jwt::token(credential);
    if let Some(verified) = jwks.verified(rule, token) {
        return Ok(verified);
    }
    let unauthorized = |why: String| (ApiError::Unauthorized, why);
    let mut stale = false;
    loop {
        let keys = jwks.keys(rule.issuer, jwks_uri, stale).await.map_err(|e| {
            tracing::warn!("no keys for JWT issuer {}: {e}", rule.issuer);
            unauthorized("the issuer's signing keys could not be fetched".into())
        })?;
        return match jwt::verify(token, &keys, rule) {
            Ok(verified) => {
                jwks.remember(rule, token, &verified);
                Ok(verified)
            }
            Err(jwt::Refusal::UnknownKey(kid)) if !stale => {
                stale = true;
                tracing::debug!("unknown key {kid}: refetching the keys of {}", rule.issuer);
                continue;
            }
            Err(jwt::Refusal::UnknownKey(kid)) => {
                Err(unauthorized(format!("the issuer has no signing key {kid}")))
            }
            Err(jwt::Refusal::Unauthorized(why)) => Err(unauthorized(why)),
        };
    }
}

/// What the authorize phase of an API (an HTTP API's [`Api`], a REST API's
/// [`portico_config::rest::RestApi`]) needs besides the request.
pub struct Gate<'a, A> {
    pub api: &'a A,
    pub runtime: &'a Runtime,
    pub cache: &'a dyn DecisionCache,
    pub jwks: &'a crate::jwks::Jwks,
    pub region: &'a str,
    pub account_id: &'a str,
}

/// Counts an authorizer cache lookup (API Gateway's CacheHitCount / CacheMissCount for
/// authorizers).
fn count_cache(target: &str, authorizer: &str, hit: bool) {
    let name = if hit {
        "portico_authorizer_cache_hits_total"
    } else {
        "portico_authorizer_cache_misses_total"
    };
    let labels = [
        ("target", target.to_string()),
        ("authorizer", authorizer.to_string()),
    ];
    metrics::counter!(name, &labels).increment(1);
}

/// How long a REST API waits for its Lambda authorizer before answering 500.
const AUTHORIZER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A REST method's authorizer: a Lambda TOKEN authorizer (the token header, checked against
/// its validation expression before the function is asked), a Lambda REQUEST authorizer
/// (every identity source present), or a Cognito user pool authorizer (a JWT of one of its
/// pools). A Lambda authorizer's policy is cached per identity and applied to each method
/// asked about, as API Gateway applies it; an allowed request carries the principal and
/// context on (`ctx.authorizer`).
pub async fn rest_api(
    ctx: &mut RequestCtx,
    gate: &Gate<'_, portico_config::rest::RestApi>,
    target: &crate::phases::resolve::RestTarget<'_>,
    authorizer_use: (&str, &[String]),
    plan: &crate::doors::rest::mapping::plan::ApiPlan,
) -> Flow {
    let (name, scopes) = authorizer_use;
    use portico_config::rest::RestAuthorizerKind;
    let rest_refuse =
        |response: GatewayResponse, why: String| Flow::Refuse(Refusal::rest(response, why));
    let Some(authorizer) = gate.api.authorizers.get(name) else {
        let why = format!("no authorizer `{name}`");
        return rest_refuse(GatewayResponse::ApiConfigurationError, why);
    };
    let checks = plan.authorizers.get(name);
    let method_arn = format!(
        "arn:aws:execute-api:{}:{}:{}/{}/{}/{}",
        gate.region,
        gate.account_id,
        gate.api.name,
        target.stage,
        ctx.method,
        target.resource_path.trim_start_matches('/')
    );
    let (function, identity, event) = match &authorizer.kind {
        RestAuthorizerKind::CognitoUserPools { issuers, header } => {
            return match cognito_claims(ctx, gate, issuers, header, scopes).await {
                Ok(claims) => {
                    ctx.authorizer = Some(serde_json::json!({ "claims": claims }));
                    Flow::Continue
                }
                Err(why) => rest_refuse(GatewayResponse::Unauthorized, why),
            };
        }
        RestAuthorizerKind::Token {
            function, header, ..
        } => {
            let Some(token) = ctx
                .header(&header.to_ascii_lowercase())
                .filter(|t| !t.is_empty())
                .map(str::to_string)
            else {
                let why = format!("no `{header}` token for `{name}`");
                return rest_refuse(GatewayResponse::Unauthorized, why);
            };
            let validation = checks.and_then(|c| c.validation.as_ref());
            if let Some(pattern) = validation
                && !pattern.is_match(&token)
            {
                let why = format!("the token does not match `{name}`'s validation expression");
                return rest_refuse(GatewayResponse::Unauthorized, why);
            }
            let event = serde_json::json!({
                "type": "TOKEN",
                "authorizationToken": token,
                "methodArn": method_arn,
            });
            let event = bytes::Bytes::from(serde_json::to_vec(&event).unwrap_or_default());
            (function, vec![token], event)
        }
        RestAuthorizerKind::Request {
            function,
            identity_sources,
        } => {
            let mut identity = Vec::new();
            let sources = checks.map(|c| c.identity.as_slice()).unwrap_or_default();
            for (source, written) in sources.iter().zip(identity_sources) {
                match rest_identity(ctx, target, source) {
                    Some(value) => identity.push(value),
                    None => {
                        let why = format!("no identity source `{written}` for `{name}`");
                        return rest_refuse(GatewayResponse::Unauthorized, why);
                    }
                }
            }
            let request_id = ctx.request_id.clone();
            let event_target = Target {
                api_id: &gate.api.name,
                route_key: target.method.key.text(),
                stage: target.stage,
                path_parameters: &target.path_parameters,
                stage_variables: target.stage_variables,
                request_id: &request_id,
                format: crate::phases::map::Format::Rest {
                    resource: target.method.key.path_template(),
                    binary: false,
                },
                authorizer: None,
            };
            // The event's `path` is the resource path, as a proxy event's is (the stage is
            // in `requestContext.path`).
            let full = std::mem::replace(&mut ctx.path, target.resource_path.clone());
            let event = crate::phases::map::rest_authorizer_event(
                ctx,
                &event_target,
                gate.account_id,
                &method_arn,
            );
            ctx.path = full;
            (function, identity, event)
        }
    };
    // The policy is kept per identity (none for a REQUEST authorizer without sources).
    let cache_key = (!identity.is_empty() && !authorizer.ttl.is_zero())
        .then(|| serde_json::json!(["rest", gate.api.name, name, identity]).to_string());
    let cached = cache_key.as_ref().and_then(|k| gate.cache.get(k));
    if cache_key.is_some() {
        count_cache(&format!("rest:{}", gate.api.name), name, cached.is_some());
    }
    let answer = match cached {
        Some(Decision::Answer(answer)) => answer,
        _ => match ask_rest_authorizer(ctx, gate, function, event).await {
            Ok(answer) => {
                if let Some(key) = cache_key {
                    gate.cache
                        .put(key, Decision::Answer(answer.clone()), authorizer.ttl);
                }
                answer
            }
            Err((response, why)) => return rest_refuse(response, why),
        },
    };
    let unusable = |why: String| {
        rest_refuse(
            GatewayResponse::AuthorizerConfigurationError,
            format!("`{name}`'s answer is unusable: {why}"),
        )
    };
    match portico_auth::lambda::decide_value(&answer, false, &method_arn) {
        Ok(Decision::Allow { context }) => {
            let context = match rest_context(&answer["principalId"], context) {
                Ok(context) => context,
                Err(why) => return unusable(why),
            };
            ctx.usage_key = answer["usageIdentifierKey"].as_str().map(str::to_string);
            ctx.authorizer = Some(context);
            Flow::Continue
        }
        Ok(Decision::Deny { explicit }) => {
            let why = if explicit {
                format!("`{name}`'s policy denies {method_arn}")
            } else {
                format!("`{name}`'s policy does not allow {method_arn}")
            };
            rest_refuse(GatewayResponse::AccessDenied { explicit }, why)
        }
        Ok(Decision::Answer(_)) => unusable("no decision".into()),
        Err(why) => unusable(why.0),
    }
}

/// A WebSocket API's `$connect` authorizer: every identity source present (else 401, the
/// function unasked), then its IAM policy must allow `method_arn` (the stage's `$connect`);
/// the principal and context, as REST APIs give them, for every event of the connection.
/// `event` builds the authorizer's event. A refusal is the handshake's status and why.
pub async fn websocket_connect(
    ctx: &RequestCtx,
    gate: &Gate<'_, portico_config::websocket::WebSocketApi>,
    authorizer: &portico_config::websocket::WebSocketAuthorizer,
    method_arn: &str,
    event: Vec<u8>,
) -> Result<serde_json::Value, (http::StatusCode, String)> {
    use http::StatusCode;
    for source in &authorizer.identity_sources {
        let (present, written) = match source {
            IdentitySource::Header(name) => (
                ctx.header(name).is_some_and(|v| !v.is_empty()),
                format!("route.request.header.{name}"),
            ),
            IdentitySource::Query(name) => (
                form_urlencoded::parse(ctx.query.as_bytes())
                    .any(|(k, v)| k == name.as_str() && !v.is_empty()),
                format!("route.request.querystring.{name}"),
            ),
        };
        if !present {
            let why = format!("the identity source {written} is missing");
            return Err((StatusCode::UNAUTHORIZED, why));
        }
    }
    let status = |response: GatewayResponse| match response {
        GatewayResponse::Unauthorized => StatusCode::UNAUTHORIZED,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let answer = ask_rest_authorizer(ctx, gate, &authorizer.function, event.into())
        .await
        .map_err(|(response, why)| (status(response), why))?;
    let unusable = |why: String| {
        let why = format!("the authorizer's answer is unusable: {why}");
        (StatusCode::INTERNAL_SERVER_ERROR, why)
    };
    match portico_auth::lambda::decide_value(&answer, false, method_arn) {
        Ok(Decision::Allow { context }) => {
            rest_context(&answer["principalId"], context).map_err(unusable)
        }
        Ok(Decision::Deny { .. }) => Err((
            StatusCode::FORBIDDEN,
            format!("the authorizer's policy does not allow {method_arn}"),
        )),
        Ok(Decision::Answer(_)) => Err(unusable("no decision".into())),
        Err(why) => Err(unusable(why.0)),
    }
}

/// What an allowed request carries on (`requestContext.authorizer`,
/// `$context.authorizer.*`): the principal and the answer's `context`, its numbers and
/// booleans made strings as API Gateway makes them; an object or array in it makes the
/// answer unusable, as on AWS.
fn rest_context(
    principal: &serde_json::Value,
    context: serde_json::Value,
) -> Result<serde_json::Value, String> {
    use serde_json::Value;
    let mut seen = serde_json::Map::new();
    seen.insert("principalId".into(), principal.clone());
    let Value::Object(context) = context else {
        return Ok(Value::Object(seen));
    };
    for (key, value) in context {
        let text = match value {
            Value::String(text) => text,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => continue,
            Value::Array(_) | Value::Object(_) => {
                return Err(format!(
                    "context value `{key}` is an object or array; API Gateway takes strings, numbers and booleans"
                ));
            }
        };
        seen.insert(key, Value::String(text));
    }
    Ok(Value::Object(seen))
}

/// A REQUEST authorizer's identity source's value: a method request parameter, a stage
/// variable or a `context` variable (the method, stage, resource path, source IP, request
/// id); `None` when it is absent or empty.
fn rest_identity(
    ctx: &RequestCtx,
    target: &crate::phases::resolve::RestTarget<'_>,
    source: &Source,
) -> Option<String> {
    let value = match source {
        Source::Request(parameter) => ctx.parameter(parameter, &target.path_parameters),
        Source::StageVariable(name) => target.stage_variables.get(name).cloned(),
        Source::Context(path) => match path.join(".").as_str() {
            "httpMethod" => Some(ctx.method.to_string()),
            "stage" => Some(target.stage.to_string()),
            "resourcePath" => Some(target.method.key.path_template().to_string()),
            "identity.sourceIp" => Some(ctx.remote.ip().to_string()),
            "requestId" => Some(ctx.request_id.clone()),
            _ => None,
        },
        _ => None,
    };
    value.filter(|v| !v.is_empty())
}

/// Invokes a REST Lambda authorizer: its answer, or the gateway response for its failure
/// (an `Unauthorized` error is 401, anything else 500).
async fn ask_rest_authorizer<A>(
    ctx: &RequestCtx,
    gate: &Gate<'_, A>,
    function: &str,
    event: bytes::Bytes,
) -> Result<serde_json::Value, (GatewayResponse, String)> {
    let where_ = (gate.region, gate.account_id);
    let asked = invoke_authorizer(ctx, gate.runtime, where_, function, event);
    let Ok(answer) = crate::phases::integrate::within(Some(AUTHORIZER_TIMEOUT), asked).await else {
        let why = format!("the authorizer did not answer within {AUTHORIZER_TIMEOUT:?}");
        return Err((GatewayResponse::AuthorizerConfigurationError, why));
    };
    let body = answer.map_err(|(why, message)| match message.as_deref() {
        Some("Unauthorized") => (
            GatewayResponse::Unauthorized,
            "the authorizer said Unauthorized".to_string(),
        ),
        _ => (GatewayResponse::AuthorizerConfigurationError, why),
    })?;
    serde_json::from_slice(&body).map_err(|e| {
        (
            GatewayResponse::AuthorizerConfigurationError,
            format!("the authorizer's answer is not JSON: {e}"),
        )
    })
}

/// Invokes an authorizer `function` (in `where_`: region, account) with `event`: its
/// answer, or why not, with the function's `errorMessage` when it failed.
async fn invoke_authorizer(
    ctx: &RequestCtx,
    runtime: &Runtime,
    where_: (&str, &str),
    function: &str,
    event: bytes::Bytes,
) -> Result<bytes::Bytes, (String, Option<String>)> {
    let pool = runtime
        .pool(function)
        .ok_or_else(|| ("the authorizer function is missing".to_string(), None))?;
    let request = InvokeRequest {
        request_id: portico_events::time::request_id(),
        payload: event,
        invoked_arn: portico_events::invoke_api::function_arn(where_.0, where_.1, function, None),
        version: portico_config::LATEST.into(),
        trace_id: ctx.trace_id.clone(),
        client_context: None,
        want_log_tail: false,
        response_stream: false,
    };
    match pool.invoke(request).await.map(|i| i.outcome) {
        Ok(Outcome::Response { body, .. }) => Ok(body),
        Ok(Outcome::Stream(mut stream)) => {
            crate::body::collect(&mut stream, pool.function().limits.buffered_response)
                .await
                .map_err(|(error_type, _)| (format!("authorizer failed: {error_type}"), None))
        }
        Ok(Outcome::FunctionError { error_type, body }) => {
            let message = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["errorMessage"].as_str().map(str::to_string));
            Err((format!("authorizer failed: {error_type}"), message))
        }
        Err(e) => Err((format!("authorizer not run: {e}"), None)),
    }
}

/// A Cognito user pool authorizer: a JWT (with or without `Bearer `) in `header`, issued by
/// one of the pools, valid now; with `scopes`, carrying one of them. Its claims, as strings.
async fn cognito_claims(
    ctx: &RequestCtx,
    gate: &Gate<'_, portico_config::rest::RestApi>,
    issuers: &[String],
    header: &str,
    scopes: &[String],
) -> Result<serde_json::Value, String> {
    let credential = ctx
        .header(&header.to_ascii_lowercase())
        .ok_or_else(|| format!("no `{header}` token"))?;
    let token = jwt::token(credential);
    let issuer = jwt::unverified_issuer(token).ok_or("the token names no issuer")?;
    let issuer = issuers
        .iter()
        .find(|i| **i == issuer)
        .ok_or_else(|| format!("the token's issuer {issuer} is not one of the pools"))?;
    let rule = jwt::Rule {
        issuer,
        audience: &[],
    };
    let verified = jwt_claims(gate.jwks, &rule, None, token)
        .await
        .map_err(|(_, why)| why)?;
    if !verified.allows(scopes) {
        return Err("the token has none of the method's scopes".into());
    }
    Ok(verified.authorizer["claims"].clone())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::{Duration, SystemTime};

    use aws_credential_types::Credentials;
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    use aws_sigv4::sign::v4;
    use bytes::Bytes;
    use portico_auth::LocalCache;
    use portico_config::rest::{RestApi, RestAuthorizer, RestAuthorizerKind};
    use portico_config::{Authorizer, InvokeMode, Limits, PayloadFormat};
    use portico_observe::Target as Door;
    use serde_json::json;

    use super::*;
    use crate::ctx::testing;
    use crate::phases::map::Format;
    use crate::phases::resolve;

    const KEY: &str = "AKIDEXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    const REGION: &str = "us-east-1";
    const ACCOUNT: &str = "123456789012";
    const URI: &str = "http://localhost:3000/items?b=2&a=1";
    const BODY: &[u8] = br#"{"n":1}"#;

    static CREDENTIALS: std::sync::LazyLock<BTreeMap<String, String>> =
        std::sync::LazyLock::new(|| [(KEY.to_string(), SECRET.to_string())].into());

    fn signing() -> Signing<'static> {
        Signing {
            credentials: &CREDENTIALS,
            region: REGION,
            account_id: ACCOUNT,
        }
    }

    /// `POST /items?b=2&a=1` with a JSON body; `signed`: SigV4-signed for that service with
    /// that secret, now, as an AWS SDK signs it.
    fn request(signed: Option<(&str, &str)>) -> RequestCtx {
        let mut request = http::Request::post(URI)
            .header("host", "localhost:3000")
            .header("content-type", "application/json")
            .body(())
            .unwrap();
        if let Some((service, secret)) = signed {
            let identity = Credentials::new(KEY, secret, None, None, "test").into();
            let params = v4::SigningParams::builder()
                .identity(&identity)
                .region(REGION)
                .name(service)
                .time(SystemTime::now())
                .settings(SigningSettings::default())
                .build()
                .unwrap()
                .into();
            let headers: Vec<(String, String)> = request
                .headers()
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_string()))
                .collect();
            let headers = headers.iter().map(|(n, v)| (n.as_str(), v.as_str()));
            let signable =
                SignableRequest::new("POST", URI, headers, SignableBody::Bytes(BODY)).unwrap();
            let (instructions, _) = sign(signable, &params).unwrap().into_parts();
            instructions.apply_to_request_http1x(&mut request);
        }
        let mut ctx = testing::request(request, Door::function_url("f"));
        ctx.body = Bytes::from_static(BODY);
        ctx
    }

    fn url(auth: UrlAuth) -> FunctionUrl {
        FunctionUrl {
            auth,
            invoke_mode: InvokeMode::Buffered,
            cors: None,
        }
    }

    /// What a phase refused with (panics if it went on).
    fn refusal(flow: Flow) -> Kind {
        match flow {
            Flow::Refuse(refusal) => refusal.kind,
            Flow::Continue => panic!("went on"),
            Flow::Respond(_) => panic!("answered"),
        }
    }

    /// The HTTP API error a phase refused with.
    fn api_refusal(flow: Flow) -> ApiError {
        match refusal(flow) {
            Kind::Api(error) => error,
            other => panic!("refused with {other:?}"),
        }
    }

    /// The REST gateway response a phase refused with.
    fn rest_refusal(flow: Flow) -> GatewayResponse {
        match refusal(flow) {
            Kind::Rest(response) => response,
            other => panic!("refused with {other:?}"),
        }
    }

    #[test]
    fn a_url_without_auth_lets_everyone_in() {
        let mut ctx = request(None);
        let flow = function_url(&mut ctx, &url(UrlAuth::None), &signing());
        assert!(matches!(flow, Flow::Continue));
        assert!(ctx.authorizer.is_none());
    }

    #[test]
    fn an_iam_url_refuses_an_unsigned_request() {
        let flow = function_url(&mut request(None), &url(UrlAuth::AwsIam), &signing());
        let kind = refusal(flow);
        assert!(
            matches!(kind, Kind::Url(UrlError::SignatureRequired)),
            "{kind:?}"
        );
    }

    #[test]
    fn an_iam_url_takes_an_sdk_signature_and_names_the_caller() {
        let mut ctx = request(Some(("lambda", SECRET)));
        let flow = function_url(&mut ctx, &url(UrlAuth::AwsIam), &signing());
        assert!(matches!(flow, Flow::Continue));
        let expected = json!({"iam": {
            "accessKey": KEY,
            "accountId": ACCOUNT,
            "callerId": KEY,
            "cognitoIdentity": null,
            "principalOrgId": null,
            "userArn": format!("arn:aws:iam::{ACCOUNT}:user/{KEY}"),
            "userId": KEY,
        }});
        assert_eq!(ctx.authorizer, Some(expected));
    }

    #[test]
    fn an_iam_url_refuses_a_signature_it_cannot_verify() {
        let tampered = || {
            let mut ctx = request(Some(("lambda", SECRET)));
            ctx.body = Bytes::from_static(br#"{"n":2}"#);
            ctx
        };
        let refused = [
            (
                "a wrong secret",
                request(Some(("lambda", "not-the-secret"))),
            ),
            ("another service", request(Some(("execute-api", SECRET)))),
            ("another body", tampered()),
        ];
        for (what, mut ctx) in refused {
            let kind = refusal(function_url(&mut ctx, &url(UrlAuth::AwsIam), &signing()));
            assert!(
                matches!(kind, Kind::Url(UrlError::SignatureRequired)),
                "{what}"
            );
            assert!(ctx.authorizer.is_none(), "{what}");
        }
    }

    #[test]
    fn an_iam_http_api_route_takes_execute_api_signatures_and_refuses_the_rest_as_forbidden() {
        let flow = http_api_iam(&mut request(Some(("execute-api", SECRET))), &signing());
        assert!(matches!(flow, Flow::Continue));
        for mut ctx in [request(None), request(Some(("execute-api", "wrong")))] {
            let error = api_refusal(http_api_iam(&mut ctx, &signing()));
            assert_eq!(error, ApiError::Forbidden);
        }
    }

    #[test]
    fn an_iam_rest_method_refuses_no_signature_as_a_missing_token_and_a_bad_one_as_invalid() {
        let flow = rest_api_iam(&mut request(Some(("execute-api", SECRET))), &signing());
        assert!(matches!(flow, Flow::Continue));
        let missing = rest_refusal(rest_api_iam(&mut request(None), &signing()));
        assert_eq!(missing, GatewayResponse::MissingAuthenticationToken);
        let mut bad = request(Some(("execute-api", "wrong")));
        let invalid = rest_refusal(rest_api_iam(&mut bad, &signing()));
        assert_eq!(invalid, GatewayResponse::InvalidSignature);
    }

    #[test]
    fn a_refused_jwt_is_challenged_as_api_gateway_words_it() {
        let scopes = ["read".to_string(), "write".to_string()];
        let challenge = bearer_challenge(&scopes, ApiError::Unauthorized, "the \"aud\" is wrong");
        assert_eq!(
            challenge.unwrap(),
            r#"Bearer scope="read write" error="invalid_token" error_description="the 'aud' is wrong""#
        );
        let challenge = bearer_challenge(&scopes, ApiError::Forbidden, "no scope");
        assert_eq!(
            challenge.unwrap(),
            r#"Bearer scope="read write" error="insufficient_scope" error_description="no scope""#
        );
    }

    /// What a [`Gate`] borrows: a runtime without functions (whatever an authorizer asks of
    /// it is missing), an empty decision cache, no issuer's keys.
    struct Gated {
        runtime: Runtime,
        cache: LocalCache,
        jwks: crate::jwks::Jwks,
        _work_dir: tempfile::TempDir,
    }

    impl Gated {
        fn new() -> Gated {
            let dir = tempfile::tempdir().unwrap();
            let config = portico_config::parse(&dir.path().join("portico.yaml"), "").unwrap();
            let options = portico_runtime::Options {
                work_dir: dir.path().to_path_buf(),
                async_retry_delay: Duration::from_secs(1),
            };
            Gated {
                runtime: Runtime::new(&config, options).unwrap().0,
                cache: LocalCache::default(),
                jwks: crate::jwks::Jwks::default(),
                _work_dir: dir,
            }
        }

        fn gate<'a, A>(&'a self, api: &'a A) -> Gate<'a, A> {
            Gate {
                api,
                runtime: &self.runtime,
                cache: &self.cache,
                jwks: &self.jwks,
                region: REGION,
                account_id: ACCOUNT,
            }
        }
    }

    /// `GET <uri>` with `headers` to `door`.
    fn get(uri: &str, headers: &[(&str, &str)], door: Door) -> RequestCtx {
        let mut request = http::Request::get(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        testing::request(request.body(()).unwrap(), door)
    }

    /// The HTTP API `shop` whose route `GET /pets` is guarded by `guard`.
    fn api(guard: Option<Authorizer>) -> Api {
        let mut route = testing::route("GET /pets");
        route.authorizer = Some("guard".into());
        Api {
            name: "shop".into(),
            stages: [("$default".to_string(), Default::default())].into(),
            routes: vec![route],
            cors: None,
            authorizers: guard.into_iter().map(|a| (a.name.clone(), a)).collect(),
            limits: Limits::AWS,
        }
    }

    fn guard(identity_sources: &[IdentitySource], kind: AuthorizerKind) -> Option<Authorizer> {
        Some(Authorizer {
            name: "guard".into(),
            identity_sources: identity_sources.to_vec(),
            kind,
        })
    }

    fn lambda() -> AuthorizerKind {
        AuthorizerKind::Lambda {
            function: "guard-fn".into(),
            payload_format: PayloadFormat::V2,
            simple_responses: true,
            ttl: Duration::ZERO,
        }
    }

    /// Why `GET /pets?<query>` with `headers` is refused on `api`'s route.
    async fn refused_on_route(api: &Api, query: &str, headers: &[(&str, &str)]) -> ApiError {
        let mut ctx = get(&format!("/pets?{query}"), headers, Door::http_api("shop"));
        let gated = Gated::new();
        let route = resolve::http_api(api, "GET", "/pets").unwrap();
        let target = Target {
            api_id: "shop",
            route_key: route.route.key.text(),
            stage: route.stage,
            path_parameters: &route.path_parameters,
            stage_variables: route.stage_variables,
            request_id: "apigw-1",
            format: Format::V2,
            authorizer: None,
        };
        api_refusal(http_api(&mut ctx, &gated.gate(api), &target, &route).await)
    }

    #[tokio::test]
    async fn a_missing_identity_source_is_refused_401_before_the_authorizer_is_asked() {
        let header = [IdentitySource::Header("authorization".into())];
        let query = [IdentitySource::Query("token".into())];
        // identity sources, query, headers
        type Row<'a> = (&'a [IdentitySource], &'a str, &'a [(&'a str, &'a str)]);
        let rows: [Row; 4] = [
            (&header, "", &[]),
            (&header, "", &[("authorization", "")]),
            (&query, "other=1", &[("authorization", "t")]),
            (&query, "token=", &[]),
        ];
        for (sources, query, headers) in rows {
            for kind in [lambda(), jwt()] {
                let error = refused_on_route(&api(guard(sources, kind)), query, headers).await;
                assert_eq!(error, ApiError::Unauthorized, "{query} {headers:?}");
            }
        }
    }

    fn jwt() -> AuthorizerKind {
        AuthorizerKind::Jwt {
            issuer: "https://issuer.invalid".into(),
            audience: Vec::new(),
            jwks_uri: Some("http://127.0.0.1:9/keys".into()),
        }
    }

    #[tokio::test]
    async fn with_its_identity_a_lambda_authorizer_is_asked_and_its_missing_function_is_a_500() {
        let header = [IdentitySource::Header("authorization".into())];
        let api = api(guard(&header, lambda()));
        let error = refused_on_route(&api, "", &[("authorization", "t")]).await;
        assert_eq!(error, ApiError::IntegrationFailed);
    }

    #[tokio::test]
    async fn a_route_naming_an_authorizer_the_api_lacks_is_a_500() {
        let error = refused_on_route(&api(None), "", &[("authorization", "t")]).await;
        assert_eq!(error, ApiError::IntegrationFailed);
    }

    /// The REST API `pets` whose method `GET /pets` (stage `prod`) is guarded by `guard`.
    fn rest(kind: RestAuthorizerKind) -> BTreeMap<String, RestApi> {
        let integration = portico_config::rest::RestIntegration {
            kind: portico_config::rest::IntegrationKind::Mock,
            request_parameters: Vec::new(),
            request_templates: BTreeMap::new(),
            passthrough: Default::default(),
            content_handling: None,
            timeout: None,
            responses: Vec::new(),
            cache_key_parameters: Vec::new(),
            stream: false,
        };
        let method = portico_config::rest::Method {
            key: portico_config::RouteKey::parse("GET /pets").unwrap(),
            authorization: portico_config::rest::Authorization::None,
            api_key_required: false,
            validator: None,
            request_parameters: BTreeMap::new(),
            request_models: BTreeMap::new(),
            integration,
            origin: Default::default(),
        };
        let guard = RestAuthorizer {
            name: "guard".into(),
            kind,
            ttl: Duration::ZERO,
        };
        let api = RestApi {
            name: "pets".into(),
            stages: [("prod".to_string(), Default::default())].into(),
            methods: vec![method],
            authorizers: [("guard".to_string(), guard)].into(),
            validators: BTreeMap::new(),
            models: BTreeMap::new(),
            api_key_source: Default::default(),
            binary_media_types: Vec::new(),
            gateway_responses: BTreeMap::new(),
            api_keys: BTreeMap::new(),
            usage_plans: BTreeMap::new(),
            limits: Limits::AWS,
            origin: Default::default(),
        };
        [("pets".to_string(), api)].into()
    }

    /// Why `GET /prod/pets` with `headers` is refused on `apis`' method, by `authorizer`.
    async fn refused_on_method(
        apis: &BTreeMap<String, RestApi>,
        authorizer: &str,
        headers: &[(&str, &str)],
    ) -> GatewayResponse {
        let mut ctx = get("/prod/pets", headers, Door::rest_api("pets"));
        let api = &apis["pets"];
        let plans = crate::doors::rest::mapping::plan::Plans::compile(apis).unwrap();
        let plan = plans.api("pets").unwrap();
        let gated = Gated::new();
        let target = resolve::rest_api(api, plan, "GET", "/prod/pets").unwrap();
        let gate = gated.gate(api);
        let flow = rest_api(&mut ctx, &gate, &target, (authorizer, &[]), plan).await;
        rest_refusal(flow)
    }

    /// `apis`' method refuses each of `without` with 401 before its authorizer is asked, and
    /// asks it with `with` (its function is missing here: a 500).
    async fn refused_401_before_asking(
        apis: &BTreeMap<String, RestApi>,
        without: &[&[(&str, &str)]],
        with: &[(&str, &str)],
    ) {
        for headers in without {
            let response = refused_on_method(apis, "guard", headers).await;
            assert_eq!(response, GatewayResponse::Unauthorized, "{headers:?}");
        }
        let response = refused_on_method(apis, "guard", with).await;
        assert_eq!(
            response,
            GatewayResponse::AuthorizerConfigurationError,
            "{with:?}"
        );
    }

    #[tokio::test]
    async fn a_rest_token_authorizer_refuses_a_missing_or_malformed_token_with_401() {
        let apis = rest(RestAuthorizerKind::Token {
            function: "guard-fn".into(),
            header: "Authorization".into(),
            validation: Some("Bearer [a-z]+".into()),
        });
        let without: [&[_]; 3] = [
            &[],
            &[("authorization", "")],
            &[("authorization", "Bearer 42")],
        ];
        refused_401_before_asking(&apis, &without, &[("authorization", "Bearer ok")]).await;
    }

    #[tokio::test]
    async fn a_rest_request_authorizer_refuses_a_missing_identity_source_with_401() {
        let apis = rest(RestAuthorizerKind::Request {
            function: "guard-fn".into(),
            identity_sources: vec!["method.request.header.X-Key".into()],
        });
        let without: [&[_]; 2] = [&[("x-other", "1")], &[("x-key", "")]];
        refused_401_before_asking(&apis, &without, &[("x-key", "1")]).await;
    }

    #[tokio::test]
    async fn a_rest_method_naming_an_authorizer_the_api_lacks_is_a_configuration_error() {
        let apis = rest(RestAuthorizerKind::Request {
            function: "guard-fn".into(),
            identity_sources: Vec::new(),
        });
        let response = refused_on_method(&apis, "nobody", &[]).await;
        assert_eq!(response, GatewayResponse::ApiConfigurationError);
    }
}

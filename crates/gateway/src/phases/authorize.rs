//! Authorize: who may call. Function URLs with `auth: none` let everyone in; HTTP API
//! routes may be guarded by a Lambda authorizer.

use portico_auth::{Decision, DecisionCache};
use portico_config::{Api, FunctionUrl, IdentitySource, UrlAuth};
use portico_events::ApiError;
use portico_runtime::{InvokeRequest, Outcome, Runtime};

use crate::phases::map::Target;
use crate::phases::resolve::ApiTarget;

use crate::ctx::{Flow, RequestCtx};

/// A Function URL's `AuthType`. `aws_iam` is refused until SigV4 verification exists, so
/// that a URL configured as private never serves unsigned requests.
pub fn function_url(ctx: &mut RequestCtx, url: &FunctionUrl) -> Flow {
    match url.auth {
        UrlAuth::None => Flow::Continue,
        UrlAuth::AwsIam => {
            ctx.error = Some("aws_iam auth is not supported yet".into());
            let error = portico_events::ErrorResponse {
                status: 403,
                error_type: Some("AccessDeniedException"),
                content_type: "application/json",
                body: br#"{"Message":"Forbidden. Portico does not verify AWS_IAM (SigV4) Function URL auth yet; set `auth: none` on this URL."}"#.to_vec(),
                retry_after: None,
            };
            Flow::Respond(crate::error::render(&error, &ctx.request_id))
        }
    }
}

/// An HTTP API route's Lambda authorizer: the identity sources must be present (else 401,
/// without invoking), the decision comes from the cache or the authorizer function, and an
/// allowed request carries the authorizer's context on to the integration (`ctx.authorizer`).
pub async fn http_api(
    ctx: &mut RequestCtx,
    gate: &Gate<'_>,
    target: &Target<'_>,
    route: &ApiTarget<'_>,
) -> Flow {
    let Some(name) = &route.route.authorizer else {
        return Flow::Continue;
    };
    let refuse = |ctx: &mut RequestCtx, error: ApiError, why: String| {
        ctx.error = Some(why);
        Flow::Respond(crate::error::render(&error.response(), &ctx.request_id))
    };
    let Some(authorizer) = gate.api.authorizers.get(name) else {
        return refuse(
            ctx,
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
                    ctx,
                    ApiError::Unauthorized,
                    format!("no identity source for `{name}`"),
                );
            }
        }
    }
    let route_path = route.route_path.trim_start_matches('/');
    let route_arn = format!(
        "arn:aws:execute-api:{}:{}:{}/{}/{}/{route_path}",
        gate.region, gate.account_id, gate.api.name, route.stage, ctx.method
    );
    let cache_key = format!(
        "{}\u{0}{name}\u{0}{}",
        gate.api.name,
        identity.join("\u{0}")
    );
    let decision = match gate.cache.get(&cache_key) {
        Some(decision) => decision,
        None => {
            let event = crate::phases::map::authorizer_event(
                ctx,
                target,
                gate.account_id,
                &route_arn,
                &identity,
            );
            let Some(pool) = gate.runtime.pool(&authorizer.function) else {
                return refuse(
                    ctx,
                    ApiError::IntegrationFailed,
                    "the authorizer function is missing".into(),
                );
            };
            let request = InvokeRequest {
                request_id: portico_events::time::request_id(),
                payload: event,
                invoked_arn: portico_events::invoke_api::function_arn(
                    gate.region,
                    gate.account_id,
                    &authorizer.function,
                    None,
                ),
                trace_id: ctx.trace_id.clone(),
                client_context: None,
                want_log_tail: false,
            };
            let answer = match pool.invoke(request).await.map(|i| i.outcome) {
                Ok(Outcome::Response { body, .. }) => body,
                Ok(Outcome::Stream(mut stream)) => match crate::body::collect(
                    &mut stream,
                    pool.function().limits.buffered_response,
                )
                .await
                {
                    Ok(body) => body,
                    Err((error_type, _)) => {
                        return refuse(
                            ctx,
                            ApiError::IntegrationFailed,
                            format!("authorizer failed: {error_type}"),
                        );
                    }
                },
                Ok(Outcome::FunctionError { error_type, .. }) => {
                    return refuse(
                        ctx,
                        ApiError::IntegrationFailed,
                        format!("authorizer failed: {error_type}"),
                    );
                }
                Err(e) => {
                    return refuse(
                        ctx,
                        ApiError::IntegrationFailed,
                        format!("authorizer not run: {e}"),
                    );
                }
            };
            match portico_auth::decide(&answer, authorizer.simple_responses, &route_arn) {
                Ok(decision) => {
                    gate.cache.put(cache_key, decision.clone(), authorizer.ttl);
                    decision
                }
                Err(why) => {
                    return refuse(
                        ctx,
                        ApiError::IntegrationFailed,
                        format!("authorizer answer unusable: {}", why.0),
                    );
                }
            }
        }
    };
    match decision {
        Decision::Allow { context } => {
            ctx.authorizer = Some(serde_json::json!({ "lambda": context }));
            Flow::Continue
        }
        Decision::Deny => refuse(ctx, ApiError::Forbidden, format!("denied by `{name}`")),
    }
}

/// What the authorize phase of an HTTP API needs besides the request.
pub struct Gate<'a> {
    pub api: &'a Api,
    pub runtime: &'a Runtime,
    pub cache: &'a dyn DecisionCache,
    pub region: &'a str,
    pub account_id: &'a str,
}

//! The REST API front door (API Gateway v1): resolve (stage, resource and method),
//! authorize, validate, map, integrate (within the integration's timeout), respond, record.
//! Lambda proxy methods get REST's flavor of the 1.0 event; HTTP proxy methods pass the
//! request on and the answer back. Errors are REST's gateway responses.

use std::net::SocketAddr;

use http::{HeaderValue, Request, Response};
use portico_config::rest::{Authorization, IntegrationKind, RestApi};
use portico_events::GatewayResponse;

use crate::Gateway;
use crate::body::Body;
use crate::ctx::RequestCtx;
use crate::error::rest as refuse;
use crate::phases::map::{Format, Target};
use crate::phases::resolve::{self, RestMiss, RestTarget};
use crate::phases::{authorize, integrate, map, record, respond, validate};
use crate::proxy::Unreachable;

/// The header REST APIs answer every request with, beside `x-amzn-RequestId`.
const APIGW_ID: &str = "x-amz-apigw-id";

impl Gateway {
    /// Serves `req` for the REST API `api`; `path` is the request path (a path-form prefix
    /// already removed), stage segment included.
    pub(crate) async fn rest_api<B>(
        &self,
        api: &RestApi,
        path: String,
        req: Request<B>,
        remote: SocketAddr,
    ) -> Response<Body>
    where
        B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let (parts, body) = req.into_parts();
        let target = format!("rest:{}", api.name);
        let mut ctx = RequestCtx::new(parts, path, remote, self.local_port, target);
        let mut response = self.rest_phases(&mut ctx, api, body).await;
        let headers = response.headers_mut();
        if let Ok(id) = HeaderValue::from_str(&ctx.request_id) {
            headers.insert(portico_events::invoke_api::REQUEST_ID, id);
        }
        let apigw_id = portico_events::time::apigw_request_id();
        if let Ok(id) = HeaderValue::from_str(&apigw_id) {
            headers.insert(APIGW_ID, id);
        }
        record::access_log(&ctx, response.status());
        response
    }

    async fn rest_phases<B>(&self, ctx: &mut RequestCtx, api: &RestApi, body: B) -> Response<Body>
    where
        B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let target = match resolve::rest_api(api, ctx.method.as_str(), &ctx.path) {
            Ok(target) => target,
            Err(RestMiss::NoStage) => {
                let why = "no such stage";
                return refuse(ctx, &GatewayResponse::MissingAuthenticationToken, why);
            }
            Err(RestMiss::NoMethod) => {
                let why = "no such resource or method";
                return refuse(ctx, &GatewayResponse::MissingAuthenticationToken, why);
            }
        };
        let integration = &target.method.integration;
        let limit = api.limits.api_payload;
        let read_body = matches!(integration.kind, IntegrationKind::AwsProxy { .. })
            || target.method.authorization == Authorization::Iam;
        // The body is read first when a signature covers it or an event carries it; an
        // HTTP proxy otherwise streams it on.
        let mut body = Some(body);
        if read_body && let Some(unread) = body.take() {
            let too_large = GatewayResponse::RequestTooLarge.response();
            phase!(validate::body(ctx, unread, limit, too_large).await);
        }
        if target.method.authorization == Authorization::Iam {
            phase!(authorize::rest_api_iam(ctx, &self.signing()));
        }
        match &integration.kind {
            IntegrationKind::AwsProxy { function } => {
                self.rest_lambda_proxy(ctx, api, &target, function).await
            }
            IntegrationKind::HttpProxy { method, url } => {
                self.rest_http_proxy(ctx, &target, method.as_deref(), url, body, limit)
                    .await
            }
            other => {
                let why = format!("the integration {other:?} is not served yet");
                refuse(ctx, &GatewayResponse::ApiConfigurationError, why)
            }
        }
    }

    /// map (REST's 1.0 event) → integrate (invoke, within the integration's timeout) →
    /// respond (the 1.0 response rules).
    async fn rest_lambda_proxy(
        &self,
        ctx: &mut RequestCtx,
        api: &RestApi,
        target: &RestTarget<'_>,
        function: &str,
    ) -> Response<Body> {
        let Some(pool) = self.runtime.pool(function) else {
            let why = "the method's function is missing";
            return refuse(ctx, &GatewayResponse::ApiConfigurationError, why);
        };
        let f = pool.function();
        // The event's `path` is the resource path; the stage goes in `requestContext.path`.
        ctx.path = target.resource_path.clone();
        let request_id = ctx.request_id.clone();
        let authorizer = ctx.authorizer.take();
        let event_target = Target {
            api_id: &api.name,
            route_key: target.method.key.text(),
            stage: target.stage,
            path_parameters: &target.path_parameters,
            stage_variables: target.stage_variables,
            request_id: &request_id,
            format: Format::Rest {
                resource: target.method.key.path_template(),
            },
            authorizer: authorizer.as_ref(),
        };
        phase!(map::rest_api(ctx, &event_target, f, &self.account_id));
        ctx.authorizer = authorizer;
        let arn = self.function_arn(&f.name, None);
        let invoked = integrate::invoke_function(ctx, pool, arn);
        let invoked = match target.method.integration.timeout {
            // Past the integration's timeout API Gateway answers 504; the function runs on.
            Some(limit) => match tokio::time::timeout(limit, invoked).await {
                Ok(invoked) => invoked,
                Err(_) => {
                    let why = "integration timed out";
                    return refuse(ctx, &GatewayResponse::IntegrationTimeout, why);
                }
            },
            None => invoked.await,
        };
        if let Err(e) = invoked {
            return refuse(ctx, &GatewayResponse::IntegrationFailure, e.to_string());
        }
        respond::rest_api(ctx, &f.limits).await
    }

    /// integrate (forward, the body streamed unless already read) → respond (the
    /// upstream's answer, streamed).
    async fn rest_http_proxy<B>(
        &self,
        ctx: &mut RequestCtx,
        target: &RestTarget<'_>,
        method: Option<&str>,
        url: &str,
        body: Option<B>,
        limit: Option<usize>,
    ) -> Response<Body>
    where
        B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        use http_body_util::BodyExt;
        let body: crate::proxy::AnyBody = match body {
            None => {
                let read = http_body_util::Full::new(ctx.body.clone());
                read.map_err(|never| match never {}).boxed_unsync()
            }
            Some(body) => match limit {
                Some(limit) => http_body_util::Limited::new(body, limit).boxed_unsync(),
                None => body.map_err(Into::into).boxed_unsync(),
            },
        };
        let method = match method.map(|m| http::Method::from_bytes(m.as_bytes())) {
            Some(Ok(method)) => method,
            Some(Err(_)) => {
                let why = "the integration's httpMethod is not a method";
                return refuse(ctx, &GatewayResponse::ApiConfigurationError, why);
            }
            None => ctx.method.clone(),
        };
        let url = crate::proxy::target_url(url, &target.path_parameters, &ctx.query);
        let forwarded = [
            ("x-forwarded-for", ctx.remote.ip().to_string()),
            ("x-forwarded-port", ctx.local_port.to_string()),
            ("x-forwarded-proto", "http".to_string()),
            ("x-amzn-trace-id", ctx.trace_id.clone()),
        ];
        let call = self
            .proxy
            .forward(&method, &ctx.headers, &url, &forwarded, body);
        let answer = match target.method.integration.timeout {
            Some(limit) => match tokio::time::timeout(limit, call).await {
                Ok(answer) => answer,
                Err(_) => {
                    let why = "upstream timed out";
                    return refuse(ctx, &GatewayResponse::IntegrationTimeout, why);
                }
            },
            None => call.await,
        };
        match answer {
            Ok(response) => response.map(Body::Upstream),
            Err(Unreachable::TooLarge) => refuse(
                ctx,
                &GatewayResponse::RequestTooLarge,
                "request body too large",
            ),
            Err(Unreachable::Failed(why)) => refuse(ctx, &GatewayResponse::IntegrationFailure, why),
        }
    }
}

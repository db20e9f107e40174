//! The REST API front door (API Gateway v1): resolve (stage, resource and method),
//! authorize, throttle (the stage's bucket; the API key and its usage plan's throttle and
//! quota), validate (the method's validator), the stage cache, map, integrate (within the
//! integration's timeout), respond, record. Lambda proxy methods get REST's flavor of the
//! 1.0 event; HTTP proxy methods pass the request on and the answer back; non-proxy methods
//! (`non_proxy.rs`) are mapped by templates. Refusals are REST's gateway responses, as the
//! API customises them (`mapping.rs`), rendered by [`refused`].

pub mod mapping;
mod non_proxy;

use std::net::SocketAddr;

use http::{HeaderValue, Request, Response};
use portico_config::FunctionRef;
use portico_config::rest::{Authorization, IntegrationKind, RestApi};
use portico_events::GatewayResponse;
use portico_events::http_v1::is_binary_media_type;
use portico_observe::Target as RecordTarget;

use crate::Gateway;
use crate::body::Body;
use crate::ctx::{Answer, RequestCtx};
use crate::phases::integrate::{self, proxy};
use crate::phases::map::{Format, Target};
use crate::phases::resolve::{self, RestMiss, RestTarget};
use crate::phases::{authorize, cache, map, respond, throttle, validate};
use crate::refusal::{Kind, Refusal};
use mapping::plan::ApiPlan;

/// The header REST APIs answer every request with, beside `x-amzn-RequestId`.
const APIGW_ID: &str = "x-amz-apigw-id";

impl Gateway {
    /// Serves `req` for the REST API `api` (an API of another kind, or none, is the HTTP API
    /// door's to answer); `path` is the request path (a path-form prefix already removed),
    /// stage segment included.
    pub async fn rest_api<B>(
        &self,
        api: &str,
        path: String,
        req: Request<B>,
        remote: SocketAddr,
    ) -> Response<Body>
    where
        B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let (Some(api), Some(plan)) = (self.rest_apis.get(api), self.plans.api(api)) else {
            return self.http_api(api, path, req, remote).await;
        };
        let (parts, body) = req.into_parts();
        let target = RecordTarget::rest_api(&api.name);
        let mut ctx = RequestCtx::new(parts, path, remote, self.local_port, target);
        let (mut response, refusal) = match self.rest_phases(&mut ctx, api, plan, body).await {
            Ok(response) => (response, None),
            Err(refusal) => (refused(api, plan, &ctx, &refusal), Some(refusal)),
        };
        let headers = response.headers_mut();
        if let Ok(id) = HeaderValue::from_str(&ctx.request_id) {
            headers.insert(portico_events::invoke_api::REQUEST_ID, id);
        }
        let apigw_id = portico_events::time::apigw_request_id();
        if let Ok(id) = HeaderValue::from_str(&apigw_id) {
            headers.insert(APIGW_ID, id);
        }
        let failure = ctx.failure(refusal.as_ref());
        self.record(&ctx, &response, failure);
        self.stage_logs.write(&api.name, &ctx, &response, failure);
        response
    }

    async fn rest_phases<B>(
        &self,
        ctx: &mut RequestCtx,
        api: &RestApi,
        plan: &ApiPlan,
        body: B,
    ) -> Answer
    where
        B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let target =
            resolve::rest_api(api, plan, ctx.method.as_str(), &ctx.path).map_err(|miss| {
                let why = match miss {
                    RestMiss::NoStage => "no such stage",
                    RestMiss::NoMethod => "no such resource or method",
                };
                Refusal::rest(GatewayResponse::MissingAuthenticationToken, why)
            })?;
        ctx.route = Some((
            target.stage.to_string(),
            target.method.key.text().to_string(),
        ));
        let integration = &target.method.integration;
        let limit = api.limits.api_payload;
        let validates_body = target
            .method
            .validator
            .as_ref()
            .and_then(|v| api.validators.get(v))
            .is_some_and(|v| v.body);
        let read_body = !matches!(integration.kind, IntegrationKind::HttpProxy { .. })
            || target.method.authorization == Authorization::Iam
            || validates_body;
        // The body is read first when a signature covers it, a validator checks it, or an
        // event or a template carries it; an HTTP proxy otherwise streams it on.
        let mut body = Some(body);
        if read_body && let Some(unread) = body.take() {
            phase!(ctx, validate::body(ctx, unread, limit).await);
        }
        match &target.method.authorization {
            Authorization::None => {}
            Authorization::Iam => phase!(ctx, authorize::rest_api_iam(ctx, &self.signing())),
            Authorization::Authorizer { name, scopes } => {
                let gate = self.gate(api);
                let asked = (name.as_str(), scopes.as_slice());
                phase!(
                    ctx,
                    authorize::rest_api(ctx, &gate, &target, asked, plan).await
                );
            }
        }
        let stage_throttle = api.stages.get(target.stage).and_then(|s| s.throttle);
        phase!(
            ctx,
            throttle::rest_api(
                self.limiter.as_ref(),
                ctx,
                api,
                (target.stage, stage_throttle),
                target.method,
            )
        );
        phase!(ctx, validate::rest_api(ctx, &target));
        let cache = self.response_cache.as_ref();
        let mut slot = None;
        phase!(ctx, cache::lookup(cache, ctx, api, &target, &mut slot));
        let response = self.rest_integrate(ctx, api, &target, body, limit).await?;
        if let Some(slot) = slot {
            cache::keep(cache, &response, slot);
        }
        Ok(response)
    }

    /// map → integrate → respond, by the method's integration type.
    async fn rest_integrate<B>(
        &self,
        ctx: &mut RequestCtx,
        api: &RestApi,
        target: &RestTarget<'_>,
        body: Option<B>,
        limit: Option<usize>,
    ) -> Answer
    where
        B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let integration = &target.method.integration;
        let staged = |text: &str| mapping::with_stage_variables(text, target.stage_variables);
        match &integration.kind {
            IntegrationKind::AwsProxy { function } => {
                let function = mapping::staged_function(function, target.stage_variables);
                self.rest_lambda_proxy(ctx, api, target, &function).await
            }
            IntegrationKind::HttpProxy { url, .. } => {
                self.rest_http_proxy(ctx, target, &staged(url), body, limit)
                    .await
            }
            IntegrationKind::Mock
            | IntegrationKind::Aws { .. }
            | IntegrationKind::AwsService(_)
            | IntegrationKind::Http { .. } => self.rest_non_proxy(ctx, api, target).await,
        }
    }

    /// map (REST's 1.0 event) → integrate (invoke, within the integration's timeout) →
    /// respond (the 1.0 response rules).
    async fn rest_lambda_proxy(
        &self,
        ctx: &mut RequestCtx,
        api: &RestApi,
        target: &RestTarget<'_>,
        function: &FunctionRef,
    ) -> Answer {
        let Some(callee) = self.callee(function) else {
            let why = "the method's function is missing";
            return Err(Refusal::rest(GatewayResponse::ApiConfigurationError, why));
        };
        let f = callee.pool.function();
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
                binary: is_binary_media_type(ctx.header("content-type"), &api.binary_media_types),
            },
            authorizer: authorizer.as_ref(),
        };
        phase!(ctx, map::api(ctx, &event_target, f, &self.account_id));
        ctx.authorizer = authorizer;
        let mode = if target.method.integration.stream {
            portico_config::InvokeMode::ResponseStream
        } else {
            portico_config::InvokeMode::Buffered
        };
        let invoked = integrate::lambda::invoke(ctx, &callee, mode);
        // Past the integration's timeout API Gateway answers 504; the function runs on.
        integrate::within(target.method.integration.timeout, invoked).await??;
        // A base64 answer is decoded when the client accepts a binary media type.
        let accept = ctx.header("accept").and_then(|a| a.split(',').next());
        let decode = is_binary_media_type(accept, &api.binary_media_types)
            || api
                .binary_media_types
                .iter()
                .any(|t| t == "*/*" || t == "*~1*");
        respond::rest_api(ctx, &f.limits, decode, mode).await
    }

    /// integrate (forward, the body streamed unless already read) → respond (the
    /// upstream's answer, streamed).
    async fn rest_http_proxy<B>(
        &self,
        ctx: &mut RequestCtx,
        target: &RestTarget<'_>,
        url: &str,
        body: Option<B>,
        limit: Option<usize>,
    ) -> Answer
    where
        B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let body = proxy::outgoing(body, &ctx.body, limit);
        let method = target.plan.http_method.as_ref().unwrap_or(&ctx.method);
        let forwarded = proxy::forwarded(ctx);
        let outbound = proxy::Outbound {
            method,
            headers: &ctx.headers,
            url: proxy::target_url(url, &target.path_parameters, &ctx.query),
            body,
            limit,
        };
        let timeout = target.method.integration.timeout;
        proxy::pass(
            &self.proxy,
            &mut ctx.timeline,
            &forwarded,
            outbound,
            timeout,
        )
        .await
    }
}

/// A REST API's refusal: its gateway response, as the API customises that type (or its
/// `DEFAULT_4XX`/`DEFAULT_5XX`), else API Gateway's default. A validator's refusal gives
/// its reason as `$context.error.validationErrorString`.
fn refused(api: &RestApi, plan: &ApiPlan, ctx: &RequestCtx, refusal: &Refusal) -> Response<Body> {
    let response = refusal.kind.gateway_response();
    let validation = matches!(
        refusal.kind,
        Kind::Rest(GatewayResponse::BadRequestBody | GatewayResponse::BadRequestParameters(_))
    )
    .then_some(refusal.why.as_str());
    let answer = mapping::gateway_response(&api.name, plan, ctx, &response, validation)
        .unwrap_or_else(|| crate::refusal::render(&response.response(), None));
    respond::with_trace_id(ctx, answer)
}

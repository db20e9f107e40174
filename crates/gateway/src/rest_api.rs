//! The REST API front door (API Gateway v1): resolve (stage, resource and method),
//! authorize, throttle (the stage's bucket; the API key and its usage plan's throttle and
//! quota), validate (the method's validator), the stage cache, map, integrate (within the
//! integration's timeout), respond, record; refusals customised as the API says.
//! Lambda proxy methods get REST's flavor of the 1.0 event; HTTP proxy methods pass the
//! request on and the answer back. Errors are REST's gateway responses.

use std::net::SocketAddr;

use http::{HeaderValue, Request, Response};
use portico_config::rest::{Authorization, IntegrationKind, RestApi};
use portico_events::GatewayResponse;
use portico_events::http_v1::is_binary_media_type;

use crate::Gateway;
use crate::body::Body;
use crate::ctx::{Flow, RequestCtx};
use crate::error::rest as refuse;
use crate::phases::map::{Format, Target};
use crate::phases::resolve::{self, RestMiss, RestTarget};
use crate::phases::{authorize, integrate, map, respond, throttle, validate};
use crate::proxy::Unreachable;
use crate::rest_cache;
use crate::rest_mapping::{
    self, IntegrationAnswer, RequestFailure, TemplateScope, request_value, with_stage_variables,
};
use portico_runtime::{InvokeRequest, Outcome};

/// A shared phase's refusal, marked as the gateway response it is, for the API's
/// customisation of it.
fn as_refusal(ctx: &mut RequestCtx, flow: Flow, refusal: GatewayResponse) -> Flow {
    if matches!(flow, Flow::Respond(_)) {
        ctx.refusal = Some((refusal, None));
    }
    flow
}

/// Where a request's answer goes in the stage cache.
struct CacheSlot {
    key: String,
    ttl: std::time::Duration,
    /// `Cache-Control: max-age=0` from an authorized caller: answer afresh (and keep it).
    refresh: bool,
}

/// What a non-proxy integration is sent: the request template's output and the mapped
/// integration request parameters.
struct IntegrationRequest {
    payload: String,
    headers: http::HeaderMap,
    query: Vec<(String, String)>,
    path_parameters: Vec<(String, String)>,
}

/// What a non-proxy integration answered.
#[derive(Default)]
struct Called {
    status: Option<u16>,
    error_message: Option<String>,
    headers: http::HeaderMap,
    body: bytes::Bytes,
}

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
        if let Some((refusal, validation)) = ctx.refusal.take() {
            response = self
                .templates
                .gateway_response(api, &ctx, &refusal, validation.as_deref())
                .unwrap_or(response);
        }
        let headers = response.headers_mut();
        if let Ok(id) = HeaderValue::from_str(&ctx.request_id) {
            headers.insert(portico_events::invoke_api::REQUEST_ID, id);
        }
        let apigw_id = portico_events::time::apigw_request_id();
        if let Ok(id) = HeaderValue::from_str(&apigw_id) {
            headers.insert(APIGW_ID, id);
        }
        self.record(&ctx, &response);
        self.stage_logs.write(&api.name, &ctx, &response);
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
            let too_large = GatewayResponse::RequestTooLarge.response();
            phase!(ctx, "validate", {
                let read = validate::body(ctx, unread, limit, too_large).await;
                as_refusal(ctx, read, GatewayResponse::RequestTooLarge)
            });
        }
        match &target.method.authorization {
            Authorization::None => {}
            Authorization::Iam => phase!(ctx, authorize::rest_api_iam(ctx, &self.signing())),
            Authorization::Authorizer { name, scopes } => {
                let gate = self.gate(api);
                let asked = (name.as_str(), scopes.as_slice());
                phase!(
                    ctx,
                    authorize::rest_api(ctx, &gate, &target, asked, &self.templates).await
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
        if let Err((response, why)) =
            self.models
                .check(ctx, api, target.method, &target.path_parameters)
        {
            return crate::error::rest_validation(ctx, response, why);
        }
        let slot = self.cache_slot(ctx, api, &target);
        if let Some(slot) = &slot {
            let cached = (!slot.refresh)
                .then(|| self.response_cache.get(&slot.key))
                .flatten();
            ctx.cache_hit = Some(cached.is_some());
            if let Some(cached) = cached {
                return cached.into_response();
            }
        }
        let response = self.rest_integrate(ctx, api, &target, body, limit).await;
        match slot {
            Some(slot) => self.keep(response, slot),
            None => response,
        }
    }

    /// The stage cache's key and TTL for this request, if its stage caches its method (GET
    /// methods with the stage's `cache_ttl`, any method named in `cache_methods`).
    /// `Cache-Control: max-age=0` skips the cached answer (and refreshes it) only for a
    /// signed (IAM) request, as API Gateway requires authorization to invalidate.
    fn cache_slot(
        &self,
        ctx: &RequestCtx,
        api: &RestApi,
        target: &RestTarget<'_>,
    ) -> Option<CacheSlot> {
        let stage = api.stages.get(target.stage)?;
        // A method's own TTL, else the stage's for GET methods.
        let ttl = match stage.cache_methods.get(target.method.key.text()) {
            Some(ttl) => *ttl,
            None if ctx.method == http::Method::GET => stage.cache_ttl?,
            None => return None,
        };
        if ttl.is_zero() {
            return None;
        }
        // The request's HTTP method too: an `ANY` method's POST is not its DELETE.
        let key = rest_cache::key(
            &api.name,
            target.stage,
            &format!("{} {}", ctx.method, target.method.key.text()),
            &target.method.integration.cache_key_parameters,
            |parameter| ctx.method_request(&target.path_parameters, parameter),
        );
        let refresh = ctx
            .header("cache-control")
            .is_some_and(|c| c.replace(' ', "").contains("max-age=0"))
            && target.method.authorization == Authorization::Iam;
        Some(CacheSlot { key, ttl, refresh })
    }

    /// Keeps a successful, whole answer in the stage cache (a streamed one is not kept).
    fn keep(&self, response: Response<Body>, slot: CacheSlot) -> Response<Body> {
        if !response.status().is_success() {
            return response;
        }
        let Some(body) = response.body().whole() else {
            return response;
        };
        // Not this request's own ids: a later caller gets its own.
        let headers = response
            .headers()
            .iter()
            .filter(|(n, _)| {
                *n != portico_events::invoke_api::TRACE_ID
                    && *n != portico_events::invoke_api::REQUEST_ID
            })
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect();
        let cached = rest_cache::Cached {
            status: response.status().as_u16(),
            headers,
            body,
        };
        self.response_cache.put(slot.key, cached, slot.ttl);
        response
    }

    /// integrate → respond, by the method's integration type.
    async fn rest_integrate<B>(
        &self,
        ctx: &mut RequestCtx,
        api: &RestApi,
        target: &RestTarget<'_>,
        body: Option<B>,
        limit: Option<usize>,
    ) -> Response<Body>
    where
        B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let integration = &target.method.integration;
        let staged = |text: &str| rest_mapping::with_stage_variables(text, target.stage_variables);
        match &integration.kind {
            IntegrationKind::AwsProxy { function } => {
                self.rest_lambda_proxy(ctx, api, target, &staged(function))
                    .await
            }
            IntegrationKind::HttpProxy { method, url } => {
                self.rest_http_proxy(ctx, target, method.as_deref(), &staged(url), body, limit)
                    .await
            }
            IntegrationKind::Mock | IntegrationKind::Aws { .. } | IntegrationKind::Http { .. } => {
                self.rest_non_proxy(ctx, api, target).await
            }
        }
    }

    /// map (the request template) → integrate (MOCK, Lambda or HTTP, within the timeout) →
    /// respond (the selected integration response: its status, header mappings and
    /// response template).
    async fn rest_non_proxy(
        &self,
        ctx: &mut RequestCtx,
        api: &RestApi,
        target: &RestTarget<'_>,
    ) -> Response<Body> {
        let integration = &target.method.integration;
        let request_binary =
            is_binary_media_type(ctx.header("content-type"), &api.binary_media_types);
        ctx.body = rest_mapping::convert(&ctx.body, integration.content_handling, request_binary);
        let scope = TemplateScope::of_request(ctx, api, target, &self.account_id);
        let content_type = ctx.header("content-type").map(str::to_string);
        let (payload, overrides) =
            match self
                .templates
                .request_body(integration, content_type.as_deref(), &scope)
            {
                Ok(rendered) => rendered,
                Err(RequestFailure::UnsupportedMediaType) => {
                    let why = "no request template for the content type, and no passthrough";
                    return refuse(ctx, &GatewayResponse::UnsupportedMediaType, why);
                }
                Err(RequestFailure::Template(why)) => {
                    let why = format!("request template: {why}");
                    return refuse(ctx, &GatewayResponse::ApiConfigurationError, why);
                }
            };
        // The integration request's parameters: the method's mappings, then what the template
        // set in `$context.requestOverride`, which wins.
        let mapped = integration
            .request_parameters
            .iter()
            .filter_map(|(to, from)| Some((to.clone(), request_value(from, &scope)?)));
        let overridden = [
            ("header", &overrides.header),
            ("querystring", &overrides.querystring),
            ("path", &overrides.path),
        ]
        .into_iter()
        .flat_map(|(place, pairs)| {
            pairs
                .iter()
                .map(move |(k, v)| (format!("integration.request.{place}.{k}"), v.clone()))
        });
        let mut headers = http::HeaderMap::new();
        let mut query: Vec<(String, String)> = Vec::new();
        let mut path_parameters = target.path_parameters.clone();
        for (to, value) in mapped.chain(overridden) {
            if let Some(name) = to.strip_prefix("integration.request.header.") {
                if let (Ok(name), Ok(value)) = (
                    http::HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_str(&value),
                ) {
                    headers.insert(name, value);
                }
            } else if let Some(name) = to.strip_prefix("integration.request.querystring.") {
                query.retain(|(k, _)| k != name);
                query.push((name.to_string(), value));
            } else if let Some(name) = to.strip_prefix("integration.request.path.") {
                path_parameters.retain(|(k, _)| k != name);
                path_parameters.push((name.to_string(), value));
            }
        }
        let request = IntegrationRequest {
            payload,
            headers,
            query,
            path_parameters,
        };
        let call = self.call_integration(ctx, target, request, api.limits.api_payload);
        let started = std::time::Instant::now();
        let called = integrate::within(integration.timeout, call).await;
        ctx.timeline.mark(crate::ctx::INTEGRATE, started);
        let Some(called) = called else {
            let why = "integration timed out";
            return refuse(ctx, &GatewayResponse::IntegrationTimeout, why);
        };
        let called = match called {
            Ok(called) => called,
            Err((response, why)) => return refuse(ctx, &response, why),
        };
        let answer = IntegrationAnswer {
            status: called.status,
            error_message: called.error_message,
            headers: &called.headers,
            body: &called.body,
        };
        let Some(selected) = self.templates.select(&integration.responses, &answer) else {
            let why = "no integration response matches, and there is no default";
            return refuse(ctx, &GatewayResponse::ApiConfigurationError, why);
        };
        let answer_type = called
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        let answer_binary = is_binary_media_type(answer_type, &api.binary_media_types);
        let converted =
            rest_mapping::convert(&called.body, selected.content_handling, answer_binary);
        let answer = IntegrationAnswer {
            body: &converted,
            ..answer
        };
        let accept = ctx.header("accept").map(str::to_string);
        let built = self
            .templates
            .method_response(selected, &answer, accept.as_deref(), &scope);
        let method_response = match built {
            Ok(built) => built,
            Err(why) => {
                let why = format!("response template: {why}");
                return refuse(ctx, &GatewayResponse::ApiConfigurationError, why);
            }
        };
        let mut response = Response::new(Body::full(method_response.body));
        *response.status_mut() = http::StatusCode::from_u16(method_response.status)
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        let out = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&method_response.content_type) {
            out.insert(http::header::CONTENT_TYPE, value);
        }
        for (name, value) in method_response.headers {
            out.insert(name, value);
        }
        response
    }

    /// Calls a non-proxy integration with its mapped request: a MOCK answers with the
    /// `statusCode` of the payload, a Lambda function with its result (or error), an HTTP
    /// backend with its answer, read whole.
    async fn call_integration(
        &self,
        ctx: &mut RequestCtx,
        target: &RestTarget<'_>,
        request: IntegrationRequest,
        limit: Option<usize>,
    ) -> Result<Called, (GatewayResponse, String)> {
        let IntegrationRequest {
            payload,
            headers,
            query,
            path_parameters,
        } = request;
        let config_error = |why: String| (GatewayResponse::ApiConfigurationError, why);
        match &target.method.integration.kind {
            IntegrationKind::Mock => {
                let status = serde_json::from_str::<serde_json::Value>(&payload)
                    .ok()
                    .and_then(|v| v.get("statusCode").and_then(serde_json::Value::as_u64))
                    .and_then(|s| u16::try_from(s).ok())
                    .ok_or_else(|| {
                        config_error("the mock's request template gives no statusCode".into())
                    })?;
                Ok(Called {
                    status: Some(status),
                    ..Called::default()
                })
            }
            IntegrationKind::Aws { function } => {
                let function = &with_stage_variables(function, target.stage_variables);
                let pool = self
                    .runtime
                    .pool(function)
                    .ok_or_else(|| config_error("the method's function is missing".into()))?;
                integrate::note_function(ctx, pool);
                // An empty payload reaches the function as `{}`, as Lambda passes it.
                let payload = if payload.trim().is_empty() {
                    "{}".to_string()
                } else {
                    payload
                };
                let request = InvokeRequest {
                    request_id: ctx.request_id.clone(),
                    payload: bytes::Bytes::from(payload),
                    invoked_arn: self.function_arn(function, None),
                    trace_id: ctx.trace_id.clone(),
                    client_context: None,
                    want_log_tail: false,
                    response_stream: false,
                };
                let asynchronous = headers
                    .get("x-amz-invocation-type")
                    .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"Event"));
                if asynchronous {
                    // Queued, answered at once: the decoupled-invocation pattern.
                    pool.invoke_async(request)
                        .map_err(|e| (GatewayResponse::IntegrationFailure, e.to_string()))?;
                    return Ok(Called::default());
                }
                let invoked = pool
                    .invoke(request)
                    .await
                    .map_err(|e| (GatewayResponse::IntegrationFailure, e.to_string()))?;
                match invoked.outcome {
                    Outcome::Response { body, .. } => Ok(Called {
                        body,
                        ..Called::default()
                    }),
                    Outcome::Stream(mut stream) => {
                        let limit = pool.function().limits.buffered_response;
                        let body = crate::body::collect(&mut stream, limit)
                            .await
                            .map_err(|(e, _)| (GatewayResponse::IntegrationFailure, e))?;
                        Ok(Called {
                            body,
                            ..Called::default()
                        })
                    }
                    Outcome::FunctionError { error_type, body } => {
                        if error_type == "Sandbox.Timedout" {
                            return Err((GatewayResponse::IntegrationTimeout, error_type));
                        }
                        let message = serde_json::from_slice::<serde_json::Value>(&body)
                            .ok()
                            .and_then(|v| v["errorMessage"].as_str().map(str::to_string))
                            .unwrap_or_default();
                        ctx.error = Some(format!("function error {error_type}: {message}"));
                        Ok(Called {
                            error_message: Some(message),
                            body,
                            ..Called::default()
                        })
                    }
                }
            }
            IntegrationKind::Http { method, url } => {
                use http_body_util::BodyExt;
                let method = match method {
                    Some(m) => http::Method::from_bytes(m.as_bytes())
                        .map_err(|_| config_error(format!("`{m}` is not a method")))?,
                    None => ctx.method.clone(),
                };
                let query: String = form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(query)
                    .finish();
                let url = with_stage_variables(url, target.stage_variables);
                let url = crate::proxy::target_url(&url, &path_parameters, &query);
                let body = http_body_util::Full::new(bytes::Bytes::from(payload))
                    .map_err(|never| match never {})
                    .boxed_unsync();
                let answer = self
                    .proxy
                    .forward(&method, &headers, &url, &[], body)
                    .await
                    .map_err(|e| match e {
                        Unreachable::TooLarge => {
                            (GatewayResponse::RequestTooLarge, "too large".into())
                        }
                        Unreachable::Failed(why) => (GatewayResponse::IntegrationFailure, why),
                    })?;
                let status = answer.status().as_u16();
                let (parts, mut body) = answer.into_parts();
                // Read whole (templates need it), within the payload limit.
                let mut read = bytes::BytesMut::new();
                while let Some(frame) = body.frame().await {
                    let frame =
                        frame.map_err(|e| (GatewayResponse::IntegrationFailure, e.to_string()))?;
                    if let Ok(data) = frame.into_data() {
                        read.extend_from_slice(&data);
                    }
                    if portico_config::limits::exceeds(read.len(), limit) {
                        let why = "the backend's answer is over the payload limit".to_string();
                        return Err((GatewayResponse::IntegrationFailure, why));
                    }
                }
                let body = read.freeze();
                Ok(Called {
                    status: Some(status),
                    error_message: None,
                    headers: parts.headers,
                    body,
                })
            }
            IntegrationKind::AwsProxy { .. } | IntegrationKind::HttpProxy { .. } => {
                Err(config_error("a proxy integration has no templates".into()))
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
                binary: is_binary_media_type(ctx.header("content-type"), &api.binary_media_types),
            },
            authorizer: authorizer.as_ref(),
        };
        let too_large = GatewayResponse::RequestTooLarge.response();
        phase!(ctx, "map", {
            let mapped = map::api(ctx, &event_target, f, &self.account_id, too_large);
            as_refusal(ctx, mapped, GatewayResponse::RequestTooLarge)
        });
        ctx.authorizer = authorizer;
        let arn = self.function_arn(&f.name, None);
        let mode = if target.method.integration.stream {
            portico_config::InvokeMode::ResponseStream
        } else {
            portico_config::InvokeMode::Buffered
        };
        let invoked = integrate::invoke_function(ctx, pool, arn, mode);
        // Past the integration's timeout API Gateway answers 504; the function runs on.
        let Some(invoked) = integrate::within(target.method.integration.timeout, invoked).await
        else {
            let why = "integration timed out";
            return refuse(ctx, &GatewayResponse::IntegrationTimeout, why);
        };
        if let Err(e) = invoked {
            return refuse(ctx, &GatewayResponse::IntegrationFailure, e.to_string());
        }
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
        method: Option<&str>,
        url: &str,
        body: Option<B>,
        limit: Option<usize>,
    ) -> Response<Body>
    where
        B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let body = crate::proxy::outgoing(body, &ctx.body, limit);
        let method = match method.map(|m| http::Method::from_bytes(m.as_bytes())) {
            Some(Ok(method)) => method,
            Some(Err(_)) => {
                let why = "the integration's httpMethod is not a method";
                return refuse(ctx, &GatewayResponse::ApiConfigurationError, why);
            }
            None => ctx.method.clone(),
        };
        let url = crate::proxy::target_url(url, &target.path_parameters, &ctx.query);
        let forwarded = crate::proxy::forwarded(ctx);
        let call = self
            .proxy
            .forward(&method, &ctx.headers, &url, &forwarded, body);
        let started = std::time::Instant::now();
        let answer = integrate::within(target.method.integration.timeout, call).await;
        ctx.timeline.mark(crate::ctx::INTEGRATE, started);
        let Some(answer) = answer else {
            let why = "upstream timed out";
            return refuse(ctx, &GatewayResponse::IntegrationTimeout, why);
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

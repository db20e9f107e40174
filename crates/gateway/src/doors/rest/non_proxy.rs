//! REST's non-proxy integrations (MOCK, AWS Lambda, HTTP, AWS services), as phases: map
//! (the request template and the integration request parameters make the integration
//! request), integrate (the mock's status, the function's result, the backend's or the
//! service's answer read whole, within the integration's timeout), respond (the integration response its selection pattern picks,
//! with its parameter mappings and template, makes the method response).

use bytes::Bytes;
use http::{HeaderValue, Response};
use portico_config::rest::{IntegrationKind, RestApi};
use portico_events::GatewayResponse;
use portico_events::errors::platform;
use portico_events::http_v1::is_binary_media_type;
use portico_runtime::Outcome;

use super::mapping::{self, IntegrationAnswer, IntegrationRequest, RequestFailure, TemplateScope};
use crate::Gateway;
use crate::body::Body;
use crate::ctx::{Answer, RequestCtx};
use crate::phases::integrate::{self, proxy};
use crate::phases::resolve::RestTarget;
use crate::refusal::{Kind, Refusal};

/// What a non-proxy integration answered.
#[derive(Default)]
struct Called {
    status: Option<u16>,
    error_message: Option<String>,
    headers: http::HeaderMap,
    body: Bytes,
}

/// An integration's own configuration failed at run time (API Gateway's 500).
fn config_error(why: impl Into<String>) -> Refusal {
    Refusal::rest(GatewayResponse::ApiConfigurationError, why)
}

impl Gateway {
    /// map → integrate (MOCK, Lambda, HTTP or an AWS service, within the timeout) → respond.
    pub(super) async fn rest_non_proxy(
        &self,
        ctx: &mut RequestCtx,
        api: &RestApi,
        target: &RestTarget<'_>,
    ) -> Answer {
        let integration = &target.method.integration;
        let request_binary =
            is_binary_media_type(ctx.header("content-type"), &api.binary_media_types);
        ctx.body = mapping::convert(&ctx.body, integration.content_handling, request_binary);
        let scope = TemplateScope::of_request(ctx, api, target, &self.account_id);
        let request = marked!(ctx, "map", self.integration_request(ctx, target, &scope))?;
        let limit = api.limits.api_payload;
        let call = self.call_integration(ctx, target, request, limit);
        let called = integrate::within(integration.timeout, call).await??;
        marked!(
            ctx,
            "respond",
            self.method_response(ctx, api, target, called, &scope)
        )
    }

    /// The integration request, as the method's plan maps it.
    fn integration_request(
        &self,
        ctx: &RequestCtx,
        target: &RestTarget<'_>,
        scope: &TemplateScope<'_>,
    ) -> Result<IntegrationRequest, Refusal> {
        let integration = &target.method.integration;
        let content_type = ctx.header("content-type");
        mapping::integration_request(target.plan, integration, content_type, scope).map_err(
            |failure| match failure {
                RequestFailure::UnsupportedMediaType => Refusal::rest(
                    GatewayResponse::UnsupportedMediaType,
                    "no request template for the content type, and no passthrough",
                ),
                RequestFailure::Template(why) => config_error(format!("request template: {why}")),
            },
        )
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
    ) -> Result<Called, Refusal> {
        match &target.method.integration.kind {
            IntegrationKind::Mock => Ok(Called {
                status: Some(integrate::mock::status(&request.payload)?),
                ..Called::default()
            }),
            IntegrationKind::Aws { function } => {
                let function = mapping::staged_function(function, target.stage_variables);
                self.call_function(ctx, &function, request).await
            }
            IntegrationKind::Http { url, .. } => {
                let method = target.plan.http_method.as_ref().unwrap_or(&ctx.method);
                let query: String = form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(request.query)
                    .finish();
                let url = mapping::with_stage_variables(url, target.stage_variables);
                let outbound = proxy::Outbound {
                    method,
                    headers: &request.headers,
                    url: proxy::target_url(&url, &request.path_parameters, &query),
                    body: proxy::whole(Bytes::from(request.payload)),
                    limit,
                };
                let started = std::time::Instant::now();
                let called = proxy::call(&self.proxy, outbound).await;
                ctx.timeline.mark(crate::ctx::INTEGRATE, started);
                let called = called?;
                Ok(Called {
                    status: Some(called.status),
                    error_message: None,
                    headers: called.headers,
                    body: called.body,
                })
            }
            IntegrationKind::AwsService(call) => {
                let mut call = call.clone();
                if let portico_config::rest::ServiceOperation::Path(path) = &mut call.operation {
                    *path = mapping::with_stage_variables(path, target.stage_variables);
                }
                let signed = self
                    .services
                    .request(
                        &call,
                        request.headers,
                        &request.query,
                        &request.path_parameters,
                        request.payload.as_bytes(),
                    )
                    .map_err(|why| Refusal::new(Kind::Unreachable, why))?;
                let called =
                    integrate::aws::send(&self.proxy, signed, limit, &mut ctx.timeline).await?;
                Ok(Called {
                    status: Some(called.status),
                    error_message: None,
                    headers: called.headers,
                    body: called.body,
                })
            }
            IntegrationKind::AwsProxy { .. } | IntegrationKind::HttpProxy { .. } => {
                Err(config_error("a proxy integration has no templates"))
            }
        }
    }

    /// A Lambda integration: the payload (an empty one is `{}`, as Lambda passes it) invoked
    /// and its result read whole; a function error's `errorMessage` selects the integration
    /// response. `X-Amz-Invocation-Type: Event` queues it and answers at once (the
    /// decoupled-invocation pattern).
    async fn call_function(
        &self,
        ctx: &mut RequestCtx,
        function: &portico_config::FunctionRef,
        request: IntegrationRequest,
    ) -> Result<Called, Refusal> {
        let callee = self
            .callee(function)
            .ok_or_else(|| config_error("the method's function is missing"))?;
        ctx.event = if request.payload.trim().is_empty() {
            Bytes::from_static(b"{}")
        } else {
            Bytes::from(request.payload)
        };
        let asynchronous = request
            .headers
            .get("x-amz-invocation-type")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"Event"));
        if asynchronous {
            integrate::lambda::invoke_async(ctx, &callee)?;
            return Ok(Called::default());
        }
        let mode = portico_config::InvokeMode::Buffered;
        integrate::lambda::invoke(ctx, &callee, mode).await?;
        let Some(invoked) = ctx.invoked.take() else {
            return Err(Refusal::new(Kind::FunctionFailed, "no outcome"));
        };
        match invoked.outcome {
            Outcome::Response { body, .. } => Ok(Called {
                body,
                ..Called::default()
            }),
            Outcome::Stream(mut stream) => {
                let limit = callee.pool.function().limits.buffered_response;
                let body = crate::body::collect(&mut stream, limit)
                    .await
                    .map_err(|(e, _)| Refusal::new(Kind::FunctionFailed, e))?;
                Ok(Called {
                    body,
                    ..Called::default()
                })
            }
            Outcome::FunctionError { error_type, .. } if error_type == platform::TIMED_OUT => {
                Err(Refusal::new(Kind::FunctionTimedOut, error_type))
            }
            Outcome::FunctionError { error_type, body } => {
                let message = serde_json::from_slice::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v["errorMessage"].as_str().map(str::to_string))
                    .unwrap_or_default();
                ctx.function_error = Some(format!("function error {error_type}: {message}"));
                Ok(Called {
                    error_message: Some(message),
                    body,
                    ..Called::default()
                })
            }
        }
    }

    /// The method response: the integration response the answer selects (else a 500), its
    /// content handling, header mappings and template for the client's `Accept`.
    fn method_response(
        &self,
        ctx: &RequestCtx,
        api: &RestApi,
        target: &RestTarget<'_>,
        called: Called,
        scope: &TemplateScope<'_>,
    ) -> Answer {
        let answer = IntegrationAnswer {
            status: called.status,
            error_message: called.error_message,
            headers: &called.headers,
            body: &called.body,
        };
        let selected = mapping::select(&target.plan.responses, &answer).ok_or_else(|| {
            config_error("no integration response matches, and there is no default")
        })?;
        let answer_type = called
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        let answer_binary = is_binary_media_type(answer_type, &api.binary_media_types);
        let converted = mapping::convert(&called.body, selected.content_handling, answer_binary);
        let answer = IntegrationAnswer {
            body: &converted,
            ..answer
        };
        let built = mapping::method_response(selected, &answer, ctx.header("accept"), scope)
            .map_err(|why| config_error(format!("response template: {why}")))?;
        let mut response = Response::new(Body::full(built.body));
        *response.status_mut() = http::StatusCode::from_u16(built.status)
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        let out = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&built.content_type) {
            out.insert(http::header::CONTENT_TYPE, value);
        }
        for (name, value) in built.headers {
            out.insert(name, value);
        }
        Ok(response)
    }
}

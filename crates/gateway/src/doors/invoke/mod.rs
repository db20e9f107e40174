//! The Lambda Invoke API front door (`POST /2015-03-31/functions/{name}/invocations`), as
//! the AWS CLI and SDKs call it with an endpoint URL.

use std::net::SocketAddr;

use base64::Engine;
use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use portico_events::ServiceError;
use portico_events::event_stream;
use portico_events::invoke_api::{self as api, InvocationType};
use portico_runtime::{InvokeError, InvokeRequest, Invoked, Outcome};

use crate::Gateway;
use crate::body::{Body, ReadError, collect, read};
use crate::ctx::RequestCtx;
use crate::phases::integrate::lambda::Callee;
use portico_observe::Target;

mod describe;

impl Gateway {
    /// Serves one Invoke API request.
    pub async fn invoke_api<B>(&self, req: Request<B>, remote: SocketAddr) -> Response<Body>
    where
        B: http_body::Body<Data = Bytes>,
    {
        let (parts, body) = req.into_parts();
        let path = parts.uri.path().to_string();
        let mut ctx = RequestCtx::new(parts, path, remote, self.local_port, Target::Invoke);
        let (response, refusal) = match self.invoke_phases(&mut ctx, body).await {
            Ok(response) => (response, None),
            Err(error) => {
                let response = crate::refusal::render(&error.response(), Some(&ctx.request_id));
                (response, Some(format!("{error:?}")))
            }
        };
        let failure = refusal.as_deref().or(ctx.function_error.as_deref());
        self.record(&ctx, &response, failure);
        response
    }

    async fn invoke_phases<B>(
        &self,
        ctx: &mut RequestCtx,
        body: B,
    ) -> Result<Response<Body>, ServiceError>
    where
        B: http_body::Body<Data = Bytes>,
    {
        // resolve
        let (operation, segment) =
            api::Operation::parse(&ctx.method, &ctx.path).ok_or_else(|| {
                ServiceError::UnknownOperation {
                    method: ctx.method.to_string(),
                    path: ctx.path.clone(),
                }
            })?;
        let segment = percent_encoding::percent_decode_str(segment)
            .decode_utf8_lossy()
            .into_owned();
        if operation == api::Operation::ListFunctions {
            return self.list_functions(ctx).await;
        }
        let callee = self.named_function(ctx, &segment)?;
        match operation {
            api::Operation::GetFunction | api::Operation::GetFunctionConfiguration => {
                return self.get_function(ctx, operation, &callee).await;
            }
            api::Operation::ListVersionsByFunction => {
                return self.list_versions(ctx, &callee.pool).await;
            }
            api::Operation::ListAliases => return self.list_aliases(ctx, &callee.pool),
            api::Operation::GetAlias => return self.get_alias(ctx, &callee.pool),
            _ => {}
        }
        let pool = &callee.pool;
        ctx.route = Some((String::new(), pool.function().name.clone()));
        crate::phases::integrate::lambda::note_function(ctx, pool);
        // validate
        let invocation_type = InvocationType::parse(ctx.header(api::INVOCATION_TYPE))?;
        if operation == api::Operation::InvokeWithResponseStream
            && invocation_type == InvocationType::Event
        {
            return Err(ServiceError::InvalidParameterValue(
                "InvokeWithResponseStream does not support the Event invocation type.".into(),
            ));
        }
        let want_log_tail = api::wants_tail(ctx.header(api::LOG_TYPE))?;
        let client_context = self.client_context(ctx)?;
        let limits = pool.function().limits;
        let limit = match invocation_type {
            InvocationType::Event => limits.async_payload,
            _ => limits.sync_payload,
        };
        let payload = match read(body, limit).await {
            Ok(payload) if payload.is_empty() => Bytes::from_static(b"{}"),
            Ok(payload) => payload,
            Err(ReadError::TooLarge) => {
                return Err(ServiceError::RequestTooLarge {
                    limit: limit.unwrap_or_default(),
                    operation: operation.name(),
                });
            }
            Err(ReadError::Broken) => {
                return Err(ServiceError::InvalidRequestContent(
                    "the request body broke off".into(),
                ));
            }
        };
        if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&payload) {
            return Err(ServiceError::InvalidRequestContent(e.to_string()));
        }
        // integrate
        let request = InvokeRequest {
            request_id: ctx.request_id.clone(),
            payload,
            invoked_arn: callee.arn.clone(),
            version: callee.version.clone(),
            trace_id: ctx
                .header(api::TRACE_ID)
                .map_or_else(|| ctx.trace_id.clone(), str::to_string),
            client_context,
            want_log_tail,
            response_stream: operation == api::Operation::InvokeWithResponseStream,
        };
        let invoked = match invocation_type {
            InvocationType::DryRun => {
                let response = self.invoke_response(ctx, StatusCode::NO_CONTENT, Body::empty());
                return Ok(executed(response, &callee.version));
            }
            InvocationType::Event => {
                pool.invoke_async(request).map_err(throttle_error)?;
                let response = self.invoke_response(ctx, StatusCode::ACCEPTED, Body::empty());
                return Ok(executed(response, &callee.version));
            }
            InvocationType::RequestResponse => {
                let started = std::time::Instant::now();
                let invoked = pool.invoke(request).await.map_err(throttle_error)?;
                ctx.timeline.mark(crate::ctx::INTEGRATE, started);
                invoked
            }
        };
        // respond
        let response = match operation {
            api::Operation::InvokeWithResponseStream => self.streamed_response(ctx, invoked),
            _ => {
                self.invoked_response(ctx, invoked, limits.buffered_response)
                    .await
            }
        };
        Ok(executed(response, &callee.version))
    }

    /// The function the `{FunctionName}` segment (and a `Qualifier` in the query) names:
    /// `$LATEST`, a published version or an alias.
    fn named_function(&self, ctx: &RequestCtx, segment: &str) -> Result<Callee, ServiceError> {
        let qualifier = form_urlencoded::parse(ctx.query.as_bytes())
            .find(|(k, _)| k == "Qualifier")
            .map(|(_, v)| v.into_owned());
        let (name, qualifier) = api::function_ref(segment, qualifier.as_deref())?;
        let function = portico_config::FunctionRef { name, qualifier };
        self.callee(&function)
            .ok_or_else(|| ServiceError::ResourceNotFound {
                arn: self.function_arn(&function.name, function.qualifier.as_deref()),
            })
    }

    /// `InvokeWithResponseStream`: the result as event-stream `PayloadChunk`s as the
    /// function writes it, then `InvokeComplete` (with the error, if it failed).
    fn streamed_response(&self, ctx: &mut RequestCtx, invoked: Invoked) -> Response<Body> {
        let log = invoked
            .log_tail
            .map(|tail| base64::engine::general_purpose::STANDARD.encode(tail));
        let (content_type, body) = match invoked.outcome {
            Outcome::Response { body, content_type } => (
                content_type,
                Body::event_stream(
                    None,
                    vec![
                        event_stream::payload_chunk(&body),
                        event_stream::invoke_complete(None, log.as_deref()),
                    ],
                ),
            ),
            Outcome::FunctionError { error_type, body } => {
                ctx.function_error = Some(format!("function error {error_type}"));
                let details = String::from_utf8_lossy(&body);
                (
                    None,
                    Body::event_stream(
                        None,
                        vec![event_stream::invoke_complete(
                            Some((&error_type, &details)),
                            log.as_deref(),
                        )],
                    ),
                )
            }
            Outcome::Stream(stream) => (
                stream.content_type.clone(),
                Body::event_stream(Some(stream), Vec::new()),
            ),
        };
        let mut response = self.invoke_response(ctx, StatusCode::OK, body);
        let content_type = content_type.unwrap_or_else(|| "application/octet-stream".into());
        if let Ok(v) = HeaderValue::from_str(&content_type) {
            response.headers_mut().insert(http::header::CONTENT_TYPE, v);
        }
        response
    }

    fn client_context(&self, ctx: &RequestCtx) -> Result<Option<String>, ServiceError> {
        let Some(encoded) = ctx.header(api::CLIENT_CONTEXT) else {
            return Ok(None);
        };
        if encoded.len() > api::MAX_CLIENT_CONTEXT {
            return Err(ServiceError::InvalidParameterValue(format!(
                "Client context must be {} bytes or less when base64-encoded.",
                api::MAX_CLIENT_CONTEXT
            )));
        }
        base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .filter(|text| {
                serde_json::from_str::<serde_json::Value>(text).is_ok_and(|v| v.is_object())
            })
            .map(Some)
            .ok_or_else(|| {
                ServiceError::InvalidParameterValue(
                    "Client context must be a valid Base64-encoded JSON object.".into(),
                )
            })
    }

    async fn invoked_response(
        &self,
        ctx: &mut RequestCtx,
        invoked: Invoked,
        limit: Option<usize>,
    ) -> Response<Body> {
        let mut log_tail = invoked.log_tail;
        let (body, error) = match invoked.outcome {
            Outcome::Response { body, .. } => (body, None),
            Outcome::FunctionError { error_type, body } => (body, Some(error_type)),
            Outcome::Stream(mut stream) => {
                let collected = collect(&mut stream, limit).await;
                log_tail = stream.log_tail().await;
                match collected {
                    Ok(body) => (body, None),
                    Err((error_type, body)) => (body, Some(error_type)),
                }
            }
        };
        let mut response = self.invoke_response(ctx, StatusCode::OK, Body::full(body));
        let headers = response.headers_mut();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Some(error_type) = error {
            ctx.function_error = Some(format!("function error {error_type}"));
            headers.insert(api::FUNCTION_ERROR, HeaderValue::from_static("Unhandled"));
        }
        if let Some(tail) = log_tail {
            let encoded = base64::engine::general_purpose::STANDARD.encode(tail);
            if let Ok(v) = HeaderValue::from_str(&encoded) {
                headers.insert(api::LOG_RESULT, v);
            }
        }
        response
    }

    fn invoke_response(&self, ctx: &RequestCtx, status: StatusCode, body: Body) -> Response<Body> {
        let mut response = Response::new(body);
        *response.status_mut() = status;
        let headers = response.headers_mut();
        if let Ok(id) = HeaderValue::from_str(&ctx.request_id) {
            headers.insert(api::REQUEST_ID, id);
        }
        response
    }
}

/// `response` saying which version ran (`X-Amz-Executed-Version`).
fn executed(mut response: Response<Body>, version: &str) -> Response<Body> {
    if let Ok(v) = HeaderValue::from_str(version) {
        response.headers_mut().insert(api::EXECUTED_VERSION, v);
    }
    response
}

fn throttle_error(e: InvokeError) -> ServiceError {
    match e {
        InvokeError::Throttled => ServiceError::TooManyRequests,
        InvokeError::ShuttingDown => ServiceError::Service("Portico is shutting down".into()),
    }
}

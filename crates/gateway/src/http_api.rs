//! The HTTP API front door (API Gateway v2, Lambda proxy with payload format 2.0 or 1.0):
//! CORS preflight, then resolve (stage and route), authorize, throttle, validate, map,
//! integrate (within the route's timeout), respond, record.

use std::net::SocketAddr;

use http::{HeaderValue, Request, Response, StatusCode};
use portico_events::ApiError;

use crate::Gateway;
use crate::body::Body;
use crate::ctx::RequestCtx;
use crate::error::api as failure;
use crate::mapping::Outgoing;
use crate::phases::authorize;
use crate::phases::map::{Format, Target};
use crate::phases::respond::APIGW_REQUEST_ID;
use crate::phases::{integrate, map, resolve, respond, throttle, validate};
use crate::proxy::Unreachable;
use portico_config::{Integration, PayloadFormat};

impl Gateway {
    /// Serves `req` for the API named `api`; `path` is the request path (a path-form prefix
    /// already removed), stage segment included.
    pub async fn http_api<B>(
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
        let api = match self.apis.contains_key(api) || self.rest_apis.contains_key(api) {
            true => api,
            false => {
                let names = self.apis.keys().chain(self.rest_apis.keys());
                resolve::spelled(api, names.map(String::as_str)).unwrap_or(api)
            }
        };
        if let Some(rest) = self.rest_apis.get(api) {
            return self.rest_api(rest, path, req, remote).await;
        }
        let (parts, body) = req.into_parts();
        let target = match self.apis.contains_key(api) {
            true => format!("api:{api}"),
            false => resolve::UNKNOWN_API.to_string(),
        };
        let mut ctx = RequestCtx::new(parts, path, remote, self.local_port, target);
        let request_id = portico_events::time::apigw_request_id();
        ctx.apigw_request_id = Some(request_id.clone());
        let cors = self.apis.get(api).and_then(|a| a.cors.as_ref());
        let mut response =
            crate::cors::around(cors, StatusCode::NO_CONTENT, &mut ctx, async |ctx| {
                self.api_phases(ctx, api, &request_id, body).await
            })
            .await;
        if let Ok(id) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert(APIGW_REQUEST_ID, id);
        }
        self.record(&ctx, &response);
        self.stage_logs.write(api, &ctx, &response);
        response
    }

    async fn api_phases<B>(
        &self,
        ctx: &mut RequestCtx,
        api: &str,
        request_id: &str,
        body: B,
    ) -> Response<Body>
    where
        B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let Some(api) = self.apis.get(api) else {
            return failure(ctx, ApiError::NotFound, "no such API");
        };
        let Some(target) = resolve::http_api(api, ctx.method.as_str(), &ctx.path) else {
            // Known stage, no route: still the stage's (for its access log and metrics).
            if let Some(((stage, _), _)) = resolve::http_api_stage(api, &ctx.path) {
                ctx.route = Some((stage.clone(), String::new()));
            }
            return failure(ctx, ApiError::NotFound, "no route");
        };
        ctx.route = Some((
            target.stage.to_string(),
            target.route.key.text().to_string(),
        ));
        let event_target = Target {
            api_id: &api.name,
            route_key: target.route.key.text(),
            stage: target.stage,
            path_parameters: &target.path_parameters,
            stage_variables: target.stage_variables,
            request_id,
            // Authorizers always get payload format 2.0.
            format: Format::V2,
            authorizer: None,
        };
        let gate = self.gate(api);
        phase!(
            ctx,
            authorize::http_api(ctx, &gate, &event_target, &target).await
        );
        let stage_throttle = api.stages.get(target.stage).and_then(|s| s.throttle);
        if let Some(limit) = target.route.throttle.or(stage_throttle) {
            let key = format!("{}/{}/{}", api.name, target.stage, target.route.key.text());
            phase!(
                ctx,
                throttle::http_api(self.limiter.as_ref(), ctx, &key, limit)
            );
        }
        let response = match &target.route.integration {
            Integration::Lambda { function } => {
                self.lambda_route(ctx, &target, event_target, function, body)
                    .await
            }
            Integration::Http { url } => {
                self.http_route(ctx, &target, url, api.limits.api_payload, body)
                    .await
            }
        };
        self.mapped_response(ctx, &target, response, api.limits.api_payload)
            .await
    }

    /// validate → map → integrate (invoke the function) → respond.
    async fn lambda_route<B>(
        &self,
        ctx: &mut RequestCtx,
        target: &resolve::ApiTarget<'_>,
        mut event_target: Target<'_>,
        function: &str,
        body: B,
    ) -> Response<Body>
    where
        B: http_body::Body<Data = bytes::Bytes>,
    {
        let Some(pool) = self.runtime.pool(function) else {
            return failure(
                ctx,
                ApiError::IntegrationFailed,
                "the route's function is missing",
            );
        };
        let f = pool.function();
        let limit = f.limits.api_payload;
        phase!(
            ctx,
            validate::body(ctx, body, limit, ApiError::RequestTooLarge.response()).await
        );
        if target.route.iam {
            // Authorization by signature, now that the body it covers is read.
            phase!(ctx, authorize::http_api_iam(ctx, &self.signing()));
        }
        self.map_lambda_request(ctx, target);
        let authorizer = ctx.authorizer.take();
        event_target.format = match target.route.payload_format {
            PayloadFormat::V2 => Format::V2,
            PayloadFormat::V1 => Format::V1 {
                resource: target.route.key.path_template(),
            },
        };
        event_target.authorizer = authorizer.as_ref();
        let request_id = event_target.request_id.to_owned();
        let too_large = ApiError::RequestTooLarge.response();
        phase!(
            ctx,
            map::api(ctx, &event_target, f, &self.account_id, too_large)
        );
        // Kept for the response's parameter mapping.
        ctx.authorizer = authorizer;
        let arn = self.function_arn(&f.name, None);
        let invoked = integrate::invoke_function(ctx, pool, arn, target.route.invoke_mode);
        // Past the route's timeout API Gateway answers 503; the function runs on.
        let Some(invoked) = integrate::within(target.route.timeout, invoked).await else {
            return failure(ctx, ApiError::ServiceUnavailable, "integration timed out");
        };
        if let Err(e) = invoked {
            return failure(ctx, ApiError::ServiceUnavailable, e.to_string());
        }
        let mode = target.route.invoke_mode;
        respond::http_api(
            ctx,
            &request_id,
            target.route.payload_format,
            mode,
            &f.limits,
        )
        .await
    }

    /// integrate (forward to the URL, the request body streamed within the payload limit)
    /// → respond (the upstream's answer, its body streamed).
    async fn http_route<B>(
        &self,
        ctx: &mut RequestCtx,
        target: &resolve::ApiTarget<'_>,
        url: &str,
        limit: Option<usize>,
        body: B,
    ) -> Response<Body>
    where
        B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let body = if target.route.iam {
            // The signature covers the body: read it (within the limit), check, then send it.
            let too_large = ApiError::RequestTooLarge.response();
            phase!(ctx, validate::body(ctx, body, limit, too_large).await);
            phase!(ctx, authorize::http_api_iam(ctx, &self.signing()));
            None
        } else {
            Some(body)
        };
        let body = crate::proxy::outgoing(body, &ctx.body, limit);
        let (url, mapped_headers) = match self.mapped_request(ctx, target, url) {
            Ok(mapped) => mapped,
            Err(why) => return failure(ctx, ApiError::IntegrationFailed, &why),
        };
        let headers = mapped_headers.as_ref().unwrap_or(&ctx.headers);
        let forwarded = crate::proxy::forwarded(ctx);
        let call = self
            .proxy
            .forward(&ctx.method, headers, &url, &forwarded, body);
        let started = std::time::Instant::now();
        let answer = integrate::within(target.route.timeout, call).await;
        ctx.timeline.mark(crate::ctx::INTEGRATE, started);
        let Some(answer) = answer else {
            return failure(ctx, ApiError::ServiceUnavailable, "upstream timed out");
        };
        match answer {
            Ok(response) => response.map(Body::Upstream),
            Err(Unreachable::TooLarge) => {
                failure(ctx, ApiError::RequestTooLarge, "request body too large")
            }
            Err(Unreachable::Failed(why)) => failure(ctx, ApiError::IntegrationFailed, &why),
        }
    }
}

impl Gateway {
    /// The URL and headers an HTTP proxy route sends: the route's URL with its path
    /// parameters and the request's query string, then the route's parameter mappings.
    /// Without mappings the request's own headers go (`None`) and its query is passed on as
    /// it came.
    fn mapped_request(
        &self,
        ctx: &RequestCtx,
        target: &resolve::ApiTarget<'_>,
        url: &str,
    ) -> Result<(String, Option<http::HeaderMap>), String> {
        if target.route.request_parameters.is_empty() {
            let url = crate::proxy::target_url(url, &target.path_parameters, &ctx.query);
            return Ok((url, None));
        }
        let base = crate::proxy::target_url(url, &target.path_parameters, "");
        let uri: http::Uri = base.parse().map_err(|e| format!("{base}: {e}"))?;
        let queries = [uri.query().unwrap_or(""), ctx.query.as_str()];
        let mut outgoing = Outgoing::new(&ctx.headers, &queries, uri.path());
        self.map_request(ctx, target, &mut outgoing);
        let mut mapped = format!(
            "{}://{}{}",
            uri.scheme_str().unwrap_or("http"),
            uri.authority().map(|a| a.as_str()).unwrap_or(""),
            outgoing.path
        );
        if !outgoing.query.is_empty() {
            mapped.push('?');
            mapped.push_str(&outgoing.query_string());
        }
        Ok((mapped, Some(outgoing.headers)))
    }

    /// A function route's `request_parameters` (headers and query parameters), applied to
    /// the request its event is made from.
    fn map_lambda_request(&self, ctx: &mut RequestCtx, target: &resolve::ApiTarget<'_>) {
        if target.route.request_parameters.is_empty() {
            return;
        }
        let mut outgoing = Outgoing::new(&ctx.headers, &[ctx.query.as_str()], "");
        self.map_request(ctx, target, &mut outgoing);
        ctx.query = outgoing.query_string();
        ctx.headers = outgoing.headers;
    }

    /// Applies the route's `request_parameters` to `outgoing`.
    fn map_request(
        &self,
        ctx: &RequestCtx,
        target: &resolve::ApiTarget<'_>,
        outgoing: &mut Outgoing,
    ) {
        let mappings = &target.route.request_parameters;
        let context = self.mapping_context(ctx, target);
        let sources = mapping_sources(ctx, target, &context, None);
        crate::mapping::apply(mappings, &sources, outgoing);
    }

    /// The integration's response changed by the route's `response_parameters` for its
    /// status code. API Gateway's own answers (ctx.error set) are not mapped.
    async fn mapped_response(
        &self,
        ctx: &mut RequestCtx,
        target: &resolve::ApiTarget<'_>,
        mut response: Response<Body>,
        limit: Option<usize>,
    ) -> Response<Body> {
        let status = response.status().as_u16();
        let by_status = &target.route.response_parameters;
        let Some((_, mappings)) = by_status.iter().find(|(code, _)| *code == status) else {
            return response;
        };
        if ctx.error.is_some() {
            return response;
        }
        // `$response.body.<path>` values need the body read (within the payload limit).
        let mut json = None;
        if mappings.iter().any(|m| m.value.contains("response.body.")) {
            use http_body_util::BodyExt;
            let body = std::mem::replace(response.body_mut(), Body::full(bytes::Bytes::new()));
            let read = match limit {
                Some(limit) => http_body_util::Limited::new(body, limit).collect().await,
                None => body.collect().await.map_err(Into::into),
            };
            let Ok(read) = read else {
                let why = "the response to map is too large or broke off";
                return failure(ctx, ApiError::IntegrationFailed, why);
            };
            let bytes = read.to_bytes();
            json = serde_json::from_slice::<serde_json::Value>(&bytes).ok();
            *response.body_mut() = Body::full(bytes);
        }
        let context = self.mapping_context(ctx, target);
        let mut sources = mapping_sources(ctx, target, &context, Some(response.headers()));
        sources.response_body = json.as_ref();
        let mut outgoing = Outgoing::new(response.headers(), &[], "");
        crate::mapping::apply(mappings, &sources, &mut outgoing);
        if let Some(code) = outgoing.status {
            match code
                .trim()
                .parse()
                .ok()
                .and_then(|c| StatusCode::from_u16(c).ok())
            {
                Some(code) if (200..=599).contains(&code.as_u16()) => *response.status_mut() = code,
                _ => {
                    let why = format!("mapped status code `{code}` is not 200-599");
                    return failure(ctx, ApiError::IntegrationFailed, &why);
                }
            }
        }
        *response.headers_mut() = outgoing.headers;
        response
    }

    /// `$context.<name>` values for parameter mapping.
    fn mapping_context(
        &self,
        ctx: &RequestCtx,
        target: &resolve::ApiTarget<'_>,
    ) -> Vec<(&'static str, String)> {
        vec![
            ("requestId", ctx.request_id.clone()),
            ("stage", target.stage.to_string()),
            ("httpMethod", ctx.method.to_string()),
            ("path", ctx.path.clone()),
            ("routeKey", target.route.key.text().to_string()),
            ("identity.sourceIp", ctx.remote.ip().to_string()),
            (
                "identity.userAgent",
                ctx.header("user-agent").unwrap_or("").to_string(),
            ),
            ("domainName", ctx.header("host").unwrap_or("").to_string()),
            ("accountId", self.account_id.clone()),
        ]
    }
}

/// Where parameter mapping values come from.
fn mapping_sources<'a>(
    ctx: &'a RequestCtx,
    target: &'a resolve::ApiTarget<'_>,
    context: &'a [(&'static str, String)],
    response_headers: Option<&'a http::HeaderMap>,
) -> crate::mapping::Sources<'a> {
    crate::mapping::Sources {
        headers: &ctx.headers,
        query: &ctx.query,
        path: &target.route_path,
        path_parameters: &target.path_parameters,
        stage_variables: target.stage_variables,
        context,
        response_headers,
        response_body: None,
        authorizer: ctx.authorizer.as_ref(),
    }
}

//! The HTTP API front door (API Gateway v2, Lambda proxy with payload format 2.0 or 1.0):
//! CORS preflight, then resolve (stage and route), authorize, throttle, validate, map,
//! integrate (within the route's timeout), respond, record.

use std::net::SocketAddr;

use http::{HeaderValue, Request, Response, StatusCode};
use portico_config::{Api, Integration, PayloadFormat};
use portico_events::ApiError;
use portico_observe::Target as RecordTarget;

use crate::Gateway;
use crate::body::Body;
use crate::ctx::{Answer, RequestCtx};
use crate::phases::integrate::{self, proxy};
use crate::phases::map::{Format, Target};
use crate::phases::respond::APIGW_REQUEST_ID;
use crate::phases::{authorize, map, resolve, respond, throttle, validate};
use crate::refusal::{Kind, Refusal};
use mapping::Outgoing;

pub mod mapping;

impl Gateway {
    /// Serves `req` for the HTTP API named `api` (or answers 404 when there is none); `path`
    /// is the request path (a path-form prefix already removed), stage segment included.
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
        let (parts, body) = req.into_parts();
        let found = self.apis.get(api);
        let target = found.map_or(RecordTarget::UnknownApi, |a| {
            RecordTarget::http_api(&a.name)
        });
        let mut ctx = RequestCtx::new(parts, path, remote, self.local_port, target);
        let request_id = portico_events::time::apigw_request_id();
        ctx.apigw_request_id = Some(request_id.clone());
        let cors = found.and_then(|a| a.cors.as_ref());
        let (mut response, refusal) =
            match crate::cors::preflight(cors, &ctx, StatusCode::NO_CONTENT) {
                Some(preflight) => (preflight, None),
                None => {
                    let answer = match found {
                        Some(api) => self.api_phases(&mut ctx, api, &request_id, body).await,
                        None => Err(Refusal::api(ApiError::NotFound, "no such API")),
                    };
                    let (mut response, refusal) = match answer {
                        Ok(response) => (response, None),
                        Err(refusal) => (refused(&ctx, &refusal), Some(refusal)),
                    };
                    // Portico's own errors get the CORS headers too.
                    crate::cors::apply(cors, ctx.header("origin"), response.headers_mut());
                    (response, refusal)
                }
            };
        if let Ok(id) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert(APIGW_REQUEST_ID, id);
        }
        let failure = ctx.failure(refusal.as_ref());
        self.record(&ctx, &response, failure);
        self.stage_logs.write(api, &ctx, &response, failure);
        response
    }

    /// resolve → authorize → throttle → the route's integration → its response mapping.
    async fn api_phases<B>(
        &self,
        ctx: &mut RequestCtx,
        api: &Api,
        request_id: &str,
        body: B,
    ) -> Answer
    where
        B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let Some(target) = resolve::http_api(api, ctx.method.as_str(), &ctx.path) else {
            // Known stage, no route: still the stage's (for its access log and metrics).
            if let Some(((stage, _), _)) = resolve::http_api_stage(api, &ctx.path) {
                ctx.route = Some((stage.clone(), String::new()));
            }
            return Err(Refusal::api(ApiError::NotFound, "no route"));
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
            phase!(ctx, throttle::http_api(self.limiter.as_ref(), &key, limit));
        }
        let response = match &target.route.integration {
            Integration::Lambda { function } => {
                self.lambda_route(ctx, &target, event_target, function, body)
                    .await?
            }
            Integration::Http { url } => {
                self.http_route(ctx, &target, url, api.limits.api_payload, body)
                    .await?
            }
            Integration::Service(action) => {
                self.service_route(ctx, &target, action, api.limits.api_payload, body)
                    .await?
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
        function: &portico_config::FunctionRef,
        body: B,
    ) -> Answer
    where
        B: http_body::Body<Data = bytes::Bytes>,
    {
        let Some(callee) = self.callee(function) else {
            let why = "the route's function is missing";
            return Err(Refusal::new(Kind::IntegrationFailed, why));
        };
        let f = callee.pool.function();
        phase!(ctx, validate::body(ctx, body, f.limits.api_payload).await);
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
        phase!(ctx, map::api(ctx, &event_target, f, &self.account_id));
        // Kept for the response's parameter mapping.
        ctx.authorizer = authorizer;
        let mode = target.route.invoke_mode;
        let invoked = integrate::lambda::invoke(ctx, &callee, mode);
        // Past the route's timeout API Gateway answers 503; the function runs on.
        integrate::within(target.route.timeout, invoked).await??;
        let format = target.route.payload_format;
        respond::http_api(ctx, &request_id, format, mode, &f.limits).await
    }

    /// validate (the body, within the payload limit) → map (the action's parameters from
    /// the request) → integrate (the service called, signed) → respond (its answer as it is).
    async fn service_route<B>(
        &self,
        ctx: &mut RequestCtx,
        target: &resolve::ApiTarget<'_>,
        action: &portico_config::ServiceAction,
        limit: Option<usize>,
        body: B,
    ) -> Answer
    where
        B: http_body::Body<Data = bytes::Bytes>,
    {
        phase!(ctx, validate::body(ctx, body, limit).await);
        if target.route.iam {
            phase!(ctx, authorize::http_api_iam(ctx, &self.signing()));
        }
        let json = serde_json::from_slice::<serde_json::Value>(&ctx.body).ok();
        let context = self.mapping_context(ctx, target);
        let mut sources = mapping_sources(ctx, target, &context, None);
        sources.request_json = json.as_ref();
        let values: Vec<(&str, String)> = action
            .parameters
            .iter()
            .map(|(name, value)| (name.as_str(), mapping::evaluate(value, &sources)))
            .collect();
        let signed = self
            .services
            .action(action.subtype, &values)
            .map_err(|why| Refusal::new(Kind::Unreachable, why))?;
        let call = integrate::aws::send(&self.proxy, signed, limit, &mut ctx.timeline);
        let called = integrate::within(target.route.timeout, call).await??;
        let mut response = Response::new(Body::full(called.body));
        *response.status_mut() =
            http::StatusCode::from_u16(called.status).unwrap_or(http::StatusCode::BAD_GATEWAY);
        for name in [
            http::header::CONTENT_TYPE,
            http::header::HeaderName::from_static("x-amzn-requestid"),
        ] {
            if let Some(value) = called.headers.get(&name) {
                response.headers_mut().insert(name, value.clone());
            }
        }
        Ok(response)
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
    ) -> Answer
    where
        B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let body = if target.route.iam {
            // The signature covers the body: read it (within the limit), check, then send it.
            phase!(ctx, validate::body(ctx, body, limit).await);
            phase!(ctx, authorize::http_api_iam(ctx, &self.signing()));
            None
        } else {
            Some(body)
        };
        let body = proxy::outgoing(body, &ctx.body, limit);
        let (url, mapped_headers) = self
            .mapped_request(ctx, target, url)
            .map_err(|why| Refusal::new(Kind::IntegrationFailed, why))?;
        let forwarded = proxy::forwarded(ctx);
        let outbound = proxy::Outbound {
            method: &ctx.method,
            headers: mapped_headers.as_ref().unwrap_or(&ctx.headers),
            url,
            body,
            limit,
        };
        let timeout = target.route.timeout;
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

/// An HTTP API's refusal: `{"message": ...}` with its status (and a refused JWT's
/// `www-authenticate` challenge).
fn refused(ctx: &RequestCtx, refusal: &Refusal) -> Response<Body> {
    let error = refusal.kind.api_error().response();
    let mut response = crate::refusal::render(&error, None);
    if let Kind::Bearer { challenge, .. } = &refusal.kind {
        response
            .headers_mut()
            .insert(http::header::WWW_AUTHENTICATE, challenge.clone());
    }
    respond::with_trace_id(ctx, response)
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
            let url = proxy::target_url(url, &target.path_parameters, &ctx.query);
            return Ok((url, None));
        }
        let base = proxy::target_url(url, &target.path_parameters, "");
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
        mapping::apply(mappings, &sources, outgoing);
    }

    /// The integration's response changed by the route's `response_parameters` for its
    /// status code (API Gateway's own answers, refusals, are not mapped).
    async fn mapped_response(
        &self,
        ctx: &mut RequestCtx,
        target: &resolve::ApiTarget<'_>,
        mut response: Response<Body>,
        limit: Option<usize>,
    ) -> Answer {
        let status = response.status().as_u16();
        let by_status = &target.route.response_parameters;
        let Some((_, mappings)) = by_status.iter().find(|(code, _)| *code == status) else {
            return Ok(response);
        };
        // `$response.body.<path>` values need the body read (within the payload limit).
        let mut json = None;
        if mappings.iter().any(|m| m.value.reads_response_body()) {
            let body = std::mem::replace(response.body_mut(), Body::empty());
            let bytes = crate::body::read(body, limit).await.map_err(|_| {
                let why = "the response to map is too large or broke off";
                Refusal::new(Kind::IntegrationFailed, why)
            })?;
            json = serde_json::from_slice::<serde_json::Value>(&bytes).ok();
            *response.body_mut() = Body::full(bytes);
        }
        let context = self.mapping_context(ctx, target);
        let mut sources = mapping_sources(ctx, target, &context, Some(response.headers()));
        sources.response_body = json.as_ref();
        let mut outgoing = Outgoing::new(response.headers(), &[], "");
        mapping::apply(mappings, &sources, &mut outgoing);
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
                    return Err(Refusal::new(Kind::IntegrationFailed, why));
                }
            }
        }
        *response.headers_mut() = outgoing.headers;
        Ok(response)
    }

    /// `$context.<name>` values for parameter mapping.
    fn mapping_context(
        &self,
        ctx: &RequestCtx,
        target: &resolve::ApiTarget<'_>,
    ) -> Vec<(&'static str, String)> {
        vec![
            ("requestId", ctx.answered_id().to_string()),
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
) -> mapping::Sources<'a> {
    mapping::Sources {
        headers: &ctx.headers,
        query: &ctx.query,
        path: &target.route_path,
        path_parameters: &target.path_parameters,
        stage_variables: target.stage_variables,
        context,
        response_headers,
        response_body: None,
        request_body: &ctx.body,
        request_json: None,
        authorizer: ctx.authorizer.as_ref(),
    }
}

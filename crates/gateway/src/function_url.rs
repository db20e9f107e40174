//! The Function URL front door: a request for one function, through the phases.

use std::net::SocketAddr;

use http::{Request, Response};
use portico_events::UrlError;
use std::sync::Arc;

use portico_config::FunctionUrl;
use portico_runtime::{InvokeError, Pool};

use crate::Gateway;
use crate::body::Body;
use crate::ctx::RequestCtx;
use crate::phases::{authorize, integrate, map, resolve, respond, validate};

impl Gateway {
    /// Serves `req` for `function`'s URL; `path` is the path the function sees.
    pub async fn function_url<B>(
        &self,
        function: &str,
        path: String,
        req: Request<B>,
        remote: SocketAddr,
    ) -> Response<Body>
    where
        B: http_body::Body<Data = bytes::Bytes>,
    {
        let (parts, body) = req.into_parts();
        let function = match self.runtime.pool(function) {
            Some(_) => function,
            None => {
                let names = self.runtime.pools().map(|p| p.function().name.as_str());
                resolve::spelled(function, names).unwrap_or(function)
            }
        };
        let pool = resolve::function_url(&self.runtime, function);
        let target = match pool {
            Some(_) => format!("url:{function}"),
            None => resolve::UNKNOWN_URL.to_string(),
        };
        let mut ctx = RequestCtx::new(parts, path, remote, self.local_port, target);
        let response = match pool {
            Some(pool) => self.url_phases(&mut ctx, &pool, body).await,
            None => resolve::no_such_url(&ctx, function),
        };
        self.record(&ctx, &response);
        response
    }

    /// Every phase after resolve. CORS headers go on every answer, Portico's own errors
    /// included, as Function URLs add them to all responses.
    async fn url_phases<B>(&self, ctx: &mut RequestCtx, pool: &Arc<Pool>, body: B) -> Response<Body>
    where
        B: http_body::Body<Data = bytes::Bytes>,
    {
        let f = pool.function();
        let Some(url) = &f.url else {
            return resolve::no_such_url(ctx, &f.name);
        };
        crate::cors::around(url.cors.as_ref(), http::StatusCode::OK, ctx, async |ctx| {
            self.invoke_through_url(ctx, pool, url, body).await
        })
        .await
    }

    async fn invoke_through_url<B>(
        &self,
        ctx: &mut RequestCtx,
        pool: &Arc<Pool>,
        url: &FunctionUrl,
        body: B,
    ) -> Response<Body>
    where
        B: http_body::Body<Data = bytes::Bytes>,
    {
        let f = pool.function();
        let too_large = UrlError::RequestTooLarge {
            limit: f.limits.sync_payload.unwrap_or_default(),
        };
        // The body is read before authorize: a SigV4 signature covers it.
        phase!(
            ctx,
            validate::body(ctx, body, f.limits.sync_payload, too_large.response()).await
        );
        phase!(ctx, authorize::function_url(ctx, url, &self.signing()));
        phase!(ctx, map::function_url(ctx, f, &self.account_id));
        let arn = self.function_arn(&f.name, None);
        if let Err(e) = integrate::invoke_function(ctx, pool, arn, url.invoke_mode).await {
            let error = match e {
                InvokeError::Throttled => UrlError::Throttled,
                InvokeError::ShuttingDown => UrlError::FunctionFailed,
            };
            return crate::error::render(&error.response(), &ctx.request_id);
        }
        respond::function_url(ctx, url.invoke_mode, &f.limits).await
    }
}

//! The Lambda API's describing operations, which tools and test drivers call before they
//! invoke: `ListFunctions`, `GetFunction` and `GetFunctionConfiguration`, each function as
//! its `$LATEST` (Portico runs a function's folder as it is, so there are no versions).

use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use base64::Engine;
use http::{HeaderValue, Response, StatusCode};
use portico_config::{Function, Runtime};
use portico_events::ServiceError;
use portico_events::invoke_api::{self as api, FunctionDescription};
use portico_runtime::Pool;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::Gateway;
use crate::body::Body;
use crate::ctx::RequestCtx;

/// ListFunctions' page size at most, as on AWS.
const MAX_ITEMS: usize = 50;

impl Gateway {
    /// `ListFunctions`: every function by name, `MaxItems` (at most 50) a page, the next
    /// page after `Marker`.
    pub(super) async fn list_functions(
        &self,
        ctx: &RequestCtx,
    ) -> Result<Response<Body>, ServiceError> {
        let query = |name: &str| {
            form_urlencoded::parse(ctx.query.as_bytes())
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        let max = match query("MaxItems") {
            None => MAX_ITEMS,
            Some(text) => text
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=10_000).contains(n))
                .ok_or_else(|| {
                    ServiceError::InvalidParameterValue(format!(
                        "1 validation error detected: Value '{text}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000"
                    ))
                })?
                .min(MAX_ITEMS),
        };
        let marker = query("Marker");
        let after: Vec<&Arc<Pool>> = self
            .runtime
            .pools()
            .filter(|p| {
                marker
                    .as_deref()
                    .is_none_or(|m| p.function().name.as_str() > m)
            })
            .collect();
        let page = &after[..after.len().min(max)];
        let mut functions = Vec::new();
        for pool in page {
            let arn = self.function_arn(&pool.function().name, None);
            functions.push(self.configuration(pool, arn, true).await);
        }
        let mut body = json!({ "Functions": functions });
        if after.len() > page.len()
            && let Some(last) = page.last()
        {
            body["NextMarker"] = json!(last.function().name);
        }
        Ok(answer(ctx, &body))
    }

    /// `GetFunction` (the configuration, where the code is and the reserved concurrency)
    /// or `GetFunctionConfiguration`, for `pool`'s function as `arn` names it.
    pub(super) async fn get_function(
        &self,
        ctx: &RequestCtx,
        operation: api::Operation,
        pool: &Arc<Pool>,
        arn: String,
    ) -> Result<Response<Body>, ServiceError> {
        let configuration = self.configuration(pool, arn, false).await;
        if operation == api::Operation::GetFunctionConfiguration {
            return Ok(answer(ctx, &configuration));
        }
        let function = pool.function();
        let body = json!({
            "Configuration": configuration,
            // The code is the function's folder here, not a package in S3.
            "Code": {
                "RepositoryType": "S3",
                "Location": format!("file://{}", function.code.display()),
            },
            "Concurrency": {"ReservedConcurrentExecutions": function.concurrency},
        });
        Ok(answer(ctx, &body))
    }

    /// The function's `FunctionConfiguration`: its settings, and its code folder's size,
    /// digest and newest file (read off the request path's thread).
    async fn configuration(&self, pool: &Arc<Pool>, arn: String, listed: bool) -> Value {
        let function = pool.function();
        let code = function.code.clone();
        let summary = tokio::task::spawn_blocking(move || CodeSummary::of(&code))
            .await
            .unwrap_or_default();
        let runtime = match function.runtime {
            // A web app runs on Lambda behind the adapter, on an OS-only runtime.
            Runtime::Web => "provided.al2023",
            _ => function.runtime_name.as_str(),
        };
        FunctionDescription {
            name: &function.name,
            arn,
            runtime,
            role: format!(
                "arn:aws:iam::{}:role/{}-role",
                self.account_id, function.name
            ),
            handler: &function.handler,
            code_size: summary.size,
            code_sha256: base64::engine::general_purpose::STANDARD.encode(summary.digest),
            last_modified: last_modified(summary.newest),
            revision_id: revision_id(function, &summary.digest),
            timeout_s: function.timeout.as_secs(),
            memory_mb: function.memory_mb,
            environment: &function.environment,
            architecture: match std::env::consts::ARCH {
                "aarch64" => "arm64",
                _ => "x86_64",
            },
        }
        .configuration(listed)
    }
}

/// A 200 with `body` as JSON and the request id.
fn answer(ctx: &RequestCtx, body: &Value) -> Response<Body> {
    let mut response = Response::new(Body::full(serde_json::to_vec(body).unwrap_or_default()));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(id) = HeaderValue::from_str(&ctx.request_id) {
        headers.insert(api::REQUEST_ID, id);
    }
    response
}

/// What a code folder holds, standing for the package AWS would describe: the bytes of its
/// files, a SHA-256 of each file's path, size and modification time, and the newest time.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct CodeSummary {
    size: u64,
    digest: [u8; 32],
    newest: Option<SystemTime>,
}

impl CodeSummary {
    fn of(dir: &Path) -> CodeSummary {
        let mut hasher = Sha256::new();
        let (mut size, mut newest) = (0, None::<SystemTime>);
        let mut folders = vec![dir.to_path_buf()];
        while let Some(folder) = folders.pop() {
            let Ok(entries) = std::fs::read_dir(&folder) else {
                continue;
            };
            let mut entries: Vec<_> = entries.flatten().collect();
            entries.sort_by_key(|e| e.file_name());
            for entry in entries {
                // Links are not followed: a link to a parent would never end.
                let Ok(meta) = entry.path().symlink_metadata() else {
                    continue;
                };
                if meta.is_dir() {
                    folders.push(entry.path());
                    continue;
                }
                let modified = meta.modified().ok();
                let path = entry.path();
                let relative = path.strip_prefix(dir).unwrap_or(&path);
                hasher.update(relative.as_os_str().as_encoded_bytes());
                hasher.update(meta.len().to_le_bytes());
                let nanos = modified
                    .and_then(|m| m.duration_since(SystemTime::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos());
                hasher.update(nanos.to_le_bytes());
                size += meta.len();
                newest = newest.max(modified);
            }
        }
        CodeSummary {
            size,
            digest: hasher.finalize().into(),
            newest,
        }
    }
}

/// `2025-03-19T22:10:48.478+0000`, as Lambda writes `LastModified`.
fn last_modified(time: Option<SystemTime>) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]+0000"
    );
    time::OffsetDateTime::from(time.unwrap_or(SystemTime::UNIX_EPOCH))
        .format(&format)
        .unwrap_or_default()
}

/// A UUID-shaped id that changes when the code or the function's settings do.
fn revision_id(function: &Function, code_digest: &[u8; 32]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(code_digest);
    hasher.update(format!(
        "{:?}{}{}{:?}",
        function.timeout, function.memory_mb, function.concurrency, function.environment
    ));
    let digest: [u8; 32] = hasher.finalize().into();
    let mut bytes = [0; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Uuid::from_bytes(bytes).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_folder_is_summed_up_and_its_digest_follows_its_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("lib")).unwrap();
        std::fs::write(dir.path().join("app.py"), "print(1)\n").unwrap();
        std::fs::write(dir.path().join("lib/util.py"), "x = 1\n").unwrap();
        let first = CodeSummary::of(dir.path());
        assert_eq!(first.size, 15);
        assert!(first.newest.is_some());
        assert_eq!(CodeSummary::of(dir.path()), first);
        std::fs::write(dir.path().join("lib/util.py"), "x = 22\n").unwrap();
        assert_ne!(CodeSummary::of(dir.path()).digest, first.digest);
    }

    #[test]
    fn last_modified_is_written_as_lambda_writes_it() {
        let time = SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1_742_422_248_478);
        assert_eq!(last_modified(Some(time)), "2025-03-19T22:10:48.478+0000");
    }
}

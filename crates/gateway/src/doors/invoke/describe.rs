//! The Lambda API's describing operations, which tools and test drivers call before they
//! invoke: `ListFunctions`, `GetFunction` and `GetFunctionConfiguration` (of `$LATEST`, a
//! version or an alias), `ListVersionsByFunction`, `ListAliases` and `GetAlias`. Portico
//! runs a function's folder as it is, so every version describes the same code.

use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use base64::Engine;
use http::{HeaderValue, Response, StatusCode};
use portico_config::{Function, LATEST, Runtime};
use portico_events::ServiceError;
use portico_events::invoke_api::{self as api, FunctionDescription};
use portico_runtime::Pool;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::Gateway;
use crate::body::Body;
use crate::ctx::RequestCtx;
use crate::phases::integrate::lambda::Callee;

/// A listing's page size at most, as on AWS.
const MAX_ITEMS: usize = 50;

impl Gateway {
    /// `ListFunctions`: every function by name, a page at a time.
    pub(super) async fn list_functions(
        &self,
        ctx: &RequestCtx,
    ) -> Result<Response<Body>, ServiceError> {
        let pools = self.runtime.pools().map(|p| (p.function().name.clone(), p));
        let (page, next) = page(ctx, pools)?;
        let mut functions = Vec::new();
        for pool in page {
            let arn = self.function_arn(&pool.function().name, None);
            functions.push(self.configuration(pool, arn, LATEST, true).await);
        }
        Ok(answer(ctx, json!({ "Functions": functions }), next))
    }

    /// `GetFunction` (the configuration, where the code is and the reserved concurrency)
    /// or `GetFunctionConfiguration`, for the version `callee` names.
    pub(super) async fn get_function(
        &self,
        ctx: &RequestCtx,
        operation: api::Operation,
        callee: &Callee,
    ) -> Result<Response<Body>, ServiceError> {
        let pool = &callee.pool;
        let configuration = self
            .configuration(pool, callee.arn.clone(), &callee.version, false)
            .await;
        if operation == api::Operation::GetFunctionConfiguration {
            return Ok(answer(ctx, configuration, None));
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
        Ok(answer(ctx, body, None))
    }

    /// `ListVersionsByFunction`: `$LATEST`, then each published version (the same code),
    /// each with its qualified ARN.
    pub(super) async fn list_versions(
        &self,
        ctx: &RequestCtx,
        pool: &Arc<Pool>,
    ) -> Result<Response<Body>, ServiceError> {
        // Keyed so that `$LATEST` comes first, then the numbers in order.
        let published =
            (1..=pool.function().published()).map(|n| (format!("{n:010}"), n.to_string()));
        let versions = std::iter::once(("0".to_string(), LATEST.to_string())).chain(published);
        let (page, next) = page(ctx, versions)?;
        let mut listed = Vec::new();
        for version in page {
            let arn = self.function_arn(&pool.function().name, Some(&version));
            listed.push(self.configuration(pool, arn, &version, true).await);
        }
        Ok(answer(ctx, json!({ "Versions": listed }), next))
    }

    /// `ListAliases`, of one version if `FunctionVersion` says.
    pub(super) fn list_aliases(
        &self,
        ctx: &RequestCtx,
        pool: &Arc<Pool>,
    ) -> Result<Response<Body>, ServiceError> {
        let function = pool.function();
        let version = query(ctx, "FunctionVersion");
        let aliases = function
            .aliases
            .iter()
            .filter(|(_, a)| {
                version
                    .as_deref()
                    .is_none_or(|v| v == a.version.to_string())
            })
            .map(|(name, _)| (name.clone(), name.as_str()));
        let (page, next) = page(ctx, aliases)?;
        let aliases: Vec<Value> = page
            .into_iter()
            .filter_map(|name| self.alias(function, name))
            .collect();
        Ok(answer(ctx, json!({ "Aliases": aliases }), next))
    }

    /// `GetAlias`: the alias the path's last segment names.
    pub(super) fn get_alias(
        &self,
        ctx: &RequestCtx,
        pool: &Arc<Pool>,
    ) -> Result<Response<Body>, ServiceError> {
        let function = pool.function();
        let segment = api::alias_segment(&ctx.path).unwrap_or_default();
        let name = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
        let alias = self
            .alias(function, &name)
            .ok_or_else(|| ServiceError::AliasNotFound {
                arn: self.function_arn(&function.name, Some(&name)),
            })?;
        Ok(answer(ctx, alias, None))
    }

    /// The `AliasConfiguration` of `function`'s alias `name`, if it has one.
    fn alias(&self, function: &Function, name: &str) -> Option<Value> {
        let alias = function.aliases.get(name)?;
        let arn = self.function_arn(&function.name, Some(name));
        let version = alias.version.to_string();
        let revision = uuid_of(format!("{}:{name}:{version}", function.name).as_bytes());
        Some(api::alias_configuration(&arn, name, &version, &revision))
    }

    /// The function's `FunctionConfiguration` as `version`: its settings, and its code
    /// folder's size, digest and newest file (read off the request path's thread).
    async fn configuration(
        &self,
        pool: &Arc<Pool>,
        arn: String,
        version: &str,
        listed: bool,
    ) -> Value {
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
            version,
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

/// A query parameter of the request.
fn query(ctx: &RequestCtx, name: &str) -> Option<String> {
    form_urlencoded::parse(ctx.query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// One page of a listing's `items` (by key, in key order): those after `Marker`, at most
/// `MaxItems` (and never more than 50), and the key to ask the next page after, if any.
fn page<T>(
    ctx: &RequestCtx,
    items: impl Iterator<Item = (String, T)>,
) -> Result<(Vec<T>, Option<String>), ServiceError> {
    let max = match query(ctx, "MaxItems") {
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
    let marker = query(ctx, "Marker");
    let mut after: Vec<(String, T)> = items
        .filter(|(key, _)| marker.as_deref().is_none_or(|m| key.as_str() > m))
        .collect();
    after.sort_by(|a, b| a.0.cmp(&b.0));
    let next = (after.len() > max).then(|| after[max - 1].0.clone());
    after.truncate(max);
    Ok((after.into_iter().map(|(_, item)| item).collect(), next))
}

/// A 200 with `body` as JSON (with `NextMarker`, if a listing has more) and the request id.
fn answer(ctx: &RequestCtx, mut body: Value, next: Option<String>) -> Response<Body> {
    if let Some(next) = next {
        body["NextMarker"] = json!(next);
    }
    let mut response = Response::new(Body::full(serde_json::to_vec(&body).unwrap_or_default()));
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
    let settings = format!(
        "{:?}{}{}{:?}",
        function.timeout, function.memory_mb, function.concurrency, function.environment
    );
    uuid_of(&[code_digest.as_slice(), settings.as_bytes()].concat())
}

/// A UUID made of the digest of `bytes`: the same for the same bytes.
fn uuid_of(bytes: &[u8]) -> String {
    let digest: [u8; 32] = Sha256::digest(bytes).into();
    let mut id = [0; 16];
    id.copy_from_slice(&digest[..16]);
    uuid::Uuid::from_bytes(id).to_string()
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

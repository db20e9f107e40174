//! AWS Signature Version 4, verified: the request is put in canonical form as the signer
//! did, signed again with the caller's secret, and the signatures compared. Both forms are
//! read: the `Authorization` header and the presigned query string.

use std::time::{Duration, SystemTime};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::{Digest, Sha256};

/// How far a signed request's time may be from now (AWS allows 15 minutes).
const SKEW: Duration = Duration::from_secs(15 * 60);

/// The parts of a request a signature covers.
pub struct Signed<'a> {
    pub method: &'a str,
    /// The path as received (percent-encoding kept).
    pub path: &'a str,
    /// The raw query string, without `?`.
    pub query: &'a str,
    pub headers: &'a http::HeaderMap,
    pub body: &'a [u8],
}

/// Who signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub access_key: String,
}

/// Why a signature is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigError {
    /// No signature at all.
    Missing,
    /// A signature that cannot be read, for another service or region, or too old.
    Invalid(String),
    /// An access key Portico has no secret for.
    UnknownKey(String),
    /// The signature does not match the request.
    Mismatch,
}

impl std::fmt::Display for SigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SigError::Missing => f.write_str("the request is not signed"),
            SigError::Invalid(why) => write!(f, "the signature is unusable: {why}"),
            SigError::UnknownKey(key) => write!(
                f,
                "access key `{key}` is not in the config's `credentials:`"
            ),
            SigError::Mismatch => f.write_str(
                "the signature does not match the request (check the secret and what was signed)",
            ),
        }
    }
}

struct Parameters {
    access_key: String,
    scope: String,
    signed_headers: Vec<String>,
    signature: String,
    amz_date: String,
    /// Presigned: seconds it is valid for.
    expires: Option<u64>,
}

/// Verifies `request`'s signature for `service` in `region`; `secret` gives the secret of
/// an access key id.
pub fn verify(
    request: &Signed<'_>,
    service: &str,
    region: &str,
    secret: impl Fn(&str) -> Option<String>,
    now: SystemTime,
) -> Result<Caller, SigError> {
    let params = parameters(request)?;
    let scope: Vec<&str> = params.scope.split('/').collect();
    let [date, scope_region, scope_service, "aws4_request"] = scope.as_slice() else {
        return Err(SigError::Invalid(format!(
            "credential scope `{}` is not date/region/service/aws4_request",
            params.scope
        )));
    };
    if *scope_service != service || *scope_region != region {
        return Err(SigError::Invalid(format!(
            "the credential is scoped to {scope_region}/{scope_service}, not {region}/{service}"
        )));
    }
    let signed_at = parse_amz_date(&params.amz_date)
        .ok_or_else(|| SigError::Invalid(format!("bad X-Amz-Date `{}`", params.amz_date)))?;
    if !params.amz_date.starts_with(date) {
        return Err(SigError::Invalid(
            "the credential's date is not the request's".into(),
        ));
    }
    let fresh = match params.expires {
        Some(seconds) => now <= signed_at + Duration::from_secs(seconds) && signed_at <= now + SKEW,
        None => now
            .duration_since(signed_at)
            .or_else(|e| Ok::<_, ()>(e.duration()))
            .is_ok_and(|d| d <= SKEW),
    };
    if !fresh {
        return Err(SigError::Invalid("Signature expired".into()));
    }
    let secret = secret(&params.access_key)
        .ok_or_else(|| SigError::UnknownKey(params.access_key.clone()))?;
    let canonical = canonical_request(request, &params);
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{}\n{}\n{}",
        params.amz_date,
        params.scope,
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let key = aws_sigv4::sign::v4::generate_signing_key(&secret, signed_at, region, service);
    let expected = aws_sigv4::sign::v4::calculate_signature(key, string_to_sign.as_bytes());
    if constant_time_eq(expected.as_bytes(), params.signature.as_bytes()) {
        Ok(Caller {
            access_key: params.access_key,
        })
    } else {
        Err(SigError::Mismatch)
    }
}

fn parameters(request: &Signed<'_>) -> Result<Parameters, SigError> {
    if let Some(auth) = request
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let rest = auth.strip_prefix("AWS4-HMAC-SHA256 ").ok_or_else(|| {
            SigError::Invalid("the Authorization header is not AWS4-HMAC-SHA256".into())
        })?;
        let field = |name: &str| {
            rest.split(',')
                .map(str::trim)
                .find_map(|part| part.strip_prefix(name)?.strip_prefix('='))
                .map(str::to_string)
                .ok_or_else(|| SigError::Invalid(format!("the Authorization header has no {name}")))
        };
        let credential = field("Credential")?;
        let (access_key, scope) = credential
            .split_once('/')
            .ok_or_else(|| SigError::Invalid("Credential is not <key>/<scope>".into()))?;
        let amz_date = header(request.headers, "x-amz-date")
            .ok_or_else(|| SigError::Invalid("no X-Amz-Date header".into()))?;
        return Ok(Parameters {
            access_key: access_key.to_string(),
            scope: scope.to_string(),
            signed_headers: field("SignedHeaders")?
                .split(';')
                .map(str::to_string)
                .collect(),
            signature: field("Signature")?,
            amz_date,
            expires: None,
        });
    }
    let query: Vec<(String, String)> = form_urlencoded_pairs(request.query);
    let get = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    if get("X-Amz-Algorithm").is_none() {
        return Err(SigError::Missing);
    }
    let credential =
        get("X-Amz-Credential").ok_or_else(|| SigError::Invalid("no X-Amz-Credential".into()))?;
    let (access_key, scope) = credential
        .split_once('/')
        .ok_or_else(|| SigError::Invalid("X-Amz-Credential is not <key>/<scope>".into()))?;
    Ok(Parameters {
        access_key: access_key.to_string(),
        scope: scope.to_string(),
        signed_headers: get("X-Amz-SignedHeaders")
            .unwrap_or_default()
            .split(';')
            .map(str::to_string)
            .collect(),
        signature: get("X-Amz-Signature")
            .ok_or_else(|| SigError::Invalid("no X-Amz-Signature".into()))?,
        amz_date: get("X-Amz-Date").ok_or_else(|| SigError::Invalid("no X-Amz-Date".into()))?,
        expires: Some(
            get("X-Amz-Expires")
                .and_then(|e| e.parse().ok())
                .unwrap_or(900),
        ),
    })
}

fn header(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn form_urlencoded_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// Percent-decoding without turning `+` into a space (SigV4 is not form encoding).
fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// What SigV4 encodes: all but RFC 3986's unreserved characters.
const RESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The same, keeping the slashes of a path.
const RESERVED_IN_PATH: &AsciiSet = &RESERVED.remove(b'/');

/// RFC 3986 encoding as SigV4 wants it: unreserved characters kept, all else `%XX`.
fn encode(s: &str, keep_slash: bool) -> String {
    let set = if keep_slash {
        RESERVED_IN_PATH
    } else {
        RESERVED
    };
    utf8_percent_encode(s, set).to_string()
}

fn canonical_request(request: &Signed<'_>, params: &Parameters) -> String {
    // Services other than S3 sign the path encoded once more, as sent.
    let path = if request.path.is_empty() {
        "/"
    } else {
        request.path
    };
    let uri = encode(path, true);
    let mut query: Vec<(String, String)> = form_urlencoded_pairs(request.query)
        .into_iter()
        .filter(|(k, _)| k != "X-Amz-Signature")
        .map(|(k, v)| (encode(&k, false), encode(&v, false)))
        .collect();
    query.sort();
    let query = query
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let mut headers = String::new();
    for name in &params.signed_headers {
        let values: Vec<String> = request
            .headers
            .get_all(name.as_str())
            .iter()
            .map(|v| {
                String::from_utf8_lossy(v.as_bytes())
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    let payload = header(request.headers, "x-amz-content-sha256")
        .unwrap_or_else(|| hex::encode(Sha256::digest(request.body)));
    format!(
        "{}\n{uri}\n{query}\n{headers}\n{}\n{payload}",
        request.method,
        params.signed_headers.join(";")
    )
}

/// `20240101T000000Z` as a time.
fn parse_amz_date(text: &str) -> Option<SystemTime> {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    time::PrimitiveDateTime::parse(text, format)
        .ok()
        .map(|t| t.assume_utc().into())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's published test vector `get-vanilla` (secret, date, request and signature).
    #[test]
    fn verifies_the_aws_get_vanilla_vector() {
        let mut headers = http::HeaderMap::new();
        headers.insert("host", "example.amazonaws.com".parse().unwrap());
        headers.insert("x-amz-date", "20150830T123600Z".parse().unwrap());
        headers.insert(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
                .parse()
                .unwrap(),
        );
        let request = Signed {
            method: "GET",
            path: "/",
            query: "",
            headers: &headers,
            body: b"",
        };
        let secret = |key: &str| {
            (key == "AKIDEXAMPLE").then(|| "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".to_string())
        };
        let at = parse_amz_date("20150830T123600Z").unwrap();
        assert_eq!(
            verify(&request, "service", "us-east-1", secret, at),
            Ok(Caller {
                access_key: "AKIDEXAMPLE".into()
            })
        );
        assert_eq!(
            verify(
                &request,
                "service",
                "us-east-1",
                secret,
                at + Duration::from_secs(3600)
            ),
            Err(SigError::Invalid("Signature expired".into()))
        );
        assert_eq!(
            verify(&request, "lambda", "us-east-1", secret, at).map(|_| ()),
            Err(SigError::Invalid(
                "the credential is scoped to us-east-1/service, not us-east-1/lambda".into()
            ))
        );
        let tampered = Signed {
            method: "POST",
            ..request
        };
        assert_eq!(
            verify(&tampered, "service", "us-east-1", secret, at),
            Err(SigError::Mismatch)
        );
    }

    #[test]
    fn reads_amz_dates() {
        let at = parse_amz_date("20150830T123600Z").unwrap();
        assert_eq!(
            at.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs(),
            1_440_938_160
        );
        assert!(parse_amz_date("2015-08-30").is_none());
    }
}

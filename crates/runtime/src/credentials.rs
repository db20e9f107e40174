//! The AWS credentials a function's SDK finds in its environment, as Lambda gives each
//! function its execution role's: the machine's (the standard chain's environment
//! variables, then its shared credentials file's profile), else a key of the config's
//! `credentials:` (which Portico's own APIs accept), else a placeholder that local services
//! accept. Found once, at start-up, which says where from.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// What functions get as `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
/// `AWS_SESSION_TOKEN`, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    /// Said at start-up: "the config's `credentials:` key AKID…".
    pub source: String,
}

impl Credentials {
    /// The machine's, else the first of the config's keys, else the placeholder.
    pub fn find(config: &BTreeMap<String, String>) -> Credentials {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        if let (Some(key), Some(secret)) = (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY"))
        {
            return Credentials {
                access_key_id: key,
                secret_access_key: secret,
                session_token: var("AWS_SESSION_TOKEN"),
                source: "Portico's environment (AWS_ACCESS_KEY_ID)".into(),
            };
        }
        let profile = var("AWS_PROFILE").unwrap_or_else(|| "default".into());
        let file = var("AWS_SHARED_CREDENTIALS_FILE")
            .map(PathBuf::from)
            .or_else(|| var("HOME").map(|home| PathBuf::from(home).join(".aws/credentials")));
        if let Some(file) = file
            && let Ok(text) = std::fs::read_to_string(&file)
            && let Some(found) = from_profile(&text, &profile)
        {
            return Credentials {
                source: format!("profile `{profile}` of {}", file.display()),
                ..found
            };
        }
        if let Some((key, secret)) = config.iter().next() {
            return Credentials {
                access_key_id: key.clone(),
                secret_access_key: secret.clone(),
                session_token: None,
                source: format!("the config's `credentials:` key {key}"),
            };
        }
        Credentials::placeholder()
    }

    /// A key no AWS account has, which Portico's APIs and local emulators (moto) accept, so
    /// that SDKs do not fail before their first call.
    pub fn placeholder() -> Credentials {
        Credentials {
            access_key_id: "ASIAPORTICOLOCAL0000".into(),
            secret_access_key: "portico-local-secret-access-key".into(),
            session_token: Some("portico-local-session-token".into()),
            source: "a placeholder key (no `credentials:` in the config, none on this machine)"
                .into(),
        }
    }

    /// The variables, as Lambda sets them.
    pub fn variables(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![
            ("AWS_ACCESS_KEY_ID", self.access_key_id.clone()),
            ("AWS_SECRET_ACCESS_KEY", self.secret_access_key.clone()),
        ];
        out.extend(
            self.session_token
                .clone()
                .map(|token| ("AWS_SESSION_TOKEN", token)),
        );
        out
    }
}

/// A profile's keys in a shared credentials file (INI: `[profile]`, `key = value`).
fn from_profile(text: &str, profile: &str) -> Option<Credentials> {
    let mut section = None;
    let mut keys = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with(['#', ';']) || line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = Some(name.trim().to_string());
            continue;
        }
        if section.as_deref() == Some(profile)
            && let Some((key, value)) = line.split_once('=')
        {
            keys.insert(key.trim().to_string(), value.trim().to_string());
        }
    }
    Some(Credentials {
        access_key_id: keys.remove("aws_access_key_id")?,
        secret_access_key: keys.remove("aws_secret_access_key")?,
        session_token: keys.remove("aws_session_token"),
        source: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_is_read_from_a_shared_credentials_file() {
        let text = "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s1\n\n# work\n[work]\naws_access_key_id=AKIDWORK\naws_secret_access_key=s2\naws_session_token = t2\n";
        let work = from_profile(text, "work").unwrap();
        assert_eq!(
            (work.access_key_id.as_str(), work.secret_access_key.as_str()),
            ("AKIDWORK", "s2")
        );
        assert_eq!(work.session_token.as_deref(), Some("t2"));
        let default = from_profile(text, "default").unwrap();
        assert_eq!(default.access_key_id, "AKIDDEFAULT");
        assert_eq!(default.session_token, None);
        assert_eq!(from_profile(text, "missing"), None);
        assert_eq!(
            from_profile("[half]\naws_access_key_id = A\n", "half"),
            None
        );
    }

    #[test]
    fn the_placeholder_has_every_variable() {
        let names: Vec<&str> = Credentials::placeholder()
            .variables()
            .iter()
            .map(|(n, _)| *n)
            .collect();
        assert_eq!(
            names,
            [
                "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY",
                "AWS_SESSION_TOKEN"
            ]
        );
    }
}

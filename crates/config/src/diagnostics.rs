//! Config errors: every problem with its place in the file, what is wrong and how to fix it.

use std::fmt;
use std::path::PathBuf;

/// One problem in a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// 1-based; 0 when the place is not known.
    pub line: u32,
    pub column: u32,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(line: u32, column: u32, message: impl Into<String>) -> Self {
        Diagnostic {
            line,
            column,
            message: message.into(),
            help: None,
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// Why a config could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {}: {source}\n  help: pass the path of a portico.yaml, or run in its folder", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", render(path, diagnostics))]
    Invalid {
        path: PathBuf,
        diagnostics: Vec<Diagnostic>,
    },
}

impl ConfigError {
    /// The problems found, empty for a read error.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            ConfigError::Read { .. } => &[],
            ConfigError::Invalid { diagnostics, .. } => diagnostics,
        }
    }
}

fn render(path: &std::path::Path, diagnostics: &[Diagnostic]) -> String {
    struct Render<'a>(&'a std::path::Path, &'a [Diagnostic]);
    impl fmt::Display for Render<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            for (i, d) in self.1.iter().enumerate() {
                if i > 0 {
                    writeln!(f)?;
                }
                match d.line {
                    0 => write!(f, "{}: {}", self.0.display(), d.message)?,
                    line => write!(f, "{}:{line}:{}: {}", self.0.display(), d.column, d.message)?,
                }
                if let Some(help) = &d.help {
                    write!(f, "\n  help: {help}")?;
                }
            }
            Ok(())
        }
    }
    Render(path, diagnostics).to_string()
}

/// "did you mean `<the known word closest to word>`?", else `otherwise`.
pub fn suggestion<'a>(
    word: &str,
    known: impl IntoIterator<Item = &'a str>,
    otherwise: String,
) -> String {
    did_you_mean(word, known).map_or(otherwise, |k| format!("did you mean `{k}`?"))
}

/// The known word closest to `word`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(word: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    known
        .into_iter()
        .map(|k| (strsim::jaro_winkler(word, k), k))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

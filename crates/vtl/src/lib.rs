//! API Gateway's mapping templates: the subset of Apache Velocity 1.7 (VTL) that REST APIs
//! run, with `$input`, `$util`, `$context` and `$stageVariables` as API Gateway defines them.
//!
//! A template is parsed once ([`Template::parse`]) and rendered per request
//! ([`Template::render`]) against an [`Input`] (the body and the path, query string and
//! header parameters), the `$context` tree as JSON, the stage variables and [`Limits`].
//!
//! This crate knows nothing of HTTP: no requests, headers types, status codes or
//! content types. The caller extracts what a template may see, and turns a [`RenderError`]
//! into the response API Gateway would give (a 500 for a failed template).
//!
//! Velocity semantics kept on purpose, since templates written for AWS rely on them (and
//! tests/differential.rs checks them against Apache Velocity 1.7 itself):
//! a null reference renders as its own source text (`$foo`) unless quiet (`$!foo`) — except
//! that API Gateway renders it as nothing, which is the default here
//! ([`Limits::null_renders_empty`]);
//! `#set` with a null right-hand side leaves the target unchanged; integers divide as Java's
//! do; maps and lists render as Java's `toString` (`{a=1, b=2}`, `[1, 2]`), while arrays from
//! the request body render as JSON, as json-smart's do; a reference holding `""` is true in
//! `#if`, while a bare literal (`#if('x')`, `#if(1)`) is false; `#foreach` stops
//! silently after [`Limits::max_foreach_iterations`] (1,000, as on AWS).
//!
//! Not supported (a [`ParseError`] says so): `#macro`, `#define`, `#include`, `#parse`,
//! `#evaluate`.

mod ast;
mod aws;
mod methods;
mod ojson;
mod parse;
mod render;
mod value;

use std::collections::BTreeMap;
use std::fmt;

pub use ast::Pos;

/// A parsed mapping template, ready to render any number of times.
#[derive(Debug, Clone)]
pub struct Template {
    nodes: Vec<ast::Node>,
}

/// What `$input` sees of a request.
///
/// Parameter names are matched case-sensitively, as given. Within one list a repeated name
/// keeps its last value.
#[derive(Debug, Clone, Default)]
pub struct Input {
    /// The request body as text (`$input.body`, and the document `$input.json`/`$input.path` read).
    pub body: String,
    pub path: Vec<(String, String)>,
    pub querystring: Vec<(String, String)>,
    pub header: Vec<(String, String)>,
}

/// Bounds on one render, so a runaway template ends in a [`RenderError`], never a hang.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest output, and largest string built along the way, in bytes.
    pub max_output_bytes: usize,
    /// Work budget: one unit per directive, reference, operator or loop pass, plus one per
    /// 64 bytes of text written or built and one per element of a list built.
    pub max_steps: u64,
    /// Passes of one `#foreach` after which it stops (silently, as Velocity's `maxloops`).
    pub max_foreach_iterations: usize,
    /// Whether a null reference renders as nothing, as API Gateway renders it (the
    /// default), rather than as its own source text (`$foo`), as Apache Velocity does.
    pub null_renders_empty: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_output_bytes: 10 * 1024 * 1024,
            max_steps: 5_000_000,
            max_foreach_iterations: 1000,
            null_renders_empty: true,
        }
    }
}

/// A template that cannot be parsed; line and column are 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for ParseError {}

/// Why a render stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenderErrorKind {
    /// The output (or a string built on the way) passed [`Limits::max_output_bytes`].
    OutputTooLarge,
    /// The template did more work than [`Limits::max_steps`].
    BudgetExhausted,
    /// `$input.json`/`$input.path` were asked to read a body that is not JSON.
    InvalidBody,
    /// A method failed as it would throw in Java (index out of range, bad regex or
    /// JSONPath, undecodable base64), or a value nests too deeply to write out.
    Failed,
}

/// A render that failed; line and column (1-based) point at the template construct, or
/// are 0 when none applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderError {
    pub line: u32,
    pub column: u32,
    pub kind: RenderErrorKind,
    pub message: String,
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for RenderError {}

impl Template {
    /// Parses a template.
    pub fn parse(src: &str) -> Result<Template, ParseError> {
        Ok(Template {
            nodes: parse::parse(src)?,
        })
    }

    /// Renders the template. `context` is the `$context` tree (any JSON; objects become maps);
    /// stage variables are `$stageVariables`.
    pub fn render(
        &self,
        input: &Input,
        context: &serde_json::Value,
        stage_variables: &BTreeMap<String, String>,
        limits: &Limits,
    ) -> Result<String, RenderError> {
        self.render_with_context(input, context, stage_variables, limits)
            .map(|(out, _)| out)
    }

    /// As [`Template::render`], also giving back `$context` as the template left it: API
    /// Gateway reads `$context.requestOverride.*` and `$context.responseOverride.*` that a
    /// template `#set`.
    pub fn render_with_context(
        &self,
        input: &Input,
        context: &serde_json::Value,
        stage_variables: &BTreeMap<String, String>,
        limits: &Limits,
    ) -> Result<(String, serde_json::Value), RenderError> {
        let mut r = render::Renderer::new(input, context, stage_variables, limits);
        let mut out = String::new();
        r.render_nodes(&self.nodes, &mut out)?;
        let context = r.context();
        Ok((out, context))
    }
}

//! CloudFormation's intrinsic functions, resolved as a stack deploy would resolve them, against
//! what Portico knows: the template's parameters, conditions and mappings, the pseudo
//! parameters of the configured region and account, and the resources Portico serves.
//!
//! Values arrive in the long JSON form (`{"Ref": "X"}`, `{"Fn::GetAtt": ["A", "B"]}`); the YAML
//! loader turns the short tags (`!Ref`, `!GetAtt A.B`) into it. An object is an intrinsic only
//! when it has exactly one key and that key is `Ref` or starts with `Fn::` (`Condition` too, but
//! only where a condition is expected: the arguments of `Fn::And`, `Fn::Or` and `Fn::Not`, and
//! a definition in the `Conditions` section). Every other object and list is walked.
//!
//! Choices where CloudFormation gives no local answer:
//! - What cannot be known here (a resource Portico does not serve, another stack's export)
//!   resolves to a placeholder, the name's text (`X`, `X.Attr`, the export name), with a
//!   warning; the user gives the real value with `--parameter-overrides X=value`.
//! - A function fed by such a placeholder is not checked further (a `Fn::Select` into a list
//!   Portico could not resolve gives the placeholder, not an out-of-range error): one unknown
//!   name makes one warning and no error.
//! - A malformed intrinsic is an error pointing at its key (`.../Value/Fn::Join`); the value
//!   it stands in holds `null`, and the functions around it report nothing more.
//! - `Fn::If` resolves only the branch its condition picks, as a deploy does.
//! - In the `Conditions` section a `Ref` may name only parameters and pseudo parameters, as in
//!   CloudFormation; a name that resolves to nothing there is an error, not a warning.
//! - `AWS::Partition` and `AWS::URLSuffix` follow the region (`aws-cn` and `amazonaws.com.cn`
//!   in `cn-*`, `aws-us-gov` in `us-gov-*`, else `aws` and `amazonaws.com`).
//! - `Fn::Transform` (a macro, such as `AWS::Include`) is not evaluated: it stays as written,
//!   with a warning, for the caller to handle.
//! - `Fn::ToJsonString` writes a mapping's keys in sorted order (this crate's `serde_json`
//!   does not keep the template's order).
//! - A parameter's `AllowedPattern` is not checked: this crate has no regular-expression
//!   engine (the `regex` crate is not one of its dependencies).

// Until the template loader (written beside this module) calls these, only the tests do.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde_json::{Map, Number, Value};

use crate::diagnostics::{did_you_mean, suggestion};
use crate::openapi::Problem;

/// What `Ref` and `Fn::GetAtt` of one resource give.
#[derive(Debug, Clone, Default)]
pub struct Resource {
    /// What `Ref` gives (a function's name, an API's id). `Value::Null` when Portico does not
    /// know it: a `Ref` then takes an override of the resource's name, else warns.
    pub reference: Value,
    /// What `Fn::GetAtt` gives, by attribute name (`Arn`, `RootResourceId`, `ApiEndpoint`).
    pub attributes: BTreeMap<String, Value>,
}

/// Everything a reference can name.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// `AWS::Region`, and the region of `Fn::GetAZs: ""`.
    pub region: &'a str,
    /// `AWS::AccountId`.
    pub account_id: &'a str,
    /// `AWS::StackName`.
    pub stack_name: &'a str,
    /// Parameter values (from `parameters`), by name.
    pub parameters: &'a BTreeMap<String, Value>,
    /// Condition values (from `conditions`), by name.
    pub conditions: &'a BTreeMap<String, bool>,
    /// The template's `Mappings` section (Value::Null when absent).
    pub mappings: &'a Value,
    /// The resources Portico knows, by logical id.
    pub resources: &'a BTreeMap<String, Resource>,
    /// Values the user gave for what cannot be resolved: `Name` (a Ref), `Name.Attr` (a GetAtt), or an export name (Fn::ImportValue).
    pub overrides: &'a BTreeMap<String, String>,
}

/// Resolves every intrinsic function in `value`, found at `pointer` in the template.
/// `None` when the value is `{"Ref": "AWS::NoValue"}` (the caller drops the key or element).
/// Errors (a malformed intrinsic) go to `errors`; references that cannot be resolved go to `warnings` and resolve to a placeholder.
///
/// Keys and list elements that resolve to `AWS::NoValue` are dropped inside `value` too. Where
/// an intrinsic is malformed, its place holds `null` (the whole result, if `value` is one).
pub fn resolve(
    value: &Value,
    pointer: &str,
    scope: &Scope,
    errors: &mut Vec<Problem>,
    warnings: &mut Vec<Problem>,
) -> Option<Value> {
    let mut ctx = Ctx {
        scope,
        errors,
        warnings,
        lazy: None,
        depth: 0,
        inside: 0,
        unresolved: 0,
    };
    ctx.value(value, pointer).unwrap_or(Some(Value::Null))
}

/// The `Parameters` section with their defaults, then the user's overrides (`Key=Value`, as `sam --parameter-overrides` takes them).
///
/// `section` is the section's value (`Value::Null` when the template has none). By `Type`:
/// `String` (the default) and the AWS-specific types (`AWS::EC2::VPC::Id`, ...) give a string,
/// `Number` a JSON number, `List<Number>` a list of numbers, `CommaDelimitedList` and
/// `List<AWS::...>` a list of strings (split on commas, trimmed).
/// `AWS::SSM::Parameter::Value<...>` gives its `Default` as is (Portico does not read Parameter
/// Store: an override gives the real value). `AllowedValues`, `MinLength`/`MaxLength` and
/// `MinValue`/`MaxValue` are checked on the final value (`AllowedPattern` is not: see the
/// module's notes). A parameter in error still has an entry (its text as given, or its name),
/// so that references to it add no warnings. Overrides naming no parameter are left alone:
/// they may be meant for a `Ref` or `Fn::GetAtt` of a resource.
pub fn parameters(
    section: &Value,
    overrides: &BTreeMap<String, String>,
    errors: &mut Vec<Problem>,
) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    let declared = match section {
        Value::Null => return out,
        Value::Object(declared) => declared,
        other => {
            errors.push(problem(
                "/Parameters",
                format!(
                    "`Parameters` must be a mapping of parameter names to their declarations, not {}",
                    shape(other)
                ),
                "write each parameter as `Name: {Type: String, Default: value}`",
            ));
            return out;
        }
    };
    for (name, declaration) in declared {
        let pointer = child("/Parameters", name);
        let value = parameter(name, &pointer, declaration, overrides, errors);
        out.insert(name.clone(), value);
    }
    out
}

/// The `Conditions` section, evaluated (a condition may use other conditions by `Condition: Name` and parameters by `Ref`).
///
/// `scope.conditions` is not read: the conditions are evaluated in the order they depend on
/// each other, whatever their order in the section. A cycle, a name that is no condition, or
/// a `Ref` to anything but a parameter or pseudo parameter is an error; a condition in error
/// is `false`.
pub fn conditions(
    section: &Value,
    scope: &Scope,
    errors: &mut Vec<Problem>,
) -> BTreeMap<String, bool> {
    let defined = match section {
        Value::Null => return BTreeMap::new(),
        Value::Object(defined) => defined,
        other => {
            errors.push(problem(
                "/Conditions",
                format!(
                    "`Conditions` must be a mapping of condition names to conditions, not {}",
                    shape(other)
                ),
                r#"write each condition as `Name: {"Fn::Equals": [{"Ref": "Env"}, "prod"]}`"#,
            ));
            return BTreeMap::new();
        }
    };
    // In the Conditions section an unresolved reference is an error (see `Ctx::warn`).
    let mut unused = Vec::new();
    let mut ctx = Ctx {
        scope,
        errors,
        warnings: &mut unused,
        lazy: Some(Lazy {
            section: defined,
            done: BTreeMap::new(),
            visiting: Vec::new(),
        }),
        depth: 0,
        inside: 0,
        unresolved: 0,
    };
    for name in defined.keys() {
        let _ = ctx.condition(name, &child("/Conditions", name));
    }
    ctx.lazy.map(|lazy| lazy.done).unwrap_or_default()
}

/// How deep values and intrinsics may nest before resolution stops (no template comes near it;
/// it keeps garbage from exhausting the stack).
const MAX_DEPTH: usize = 100;

/// The unique part of `AWS::StackId`: fixed, as a local stack is never recreated.
const STACK_UUID: &str = "5a7c2e10-3b4d-11ef-8a1f-0e2d4c6b8a90";

const PSEUDO_PARAMETERS: &[&str] = &[
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
];

const FUNCTIONS: &[&str] = &[
    "Fn::And",
    "Fn::Base64",
    "Fn::Cidr",
    "Fn::Equals",
    "Fn::FindInMap",
    "Fn::GetAtt",
    "Fn::GetAZs",
    "Fn::If",
    "Fn::ImportValue",
    "Fn::Join",
    "Fn::Length",
    "Fn::Not",
    "Fn::Or",
    "Fn::Select",
    "Fn::Split",
    "Fn::Sub",
    "Fn::ToJsonString",
    "Fn::Transform",
];

/// The right form of a function, for helps.
fn usage(function: &str) -> &'static str {
    match function {
        "Ref" => r#"`{"Ref": "Name"}` (YAML `!Ref Name`)"#,
        "Condition" => r#"`{"Condition": "ConditionName"}`"#,
        "Fn::And" => r#"`{"Fn::And": [condition, condition, ...]}` (2 to 10 conditions)"#,
        "Fn::Or" => r#"`{"Fn::Or": [condition, condition, ...]}` (2 to 10 conditions)"#,
        "Fn::Not" => r#"`{"Fn::Not": [condition]}`"#,
        "Fn::Equals" => r#"`{"Fn::Equals": [value, value]}`"#,
        "Fn::Base64" => r#"`{"Fn::Base64": "text"}`"#,
        "Fn::Cidr" => r#"`{"Fn::Cidr": ["10.0.0.0/16", count, cidrBits]}` (count 1 to 256)"#,
        "Fn::FindInMap" => {
            r#"`{"Fn::FindInMap": ["MapName", "TopLevelKey", "SecondLevelKey"]}`, optionally with a fourth `{"DefaultValue": value}`"#
        }
        "Fn::GetAtt" => {
            r#"`{"Fn::GetAtt": ["Resource", "Attribute"]}` (YAML `!GetAtt Resource.Attribute`)"#
        }
        "Fn::GetAZs" => r#"`{"Fn::GetAZs": ""}` (this region) or `{"Fn::GetAZs": "us-east-1"}`"#,
        "Fn::If" => r#"`{"Fn::If": ["ConditionName", valueIfTrue, valueIfFalse]}`"#,
        "Fn::ImportValue" => r#"`{"Fn::ImportValue": "ExportName"}`"#,
        "Fn::Join" => r#"`{"Fn::Join": ["delimiter", [value, value, ...]]}`"#,
        "Fn::Length" => {
            r#"`{"Fn::Length": [value, ...]}` or `{"Fn::Length": {"Ref": "ListParameter"}}`"#
        }
        "Fn::Select" => r#"`{"Fn::Select": [index, [value, value, ...]]}` (index from 0)"#,
        "Fn::Split" => r#"`{"Fn::Split": ["delimiter", "text"]}`"#,
        "Fn::Sub" => {
            r#"`{"Fn::Sub": "text with ${Name}"}` or `{"Fn::Sub": ["text with ${Var}", {"Var": value}]}`"#
        }
        "Fn::ToJsonString" => r#"`{"Fn::ToJsonString": {"key": value}}` or a list"#,
        _ => "the form CloudFormation's intrinsic function reference gives",
    }
}

fn form(function: &str) -> String {
    format!("write it as {}", usage(function))
}

fn problem(pointer: &str, message: impl Into<String>, help: impl Into<String>) -> Problem {
    Problem {
        pointer: pointer.to_string(),
        message: message.into(),
        help: Some(help.into()),
    }
}

/// `pointer` extended by one key or index (RFC 6901 escaping).
fn child(pointer: &str, key: &str) -> String {
    format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"))
}

fn shape(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// A scalar's text, as CloudFormation turns numbers and booleans into strings.
fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A number written as text: an integer stays one; no infinity, no NaN.
fn parse_number(text: &str) -> Option<Number> {
    let text = text.trim();
    if let Ok(i) = text.parse::<i64>() {
        return Some(Number::from(i));
    }
    if let Ok(u) = text.parse::<u64>() {
        return Some(Number::from(u));
    }
    let f = text.parse::<f64>().ok().filter(|f| f.is_finite())?;
    // Rust reads "inf" and "NaN", which are filtered out above, and nothing else odd.
    Number::from_f64(f)
}

fn number_of(value: &Value) -> Option<Number> {
    match value {
        Value::Number(n) => Some(n.clone()),
        Value::String(s) => parse_number(s),
        _ => None,
    }
}

/// A non-negative whole number, given as a number or as its text.
fn whole(value: &Value) -> Option<u64> {
    let n = number_of(value)?;
    if let Some(u) = n.as_u64() {
        return Some(u);
    }
    let f = n.as_f64()?;
    (f >= 0.0 && f.fract() == 0.0 && f < 9.0e15).then_some(f as u64)
}

/// Scalars compared by their text, as CloudFormation's `Fn::Equals` does (`"1"` equals `1`).
fn normalized(value: &Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(normalized).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), normalized(v)))
                .collect(),
        ),
        other => text_of(other).map_or(Value::Null, Value::String),
    }
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (byte(0) << 16) | (byte(1) << 8) | byte(2);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `count` blocks of `bits` host bits each, from the start of `block` (`10.0.0.0/16`).
fn cidr(block: &str, count: u64, bits: u64) -> Result<Vec<String>, (usize, String)> {
    let bad_block = || {
        (
            0,
            format!("`{block}` is not a CIDR block such as `10.0.0.0/16` or `2001:db8::/56`"),
        )
    };
    let (address, prefix) = block.split_once('/').ok_or_else(bad_block)?;
    let address: IpAddr = address.trim().parse().map_err(|_| bad_block())?;
    let prefix: u32 = prefix.trim().parse().map_err(|_| bad_block())?;
    let (width, value) = match address {
        IpAddr::V4(a) => (32u32, u128::from(u32::from(a))),
        IpAddr::V6(a) => (128u32, u128::from(a)),
    };
    if prefix > width {
        return Err(bad_block());
    }
    if !(1..=256).contains(&count) {
        return Err((1, format!("the count must be from 1 to 256, not {count}")));
    }
    let host = width - prefix;
    let bits = match u32::try_from(bits) {
        Ok(bits) if bits <= host => bits,
        _ => {
            return Err((
                2,
                format!("cidrBits {bits} is more than the {host} host bits of `{block}`"),
            ));
        }
    };
    let index_bits = host - bits;
    if index_bits < 9 && count > 1u64 << index_bits {
        return Err((
            1,
            format!(
                "only {} blocks of /{} fit in `{block}`, not {count}",
                1u64 << index_bits,
                width - bits
            ),
        ));
    }
    let host_mask = if host >= 128 {
        u128::MAX
    } else {
        (1u128 << host) - 1
    };
    let network = value & !host_mask;
    Ok((0..count)
        .map(|i| {
            let start = network + u128::from(i).checked_shl(bits).unwrap_or(0);
            let address = if width == 32 {
                IpAddr::V4(Ipv4Addr::from(start as u32))
            } else {
                IpAddr::V6(Ipv6Addr::from(start))
            };
            format!("{address}/{}", width - bits)
        })
        .collect())
}

/// A condition or an intrinsic failed; its error is reported already.
struct Failed;

/// A resolved value: `None` for `AWS::NoValue`.
type Out = Result<Option<Value>, Failed>;

/// The `Conditions` section while `conditions` evaluates it, in dependence order.
struct Lazy<'c> {
    section: &'c Map<String, Value>,
    done: BTreeMap<String, bool>,
    /// The conditions being evaluated, outermost first (for cycles).
    visiting: Vec<String>,
}

struct Ctx<'a, 'c> {
    scope: &'c Scope<'a>,
    errors: &'c mut Vec<Problem>,
    warnings: &'c mut Vec<Problem>,
    /// Set while evaluating the Conditions section.
    lazy: Option<Lazy<'c>>,
    depth: usize,
    /// How many intrinsics enclose the value being resolved: inside one, a failure fails the
    /// intrinsic; outside, it leaves `null` in its place.
    inside: usize,
    /// Placeholders made so far (a function whose argument made one is not checked further).
    unresolved: usize,
}

impl Ctx<'_, '_> {
    fn error(
        &mut self,
        pointer: &str,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Failed {
        self.errors.push(problem(pointer, message, help));
        Failed
    }

    /// An unresolved reference: a warning, or an error in the Conditions section.
    fn warn(&mut self, pointer: &str, message: impl Into<String>, help: impl Into<String>) {
        self.unresolved += 1;
        let p = problem(pointer, message, help);
        if self.lazy.is_some() {
            self.errors.push(p);
        } else {
            self.warnings.push(p);
        }
    }

    fn deeper<T>(
        &mut self,
        pointer: &str,
        f: impl FnOnce(&mut Self) -> Result<T, Failed>,
    ) -> Result<T, Failed> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error(
                pointer,
                format!(
                    "values and intrinsic functions nest more than {MAX_DEPTH} levels deep here"
                ),
                "flatten the value: move parts of it into parameters, mappings or conditions",
            ));
        }
        self.depth += 1;
        let out = f(self);
        self.depth -= 1;
        out
    }

    fn value(&mut self, value: &Value, pointer: &str) -> Out {
        self.deeper(pointer, |ctx| ctx.value_here(value, pointer))
    }

    fn value_here(&mut self, value: &Value, pointer: &str) -> Out {
        match value {
            Value::Object(map) => {
                if map.len() == 1
                    && let Some((key, arg)) = map.iter().next()
                    && (key == "Ref" || key.starts_with("Fn::"))
                {
                    self.inside += 1;
                    let out = self.intrinsic(key, arg, &child(pointer, key));
                    self.inside -= 1;
                    return out;
                }
                let mut out = Map::new();
                let mut failed = false;
                for (key, item) in map {
                    match self.value(item, &child(pointer, key)) {
                        Ok(Some(item)) => {
                            out.insert(key.clone(), item);
                        }
                        Ok(None) => {}
                        Err(Failed) if self.inside == 0 => {
                            out.insert(key.clone(), Value::Null);
                        }
                        Err(Failed) => failed = true,
                    }
                }
                if failed {
                    Err(Failed)
                } else {
                    Ok(Some(Value::Object(out)))
                }
            }
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                let mut failed = false;
                for (i, item) in items.iter().enumerate() {
                    match self.value(item, &child(pointer, &i.to_string())) {
                        Ok(Some(item)) => out.push(item),
                        Ok(None) => {}
                        Err(Failed) if self.inside == 0 => out.push(Value::Null),
                        Err(Failed) => failed = true,
                    }
                }
                if failed {
                    Err(Failed)
                } else {
                    Ok(Some(Value::Array(out)))
                }
            }
            other => Ok(Some(other.clone())),
        }
    }

    /// `name` is `Ref` or `Fn::...`; `at` points at that key.
    fn intrinsic(&mut self, name: &str, arg: &Value, at: &str) -> Out {
        let string = |s: String| Some(Value::String(s));
        match name {
            "Ref" => match arg {
                Value::String(target) => self.reference(target, at),
                other => Err(self.error(
                    at,
                    format!(
                        "`Ref` takes the name of a parameter, resource or pseudo parameter, not {}",
                        shape(other)
                    ),
                    form("Ref"),
                )),
            },
            "Fn::GetAtt" => self.get_att_function(arg, at).map(Some),
            "Fn::Sub" => self.sub(arg, at).map(string),
            "Fn::Join" => self.join(arg, at).map(string),
            "Fn::Select" => self.select(arg, at).map(Some),
            "Fn::Split" => {
                let args = self.args(arg, at, name, 2, 2)?;
                let delimiter = self.text(&args[0], &child(at, "0"), name, "delimiter");
                let source = self.text(&args[1], &child(at, "1"), name, "text");
                let (delimiter, source) = (delimiter?, source?);
                if delimiter.is_empty() {
                    return Err(self.error(
                        &child(at, "0"),
                        "`Fn::Split` needs a delimiter that is not empty",
                        form(name),
                    ));
                }
                Ok(Some(Value::Array(
                    source
                        .split(delimiter.as_str())
                        .map(|s| Value::String(s.to_string()))
                        .collect(),
                )))
            }
            "Fn::If" => self.if_function(arg, at),
            "Fn::Equals" | "Fn::And" | "Fn::Or" | "Fn::Not" => {
                self.boolean(name, arg, at).map(|b| Some(Value::Bool(b)))
            }
            "Fn::FindInMap" => self.find_in_map(arg, at),
            "Fn::Base64" => {
                let text = self.text(arg, at, name, "argument")?;
                Ok(string(base64(text.as_bytes())))
            }
            "Fn::GetAZs" => {
                let region = if arg.is_null() {
                    String::new()
                } else {
                    self.text(arg, at, name, "region")?
                };
                let region = if region.is_empty() {
                    self.scope.region.to_string()
                } else {
                    region
                };
                Ok(Some(Value::Array(
                    ["a", "b", "c"]
                        .iter()
                        .map(|zone| Value::String(format!("{region}{zone}")))
                        .collect(),
                )))
            }
            "Fn::ImportValue" => {
                let export = self.text(arg, at, name, "export name")?;
                if let Some(value) = self.scope.overrides.get(&export) {
                    return Ok(string(value.clone()));
                }
                self.warn(
                    at,
                    format!(
                        "`Fn::ImportValue: {export}` reads another stack's export, which Portico does not see"
                    ),
                    format!("pass `--parameter-overrides {export}=value`"),
                );
                Ok(string(export))
            }
            "Fn::Cidr" => self.cidr_function(arg, at).map(Some),
            "Fn::Length" => {
                let items = self.list(arg, at, name)?;
                Ok(Some(Value::Number(Number::from(items.len()))))
            }
            "Fn::ToJsonString" => match self.required(arg, at, name)? {
                value @ (Value::Object(_) | Value::Array(_)) => Ok(string(value.to_string())),
                other => Err(self.error(
                    at,
                    format!(
                        "`Fn::ToJsonString` converts a mapping or a list, not {}",
                        shape(&other)
                    ),
                    form(name),
                )),
            },
            "Fn::Transform" => {
                self.warn(
                    at,
                    "`Fn::Transform` (a macro, such as AWS::Include) is not evaluated by Portico",
                    "put the content it would produce in the template in its place",
                );
                let mut kept = Map::new();
                kept.insert(name.to_string(), arg.clone());
                Ok(Some(Value::Object(kept)))
            }
            _ => {
                // Compared without the `Fn::` they all share, which would make any name close.
                let bare = name.strip_prefix("Fn::").unwrap_or(name);
                let known = FUNCTIONS
                    .iter()
                    .map(|f| f.strip_prefix("Fn::").unwrap_or(f));
                let help = match did_you_mean(bare, known) {
                    Some(close) => format!("did you mean `Fn::{close}`?"),
                    None => format!("use one of {}", FUNCTIONS.join(", ")),
                };
                Err(self.error(
                    at,
                    format!("`{name}` is not an intrinsic function CloudFormation knows"),
                    help,
                ))
            }
        }
    }

    /// The list of arguments of `function`, of `min..=max` elements.
    fn args<'v>(
        &mut self,
        arg: &'v Value,
        at: &str,
        function: &str,
        min: usize,
        max: usize,
    ) -> Result<&'v [Value], Failed> {
        let expected = match (min, max) {
            (1, 1) => "1 argument".to_string(),
            _ if min == max => format!("{min} arguments"),
            _ => format!("{min} to {max} arguments"),
        };
        match arg {
            Value::Array(items) if (min..=max).contains(&items.len()) => Ok(items),
            Value::Array(items) => Err(self.error(
                at,
                format!("`{function}` takes {expected}, not {}", items.len()),
                form(function),
            )),
            other => Err(self.error(
                at,
                format!(
                    "`{function}` takes a list of {expected}, not {}",
                    shape(other)
                ),
                form(function),
            )),
        }
    }

    /// A value an argument of `function` must have (not `AWS::NoValue`).
    fn required(&mut self, value: &Value, pointer: &str, function: &str) -> Result<Value, Failed> {
        match self.value(value, pointer)? {
            Some(value) => Ok(value),
            None => Err(self.error(
                pointer,
                format!("`Ref: AWS::NoValue` leaves no value here, and `{function}` needs one"),
                format!(
                    "give a value, or put the `Fn::If` around the whole `{function}`; {}",
                    form(function)
                ),
            )),
        }
    }

    /// A string argument of `function` (numbers and booleans as their text).
    fn text(
        &mut self,
        value: &Value,
        pointer: &str,
        function: &str,
        what: &str,
    ) -> Result<String, Failed> {
        let value = self.required(value, pointer, function)?;
        match text_of(&value) {
            Some(text) => Ok(text),
            None => Err(self.error(
                pointer,
                format!(
                    "the {what} of `{function}` must be a string, not {}",
                    shape(&value)
                ),
                form(function),
            )),
        }
    }

    /// A list argument of `function`; a scalar placeholder stands for a list of one.
    fn list(&mut self, value: &Value, pointer: &str, function: &str) -> Result<Vec<Value>, Failed> {
        let before = self.unresolved;
        let value = self.required(value, pointer, function)?;
        let unresolved = self.unresolved > before;
        match value {
            Value::Array(items) => Ok(items),
            Value::String(_) | Value::Number(_) | Value::Bool(_) if unresolved => Ok(vec![value]),
            other => Err(self.error(
                pointer,
                format!("`{function}` needs a list here, not {}", shape(&other)),
                form(function),
            )),
        }
    }

    fn reference(&mut self, name: &str, at: &str) -> Out {
        let scope = self.scope;
        if name.starts_with("AWS::") {
            let (partition, suffix) = if scope.region.starts_with("cn-") {
                ("aws-cn", "amazonaws.com.cn")
            } else if scope.region.starts_with("us-gov-") {
                ("aws-us-gov", "amazonaws.com")
            } else {
                ("aws", "amazonaws.com")
            };
            let text = |s: &str| Ok(Some(Value::String(s.to_string())));
            return match name {
                "AWS::NoValue" => Ok(None),
                "AWS::Region" => text(scope.region),
                "AWS::AccountId" => text(scope.account_id),
                "AWS::StackName" => text(scope.stack_name),
                "AWS::StackId" => text(&format!(
                    "arn:{partition}:cloudformation:{}:{}:stack/{}/{STACK_UUID}",
                    scope.region, scope.account_id, scope.stack_name
                )),
                "AWS::Partition" => text(partition),
                "AWS::URLSuffix" => text(suffix),
                "AWS::NotificationARNs" => Ok(Some(Value::Array(Vec::new()))),
                _ => Err(self.error(
                    at,
                    format!("`{name}` is not a pseudo parameter"),
                    suggestion(
                        name,
                        PSEUDO_PARAMETERS.iter().copied(),
                        format!("the pseudo parameters are {}", PSEUDO_PARAMETERS.join(", ")),
                    ),
                )),
            };
        }
        if let Some(value) = scope.parameters.get(name) {
            return Ok(Some(value.clone()));
        }
        if self.lazy.is_some() {
            let known = scope.parameters.keys().map(String::as_str);
            return Err(self.error(
                at,
                format!("`Ref: {name}` in a condition names no parameter"),
                suggestion(
                    name,
                    known,
                    format!(
                        "conditions may refer only to parameters and pseudo parameters: declare a parameter {name}"
                    ),
                ),
            ));
        }
        let resource = scope.resources.get(name);
        if let Some(resource) = resource
            && !resource.reference.is_null()
        {
            return Ok(Some(resource.reference.clone()));
        }
        if let Some(value) = scope.overrides.get(name) {
            return Ok(Some(Value::String(value.clone())));
        }
        let overriding = format!("pass `--parameter-overrides {name}=value`");
        if resource.is_some() {
            self.warn(
                at,
                format!("Portico does not know what `Ref: {name}` gives for resource {name}"),
                overriding,
            );
        } else {
            let known = scope
                .parameters
                .keys()
                .chain(scope.resources.keys())
                .map(String::as_str);
            let help = match did_you_mean(name, known) {
                Some(close) => format!("did you mean `{close}`? Otherwise {overriding}"),
                None => format!("declare a parameter or resource {name}, or {overriding}"),
            };
            // As CloudFormation refuses "unresolved resource dependencies".
            return Err(self.error(
                at,
                format!(
                    "`Ref: {name}` names nothing: the template has no parameter or resource {name}"
                ),
                help,
            ));
        }
        Ok(Some(Value::String(name.to_string())))
    }

    fn get_att_function(&mut self, arg: &Value, at: &str) -> Result<Value, Failed> {
        let function = "Fn::GetAtt";
        match arg {
            Value::String(s) => match s.split_once('.') {
                Some((name, attribute)) if !name.is_empty() && !attribute.is_empty() => {
                    self.get_att(name, attribute, at, false)
                }
                _ => Err(self.error(
                    at,
                    format!(
                        "`Fn::GetAtt: {s}` names no attribute: it must be `Resource.Attribute`"
                    ),
                    form(function),
                )),
            },
            Value::Array(items) if items.len() == 2 => {
                let before = self.unresolved;
                let name = self.text(&items[0], &child(at, "0"), function, "resource name");
                let attribute = self.text(&items[1], &child(at, "1"), function, "attribute name");
                let (name, attribute) = (name?, attribute?);
                if name.is_empty() || attribute.is_empty() {
                    return Err(self.error(
                        at,
                        "`Fn::GetAtt` needs a resource name and an attribute name that are not empty",
                        form(function),
                    ));
                }
                let quiet = self.unresolved > before;
                self.get_att(&name, &attribute, at, quiet)
            }
            Value::Array(items) => Err(self.error(
                at,
                format!("`Fn::GetAtt` takes 2 arguments, not {}", items.len()),
                form(function),
            )),
            other => Err(self.error(
                at,
                format!(
                    "`Fn::GetAtt` takes [resource, attribute] or `Resource.Attribute`, not {}",
                    shape(other)
                ),
                form(function),
            )),
        }
    }

    /// `quiet`: the names came from placeholders, whose warnings are given already.
    fn get_att(
        &mut self,
        name: &str,
        attribute: &str,
        at: &str,
        quiet: bool,
    ) -> Result<Value, Failed> {
        let scope = self.scope;
        let resource = scope.resources.get(name);
        if let Some(value) = resource.and_then(|r| r.attributes.get(attribute)) {
            return Ok(value.clone());
        }
        let key = format!("{name}.{attribute}");
        if let Some(value) = scope.overrides.get(&key) {
            return Ok(Value::String(value.clone()));
        }
        if scope.parameters.contains_key(name) {
            return Err(self.error(
                at,
                format!(
                    "`Fn::GetAtt: {key}` names parameter {name}: only resources have attributes"
                ),
                format!("use `Ref: {name}` for a parameter's value"),
            ));
        }
        if quiet {
            return Ok(Value::String(key));
        }
        let overriding = format!("pass `--parameter-overrides {key}=value`");
        match resource {
            Some(resource) => {
                let known = resource.attributes.keys().map(String::as_str);
                let help = match did_you_mean(attribute, known) {
                    Some(close) => format!("did you mean `{name}.{close}`? Otherwise {overriding}"),
                    None => overriding,
                };
                self.warn(
                    at,
                    format!("`Fn::GetAtt: {key}`: Portico does not know attribute {attribute} of resource {name}"),
                    help,
                );
            }
            None => {
                let known = scope.resources.keys().map(String::as_str);
                let help = match did_you_mean(name, known) {
                    Some(close) => {
                        format!("did you mean `{close}.{attribute}`? Otherwise {overriding}")
                    }
                    None => format!("declare a resource {name}, or {overriding}"),
                };
                return Err(self.error(
                    at,
                    format!(
                        "`Fn::GetAtt: {key}` names nothing: the template has no resource {name}"
                    ),
                    help,
                ));
            }
        }
        Ok(Value::String(key))
    }

    fn sub(&mut self, arg: &Value, at: &str) -> Result<String, Failed> {
        let function = "Fn::Sub";
        let (template, vars) = match arg {
            Value::String(template) => (template, None),
            Value::Array(items) if items.len() == 2 => match &items[0] {
                Value::String(template) => (template, Some(&items[1])),
                other => {
                    return Err(self.error(
                        &child(at, "0"),
                        format!(
                            "the first argument of `Fn::Sub` must be a string, not {}",
                            shape(other)
                        ),
                        form(function),
                    ));
                }
            },
            Value::Array(items) => {
                return Err(self.error(
                    at,
                    format!("`Fn::Sub` takes a string, or a string and a mapping of variables; not {} arguments", items.len()),
                    form(function),
                ));
            }
            other => {
                return Err(self.error(
                    at,
                    format!(
                        "`Fn::Sub` takes a string, or a string and a mapping of variables; not {}",
                        shape(other)
                    ),
                    form(function),
                ));
            }
        };
        let mut failed = false;
        let mut values = BTreeMap::new();
        // Variables in error, already reported: their `${...}` is left alone.
        let mut broken = Vec::new();
        match vars {
            None => {}
            Some(Value::Object(vars)) => {
                let pointer = child(at, "1");
                for (name, value) in vars {
                    match self.text(value, &child(&pointer, name), function, "variable") {
                        Ok(text) => {
                            values.insert(name.as_str(), text);
                        }
                        Err(Failed) => {
                            failed = true;
                            broken.push(name.as_str());
                        }
                    }
                }
            }
            Some(other) => {
                return Err(self.error(
                    &child(at, "1"),
                    format!(
                        "the variables of `Fn::Sub` must be a mapping of names to values, not {}",
                        shape(other)
                    ),
                    form(function),
                ));
            }
        }
        let mut out = String::with_capacity(template.len());
        let mut rest = template.as_str();
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            if let Some(literal) = after.strip_prefix('!') {
                out.push_str("${");
                rest = literal;
                continue;
            }
            let Some(end) = after.find('}') else {
                return Err(self.error(
                    at,
                    format!(
                        "`Fn::Sub`: the `${{` at `{}` has no closing `}}`",
                        clip(&rest[start..])
                    ),
                    "close it as `${Name}`, or write `${!` for a literal `${`",
                ));
            };
            let name = after[..end].trim();
            rest = &after[end + 1..];
            if broken.contains(&name) {
                continue;
            }
            match self.variable(name, &values, at) {
                Ok(text) => out.push_str(&text),
                Err(Failed) => failed = true,
            }
        }
        out.push_str(rest);
        if failed { Err(Failed) } else { Ok(out) }
    }

    /// What `${name}` in a `Fn::Sub` gives.
    fn variable(
        &mut self,
        name: &str,
        values: &BTreeMap<&str, String>,
        at: &str,
    ) -> Result<String, Failed> {
        if let Some(text) = values.get(name) {
            return Ok(text.clone());
        }
        if name.is_empty() {
            return Err(self.error(
                at,
                "`Fn::Sub`: `${}` names nothing",
                "write `${Name}`, or `${!}` for a literal `${}`",
            ));
        }
        let value = match name.split_once('.') {
            Some((resource, attribute)) if !resource.is_empty() && !attribute.is_empty() => {
                Some(self.get_att(resource, attribute, at, false)?)
            }
            _ => self.reference(name, at)?,
        };
        match value.as_ref().and_then(text_of) {
            Some(text) => Ok(text),
            None => {
                let what = value.as_ref().map_or("`AWS::NoValue`, no value", shape);
                Err(self.error(
                    at,
                    format!("`Fn::Sub`: `${{{name}}}` is {what}, and `Fn::Sub` puts only strings into its text"),
                    r#"for a list, join it first: `{"Fn::Join": [",", {"Ref": "Name"}]}` as a variable of `Fn::Sub`"#,
                ))
            }
        }
    }

    fn join(&mut self, arg: &Value, at: &str) -> Result<String, Failed> {
        let function = "Fn::Join";
        let args = self.args(arg, at, function, 2, 2)?;
        let delimiter = self.text(&args[0], &child(at, "0"), function, "delimiter");
        let list = self.list(&args[1], &child(at, "1"), function);
        let (delimiter, items) = (delimiter?, list?);
        let mut parts = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            match text_of(item) {
                Some(text) => parts.push(text),
                None => {
                    return Err(self.error(
                        &child(at, "1"),
                        format!(
                            "`Fn::Join` joins strings, but element {i} of its list is {}",
                            shape(item)
                        ),
                        form(function),
                    ));
                }
            }
        }
        Ok(parts.join(&delimiter))
    }

    fn select(&mut self, arg: &Value, at: &str) -> Result<Value, Failed> {
        let function = "Fn::Select";
        let args = self.args(arg, at, function, 2, 2)?;
        let before = self.unresolved;
        let index = self.required(&args[0], &child(at, "0"), function);
        let list = self.list(&args[1], &child(at, "1"), function);
        let (index, items) = (index?, list?);
        let unresolved = self.unresolved > before;
        let placeholder = || {
            items
                .first()
                .cloned()
                .unwrap_or_else(|| Value::String(String::new()))
        };
        let Some(i) = whole(&index) else {
            if unresolved {
                return Ok(placeholder());
            }
            let shown = text_of(&index).unwrap_or_else(|| shape(&index).to_string());
            return Err(self.error(
                &child(at, "0"),
                format!("the index of `Fn::Select` must be a whole number from 0, not `{shown}`"),
                form(function),
            ));
        };
        match usize::try_from(i).ok().and_then(|i| items.get(i)) {
            Some(item) => Ok(item.clone()),
            None if unresolved => Ok(placeholder()),
            None => {
                let help = match items.len() {
                    0 => "the list is empty: give it elements, or select from another list"
                        .to_string(),
                    n => format!("give an index from 0 to {}", n - 1),
                };
                Err(self.error(
                    at,
                    format!(
                        "`Fn::Select` index {i} is out of range: the list has {} elements",
                        items.len()
                    ),
                    help,
                ))
            }
        }
    }

    fn if_function(&mut self, arg: &Value, at: &str) -> Out {
        let function = "Fn::If";
        let args = self.args(arg, at, function, 3, 3)?;
        let Value::String(condition) = &args[0] else {
            return Err(self.error(
                &child(at, "0"),
                format!(
                    "the first argument of `Fn::If` must be a condition's name, not {}",
                    shape(&args[0])
                ),
                form(function),
            ));
        };
        let branch = if self.condition(condition, &child(at, "0"))? {
            1
        } else {
            2
        };
        self.value(&args[branch], &child(at, &branch.to_string()))
    }

    fn boolean(&mut self, function: &str, arg: &Value, at: &str) -> Result<bool, Failed> {
        match function {
            "Fn::Equals" => {
                let args = self.args(arg, at, function, 2, 2)?;
                let a = self.required(&args[0], &child(at, "0"), function);
                let b = self.required(&args[1], &child(at, "1"), function);
                let (a, b) = (a?, b?);
                Ok(normalized(&a) == normalized(&b))
            }
            "Fn::Not" => {
                let args = self.args(arg, at, function, 1, 1)?;
                Ok(!self.condition_arg(&args[0], &child(at, "0"))?)
            }
            _ => {
                let args = self.args(arg, at, function, 2, 10)?;
                let mut values = Vec::with_capacity(args.len());
                let mut failed = false;
                for (i, arg) in args.iter().enumerate() {
                    match self.condition_arg(arg, &child(at, &i.to_string())) {
                        Ok(b) => values.push(b),
                        Err(Failed) => failed = true,
                    }
                }
                if failed {
                    Err(Failed)
                } else if function == "Fn::And" {
                    Ok(values.iter().all(|b| *b))
                } else {
                    Ok(values.iter().any(|b| *b))
                }
            }
        }
    }

    /// A condition where one is expected: `{"Condition": "Name"}` or an intrinsic giving a
    /// boolean (`Fn::Equals`, `Fn::And`, ...).
    fn condition_arg(&mut self, value: &Value, pointer: &str) -> Result<bool, Failed> {
        if let Value::Object(map) = value
            && map.len() == 1
            && let Some(name) = map.get("Condition")
        {
            let at = child(pointer, "Condition");
            return match name {
                Value::String(name) => self.condition(name, &at),
                other => Err(self.error(
                    &at,
                    format!("`Condition` takes a condition's name, not {}", shape(other)),
                    form("Condition"),
                )),
            };
        }
        match self.value(value, pointer)? {
            Some(Value::Bool(b)) => Ok(b),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(true),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(false),
            other => {
                let what = other.as_ref().map_or("`AWS::NoValue`", shape);
                Err(self.error(
                    pointer,
                    format!("a condition is expected here (true or false), not {what}"),
                    format!(
                        "use `Fn::Equals`, `Fn::And`, `Fn::Or`, `Fn::Not`, or {}",
                        usage("Condition")
                    ),
                ))
            }
        }
    }

    /// The value of the condition `name`, referred to at `at`.
    fn condition(&mut self, name: &str, at: &str) -> Result<bool, Failed> {
        let Some(lazy) = &mut self.lazy else {
            if let Some(value) = self.scope.conditions.get(name) {
                return Ok(*value);
            }
            let known = self.scope.conditions.keys().map(String::as_str);
            let help = suggestion(
                name,
                known,
                format!("define a condition {name} under `Conditions`"),
            );
            return Err(self.error(at, format!("`{name}` names no condition"), help));
        };
        if let Some(value) = lazy.done.get(name) {
            return Ok(*value);
        }
        if let Some(start) = lazy.visiting.iter().position(|n| n == name) {
            let mut cycle = lazy.visiting[start..].to_vec();
            cycle.push(name.to_string());
            return Err(self.error(
                at,
                format!("conditions {} depend on each other", cycle.join(" → ")),
                "break the cycle: one of these conditions must not use the others",
            ));
        }
        let section = lazy.section;
        let Some(definition) = section.get(name) else {
            let help = suggestion(
                name,
                section.keys().map(String::as_str),
                format!("define a condition {name} under `Conditions`"),
            );
            return Err(self.error(at, format!("`{name}` names no condition"), help));
        };
        lazy.visiting.push(name.to_string());
        let pointer = child("/Conditions", name);
        let value = self.deeper(&pointer, |ctx| ctx.condition_arg(definition, &pointer));
        if let Some(lazy) = &mut self.lazy {
            lazy.visiting.pop();
            lazy.done
                .insert(name.to_string(), *value.as_ref().unwrap_or(&false));
        }
        value
    }

    fn find_in_map(&mut self, arg: &Value, at: &str) -> Out {
        let function = "Fn::FindInMap";
        let args = self.args(arg, at, function, 3, 4)?;
        let before = self.unresolved;
        let map = self.text(&args[0], &child(at, "0"), function, "map name");
        let top = self.text(&args[1], &child(at, "1"), function, "top-level key");
        let second = self.text(&args[2], &child(at, "2"), function, "second-level key");
        let (map, top, second) = (map?, top?, second?);
        let unresolved = self.unresolved > before;
        let default = match args.get(3) {
            None => None,
            Some(Value::Object(m)) if m.len() == 1 && m.contains_key("DefaultValue") => {
                m.get("DefaultValue")
            }
            Some(other) => {
                return Err(self.error(
                    &child(at, "3"),
                    format!(
                        "the fourth argument of `Fn::FindInMap` must be `{{\"DefaultValue\": value}}`, not {}",
                        shape(other)
                    ),
                    form(function),
                ));
            }
        };
        let mappings = self.scope.mappings;
        let maps = mappings.as_object();
        let found = maps
            .and_then(|m| m.get(&map))
            .and_then(|m| m.get(&top))
            .and_then(|m| m.get(&second));
        if let Some(found) = found {
            return Ok(Some(found.clone()));
        }
        if let Some(default) = default {
            return self.value(default, &child(&child(at, "3"), "DefaultValue"));
        }
        if unresolved {
            return Ok(Some(Value::String(format!("{map}.{top}.{second}"))));
        }
        let (message, missing, known): (String, &str, Vec<&str>) =
            match maps.and_then(|m| m.get(&map)) {
                None => (
                    format!("`Fn::FindInMap`: `Mappings` has no map `{map}`"),
                    &map,
                    maps.map(|m| m.keys().map(String::as_str).collect())
                        .unwrap_or_default(),
                ),
                Some(entries) => match entries.get(&top) {
                    None => (
                        format!("`Fn::FindInMap`: map `{map}` has no key `{top}`"),
                        &top,
                        keys(entries),
                    ),
                    Some(entry) => (
                        format!("`Fn::FindInMap`: map `{map}`, key `{top}` has no key `{second}`"),
                        &second,
                        keys(entry),
                    ),
                },
            };
        let fallback = r#"give a default as a fourth argument, `{"DefaultValue": value}`"#;
        let help = match did_you_mean(missing, known) {
            Some(close) => format!("did you mean `{close}`? Or {fallback}"),
            None => format!("add `{missing}` to the map under `Mappings`, or {fallback}"),
        };
        Err(self.error(at, message, help))
    }

    fn cidr_function(&mut self, arg: &Value, at: &str) -> Result<Value, Failed> {
        let function = "Fn::Cidr";
        let args = self.args(arg, at, function, 3, 3)?;
        let before = self.unresolved;
        let block = self.text(&args[0], &child(at, "0"), function, "address block");
        let count = self.required(&args[1], &child(at, "1"), function);
        let bits = self.required(&args[2], &child(at, "2"), function);
        let (block, count, bits) = (block?, count?, bits?);
        let unresolved = self.unresolved > before;
        let placeholder = |n: u64| {
            Value::Array(vec![
                Value::String(block.clone());
                usize::try_from(n.clamp(1, 256)).unwrap_or(1)
            ])
        };
        let (Some(n), Some(b)) = (whole(&count), whole(&bits)) else {
            if unresolved {
                return Ok(placeholder(whole(&count).unwrap_or(1)));
            }
            let (i, value) = if whole(&count).is_none() {
                (1, &count)
            } else {
                (2, &bits)
            };
            let shown = text_of(value).unwrap_or_else(|| shape(value).to_string());
            return Err(self.error(
                &child(at, &i.to_string()),
                format!(
                    "the {} of `Fn::Cidr` must be a whole number, not `{shown}`",
                    if i == 1 { "count" } else { "cidrBits" }
                ),
                form(function),
            ));
        };
        match cidr(&block, n, b) {
            Ok(blocks) => Ok(Value::Array(
                blocks.into_iter().map(Value::String).collect(),
            )),
            Err(_) if unresolved => Ok(placeholder(n)),
            Err((i, message)) => Err(self.error(
                &child(at, &i.to_string()),
                format!("`Fn::Cidr`: {message}"),
                form(function),
            )),
        }
    }
}

fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

/// The start of `text`, for a message.
fn clip(text: &str) -> String {
    let clipped: String = text.chars().take(40).collect();
    if clipped.len() < text.len() {
        format!("{clipped}…")
    } else {
        clipped
    }
}

const PARAMETER_PROPERTIES: &[&str] = &[
    "AllowedPattern",
    "AllowedValues",
    "ConstraintDescription",
    "Default",
    "Description",
    "MaxLength",
    "MaxValue",
    "MinLength",
    "MinValue",
    "NoEcho",
    "Type",
];

/// What `Ref` of a parameter gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Number,
    Texts,
    Numbers,
}

/// The kind of a parameter `Type`, and whether it is an SSM parameter's value.
fn kind_of_type(ty: &str) -> Option<(Kind, bool)> {
    if let Some(inner) = ty
        .strip_prefix("AWS::SSM::Parameter::Value<")
        .and_then(|rest| rest.strip_suffix('>'))
    {
        let kind = match inner {
            "String" => Kind::Text,
            "List<String>" | "CommaDelimitedList" => Kind::Texts,
            t if t.starts_with("List<AWS::") && t.ends_with('>') => Kind::Texts,
            t if t.starts_with("AWS::") => Kind::Text,
            _ => return None,
        };
        return Some((kind, true));
    }
    let kind = match ty {
        "String" => Kind::Text,
        "Number" => Kind::Number,
        "List<Number>" => Kind::Numbers,
        "CommaDelimitedList" => Kind::Texts,
        t if t.starts_with("List<AWS::") && t.ends_with('>') => Kind::Texts,
        t if t.starts_with("AWS::") => Kind::Text,
        _ => return None,
    };
    Some((kind, false))
}

/// One parameter's value (a placeholder when it is in error).
fn parameter(
    name: &str,
    pointer: &str,
    declaration: &Value,
    overrides: &BTreeMap<String, String>,
    errors: &mut Vec<Problem>,
) -> Value {
    let placeholder = Value::String(name.to_string());
    let Value::Object(declaration) = declaration else {
        errors.push(problem(
            pointer,
            format!(
                "parameter {name} must be a mapping of its properties, not {}",
                shape(declaration)
            ),
            format!("write it as `{name}: {{Type: String, Default: value}}`"),
        ));
        return placeholder;
    };
    for key in declaration.keys() {
        if !PARAMETER_PROPERTIES.contains(&key.as_str()) {
            errors.push(problem(
                &child(pointer, key),
                format!("`{key}` is not a property of a parameter"),
                suggestion(
                    key,
                    PARAMETER_PROPERTIES.iter().copied(),
                    format!(
                        "remove it; the properties are {}",
                        PARAMETER_PROPERTIES.join(", ")
                    ),
                ),
            ));
        }
    }
    let (kind, ssm) = match declaration.get("Type") {
        None => (Kind::Text, false),
        Some(Value::String(ty)) => match kind_of_type(ty) {
            Some(found) => found,
            None => {
                let types = ["String", "Number", "List<Number>", "CommaDelimitedList"];
                errors.push(problem(
                    &child(pointer, "Type"),
                    format!("`{ty}` is not a parameter type CloudFormation knows"),
                    suggestion(
                        ty,
                        types,
                        format!(
                            "use {}, an AWS-specific type such as AWS::EC2::VPC::Id, or AWS::SSM::Parameter::Value<String>",
                            types.join(", ")
                        ),
                    ),
                ));
                (Kind::Text, false)
            }
        },
        Some(other) => {
            errors.push(problem(
                &child(pointer, "Type"),
                format!(
                    "the Type of parameter {name} must be a string, not {}",
                    shape(other)
                ),
                "write a type such as `String`, `Number` or `CommaDelimitedList`",
            ));
            (Kind::Text, false)
        }
    };
    let (raw, at, source) = match (overrides.get(name), declaration.get("Default")) {
        (Some(value), _) => (
            Value::String(value.clone()),
            pointer.to_string(),
            "from --parameter-overrides",
        ),
        (None, Some(default)) => (default.clone(), child(pointer, "Default"), "its Default"),
        (None, None) => {
            let help = if ssm {
                format!(
                    "Portico does not read SSM Parameter Store: pass `--parameter-overrides {name}=value`, or give it a Default"
                )
            } else {
                format!("give it a Default, or pass `--parameter-overrides {name}=value`")
            };
            errors.push(problem(
                pointer,
                format!("parameter {name} has no value"),
                help,
            ));
            let placeholder = match kind {
                Kind::Text | Kind::Number => placeholder,
                Kind::Texts | Kind::Numbers => Value::Array(vec![placeholder]),
            };
            return placeholder;
        }
    };
    let value = match convert(kind, &raw) {
        Ok(value) => value,
        Err(message) => {
            let example = match kind {
                Kind::Number => "42",
                Kind::Numbers => "1,2,3",
                Kind::Texts => "a,b,c",
                Kind::Text => "text",
            };
            errors.push(problem(
                &at,
                format!("parameter {name} ({source}): {message}"),
                format!("give a value such as `{example}` (as a Default, or `--parameter-overrides {name}={example}`)"),
            ));
            return text_of(&raw).map_or(placeholder, Value::String);
        }
    };
    check_constraints(name, pointer, declaration, kind, &value, source, errors);
    value
}

/// A parameter's value of the given kind, from its Default or override.
fn convert(kind: Kind, raw: &Value) -> Result<Value, String> {
    let items = |raw: &Value| -> Result<Vec<String>, String> {
        match raw {
            Value::String(s) => Ok(s.split(',').map(|s| s.trim().to_string()).collect()),
            Value::Array(items) => items
                .iter()
                .map(|item| {
                    text_of(item).map(|t| t.trim().to_string()).ok_or_else(|| {
                        format!("its list holds {}, where a string is expected", shape(item))
                    })
                })
                .collect(),
            other => text_of(other)
                .map(|t| vec![t])
                .ok_or_else(|| format!("{} is not a list", shape(other))),
        }
    };
    match kind {
        Kind::Text => text_of(raw)
            .map(Value::String)
            .ok_or_else(|| format!("{} is not a string", shape(raw))),
        Kind::Number => number_of(raw).map(Value::Number).ok_or_else(|| {
            format!(
                "`{}` is not a number",
                text_of(raw).unwrap_or_else(|| shape(raw).to_string())
            )
        }),
        Kind::Texts => Ok(Value::Array(
            items(raw)?.into_iter().map(Value::String).collect(),
        )),
        Kind::Numbers => items(raw)?
            .into_iter()
            .map(|item| {
                parse_number(&item)
                    .map(Value::Number)
                    .ok_or_else(|| format!("`{item}` is not a number"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
    }
}

/// Checks `AllowedValues`, `MinLength`/`MaxLength` and `MinValue`/`MaxValue`.
fn check_constraints(
    name: &str,
    pointer: &str,
    declaration: &Map<String, Value>,
    kind: Kind,
    value: &Value,
    source: &str,
    errors: &mut Vec<Problem>,
) {
    // `AllowedPattern` is not checked: this crate has no regular-expression engine.
    let elements: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let described = declaration
        .get("ConstraintDescription")
        .and_then(Value::as_str);
    let numeric = matches!(kind, Kind::Number | Kind::Numbers);
    if let Some(allowed) = declaration.get("AllowedValues") {
        let at = child(pointer, "AllowedValues");
        match allowed {
            Value::Array(allowed) => {
                for element in &elements {
                    let text = text_of(element).unwrap_or_default();
                    let number = number_of(element).and_then(|n| n.as_f64());
                    let ok = allowed.iter().any(|a| {
                        text_of(a).is_some_and(|a| a == text)
                            || (numeric
                                && number.is_some()
                                && number_of(a).and_then(|n| n.as_f64()) == number)
                    });
                    if !ok {
                        let listed: Vec<String> = allowed
                            .iter()
                            .map(|a| format!("`{}`", text_of(a).unwrap_or_default()))
                            .collect();
                        errors.push(problem(
                            &at,
                            format!("parameter {name} is `{text}` ({source}), which its AllowedValues do not allow"),
                            described.map_or_else(
                                || format!("give one of {}", listed.join(", ")),
                                str::to_string,
                            ),
                        ));
                    }
                }
            }
            other => errors.push(problem(
                &at,
                format!(
                    "the AllowedValues of parameter {name} must be a list, not {}",
                    shape(other)
                ),
                "write them as a list: `AllowedValues: [a, b]`",
            )),
        }
    }
    let limits: [(&str, bool, bool); 4] = [
        ("MinLength", false, true),
        ("MaxLength", false, false),
        ("MinValue", true, true),
        ("MaxValue", true, false),
    ];
    for (key, for_numbers, is_min) in limits {
        let Some(limit) = declaration.get(key) else {
            continue;
        };
        let at = child(pointer, key);
        if for_numbers != numeric {
            let (applies, instead) = if for_numbers {
                (
                    "Number and List<Number>",
                    if is_min { "MinLength" } else { "MaxLength" },
                )
            } else {
                ("String", if is_min { "MinValue" } else { "MaxValue" })
            };
            errors.push(problem(
                &at,
                format!("{key} applies to {applies} parameters, and {name} is not one"),
                format!("remove it, or use {instead}"),
            ));
            continue;
        }
        let limit_value = if for_numbers {
            number_of(limit).and_then(|n| n.as_f64())
        } else {
            whole(limit).map(|n| n as f64)
        };
        let Some(limit_value) = limit_value else {
            errors.push(problem(
                &at,
                format!(
                    "the {key} of parameter {name} must be a {}number, not {}",
                    if for_numbers { "" } else { "whole " },
                    shape(limit)
                ),
                format!("write it as `{key}: 1`"),
            ));
            continue;
        };
        let shown_limit = text_of(limit).unwrap_or_default();
        for element in &elements {
            let text = text_of(element).unwrap_or_default();
            let (measure, what) = if for_numbers {
                match number_of(element).and_then(|n| n.as_f64()) {
                    Some(n) => (n, String::new()),
                    None => continue,
                }
            } else {
                let n = text.chars().count();
                (n as f64, format!(", {n} characters long,"))
            };
            let broken = if is_min {
                measure < limit_value
            } else {
                measure > limit_value
            };
            if broken {
                let bound = if is_min { "at least" } else { "at most" };
                let unit = if for_numbers { "" } else { " characters" };
                errors.push(problem(
                    &at,
                    format!("parameter {name} is `{text}`{what} ({source}), out of its {key} {shown_limit}"),
                    described.map_or_else(
                        || format!("give a value of {bound} {shown_limit}{unit}"),
                        str::to_string,
                    ),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Fixture {
        parameters: BTreeMap<String, Value>,
        conditions: BTreeMap<String, bool>,
        mappings: Value,
        resources: BTreeMap<String, Resource>,
        overrides: BTreeMap<String, String>,
    }

    impl Fixture {
        fn scope(&self) -> Scope<'_> {
            Scope {
                region: "eu-west-1",
                account_id: "123456789012",
                stack_name: "demo",
                parameters: &self.parameters,
                conditions: &self.conditions,
                mappings: &self.mappings,
                resources: &self.resources,
                overrides: &self.overrides,
            }
        }
    }

    fn strings<const N: usize>(pairs: [(&str, &str); N]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn fixture() -> Fixture {
        let parameters = [
            ("Env", json!("prod")),
            ("Count", json!(3)),
            ("Subnets", json!(["sa", "sb", "sc"])),
            ("AttrName", json!("Arn")),
            ("Index", json!("1")),
            ("Empty", json!([])),
        ];
        let attributes = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), json!(v)))
                .collect()
        };
        let resources = [
            (
                "Hello",
                Resource {
                    reference: json!("demo-Hello-1A2B"),
                    attributes: attributes(&[(
                        "Arn",
                        "arn:aws:lambda:eu-west-1:123456789012:function:demo-Hello-1A2B",
                    )]),
                },
            ),
            (
                "Api",
                Resource {
                    reference: json!("a1b2c3"),
                    attributes: attributes(&[
                        ("RootResourceId", "r00t"),
                        (
                            "ApiEndpoint",
                            "https://a1b2c3.execute-api.eu-west-1.amazonaws.com",
                        ),
                    ]),
                },
            ),
            (
                "Db",
                Resource {
                    reference: Value::Null,
                    attributes: attributes(&[("Endpoint.Address", "db.local")]),
                },
            ),
            // Resources of the template that Portico does not emulate.
            ("Queue", Resource::default()),
            ("Vpc", Resource::default()),
        ];
        Fixture {
            parameters: parameters
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            conditions: [("IsProd", true), ("IsDev", false)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            mappings: json!({
                "RegionMap": {
                    "eu-west-1": {"Ami": "ami-eu", "Zones": ["z1", "z2"]},
                    "us-east-1": {"Ami": "ami-us"}
                }
            }),
            resources: resources
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            overrides: strings([
                ("External", "ext-value"),
                (
                    "Table.Arn",
                    "arn:aws:dynamodb:eu-west-1:123456789012:table/t",
                ),
                ("SharedVpc", "vpc-123"),
                ("Db", "db-instance"),
            ]),
        }
    }

    fn run(input: &Value) -> (Option<Value>, Vec<Problem>, Vec<Problem>) {
        let fixture = fixture();
        let (mut errors, mut warnings) = (Vec::new(), Vec::new());
        let out = resolve(input, "/V", &fixture.scope(), &mut errors, &mut warnings);
        (out, errors, warnings)
    }

    #[test]
    fn resolves_every_intrinsic() {
        let arn = "arn:aws:lambda:eu-west-1:123456789012:function:demo-Hello-1A2B";
        let cases: Vec<(&str, Value, Option<Value>)> = vec![
            ("plain scalar", json!("text"), Some(json!("text"))),
            ("plain number", json!(5), Some(json!(5))),
            (
                "ref string parameter",
                json!({"Ref": "Env"}),
                Some(json!("prod")),
            ),
            (
                "ref number parameter",
                json!({"Ref": "Count"}),
                Some(json!(3)),
            ),
            (
                "ref list parameter",
                json!({"Ref": "Subnets"}),
                Some(json!(["sa", "sb", "sc"])),
            ),
            (
                "ref region",
                json!({"Ref": "AWS::Region"}),
                Some(json!("eu-west-1")),
            ),
            (
                "ref account",
                json!({"Ref": "AWS::AccountId"}),
                Some(json!("123456789012")),
            ),
            (
                "ref stack name",
                json!({"Ref": "AWS::StackName"}),
                Some(json!("demo")),
            ),
            (
                "ref stack id",
                json!({"Ref": "AWS::StackId"}),
                Some(json!(format!(
                    "arn:aws:cloudformation:eu-west-1:123456789012:stack/demo/{STACK_UUID}"
                ))),
            ),
            (
                "ref partition",
                json!({"Ref": "AWS::Partition"}),
                Some(json!("aws")),
            ),
            (
                "ref url suffix",
                json!({"Ref": "AWS::URLSuffix"}),
                Some(json!("amazonaws.com")),
            ),
            (
                "ref notification arns",
                json!({"Ref": "AWS::NotificationARNs"}),
                Some(json!([])),
            ),
            ("ref no value", json!({"Ref": "AWS::NoValue"}), None),
            (
                "ref resource",
                json!({"Ref": "Hello"}),
                Some(json!("demo-Hello-1A2B")),
            ),
            (
                "ref override",
                json!({"Ref": "External"}),
                Some(json!("ext-value")),
            ),
            (
                "ref resource with no reference, overridden",
                json!({"Ref": "Db"}),
                Some(json!("db-instance")),
            ),
            (
                "get att list",
                json!({"Fn::GetAtt": ["Hello", "Arn"]}),
                Some(json!(arn)),
            ),
            (
                "get att string",
                json!({"Fn::GetAtt": "Api.RootResourceId"}),
                Some(json!("r00t")),
            ),
            (
                "get att dotted attribute",
                json!({"Fn::GetAtt": ["Db", "Endpoint.Address"]}),
                Some(json!("db.local")),
            ),
            (
                "get att dotted attribute as string",
                json!({"Fn::GetAtt": "Db.Endpoint.Address"}),
                Some(json!("db.local")),
            ),
            (
                "get att attribute by ref",
                json!({"Fn::GetAtt": ["Hello", {"Ref": "AttrName"}]}),
                Some(json!(arn)),
            ),
            (
                "get att override",
                json!({"Fn::GetAtt": ["Table", "Arn"]}),
                Some(json!("arn:aws:dynamodb:eu-west-1:123456789012:table/t")),
            ),
            (
                "sub string",
                json!({"Fn::Sub": "${AWS::Region}/${Env}/${Hello.Arn}/${!Literal}/${Count}"}),
                Some(json!(format!("eu-west-1/prod/{arn}/${{Literal}}/3"))),
            ),
            (
                "sub with no variable",
                json!({"Fn::Sub": "just text $ { }"}),
                Some(json!("just text $ { }")),
            ),
            (
                "sub dotted attribute",
                json!({"Fn::Sub": "${Db.Endpoint.Address}:5432"}),
                Some(json!("db.local:5432")),
            ),
            (
                "sub override",
                json!({"Fn::Sub": "${External}-${Table.Arn}"}),
                Some(json!(
                    "ext-value-arn:aws:dynamodb:eu-west-1:123456789012:table/t"
                )),
            ),
            (
                "sub with variables, resolved first",
                json!({"Fn::Sub": ["${A}-${Env}-${B}", {"A": {"Ref": "Count"}, "B": {"Fn::Join": ["+", ["x", "y"]]}}]}),
                Some(json!("3-prod-x+y")),
            ),
            (
                "sub variable shadows parameter",
                json!({"Fn::Sub": ["${Env}", {"Env": "dev"}]}),
                Some(json!("dev")),
            ),
            (
                "sub variable number and boolean",
                json!({"Fn::Sub": ["${N}/${B}", {"N": 1.5, "B": true}]}),
                Some(json!("1.5/true")),
            ),
            (
                "sub literal then variable",
                json!({"Fn::Sub": "${!a}${Env}"}),
                Some(json!("${a}prod")),
            ),
            (
                "join",
                json!({"Fn::Join": [",", ["a", 1, true, {"Ref": "Env"}]]}),
                Some(json!("a,1,true,prod")),
            ),
            (
                "join empty delimiter",
                json!({"Fn::Join": ["", ["a", "b"]]}),
                Some(json!("ab")),
            ),
            (
                "join list parameter",
                json!({"Fn::Join": ["|", {"Ref": "Subnets"}]}),
                Some(json!("sa|sb|sc")),
            ),
            (
                "join split",
                json!({"Fn::Join": ["-", {"Fn::Split": [",", "a,b,c"]}]}),
                Some(json!("a-b-c")),
            ),
            (
                "join drops no value",
                json!({"Fn::Join": [",", ["a", {"Ref": "AWS::NoValue"}, "b"]]}),
                Some(json!("a,b")),
            ),
            (
                "join empty list",
                json!({"Fn::Join": [",", []]}),
                Some(json!("")),
            ),
            (
                "select number index",
                json!({"Fn::Select": [1, ["a", "b", "c"]]}),
                Some(json!("b")),
            ),
            (
                "select string index",
                json!({"Fn::Select": ["2", ["a", "b", "c"]]}),
                Some(json!("c")),
            ),
            (
                "select index by ref",
                json!({"Fn::Select": [{"Ref": "Index"}, {"Ref": "Subnets"}]}),
                Some(json!("sb")),
            ),
            (
                "select from get azs",
                json!({"Fn::Select": [0, {"Fn::GetAZs": ""}]}),
                Some(json!("eu-west-1a")),
            ),
            (
                "select object",
                json!({"Fn::Select": [0, [{"a": {"Ref": "Env"}}]]}),
                Some(json!({"a": "prod"})),
            ),
            (
                "split",
                json!({"Fn::Split": ["::", "a::b::"]}),
                Some(json!(["a", "b", ""])),
            ),
            (
                "split ref",
                json!({"Fn::Split": ["o", {"Ref": "Env"}]}),
                Some(json!(["pr", "d"])),
            ),
            (
                "if true",
                json!({"Fn::If": ["IsProd", "big", "small"]}),
                Some(json!("big")),
            ),
            (
                "if false",
                json!({"Fn::If": ["IsDev", "big", "small"]}),
                Some(json!("small")),
            ),
            (
                "if no value",
                json!({"Fn::If": ["IsDev", "x", {"Ref": "AWS::NoValue"}]}),
                None,
            ),
            (
                "if only resolves its branch",
                json!({"Fn::If": ["IsProd", "ok", {"Ref": "Unknown"}]}),
                Some(json!("ok")),
            ),
            (
                "equals strings",
                json!({"Fn::Equals": [{"Ref": "Env"}, "prod"]}),
                Some(json!(true)),
            ),
            (
                "equals number and text",
                json!({"Fn::Equals": ["3", {"Ref": "Count"}]}),
                Some(json!(true)),
            ),
            (
                "equals differs",
                json!({"Fn::Equals": ["a", "b"]}),
                Some(json!(false)),
            ),
            (
                "equals lists",
                json!({"Fn::Equals": [["1", 2], [1, "2"]]}),
                Some(json!(true)),
            ),
            (
                "and",
                json!({"Fn::And": [{"Condition": "IsProd"}, {"Fn::Equals": ["a", "a"]}]}),
                Some(json!(true)),
            ),
            (
                "and false",
                json!({"Fn::And": [{"Condition": "IsProd"}, {"Condition": "IsDev"}]}),
                Some(json!(false)),
            ),
            (
                "or",
                json!({"Fn::Or": [{"Condition": "IsDev"}, {"Condition": "IsProd"}]}),
                Some(json!(true)),
            ),
            (
                "or of ten",
                json!({"Fn::Or": [false, false, false, false, false, false, false, false, false, true]}),
                Some(json!(true)),
            ),
            (
                "not",
                json!({"Fn::Not": [{"Condition": "IsProd"}]}),
                Some(json!(false)),
            ),
            (
                "not of equals",
                json!({"Fn::Not": [{"Fn::Equals": [{"Ref": "Env"}, "dev"]}]}),
                Some(json!(true)),
            ),
            (
                "find in map",
                json!({"Fn::FindInMap": ["RegionMap", {"Ref": "AWS::Region"}, "Ami"]}),
                Some(json!("ami-eu")),
            ),
            (
                "find in map list",
                json!({"Fn::FindInMap": ["RegionMap", "eu-west-1", "Zones"]}),
                Some(json!(["z1", "z2"])),
            ),
            (
                "find in map found, default unused",
                json!({"Fn::FindInMap": ["RegionMap", "us-east-1", "Ami", {"DefaultValue": "d"}]}),
                Some(json!("ami-us")),
            ),
            (
                "find in map default",
                json!({"Fn::FindInMap": ["RegionMap", "us-east-1", "Zones", {"DefaultValue": {"Ref": "Subnets"}}]}),
                Some(json!(["sa", "sb", "sc"])),
            ),
            (
                "find in map default for a missing map",
                json!({"Fn::FindInMap": ["Nope", "a", "b", {"DefaultValue": 7}]}),
                Some(json!(7)),
            ),
            (
                "base64",
                json!({"Fn::Base64": "hello"}),
                Some(json!("aGVsbG8=")),
            ),
            (
                "base64 two bytes",
                json!({"Fn::Base64": "ab"}),
                Some(json!("YWI=")),
            ),
            (
                "base64 three bytes",
                json!({"Fn::Base64": "abc"}),
                Some(json!("YWJj")),
            ),
            ("base64 empty", json!({"Fn::Base64": ""}), Some(json!(""))),
            (
                "base64 of sub",
                json!({"Fn::Base64": {"Fn::Sub": "#!/bin/sh\necho ${Env}"}}),
                Some(json!("IyEvYmluL3NoCmVjaG8gcHJvZA==")),
            ),
            (
                "get azs here",
                json!({"Fn::GetAZs": ""}),
                Some(json!(["eu-west-1a", "eu-west-1b", "eu-west-1c"])),
            ),
            (
                "get azs ref region",
                json!({"Fn::GetAZs": {"Ref": "AWS::Region"}}),
                Some(json!(["eu-west-1a", "eu-west-1b", "eu-west-1c"])),
            ),
            (
                "get azs other region",
                json!({"Fn::GetAZs": "us-east-1"}),
                Some(json!(["us-east-1a", "us-east-1b", "us-east-1c"])),
            ),
            (
                "import value override",
                json!({"Fn::ImportValue": "SharedVpc"}),
                Some(json!("vpc-123")),
            ),
            (
                "import value of sub",
                json!({"Fn::ImportValue": {"Fn::Sub": ["Shared${X}", {"X": "Vpc"}]}}),
                Some(json!("vpc-123")),
            ),
            (
                "cidr",
                json!({"Fn::Cidr": ["192.168.0.0/24", "6", "5"]}),
                Some(json!([
                    "192.168.0.0/27",
                    "192.168.0.32/27",
                    "192.168.0.64/27",
                    "192.168.0.96/27",
                    "192.168.0.128/27",
                    "192.168.0.160/27"
                ])),
            ),
            (
                "cidr host bits set",
                json!({"Fn::Cidr": ["10.0.9.9/16", 2, 8]}),
                Some(json!(["10.0.0.0/24", "10.0.1.0/24"])),
            ),
            (
                "cidr ipv6",
                json!({"Fn::Cidr": ["2001:db8::/56", 2, 64]}),
                Some(json!(["2001:db8::/64", "2001:db8:0:1::/64"])),
            ),
            (
                "length",
                json!({"Fn::Length": [1, {"Ref": "AWS::NoValue"}, 2]}),
                Some(json!(2)),
            ),
            (
                "length of list parameter",
                json!({"Fn::Length": {"Ref": "Subnets"}}),
                Some(json!(3)),
            ),
            (
                "to json string",
                json!({"Fn::ToJsonString": {"key1": "value1", "key2": {"Ref": "Env"}}}),
                Some(json!(r#"{"key1":"value1","key2":"prod"}"#)),
            ),
            (
                "to json string list",
                json!({"Fn::ToJsonString": [{"Ref": "Count"}, {"Ref": "AWS::NoValue"}, "x"]}),
                Some(json!(r#"[3,"x"]"#)),
            ),
            (
                "sub inside join inside if",
                json!({"Fn::If": ["IsProd",
                    {"Fn::Join": ["-", [
                        {"Fn::Sub": "${AWS::Region}"},
                        {"Fn::Sub": ["${A}", {"A": {"Ref": "Env"}}]},
                        {"Fn::If": ["IsDev", "dev", {"Ref": "AWS::NoValue"}]},
                        {"Fn::Select": [2, {"Fn::Split": [",", {"Fn::Join": [",", {"Ref": "Subnets"}]}]}]}
                    ]]},
                    "x"]}),
                Some(json!("eu-west-1-prod-sc")),
            ),
            (
                "no value dropped from mappings and lists",
                json!({"A": 1, "B": {"Ref": "AWS::NoValue"}, "C": [1, {"Ref": "AWS::NoValue"}, {"Fn::If": ["IsDev", 2, {"Ref": "AWS::NoValue"}]}, 3]}),
                Some(json!({"A": 1, "C": [1, 3]})),
            ),
            (
                "walks nested values",
                json!({"Variables": {"TABLE": {"Ref": "Env"}, "List": [{"Fn::GetAtt": "Api.RootResourceId"}]}}),
                Some(json!({"Variables": {"TABLE": "prod", "List": ["r00t"]}})),
            ),
            (
                "condition outside conditions is data",
                json!({"Condition": "IsProd"}),
                Some(json!({"Condition": "IsProd"})),
            ),
            (
                "two keys are not an intrinsic",
                json!({"Ref": "Env", "Other": {"Ref": "Count"}}),
                Some(json!({"Ref": "Env", "Other": 3})),
            ),
        ];
        for (name, input, expected) in cases {
            let (out, errors, warnings) = run(&input);
            assert!(errors.is_empty(), "{name}: errors {errors:?}");
            assert!(warnings.is_empty(), "{name}: warnings {warnings:?}");
            assert_eq!(out, expected, "{name}");
        }
    }

    #[test]
    fn partition_follows_the_region() {
        let f = fixture();
        for (region, partition, suffix) in [
            ("cn-north-1", "aws-cn", "amazonaws.com.cn"),
            ("us-gov-west-1", "aws-us-gov", "amazonaws.com"),
            ("us-east-1", "aws", "amazonaws.com"),
        ] {
            let scope = Scope {
                region,
                ..f.scope()
            };
            let (mut errors, mut warnings) = (Vec::new(), Vec::new());
            let input = json!({"Fn::Sub": "${AWS::Partition} ${AWS::URLSuffix} ${AWS::StackId}"});
            let out = resolve(&input, "", &scope, &mut errors, &mut warnings);
            let expected = format!(
                "{partition} {suffix} arn:{partition}:cloudformation:{region}:123456789012:stack/demo/{STACK_UUID}"
            );
            assert_eq!(out, Some(json!(expected)));
            assert!(errors.is_empty() && warnings.is_empty());
        }
    }

    #[test]
    fn unresolved_references_warn_and_give_placeholders() {
        // (input, result, pointer, in the message, in the help)
        let cases: Vec<(Value, Value, &str, &str, &str)> = vec![
            (
                json!({"Ref": "Queue"}),
                json!("Queue"),
                "/V/Ref",
                "Portico does not know what `Ref: Queue` gives for resource Queue",
                "`--parameter-overrides Queue=value`",
            ),
            (
                json!({"Fn::GetAtt": ["Queue", "Arn"]}),
                json!("Queue.Arn"),
                "/V/Fn::GetAtt",
                "Portico does not know attribute Arn of resource Queue",
                "`--parameter-overrides Queue.Arn=value`",
            ),
            (
                json!({"Fn::GetAtt": "Hello.Arm"}),
                json!("Hello.Arm"),
                "/V/Fn::GetAtt",
                "Portico does not know attribute Arm of resource Hello",
                "did you mean `Hello.Arn`? Otherwise pass `--parameter-overrides Hello.Arm=value`",
            ),
            (
                json!({"Fn::Sub": "arn:${Queue}:x"}),
                json!("arn:Queue:x"),
                "/V/Fn::Sub",
                "`Ref: Queue` gives for resource Queue",
                "`--parameter-overrides Queue=value`",
            ),
            (
                json!({"Fn::Sub": "${Queue.QueueName}"}),
                json!("Queue.QueueName"),
                "/V/Fn::Sub",
                "attribute QueueName of resource Queue",
                "`--parameter-overrides Queue.QueueName=value`",
            ),
            (
                json!({"Fn::ImportValue": "OtherStack-Vpc"}),
                json!("OtherStack-Vpc"),
                "/V/Fn::ImportValue",
                "another stack's export",
                "`--parameter-overrides OtherStack-Vpc=value`",
            ),
            // A function fed by a placeholder gives a placeholder, with no error.
            (
                json!({"Fn::Select": [2, {"Ref": "Queue"}]}),
                json!("Queue"),
                "/V/Fn::Select/1/Ref",
                "resource Queue",
                "Queue=value",
            ),
            (
                json!({"Fn::Join": [",", {"Ref": "Queue"}]}),
                json!("Queue"),
                "/V/Fn::Join/1/Ref",
                "resource Queue",
                "Queue=value",
            ),
            (
                json!({"Fn::Select": [0, {"Fn::Cidr": [{"Fn::GetAtt": ["Vpc", "CidrBlock"]}, 2, 8]}]}),
                json!("Vpc.CidrBlock"),
                "/V/Fn::Select/1/Fn::Cidr/0/Fn::GetAtt",
                "attribute CidrBlock of resource Vpc",
                "Vpc.CidrBlock=value",
            ),
            (
                json!({"Fn::FindInMap": ["RegionMap", {"Ref": "Queue"}, "Ami"]}),
                json!("RegionMap.Queue.Ami"),
                "/V/Fn::FindInMap/1/Ref",
                "resource Queue",
                "Queue=value",
            ),
            (
                json!({"Fn::GetAtt": ["Hello", {"Ref": "Queue"}]}),
                json!("Hello.Queue"),
                "/V/Fn::GetAtt/1/Ref",
                "resource Queue",
                "Queue=value",
            ),
            (
                json!({"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://b/k"}}}),
                json!({"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://b/k"}}}),
                "/V/Fn::Transform",
                "is not evaluated by Portico",
                "in its place",
            ),
        ];
        for (input, expected, pointer, message, help) in cases {
            let (out, errors, warnings) = run(&input);
            assert!(errors.is_empty(), "{input}: errors {errors:?}");
            assert_eq!(out, Some(expected), "{input}");
            assert_eq!(warnings.len(), 1, "{input}: {warnings:?}");
            let w = &warnings[0];
            assert_eq!(w.pointer, pointer, "{input}");
            assert!(w.message.contains(message), "{input}: {}", w.message);
            let h = w.help.as_deref().unwrap_or_default();
            assert!(h.contains(help), "{input}: {h}");
        }
    }

    #[test]
    fn references_to_nothing_are_errors() {
        // (input, pointer, in the message, in the help)
        let cases: Vec<(Value, &str, &str, &str)> = vec![
            (
                json!({"Ref": "Unknown"}),
                "/V/Ref",
                "`Ref: Unknown` names nothing: the template has no parameter or resource Unknown",
                "`--parameter-overrides Unknown=value`",
            ),
            (
                json!({"Ref": "Helo"}),
                "/V/Ref",
                "no parameter or resource Helo",
                "did you mean `Hello`? Otherwise pass `--parameter-overrides Helo=value`",
            ),
            (
                json!({"Fn::GetAtt": ["Nothing", "Arn"]}),
                "/V/Fn::GetAtt",
                "`Fn::GetAtt: Nothing.Arn` names nothing: the template has no resource Nothing",
                "`--parameter-overrides Nothing.Arn=value`",
            ),
            (
                json!({"Fn::Sub": "arn:${Nope}:x"}),
                "/V/Fn::Sub",
                "`Ref: Nope` names nothing",
                "`--parameter-overrides Nope=value`",
            ),
        ];
        for (input, pointer, message, help) in cases {
            let (_, errors, warnings) = run(&input);
            assert!(warnings.is_empty(), "{input}: warnings {warnings:?}");
            assert_eq!(errors.len(), 1, "{input}: {errors:?}");
            let e = &errors[0];
            assert_eq!(e.pointer, pointer, "{input}");
            assert!(e.message.contains(message), "{input}: {}", e.message);
            let h = e.help.as_deref().unwrap_or_default();
            assert!(h.contains(help), "{input}: {h}");
        }
        // A name the user gave a value for is no error.
        let (out, errors, _) = run(&json!({"Ref": "External"}));
        assert_eq!((out, errors.len()), (Some(json!("ext-value")), 0));
    }

    #[test]
    fn malformed_intrinsics_are_errors_with_their_pointer() {
        // (input, pointer, in the message, in the help)
        let cases: Vec<(Value, &str, &str, &str)> = vec![
            (
                json!({"Ref": 5}),
                "/V/Ref",
                "`Ref` takes the name",
                r#"{"Ref": "Name"}"#,
            ),
            (
                json!({"Ref": "AWS::Regoin"}),
                "/V/Ref",
                "`AWS::Regoin` is not a pseudo parameter",
                "did you mean `AWS::Region`?",
            ),
            (
                json!({"Fn::Joinn": [",", []]}),
                "/V/Fn::Joinn",
                "is not an intrinsic function",
                "did you mean `Fn::Join`?",
            ),
            (
                json!({"Fn::Qqq": 1}),
                "/V/Fn::Qqq",
                "is not an intrinsic function",
                "use one of Fn::And",
            ),
            (
                json!({"Fn::GetAtt": "Hello"}),
                "/V/Fn::GetAtt",
                "names no attribute",
                "`!GetAtt Resource.Attribute`",
            ),
            (
                json!({"Fn::GetAtt": ["Hello"]}),
                "/V/Fn::GetAtt",
                "takes 2 arguments, not 1",
                r#"["Resource", "Attribute"]"#,
            ),
            (
                json!({"Fn::GetAtt": ["Hello", ["Arn"]]}),
                "/V/Fn::GetAtt/1",
                "attribute name of `Fn::GetAtt` must be a string, not a list",
                "write it as",
            ),
            (
                json!({"Fn::GetAtt": ["Env", "Arn"]}),
                "/V/Fn::GetAtt",
                "names parameter Env",
                "use `Ref: Env`",
            ),
            (
                json!({"Fn::Sub": "a ${Env"}),
                "/V/Fn::Sub",
                "has no closing `}`",
                "`${!`",
            ),
            (
                json!({"Fn::Sub": "a ${}"}),
                "/V/Fn::Sub",
                "`${}` names nothing",
                "${Name}",
            ),
            (
                json!({"Fn::Sub": "${Subnets}"}),
                "/V/Fn::Sub",
                "`${Subnets}` is a list",
                "Fn::Join",
            ),
            (
                json!({"Fn::Sub": "${AWS::NoValue}"}),
                "/V/Fn::Sub",
                "`AWS::NoValue`",
                "Fn::Join",
            ),
            (
                json!({"Fn::Sub": ["${A}", {"A": ["x"]}]}),
                "/V/Fn::Sub/1/A",
                "variable of `Fn::Sub` must be a string, not a list",
                "Fn::Sub",
            ),
            (
                json!({"Fn::Sub": ["${A}", ["x"]]}),
                "/V/Fn::Sub/1",
                "must be a mapping",
                "Fn::Sub",
            ),
            (
                json!({"Fn::Sub": [1, {}]}),
                "/V/Fn::Sub/0",
                "first argument of `Fn::Sub` must be a string",
                "Fn::Sub",
            ),
            (
                json!({"Fn::Sub": ["a", {}, {}]}),
                "/V/Fn::Sub",
                "not 3 arguments",
                "Fn::Sub",
            ),
            (
                json!({"Fn::Sub": 5}),
                "/V/Fn::Sub",
                "not a number",
                "Fn::Sub",
            ),
            (
                json!({"Fn::Join": [","]}),
                "/V/Fn::Join",
                "takes 2 arguments, not 1",
                r#"{"Fn::Join": ["delimiter", [value, value, ...]]}"#,
            ),
            (
                json!({"Fn::Join": ","}),
                "/V/Fn::Join",
                "takes a list of 2 arguments, not a string",
                "Fn::Join",
            ),
            (
                json!({"Fn::Join": [",", "ab"]}),
                "/V/Fn::Join/1",
                "needs a list here, not a string",
                "Fn::Join",
            ),
            (
                json!({"Fn::Join": [",", ["a", ["b"]]]}),
                "/V/Fn::Join/1",
                "element 1 of its list is a list",
                "Fn::Join",
            ),
            (
                json!({"Fn::Join": [["x"], ["a"]]}),
                "/V/Fn::Join/0",
                "delimiter of `Fn::Join` must be a string",
                "Fn::Join",
            ),
            (
                json!({"Fn::Join": [",", {"Ref": "AWS::NoValue"}]}),
                "/V/Fn::Join/1",
                "leaves no value here",
                "Fn::If",
            ),
            (
                json!({"Fn::Select": [3, ["a", "b", "c"]]}),
                "/V/Fn::Select",
                "index 3 is out of range: the list has 3 elements",
                "give an index from 0 to 2",
            ),
            (
                json!({"Fn::Select": [0, {"Ref": "Empty"}]}),
                "/V/Fn::Select",
                "out of range: the list has 0 elements",
                "the list is empty",
            ),
            (
                json!({"Fn::Select": ["x", ["a"]]}),
                "/V/Fn::Select/0",
                "whole number from 0, not `x`",
                "Fn::Select",
            ),
            (
                json!({"Fn::Select": [-1, ["a"]]}),
                "/V/Fn::Select/0",
                "not `-1`",
                "(index from 0)",
            ),
            (
                json!({"Fn::Select": [0.5, ["a"]]}),
                "/V/Fn::Select/0",
                "not `0.5`",
                "Fn::Select",
            ),
            (
                json!({"Fn::Split": ["", "abc"]}),
                "/V/Fn::Split/0",
                "delimiter that is not empty",
                "Fn::Split",
            ),
            (
                json!({"Fn::Split": [",", ["a"]]}),
                "/V/Fn::Split/1",
                "text of `Fn::Split` must be a string, not a list",
                "Fn::Split",
            ),
            (
                json!({"Fn::If": ["IsPrd", 1, 2]}),
                "/V/Fn::If/0",
                "`IsPrd` names no condition",
                "did you mean `IsProd`?",
            ),
            (
                json!({"Fn::If": ["Nothing", 1, 2]}),
                "/V/Fn::If/0",
                "`Nothing` names no condition",
                "define a condition Nothing under `Conditions`",
            ),
            (
                json!({"Fn::If": [true, 1, 2]}),
                "/V/Fn::If/0",
                "must be a condition's name, not a boolean",
                "ConditionName",
            ),
            (
                json!({"Fn::If": ["IsProd", 1]}),
                "/V/Fn::If",
                "takes 3 arguments, not 2",
                "valueIfFalse",
            ),
            (
                json!({"Fn::If": ["IsProd", {"Fn::Bad": 1}, 2]}),
                "/V/Fn::If/1/Fn::Bad",
                "not an intrinsic function",
                "use one of",
            ),
            (
                json!({"Fn::Equals": ["a"]}),
                "/V/Fn::Equals",
                "takes 2 arguments, not 1",
                "[value, value]",
            ),
            (
                json!({"Fn::And": [{"Condition": "IsProd"}]}),
                "/V/Fn::And",
                "takes 2 to 10 arguments, not 1",
                "(2 to 10 conditions)",
            ),
            (
                json!({"Fn::Or": [true, true, true, true, true, true, true, true, true, true, true]}),
                "/V/Fn::Or",
                "takes 2 to 10 arguments, not 11",
                "(2 to 10 conditions)",
            ),
            (
                json!({"Fn::Not": [true, false]}),
                "/V/Fn::Not",
                "takes 1 argument, not 2",
                "[condition]",
            ),
            (
                json!({"Fn::Not": ["maybe"]}),
                "/V/Fn::Not/0",
                "a condition is expected here (true or false), not a string",
                "`Fn::Equals`",
            ),
            (
                json!({"Fn::And": [{"Condition": 1}, true]}),
                "/V/Fn::And/0/Condition",
                "takes a condition's name, not a number",
                "ConditionName",
            ),
            (
                json!({"Fn::And": [{"Condition": "Nope"}, true]}),
                "/V/Fn::And/0/Condition",
                "`Nope` names no condition",
                "Conditions",
            ),
            (
                json!({"Fn::FindInMap": ["RegionMp", "eu-west-1", "Ami"]}),
                "/V/Fn::FindInMap",
                "`Mappings` has no map `RegionMp`",
                "did you mean `RegionMap`? Or give a default",
            ),
            (
                json!({"Fn::FindInMap": ["RegionMap", "ap-south-1", "Ami"]}),
                "/V/Fn::FindInMap",
                "map `RegionMap` has no key `ap-south-1`",
                r#"{"DefaultValue": value}"#,
            ),
            (
                json!({"Fn::FindInMap": ["RegionMap", "us-east-1", "Amy"]}),
                "/V/Fn::FindInMap",
                "key `us-east-1` has no key `Amy`",
                "did you mean `Ami`?",
            ),
            (
                json!({"Fn::FindInMap": ["RegionMap", "us-east-1", "Ami", "d"]}),
                "/V/Fn::FindInMap/3",
                "fourth argument",
                "DefaultValue",
            ),
            (
                json!({"Fn::FindInMap": ["RegionMap", "us-east-1"]}),
                "/V/Fn::FindInMap",
                "takes 3 to 4 arguments, not 2",
                "SecondLevelKey",
            ),
            (
                json!({"Fn::Base64": ["a"]}),
                "/V/Fn::Base64",
                "argument of `Fn::Base64` must be a string, not a list",
                "Fn::Base64",
            ),
            (
                json!({"Fn::GetAZs": ["eu-west-1"]}),
                "/V/Fn::GetAZs",
                "must be a string, not a list",
                "Fn::GetAZs",
            ),
            (
                json!({"Fn::ImportValue": {"a": 1}}),
                "/V/Fn::ImportValue",
                "must be a string, not a mapping",
                "ExportName",
            ),
            (
                json!({"Fn::Cidr": ["10.0.0.0/16", 0, 8]}),
                "/V/Fn::Cidr/1",
                "count must be from 1 to 256, not 0",
                "Fn::Cidr",
            ),
            (
                json!({"Fn::Cidr": ["10.0.0.0/24", 2, 9]}),
                "/V/Fn::Cidr/2",
                "cidrBits 9 is more than the 8 host bits",
                "Fn::Cidr",
            ),
            (
                json!({"Fn::Cidr": ["10.0.0.0/24", 3, 7]}),
                "/V/Fn::Cidr/1",
                "only 2 blocks of /25 fit in `10.0.0.0/24`, not 3",
                "Fn::Cidr",
            ),
            (
                json!({"Fn::Cidr": ["10.0.0/24", 1, 8]}),
                "/V/Fn::Cidr/0",
                "is not a CIDR block",
                "Fn::Cidr",
            ),
            (
                json!({"Fn::Cidr": ["10.0.0.0/33", 1, 8]}),
                "/V/Fn::Cidr/0",
                "is not a CIDR block",
                "Fn::Cidr",
            ),
            (
                json!({"Fn::Cidr": ["10.0.0.0/16", "x", 8]}),
                "/V/Fn::Cidr/1",
                "count of `Fn::Cidr` must be a whole number, not `x`",
                "Fn::Cidr",
            ),
            (
                json!({"Fn::Cidr": ["10.0.0.0/16", 1, -8]}),
                "/V/Fn::Cidr/2",
                "cidrBits of `Fn::Cidr` must be a whole number, not `-8`",
                "Fn::Cidr",
            ),
            (
                json!({"Fn::Length": "abc"}),
                "/V/Fn::Length",
                "needs a list here, not a string",
                "Fn::Length",
            ),
            (
                json!({"Fn::ToJsonString": "abc"}),
                "/V/Fn::ToJsonString",
                "converts a mapping or a list, not a string",
                "Fn::ToJsonString",
            ),
            (
                json!({"a/b": {"c~d": [0, {"Fn::Nope": 1}]}}),
                "/V/a~1b/c~0d/1/Fn::Nope",
                "not an intrinsic function",
                "use one of",
            ),
            // The error inside reports once: the functions around it say nothing more.
            (
                json!({"Fn::Join": [",", [{"Fn::Select": [9, ["a"]]}, "b"]]}),
                "/V/Fn::Join/1/0/Fn::Select",
                "out of range",
                "from 0 to 0",
            ),
            (
                json!({"Fn::Sub": ["${A}-${B}", {"A": {"Fn::Split": ["", "x"]}, "B": "b"}]}),
                "/V/Fn::Sub/1/A/Fn::Split/0",
                "not empty",
                "Fn::Split",
            ),
        ];
        for (input, pointer, message, help) in cases {
            let (out, errors, warnings) = run(&input);
            assert!(warnings.is_empty(), "{input}: warnings {warnings:?}");
            assert_eq!(errors.len(), 1, "{input}: {errors:?}");
            let e = &errors[0];
            assert_eq!(e.pointer, pointer, "{input}: {e:?}");
            assert!(e.message.contains(message), "{input}: {}", e.message);
            let h = e.help.as_deref().unwrap_or_default();
            assert!(h.contains(help), "{input}: {h}");
            assert!(out.is_some(), "{input}");
        }
    }

    #[test]
    fn a_failed_intrinsic_leaves_null_and_its_siblings_resolve() {
        let input = json!({
            "Good": {"Ref": "Env"},
            "Bad": {"Fn::Select": [5, ["a"]]},
            "List": [{"Fn::Bad": 1}, {"Ref": "Count"}, {"Fn::Split": ["", "x"]}]
        });
        let (out, errors, warnings) = run(&input);
        assert_eq!(
            out,
            Some(json!({"Good": "prod", "Bad": null, "List": [null, 3, null]}))
        );
        let pointers: Vec<&str> = errors.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/V/Bad/Fn::Select",
                "/V/List/0/Fn::Bad",
                "/V/List/2/Fn::Split/0"
            ]
        );
        assert!(warnings.is_empty());
        // A whole value that is a failed intrinsic is null.
        let (out, errors, _) = run(&json!({"Fn::Nope": []}));
        assert_eq!((out, errors.len()), (Some(Value::Null), 1));
    }

    #[test]
    fn every_error_in_a_list_argument_is_reported() {
        let (_, errors, _) = run(&json!({"Fn::Join": [",", [{"Fn::A": 1}, {"Fn::B": 2}]]}));
        let pointers: Vec<&str> = errors.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(pointers, ["/V/Fn::Join/1/0/Fn::A", "/V/Fn::Join/1/1/Fn::B"]);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        // Built by hand: `json!` would serialize the growing value again at each level.
        let one =
            |key: &str, value: Value| Value::Object(Map::from_iter([(key.to_string(), value)]));
        let wraps: [&dyn Fn(Value) -> Value; 4] = [
            &|v| Value::Array(vec![v]),
            &|v| one("Fn::Base64", v),
            &|v| one("Fn::Not", Value::Array(vec![v])),
            &|v| {
                one(
                    "Fn::Select",
                    Value::Array(vec![json!(0), Value::Array(vec![v])]),
                )
            },
        ];
        for wrap in wraps {
            let mut value = json!("x");
            for _ in 0..5000 {
                value = wrap(value);
            }
            let (_, errors, _) = run(&value);
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert!(errors[0].message.contains("nest more than"));
            // Dropping such a value recurses too: take it apart from the inside out.
            let mut stack = vec![value];
            while let Some(v) = stack.pop() {
                match v {
                    Value::Array(items) => stack.extend(items),
                    Value::Object(map) => stack.extend(map.into_iter().map(|(_, v)| v)),
                    _ => {}
                }
            }
        }
    }

    type Overrides = Vec<(&'static str, &'static str)>;

    fn parameters_of(
        section: Value,
        overrides: &[(&str, &str)],
    ) -> (BTreeMap<String, Value>, Vec<Problem>) {
        let overrides = overrides
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut errors = Vec::new();
        let out = parameters(&section, &overrides, &mut errors);
        (out, errors)
    }

    #[test]
    fn parameters_take_defaults_then_overrides_by_type() {
        // (declaration of P, overrides, Ref P)
        let cases: Vec<(Value, Overrides, Value)> = vec![
            (
                json!({"Type": "String", "Default": "x"}),
                vec![],
                json!("x"),
            ),
            (json!({"Default": "untyped"}), vec![], json!("untyped")),
            (
                json!({"Type": "String", "Default": "x"}),
                vec![("P", "y")],
                json!("y"),
            ),
            (
                json!({"Type": "String"}),
                vec![("P", "given")],
                json!("given"),
            ),
            (
                json!({"Type": "String", "Default": 12}),
                vec![],
                json!("12"),
            ),
            (
                json!({"Type": "String", "Default": true}),
                vec![],
                json!("true"),
            ),
            (json!({"Type": "Number", "Default": "5"}), vec![], json!(5)),
            (
                json!({"Type": "Number", "Default": 5.5}),
                vec![],
                json!(5.5),
            ),
            (
                json!({"Type": "Number", "Default": 1}),
                vec![("P", " 42 ")],
                json!(42),
            ),
            (
                json!({"Type": "Number", "Default": "-0.25"}),
                vec![],
                json!(-0.25),
            ),
            (
                json!({"Type": "CommaDelimitedList", "Default": "a, b ,c"}),
                vec![],
                json!(["a", "b", "c"]),
            ),
            (
                json!({"Type": "CommaDelimitedList", "Default": ["a", 1]}),
                vec![],
                json!(["a", "1"]),
            ),
            (
                json!({"Type": "CommaDelimitedList"}),
                vec![("P", "x,y")],
                json!(["x", "y"]),
            ),
            (
                json!({"Type": "List<Number>", "Default": "1, 2.5"}),
                vec![],
                json!([1, 2.5]),
            ),
            (
                json!({"Type": "List<AWS::EC2::Subnet::Id>", "Default": "subnet-1,subnet-2"}),
                vec![],
                json!(["subnet-1", "subnet-2"]),
            ),
            (
                json!({"Type": "AWS::EC2::VPC::Id", "Default": "vpc-1"}),
                vec![],
                json!("vpc-1"),
            ),
            (
                json!({"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/app/table"}),
                vec![],
                json!("/app/table"),
            ),
            (
                json!({"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/app/table"}),
                vec![("P", "real")],
                json!("real"),
            ),
            (
                json!({"Type": "AWS::SSM::Parameter::Value<List<String>>", "Default": "a,b"}),
                vec![],
                json!(["a", "b"]),
            ),
            (
                json!({"Type": "AWS::SSM::Parameter::Name", "Default": "/app/x"}),
                vec![],
                json!("/app/x"),
            ),
            (
                json!({"Type": "String", "Default": "b", "AllowedValues": ["a", "b"]}),
                vec![],
                json!("b"),
            ),
            (
                json!({"Type": "Number", "Default": 5, "AllowedValues": ["5", 6]}),
                vec![],
                json!(5),
            ),
            (
                json!({"Type": "Number", "Default": "5.0", "AllowedValues": [5]}),
                vec![],
                json!(5.0),
            ),
            (
                json!({"Type": "CommaDelimitedList", "Default": "a,b", "AllowedValues": ["a", "b", "c"]}),
                vec![],
                json!(["a", "b"]),
            ),
            (
                json!({"Type": "String", "Default": "abc", "MinLength": 3, "MaxLength": "3"}),
                vec![],
                json!("abc"),
            ),
            (
                json!({"Type": "Number", "Default": 10, "MinValue": 10, "MaxValue": 10.5}),
                vec![],
                json!(10),
            ),
            (
                json!({"Type": "String", "Default": "x", "AllowedPattern": "[0-9]+", "Description": "d", "NoEcho": true, "ConstraintDescription": "c"}),
                vec![],
                json!("x"),
            ),
        ];
        for (declaration, overrides, expected) in cases {
            let section = json!({"P": declaration});
            let (out, errors) = parameters_of(section.clone(), &overrides);
            assert!(errors.is_empty(), "{section}: {errors:?}");
            assert_eq!(out.get("P"), Some(&expected), "{section}");
            assert_eq!(out.len(), 1);
        }
    }

    #[test]
    fn parameter_errors_say_what_and_how() {
        // (declaration of P, overrides, pointer, in the message, in the help)
        let cases: Vec<(Value, Overrides, &str, &str, &str)> = vec![
            (
                json!({"Type": "String"}),
                vec![],
                "/Parameters/P",
                "parameter P has no value",
                "give it a Default, or pass `--parameter-overrides P=value`",
            ),
            (
                json!({"Type": "AWS::SSM::Parameter::Value<String>"}),
                vec![],
                "/Parameters/P",
                "parameter P has no value",
                "pass `--parameter-overrides P=value`",
            ),
            (
                json!({"Type": "Number", "Default": "abc"}),
                vec![],
                "/Parameters/P/Default",
                "parameter P (its Default): `abc` is not a number",
                "--parameter-overrides P=42",
            ),
            (
                json!({"Type": "Number", "Default": 1}),
                vec![("P", "many")],
                "/Parameters/P",
                "(from --parameter-overrides): `many` is not a number",
                "`42`",
            ),
            (
                json!({"Type": "Number", "Default": "NaN"}),
                vec![],
                "/Parameters/P/Default",
                "`NaN` is not a number",
                "`42`",
            ),
            (
                json!({"Type": "List<Number>", "Default": "1,x"}),
                vec![],
                "/Parameters/P/Default",
                "`x` is not a number",
                "`1,2,3`",
            ),
            (
                json!({"Type": "String", "Default": ["a"]}),
                vec![],
                "/Parameters/P/Default",
                "a list is not a string",
                "`text`",
            ),
            (
                json!({"Type": "Strng", "Default": "x"}),
                vec![],
                "/Parameters/P/Type",
                "`Strng` is not a parameter type",
                "did you mean `String`?",
            ),
            (
                json!({"Type": 5, "Default": "x"}),
                vec![],
                "/Parameters/P/Type",
                "must be a string, not a number",
                "`CommaDelimitedList`",
            ),
            (
                json!({"Type": "String", "Defualt": "x", "Default": "y"}),
                vec![],
                "/Parameters/P/Defualt",
                "`Defualt` is not a property of a parameter",
                "did you mean `Default`?",
            ),
            (
                json!("String"),
                vec![],
                "/Parameters/P",
                "must be a mapping of its properties, not a string",
                "P: {Type: String, Default: value}",
            ),
            (
                json!({"Default": "c", "AllowedValues": ["a", "b"]}),
                vec![],
                "/Parameters/P/AllowedValues",
                "parameter P is `c` (its Default), which its AllowedValues do not allow",
                "give one of `a`, `b`",
            ),
            (
                json!({"Default": "a", "AllowedValues": ["a", "b"], "ConstraintDescription": "must be a or b"}),
                vec![("P", "z")],
                "/Parameters/P/AllowedValues",
                "`z` (from --parameter-overrides)",
                "must be a or b",
            ),
            (
                json!({"Type": "CommaDelimitedList", "Default": "a,x", "AllowedValues": ["a", "b"]}),
                vec![],
                "/Parameters/P/AllowedValues",
                "parameter P is `x`",
                "give one of",
            ),
            (
                json!({"Default": "a", "AllowedValues": "a"}),
                vec![],
                "/Parameters/P/AllowedValues",
                "must be a list, not a string",
                "[a, b]",
            ),
            (
                json!({"Default": "ab", "MinLength": 3}),
                vec![],
                "/Parameters/P/MinLength",
                "`ab`, 2 characters long, (its Default), out of its MinLength 3",
                "at least 3 characters",
            ),
            (
                json!({"Default": "abcd", "MaxLength": "3"}),
                vec![],
                "/Parameters/P/MaxLength",
                "out of its MaxLength 3",
                "at most 3 characters",
            ),
            (
                json!({"Type": "Number", "Default": 3, "MinValue": 5}),
                vec![],
                "/Parameters/P/MinValue",
                "parameter P is `3` (its Default), out of its MinValue 5",
                "at least 5",
            ),
            (
                json!({"Type": "List<Number>", "Default": "1,20", "MaxValue": 10, "ConstraintDescription": "ten at most"}),
                vec![],
                "/Parameters/P/MaxValue",
                "is `20`",
                "ten at most",
            ),
            (
                json!({"Type": "Number", "Default": 3, "MinLength": 1}),
                vec![],
                "/Parameters/P/MinLength",
                "MinLength applies to String parameters",
                "use MinValue",
            ),
            (
                json!({"Default": "x", "MaxValue": 1}),
                vec![],
                "/Parameters/P/MaxValue",
                "MaxValue applies to Number and List<Number> parameters",
                "use MaxLength",
            ),
            (
                json!({"Default": "x", "MinLength": "one"}),
                vec![],
                "/Parameters/P/MinLength",
                "must be a whole number, not a string",
                "`MinLength: 1`",
            ),
        ];
        for (declaration, overrides, pointer, message, help) in cases {
            let section = json!({"P": declaration});
            let (out, errors) = parameters_of(section.clone(), &overrides);
            assert_eq!(errors.len(), 1, "{section}: {errors:?}");
            let e = &errors[0];
            assert_eq!(e.pointer, pointer, "{section}");
            assert!(e.message.contains(message), "{section}: {}", e.message);
            let h = e.help.as_deref().unwrap_or_default();
            assert!(h.contains(help), "{section}: {h}");
            assert!(
                out.contains_key("P"),
                "{section}: a parameter in error keeps an entry"
            );
        }
    }

    #[test]
    fn parameters_section_as_a_whole() {
        let (out, errors) = parameters_of(Value::Null, &[("Anything", "x")]);
        assert!(out.is_empty() && errors.is_empty());
        let (out, errors) = parameters_of(json!(["a"]), &[]);
        assert!(out.is_empty());
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].pointer, "/Parameters");
        // An override naming no parameter is no error here, and adds no parameter.
        let (out, errors) = parameters_of(
            json!({"A": {"Default": "1"}, "B/C": {"Type": "Number"}}),
            &[("Hello.Arn", "arn"), ("Other", "x")],
        );
        assert_eq!(out.get("A"), Some(&json!("1")));
        assert_eq!(out.get("B/C"), Some(&json!("B/C")));
        assert_eq!(out.len(), 2);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].pointer, "/Parameters/B~1C");
    }

    fn conditions_of(section: Value) -> (BTreeMap<String, bool>, Vec<Problem>) {
        let f = fixture();
        let none = BTreeMap::new();
        let scope = Scope {
            conditions: &none,
            ..f.scope()
        };
        let mut errors = Vec::new();
        let out = conditions(&section, &scope, &mut errors);
        (out, errors)
    }

    #[test]
    fn conditions_are_evaluated_in_dependence_order() {
        let (out, errors) = conditions_of(json!({
            "AProdOrDev": {"Fn::Or": [{"Condition": "ProdInEu"}, {"Fn::Equals": ["dev", {"Ref": "Env"}]}]},
            "CountIsThree": {"Fn::Equals": [{"Ref": "Count"}, "3"]},
            "InEu": {"Fn::Equals": [{"Ref": "AWS::Region"}, "eu-west-1"]},
            "InUs": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]},
            "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
            "Literal": {"Fn::Equals": ["1", 1]},
            "NotProd": {"Fn::Not": [{"Condition": "IsProd"}]},
            "ProdInEu": {"Fn::And": [{"Condition": "IsProd"}, {"Condition": "InEu"}]},
            "Alias": {"Condition": "InUs"},
            "Nested": {"Fn::And": [{"Fn::Or": [{"Condition": "InUs"}, {"Fn::Not": [{"Condition": "NotProd"}]}]}, {"Condition": "AProdOrDev"}]},
        }));
        assert!(errors.is_empty(), "{errors:?}");
        let expected: BTreeMap<String, bool> = [
            ("AProdOrDev", true),
            ("Alias", false),
            ("CountIsThree", true),
            ("InEu", true),
            ("InUs", false),
            ("IsProd", true),
            ("Literal", true),
            ("Nested", true),
            ("NotProd", false),
            ("ProdInEu", true),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        assert_eq!(out, expected);
    }

    #[test]
    fn condition_errors() {
        // (section, pointer, in the message, in the help, conditions that come out false)
        let cases: Vec<(Value, &str, &str, &str)> = vec![
            (
                json!({"A": {"Fn::Not": [{"Condition": "B"}]}, "B": {"Fn::Not": [{"Condition": "A"}]}}),
                "/Conditions/B/Fn::Not/0/Condition",
                "conditions A → B → A depend on each other",
                "break the cycle",
            ),
            (
                json!({"A": {"Condition": "A"}}),
                "/Conditions/A/Condition",
                "conditions A → A depend on each other",
                "break the cycle",
            ),
            (
                json!({"A": {"Condition": "IsProdd"}, "IsProd": true}),
                "/Conditions/A/Condition",
                "`IsProdd` names no condition",
                "did you mean `IsProd`?",
            ),
            (
                json!({"A": {"Fn::Equals": [{"Ref": "Nope"}, "x"]}}),
                "/Conditions/A/Fn::Equals/0/Ref",
                "`Ref: Nope` in a condition names no parameter",
                "conditions may refer only to parameters and pseudo parameters",
            ),
            (
                json!({"A": {"Fn::Equals": [{"Ref": "Hello"}, "x"]}}),
                "/Conditions/A/Fn::Equals/0/Ref",
                "names no parameter",
                "declare a parameter Hello",
            ),
            (
                json!({"A": {"Fn::Equals": [{"Ref": "Envv"}, "x"]}}),
                "/Conditions/A/Fn::Equals/0/Ref",
                "names no parameter",
                "did you mean `Env`?",
            ),
            (
                json!({"A": {"Fn::Equals": [{"Fn::GetAtt": ["Nothing", "Arn"]}, "x"]}}),
                "/Conditions/A/Fn::Equals/0/Fn::GetAtt",
                "no resource Nothing",
                "Nothing.Arn=value",
            ),
            (
                json!({"A": "yes"}),
                "/Conditions/A",
                "a condition is expected here (true or false), not a string",
                "`Fn::Equals`",
            ),
            (
                json!({"A": {"Fn::If": ["A", true, false]}}),
                "/Conditions/A/Fn::If/0",
                "conditions A → A depend on each other",
                "break the cycle",
            ),
            (
                json!({"A": {"Fn::Equals": ["a"]}}),
                "/Conditions/A/Fn::Equals",
                "takes 2 arguments, not 1",
                "[value, value]",
            ),
            (
                json!(["A"]),
                "/Conditions",
                "must be a mapping of condition names to conditions",
                "Fn::Equals",
            ),
        ];
        for (section, pointer, message, help) in cases {
            let (out, errors) = conditions_of(section.clone());
            assert_eq!(errors.len(), 1, "{section}: {errors:?}");
            let e = &errors[0];
            assert_eq!(e.pointer, pointer, "{section}");
            assert!(e.message.contains(message), "{section}: {}", e.message);
            let h = e.help.as_deref().unwrap_or_default();
            assert!(h.contains(help), "{section}: {h}");
            assert!(!out.get("A").copied().unwrap_or(false), "{section}");
        }
        let (out, errors) = conditions_of(Value::Null);
        assert!(out.is_empty() && errors.is_empty());
    }

    #[test]
    fn conditions_feed_resolve() {
        let mut f = fixture();
        let section = json!({
            "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
            "Big": {"Fn::And": [{"Condition": "IsProd"}, {"Fn::Equals": [{"Ref": "Count"}, 3]}]}
        });
        let mut errors = Vec::new();
        f.conditions = conditions(&section, &f.scope(), &mut errors);
        assert!(errors.is_empty());
        let mut warnings = Vec::new();
        let out = resolve(
            &json!({"Size": {"Fn::If": ["Big", 1024, 128]}, "Debug": {"Fn::If": ["IsProd", {"Ref": "AWS::NoValue"}, "1"]}}),
            "/Resources/Hello/Properties",
            &f.scope(),
            &mut errors,
            &mut warnings,
        );
        assert_eq!(out, Some(json!({"Size": 1024})));
        assert!(errors.is_empty() && warnings.is_empty());
    }

    /// A small deterministic generator (xorshift), for garbage input.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
            from[self.below(from.len())]
        }
    }

    const WORDS: &[&str] = &[
        "",
        "Env",
        "Count",
        "Subnets",
        "Empty",
        "Hello",
        "Hello.Arn",
        "Db",
        "Db.Endpoint.Address",
        "AWS::Region",
        "AWS::NoValue",
        "AWS::Nope",
        "IsProd",
        "IsDev",
        "C0",
        "C1",
        "C2",
        "RegionMap",
        "eu-west-1",
        "Ami",
        "Zones",
        "${Env}",
        "${",
        "${!x}",
        "${}",
        "}",
        "${Hello.Arn",
        "a${Nope}b${Db.X}",
        ",",
        "1",
        "-1",
        "300",
        "2.5",
        "10.0.0.0/16",
        "::/0",
        "0.0.0.0/0",
        "ff00::/8",
        "DefaultValue",
        "é${ü",
        ".",
        "a.",
        ".b",
        "~/",
        "String",
        "Number",
        "CommaDelimitedList",
        "List<Number>",
        "AWS::SSM::Parameter::Value<String>",
    ];

    const KEYS: &[&str] = &[
        "a",
        "Ref",
        "Condition",
        "DefaultValue",
        "Fn::If",
        "x/y~z",
        "Type",
        "Default",
        "AllowedValues",
        "MinLength",
        "MaxValue",
        "C0",
        "C1",
        "C2",
    ];

    fn garbage(rng: &mut Rng, depth: usize) -> Value {
        if depth == 0 || rng.below(4) == 0 {
            return match rng.below(8) {
                0 => Value::Null,
                1 => Value::Bool(rng.below(2) == 0),
                2 => json!(rng.below(300) as i64 - 10),
                3 => json!(rng.below(100) as f64 / 8.0 - 2.0),
                _ => json!(rng.pick(WORDS)),
            };
        }
        let mut names: Vec<&str> = vec!["Ref", "Condition", "Fn::Nope", "Fn::"];
        names.extend(FUNCTIONS);
        match rng.below(5) {
            0 => Value::Array((0..rng.below(5)).map(|_| garbage(rng, depth - 1)).collect()),
            1 => Value::Object(
                (0..rng.below(4))
                    .map(|_| (rng.pick(KEYS).to_string(), garbage(rng, depth - 1)))
                    .collect(),
            ),
            _ => {
                let name = rng.pick(&names).to_string();
                let arg = if rng.below(3) == 0 {
                    garbage(rng, depth - 1)
                } else {
                    Value::Array((0..rng.below(5)).map(|_| garbage(rng, depth - 1)).collect())
                };
                json!({ name: arg })
            }
        }
    }

    #[test]
    fn garbage_never_panics() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let f = fixture();
        let check = |problems: &[Problem]| {
            for p in problems {
                assert!(p.pointer.starts_with('/'), "{p:?}");
                assert!(p.help.as_deref().is_some_and(|h| !h.is_empty()), "{p:?}");
                assert!(!p.message.is_empty(), "{p:?}");
            }
        };
        for _ in 0..600 {
            let value = garbage(&mut rng, 6);
            let (mut errors, mut warnings) = (Vec::new(), Vec::new());
            let _ = resolve(&value, "/G", &f.scope(), &mut errors, &mut warnings);
            check(&errors);
            check(&warnings);

            let section: Map<String, Value> = (0..3)
                .map(|i| (format!("C{i}"), garbage(&mut rng, 4)))
                .collect();
            let mut errors = Vec::new();
            let none = BTreeMap::new();
            let scope = Scope {
                conditions: &none,
                ..f.scope()
            };
            let _ = conditions(&Value::Object(section), &scope, &mut errors);
            check(&errors);

            let mut errors = Vec::new();
            let declarations = json!({"P": garbage(&mut rng, 3), "Q": {"Type": rng.pick(WORDS), "Default": garbage(&mut rng, 2)}});
            let overrides = strings([("Q", rng.pick(WORDS))]);
            let _ = parameters(&declarations, &overrides, &mut errors);
            check(&errors);
        }
    }
}

//! Walking the parsed template: directives, expressions, references, output.

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use crate::ast::{BinOp, Expr, Node, Part, Pos, Reference};
use crate::value::{Heap, TooDeep, Value, num_cmp};
use crate::{Input, Limits, RenderError, RenderErrorKind};

pub(crate) enum Flow {
    Go,
    Break,
    Stop,
}

pub(crate) struct Renderer<'a> {
    pub heap: Heap,
    vars: HashMap<String, Value>,
    steps: u64,
    pub limits: &'a Limits,
    pub input: &'a Input,
    pub body_json: Option<Rc<(serde_json::Value, crate::ojson::OJson)>>,
}

pub(crate) fn err(pos: Pos, kind: RenderErrorKind, message: impl Into<String>) -> RenderError {
    RenderError {
        line: pos.line,
        column: pos.column,
        kind,
        message: message.into(),
    }
}

pub(crate) fn too_deep(pos: Pos) -> impl FnOnce(TooDeep) -> RenderError {
    move |_| {
        err(
            pos,
            RenderErrorKind::Failed,
            "value nests too deeply (or holds itself) to be written out",
        )
    }
}

impl<'a> Renderer<'a> {
    /// `$context` as it is now, as JSON (`null` if it cannot be written).
    pub(crate) fn context(&self) -> serde_json::Value {
        self.vars
            .get("context")
            .and_then(|c| self.heap.to_json(c).ok())
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or(serde_json::Value::Null)
    }

    pub(crate) fn new(
        input: &'a Input,
        context: &serde_json::Value,
        stage_variables: &BTreeMap<String, String>,
        limits: &'a Limits,
    ) -> Self {
        let mut heap = Heap::default();
        let mut vars = HashMap::new();
        let ctx = heap.build_json(context, false);
        vars.insert("context".to_string(), ctx);
        let (id, stage) = heap.new_map();
        for (k, v) in stage_variables {
            heap.maps[id].put(k.as_str().into(), Value::str(v.as_str()));
        }
        vars.insert("stageVariables".to_string(), stage);
        vars.insert("input".to_string(), Value::Input);
        vars.insert("util".to_string(), Value::Util);
        Renderer {
            heap,
            vars,
            steps: 0,
            limits,
            input,
            body_json: None,
        }
    }

    /// Charges `cost` units of work; past the budget the render ends.
    pub(crate) fn step(&mut self, cost: u64, pos: Pos) -> Result<(), RenderError> {
        self.steps = self.steps.saturating_add(cost);
        if self.steps > self.limits.max_steps {
            return Err(err(
                pos,
                RenderErrorKind::BudgetExhausted,
                format!(
                    "template did more than {} steps of work",
                    self.limits.max_steps
                ),
            ));
        }
        Ok(())
    }

    /// Charges for a string about to be built and refuses one longer than the output cap.
    pub(crate) fn charge_string(&mut self, len: usize, pos: Pos) -> Result<(), RenderError> {
        if len > self.limits.max_output_bytes {
            return Err(err(
                pos,
                RenderErrorKind::OutputTooLarge,
                format!("a string grew past {} bytes", self.limits.max_output_bytes),
            ));
        }
        self.step(1 + len as u64 / 64, pos)
    }

    fn emit(&mut self, out: &mut String, s: &str, pos: Pos) -> Result<(), RenderError> {
        if out.len() + s.len() > self.limits.max_output_bytes {
            return Err(err(
                pos,
                RenderErrorKind::OutputTooLarge,
                format!("output grew past {} bytes", self.limits.max_output_bytes),
            ));
        }
        self.step(1 + s.len() as u64 / 64, pos)?;
        out.push_str(s);
        Ok(())
    }

    pub(crate) fn to_string(&self, v: &Value, pos: Pos) -> Result<String, RenderError> {
        self.heap.to_string(v).map_err(too_deep(pos))
    }

    pub(crate) fn render_nodes(
        &mut self,
        nodes: &[Node],
        out: &mut String,
    ) -> Result<Flow, RenderError> {
        for node in nodes {
            match node {
                Node::Text(t) => self.emit(out, t, Pos { line: 0, column: 0 })?,
                Node::Ref(r) => self.render_ref(r, out)?,
                Node::Set(target, value, pos) => {
                    self.step(1, *pos)?;
                    let v = self.eval(value)?;
                    self.assign(target, v)?;
                }
                Node::If(branches, otherwise) => {
                    let mut chosen = otherwise.as_ref();
                    for (cond, body) in branches {
                        if self.cond(cond)? {
                            chosen = Some(body);
                            break;
                        }
                    }
                    if let Some(body) = chosen {
                        match self.render_nodes(body, out)? {
                            Flow::Go => {}
                            other => return Ok(other),
                        }
                    }
                }
                Node::Foreach {
                    var,
                    iter,
                    body,
                    pos,
                } => {
                    if let Flow::Stop = self.foreach(var, iter, body, *pos, out)? {
                        return Ok(Flow::Stop);
                    }
                }
                Node::Break => return Ok(Flow::Break),
                Node::Stop => return Ok(Flow::Stop),
            }
        }
        Ok(Flow::Go)
    }

    fn foreach(
        &mut self,
        var: &str,
        iter: &Expr,
        body: &[Node],
        pos: Pos,
        out: &mut String,
    ) -> Result<Flow, RenderError> {
        let source = self.eval(iter)?;
        let items: Vec<Value> = match source {
            Value::List(id) => self.heap.lists[id].items.clone(),
            Value::Map(id) => self.heap.maps[id].vals.clone(),
            _ => Vec::new(),
        };
        self.step(items.len() as u64 / 16, pos)?;
        let saved = [
            self.vars.get(var).cloned(),
            self.vars.get("foreach").cloned(),
            self.vars.get("velocityCount").cloned(),
        ];
        let total = items.len();
        let mut flow = Flow::Go;
        for (k, item) in items
            .into_iter()
            .take(self.limits.max_foreach_iterations)
            .enumerate()
        {
            self.step(1, pos)?;
            self.vars.insert(var.to_string(), item);
            self.vars.insert(
                "foreach".to_string(),
                Value::Foreach {
                    index: k as i64,
                    has_next: k + 1 < total,
                },
            );
            self.vars
                .insert("velocityCount".to_string(), Value::Int(k as i64 + 1));
            match self.render_nodes(body, out)? {
                Flow::Go => {}
                Flow::Break => break,
                Flow::Stop => {
                    flow = Flow::Stop;
                    break;
                }
            }
        }
        for (name, old) in [var, "foreach", "velocityCount"].into_iter().zip(saved) {
            match old {
                Some(v) => self.vars.insert(name.to_string(), v),
                None => self.vars.remove(name),
            };
        }
        Ok(flow)
    }

    fn render_ref(&mut self, r: &Reference, out: &mut String) -> Result<(), RenderError> {
        self.step(1, r.pos)?;
        let v = self.eval_ref(r)?;
        let prefix = "\\".repeat(r.backslashes / 2);
        let text = if r.backslashes % 2 == 1 {
            if v.is_null() {
                format!("{prefix}\\{}", r.literal)
            } else {
                format!("{prefix}{}", r.literal)
            }
        } else if v.is_null() {
            // An unescaped null keeps all its backslashes.
            let all = "\\".repeat(r.backslashes);
            if r.quiet || self.limits.null_renders_empty {
                all
            } else {
                all + &r.literal
            }
        } else {
            let s = self.to_string(&v, r.pos)?;
            if prefix.is_empty() { s } else { prefix + &s }
        };
        self.emit(out, &text, r.pos)
    }

    /// `#set`: a null right-hand side leaves the target as it was (Velocity 1.7's default).
    fn assign(&mut self, target: &Reference, v: Value) -> Result<(), RenderError> {
        if v.is_null() {
            return Ok(());
        }
        let Some((last, init)) = target.parts.split_last() else {
            self.vars.insert(target.name.clone(), v);
            return Ok(());
        };
        let mut obj = self.vars.get(&target.name).cloned().unwrap_or(Value::Null);
        for part in init {
            if obj.is_null() {
                return Ok(());
            }
            obj = self.apply(&obj, part, target.pos)?;
        }
        match (last, &obj) {
            (Part::Prop(name), Value::Map(id)) => {
                self.heap.maps[*id].put(name.as_str().into(), v);
            }
            (Part::Index(e), Value::Map(id)) => {
                let k = self.eval(e)?;
                let k = self.to_string(&k, target.pos)?;
                self.heap.maps[*id].put(k.into(), v);
            }
            (Part::Index(e), Value::List(id)) => {
                let id = *id;
                if let Value::Int(i) = self.eval(e)? {
                    let len = self.heap.lists[id].items.len() as i64;
                    let i = if i < 0 { i + len } else { i };
                    if i < 0 || i >= len {
                        return Err(err(
                            target.pos,
                            RenderErrorKind::Failed,
                            format!("index {i} out of bounds for length {len}"),
                        ));
                    }
                    self.heap.lists[id].items[i as usize] = v;
                }
            }
            _ => {}
        }
        Ok(())
    }

    pub(crate) fn eval_ref(&mut self, r: &Reference) -> Result<Value, RenderError> {
        let mut cur = self.vars.get(&r.name).cloned().unwrap_or(Value::Null);
        for part in &r.parts {
            if cur.is_null() {
                return Ok(Value::Null);
            }
            self.step(1, r.pos)?;
            cur = self.apply(&cur, part, r.pos)?;
        }
        Ok(cur)
    }

    fn apply(&mut self, cur: &Value, part: &Part, pos: Pos) -> Result<Value, RenderError> {
        match part {
            Part::Prop(name) => self.property(cur, name, pos),
            Part::Call(name, args) => {
                let mut vals = Vec::with_capacity(args.len());
                for a in args {
                    vals.push(self.eval(a)?);
                }
                self.call(cur, name, &vals, pos)
            }
            Part::Index(e) => {
                let idx = self.eval(e)?;
                self.index(cur, &idx, pos)
            }
        }
    }

    fn index(&mut self, cur: &Value, idx: &Value, pos: Pos) -> Result<Value, RenderError> {
        Ok(match (cur, idx) {
            (Value::List(id), Value::Int(i)) => {
                let items = &self.heap.lists[*id].items;
                let len = items.len() as i64;
                let i = if *i < 0 { *i + len } else { *i };
                if i < 0 || i >= len {
                    return Err(err(
                        pos,
                        RenderErrorKind::Failed,
                        format!("index {i} out of bounds for length {len}"),
                    ));
                }
                items[i as usize].clone()
            }
            (Value::Map(id), k) if !k.is_null() => {
                let k = self.to_string(k, pos)?;
                self.heap.maps[*id].get(&k).cloned().unwrap_or(Value::Null)
            }
            _ => Value::Null,
        })
    }

    pub(crate) fn eval(&mut self, e: &Expr) -> Result<Value, RenderError> {
        Ok(match e {
            Expr::Bool(b) => Value::Bool(*b),
            Expr::Int(n) => Value::Int(*n),
            Expr::Float(f) => Value::Float(*f),
            Expr::Str(s) => Value::str(s.as_str()),
            Expr::Interp(nodes) => {
                let mut buf = String::new();
                // #break and #stop inside a string literal end only the string.
                self.render_nodes(nodes, &mut buf)?;
                Value::str(buf)
            }
            Expr::Ref(r) => self.eval_ref(r)?,
            Expr::List(items) => {
                let mut vals = Vec::with_capacity(items.len());
                for i in items {
                    vals.push(self.eval(i)?);
                }
                self.heap.new_list(vals, false)
            }
            Expr::Map(entries) => {
                let (id, m) = self.heap.new_map();
                for (k, v) in entries {
                    let k = self.eval(k)?;
                    let v = self.eval(v)?;
                    let k = self.to_string(&k, Pos { line: 0, column: 0 })?;
                    self.heap.maps[id].put(k.into(), v);
                }
                m
            }
            Expr::Range(a, b, pos) => {
                let (a, b) = (self.eval(a)?, self.eval(b)?);
                let (Some(a), Some(b)) = (range_bound(&a), range_bound(&b)) else {
                    return Ok(Value::Null);
                };
                let len = a.abs_diff(b).saturating_add(1);
                self.step(len, *pos)?;
                let items: Vec<Value> = if a <= b {
                    (a..=b).map(Value::Int).collect()
                } else {
                    (b..=a).rev().map(Value::Int).collect()
                };
                self.heap.new_list(items, false)
            }
            Expr::Not(inner) => Value::Bool(!self.cond(inner)?),
            Expr::Bin(op, l, r, pos) => self.binary(*op, l, r, *pos)?,
        })
    }

    /// Truth as Velocity 1.7 evaluates a condition: a reference by its value (null and false
    /// are false, anything else true), `true`/`false`, comparisons and logic by their result;
    /// any other literal or arithmetic counts as false (`#if('x')`, `#if(1 + 1)` are false).
    fn cond(&mut self, e: &Expr) -> Result<bool, RenderError> {
        Ok(match e {
            Expr::Bool(b) => *b,
            Expr::Ref(r) => truthy(&self.eval_ref(r)?),
            Expr::Not(inner) => !self.cond(inner)?,
            Expr::Bin(
                BinOp::And
                | BinOp::Or
                | BinOp::Eq
                | BinOp::Ne
                | BinOp::Lt
                | BinOp::Gt
                | BinOp::Le
                | BinOp::Ge,
                ..,
            ) => truthy(&self.eval(e)?),
            _ => false,
        })
    }

    fn binary(&mut self, op: BinOp, l: &Expr, r: &Expr, pos: Pos) -> Result<Value, RenderError> {
        self.step(1, pos)?;
        match op {
            BinOp::And => return Ok(Value::Bool(self.cond(l)? && self.cond(r)?)),
            BinOp::Or => return Ok(Value::Bool(self.cond(l)? || self.cond(r)?)),
            _ => {}
        }
        let a = self.eval(l)?;
        let b = self.eval(r)?;
        Ok(match op {
            BinOp::Eq => Value::Bool(self.heap.velocity_eq(&a, &b).map_err(too_deep(pos))?),
            BinOp::Ne => Value::Bool(!self.heap.velocity_eq(&a, &b).map_err(too_deep(pos))?),
            BinOp::Lt | BinOp::Gt | BinOp::Le | BinOp::Ge => {
                let Some(ord) = num_cmp(&a, &b) else {
                    return Ok(Value::Bool(false));
                };
                Value::Bool(match op {
                    BinOp::Lt => ord.is_lt(),
                    BinOp::Gt => ord.is_gt(),
                    BinOp::Le => ord.is_le(),
                    _ => ord.is_ge(),
                })
            }
            _ => self.arith(op, &a, &b, pos)?,
        })
    }

    /// Velocity 1.7 arithmetic: integers stay integers (Java division truncates), any double
    /// makes a double, dividing by zero gives null, `+` with a string concatenates.
    fn arith(&mut self, op: BinOp, a: &Value, b: &Value, pos: Pos) -> Result<Value, RenderError> {
        if a.is_null() || b.is_null() {
            return Ok(Value::Null);
        }
        if op == BinOp::Add && (matches!(a, Value::Str(_)) || matches!(b, Value::Str(_))) {
            let s = self.to_string(a, pos)? + &self.to_string(b, pos)?;
            self.charge_string(s.len(), pos)?;
            return Ok(Value::str(s));
        }
        Ok(match (a, b) {
            (Value::Int(x), Value::Int(y)) => {
                let (x, y) = (*x, *y);
                let r = match op {
                    BinOp::Add => x.checked_add(y),
                    BinOp::Sub => x.checked_sub(y),
                    BinOp::Mul => x.checked_mul(y),
                    BinOp::Div if y == 0 => return Ok(Value::Null),
                    BinOp::Div => x.checked_div(y),
                    BinOp::Mod if y == 0 => return Ok(Value::Null),
                    _ => x.checked_rem(y),
                };
                match r {
                    Some(n) => Value::Int(n),
                    None => float_op(op, x as f64, y as f64),
                }
            }
            _ => match (a.as_f64(), b.as_f64()) {
                (Some(x), Some(y)) => {
                    if matches!(op, BinOp::Div | BinOp::Mod) && y == 0.0 {
                        return Ok(Value::Null);
                    }
                    float_op(op, x, y)
                }
                _ => Value::Null,
            },
        })
    }

    /// A `String` argument, as Java's method lookup would demand it.
    pub(crate) fn string_arg(&self, v: &Value) -> Option<Rc<str>> {
        match v {
            Value::Str(s) => Some(s.clone()),
            _ => None,
        }
    }
}

fn float_op(op: BinOp, x: f64, y: f64) -> Value {
    Value::Float(match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::Div => x / y,
        _ => x % y,
    })
}

fn range_bound(v: &Value) -> Option<i64> {
    match v {
        Value::Int(n) => Some(*n),
        Value::Float(f) if f.is_finite() => Some(f.trunc() as i64),
        _ => None,
    }
}

/// A value's truth in Velocity 1.7: null and false are false, everything else (even "") is true.
pub(crate) fn truthy(v: &Value) -> bool {
    !matches!(v, Value::Null | Value::Bool(false))
}

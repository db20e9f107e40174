//! Template source to [`Node`]s: one hand-written pass, Velocity 1.7's lexical rules.
//!
//! Whitespace follows Velocity 1.7: `#set(...)`, `#if(...)`, `#elseif(...)`, `#foreach(...)`,
//! `#else` and `#end` eat the rest of their line when only spaces or tabs stand before its
//! newline; the indentation before them stays, except that `#set` takes the spaces and tabs
//! right before it when they follow a reference, directive or comment rather than text;
//! `##` comments eat their newline.

use crate::ParseError;
use crate::ast::{BinOp, Expr, Node, Part, Pos, Reference};

/// Deepest nesting of blocks, brackets and interpolated strings a template may use.
const MAX_DEPTH: usize = 100;

const UNSUPPORTED: &[&str] = &["macro", "define", "include", "parse", "evaluate"];
const DIRECTIVES: &[&str] = &[
    "set", "if", "elseif", "else", "end", "foreach", "break", "stop", "macro", "define", "include",
    "parse", "evaluate",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Block {
    Top,
    If,
    Else,
    Foreach,
}

enum Ending {
    Eof,
    End,
    Else,
    ElseIf(Expr),
}

pub(crate) fn parse(src: &str) -> Result<Vec<Node>, ParseError> {
    Parser::new(src, Pos { line: 1, column: 1 }, 0).template()
}

struct Parser {
    s: Vec<char>,
    i: usize,
    line_starts: Vec<usize>,
    base: Pos,
    depth: usize,
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

impl Parser {
    fn new(src: &str, base: Pos, depth: usize) -> Self {
        let s: Vec<char> = src.chars().collect();
        let mut line_starts = vec![0];
        for (k, c) in s.iter().enumerate() {
            if *c == '\n' {
                line_starts.push(k + 1);
            }
        }
        Parser {
            s,
            i: 0,
            line_starts,
            base,
            depth,
        }
    }

    fn pos_at(&self, i: usize) -> Pos {
        let line = self.line_starts.partition_point(|&st| st <= i).max(1);
        let col = i - self.line_starts[line - 1] + 1;
        if line == 1 {
            Pos {
                line: self.base.line,
                column: self.base.column + col as u32 - 1,
            }
        } else {
            Pos {
                line: self.base.line + line as u32 - 1,
                column: col as u32,
            }
        }
    }

    fn err<T>(&self, i: usize, message: impl Into<String>) -> Result<T, ParseError> {
        let p = self.pos_at(i);
        Err(ParseError {
            line: p.line,
            column: p.column,
            message: message.into(),
        })
    }

    fn at(&self, k: usize) -> Option<char> {
        self.s.get(self.i + k).copied()
    }

    fn starts_with(&self, at: usize, lit: &str) -> bool {
        lit.chars()
            .enumerate()
            .all(|(k, c)| self.s.get(at + k) == Some(&c))
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.err(self.i, format!("nesting deeper than {MAX_DEPTH} levels"));
        }
        Ok(())
    }

    fn template(mut self) -> Result<Vec<Node>, ParseError> {
        let (nodes, ending) = self.block(Block::Top)?;
        match ending {
            Ending::Eof => Ok(nodes),
            _ => unreachable_ending(&self),
        }
    }

    /// Does a reference start at `at` (`$`, `$!`, `${`, `$!{` then an identifier)?
    fn ref_starts(&self, at: usize) -> bool {
        let mut k = at + 1;
        if self.s.get(k) == Some(&'!') {
            k += 1;
        }
        if self.s.get(k) == Some(&'{') {
            k += 1;
        }
        self.s.get(k).is_some_and(|c| is_ident_start(*c))
    }

    /// A directive name at `at` (which holds `#`): its name and its length in characters.
    fn directive_at(&self, at: usize) -> Option<(String, usize)> {
        if self.s.get(at) != Some(&'#') {
            return None;
        }
        let mut k = at + 1;
        let braced = self.s.get(k) == Some(&'{');
        if braced {
            k += 1;
        }
        let start = k;
        while self
            .s
            .get(k)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
        {
            k += 1;
        }
        let name: String = self.s[start..k].iter().collect();
        if braced {
            if self.s.get(k) != Some(&'}') {
                return None;
            }
            k += 1;
        }
        DIRECTIVES
            .contains(&name.as_str())
            .then_some((name, k - at))
    }

    fn block(&mut self, kind: Block) -> Result<(Vec<Node>, Ending), ParseError> {
        self.enter()?;
        let mut nodes = Vec::new();
        let mut buf = String::new();
        let ending = loop {
            let Some(c) = self.at(0) else {
                break Ending::Eof;
            };
            match c {
                '\\' => {
                    let n = self.s[self.i..].iter().take_while(|c| **c == '\\').count();
                    let after = self.i + n;
                    if self.s.get(after) == Some(&'$') && self.ref_starts(after) {
                        flush(&mut buf, &mut nodes);
                        self.i = after;
                        let r = self.reference(n)?;
                        nodes.push(Node::Ref(Box::new(r)));
                    } else if let Some((_, len)) = self.directive_at(after) {
                        buf.extend(std::iter::repeat_n('\\', n / 2));
                        if n % 2 == 1 {
                            buf.extend(&self.s[after..after + len]);
                            self.i = after + len;
                        } else {
                            self.i = after;
                        }
                    } else {
                        buf.extend(std::iter::repeat_n('\\', n));
                        self.i = after;
                    }
                }
                '$' => {
                    if self.ref_starts(self.i) {
                        flush(&mut buf, &mut nodes);
                        let r = self.reference(0)?;
                        nodes.push(Node::Ref(Box::new(r)));
                    } else {
                        buf.push('$');
                        self.i += 1;
                    }
                }
                '#' => {
                    if let Some(ending) = self.hash(kind, &mut buf, &mut nodes)? {
                        break ending;
                    }
                }
                _ => {
                    buf.push(c);
                    self.i += 1;
                }
            }
        };
        flush(&mut buf, &mut nodes);
        self.depth -= 1;
        Ok((nodes, ending))
    }

    /// At a `#`: comments, unparsed content, directives, or a plain `#`.
    fn hash(
        &mut self,
        kind: Block,
        buf: &mut String,
        nodes: &mut Vec<Node>,
    ) -> Result<Option<Ending>, ParseError> {
        let start = self.i;
        match self.at(1) {
            None => {
                return self.err(
                    start,
                    "a template cannot end with a lone '#' (Velocity refuses it)",
                );
            }
            Some('#') => {
                flush(buf, nodes);
                while let Some(c) = self.at(0) {
                    self.i += 1;
                    if c == '\n' {
                        break;
                    }
                }
                return Ok(None);
            }
            Some('*') => {
                flush(buf, nodes);
                let mut k = self.i + 2;
                while k + 1 < self.s.len() && !(self.s[k] == '*' && self.s[k + 1] == '#') {
                    k += 1;
                }
                if k + 1 >= self.s.len() {
                    return self.err(start, "unterminated #* comment (no closing *#)");
                }
                self.i = k + 2;
                return Ok(None);
            }
            Some('[') if self.at(2) == Some('[') => {
                let mut k = self.i + 3;
                while k < self.s.len() && !self.starts_with(k, "]]#") {
                    k += 1;
                }
                if k >= self.s.len() {
                    return self.err(start, "unterminated #[[ block (no closing ]]#)");
                }
                buf.extend(&self.s[self.i + 3..k]);
                flush(buf, nodes);
                self.i = k + 3;
                return Ok(None);
            }
            _ => {}
        }
        let Some((name, len)) = self.directive_at(start) else {
            buf.push('#');
            self.i += 1;
            return Ok(None);
        };
        self.i += len;
        match name.as_str() {
            "set" => {
                // Velocity's #set token takes the spaces before it when they follow another
                // token (a reference, a directive, a comment) rather than text.
                if buf.chars().all(|c| c == ' ' || c == '\t') {
                    buf.clear();
                }
                flush(buf, nodes);
                let pos = self.pos_at(start);
                self.open_paren(&name, start)?;
                self.ws();
                if self.at(0) != Some('$') || !self.ref_starts(self.i) {
                    return self.err(
                        self.i,
                        "#set needs a reference on its left, as in #set($x = 1)",
                    );
                }
                let target = self.reference(0)?;
                self.ws();
                if self.at(0) != Some('=') {
                    return self.err(self.i, "#set needs '=' after its reference");
                }
                self.i += 1;
                let value = self.expr()?;
                self.close_paren(&name, start)?;
                self.eat_line_end();
                nodes.push(Node::Set(Box::new(target), value, pos));
            }
            "if" => {
                flush(buf, nodes);
                let cond = self.condition(&name, start)?;
                let mut branches = Vec::new();
                let mut otherwise = None;
                let (body, mut ending) = self.block(Block::If)?;
                branches.push((cond, body));
                loop {
                    match ending {
                        Ending::End => break,
                        Ending::ElseIf(c) => {
                            let (body, e) = self.block(Block::If)?;
                            branches.push((c, body));
                            ending = e;
                        }
                        Ending::Else => {
                            let (body, e) = self.block(Block::Else)?;
                            otherwise = Some(body);
                            if !matches!(e, Ending::End) {
                                return self.err(start, "#if ... #else without #end");
                            }
                            break;
                        }
                        Ending::Eof => return self.err(start, "#if without #end"),
                    }
                }
                nodes.push(Node::If(branches, otherwise));
            }
            "elseif" => {
                if kind != Block::If {
                    return self.err(start, "#elseif without a matching #if");
                }
                let cond = self.condition(&name, start)?;
                return Ok(Some(Ending::ElseIf(cond)));
            }
            "else" => {
                if kind != Block::If {
                    return self.err(start, "#else without a matching #if");
                }
                self.eat_line_end();
                return Ok(Some(Ending::Else));
            }
            "end" => {
                if kind == Block::Top {
                    return self.err(start, "#end without a matching #if or #foreach");
                }
                self.eat_line_end();
                return Ok(Some(Ending::End));
            }
            "foreach" => {
                flush(buf, nodes);
                let pos = self.pos_at(start);
                self.open_paren(&name, start)?;
                self.ws();
                if self.at(0) != Some('$') {
                    return self.err(
                        self.i,
                        "#foreach needs a loop variable, as in #foreach($x in $list)",
                    );
                }
                self.i += 1;
                let formal = self.at(0) == Some('{');
                if formal {
                    self.i += 1;
                }
                let var = self.ident();
                if var.is_empty() {
                    return self.err(self.i, "#foreach needs a loop variable name");
                }
                if formal {
                    if self.at(0) != Some('}') {
                        return self.err(self.i, "expected '}'");
                    }
                    self.i += 1;
                }
                self.ws();
                if !self.starts_with(self.i, "in") || self.at(2).is_some_and(is_ident_char) {
                    return self.err(self.i, "#foreach needs 'in', as in #foreach($x in $list)");
                }
                self.i += 2;
                let iter = self.expr()?;
                self.close_paren(&name, start)?;
                self.eat_line_end();
                let (body, ending) = self.block(Block::Foreach)?;
                if !matches!(ending, Ending::End) {
                    return self.err(start, "#foreach without #end");
                }
                nodes.push(Node::Foreach {
                    var,
                    iter,
                    body,
                    pos,
                });
            }
            "break" => {
                flush(buf, nodes);
                nodes.push(Node::Break);
            }
            "stop" => {
                flush(buf, nodes);
                nodes.push(Node::Stop);
            }
            other => {
                debug_assert!(UNSUPPORTED.contains(&other));
                return self.err(
                    start,
                    format!("#{other} is not supported by this VTL engine (API Gateway templates rarely need it)"),
                );
            }
        }
        Ok(None)
    }

    fn condition(&mut self, name: &str, start: usize) -> Result<Expr, ParseError> {
        self.open_paren(name, start)?;
        let cond = self.expr()?;
        self.close_paren(name, start)?;
        self.eat_line_end();
        Ok(cond)
    }

    fn open_paren(&mut self, name: &str, start: usize) -> Result<(), ParseError> {
        while matches!(self.at(0), Some(' ' | '\t')) {
            self.i += 1;
        }
        if self.at(0) != Some('(') {
            return self.err(start, format!("#{name} needs '(' after its name"));
        }
        self.i += 1;
        Ok(())
    }

    fn close_paren(&mut self, name: &str, start: usize) -> Result<(), ParseError> {
        self.ws();
        if self.at(0) != Some(')') {
            if self.at(0).is_none() {
                return self.err(start, format!("#{name}( is never closed"));
            }
            return self.err(self.i, format!("expected ')' to close #{name}("));
        }
        self.i += 1;
        Ok(())
    }

    /// After a directive: spaces or tabs then a newline are eaten; anything else stays.
    fn eat_line_end(&mut self) {
        let mut k = self.i;
        while matches!(self.s.get(k), Some(' ' | '\t')) {
            k += 1;
        }
        match self.s.get(k) {
            Some('\n') => self.i = k + 1,
            Some('\r') => {
                self.i = k + 1;
                if self.s.get(k + 1) == Some(&'\n') {
                    self.i += 1;
                }
            }
            _ => {}
        }
    }

    /// Whitespace inside directive arguments and expressions.
    fn ws(&mut self) {
        while matches!(self.at(0), Some(' ' | '\t' | '\n' | '\r')) {
            self.i += 1;
        }
    }

    fn ident(&mut self) -> String {
        let start = self.i;
        if !self.at(0).is_some_and(is_ident_start) {
            return String::new();
        }
        while self.at(0).is_some_and(is_ident_char) {
            self.i += 1;
        }
        self.s[start..self.i].iter().collect()
    }

    /// A reference at `$`; `backslashes` counts the ones before it (already consumed).
    fn reference(&mut self, backslashes: usize) -> Result<Reference, ParseError> {
        let start = self.i;
        self.i += 1;
        let quiet = self.at(0) == Some('!');
        if quiet {
            self.i += 1;
        }
        let formal = self.at(0) == Some('{');
        if formal {
            self.i += 1;
        }
        let name = self.ident();
        let mut parts = Vec::new();
        loop {
            match self.at(0) {
                Some('.') if self.at(1).is_some_and(is_ident_start) => {
                    self.i += 1;
                    let member = self.ident();
                    if self.at(0) == Some('(') {
                        let args = self.args()?;
                        parts.push(Part::Call(member, args));
                    } else {
                        parts.push(Part::Prop(member));
                    }
                }
                Some('[') => {
                    let save = self.i;
                    self.i += 1;
                    let index = self.expr().and_then(|e| {
                        self.ws();
                        if self.at(0) == Some(']') {
                            self.i += 1;
                            Ok(e)
                        } else {
                            self.err(self.i, "expected ']'")
                        }
                    });
                    match index {
                        Ok(e) => parts.push(Part::Index(e)),
                        Err(_) => {
                            self.i = save;
                            break;
                        }
                    }
                }
                _ => break,
            }
        }
        if formal {
            if self.at(0) != Some('}') {
                return self.err(self.i, "expected '}' to close ${");
            }
            self.i += 1;
        }
        Ok(Reference {
            name,
            parts,
            quiet,
            literal: self.s[start..self.i].iter().collect(),
            backslashes,
            pos: self.pos_at(start),
        })
    }

    fn args(&mut self) -> Result<Vec<Expr>, ParseError> {
        let open = self.i;
        self.i += 1;
        self.enter()?;
        let mut args = Vec::new();
        self.ws();
        if self.at(0) == Some(')') {
            self.i += 1;
            self.depth -= 1;
            return Ok(args);
        }
        loop {
            args.push(self.expr()?);
            self.ws();
            match self.at(0) {
                Some(',') => self.i += 1,
                Some(')') => {
                    self.i += 1;
                    break;
                }
                None => return self.err(open, "method call '(' is never closed"),
                _ => return self.err(self.i, "expected ',' or ')' in method arguments"),
            }
        }
        self.depth -= 1;
        Ok(args)
    }

    pub(crate) fn expr(&mut self) -> Result<Expr, ParseError> {
        self.enter()?;
        let e = self.binary(0);
        self.depth -= 1;
        e
    }

    /// The operator at the cursor for precedence `level`, without consuming it.
    fn operator(&self, level: usize) -> Option<(BinOp, usize)> {
        let sym = |lit: &str, op: BinOp| self.starts_with(self.i, lit).then_some((op, lit.len()));
        let word = |lit: &str, op: BinOp| {
            (self.starts_with(self.i, lit)
                && !self
                    .s
                    .get(self.i + lit.len())
                    .is_some_and(|c| is_ident_char(*c)))
            .then_some((op, lit.len()))
        };
        match level {
            0 => sym("||", BinOp::Or).or_else(|| word("or", BinOp::Or)),
            1 => sym("&&", BinOp::And).or_else(|| word("and", BinOp::And)),
            2 => sym("==", BinOp::Eq)
                .or_else(|| sym("!=", BinOp::Ne))
                .or_else(|| word("eq", BinOp::Eq))
                .or_else(|| word("ne", BinOp::Ne)),
            3 => sym("<=", BinOp::Le)
                .or_else(|| sym(">=", BinOp::Ge))
                .or_else(|| sym("<", BinOp::Lt))
                .or_else(|| sym(">", BinOp::Gt))
                .or_else(|| word("le", BinOp::Le))
                .or_else(|| word("ge", BinOp::Ge))
                .or_else(|| word("lt", BinOp::Lt))
                .or_else(|| word("gt", BinOp::Gt)),
            4 => sym("+", BinOp::Add).or_else(|| sym("-", BinOp::Sub)),
            _ => sym("*", BinOp::Mul)
                .or_else(|| sym("/", BinOp::Div))
                .or_else(|| sym("%", BinOp::Mod)),
        }
    }

    fn binary(&mut self, level: usize) -> Result<Expr, ParseError> {
        if level > 5 {
            return self.unary();
        }
        let mut left = self.binary(level + 1)?;
        loop {
            self.ws();
            let Some((op, len)) = self.operator(level) else {
                return Ok(left);
            };
            let pos = self.pos_at(self.i);
            self.i += len;
            let right = self.binary(level + 1)?;
            left = Expr::Bin(op, Box::new(left), Box::new(right), pos);
        }
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        self.ws();
        let not = if self.at(0) == Some('!') && self.at(1) != Some('=') {
            Some(1)
        } else if self.starts_with(self.i, "not") && !self.at(3).is_some_and(is_ident_char) {
            Some(3)
        } else {
            None
        };
        if let Some(len) = not {
            self.i += len;
            self.enter()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        self.ws();
        let start = self.i;
        let Some(c) = self.at(0) else {
            return self.err(start, "expression expected, found the end of the template");
        };
        match c {
            '$' if self.ref_starts(start) => Ok(Expr::Ref(Box::new(self.reference(0)?))),
            '0'..='9' => self.number(),
            '-' if self.at(1).is_some_and(|c| c.is_ascii_digit()) => self.number(),
            '"' | '\'' => self.string(c),
            '[' => {
                self.i += 1;
                self.enter()?;
                self.ws();
                let e = if self.at(0) == Some(']') {
                    self.i += 1;
                    Expr::List(Vec::new())
                } else {
                    let first = self.expr()?;
                    self.ws();
                    if self.starts_with(self.i, "..") {
                        let pos = self.pos_at(self.i);
                        self.i += 2;
                        let last = self.expr()?;
                        self.ws();
                        if self.at(0) != Some(']') {
                            return self.err(self.i, "expected ']' to close the range");
                        }
                        self.i += 1;
                        Expr::Range(Box::new(first), Box::new(last), pos)
                    } else {
                        let mut items = vec![first];
                        loop {
                            self.ws();
                            match self.at(0) {
                                Some(',') => {
                                    self.i += 1;
                                    items.push(self.expr()?);
                                }
                                Some(']') => {
                                    self.i += 1;
                                    break;
                                }
                                _ => return self.err(self.i, "expected ',' or ']' in the list"),
                            }
                        }
                        Expr::List(items)
                    }
                };
                self.depth -= 1;
                Ok(e)
            }
            '{' => {
                self.i += 1;
                self.enter()?;
                let mut entries = Vec::new();
                self.ws();
                if self.at(0) == Some('}') {
                    self.i += 1;
                } else {
                    loop {
                        let k = self.expr()?;
                        self.ws();
                        if self.at(0) != Some(':') {
                            return self.err(self.i, "expected ':' after a map key");
                        }
                        self.i += 1;
                        let v = self.expr()?;
                        entries.push((k, v));
                        self.ws();
                        match self.at(0) {
                            Some(',') => self.i += 1,
                            Some('}') => {
                                self.i += 1;
                                break;
                            }
                            _ => return self.err(self.i, "expected ',' or '}' in the map"),
                        }
                    }
                }
                self.depth -= 1;
                Ok(Expr::Map(entries))
            }
            '(' => {
                self.i += 1;
                let e = self.expr()?;
                self.ws();
                if self.at(0) != Some(')') {
                    return self.err(self.i, "expected ')'");
                }
                self.i += 1;
                Ok(e)
            }
            _ if is_ident_start(c) => {
                let w = self.ident();
                match w.as_str() {
                    "true" => Ok(Expr::Bool(true)),
                    "false" => Ok(Expr::Bool(false)),
                    _ => self.err(start, format!("unexpected '{w}' in an expression")),
                }
            }
            _ => self.err(start, format!("unexpected '{c}' in an expression")),
        }
    }

    fn number(&mut self) -> Result<Expr, ParseError> {
        let start = self.i;
        if self.at(0) == Some('-') {
            self.i += 1;
        }
        while self.at(0).is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        let mut float = false;
        if self.at(0) == Some('.') && self.at(1).is_some_and(|c| c.is_ascii_digit()) {
            float = true;
            self.i += 1;
            while self.at(0).is_some_and(|c| c.is_ascii_digit()) {
                self.i += 1;
            }
        }
        if matches!(self.at(0), Some('e' | 'E')) {
            let mut k = 1;
            if matches!(self.at(1), Some('+' | '-')) {
                k = 2;
            }
            if self.at(k).is_some_and(|c| c.is_ascii_digit()) {
                float = true;
                self.i += k;
                while self.at(0).is_some_and(|c| c.is_ascii_digit()) {
                    self.i += 1;
                }
            }
        }
        let text: String = self.s[start..self.i].iter().collect();
        if float {
            match text.parse::<f64>() {
                Ok(f) => Ok(Expr::Float(f)),
                Err(_) => self.err(start, format!("bad number {text}")),
            }
        } else {
            match text.parse::<i64>() {
                Ok(n) => Ok(Expr::Int(n)),
                Err(_) => self.err(start, format!("integer {text} is too large")),
            }
        }
    }

    /// A string literal: a doubled quote stands for one; a backslash is an ordinary character
    /// (Velocity 1.7 keeps `"\n"` as backslash-n and refuses `"\""`).
    fn string(&mut self, quote: char) -> Result<Expr, ParseError> {
        let start = self.i;
        self.i += 1;
        let mut raw = String::new();
        loop {
            let Some(c) = self.at(0) else {
                return self.err(start, "unterminated string literal");
            };
            if c == quote {
                if self.at(1) == Some(quote) {
                    raw.push(quote);
                    self.i += 2;
                    continue;
                }
                self.i += 1;
                break;
            }
            raw.push(c);
            self.i += 1;
        }
        if quote == '"' && (raw.contains('$') || raw.contains('#')) {
            let base = self.pos_at(start + 1);
            let sub = Parser::new(&raw, base, self.depth + 1);
            if sub.depth > MAX_DEPTH {
                return self.err(start, format!("nesting deeper than {MAX_DEPTH} levels"));
            }
            return Ok(Expr::Interp(sub.template()?));
        }
        Ok(Expr::Str(raw))
    }
}

fn unreachable_ending<T>(p: &Parser) -> Result<T, ParseError> {
    p.err(p.i, "unexpected block ending")
}

fn flush(buf: &mut String, nodes: &mut Vec<Node>) {
    if !buf.is_empty() {
        nodes.push(Node::Text(std::mem::take(buf)));
    }
}

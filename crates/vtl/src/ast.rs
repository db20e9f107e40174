//! The parsed form of a template.

/// A place in the template source: 1-based line and column (columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Clone)]
pub(crate) enum Node {
    Text(String),
    Ref(Box<Reference>),
    Set(Box<Reference>, Expr, Pos),
    If(Vec<(Expr, Vec<Node>)>, Option<Vec<Node>>),
    Foreach {
        var: String,
        iter: Expr,
        body: Vec<Node>,
        pos: Pos,
    },
    Break,
    Stop,
}

/// `$name.prop.call(args)[index]`, as written.
#[derive(Debug, Clone)]
pub(crate) struct Reference {
    pub name: String,
    pub parts: Vec<Part>,
    /// `$!name`: renders nothing when null.
    pub quiet: bool,
    /// The source text (without leading backslashes): what a null reference renders as.
    pub literal: String,
    /// How many backslashes stood right before the `$`.
    pub backslashes: usize,
    pub pos: Pos,
}

#[derive(Debug, Clone)]
pub(crate) enum Part {
    Prop(String),
    Call(String, Vec<Expr>),
    Index(Expr),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

#[derive(Debug, Clone)]
pub(crate) enum Expr {
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A single-quoted string, or a double-quoted one with nothing to interpolate.
    Str(String),
    /// A double-quoted string holding `$` or `#`: rendered as a template.
    Interp(Vec<Node>),
    Ref(Box<Reference>),
    List(Vec<Expr>),
    Map(Vec<(Expr, Expr)>),
    Range(Box<Expr>, Box<Expr>, Pos),
    Not(Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>, Pos),
}

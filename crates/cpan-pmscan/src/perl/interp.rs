//! The evaluator: runs a syntax tree over Perl scalars in a sandbox with nothing defined,
//! like PAUSE's Safe compartment.

use std::collections::HashMap;

use cpan_version::Version;

use super::ast::{Decl, Expr, Part, RegexLit, Stmt};
use super::parser::{parse_program, ParseError};
use super::sprintf::sprintf;
use super::value::{str_to_num, Num, Sv};

/// How evaluation stopped early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flow {
    /// Perl dies with this message (an `eval` catches it).
    Die(String),
    /// Outside the subset; nothing can be said about what Perl does.
    Unsupported(String),
}

type R<T> = Result<T, Flow>;

impl From<ParseError> for Flow {
    fn from(e: ParseError) -> Flow {
        match e {
            ParseError::Dies(m) => Flow::Die(m),
            ParseError::Unsupported(m) => Flow::Unsupported(m),
        }
    }
}

fn unsupported<T>(what: impl Into<String>) -> R<T> {
    Err(Flow::Unsupported(what.into()))
}

/// Work budget: evaluation steps, string length, nesting of string evals.
const MAX_STEPS: usize = 100_000;
const MAX_STRING: usize = 1 << 20;
const MAX_EVAL_DEPTH: usize = 4;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Scalar,
    List,
}

#[derive(Clone, Debug)]
enum Binding {
    Lexical(usize),
    Our(String),
}

#[derive(Default)]
struct Scope {
    names: HashMap<String, Binding>,
    package: Option<String>,
    /// Globals saved by `local`, restored when the scope ends.
    saved: Vec<(String, Option<Slot>)>,
}

#[derive(Clone, Debug)]
enum Slot {
    Scalar(Sv),
    Array(Vec<Sv>),
}

/// The interpreter state: package variables, lexical scopes, the last match's captures.
pub struct Interp {
    globals: HashMap<String, Slot>,
    lexicals: Vec<Slot>,
    scopes: Vec<Scope>,
    captures: Vec<Option<String>>,
    eval_error: String,
    steps: usize,
    eval_depth: usize,
}

fn is_special_package_var(fq: &str) -> bool {
    // Namespaces PAUSE shares into the compartment hold real values we do not model.
    fq.starts_with("version::") || fq.starts_with("Exporter::") || fq.starts_with("DynaLoader::")
}

impl Interp {
    /// A fresh sandbox whose current package is `package`.
    pub fn new(package: &str) -> Interp {
        Interp {
            globals: HashMap::new(),
            lexicals: Vec::new(),
            scopes: vec![Scope {
                package: Some(package.to_string()),
                ..Scope::default()
            }],
            captures: Vec::new(),
            eval_error: String::new(),
            steps: 0,
            eval_depth: 0,
        }
    }

    fn tick(&mut self) -> R<()> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return unsupported("evaluation budget exhausted");
        }
        Ok(())
    }

    fn package(&self) -> String {
        self.scopes
            .iter()
            .rev()
            .find_map(|s| s.package.clone())
            .unwrap_or_else(|| "main".to_string())
    }

    /// The fully qualified name of a package variable written `name` in the current package.
    pub fn qualify(&self, name: &str) -> String {
        let name = name.replace('\'', "::");
        if let Some(rest) = name.strip_prefix("::") {
            return format!("main::{rest}");
        }
        if name.contains("::") {
            return name;
        }
        // Perl forces these names into main::.
        if matches!(
            name.as_str(),
            "ENV" | "INC" | "ARGV" | "STDIN" | "STDOUT" | "STDERR" | "_"
        ) {
            return format!("main::{name}");
        }
        format!("{}::{name}", self.package())
    }

    fn push_scope(&mut self) {
        self.scopes.push(Scope::default());
    }

    fn pop_scope(&mut self) {
        if let Some(scope) = self.scopes.pop() {
            for (key, old) in scope.saved.into_iter().rev() {
                match old {
                    Some(v) => {
                        self.globals.insert(key, v);
                    }
                    None => {
                        self.globals.remove(&key);
                    }
                }
            }
        }
    }

    fn lookup(&self, key: &str) -> Option<Binding> {
        self.scopes
            .iter()
            .rev()
            .find_map(|s| s.names.get(key).cloned())
    }

    /// Where the scalar `$name` lives: a lexical slot or a global key.
    fn scalar_place(&self, name: &str) -> R<Place> {
        if name.chars().all(|c| c.is_ascii_digit()) {
            return Ok(Place::Capture(name.parse().unwrap_or(0)));
        }
        if name == "@" {
            return Ok(Place::EvalError);
        }
        if name == "&" {
            return unsupported("$&");
        }
        if !name.contains("::") && !name.contains('\'') {
            match self.lookup(&format!("${name}")) {
                Some(Binding::Lexical(i)) => return Ok(Place::Lexical(i)),
                Some(Binding::Our(fq)) => return Ok(Place::Global(format!("${fq}"))),
                None => {}
            }
        }
        let fq = self.qualify(name);
        let key = format!("${fq}");
        // A shared variable is known once this evaluation has set it: the template localises
        // and clears the variable being assigned (`$Exporter::Easy::VERSION = '0.18'`).
        if is_special_package_var(&fq) && !self.globals.contains_key(&key) {
            return unsupported(format!("${fq} is shared with the real Perl"));
        }
        Ok(Place::Global(key))
    }

    fn array_place(&self, name: &str) -> R<Place> {
        if !name.contains("::") {
            match self.lookup(&format!("@{name}")) {
                Some(Binding::Lexical(i)) => return Ok(Place::Lexical(i)),
                Some(Binding::Our(fq)) => return Ok(Place::Global(format!("@{fq}"))),
                None => {}
            }
        }
        let fq = self.qualify(name);
        if is_special_package_var(&fq) || fq == "main::_" || fq == "main::ARGV" {
            return unsupported(format!("@{fq}"));
        }
        Ok(Place::Global(format!("@{fq}")))
    }

    fn read_scalar(&self, place: &Place) -> Sv {
        match place {
            Place::Capture(n) => match n.checked_sub(1).and_then(|i| self.captures.get(i)) {
                Some(Some(s)) => Sv::Str(s.clone()),
                _ => Sv::Undef,
            },
            Place::EvalError => Sv::Str(self.eval_error.clone()),
            Place::Lexical(i) => match self.lexicals.get(*i) {
                Some(Slot::Scalar(v)) => v.clone(),
                _ => Sv::Undef,
            },
            Place::Global(k) => match self.globals.get(k) {
                Some(Slot::Scalar(v)) => v.clone(),
                _ => Sv::Undef,
            },
        }
    }

    fn read_array(&self, place: &Place) -> Vec<Sv> {
        match place {
            Place::Lexical(i) => match self.lexicals.get(*i) {
                Some(Slot::Array(v)) => v.clone(),
                _ => Vec::new(),
            },
            Place::Global(k) => match self.globals.get(k) {
                Some(Slot::Array(v)) => v.clone(),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        }
    }

    fn write(&mut self, place: &Place, value: Slot) -> R<()> {
        match place {
            Place::Lexical(i) => {
                if let Some(slot) = self.lexicals.get_mut(*i) {
                    *slot = value;
                }
                Ok(())
            }
            Place::Global(k) => {
                self.globals.insert(k.clone(), value);
                Ok(())
            }
            Place::Capture(_) => Err(Flow::Die(
                "Modification of a read-only value attempted".into(),
            )),
            Place::EvalError => {
                if let Slot::Scalar(v) = value {
                    self.eval_error = v.to_str();
                }
                Ok(())
            }
        }
    }

    fn declare(&mut self, decl: Decl, target: &Expr) -> R<Vec<Target>> {
        let items: Vec<&Expr> = match target {
            Expr::List(items) => items.iter().collect(),
            other => vec![other],
        };
        let mut out = Vec::new();
        for item in items {
            let (sigil, name) = match item {
                Expr::Scalar(n) => ('$', n.clone()),
                Expr::Array(n) => ('@', n.clone()),
                Expr::Glob(n) if decl == Decl::Local => ('*', n.clone()),
                Expr::Const(Sv::Undef) if decl != Decl::Local => {
                    out.push(Target::Skip);
                    continue;
                }
                _ => return unsupported("declaration of an unsupported expression"),
            };
            if decl != Decl::Local && name.contains("::") {
                return Err(Flow::Die(format!(
                    "\"{decl:?}\" variable {sigil}{name} can't be in a package"
                )));
            }
            let place = match decl {
                Decl::My => {
                    let idx = self.lexicals.len();
                    self.lexicals.push(if sigil == '@' {
                        Slot::Array(Vec::new())
                    } else {
                        Slot::Scalar(Sv::Undef)
                    });
                    if let Some(scope) = self.scopes.last_mut() {
                        scope
                            .names
                            .insert(format!("{sigil}{name}"), Binding::Lexical(idx));
                    }
                    Place::Lexical(idx)
                }
                Decl::Our => {
                    let fq = format!("{}::{name}", self.package());
                    if let Some(scope) = self.scopes.last_mut() {
                        scope
                            .names
                            .insert(format!("{sigil}{name}"), Binding::Our(fq.clone()));
                    }
                    Place::Global(format!("{sigil}{fq}"))
                }
                Decl::Local => {
                    let place = if sigil == '@' {
                        self.array_place(&name)?
                    } else if sigil == '*' {
                        Place::Global(format!("${}", self.qualify(&name)))
                    } else {
                        self.scalar_place(&name)?
                    };
                    let Place::Global(key) = &place else {
                        return Err(Flow::Die("Can't localize lexical variable".into()));
                    };
                    let old = self.globals.remove(key);
                    // `local` is undone when the enclosing block ends.
                    let depth = self.scopes.len();
                    if let Some(scope) = self.scopes.get_mut(depth.saturating_sub(1)) {
                        scope.saved.push((key.clone(), old));
                    }
                    place
                }
            };
            out.push(if sigil == '@' {
                Target::Array(place)
            } else {
                Target::Scalar(place)
            });
        }
        Ok(out)
    }

    /// Runs statements in a new scope and returns the last statement's value.
    fn block(&mut self, stmts: &[Stmt], ctx: Ctx) -> R<Vec<Sv>> {
        self.push_scope();
        let result = self.statements(stmts, ctx);
        self.pop_scope();
        result
    }

    fn statements(&mut self, stmts: &[Stmt], ctx: Ctx) -> R<Vec<Sv>> {
        let mut last = Vec::new();
        for (i, stmt) in stmts.iter().enumerate() {
            let is_last = i + 1 == stmts.len();
            let stmt_ctx = if is_last { ctx } else { Ctx::List };
            last = match stmt {
                Stmt::Expr(e) => self.eval(e, stmt_ctx)?,
                Stmt::Package(name) => {
                    if let Some(scope) = self.scopes.last_mut() {
                        scope.package = Some(name.clone());
                    }
                    Vec::new()
                }
                Stmt::PackageBlock(name, body) => {
                    self.push_scope();
                    if let Some(scope) = self.scopes.last_mut() {
                        scope.package = Some(name.clone());
                    }
                    let r = self.statements(body, stmt_ctx);
                    self.pop_scope();
                    r?
                }
                Stmt::Block(body) => self.block(body, stmt_ctx)?,
                Stmt::Trapped(msg) => return Err(Flow::Die(msg.clone())),
            };
        }
        Ok(last)
    }

    fn scalar(&mut self, e: &Expr) -> R<Sv> {
        let mut v = self.eval(e, Ctx::Scalar)?;
        Ok(v.pop().unwrap_or(Sv::Undef))
    }

    fn list(&mut self, e: &Expr) -> R<Vec<Sv>> {
        self.eval(e, Ctx::List)
    }

    fn eval(&mut self, e: &Expr, ctx: Ctx) -> R<Vec<Sv>> {
        self.tick()?;
        let one = |v: Sv| Ok(vec![v]);
        match e {
            Expr::Const(v) => one(v.clone()),
            Expr::Interp(parts) => one(Sv::Str(self.interpolate(parts)?)),
            Expr::Words(words) => {
                let items: Vec<Sv> = words.iter().map(|w| Sv::Str(w.clone())).collect();
                if ctx == Ctx::Scalar {
                    one(items.last().cloned().unwrap_or(Sv::Undef))
                } else {
                    Ok(items)
                }
            }
            Expr::List(items) => {
                if ctx == Ctx::Scalar {
                    let Some((last, init)) = items.split_last() else {
                        return one(Sv::Undef);
                    };
                    for item in init {
                        self.eval(item, Ctx::Scalar)?;
                    }
                    let v = self.scalar(last)?;
                    one(v)
                } else {
                    let mut out = Vec::new();
                    for item in items {
                        out.extend(self.list(item)?);
                        if out.len() > MAX_STRING {
                            return unsupported("list too long");
                        }
                    }
                    Ok(out)
                }
            }
            Expr::Scalar(name) => {
                if name == "_" {
                    let place = Place::Global("$main::_".into());
                    return one(self.read_scalar(&place));
                }
                let place = self.scalar_place(name)?;
                one(self.read_scalar(&place))
            }
            Expr::Array(name) => {
                let place = self.array_place(name)?;
                let items = self.read_array(&place);
                if ctx == Ctx::Scalar {
                    one(Sv::Int(items.len() as i64))
                } else {
                    Ok(items)
                }
            }
            Expr::LastIndex(name) => {
                let place = self.array_place(name)?;
                one(Sv::Int(self.read_array(&place).len() as i64 - 1))
            }
            Expr::Elem(name, index) => {
                let place = self.array_place(name)?;
                let items = self.read_array(&place);
                let i = self.scalar(index)?.to_f64() as i64;
                one(index_of(&items, i).cloned().unwrap_or(Sv::Undef))
            }
            Expr::Glob(_) => unsupported("glob as a value"),
            Expr::Declare(decl, target) => {
                let targets = self.declare(*decl, target)?;
                let mut out = Vec::new();
                for t in &targets {
                    match t {
                        Target::Scalar(p) => out.push(self.read_scalar(p)),
                        Target::Array(p) => out.extend(self.read_array(p)),
                        Target::Skip => {}
                    }
                }
                if ctx == Ctx::Scalar {
                    one(out.pop().unwrap_or(Sv::Undef))
                } else {
                    Ok(out)
                }
            }
            Expr::Assign(lhs, rhs) => self.assign(lhs, rhs, ctx),
            Expr::OpAssign(op, lhs, rhs) => {
                let place = self.scalar_lvalue(lhs)?;
                let current = self.read_scalar(&place);
                let new = match op.as_str() {
                    "||" => {
                        if current.is_true() {
                            return one(current);
                        }
                        self.scalar(rhs)?
                    }
                    "&&" => {
                        if !current.is_true() {
                            return one(current);
                        }
                        self.scalar(rhs)?
                    }
                    "//" => {
                        if current.is_defined() {
                            return one(current);
                        }
                        self.scalar(rhs)?
                    }
                    "x" => {
                        let count = self.scalar(rhs)?;
                        repeat(&current.to_str(), &count)?
                    }
                    other => {
                        let r = self.scalar(rhs)?;
                        binary(other, &current, &r)?
                    }
                };
                self.write(&place, Slot::Scalar(new.clone()))?;
                one(new)
            }
            Expr::Binary(op, l, r) => {
                let a = self.scalar(l)?;
                let b = self.scalar(r)?;
                one(binary(op, &a, &b)?)
            }
            Expr::Unary(op, inner) => {
                let v = self.scalar(inner)?;
                match op.as_str() {
                    "!" => one(boolean(!v.is_true())),
                    "-" => one(negate(&v)),
                    "~" => one(complement(&v)?),
                    _ => unsupported(format!("unary {op}")),
                }
            }
            Expr::Logical(op, l, r) => {
                let a = self.scalar(l)?;
                let take_left = match op.as_str() {
                    "&&" => !a.is_true(),
                    "||" => a.is_true(),
                    _ => a.is_defined(),
                };
                if take_left {
                    one(a)
                } else {
                    self.eval(r, ctx)
                }
            }
            Expr::Ternary(c, a, b) => {
                if self.scalar(c)?.is_true() {
                    self.eval(a, ctx)
                } else {
                    self.eval(b, ctx)
                }
            }
            Expr::Match {
                target,
                regex,
                negate,
            } => {
                let subject = match target {
                    Some(t) => self.scalar(t)?,
                    None => self.read_scalar(&Place::Global("$main::_".into())),
                };
                self.do_match(&subject.to_str(), regex, *negate, ctx)
            }
            Expr::Subst {
                target,
                regex,
                replacement,
                keep,
            } => {
                let place = match target {
                    Some(t) => self.scalar_lvalue(t)?,
                    None => Place::Global("$main::_".into()),
                };
                let subject = self.read_scalar(&place).to_str();
                let (count, result) = self.substitute(&subject, regex, replacement)?;
                if *keep {
                    return one(Sv::Str(result));
                }
                if count > 0 {
                    self.write(&place, Slot::Scalar(Sv::Str(result)))?;
                }
                one(if count > 0 {
                    Sv::Int(count as i64)
                } else {
                    boolean(false)
                })
            }
            Expr::Trans {
                target,
                search,
                replace,
                delete,
                keep,
            } => {
                let place = match target {
                    Some(t) => self.scalar_lvalue(t)?,
                    None => Place::Global("$main::_".into()),
                };
                let subject = self.read_scalar(&place).to_str();
                let (count, result) = transliterate(&subject, search, replace, *delete);
                if *keep {
                    return one(Sv::Str(result));
                }
                if result != subject {
                    self.write(&place, Slot::Scalar(Sv::Str(result)))?;
                }
                one(Sv::Int(count as i64))
            }
            Expr::Call(name, args) => self.call(name, args, ctx),
            Expr::Method(invocant, method, args) => {
                let inv = self.scalar(invocant)?;
                let v = self.method(&inv, method, args)?;
                one(v)
            }
            Expr::Bareword(name) => one(Sv::Str(name.clone())),
            Expr::Slice(list, index) => {
                let items = self.list(list)?;
                let indexes = self.list(index)?;
                let picked: Vec<Sv> = if items.is_empty() {
                    Vec::new()
                } else {
                    indexes
                        .iter()
                        .map(|i| {
                            index_of(&items, i.to_f64() as i64)
                                .cloned()
                                .unwrap_or(Sv::Undef)
                        })
                        .collect()
                };
                if ctx == Ctx::Scalar {
                    one(picked.last().cloned().unwrap_or(Sv::Undef))
                } else {
                    Ok(picked)
                }
            }
            Expr::Do(stmts) => self.block(stmts, ctx),
            Expr::EvalBlock(stmts) => {
                let r = self.block(stmts, ctx);
                self.catch(r, ctx)
            }
            Expr::Ref(inner) if matches!(inner.as_ref(), Expr::Declare(..)) => Err(Flow::Die(
                "Experimental aliasing via reference not enabled".into(),
            )),
            Expr::Ref(inner) => match inner.as_ref() {
                Expr::Const(_) | Expr::Scalar(_) | Expr::Interp(_) => {
                    let v = self.scalar(inner)?;
                    one(Sv::ScalarRef(Box::new(v)))
                }
                _ => unsupported("reference to a non-scalar"),
            },
            Expr::Deref(inner) => {
                let v = self.scalar(inner)?;
                match v {
                    Sv::ScalarRef(target) => one(*target),
                    Sv::Undef => one(Sv::Undef),
                    Sv::Str(name) if !name.is_empty() => {
                        let place = self.scalar_place(&name)?;
                        one(self.read_scalar(&place))
                    }
                    _ => unsupported("dereference of a non-reference"),
                }
            }
            Expr::Repeat(l, r, is_list) => {
                if *is_list && ctx == Ctx::List {
                    let items = self.list(l)?;
                    let count = self.scalar(r)?.to_f64();
                    let count = if count.is_nan() || count < 1.0 {
                        0
                    } else {
                        count as usize
                    };
                    if items.len().saturating_mul(count) > MAX_STRING {
                        return unsupported("list repetition too long");
                    }
                    let mut out = Vec::new();
                    for _ in 0..count {
                        out.extend(items.iter().cloned());
                    }
                    Ok(out)
                } else {
                    let s = self.scalar(l)?.to_str();
                    let count = self.scalar(r)?;
                    one(repeat(&s, &count)?)
                }
            }
            Expr::CurrentPackage => one(Sv::Str(self.package())),
        }
    }

    fn catch(&mut self, r: R<Vec<Sv>>, ctx: Ctx) -> R<Vec<Sv>> {
        match r {
            Ok(v) => {
                self.eval_error.clear();
                Ok(v)
            }
            Err(Flow::Die(msg)) => {
                self.eval_error = if msg.ends_with('\n') {
                    msg
                } else {
                    format!("{msg} at (eval) line 1.\n")
                };
                Ok(if ctx == Ctx::Scalar {
                    vec![Sv::Undef]
                } else {
                    Vec::new()
                })
            }
            Err(other) => Err(other),
        }
    }

    fn scalar_lvalue(&mut self, e: &Expr) -> R<Place> {
        match e {
            Expr::Scalar(name) if name == "_" => Ok(Place::Global("$main::_".into())),
            Expr::Scalar(name) => self.scalar_place(name),
            Expr::Declare(decl, inner) if matches!(inner.as_ref(), Expr::Scalar(_)) => {
                match self.declare(*decl, inner)?.pop() {
                    Some(Target::Scalar(p)) => Ok(p),
                    _ => unsupported("declaration"),
                }
            }
            Expr::Assign(lhs, rhs) if !matches!(lhs.as_ref(), Expr::List(_) | Expr::Array(_)) => {
                self.assign(lhs, rhs, Ctx::Scalar)?;
                let plain = match lhs.as_ref() {
                    Expr::Declare(_, inner) => inner.as_ref(),
                    other => other,
                };
                self.scalar_lvalue(plain)
            }
            Expr::List(items) if items.len() == 1 => match items.first() {
                Some(inner) => self.scalar_lvalue(inner),
                None => unsupported("empty lvalue"),
            },
            _ => unsupported("unsupported lvalue"),
        }
    }

    fn assign(&mut self, lhs: &Expr, rhs: &Expr, ctx: Ctx) -> R<Vec<Sv>> {
        let is_list = match lhs {
            Expr::List(_) | Expr::Array(_) => true,
            Expr::Declare(_, inner) => matches!(inner.as_ref(), Expr::List(_) | Expr::Array(_)),
            _ => false,
        };
        if matches!(lhs, Expr::Ref(_)) {
            return Err(Flow::Die(
                "Experimental aliasing via reference not enabled".into(),
            ));
        }
        if let Expr::Glob(name) = lhs {
            let v = self.scalar(rhs)?;
            let Sv::ScalarRef(target) = v else {
                return unsupported("glob assignment of a non-reference");
            };
            let key = format!("${}", self.qualify(name));
            self.globals.insert(key, Slot::Scalar((*target).clone()));
            return Ok(vec![Sv::Str(format!("*{}", self.qualify(name)))]);
        }
        if let Expr::Elem(name, index) = lhs {
            let v = self.scalar(rhs)?;
            let place = self.array_place(name)?;
            let mut items = self.read_array(&place);
            let i = self.scalar(index)?.to_f64() as i64;
            let i = if i < 0 { items.len() as i64 + i } else { i };
            if !(0..=MAX_STRING as i64).contains(&i) {
                return unsupported("array index out of range");
            }
            let i = i as usize;
            if items.len() <= i {
                items.resize(i + 1, Sv::Undef);
            }
            if let Some(slot) = items.get_mut(i) {
                *slot = v.clone();
            }
            self.write(&place, Slot::Array(items))?;
            return Ok(vec![v]);
        }
        if !is_list {
            let v = self.scalar(rhs)?;
            let place = self.scalar_lvalue(lhs)?;
            self.write(&place, Slot::Scalar(v.clone()))?;
            return Ok(vec![v]);
        }
        let values = self.list(rhs)?;
        let count = values.len();
        let targets = match lhs {
            Expr::Declare(decl, inner) => self.declare(*decl, inner)?,
            Expr::Array(name) => vec![Target::Array(self.array_place(name)?)],
            Expr::List(items) => {
                let mut targets = Vec::new();
                for item in items {
                    match item {
                        Expr::Array(name) => targets.push(Target::Array(self.array_place(name)?)),
                        Expr::Const(Sv::Undef) => targets.push(Target::Skip),
                        Expr::Declare(decl, inner) => targets.extend(self.declare(*decl, inner)?),
                        other => targets.push(Target::Scalar(self.scalar_lvalue(other)?)),
                    }
                }
                targets
            }
            _ => return unsupported("list assignment target"),
        };
        let mut rest = values.into_iter();
        let mut assigned = Vec::new();
        for t in targets {
            match t {
                Target::Scalar(p) => {
                    let v = rest.next().unwrap_or(Sv::Undef);
                    self.write(&p, Slot::Scalar(v.clone()))?;
                    assigned.push(v);
                }
                Target::Array(p) => {
                    let items: Vec<Sv> = rest.by_ref().collect();
                    assigned.extend(items.iter().cloned());
                    self.write(&p, Slot::Array(items))?;
                }
                Target::Skip => {
                    rest.next();
                }
            }
        }
        if ctx == Ctx::Scalar {
            Ok(vec![Sv::Int(count as i64)])
        } else {
            Ok(assigned)
        }
    }

    fn interpolate(&mut self, parts: &[Part]) -> R<String> {
        let mut out = String::new();
        for part in parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Scalar(name) => {
                    let v = self.eval(&Expr::Scalar(name.clone()), Ctx::Scalar)?;
                    out.push_str(&v.first().map(Sv::to_str).unwrap_or_default());
                }
                Part::Array(name) => {
                    let place = self.array_place(name)?;
                    let items: Vec<String> =
                        self.read_array(&place).iter().map(Sv::to_str).collect();
                    out.push_str(&items.join(" "));
                }
            }
            if out.len() > MAX_STRING {
                return unsupported("string too long");
            }
        }
        Ok(out)
    }

    fn do_match(&mut self, subject: &str, regex: &RegexLit, negate: bool, ctx: Ctx) -> R<Vec<Sv>> {
        let re = compile(&regex.pattern)?;
        let bytes = to_bytes(subject)?;
        let groups = re.captures_len() - 1;
        if negate || ctx == Ctx::Scalar {
            let matched = match re.captures(&bytes) {
                Some(caps) => {
                    self.captures = captures_of(&caps);
                    true
                }
                None => false,
            };
            return Ok(vec![boolean(matched != negate)]);
        }
        let mut out = Vec::new();
        if regex.global {
            for caps in re.captures_iter(&bytes) {
                self.tick()?;
                if groups == 0 {
                    out.push(Sv::Str(latin1(
                        caps.get(0).map(|m| m.as_bytes()).unwrap_or(b""),
                    )));
                } else {
                    for v in captures_of(&caps) {
                        out.push(v.map(Sv::Str).unwrap_or(Sv::Undef));
                    }
                }
                self.captures = captures_of(&caps);
            }
        } else if let Some(caps) = re.captures(&bytes) {
            self.captures = captures_of(&caps);
            if groups == 0 {
                out.push(Sv::Int(1));
            } else {
                for v in captures_of(&caps) {
                    out.push(v.map(Sv::Str).unwrap_or(Sv::Undef));
                }
            }
        }
        Ok(out)
    }

    fn substitute(
        &mut self,
        subject: &str,
        regex: &RegexLit,
        replacement: &[Part],
    ) -> R<(usize, String)> {
        let re = compile(&regex.pattern)?;
        let bytes = to_bytes(subject)?;
        let mut out = String::new();
        let mut last = 0;
        let mut count = 0;
        for caps in re.captures_iter(&bytes) {
            self.tick()?;
            let Some(whole) = caps.get(0) else { continue };
            out.push_str(&latin1(bytes.get(last..whole.start()).unwrap_or(b"")));
            self.captures = captures_of(&caps);
            out.push_str(&self.interpolate(replacement)?);
            last = whole.end();
            count += 1;
            if !regex.global {
                break;
            }
        }
        out.push_str(&latin1(bytes.get(last..).unwrap_or(b"")));
        Ok((count, out))
    }

    fn string_eval(&mut self, code: &str, ctx: Ctx) -> R<Vec<Sv>> {
        if self.eval_depth >= MAX_EVAL_DEPTH {
            return unsupported("string eval nested too deeply");
        }
        let parsed = match parse_program(code) {
            Ok(p) => Ok(p),
            Err(ParseError::Dies(m)) => Err(Flow::Die(m)),
            Err(ParseError::Unsupported(m)) => return unsupported(m),
        };
        self.eval_depth += 1;
        let r = match parsed {
            Ok(stmts) => self.block(&stmts, ctx),
            Err(e) => Err(e),
        };
        self.eval_depth -= 1;
        self.catch(r, ctx)
    }

    fn call(&mut self, name: &str, args: &[Expr], ctx: Ctx) -> R<Vec<Sv>> {
        let one = |v: Sv| Ok(vec![v]);
        let first = |me: &mut Interp| -> R<Sv> {
            match args.first() {
                Some(a) => me.scalar(a),
                None => Ok(me.read_scalar(&Place::Global("$main::_".into()))),
            }
        };
        match name {
            "sprintf" => {
                let Some((fmt, rest)) = args.split_first() else {
                    return Err(Flow::Die("Not enough arguments for sprintf".into()));
                };
                let fmt = self.scalar(fmt)?.to_str();
                let mut values = Vec::new();
                for a in rest {
                    values.extend(self.list(a)?);
                }
                let s = sprintf(&fmt, &values).map_err(Flow::Unsupported)?;
                one(Sv::Str(s))
            }
            "join" => {
                let Some((sep, rest)) = args.split_first() else {
                    return Err(Flow::Die("Not enough arguments for join".into()));
                };
                let sep = self.scalar(sep)?.to_str();
                let mut values = Vec::new();
                for a in rest {
                    values.extend(self.list(a)?);
                }
                let joined: Vec<String> = values.iter().map(Sv::to_str).collect();
                one(Sv::Str(joined.join(&sep)))
            }
            "split" => {
                if args.len() > 2 {
                    return unsupported("split with a limit");
                }
                let subject = match args.get(1) {
                    Some(a) => self.scalar(a)?.to_str(),
                    None => self.read_scalar(&Place::Global("$main::_".into())).to_str(),
                };
                let fields = match args.first() {
                    Some(Expr::Match {
                        target: None,
                        regex,
                        negate: false,
                    }) => split_regex(&compile(&regex.pattern)?, &subject)?,
                    Some(other) => {
                        let pat = self.scalar(other)?.to_str();
                        if pat == " " {
                            subject
                                .split(|c: char| c.is_ascii_whitespace())
                                .filter(|s| !s.is_empty())
                                .map(str::to_string)
                                .collect()
                        } else {
                            let lit = super::parser::regex_lit(&pat, '/', "")?;
                            split_regex(&compile(&lit.pattern)?, &subject)?
                        }
                    }
                    None => return unsupported("split without arguments"),
                };
                if ctx == Ctx::Scalar {
                    one(Sv::Int(fields.len() as i64))
                } else {
                    Ok(fields.into_iter().map(Sv::Str).collect())
                }
            }
            "reverse" => {
                let mut values = Vec::new();
                for a in args {
                    values.extend(self.list(a)?);
                }
                if ctx == Ctx::Scalar {
                    let s: String = values.iter().map(Sv::to_str).collect();
                    one(Sv::Str(s.chars().rev().collect()))
                } else {
                    values.reverse();
                    Ok(values)
                }
            }
            "substr" => {
                if args.len() > 3 || args.len() < 2 {
                    return unsupported("substr with 4 arguments");
                }
                let s: Vec<char> = first(self)?.to_str().chars().collect();
                let len = s.len() as i64;
                let off = match args.get(1) {
                    Some(a) => self.scalar(a)?.to_f64() as i64,
                    None => 0,
                };
                let start = if off < 0 { len + off } else { off };
                if start < 0 || start > len {
                    return one(Sv::Undef);
                }
                let end = match args.get(2) {
                    Some(a) => {
                        let l = self.scalar(a)?.to_f64() as i64;
                        if l < 0 {
                            (len + l).max(start)
                        } else {
                            (start + l).min(len)
                        }
                    }
                    None => len,
                };
                one(Sv::Str(s[start as usize..end as usize].iter().collect()))
            }
            "index" | "rindex" => unsupported(name),
            "length" => {
                let v = first(self)?;
                if !v.is_defined() {
                    return one(Sv::Undef);
                }
                one(Sv::Int(v.to_str().chars().count() as i64))
            }
            "defined" => {
                let v = first(self)?;
                one(boolean(v.is_defined()))
            }
            "undef" => {
                if !args.is_empty() {
                    return unsupported("undef EXPR");
                }
                one(Sv::Undef)
            }
            "int" => {
                let v = first(self)?;
                one(match v.to_num() {
                    Num::Int(i) => Sv::Int(i),
                    Num::Float(f) => {
                        let t = f.trunc();
                        if t.abs() < 9.0e15 {
                            Sv::Int(t as i64)
                        } else {
                            Sv::Num(t)
                        }
                    }
                })
            }
            "lc" => one(Sv::Str(first(self)?.to_str().to_ascii_lowercase())),
            "uc" => one(Sv::Str(first(self)?.to_str().to_ascii_uppercase())),
            "lcfirst" | "ucfirst" => {
                let s = first(self)?.to_str();
                let mut chars = s.chars();
                let out = match chars.next() {
                    Some(c) if name == "lcfirst" => {
                        c.to_ascii_lowercase().to_string() + chars.as_str()
                    }
                    Some(c) => c.to_ascii_uppercase().to_string() + chars.as_str(),
                    None => String::new(),
                };
                one(Sv::Str(out))
            }
            "ref" => {
                let v = first(self)?;
                one(Sv::Str(
                    match v {
                        Sv::Version(_) => "version",
                        Sv::ScalarRef(_) => "SCALAR",
                        _ => "",
                    }
                    .to_string(),
                ))
            }
            "scalar" => {
                let Some(a) = args.first() else {
                    return Err(Flow::Die("Not enough arguments for scalar".into()));
                };
                let v = self.scalar(a)?;
                one(v)
            }
            "abs" => {
                let v = first(self)?;
                one(match v.to_num() {
                    Num::Int(i) => Sv::Int(i.saturating_abs()),
                    Num::Float(f) => Sv::Num(f.abs()),
                })
            }
            "chr" => {
                let n = first(self)?.to_f64();
                let c = if n < 0.0 {
                    '\u{fffd}'
                } else {
                    char::from_u32(n as u32).unwrap_or('\u{fffd}')
                };
                one(Sv::Str(c.to_string()))
            }
            "ord" => {
                let s = first(self)?.to_str();
                one(Sv::Int(s.chars().next().map(|c| c as i64).unwrap_or(0)))
            }
            "hex" | "oct" => unsupported(name),
            "quotemeta" => unsupported(name),
            "eval" => {
                let code = first(self)?.to_str();
                self.string_eval(&code, ctx)
            }
            "die" => {
                let mut values = Vec::new();
                for a in args {
                    values.extend(self.list(a)?);
                }
                let msg: String = values.iter().map(Sv::to_str).collect();
                Err(Flow::Die(if msg.is_empty() { "Died".into() } else { msg }))
            }
            "bless" => unsupported("bless"),
            "qv" | "version::qv" => {
                if name == "qv" && self.package() != "main" {
                    return Err(Flow::Die(format!(
                        "Undefined subroutine &{}::qv called",
                        self.package()
                    )));
                }
                let Some(a) = args.first() else {
                    return unsupported("qv()");
                };
                let v = self.scalar(a)?;
                one(Sv::Version(Box::new(make_version(&v, true)?)))
            }
            other => {
                let fq = if other.contains("::") {
                    other.to_string()
                } else {
                    format!("{}::{other}", self.package())
                };
                if is_special_package_var(&fq) {
                    return unsupported(format!("call of {fq}"));
                }
                Err(Flow::Die(format!("Undefined subroutine &{fq} called")))
            }
        }
    }

    fn method(&mut self, invocant: &Sv, method: &str, args: &[Expr]) -> R<Sv> {
        match invocant {
            Sv::Version(v) => match method {
                "numify" => Ok(Sv::Str(v.numify())),
                "stringify" => Ok(Sv::Str(v.stringify())),
                "normal" => Ok(Sv::Str(v.normal())),
                "is_alpha" => Ok(boolean(v.is_alpha())),
                "is_qv" => Ok(boolean(v.is_qv())),
                _ => unsupported(format!("version method {method}")),
            },
            Sv::Str(class) if class == "version" => {
                let qv = match method {
                    "new" | "parse" => false,
                    "declare" | "qv" => true,
                    _ => return unsupported(format!("version->{method}")),
                };
                let Some(arg) = args.first() else {
                    return unsupported("version constructor without argument");
                };
                if args.len() > 1 {
                    return unsupported("version constructor with several arguments");
                }
                let v = self.scalar(arg)?;
                Ok(Sv::Version(Box::new(make_version(&v, qv)?)))
            }
            Sv::Str(class) if !class.is_empty() => {
                if is_special_package_var(&format!("{class}::")) {
                    return unsupported(format!("{class}->{method}"));
                }
                match method {
                    // UNIVERSAL::VERSION of a package nobody loaded in the sandbox.
                    "VERSION" if args.is_empty() => Ok(Sv::Undef),
                    "can" | "isa" | "DOES" | "VERSION" => unsupported(format!("{class}->{method}")),
                    _ => Err(Flow::Die(format!(
                        "Can't locate object method \"{method}\" via package \"{class}\""
                    ))),
                }
            }
            _ => unsupported(format!("method {method}")),
        }
    }
}

/// Builds a version object the way version.pm's `new`/`qv` upgrade a scalar.
fn make_version(v: &Sv, qv: bool) -> R<Version> {
    let built = match v {
        Sv::Version(v) if !qv => Ok((**v).clone()),
        Sv::Version(v) => Version::declare(&v.stringify()),
        Sv::Num(n) => {
            let mut text = format!("{n:.9}");
            while text.ends_with('0') {
                text.pop();
            }
            if text.ends_with('.') {
                text.pop();
            }
            if qv {
                Version::declare(&text)
            } else {
                Version::parse(&text)
            }
        }
        Sv::VStr { literal, .. } => {
            let text = if literal.starts_with('v') || literal.matches('.').count() >= 2 {
                literal.clone()
            } else {
                format!("v{literal}")
            };
            if qv {
                Version::declare(&text)
            } else {
                Version::parse(&text)
            }
        }
        Sv::Undef => return unsupported("version of undef"),
        Sv::ScalarRef(_) => return unsupported("version of a reference"),
        other => {
            let text = other.to_str();
            if qv {
                Version::declare(&text)
            } else {
                Version::parse(&text)
            }
        }
    };
    built.map_err(|e| Flow::Die(e.to_string()))
}

#[derive(Debug, Clone)]
enum Place {
    Lexical(usize),
    Global(String),
    Capture(usize),
    EvalError,
}

enum Target {
    Scalar(Place),
    Array(Place),
    Skip,
}

fn index_of(items: &[Sv], i: i64) -> Option<&Sv> {
    let idx = if i < 0 { items.len() as i64 + i } else { i };
    if idx < 0 {
        return None;
    }
    items.get(idx as usize)
}

fn boolean(b: bool) -> Sv {
    if b {
        Sv::Int(1)
    } else {
        Sv::No
    }
}

/// `~`: string complement for strings, 64-bit unsigned complement for numbers.
fn complement(v: &Sv) -> R<Sv> {
    match v {
        Sv::Str(s) | Sv::VStr { chars: s, .. } => {
            let mut out = String::new();
            for c in s.chars() {
                let b = u8::try_from(c as u32)
                    .map_err(|_| Flow::Unsupported("~ of a wide string".into()))?;
                out.push((!b) as char);
            }
            Ok(Sv::Str(out))
        }
        other => {
            let n = match other.to_num() {
                Num::Int(i) => i as u64,
                Num::Float(f) if f < 0.0 => (f as i64) as u64,
                Num::Float(f) => f as u64,
            };
            // A UV beyond IV_MAX prints exactly in Perl; keep the digits.
            Ok(Sv::Str((!n).to_string()))
        }
    }
}

fn negate(v: &Sv) -> Sv {
    if let Sv::Str(s) = v {
        if let Some(first) = s.chars().next() {
            if first.is_ascii_alphabetic() || first == '_' {
                return Sv::Str(format!("-{s}"));
            }
            if first == '-'
                && s.chars()
                    .nth(1)
                    .is_some_and(|c| !c.is_ascii_digit() && c != '.')
            {
                return Sv::Str(format!("+{}", &s[1..]));
            }
        }
    }
    match v.to_num() {
        Num::Int(i) => match i.checked_neg() {
            Some(n) => Sv::Int(n),
            None => Sv::Num(-(i as f64)),
        },
        Num::Float(f) => Sv::Num(-f),
    }
}

fn repeat(s: &str, count: &Sv) -> R<Sv> {
    let n = count.to_f64();
    let n = if n.is_nan() || n < 1.0 { 0 } else { n as usize };
    if s.len().saturating_mul(n) > MAX_STRING {
        return unsupported("string repetition too long");
    }
    Ok(Sv::Str(s.repeat(n)))
}

fn binary(op: &str, a: &Sv, b: &Sv) -> R<Sv> {
    let num = |x: &Sv| x.to_num();
    Ok(match op {
        "." => {
            let s = a.to_str() + &b.to_str();
            if s.len() > MAX_STRING {
                return unsupported("string too long");
            }
            Sv::Str(s)
        }
        "+" | "-" | "*" => {
            let (x, y) = (num(a), num(b));
            if let (Num::Int(i), Num::Int(j)) = (x, y) {
                let r = match op {
                    "+" => i.checked_add(j),
                    "-" => i.checked_sub(j),
                    _ => i.checked_mul(j),
                };
                if let Some(r) = r {
                    return Ok(Sv::Int(r));
                }
            }
            let (x, y) = (x.as_f64(), y.as_f64());
            let r = match op {
                "+" => x + y,
                "-" => x - y,
                _ => x * y,
            };
            if r.fract() == 0.0 && r.abs() >= 9.2e18 && r.abs() < 1.85e19 {
                // Perl may keep this as an unsigned integer (UV) and print every digit.
                return unsupported("integer arithmetic beyond IV");
            }
            Sv::Num(r)
        }
        "/" => {
            let (x, y) = (num(a).as_f64(), num(b).as_f64());
            if y == 0.0 {
                return Err(Flow::Die("Illegal division by zero".into()));
            }
            let r = x / y;
            if r.fract() == 0.0 && r.abs() < 9.0e15 {
                Sv::Int(r as i64)
            } else {
                Sv::Num(r)
            }
        }
        "%" => {
            let (x, y) = (num(a).as_f64().trunc(), num(b).as_f64().trunc());
            if y == 0.0 {
                return Err(Flow::Die("Illegal modulus zero".into()));
            }
            let (x, y) = (x as i64, y as i64);
            let r = x.checked_rem(y).unwrap_or(0);
            Sv::Int(if r != 0 && ((r < 0) != (y < 0)) {
                r + y
            } else {
                r
            })
        }
        "**" => {
            let r = num(a).as_f64().powf(num(b).as_f64());
            if r.fract() == 0.0 && r.abs() < 9.0e15 {
                Sv::Int(r as i64)
            } else {
                Sv::Num(r)
            }
        }
        "==" | "!=" | "<" | ">" | "<=" | ">=" | "<=>" => {
            let (x, y) = (num(a).as_f64(), num(b).as_f64());
            match op {
                "==" => boolean(x == y),
                "!=" => boolean(x != y),
                "<" => boolean(x < y),
                ">" => boolean(x > y),
                "<=" => boolean(x <= y),
                ">=" => boolean(x >= y),
                _ => match x.partial_cmp(&y) {
                    Some(o) => Sv::Int(o as i64),
                    None => Sv::Undef,
                },
            }
        }
        "eq" | "ne" | "lt" | "gt" | "le" | "ge" | "cmp" => {
            let (x, y) = (a.to_str(), b.to_str());
            match op {
                "eq" => boolean(x == y),
                "ne" => boolean(x != y),
                "lt" => boolean(x < y),
                "gt" => boolean(x > y),
                "le" => boolean(x <= y),
                "ge" => boolean(x >= y),
                _ => Sv::Int(x.cmp(&y) as i64),
            }
        }
        other => return unsupported(format!("operator {other}")),
    })
}

fn compile(pattern: &str) -> R<regex::bytes::Regex> {
    thread_local! {
        // The same few patterns (`/(\d+)/g` on `$Revision$`) recur in file after file, and
        // compiling dominates the cost of evaluating a line.
        static CACHE: std::cell::RefCell<HashMap<String, regex::bytes::Regex>> =
            std::cell::RefCell::new(HashMap::new());
    }
    if let Some(re) = CACHE.with(|c| c.borrow().get(pattern).cloned()) {
        return Ok(re);
    }
    let re = regex::bytes::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .nest_limit(64)
        .build()
        .map_err(|e| Flow::Unsupported(format!("pattern outside the supported syntax: {e}")))?;
    CACHE.with(|c| {
        let mut cache = c.borrow_mut();
        if cache.len() >= 256 {
            cache.clear();
        }
        cache.insert(pattern.to_string(), re.clone());
    });
    Ok(re)
}

fn to_bytes(s: &str) -> R<Vec<u8>> {
    s.chars()
        .map(|c| {
            u8::try_from(c as u32)
                .map_err(|_| Flow::Unsupported("wide character in a match".into()))
        })
        .collect()
}

fn latin1(b: &[u8]) -> String {
    b.iter().map(|&b| b as char).collect()
}

fn captures_of(caps: &regex::bytes::Captures) -> Vec<Option<String>> {
    caps.iter()
        .skip(1)
        .map(|m| m.map(|m| latin1(m.as_bytes())))
        .collect()
}

fn split_regex(re: &regex::bytes::Regex, subject: &str) -> R<Vec<String>> {
    let bytes = to_bytes(subject)?;
    let mut fields = Vec::new();
    let mut last = 0;
    for caps in re.captures_iter(&bytes) {
        let Some(m) = caps.get(0) else { continue };
        if m.end() == 0 {
            continue; // a zero-width match at the start produces no leading field
        }
        if m.start() == m.end() && m.start() >= bytes.len() {
            break;
        }
        fields.push(latin1(bytes.get(last..m.start()).unwrap_or(b"")));
        for g in caps.iter().skip(1) {
            fields.push(g.map(|g| latin1(g.as_bytes())).unwrap_or_default());
        }
        last = m.end();
    }
    fields.push(latin1(bytes.get(last..).unwrap_or(b"")));
    while fields.last().is_some_and(String::is_empty) {
        fields.pop();
    }
    Ok(fields)
}

fn transliterate(
    subject: &str,
    search: &[char],
    replace: &[char],
    delete: bool,
) -> (usize, String) {
    let mut out = String::new();
    let mut count = 0;
    for c in subject.chars() {
        match search.iter().position(|&s| s == c) {
            Some(i) => {
                count += 1;
                if let Some(&r) = replace.get(i) {
                    out.push(r);
                } else if delete {
                } else if replace.is_empty() {
                    out.push(c);
                } else if let Some(&r) = replace.last() {
                    out.push(r);
                }
            }
            None => out.push(c),
        }
    }
    (count, out)
}

/// Value of a string as Perl would numify it (re-exported for the scanner's comparisons).
pub fn numify_str(s: &str) -> f64 {
    str_to_num(s).as_f64()
}

/// Runs PAUSE's template around a `$VERSION` line: `local $VAR; $VAR = undef; do { LINE };
/// $VAR` in package `ExtUtils::MakeMaker::_version`. Returns the value of `$VAR`.
pub fn run_template(interp: &mut Interp, line: &str, var_name: &str) -> R<Sv> {
    let stmts = parse_program(line)?;
    let key = format!("${}", interp.qualify(var_name));
    let saved = interp.globals.remove(&key);
    interp.globals.insert(key.clone(), Slot::Scalar(Sv::Undef));
    let result = interp.block(&stmts, Ctx::List);
    let value = match interp.globals.get(&key) {
        Some(Slot::Scalar(v)) => v.clone(),
        _ => Sv::Undef,
    };
    match saved {
        Some(v) => {
            interp.globals.insert(key, v);
        }
        None => {
            interp.globals.remove(&key);
        }
    }
    result?;
    Ok(value)
}

/// Runs a program the way `Safe::reval` does in scalar context and returns its value.
pub fn run_program(interp: &mut Interp, code: &str) -> R<Sv> {
    let stmts = parse_program(code)?;
    let mut v = interp.block(&stmts, Ctx::Scalar)?;
    Ok(v.pop().unwrap_or(Sv::Undef))
}

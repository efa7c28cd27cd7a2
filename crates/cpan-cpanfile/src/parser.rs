//! The cpanfile grammar (statements calling the DSL functions with literal arguments and
//! `sub { ... }` blocks) and its evaluation, as Module::CPANfile::Environment evaluates it.

use crate::cpanfile::{perl_false, Declaration, ModuleOptions};
use crate::error::{Error, Location};
use crate::lexer::{Lexer, Tok, Token};
use crate::prereqs::{Phase, Relationship};

/// How deep `sub { ... }` blocks may nest (real cpanfiles use two levels: `feature` around
/// `on`).
const MAX_DEPTH: usize = 64;

/// The functions Module::CPANfile binds into the cpanfile's package (`osname` dies `TODO`).
const FUNCTIONS: &[&str] = &[
    "requires",
    "recommends",
    "suggests",
    "conflicts",
    "on",
    "feature",
    "mirror",
    "configure_requires",
    "build_requires",
    "test_requires",
    "author_requires",
];

/// An argument value.
#[derive(Debug)]
enum Value {
    Str(String),
    Num(String),
    VStr(String),
    Undef,
    Sub(Vec<Call>),
}

#[derive(Debug)]
struct Arg {
    value: Value,
    loc: Location,
}

/// One call of a cpanfile function.
#[derive(Debug)]
struct Call {
    name: String,
    loc: Location,
    args: Vec<Arg>,
}

/// What a cpanfile declares, before its prerequisites are computed.
pub(crate) struct Parsed {
    pub(crate) mirrors: Vec<String>,
    /// Feature identifiers in order of first declaration, with their last description.
    pub(crate) features: Vec<(String, String)>,
    pub(crate) declarations: Vec<Declaration>,
}

pub(crate) fn parse(source: &str) -> Result<Parsed, Error> {
    let mut parser = Parser {
        lex: Lexer::new(source),
        peeked: None,
        depth: 0,
    };
    let calls = parser.statements(None)?;
    let mut parsed = Parsed {
        mirrors: Vec::new(),
        features: Vec::new(),
        declarations: Vec::new(),
    };
    let scope = Scope {
        phase: Phase::Runtime,
        feature: None,
    };
    run(&calls, &scope, &mut parsed)?;
    Ok(parsed)
}

struct Parser<'a> {
    lex: Lexer<'a>,
    peeked: Option<Token>,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&mut self) -> Result<&Token, Error> {
        let token = match self.peeked.take() {
            Some(t) => t,
            None => self.lex.next_token(false)?,
        };
        Ok(self.peeked.insert(token))
    }

    fn next(&mut self) -> Result<Token, Error> {
        match self.peeked.take() {
            Some(t) => Ok(t),
            None => self.lex.next_token(false),
        }
    }

    /// The first token of a statement (where POD and `__END__` are recognized).
    fn statement_token(&mut self) -> Result<Token, Error> {
        match self.peeked.take() {
            Some(t) => Ok(t),
            None => self.lex.next_token(true),
        }
    }

    /// Statements up to the end of the file, or up to the `}` closing the block opened at
    /// `block`.
    fn statements(&mut self, block: Option<Location>) -> Result<Vec<Call>, Error> {
        let mut calls = Vec::new();
        let unterminated = |location| Error::Unterminated {
            location,
            what: "block (missing `}`)".to_string(),
        };
        loop {
            let t = self.statement_token()?;
            match t.tok {
                Tok::Semi => continue,
                Tok::Eof => return block.map_or(Ok(calls), |open| Err(unterminated(open))),
                Tok::RBrace if block.is_some() => return Ok(calls),
                Tok::Word(name) => {
                    let (call, parenthesized) = self.statement(name, t.loc)?;
                    calls.extend(call);
                    let end = self.next()?;
                    match end.tok {
                        Tok::Semi => {}
                        Tok::RBrace if block.is_some() => return Ok(calls),
                        Tok::Eof => return block.map_or(Ok(calls), |open| Err(unterminated(open))),
                        other => {
                            return Err(Error::Syntax {
                                location: end.loc,
                                expected: if parenthesized {
                                    "`;` after the parenthesized arguments (Perl would pass only \
                                     the arguments inside the parentheses)"
                                        .to_string()
                                } else {
                                    "`,` or `;`".to_string()
                                },
                                found: other.describe(),
                            })
                        }
                    }
                }
                Tok::LBrace => {
                    return Err(Error::Unsupported {
                        location: t.loc,
                        found: "a bare block".to_string(),
                        reason: "only `sub { ... }` blocks given to `on` and `feature` are read"
                            .to_string(),
                    })
                }
                other => {
                    return Err(Error::Syntax {
                        location: t.loc,
                        expected: "a cpanfile function (requires, on, feature, ...)".to_string(),
                        found: other.describe(),
                    })
                }
            }
        }
    }

    /// One statement starting with the word `name`: a call (`None` for `use strict;`), and
    /// whether its arguments were in parentheses.
    fn statement(&mut self, name: String, loc: Location) -> Result<(Option<Call>, bool), Error> {
        if name == "use" {
            let t = self.next()?;
            return match t.tok {
                Tok::Word(pragma) if pragma == "strict" || pragma == "warnings" => {
                    Ok((None, false))
                }
                other => Err(Error::Unsupported {
                    location: t.loc,
                    found: format!("`use` {}", other.describe()),
                    reason: "loading modules needs Perl; only `use strict` and `use warnings` \
                             are read"
                        .to_string(),
                }),
            };
        }
        if !FUNCTIONS.contains(&name.as_str()) {
            return Err(unknown_word(&name, loc, true));
        }
        let parenthesized = self.peek()?.tok == Tok::LParen;
        if parenthesized {
            self.next()?;
        }
        let args = self.arguments(parenthesized)?;
        Ok((Some(Call { name, loc, args }), parenthesized))
    }

    /// A comma-separated argument list, up to `)` (consumed) or to the end of the statement
    /// (not consumed).
    fn arguments(&mut self, parenthesized: bool) -> Result<Vec<Arg>, Error> {
        let mut args = Vec::new();
        let mut any = false;
        let mut after_item = false;
        loop {
            let t = self.peek()?.clone();
            let loc = t.loc;
            match t.tok {
                Tok::RParen if parenthesized => {
                    self.next()?;
                    return Ok(args);
                }
                Tok::Semi | Tok::RBrace | Tok::Eof if !parenthesized => return Ok(args),
                Tok::Comma | Tok::FatComma if any => {
                    self.next()?;
                    after_item = false;
                    continue;
                }
                Tok::Word(ref w) if STATEMENT_MODIFIERS.contains(&w.as_str()) => {
                    return Err(Error::Unsupported {
                        location: loc,
                        found: format!("the statement modifier `{w}`"),
                        reason: "conditions and loops need Perl to evaluate them".to_string(),
                    })
                }
                ref other if after_item || !is_item(other) => {
                    let expected = if after_item && parenthesized {
                        "`,` or `)`"
                    } else if after_item {
                        "`,` or `;`"
                    } else {
                        "an argument"
                    };
                    if !after_item {
                        if let Tok::Word(w) = other {
                            return Err(unknown_word(w, loc, false));
                        }
                    }
                    return Err(Error::Syntax {
                        location: loc,
                        expected: expected.to_string(),
                        found: other.describe(),
                    });
                }
                _ => {}
            }
            let t = self.next()?;
            match t.tok {
                Tok::Str(s) => args.push(Arg {
                    value: Value::Str(s),
                    loc,
                }),
                Tok::Num(n) => args.push(Arg {
                    value: Value::Num(n),
                    loc,
                }),
                Tok::VStr(v) => args.push(Arg {
                    value: Value::VStr(v),
                    loc,
                }),
                Tok::Words(words) => args.extend(words.into_iter().map(|w| Arg {
                    value: Value::Str(w),
                    loc,
                })),
                Tok::Word(w) if w == "undef" => args.push(Arg {
                    value: Value::Undef,
                    loc,
                }),
                Tok::Word(_) => {
                    // `sub`, by `is_item`.
                    let brace = self.next()?;
                    if brace.tok != Tok::LBrace {
                        return Err(Error::Unsupported {
                            location: brace.loc,
                            found: format!("`sub` followed by {}", brace.tok.describe()),
                            reason: "only anonymous blocks `sub { ... }` are read".to_string(),
                        });
                    }
                    if self.depth >= MAX_DEPTH {
                        return Err(Error::Unsupported {
                            location: brace.loc,
                            found: format!("a block nested more than {MAX_DEPTH} deep"),
                            reason: "cpanfiles nest `feature` and `on` a few levels at most"
                                .to_string(),
                        });
                    }
                    self.depth += 1;
                    let body = self.statements(Some(brace.loc))?;
                    self.depth -= 1;
                    args.push(Arg {
                        value: Value::Sub(body),
                        loc,
                    });
                }
                _ => unreachable!("checked by is_item"),
            }
            any = true;
            after_item = true;
        }
    }
}

/// Words that make the statement conditional or a loop.
const STATEMENT_MODIFIERS: &[&str] = &["if", "unless", "while", "until", "for", "foreach"];

fn is_item(tok: &Tok) -> bool {
    match tok {
        Tok::Str(_) | Tok::Num(_) | Tok::VStr(_) | Tok::Words(_) => true,
        Tok::Word(w) => w == "sub" || w == "undef",
        _ => false,
    }
}

/// The error for a word that is not a cpanfile function (at the start of a statement) or not
/// a value (in arguments).
fn unknown_word(word: &str, location: Location, statement: bool) -> Error {
    let reason = match word {
        "osname" => "Module::CPANfile does not implement `osname` (it dies with `TODO`)",
        "if" | "unless" | "while" | "until" | "for" | "foreach" | "else" | "elsif" => {
            "conditions and loops need Perl to evaluate them"
        }
        "my" | "our" | "local" | "state" => {
            "variables need Perl to evaluate them; write the value itself"
        }
        "sub" => "defining subroutines needs Perl",
        "do" | "require" | "eval" | "BEGIN" | "END" | "package" | "return" | "print" | "die"
        | "warn" | "exit" | "system" | "exec" | "no" => "running Perl code needs Perl",
        _ if statement => {
            "it is not a cpanfile function (requires, recommends, suggests, conflicts, on, \
             feature, mirror, configure_requires, build_requires, test_requires, author_requires)"
        }
        _ => {
            "barewords and function calls in arguments need Perl; quote strings, and write a word \
             before `=>` only as an option name or phase"
        }
    };
    Error::Unsupported {
        location,
        found: format!("`{word}`"),
        reason: reason.to_string(),
    }
}

/// The phase and feature `requires` and the like add to (Module::CPANfile::Environment's
/// `phase` and `feature`, which `on` and `feature` localize).
#[derive(Clone)]
struct Scope {
    phase: Phase,
    feature: Option<String>,
}

fn run(calls: &[Call], scope: &Scope, out: &mut Parsed) -> Result<(), Error> {
    for call in calls {
        let name = call.name.as_str();
        let shortcut = |phase| Scope {
            phase,
            feature: scope.feature.clone(),
        };
        match name {
            "requires" => declare(call, scope, Relationship::Requires, out)?,
            "recommends" => declare(call, scope, Relationship::Recommends, out)?,
            "suggests" => declare(call, scope, Relationship::Suggests, out)?,
            "conflicts" => declare(call, scope, Relationship::Conflicts, out)?,
            "configure_requires" => declare(
                call,
                &shortcut(Phase::Configure),
                Relationship::Requires,
                out,
            )?,
            "build_requires" => {
                declare(call, &shortcut(Phase::Build), Relationship::Requires, out)?
            }
            "test_requires" => declare(call, &shortcut(Phase::Test), Relationship::Requires, out)?,
            "author_requires" => {
                declare(call, &shortcut(Phase::Develop), Relationship::Requires, out)?
            }
            "on" => {
                let usage = "expects a phase and a block: on 'test' => sub { ... }";
                let [phase, body] = call.args.as_slice() else {
                    return Err(arguments(call, usage));
                };
                let (Some(name), Value::Sub(body)) = (scalar(&phase.value), &body.value) else {
                    return Err(arguments(call, usage));
                };
                let phase = Phase::from_name(name).ok_or_else(|| Error::UnknownPhase {
                    location: phase.loc,
                    phase: name.to_string(),
                })?;
                run(body, &shortcut(phase), out)?;
            }
            "feature" => {
                let usage = "expects an identifier, a description and a block: \
                             feature 'identifier', 'Description' => sub { ... }";
                let (identifier, description, body) = match call.args.as_slice() {
                    [id, body] => (id, id, body),
                    [id, description, body] => (id, description, body),
                    _ => return Err(arguments(call, usage)),
                };
                let (Some(identifier), Some(description), Value::Sub(body)) = (
                    scalar(&identifier.value),
                    scalar(&description.value),
                    &body.value,
                ) else {
                    return Err(arguments(call, usage));
                };
                match out.features.iter_mut().find(|(id, _)| id == identifier) {
                    Some(existing) => existing.1 = description.to_string(),
                    None => out
                        .features
                        .push((identifier.to_string(), description.to_string())),
                }
                let inner = Scope {
                    phase: scope.phase,
                    feature: Some(identifier.to_string()),
                };
                run(body, &inner, out)?;
            }
            "mirror" => {
                let [url] = call.args.as_slice() else {
                    return Err(arguments(call, "expects one URL: mirror 'https://...'"));
                };
                let Value::Str(url) = &url.value else {
                    return Err(arguments(call, "expects one URL: mirror 'https://...'"));
                };
                out.mirrors.push(url.clone());
            }
            _ => unreachable!("only cpanfile functions are parsed"),
        }
    }
    Ok(())
}

/// A string or number argument as a string.
fn scalar(value: &Value) -> Option<&str> {
    match value {
        Value::Str(s) | Value::Num(s) => Some(s),
        _ => None,
    }
}

fn arguments(call: &Call, problem: &str) -> Error {
    Error::Arguments {
        location: call.loc,
        function: call.name.clone(),
        problem: problem.to_string(),
    }
}

/// `add_prereq` with `requirement_for`: the module, then the version when the number of
/// remaining arguments is odd, then option pairs.
fn declare(
    call: &Call,
    scope: &Scope,
    relationship: Relationship,
    out: &mut Parsed,
) -> Result<(), Error> {
    let Some((module, rest)) = call.args.split_first() else {
        return Err(arguments(call, "expects a module name"));
    };
    let Value::Str(module) = &module.value else {
        return Err(arguments(call, "expects a module name (a string) first"));
    };
    let (version, options) = if rest.len() % 2 == 1 {
        let version = match &rest[0].value {
            Value::Str(s) | Value::Num(s) | Value::VStr(s) => s.clone(),
            Value::Undef => String::new(),
            Value::Sub(_) => {
                return Err(arguments(
                    call,
                    "expects a version requirement, not a block",
                ))
            }
        };
        (version, &rest[1..])
    } else {
        (String::new(), rest)
    };
    // `$args{version} ||= 0`
    let version = if perl_false(&version) {
        "0".to_string()
    } else {
        version
    };
    let mut module_options = ModuleOptions::default();
    for pair in options.chunks(2) {
        let [key, value] = pair else {
            unreachable!("an even number of arguments")
        };
        let key_name = scalar(&key.value).unwrap_or("");
        let Some(slot) = module_options.slot(key_name) else {
            return Err(Error::UnknownOption {
                location: key.loc,
                module: module.clone(),
                option: match &key.value {
                    Value::Str(s) | Value::Num(s) | Value::VStr(s) => s.clone(),
                    Value::Undef => "undef".to_string(),
                    Value::Sub(_) => "sub { ... }".to_string(),
                },
            });
        };
        let Some(value) = scalar(&value.value) else {
            return Err(arguments(
                call,
                &format!("the option {key_name:?} expects a string"),
            ));
        };
        *slot = Some(value.to_string());
    }
    out.declarations.push(Declaration {
        feature: scope.feature.clone(),
        phase: scope.phase,
        relationship,
        module: module.clone(),
        version,
        options: module_options,
        location: call.loc,
    });
    Ok(())
}

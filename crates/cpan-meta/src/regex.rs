//! A tiny backtracking matcher for the handful of Perl regular expressions
//! `CPAN::Meta::YAML` applies to each line.
//!
//! Those expressions rely on Perl's backtracking order (greedy and lazy quantifiers,
//! alternation, look-ahead), so they are written here as trees of [`Node`]s and matched the way
//! Perl's engine does: depth first, first alternative first, greedy quantifiers longest first.
//! A step budget stops pathological inputs; running out of it counts as "no match" and is
//! reported to the caller.

use std::cell::Cell;

/// One piece of a pattern.
pub(crate) enum Node {
    /// One character for which the predicate holds.
    Class(fn(char) -> bool),
    /// One literal character.
    Lit(char),
    /// The pieces one after the other.
    Seq(Vec<Node>),
    /// The first alternative that lets the whole pattern match.
    Alt(Vec<Node>),
    /// `min` or more repetitions (greedy or lazy).
    Repeat {
        node: Box<Node>,
        min: usize,
        greedy: bool,
    },
    /// A capture group (numbered from 1).
    Group(usize, Box<Node>),
    /// A positive look-ahead.
    Ahead(Box<Node>),
    /// The end of the string (`\z`, and `$` since lines hold no newline).
    End,
}

/// Shorthands for building patterns.
pub(crate) mod build {
    use super::Node;

    pub(crate) fn class(f: fn(char) -> bool) -> Node {
        Node::Class(f)
    }
    pub(crate) fn lit(c: char) -> Node {
        Node::Lit(c)
    }
    pub(crate) fn seq(nodes: Vec<Node>) -> Node {
        Node::Seq(nodes)
    }
    pub(crate) fn alt(nodes: Vec<Node>) -> Node {
        Node::Alt(nodes)
    }
    pub(crate) fn star(node: Node) -> Node {
        Node::Repeat {
            node: Box::new(node),
            min: 0,
            greedy: true,
        }
    }
    pub(crate) fn plus(node: Node) -> Node {
        Node::Repeat {
            node: Box::new(node),
            min: 1,
            greedy: true,
        }
    }
    pub(crate) fn lazy_star(node: Node) -> Node {
        Node::Repeat {
            node: Box::new(node),
            min: 0,
            greedy: false,
        }
    }
    pub(crate) fn opt(node: Node) -> Node {
        alt(vec![node, seq(vec![])])
    }
    pub(crate) fn group(n: usize, node: Node) -> Node {
        Node::Group(n, Box::new(node))
    }
    pub(crate) fn ahead(node: Node) -> Node {
        Node::Ahead(Box::new(node))
    }
    pub(crate) fn end() -> Node {
        Node::End
    }
}

/// The outcome of a match attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Matched: the end position and the capture groups (character offsets).
    Matched {
        end: usize,
        groups: Vec<Option<(usize, usize)>>,
    },
    /// No match.
    NoMatch,
    /// The step budget ran out.
    TooComplex,
}

/// How many steps one match attempt may take.
const STEP_BUDGET: usize = 2_000_000;

struct Matcher<'a> {
    input: &'a [char],
    steps: Cell<usize>,
    groups: Vec<Option<(usize, usize)>>,
}

type Cont<'c> = &'c mut dyn FnMut(&mut Matcher<'_>, usize) -> bool;

impl Matcher<'_> {
    fn tick(&self) -> bool {
        let n = self.steps.get() + 1;
        self.steps.set(n);
        n <= STEP_BUDGET
    }

    fn run(&mut self, node: &Node, pos: usize, k: Cont<'_>) -> bool {
        if !self.tick() {
            return false;
        }
        match node {
            Node::Class(f) => match self.input.get(pos) {
                Some(&c) if f(c) => k(self, pos + 1),
                _ => false,
            },
            Node::Lit(want) => match self.input.get(pos) {
                Some(&c) if c == *want => k(self, pos + 1),
                _ => false,
            },
            Node::Seq(nodes) => self.run_seq(nodes, pos, k),
            Node::Alt(nodes) => {
                for n in nodes {
                    if self.run(n, pos, k) {
                        return true;
                    }
                }
                false
            }
            Node::Repeat { node, min, greedy } => self.run_repeat(node, *min, *greedy, 0, pos, k),
            Node::Group(n, inner) => {
                let saved = self.groups.get(*n).copied().flatten();
                let start = pos;
                let index = *n;
                let matched = self.run(inner, pos, &mut |m: &mut Matcher<'_>, end| {
                    let before = m.groups.get(index).copied().flatten();
                    if let Some(slot) = m.groups.get_mut(index) {
                        *slot = Some((start, end));
                    }
                    if k(m, end) {
                        return true;
                    }
                    if let Some(slot) = m.groups.get_mut(index) {
                        *slot = before;
                    }
                    false
                });
                if !matched {
                    if let Some(slot) = self.groups.get_mut(index) {
                        *slot = saved;
                    }
                }
                matched
            }
            Node::Ahead(inner) => {
                if self.run(inner, pos, &mut |_, _| true) {
                    k(self, pos)
                } else {
                    false
                }
            }
            Node::End => pos == self.input.len() && k(self, pos),
        }
    }

    fn run_seq(&mut self, nodes: &[Node], pos: usize, k: Cont<'_>) -> bool {
        match nodes.split_first() {
            None => k(self, pos),
            Some((first, rest)) => self.run(first, pos, &mut |m: &mut Matcher<'_>, next| {
                m.run_seq(rest, next, k)
            }),
        }
    }

    fn run_repeat(
        &mut self,
        node: &Node,
        min: usize,
        greedy: bool,
        count: usize,
        pos: usize,
        k: Cont<'_>,
    ) -> bool {
        if !self.tick() {
            return false;
        }
        let again = |m: &mut Matcher<'_>, k: Cont<'_>| {
            m.run(node, pos, &mut |m: &mut Matcher<'_>, next| {
                // An iteration that consumed nothing would repeat forever.
                next != pos && m.run_repeat(node, min, greedy, count + 1, next, k)
            })
        };
        if count < min {
            return again(self, k);
        }
        // A greedy quantifier tries one more iteration first, a lazy one stopping first.
        let more_first = greedy;
        if more_first && again(self, k) {
            return true;
        }
        if k(self, pos) {
            return true;
        }
        !more_first && again(self, k)
    }
}

/// Matches `pattern` at the start of `input` (the pattern is anchored with `^`), with
/// `group_count` capture groups.
pub(crate) fn match_at_start(pattern: &Node, input: &[char], group_count: usize) -> Outcome {
    match_from(pattern, input, 0, group_count)
}

/// Matches `pattern` starting exactly at `start`.
pub(crate) fn match_from(
    pattern: &Node,
    input: &[char],
    start: usize,
    group_count: usize,
) -> Outcome {
    let mut matcher = Matcher {
        input,
        steps: Cell::new(0),
        groups: vec![None; group_count + 1],
    };
    let mut end_pos = None;
    let matched = matcher.run(pattern, start, &mut |_, end| {
        end_pos = Some(end);
        true
    });
    match (matched, end_pos) {
        (true, Some(end)) => Outcome::Matched {
            end,
            groups: matcher.groups,
        },
        _ if matcher.steps.get() > STEP_BUDGET => Outcome::TooComplex,
        _ => Outcome::NoMatch,
    }
}

/// The text of capture group `n` of a match.
pub(crate) fn group_text(
    input: &[char],
    groups: &[Option<(usize, usize)>],
    n: usize,
) -> Option<String> {
    let (start, end) = groups.get(n).copied().flatten()?;
    input.get(start..end).map(|s| s.iter().collect())
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn greedy_and_lazy_backtracking() {
        // ^(a+)(a)\z on "aaa": the greedy group gives one back.
        let p = seq(vec![group(1, plus(lit('a'))), group(2, lit('a')), end()]);
        let input = chars("aaa");
        match match_at_start(&p, &input, 2) {
            Outcome::Matched { groups, .. } => {
                assert_eq!(group_text(&input, &groups, 1).as_deref(), Some("aa"));
            }
            other => panic!("{other:?}"),
        }
        // ^(.*?)(?=b) on "aab"
        let p = seq(vec![group(1, lazy_star(class(|_| true))), ahead(lit('b'))]);
        let input = chars("aabab");
        match match_at_start(&p, &input, 1) {
            Outcome::Matched { groups, end } => {
                assert_eq!(group_text(&input, &groups, 1).as_deref(), Some("aa"));
                assert_eq!(end, 2);
            }
            other => panic!("{other:?}"),
        }
    }
}

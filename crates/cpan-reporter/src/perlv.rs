//! The perl a report is about, read from the text of `perl -V`.
//!
//! `perl -V` prints `Config::myconfig` (the `Summary of my perl5 (revision 5 version 36
//! subversion 0) configuration:` block of `key=value` settings, one per line since perl 5.26
//! and several to a line, comma-separated, before), then the characteristics of the binary
//! (compile-time options, locally applied patches, `Built under`, `Compiled at`), `%ENV` and
//! `@INC`.  The reading follows `Config::Perl::V::plv2hash`, which the CPAN Testers clients use
//! for the same text; quoted values may themselves contain quotes (`config_args='... -A'x''`),
//! so a quoted value ends at the quote that ends the line or precedes a comma.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Error;

/// What `perl -V` says about a perl.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PerlIdentity {
    /// `5.36.0`, from the summary line.
    pub version: String,
    /// `revision`, `version` and `subversion` of the summary line (`5`, `36`, `0`).
    pub numbers: (u32, u32, u32),
    /// `perl_patchlevel` (`patch X` in the summary line of a patched or git-built perl).
    pub patch: Option<String>,
    /// The git commit of a perl built from git (`Snapshot of:` / `Commit id:`).
    pub commit_id: Option<String>,
    /// `osname` (`$^O`).
    pub osname: String,
    /// `osvers`.
    pub osvers: String,
    /// `archname`.
    pub archname: String,
    /// Every `key=value` setting of the summary block, quotes removed.
    pub config: BTreeMap<String, String>,
    /// The `Compile-time options:` (`USE_ITHREADS`, `USE_64_BIT_INT`...).
    pub compile_time_options: Vec<String>,
    /// `Locally applied patches:`, one per line.
    pub local_patches: Vec<String>,
    /// `Built under ...`.
    pub built_under: Option<String>,
    /// `Compiled at ...`.
    pub compiled_at: Option<String>,
    /// The `%ENV:` lines (`PERL5LIB="..."`) as name and unquoted value.
    pub env: Vec<(String, String)>,
    /// The `@INC:` directories.
    pub inc: Vec<String>,
    /// The whole text, as the v3 report's `language.build` carries it.
    pub text: String,
}

impl PerlIdentity {
    /// Reads the output of `perl -V`.
    pub fn parse(text: &str) -> Result<PerlIdentity, Error> {
        let missing = |what: &'static str| Error::PerlV { missing: what };
        let mut lines = text.lines();
        let summary = lines
            .by_ref()
            .find_map(|l| l.trim_start().strip_prefix("Summary of my"))
            .ok_or(missing(
                "the `Summary of my perl5 (...) configuration:` line",
            ))?;
        let (numbers, patch) = summary_numbers(summary).ok_or(missing(
            "`revision R version V subversion S` in the summary line",
        ))?;

        let mut config = BTreeMap::new();
        let mut commit_id = None;
        let mut rest = Vec::new();
        for line in lines.by_ref() {
            let t = line.trim();
            if t.starts_with("Characteristics of this binary") {
                break;
            }
            if let Some(id) = t
                .strip_prefix("Snapshot of:")
                .or_else(|| t.strip_prefix("Commit id:"))
            {
                commit_id = Some(id.trim().to_string()).filter(|s| !s.is_empty());
                continue;
            }
            parse_settings(line, &mut config);
        }
        rest.extend(lines);

        let mut id = PerlIdentity {
            version: format!("{}.{}.{}", numbers.0, numbers.1, numbers.2),
            numbers,
            patch,
            commit_id,
            osname: String::new(),
            osvers: String::new(),
            archname: String::new(),
            config,
            compile_time_options: Vec::new(),
            local_patches: Vec::new(),
            built_under: None,
            compiled_at: None,
            env: Vec::new(),
            inc: Vec::new(),
            text: text.to_string(),
        };
        id.read_characteristics(&rest);
        id.osname = match id.config.get("osname") {
            Some(os) if !os.is_empty() => os.clone(),
            // plv2hash: `$config{osname} ||= $build->{osname}` (from `Built under`).
            _ => id.built_under.clone().ok_or(missing("osname"))?,
        };
        id.osvers = id.config.get("osvers").cloned().unwrap_or_default();
        id.archname = id
            .config
            .get("archname")
            .filter(|a| !a.is_empty())
            .cloned()
            .ok_or(missing("archname"))?;
        Ok(id)
    }

    fn read_characteristics(&mut self, lines: &[&str]) {
        #[derive(PartialEq)]
        enum Section {
            None,
            Options,
            Patches,
            Env,
            Inc,
        }
        let mut section = Section::None;
        for line in lines {
            let t = line.trim();
            if t.is_empty() {
                continue;
            }
            if let Some(opts) = t.strip_prefix("Compile-time options:") {
                section = Section::Options;
                self.compile_time_options
                    .extend(opts.split_whitespace().map(str::to_string));
            } else if t.starts_with("Locally applied patches:") {
                section = Section::Patches;
            } else if let Some(os) = t.strip_prefix("Built under") {
                section = Section::None;
                self.built_under = Some(os.trim().to_string());
            } else if let Some(at) = t.strip_prefix("Compiled at") {
                section = Section::None;
                self.compiled_at = Some(at.trim().to_string());
            } else if t == "%ENV:" {
                section = Section::Env;
            } else if t == "@INC:" {
                section = Section::Inc;
            } else {
                match section {
                    Section::Options => self
                        .compile_time_options
                        .extend(t.split_whitespace().map(str::to_string)),
                    Section::Patches => self.local_patches.push(t.to_string()),
                    Section::Env => {
                        if let Some((k, v)) = t.split_once('=') {
                            let v = v.strip_prefix('"').unwrap_or(v);
                            let v = v.strip_suffix('"').unwrap_or(v);
                            self.env.push((k.to_string(), v.to_string()));
                        }
                    }
                    Section::Inc => self.inc.push(t.to_string()),
                    Section::None => {}
                }
            }
        }
    }

    /// A setting of the summary block (`cc`, `ivsize`, `usequadmath`...).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.config.get(key).map(String::as_str)
    }

    /// A Configure flag is on (`define` or `true`, as Configure writes them).
    pub fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some("define" | "true"))
    }

    /// `useithreads`.
    pub fn useithreads(&self) -> bool {
        self.flag("useithreads")
    }

    /// `usemultiplicity`.
    pub fn usemultiplicity(&self) -> bool {
        self.flag("usemultiplicity")
    }

    /// `use64bitint`.
    pub fn use64bitint(&self) -> bool {
        self.flag("use64bitint")
    }

    /// `use64bitall`.
    pub fn use64bitall(&self) -> bool {
        self.flag("use64bitall")
    }

    /// `uselongdouble`.
    pub fn uselongdouble(&self) -> bool {
        self.flag("uselongdouble")
    }

    /// `usequadmath` (printed only by perls that know it).
    pub fn usequadmath(&self) -> bool {
        self.flag("usequadmath")
    }

    /// `usemymalloc` (`y`/`n` rather than define/undef).
    pub fn usemymalloc(&self) -> bool {
        self.get("usemymalloc") == Some("y")
    }

    /// `useshrplib`.
    pub fn useshrplib(&self) -> bool {
        self.flag("useshrplib")
    }

    /// The perl version as CPAN::Reporter reports it
    /// (`CPAN::Reporter::History::_format_perl_version`): `5.36.0`, with ` patch X` when the
    /// perl carries a `perl_patchlevel`.  riverpan-testers reads such a version as patched.
    pub fn report_version(&self) -> String {
        match &self.patch {
            Some(p) => format!("{} patch {p}", self.version),
            None => self.version.clone(),
        }
    }
}

/// `(revision 5 version 36 subversion 0 patch X)` → the numbers and the patch.
fn summary_numbers(summary: &str) -> Option<((u32, u32, u32), Option<String>)> {
    let inner = summary.split_once('(')?.1;
    let inner = inner.rsplit_once(')').map_or(inner, |(a, _)| a);
    let words: Vec<&str> = inner.split_whitespace().collect();
    let value = |key: &str| {
        words
            .windows(2)
            .find(|w| w[0] == key)
            .map(|w| w[1].to_string())
    };
    // `perl5` names the revision when the line does not (plv2hash does the same).
    let rel = summary
        .split_whitespace()
        .next()
        .and_then(|pkg| pkg.strip_prefix("perl"))
        .and_then(|n| n.parse().ok());
    let revision = value("revision").and_then(|v| v.parse().ok()).or(rel)?;
    let version = value("version")?.parse().ok()?;
    let subversion = value("subversion")?.parse().ok()?;
    Some(((revision, version, subversion), value("patch")))
}

/// Reads the `key=value` settings of one line of the summary block into `out`.
fn parse_settings(line: &str, out: &mut BTreeMap<String, String>) {
    let b = line.as_bytes();
    let n = b.len();
    let is_key = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i < n {
        while i < n && (b[i] == b',' || b[i].is_ascii_whitespace()) {
            i += 1;
        }
        let key_start = i;
        while i < n && is_key(b[i]) {
            i += 1;
        }
        let key_end = i;
        // `ccflags ='...'`: old perls put a space before the `=`.
        while i < n && b[i] == b' ' {
            i += 1;
        }
        if key_end == key_start || i >= n || b[i] != b'=' {
            // A heading (`Platform:`) or stray text: skip the word.
            while i < n && !b[i].is_ascii_whitespace() {
                i += 1;
            }
            continue;
        }
        i += 1;
        let (value, next) = if b.get(i) == Some(&b'\'') {
            quoted_value(b, i + 1)
        } else {
            bare_value(b, i)
        };
        out.insert(
            line[key_start..key_end].to_string(),
            value.trim_end().to_string(),
        );
        i = next;
    }
}

/// A single-quoted value starting at `start` (after the quote): it ends at the first quote
/// followed by optional spaces and then a comma or the end of the line.
fn quoted_value(b: &[u8], start: usize) -> (String, usize) {
    let n = b.len();
    let mut j = start;
    while j < n {
        if b[j] == b'\'' {
            let mut k = j + 1;
            while k < n && b[k] == b' ' {
                k += 1;
            }
            if k == n || b[k] == b',' {
                return (String::from_utf8_lossy(&b[start..j]).into_owned(), j + 1);
            }
        }
        j += 1;
    }
    // No closing quote: the rest of the line.
    (String::from_utf8_lossy(&b[start..]).into_owned(), n)
}

/// An unquoted value: up to a comma that ends it, or whitespace before the next `key=`, or
/// the end of the line (`libpth=/usr/local/lib /usr/lib` keeps its spaces).
fn bare_value(b: &[u8], start: usize) -> (String, usize) {
    let n = b.len();
    let mut j = start;
    while j < n {
        if b[j] == b',' && (j + 1 == n || b[j + 1].is_ascii_whitespace()) {
            break;
        }
        if b[j].is_ascii_whitespace() && starts_setting(&b[j..]) {
            break;
        }
        j += 1;
    }
    (String::from_utf8_lossy(&b[start..j]).into_owned(), j)
}

/// Whitespace, then `key=` or `key =`.
fn starts_setting(b: &[u8]) -> bool {
    let mut i = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    let key = b[i..]
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
        .count();
    if key == 0 {
        return false;
    }
    i += key;
    while i < b.len() && b[i] == b' ' {
        i += 1;
    }
    b.get(i) == Some(&b'=')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pre-5.26 layout (several settings to a line), after the CPAN Testers API's own
    /// sample report (`t/share/perl5.v3.json`, perl 5.24.1 on darwin).
    const OLD_STYLE: &str = "\
Summary of my perl5 (revision 5 version 24 subversion 1) configuration:

  Platform:
    osname=darwin, osvers=16.4.0, archname=darwin-2level
    uname='darwin bebop.local 16.4.0 darwin kernel version 16.4.0 x86_64 '
    config_args='-Dprefix=/opt/perl -de -Dusedevel -A'eval:scriptdir=/opt/perl/bin''
    hint=recommended, useposix=true, d_sigaction=define
    useithreads=undef, usemultiplicity=undef
    use64bitint=define, use64bitall=define, uselongdouble=undef
    usemymalloc=n, bincompat5005=undef
  Compiler:
    cc='cc', ccflags ='-fno-common -DPERL_DARWIN -fno-strict-aliasing',
    optimize='-O3',
    ccversion='', gccversion='4.2.1 Compatible Apple LLVM 8.0.0 (clang-800.0.42.1)', gccosandvers=''
    intsize=4, longsize=8, ptrsize=8, doublesize=8, byteorder=12345678, doublekind=3
  Linker and Libraries:
    ld='env MACOSX_DEPLOYMENT_TARGET=10.3 cc', ldflags =' -fstack-protector-strong -L/usr/local/lib'
    libpth=/usr/local/lib /usr/lib
    libc=, so=dylib, useshrplib=false, libperl=libperl.a
  Dynamic Linking:
    dlsrc=dl_dlopen.xs, dlext=bundle, d_dlsymun=undef, ccdlflags=' '

Characteristics of this binary (from libperl):
  Compile-time options: HAS_TIMES PERLIO_LAYERS PERL_COPY_ON_WRITE
                        PERL_DONT_CREATE_GVSV USE_64_BIT_ALL
  Built under darwin
  Compiled at Feb 16 2017 19:24:42
  %ENV:
    PERLDOC_PAGER=\"less\"
  @INC:
    /opt/perl/lib/site_perl/5.24.1/darwin-2level
    .
";

    #[test]
    fn reads_the_old_layout() {
        let p = PerlIdentity::parse(OLD_STYLE).unwrap();
        assert_eq!(p.version, "5.24.1");
        assert_eq!((p.osname.as_str(), p.osvers.as_str()), ("darwin", "16.4.0"));
        assert_eq!(p.archname, "darwin-2level");
        assert_eq!(
            p.get("config_args"),
            Some("-Dprefix=/opt/perl -de -Dusedevel -A'eval:scriptdir=/opt/perl/bin'")
        );
        assert_eq!(
            p.get("ccflags"),
            Some("-fno-common -DPERL_DARWIN -fno-strict-aliasing")
        );
        assert_eq!(p.get("libpth"), Some("/usr/local/lib /usr/lib"));
        assert_eq!(p.get("libc"), Some(""));
        assert_eq!(p.get("so"), Some("dylib"));
        assert_eq!(
            p.get("gccversion"),
            Some("4.2.1 Compatible Apple LLVM 8.0.0 (clang-800.0.42.1)")
        );
        // plv2hash strips trailing blanks from values, quoted or not.
        assert_eq!(p.get("ccdlflags"), Some(""));
        assert!(!p.useithreads() && p.use64bitall() && !p.uselongdouble());
        assert_eq!(p.compile_time_options.len(), 5);
        assert_eq!(p.built_under.as_deref(), Some("darwin"));
        assert_eq!(p.env, [("PERLDOC_PAGER".to_string(), "less".to_string())]);
        assert_eq!(p.inc.len(), 2);
        assert_eq!(p.report_version(), "5.24.1");
    }

    #[test]
    fn patched_and_git_perls() {
        let text = "Summary of my perl5 (revision 5 version 43 subversion 9 patch blead-1-gabc) configuration:\n  Commit id: abc123\n  Platform:\n    osname=linux\n    archname=x86_64-linux\n";
        let p = PerlIdentity::parse(text).unwrap();
        assert_eq!(p.version, "5.43.9");
        assert_eq!(p.patch.as_deref(), Some("blead-1-gabc"));
        assert_eq!(p.commit_id.as_deref(), Some("abc123"));
        assert_eq!(p.report_version(), "5.43.9 patch blead-1-gabc");
    }

    #[test]
    fn refuses_what_is_not_perl_v() {
        assert!(PerlIdentity::parse("").is_err());
        assert!(PerlIdentity::parse("This is perl 5, version 36").is_err());
        let no_arch = "Summary of my perl5 (revision 5 version 36 subversion 0) configuration:\n osname=linux\n";
        assert!(matches!(
            PerlIdentity::parse(no_arch),
            Err(Error::PerlV {
                missing: "archname"
            })
        ));
    }
}

//! `modules/06perms.txt` (`rewrite06`) and `modules/03modlist.data` (`rewrite03`).

use crate::date::http_date;
use crate::packages::FileHeader;

/// The kind of an upload permission, in PAUSE's precedence order (best first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PermissionKind {
    /// `m`: the retired registered module list (`mods` table).
    ModuleList,
    /// `f`: first-come owner (`primeur`).
    FirstCome,
    /// `c`: co-maintainer (`perms`).
    CoMaint,
}

impl PermissionKind {
    /// The letter written in the third column of 06perms.
    pub fn letter(self) -> char {
        match self {
            PermissionKind::ModuleList => 'm',
            PermissionKind::FirstCome => 'f',
            PermissionKind::CoMaint => 'c',
        }
    }
}

/// One permission row as stored; several rows for one (package, userid) are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PermissionLine<'a> {
    /// The package, exact case as stored.
    pub package: &'a str,
    /// The PAUSE id.
    pub userid: &'a str,
    /// Which table the row comes from.
    pub kind: PermissionKind,
}

/// 06perms.txt: best permission per (package,userid) m > f > c, byte-sorted "package,userid,perm".
///
/// As in PAUSE, the key is the string `"package,userid"` (exact case): rows are merged and sorted by that string,
/// not by the pair, which matters only for names containing characters below `,` (such as the old `'` separator).
pub fn perms_txt(rows: &[PermissionLine], header: &FileHeader) -> String {
    // All keys in one buffer, each row referring to its span, so the sort allocates nothing per row.
    let mut keys = String::with_capacity(rows.len() * 32);
    let mut entries: Vec<(usize, usize, PermissionKind)> = Vec::with_capacity(rows.len());
    for row in rows {
        let start = keys.len();
        keys.push_str(row.package);
        keys.push(',');
        keys.push_str(row.userid);
        entries.push((start, keys.len(), row.kind));
    }
    let key = |&(start, end, _): &(usize, usize, PermissionKind)| &keys[start..end];
    // Sorting by (key, kind) puts the best permission first among equal keys; dedup keeps that first one, which is
    // PAUSE's `$seen{$key} ||= $type` over the queries in m, f, c order.
    entries.sort_unstable_by(|a, b| key(a).cmp(key(b)).then(a.2.cmp(&b.2)));
    entries.dedup_by(|later, kept| key(later) == key(kept));

    let mut body = String::with_capacity(keys.len() + entries.len() * 3);
    for entry in &entries {
        body.push_str(key(entry));
        body.push(',');
        body.push(entry.2.letter());
        body.push('\n');
    }

    let mut text = String::with_capacity(body.len() + 512);
    text.push_str("File:        06perms.txt\n");
    text.push_str("Description: CSV file of upload permission to the CPAN per namespace\n");
    text.push_str("    best-permission is one of \"m\" for \"modulelist\", \"f\" for\n");
    text.push_str("    \"first-come\", \"c\" for \"co-maint\"\n");
    text.push_str("Columns:     package,userid,best-permission\n");
    text.push_str("Line-Count:  ");
    text.push_str(&entries.len().to_string());
    text.push('\n');
    text.push_str("Written-By:  ");
    text.push_str(&header.written_by);
    text.push('\n');
    text.push_str("Date:        ");
    text.push_str(&http_date(header.date));
    text.push_str("\n\n");
    text.push_str(&body);
    text
}

/// The body of 03modlist.data, after PAUSE's `s/^\s+//gm`: CPAN.pm `Safe->reval`s it followed by
/// `CPAN::Modulelist->data`.
const MODLIST_BODY: &str = "package CPAN::Modulelist;\nsub data {\nreturn {};\n}\n1;\n";

/// 03modlist.data: the fixed stub (the module list is retired; `Modcount: 0`).
pub fn modlist_stub(header: &FileHeader) -> String {
    format!(
        "File:        03modlist.data\n\
         Description: This was once the \"registered module list\" but has been retired.\n        \
         No replacement is planned.\n\
         Modcount:    0\n\
         Written-By:  {}\n\
         Date:        {}\n\
         \n\
         {}",
        header.written_by,
        http_date(header.date),
        MODLIST_BODY
    )
}

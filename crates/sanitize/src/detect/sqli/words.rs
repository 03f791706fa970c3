//! What a SQL word is, for the lexer.
//!
//! The tables are small on purpose: a word that is common in prose
//! (`as`, `on`, `set`, `case`, `all`) stays a bareword unless its context
//! makes it SQL (`order by`, `group by`), so "as for me and my house" does
//! not read as a query.

/// The class of a lower-cased word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WordClass {
    /// A clause keyword.
    Keyword,
    /// `union`, `intersect`, `except`.
    Union,
    /// A statement keyword.
    Statement,
    /// `and`, `or`, `xor`.
    Logic,
    /// A comparison word.
    Compare,
    /// `div`, `mod`.
    Arith,
    /// `not`.
    Not,
    /// A function or object only attacks use.
    Evil,
    /// A function name when a `(` follows (after optional spaces).
    Function,
    /// `null`, `true`, `false`.
    Value,
    /// A keyword only when followed by the given word (`order by`).
    Pair(&'static str),
    /// Anything else.
    Plain,
}

/// Classifies a lower-cased word.
pub(crate) fn classify(word: &str) -> WordClass {
    use WordClass::*;
    match word {
        "from" | "where" | "having" | "limit" | "offset" | "procedure" | "values" => Keyword,
        "union" | "intersect" | "except" => Union,
        "select" | "insert" | "update" | "delete" | "drop" | "create" | "alter" | "exec"
        | "execute" | "declare" | "truncate" | "shutdown" | "grant" | "revoke" | "rename"
        | "handler" | "call" => Statement,
        "and" | "or" | "xor" => Logic,
        "like" | "rlike" | "regexp" | "is" | "in" | "between" | "glob" => Compare,
        "div" | "mod" => Arith,
        "not" | "binary" => Not,
        "sleep" | "benchmark" | "pg_sleep" | "waitfor" | "load_file" | "extractvalue"
        | "updatexml" | "xp_cmdshell" | "sp_executesql" | "xp_dirtree" | "xp_regread"
        | "sp_oacreate" | "sp_makewebtask" | "sp_password" | "information_schema"
        | "sysobjects" | "syscolumns" | "sysdatabases" | "msysobjects" | "msysaccessobjects"
        | "pg_shadow" | "pg_user" | "utl_inaddr" | "utl_http" | "dbms_pipe" | "dbms_lock"
        | "dbms_xmlgen" | "outfile" | "dumpfile" | "group_concat" | "concat_ws" | "make_set"
        | "sqlite_master" | "all_tables" | "user_tables" | "pg_database" | "mysql.user"
        | "sys.objects" | "xmltype" | "ctxsys" | "sys_eval" | "sys_exec" | "lo_import"
        | "lo_export" | "randomblob" | "sysusers" | "syslogins" => Evil,
        "ascii" | "substring" | "substr" | "mid" | "char" | "chr" | "concat" | "cast"
        | "convert" | "hex" | "unhex" | "count" | "ord" | "if" | "iif" | "ifnull" | "isnull"
        | "nvl" | "coalesce" | "nullif" | "md5" | "sha1" | "version" | "database" | "user"
        | "current_user" | "system_user" | "session_user" | "schema" | "length" | "len"
        | "exists" | "elt" | "instr" | "left" | "right" | "reverse" | "lower" | "upper"
        | "rand" | "floor" | "char_length" | "bin" | "conv" | "db_name" | "user_name"
        | "host_name" | "getdate" | "now" | "datalength" | "unicode" | "nchar" | "replace"
        | "cos" | "sin" | "tan" | "pi" | "abs" | "exp" | "log" | "sqrt" | "power" | "pow"
        | "round" | "ceil" | "greatest" | "least" | "min" | "max" | "sum" | "avg" | "lpad"
        | "rpad" | "trim" | "ltrim" | "rtrim" | "space" | "repeat" | "name_const" | "crc32"
        | "sha2" | "compress" | "uncompress" | "found_rows" | "row_count" | "last_insert_id"
        | "connection_id" | "current_database" | "pg_backend_pid" | "cot" | "atan" | "sign" => {
            Function
        }
        "null" | "true" | "false" => Value,
        "order" | "group" => Pair("by"),
        "into" => Pair("outfile"),
        "case" => Pair("when"),
        "sounds" => Pair("like"),
        _ => Plain,
    }
}

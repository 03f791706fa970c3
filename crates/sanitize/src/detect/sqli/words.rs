//! What a SQL word is, for the lexer.
//!
//! The tables are small on purpose: a word that is common in prose
//! (`as`, `on`, `set`, `case`, `all`) stays a bareword unless its context
//! makes it SQL (`order by`, `group by`), so "as for me and my house" does
//! not read as a query.

use crate::detect::keywords::WordMap;
use std::sync::LazyLock;

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

/// Every word that is not [`WordClass::Plain`], with its class.
fn table() -> Vec<(&'static str, WordClass)> {
    use WordClass::*;
    [
        ("from", Keyword),
        ("where", Keyword),
        ("having", Keyword),
        ("limit", Keyword),
        ("offset", Keyword),
        ("procedure", Keyword),
        ("values", Keyword),
        ("union", Union),
        ("intersect", Union),
        ("except", Union),
        ("select", Statement),
        ("insert", Statement),
        ("update", Statement),
        ("delete", Statement),
        ("drop", Statement),
        ("create", Statement),
        ("alter", Statement),
        ("exec", Statement),
        ("execute", Statement),
        ("declare", Statement),
        ("truncate", Statement),
        ("shutdown", Statement),
        ("grant", Statement),
        ("revoke", Statement),
        ("rename", Statement),
        ("handler", Statement),
        ("call", Statement),
        ("and", Logic),
        ("or", Logic),
        ("xor", Logic),
        ("like", Compare),
        ("rlike", Compare),
        ("regexp", Compare),
        ("is", Compare),
        ("in", Compare),
        ("between", Compare),
        ("glob", Compare),
        ("div", Arith),
        ("mod", Arith),
        ("not", Not),
        ("binary", Not),
        ("sleep", Evil),
        ("benchmark", Evil),
        ("pg_sleep", Evil),
        ("waitfor", Evil),
        ("load_file", Evil),
        ("extractvalue", Evil),
        ("updatexml", Evil),
        ("xp_cmdshell", Evil),
        ("sp_executesql", Evil),
        ("xp_dirtree", Evil),
        ("xp_regread", Evil),
        ("sp_oacreate", Evil),
        ("sp_makewebtask", Evil),
        ("sp_password", Evil),
        ("information_schema", Evil),
        ("sysobjects", Evil),
        ("syscolumns", Evil),
        ("sysdatabases", Evil),
        ("msysobjects", Evil),
        ("msysaccessobjects", Evil),
        ("pg_shadow", Evil),
        ("pg_user", Evil),
        ("utl_inaddr", Evil),
        ("utl_http", Evil),
        ("dbms_pipe", Evil),
        ("dbms_lock", Evil),
        ("dbms_xmlgen", Evil),
        ("outfile", Evil),
        ("dumpfile", Evil),
        ("group_concat", Evil),
        ("concat_ws", Evil),
        ("make_set", Evil),
        ("sqlite_master", Evil),
        ("all_tables", Evil),
        ("user_tables", Evil),
        ("pg_database", Evil),
        ("mysql.user", Evil),
        ("sys.objects", Evil),
        ("xmltype", Evil),
        ("ctxsys", Evil),
        ("sys_eval", Evil),
        ("sys_exec", Evil),
        ("lo_import", Evil),
        ("lo_export", Evil),
        ("randomblob", Evil),
        ("sysusers", Evil),
        ("syslogins", Evil),
        ("ascii", Function),
        ("substring", Function),
        ("substr", Function),
        ("mid", Function),
        ("char", Function),
        ("chr", Function),
        ("concat", Function),
        ("cast", Function),
        ("convert", Function),
        ("hex", Function),
        ("unhex", Function),
        ("count", Function),
        ("ord", Function),
        ("if", Function),
        ("iif", Function),
        ("ifnull", Function),
        ("isnull", Function),
        ("nvl", Function),
        ("coalesce", Function),
        ("nullif", Function),
        ("md5", Function),
        ("sha1", Function),
        ("version", Function),
        ("database", Function),
        ("user", Function),
        ("current_user", Function),
        ("system_user", Function),
        ("session_user", Function),
        ("schema", Function),
        ("length", Function),
        ("len", Function),
        ("exists", Function),
        ("elt", Function),
        ("instr", Function),
        ("left", Function),
        ("right", Function),
        ("reverse", Function),
        ("lower", Function),
        ("upper", Function),
        ("rand", Function),
        ("floor", Function),
        ("char_length", Function),
        ("bin", Function),
        ("conv", Function),
        ("db_name", Function),
        ("user_name", Function),
        ("host_name", Function),
        ("getdate", Function),
        ("now", Function),
        ("datalength", Function),
        ("unicode", Function),
        ("nchar", Function),
        ("replace", Function),
        ("cos", Function),
        ("sin", Function),
        ("tan", Function),
        ("pi", Function),
        ("abs", Function),
        ("exp", Function),
        ("log", Function),
        ("sqrt", Function),
        ("power", Function),
        ("pow", Function),
        ("round", Function),
        ("ceil", Function),
        ("greatest", Function),
        ("least", Function),
        ("min", Function),
        ("max", Function),
        ("sum", Function),
        ("avg", Function),
        ("lpad", Function),
        ("rpad", Function),
        ("trim", Function),
        ("ltrim", Function),
        ("rtrim", Function),
        ("space", Function),
        ("repeat", Function),
        ("name_const", Function),
        ("crc32", Function),
        ("sha2", Function),
        ("compress", Function),
        ("uncompress", Function),
        ("found_rows", Function),
        ("row_count", Function),
        ("last_insert_id", Function),
        ("connection_id", Function),
        ("current_database", Function),
        ("pg_backend_pid", Function),
        ("cot", Function),
        ("atan", Function),
        ("sign", Function),
        ("null", Value),
        ("true", Value),
        ("false", Value),
        ("order", Pair("by")),
        ("group", Pair("by")),
        ("into", Pair("outfile")),
        ("case", Pair("when")),
        ("sounds", Pair("like")),
    ]
    .into_iter()
    .collect()
}

/// The table, built once: one hash lookup per word instead of a chain of
/// string comparisons.
static TABLE: LazyLock<WordMap<WordClass>> = LazyLock::new(|| WordMap::new(table()));

/// Classifies a lower-cased word.
pub(crate) fn classify(word: &str) -> WordClass {
    classify_bytes(word.as_bytes())
}

/// Classifies a lower-cased word given as bytes.
pub(crate) fn classify_bytes(word: &[u8]) -> WordClass {
    TABLE.get(word).unwrap_or(WordClass::Plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_of_the_table_keeps_its_class() {
        for (word, class) in table() {
            assert_eq!(classify(word), class, "{word}");
            // One letter more or less, or another first letter: not that word.
            for other in [
                format!("{word}x"),
                word[..word.len() - 1].to_owned(),
                format!("q{}", &word[1..]),
            ] {
                if let Some((_, c)) = table().into_iter().find(|(w, _)| *w == other) {
                    assert_eq!(classify(&other), c, "{other}");
                } else {
                    assert_eq!(classify(&other), WordClass::Plain, "{other}");
                }
            }
        }
    }

    #[test]
    fn other_words_are_plain() {
        for w in [
            "",
            "brien",
            "hand",
            "made",
            "selects",
            "unio",
            "a",
            &"x".repeat(40),
        ] {
            assert_eq!(classify(w), WordClass::Plain, "{w}");
        }
        assert_eq!(classify("select"), WordClass::Statement);
        assert_eq!(classify("union"), WordClass::Union);
    }
}

use super::*;

fn hit(s: &str) -> bool {
    SqlInjectionDetector::default().scan(s).is_some()
}

fn strict(s: &str) -> bool {
    SqlInjectionDetector::new(Strictness::Strict)
        .scan(s)
        .is_some()
}

#[test]
fn breaks_out_of_single_and_double_quotes() {
    for s in [
        "' or '1'='1",
        "admin'--",
        "admin' #",
        "x' OR 1=1 -- ",
        "\" or \"\"=\"",
        "1' and sleep(5)#",
        "') or ('a'='a",
        "1'; DROP TABLE users--",
        "-7387'))) order by 1--",
        "' UNION SELECT username, password FROM users--",
        "1'='1",
        "x' and 1=(select count(*) from tabname); --",
    ] {
        assert!(hit(s), "{s}");
    }
}

#[test]
fn numeric_context_injections() {
    for s in [
        "1 or 1=1",
        "1 union select 1,2,3",
        "-1 UNION ALL SELECT null,@@version--",
        "1) and 8514=(select count(*) from t) and (4666=4666",
        "1; waitfor delay '0:0:5'--",
        "1 and ascii(substring((select user()),1,1))>64",
        "1 order by 3--",
        "1 or sleep(5)",
    ] {
        assert!(hit(s), "{s}");
    }
}

#[test]
fn encoded_and_obfuscated_variants() {
    for s in [
        "%27%20or%20%271%27%3D%271",
        "%2527%2520union%2520select%25201",
        "1/**/UnIoN/**/SeLeCt/**/1",
        "1 /*!50000union*/ /*!50000select*/ 1",
        "&#39; or &#39;a&#39;=&#39;a",
        "\u{ff07} or 1=1--",
        "1 union%0aselect 1",
        "exec master..xp_cmdshell 'dir'",
    ] {
        assert!(hit(s), "{s}");
    }
}

#[test]
fn prose_names_and_numbers_pass() {
    for s in [
        "O'Brien",
        "Select your plan -- now",
        "Rock 'n' roll",
        "2 or 3 apples",
        "1 & 2",
        "Tom and Jerry",
        "I'd like to order by phone",
        "The union selected a new leader",
        "drop me a line; cat lovers welcome",
        "Where is George?",
        "it's 5 o'clock",
        "\"Not for sale\" and \"as is\"",
        "1950 union made",
        "Please select 2 items from the list",
    ] {
        assert!(!hit(s), "{s}");
    }
}

#[test]
fn strict_flags_shapes_prose_can_take() {
    assert!(!hit("1 -- first"));
    assert!(strict("1 -- first"));
    assert!(strict("5; drop table x"));
    assert!(strict("a or 1=1"));
}

#[test]
fn fingerprint_and_span_name_the_match() {
    let f = SqlInjectionDetector::default()
        .scan("1 UNION SELECT 2")
        .expect("match");
    assert_eq!(f.category(), Category::SqlInjection);
    assert_eq!(f.fingerprint(), "1UE1");
    assert_eq!(f.span(), 0..14);
    assert!(!f.decoded());
    let f = SqlInjectionDetector::default()
        .scan("1%20UNION%20SELECT%202")
        .expect("match");
    assert!(f.decoded());
}

#[test]
fn nul_and_invalid_utf8_do_not_hide_an_injection() {
    assert!(hit("x\0' or 1=1--"));
    assert!(
        SqlInjectionDetector::default()
            .scan_bytes(b"\xff' or 1=1--")
            .is_some()
    );
}

#[test]
fn generative_shapes_beyond_the_break() {
    for s in [
        "1) where 7956=7956 or sleep(5)#",
        "1') as alias where 4915=4915 and 1=1--",
        "1,(select (case when (1=1) then 1 else 0 end))",
        "(select count(*) from generate_series(1,5000000))",
        "182UNION SELECT 1,2,3",
        "x' and 'y",
        "a' sounds like 'b",
        "'1' into outfile '/tmp/x'",
        " ( 'a' or 'b' )  --",
        "select sin(1),2 from bar where",
        "1' in boolean mode) and 1=1#",
        "1';call f(1)--",
        "x' + 'y",
    ] {
        assert!(hit(s), "{s}");
    }
    for s in [
        "\"create a critter\"",
        "\"like\" stamp",
        "select your plan from the list",
        "4=5 is false",
        "1950s union jack",
    ] {
        assert!(!hit(s), "{s}");
    }
}

fn span(s: &str) -> Option<std::ops::Range<usize>> {
    SqlInjectionDetector::default().scan(s).map(|f| f.span())
}

#[test]
fn a_closing_parenthesis_breaks_out_of_a_numeric_or_named_context() {
    // `... where id = (INPUT)` or `... in (name)`: the input closes the
    // parenthesis and appends a clause.
    assert!(hit(") order by 3--"));
    assert!(hit("abc) order by 3--"));
    assert_eq!(span("abc) order by 3--"), Some(0..15));
}

#[test]
fn a_full_text_search_is_closed_before_the_injection() {
    // `match(title) against('INPUT' in boolean mode)`.
    assert!(hit("x' in boolean mode) order by 3#"));
    assert!(hit("x' in boolean mode order by 3#"));
    // Only `in boolean mode` is skipped, not any word that reads `mode`.
    assert!(!hit("It's a mode where you play alone"));
}

#[test]
fn a_derived_tables_alias_is_skipped_before_the_clause() {
    // `select * from (select ... where a = 'INPUT') as t`.
    assert!(hit("1') as t order by 1--"));
    assert!(hit("1' as t order by 1--"));
    assert!(hit("1 as t order by 3--"));
}

#[test]
fn a_tautology_is_reported_at_its_first_literal() {
    assert_eq!(span("hello(4587=4587"), Some(6..10));
    assert_eq!(span("hello 4587=4587"), Some(6..10));
}

#[test]
fn a_match_spans_the_break_and_its_continuation() {
    // An attack-only call right after the break.
    assert_eq!(span("1 sleep(5)"), Some(0..10));
    // Or after a logical operator.
    assert_eq!(span("1 and sleep(5)"), Some(0..14));
    // Or after an operator that glues it to the closed string.
    assert_eq!(span("x' + sleep(5)"), Some(0..13));
    // A comparison after a logical operator.
    assert_eq!(span("1 and 2=3"), Some(0..9));
}

#[test]
fn stacked_statements_after_a_semicolon() {
    for s in [
        "1; upper(1)",
        "x'; upper('a')--",
        "1; set_config('a','b',false)--",
        "admin';--",
        "admin'; --",
    ] {
        assert!(hit(s), "{s}");
    }
    // A statement word after `;` that does not start a statement.
    assert!(!hit("12; drop off at the back door"));
}

#[test]
fn a_statement_right_after_the_break() {
    // SQL Server runs statements without a separating `;`.
    assert!(hit("x' drop table users--"));
    assert!(!hit("l'update est disponible"));
}

#[test]
fn a_union_with_its_select_hidden() {
    assert!(hit("x' union 1--"));
}

#[test]
fn a_function_after_a_logical_operator() {
    assert!(hit("1 and hex(1) and 1"));
    assert!(hit("x' and hex(1)"));
    // Outside quotes a call ending the value is prose: "2 or more(s)".
    assert!(!hit("2 or more(s)"));
}

#[test]
fn a_subquery_concatenated_to_the_closed_string() {
    assert!(hit("x' + (select password)#"));
    assert!(hit("x'+(select top 1 password from users)+'"));
}

#[test]
fn strings_joined_by_an_operator_keep_the_last_ones_quoting() {
    // `'a'+'b'` is one closed string: a literal the condition compares.
    assert!(hit("x' and 'a'+'b' and '1"));
    // `'a'+'b` is left open for the query's own quote to close.
    assert!(hit("x' = 'a'+'b"));
}

#[test]
fn a_literal_after_a_logical_operator() {
    // The string the input closes, a logical operator and a literal: the
    // query's own quote closes the last string.
    assert!(hit("x' and 'y"));
    assert_eq!(span("x' and 'y"), Some(0..9));
    assert_eq!(span("x' and 1"), Some(0..8));
    // A value cut off by a comment, or a statement.
    assert_eq!(span("1 or 2 --"), Some(0..9));
    assert_eq!(span("x' or select"), Some(0..12));
    // A word is no literal: a possessive plural before "and".
    assert!(!hit("the Smiths' and Joneses"));
    // A string left open by the other quote, or after a break holding it,
    // is not closed by the query's quote.
    assert!(!hit("x' and \"y"));
    assert!(!hit("'a calendar\" and \"b"));
    // Outside quotes no quote of the query closes the last string.
    assert!(!hit("x) or x+'y"));
}

#[test]
fn a_comparison_right_after_the_break() {
    // `'=(select ...)`: a subquery compared with the closed string.
    assert!(hit("x'=(select password)"));
    // A value and a comment, or an unclosed string the query's quote
    // closes.
    assert!(hit("x' = 1 --"));
    assert!(hit("x' = 'y"));
    // A closed string leaves the query's own quote unbalanced.
    assert!(!hit("x' = 'y'"));
    // Arithmetic and rating scales outside quotes; strict flags a bare
    // comparison.
    assert!(!hit("2 + 2 = 4"));
    assert!(strict("2 + 2 = 4"));
    assert!(!hit("5 = (very good)"));
}

#[test]
fn a_clause_keyword_after_the_break() {
    // Inside quotes any clause but a lone `from`, `values`, `offset` or
    // `limit` continues the query.
    assert!(hit("x' order by 1"));
    assert!(!hit("The Jones' from next door"));
    // Outside quotes a value must follow.
    assert!(hit("1 order by 3"));
    assert!(!hit("5 where?"));
    assert!(!hit("2 from the shelf"));
}

#[test]
fn a_subquery_as_the_whole_value() {
    // `(select ...)` in place of a value, whatever follows `select`.
    assert!(hit("(select top 1 password from users)"));
    // A parenthesised remark after an operator is no subquery.
    assert!(!hit("5' + (6 inches)"));
}

#[test]
fn a_conditional_on_a_comparison() {
    // `case when 5=6 then ...`: a boolean probe without a tautology.
    assert!(hit("case when 5=6 then 1 else 0 end"));
    assert!(hit("(case when 5=6 then 1 else 0 end)"));
    assert!(!hit("case 5 of wine"));
}

#[test]
fn a_tautology_holds_whatever_quotes_its_strings() {
    assert!(hit("\"a\"='a'"));
    assert!(hit("'a'=\"a\""));
    assert!(hit("1'='1'"));
    assert!(!hit("\"a\"='b'"));
}

#[test]
fn a_query_anywhere_in_the_text() {
    // `union (select ...)` and `select * from` wherever they stand.
    assert!(hit("abc select * from users"));
    // A union of words in parentheses is prose.
    assert!(!hit("The Union (founded 1950) won"));
    // A logical operator, a literal compared with a literal.
    assert!(!hit("Ages 5 and 6 to 8"));
}

#[test]
fn strict_flags_stacked_statements_and_comparisons_anywhere() {
    assert!(!hit("Hi; select your seat below"));
    assert!(strict("Hi; select your seat below"));
    assert!(!hit("Tom and Jerry = classic"));
    assert!(strict("Tom and Jerry = classic"));
    assert!(strict("a or x=y"));
    assert!(!strict("Tom and Jerry"));
}

#[test]
fn a_statement_after_a_semicolon_must_read_as_one() {
    // `call` needs a procedure call, `exec` a procedure and an argument.
    assert!(!hit("9-5; call me"));
    assert!(hit("1'; exec 'sp_who'--"));
    assert!(hit("1; exec sp_who 'x'"));
    assert!(!hit("1; exec will create the case"));
    assert!(!hit("1); exec will create 2 cases"));
    // Two plain words after the statement are prose.
    assert!(!hit("1); select your seat"));
}

#[test]
fn strict_comments_but_not_search_terms() {
    assert!(strict("10 -- first"));
    assert!(!strict("5 --infant"));
}

#[test]
fn a_whole_value_that_is_a_query() {
    assert!(hit("select 1 where foo"));
    assert!(hit("select 1 where foo = 2"));
    assert!(!hit("Select 1 where you live"));
    // `select ... from name`, unless two plain words meet before `from`.
    assert!(hit("select top 1 password from users"));
    assert_eq!(
        span("select top 1 password from users where id"),
        Some(0..32)
    );
}

#[test]
fn a_number_cut_off_by_a_bare_comment() {
    // `417652--`: the comment glued to the number drops the rest.
    assert!(hit("417652--"));
    // A number, then a dash line.
    assert!(!hit("42 --"));
}

#[test]
fn a_subquery_inside_the_text() {
    assert!(hit("name in (select 1)"));
    assert!(hit("id in (select user_id from admins)"));
    assert!(!hit("Please (select one) below"));
}

#[test]
fn where_and_one_word_closing_the_value_is_prose_at_the_default_level() {
    for s in ["2 where possible", "a) where applicable"] {
        assert!(!hit(s), "{s}");
        assert!(strict(s), "{s}");
    }
    // A condition, or anything after the word, is still read as SQL.
    for s in [
        "1 where 1",
        "1 where id --",
        "1) where x and 1=1",
        "1 where admin or",
        "x' where possible",
        "1 having possible",
    ] {
        assert!(hit(s), "{s}");
    }
}

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

#[test]
fn a_tautology_holds_whatever_quotes_its_strings() {
    assert!(hit("\"a\"='a'"));
    assert!(hit("'a'=\"a\""));
    assert!(hit("1'='1'"));
    assert!(!hit("\"a\"='b'"));
}

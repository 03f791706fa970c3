//! The password generator: length, classes, uniqueness, and no bias.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart::auth::password::{CharClass, PasswordGenerator};
use std::collections::{HashMap, HashSet};

#[test]
fn defaults_give_sixteen_characters_with_every_class() {
    let g = PasswordGenerator::default();
    assert_eq!(g.length(), 16);
    let all: String = [
        CharClass::Lowercase,
        CharClass::Uppercase,
        CharClass::Digit,
        CharClass::Special,
    ]
    .iter()
    .map(|c| c.alphabet())
    .collect();
    let mut seen = HashSet::new();
    for _ in 0..500 {
        let p = g.generate().unwrap();
        assert_eq!(p.chars().count(), 16);
        assert!(p.chars().all(|c| all.contains(c)), "{}", *p);
        for class in g.classes() {
            assert!(
                p.chars().any(|c| class.alphabet().contains(c)),
                "{} lacks {class:?}",
                *p
            );
        }
        assert!(seen.insert(p.to_string()), "repeated password");
    }
}

#[test]
fn the_shortest_length_still_has_one_of_each_class() {
    let g = PasswordGenerator::builder().length(4).build().unwrap();
    for _ in 0..300 {
        let p = g.generate().unwrap();
        for class in g.classes() {
            assert_eq!(
                p.chars().filter(|c| class.alphabet().contains(*c)).count(),
                1,
                "{}",
                *p
            );
        }
    }
}

/// Pearson's chi-squared statistic of observed counts against a uniform expectation.
fn chi_squared(counts: &HashMap<char, usize>, categories: usize, total: usize) -> f64 {
    let expected = total as f64 / categories as f64;
    assert_eq!(counts.len(), categories, "a character never appeared");
    counts
        .values()
        .map(|&o| (o as f64 - expected).powi(2) / expected)
        .sum()
}

#[test]
fn characters_are_uniform() {
    // 28 specials: 256 is not a multiple of 28, so `byte % 28` would favour
    // four characters by 11%; 200,000 draws make that stand out.
    const DRAWS: usize = 200_000;
    let g = PasswordGenerator::builder()
        .length(200)
        .classes([CharClass::Special])
        .build()
        .unwrap();
    let mut counts = HashMap::new();
    for _ in 0..DRAWS / 200 {
        for c in g.generate().unwrap().chars() {
            *counts.entry(c).or_insert(0) += 1;
        }
    }
    let chi = chi_squared(&counts, 28, DRAWS);
    // 27 degrees of freedom: P(chi² > 70) is about 1e-5.
    assert!(chi < 70.0, "chi² = {chi}");
    // And the test can fail: the counts a `byte % 28` draw expects are caught.
    let biased: HashMap<char, usize> = CharClass::Special
        .alphabet()
        .chars()
        .enumerate()
        .map(|(i, c)| (c, DRAWS * if i < 256 % 28 { 10 } else { 9 } / 256))
        .collect();
    let total = biased.values().sum();
    assert!(chi_squared(&biased, 28, total) > 70.0);
}

#[test]
fn every_position_draws_from_the_whole_alphabet() {
    // With digits and lower-case, a digit is as likely first as last.
    let g = PasswordGenerator::builder()
        .length(8)
        .classes([CharClass::Digit, CharClass::Lowercase])
        .build()
        .unwrap();
    let mut first = 0;
    let mut last = 0;
    for _ in 0..4000 {
        let p = g.generate().unwrap();
        first += usize::from(p.chars().next().unwrap().is_ascii_digit());
        last += usize::from(p.chars().last().unwrap().is_ascii_digit());
    }
    let (first, last) = (first as f64 / 4000.0, last as f64 / 4000.0);
    assert!((first - last).abs() < 0.05, "{first} vs {last}");
    assert!(first > 0.2 && first < 0.45, "{first}");
}

#[test]
fn impossible_settings_are_config_errors() {
    assert!(PasswordGenerator::builder().length(3).build().is_err());
    assert!(PasswordGenerator::builder().length(2000).build().is_err());
    assert!(PasswordGenerator::builder().classes([]).build().is_err());
    let dup = PasswordGenerator::builder()
        .length(2)
        .classes([CharClass::Digit, CharClass::Digit, CharClass::Uppercase])
        .build()
        .unwrap();
    assert_eq!(dup.classes().len(), 2);
}

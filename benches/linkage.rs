//! Linkage keys (issue 26): how well they find the same person across records, and how fast.
//!
//! A generator of synthetic people with the variations real records have here — a typo, name
//! and surname swapped, the same Arabic, Cyrillic, Chinese or Edo name transliterated by
//! another operator, the birth year missing or off by one, a married surname — records each
//! person one to three times (the true links are known), encodes every record
//! (`satis::platform::linkage`), finds candidate pairs by blocking and keeps those whose
//! similarity, as the holder of the secret compares them, reaches the threshold. Prints
//! precision, recall and F1 at several thresholds, and the time to link the records
//! (`SATIS_BENCH_DETAIL=THRESHOLD` also prints pairs it gets wrong there).
//!
//! `cargo bench --bench linkage [-- RECORDS]` (default 100,000); results in docs/BENCHMARKS.md.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;
use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use satis::platform::linkage::{self, Fields, Key};

/// Syllables names are made of, by origin: thousands of distinct names, as in real records.
const ORIGINS: &[(&str, &[&str])] = &[
    (
        "NG",
        &[
            "o", "sa", "gie", "e", "hi", "mwen", "ma", "ig", "bi", "ne", "di", "on", "a", "de",
            "ye", "mi", "ok", "fo", "ro", "chi", "ka", "nke", "ze", "bo", "la",
        ],
    ),
    (
        "MA",
        &[
            "mo", "ham", "med", "fa", "ti", "ma", "ai", "sha", "you", "ssef", "kha", "di", "ja",
            "ra", "ni", "ben", "al", "ha", "dad", "li", "za", "hra", "sa", "mir", "el",
        ],
    ),
    (
        "UA",
        &[
            "o", "lek", "sandr", "iu", "li", "ia", "na", "ta", "shev", "chen", "ko", "va", "len",
            "kuz", "net", "so", "pet", "ro", "svit", "la", "ol", "ha", "dmy", "tro", "vych",
        ],
    ),
    (
        "CN",
        &[
            "xiao", "ling", "wei", "mei", "zhang", "wang", "liu", "chen", "li", "hua", "jing",
            "yan", "fang", "qing", "lan", "hong", "yu", "xin", "zhou", "huang",
        ],
    ),
    (
        "RO",
        &[
            "a", "na", "io", "ne", "la", "pes", "cu", "mi", "ha", "e", "le", "na", "con", "stan",
            "tin", "dra", "gos", "ra", "du", "ma", "ri", "an", "vi", "ca", "flo",
        ],
    ),
    (
        "AL",
        &[
            "e", "lo", "na", "dri", "tan", "ho", "xha", "kras", "ni", "qi", "bes", "ni", "ke",
            "ar", "ta", "ja", "ber", "ish", "ga", "shi", "ler", "ta", "dua", "fa", "tos",
        ],
    ),
];

/// One transliteration another operator might write for the same name.
fn variant(rng: &mut StdRng, name: &str) -> String {
    const RULES: &[(&str, &str)] = &[
        ("ou", "u"),
        ("u", "ou"),
        ("y", "i"),
        ("i", "y"),
        ("kh", "h"),
        ("h", "kh"),
        ("ph", "f"),
        ("j", "y"),
        ("iu", "yu"),
        ("ia", "ya"),
        ("sh", "ch"),
        ("x", "h"),
        ("zh", "j"),
        ("ss", "s"),
        ("e", "i"),
        ("o", "u"),
        ("med", "mad"),
        ("ks", "x"),
    ];
    let applicable: Vec<&(&str, &str)> = RULES.iter().filter(|(f, _)| name.contains(f)).collect();
    if applicable.is_empty() {
        return name.to_owned();
    }
    let (from, to) = applicable[rng.random_range(0..applicable.len())];
    name.replacen(from, to, 1)
}

fn made_name(rng: &mut StdRng, syllables: &[&str], min: usize, max: usize) -> String {
    let n = rng.random_range(min..=max);
    let mut s: String = (0..n)
        .map(|_| syllables[rng.random_range(0..syllables.len())])
        .collect();
    if let Some(first) = s.get(..1) {
        s = first.to_uppercase() + &s[1..];
    }
    s
}

struct Person {
    given: Vec<String>,
    surname: String,
    married: Option<String>,
    year: i32,
    gender: &'static str,
    nation: &'static str,
}

struct Record {
    person: usize,
    names: String,
    year: Option<i32>,
    gender: &'static str,
    nation: String,
}

fn spelling(rng: &mut StdRng, name: &str, first: bool) -> String {
    if first || rng.random_bool(0.7) {
        name.to_owned()
    } else {
        variant(rng, name)
    }
}

fn typo(rng: &mut StdRng, s: &str) -> String {
    let mut c: Vec<char> = s.chars().collect();
    if c.len() < 4 {
        return s.to_owned();
    }
    let i = rng.random_range(1..c.len() - 1);
    match rng.random_range(0..3) {
        0 => {
            c.remove(i);
        }
        1 => c.swap(i, i + 1),
        _ => c[i] = ['a', 'e', 'i', 'o', 'n', 'r'][rng.random_range(0..6)],
    }
    c.into_iter().collect()
}

fn record(rng: &mut StdRng, id: usize, p: &Person, first: bool) -> Record {
    let mut given: Vec<String> = p.given.iter().map(|g| spelling(rng, g, first)).collect();
    let mut surname = spelling(rng, &p.surname, first);
    if !first {
        if let Some(m) = p.married.as_ref().filter(|_| rng.random_bool(0.5)) {
            surname = format!("{surname} {m}");
        }
        if rng.random_bool(0.25) {
            let i = rng.random_range(0..given.len());
            given[i] = typo(rng, &given[i]);
        }
        if rng.random_bool(0.15) {
            surname = typo(rng, &surname);
        }
    }
    let names = if !first && rng.random_bool(0.3) {
        format!("{surname} {}", given.join(" "))
    } else {
        format!("{} {surname}", given.join(" "))
    };
    let year = if !first && rng.random_bool(0.1) {
        None
    } else if !first && rng.random_bool(0.1) {
        Some(p.year + if rng.random_bool(0.5) { 1 } else { -1 })
    } else {
        Some(p.year)
    };
    Record {
        person: id,
        names,
        year,
        gender: p.gender,
        nation: p.nation.to_owned(),
    }
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    // Another generator seed (`SATIS_BENCH_SEED`) checks that a setting chosen on the
    // default one holds on people it was not chosen on.
    let seed = std::env::var("SATIS_BENCH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20261204);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut records = Vec::with_capacity(n);
    let mut people = 0usize;
    while records.len() < n {
        let (nation, syllables) = ORIGINS[rng.random_range(0..ORIGINS.len())];
        let given_count = if rng.random_bool(0.3) { 2 } else { 1 };
        let p = Person {
            given: (0..given_count)
                .map(|_| made_name(&mut rng, syllables, 1, 3))
                .collect(),
            surname: made_name(&mut rng, syllables, 2, 4),
            married: rng
                .random_bool(0.1)
                .then(|| made_name(&mut rng, ORIGINS[0].1, 2, 4)),
            year: rng.random_range(1965..2008),
            gender: if rng.random_bool(0.8) {
                "female"
            } else {
                "male"
            },
            nation,
        };
        let copies = [1, 1, 2, 2, 3][rng.random_range(0..5)];
        for c in 0..copies {
            if records.len() < n {
                let r = record(&mut rng, people, &p, c == 0);
                records.push(r);
            }
        }
        people += 1;
    }
    let mut truth = HashSet::new();
    for i in 0..records.len() {
        for j in i + 1..(i + 4).min(records.len()) {
            if records[i].person == records[j].person {
                truth.insert((i, j));
            }
        }
    }
    let secret = [42u8; 32];
    let started = Instant::now();
    let encoder = linkage::Encoder::new(&secret);
    let keys: Vec<Key> = records
        .iter()
        .map(|r| {
            let nats = vec![r.nation.clone()];
            encoder.encode(&Fields {
                names: &r.names,
                birth_year: r.year,
                gender: Some(r.gender),
                nationalities: &nats,
            })
        })
        .collect();
    let encoded = started.elapsed();
    // What SATIS does: the holder of the secret reads each key once, finds the pairs worth
    // comparing and compares them.
    let decoded: Vec<linkage::Decoded> = keys.iter().map(|k| encoder.decode(k)).collect();
    let pairs: Vec<(usize, usize)> = linkage::pairs_to_compare(&keys, &decoded).collect();
    let blocked = started.elapsed();
    let compared: Vec<((usize, usize), f64)> = pairs
        .iter()
        .map(|&(i, j)| ((i, j), linkage::compare(&decoded[i], &decoded[j])))
        .collect();
    let total = started.elapsed();
    println!(
        "{n} records of {people} people, {} true links; encoding {:.1} s, reading and blocking \
         {:.1} s ({} candidate pairs), comparing {:.1} s; total {:.1} s",
        truth.len(),
        encoded.as_secs_f64(),
        (blocked - encoded).as_secs_f64(),
        pairs.len(),
        (total - blocked).as_secs_f64(),
        total.as_secs_f64()
    );
    let found_by_blocking = pairs.iter().filter(|p| truth.contains(p)).count();
    println!(
        "blocking keeps {:.3} of the true links",
        found_by_blocking as f64 / truth.len() as f64
    );
    let scored: Vec<((usize, usize), f64)> = pairs
        .iter()
        .map(|&(i, j)| ((i, j), linkage::dice(&keys[i], &keys[j])))
        .collect();
    println!(
        "Similarity as compared by the holder of the secret (names word by word, then years):"
    );
    table(
        &compared,
        &truth,
        &[
            0.66, 0.68, 0.70, 0.71, 0.72, 0.73, 0.74, 0.75, 0.76, 0.78, 0.80, 0.82,
        ],
    );
    if let Some(t) = std::env::var("SATIS_BENCH_DETAIL")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
    {
        errors(&records, &compared, &truth, t);
    }
    println!(
        "Dice of the balanced keys' whole-record parts (what anyone with keys could compare):"
    );
    table(
        &scored,
        &truth,
        &[0.86, 0.87, 0.88, 0.89, 0.90, 0.91, 0.92, 0.94],
    );
}

/// With `SATIS_BENCH_DETAIL=THRESHOLD`: examples of the pairs the comparison gets wrong there,
/// to see which variation costs precision or recall.
fn errors(
    records: &[Record],
    scored: &[((usize, usize), f64)],
    truth: &HashSet<(usize, usize)>,
    t: f64,
) {
    let show = |(i, j): (usize, usize), s: f64| {
        let (a, b) = (&records[i], &records[j]);
        println!(
            "  {s:.3}  {} ({:?} {} {}) | {} ({:?} {} {})",
            a.names, a.year, a.gender, a.nation, b.names, b.year, b.gender, b.nation
        );
    };
    println!("Taken for one person, but two (threshold {t}):");
    for (p, s) in scored
        .iter()
        .filter(|(p, s)| *s >= t && !truth.contains(p))
        .take(40)
    {
        show(*p, *s);
    }
    println!("One person, missed:");
    let by_pair: std::collections::HashMap<(usize, usize), f64> = scored.iter().copied().collect();
    let mut missed: Vec<&(usize, usize)> = truth
        .iter()
        .filter(|p| by_pair.get(p).is_none_or(|s| *s < t))
        .collect();
    missed.sort_unstable();
    for p in missed.into_iter().take(40) {
        show(*p, by_pair.get(p).copied().unwrap_or(-1.0));
    }
}

fn table(scored: &[((usize, usize), f64)], truth: &HashSet<(usize, usize)>, thresholds: &[f64]) {
    println!("| threshold | precision | recall | F1 |");
    println!("| --- | --- | --- | --- |");
    for &t in thresholds {
        let linked: Vec<&(usize, usize)> = scored
            .iter()
            .filter(|(_, d)| *d >= t)
            .map(|(p, _)| p)
            .collect();
        let right = linked.iter().filter(|p| truth.contains(p)).count();
        let precision = right as f64 / linked.len().max(1) as f64;
        let recall = right as f64 / truth.len().max(1) as f64;
        let f1 = 2.0 * precision * recall / (precision + recall).max(f64::MIN_POSITIVE);
        println!("| {t:.2} | {precision:.3} | {recall:.3} | {f1:.4} |");
    }
}

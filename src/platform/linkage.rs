//! Privacy-preserving linkage keys (issue 26): a Bloom-filter encoding of a person's name,
//! birth year, gender and nationality — the "cryptographic long-term key" (CLK) of Schnell,
//! Bachteler and Reiher (2011) — keyed with a network-wide linkage secret, so that two bodies
//! can tell that their records are probably the same person by comparing keys (Dice
//! similarity) without either seeing the other's names.
//!
//! How a key is made:
//! 1. Names are folded (Unicode compatibility decomposition, accents dropped, lower case,
//!    letters only) and each word is also written in a *transliteration skeleton* (common
//!    spellings of the same sound made one: `kh`→`h`, `ph`→`f`, `ou`→`u`, `y`/`j`→`i`,
//!    doubled letters once, vowels dropped after the first letter), so that "Mohammed",
//!    "Muhammad" and "Mohamed", or "Iuliia" and "Yulia", share most of what is hashed.
//! 2. The padded bigrams of every word and of its skeleton form one *set*: the order of the
//!    words (name before surname or after) does not matter.
//! 3. Each element (bigram, birth year, its decade, gender, nationality) sets `k` bits chosen
//!    by HMAC-SHA-256 under the secret and the field's name; fields count by their own `k`.
//! 4. Each name word (up to four, in alphabetical order; a fifth and after join the fourth)
//!    also gets a small filter of its own with its bigrams and its skeleton's, so that the
//!    holder of the secret can pair word with word: a surname added at marriage is one word
//!    more, not a diluted whole.
//! 5. **Balancing** against frequency attacks (Schnell and Borgs 2016): the filter is written
//!    beside its complement and the two are mixed by a permutation the secret chooses, so that
//!    every key has the same number of ones and the count of set bits — which grows with a
//!    name's length and frequency — tells nothing, and no bit position can be read alone. Salting by a
//!    stable field was considered and left out: the only stable fields here (birth year,
//!    nationality) are the ones most often missing or corrected, and a salt that differs
//!    breaks every name comparison.
//!
//! [`candidates`] finds the pairs worth comparing by locality-sensitive blocking on bit samples
//! of the balanced keys, and [`sharing_a_word`] those with a name word written the same way
//! (read by the holder of the secret); the holder of the secret compares a pair with
//! [`Encoder::similarity`]: the filters inside the keys, the birth year, gender and
//! nationality read back from them, and the names compared word by word (each word paired
//! with the other record's word it agrees with most, Dice similarity), less a penalty for
//! what else differs ([`dice`] over the balanced bits is kept for comparison in the
//! benchmark).

use hmac::{Hmac, Mac};
use sha2::Sha256;
use unicode_normalization::UnicodeNormalization;

/// Bits of the filter before balancing (the key holds twice as many).
pub const BITS: usize = 1024;

/// Name words kept apart, each in a filter of its own (a fifth word and after share the last).
pub const SLOTS: usize = 4;
/// Bits of each word's filter.
pub const SLOT_BITS: usize = 512;
/// Bits a bigram of a word sets in the word's filter; bits a bigram of its skeleton sets.
/// (Few bits in a large filter: two different words then share few bits by chance, so a
/// pair's Dice similarity spans most of 0–1.)
const WORD_GRAM_BITS: usize = 3;
const WORD_SOUND_BITS: usize = 2;
/// The version of the key's layout: part of the tag stored with every key, so that keys made
/// by an older layout are made again at the next start.
pub const LAYOUT: &str = "v2";

/// Bits a birth year sets.
const YEAR_BITS: usize = 40;
/// Bits a gender sets.
const GENDER_BITS: usize = 10;
/// Bits a nationality sets.
const NATION_BITS: usize = 15;

/// The fields of a person that make a key; any may be unknown.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fields<'a> {
    /// Every name and surname, in any order.
    pub names: &'a str,
    pub birth_year: Option<i32>,
    /// A gender code (`female`, `male`, …).
    pub gender: Option<&'a str>,
    /// ISO 3166 alpha-2 codes.
    pub nationalities: &'a [String],
}

/// A linkage key: the balanced Bloom filter of the whole record (`2 × BITS` bits), then the
/// balanced filters of its name words (`2 × SLOTS × SLOT_BITS` bits).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key(pub Vec<u64>);

const RECORD_WORDS: usize = 2 * BITS / 64;
const WORD_FILTER_BITS: usize = SLOTS * SLOT_BITS;
const WORDS: usize = RECORD_WORDS + 2 * WORD_FILTER_BITS / 64;

impl Key {
    /// The key as bytes (for storage).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|w| w.to_be_bytes()).collect()
    }

    /// A key read back from [`Key::to_bytes`]; `None` for anything else.
    pub fn from_bytes(bytes: &[u8]) -> Option<Key> {
        if bytes.len() != WORDS * 8 {
            return None;
        }
        Some(Key(bytes
            .chunks_exact(8)
            .map(|c| {
                let mut w = [0u8; 8];
                w.copy_from_slice(c);
                u64::from_be_bytes(w)
            })
            .collect()))
    }

    fn bit(&self, i: usize) -> bool {
        self.0[i / 64] >> (i % 64) & 1 == 1
    }
}

/// Folds a name: compatibility decomposition, accents dropped, lower case, letters only,
/// words separated by one space.
pub fn fold(name: &str) -> String {
    let folded: String = name
        .nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| if c.is_alphabetic() { c } else { ' ' })
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The transliteration skeleton of a folded word (see the module's description).
pub fn skeleton(word: &str) -> String {
    let mut s = word.to_owned();
    for (from, to) in [
        ("sch", "s"),
        ("tch", "c"),
        ("kh", "h"),
        ("gh", "g"),
        ("ph", "f"),
        ("th", "t"),
        ("sh", "s"),
        ("ch", "c"),
        ("zh", "z"),
        ("ts", "c"),
        ("dj", "g"),
        ("dzh", "g"),
        ("ck", "k"),
        ("ou", "u"),
        ("q", "k"),
        ("x", "ks"),
        ("w", "v"),
        ("y", "i"),
        ("j", "i"),
    ] {
        s = s.replace(from, to);
    }
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        let vowel = matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'h');
        if i > 0 && vowel {
            continue;
        }
        if out.ends_with(c) {
            continue;
        }
        out.push(c);
    }
    out
}

/// The padded bigrams of a word: `_w`, `wo`, `or`, `rd`, `d_`.
fn bigrams(word: &str) -> Vec<String> {
    let padded: Vec<char> = std::iter::once('_')
        .chain(word.chars())
        .chain(std::iter::once('_'))
        .collect();
    padded
        .windows(2)
        .map(|w| w.iter().collect::<String>())
        .collect()
}

/// The name words of a record as they fill the word filters: in alphabetical order (so that
/// the key does not depend on the order they were written in), a fifth word and after joined
/// to the fourth.
fn slot_words(names: &str) -> Vec<Vec<String>> {
    let folded = fold(names);
    let mut words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    words.sort_unstable();
    let mut slots: Vec<Vec<String>> = Vec::new();
    for word in words {
        if slots.len() < SLOTS {
            slots.push(vec![word.to_owned()]);
        } else if let Some(last) = slots.last_mut() {
            last.push(word.to_owned());
        }
    }
    slots
}

/// The filter of one name word (or of the words sharing the last slot).
fn word_filter(words: &[String], secret: &[u8; 32]) -> [u64; SLOT_BITS / 64] {
    let mut filter = [0u64; SLOT_BITS / 64];
    let mut set = |field: &str, value: &str, k: usize| {
        for pos in positions_in(secret, field, value, k, SLOT_BITS) {
            filter[pos / 64] |= 1 << (pos % 64);
        }
    };
    for word in words {
        for g in bigrams(word) {
            set("word", &g, WORD_GRAM_BITS);
        }
        for g in bigrams(&skeleton(word)) {
            set("word sound", &g, WORD_SOUND_BITS);
        }
    }
    filter
}

/// The elements hashed into a key, each with its field's name and bit count.
fn elements(f: &Fields) -> Vec<(&'static str, String, usize)> {
    let mut out = Vec::new();
    let folded = fold(f.names);
    let mut grams = std::collections::BTreeSet::new();
    for word in folded.split(' ').filter(|w| !w.is_empty()) {
        for g in bigrams(word) {
            grams.insert(("name", g));
        }
        let sk = skeleton(word);
        if sk.chars().count() > 1 {
            for g in bigrams(&sk) {
                grams.insert(("sound", g));
            }
        }
    }
    for (field, g) in grams {
        out.push((field, g, if field == "name" { 12 } else { 8 }));
    }
    if let Some(y) = f.birth_year {
        out.push(("year", y.to_string(), YEAR_BITS));
        // Neighbouring years share half as many bits: a year off by one still counts.
        out.push(("years", (y.div_euclid(2)).to_string(), 20));
        out.push(("years", ((y + 1).div_euclid(2)).to_string(), 20));
    }
    if let Some(g) = f.gender.filter(|g| !g.is_empty() && *g != "unknown") {
        out.push(("gender", g.to_owned(), GENDER_BITS));
    }
    for n in f.nationalities {
        out.push(("nationality", n.to_uppercase(), NATION_BITS));
    }
    out
}

/// Makes keys under one secret: the secret keys the hashes and chooses the permutation that
/// mixes each filter with its complement.
pub struct Encoder {
    secret: [u8; 32],
    permutation: Vec<usize>,
    /// The permutation that mixes the word filters with their complements.
    word_permutation: Vec<usize>,
    /// The bits each birth year sets (its own and its two-year spans), to find a key's year
    /// again when comparing (see [`Encoder::similarity`]).
    years: Vec<(i32, Vec<usize>)>,
    /// The bits each common gender code sets.
    genders: Vec<(&'static str, Vec<usize>)>,
    /// The bits each nationality (ISO 3166 alpha-2) sets.
    nations: Vec<(&'static str, Vec<usize>)>,
}

/// Birth years a key's year is looked for among.
const YEARS: std::ops::RangeInclusive<i32> = 1900..=2035;

impl Encoder {
    pub fn new(secret: &[u8; 32]) -> Encoder {
        use rand::SeedableRng;
        use rand::seq::SliceRandom;
        let mut seed = <Hmac<Sha256> as Mac>::new_from_slice(secret)
            .map(|mut m| {
                m.update(b"satis linkage permutation v1");
                let d: [u8; 32] = m.finalize().into_bytes().into();
                d
            })
            .unwrap_or(*secret);
        let mut rng = rand::rngs::StdRng::from_seed(seed);
        let mut permutation: Vec<usize> = (0..2 * BITS).collect();
        permutation.shuffle(&mut rng);
        let mut word_permutation: Vec<usize> = (0..2 * WORD_FILTER_BITS).collect();
        word_permutation.shuffle(&mut rng);
        seed.fill(0);
        let years = YEARS
            .map(|y| {
                let mut bits = positions(secret, "year", &y.to_string(), YEAR_BITS);
                bits.extend(positions(secret, "years", &y.div_euclid(2).to_string(), 20));
                bits.extend(positions(
                    secret,
                    "years",
                    &(y + 1).div_euclid(2).to_string(),
                    20,
                ));
                (y, bits)
            })
            .collect();
        let genders = ["female", "male"]
            .into_iter()
            .map(|g| (g, positions(secret, "gender", g, GENDER_BITS)))
            .collect();
        let nations = isocountry::CountryCode::iter()
            .map(|c| {
                let code = c.alpha2();
                (code, positions(secret, "nationality", code, NATION_BITS))
            })
            .collect();
        Encoder {
            secret: *secret,
            permutation,
            word_permutation,
            years,
            genders,
            nations,
        }
    }

    /// The linkage key of a person.
    pub fn encode(&self, f: &Fields) -> Key {
        let filter = raw_filter(f, &self.secret);
        let mut words = vec![0u64; WORDS];
        for i in 0..BITS {
            let set = filter[i / 64] >> (i % 64) & 1 == 1;
            // The bit, and its complement BITS places on, each moved by the permutation.
            let pos = self.permutation[if set { i } else { i + BITS }];
            words[pos / 64] |= 1 << (pos % 64);
        }
        let mut slots = [0u64; WORD_FILTER_BITS / 64];
        for (n, words) in slot_words(f.names).iter().enumerate() {
            let filter = word_filter(words, &self.secret);
            slots[n * SLOT_BITS / 64..(n + 1) * SLOT_BITS / 64].copy_from_slice(&filter);
        }
        for i in 0..WORD_FILTER_BITS {
            let set = slots[i / 64] >> (i % 64) & 1 == 1;
            let pos = RECORD_WORDS * 64
                + self.word_permutation[if set { i } else { i + WORD_FILTER_BITS }];
            words[pos / 64] |= 1 << (pos % 64);
        }
        Key(words)
    }
}

impl Encoder {
    /// The filter inside a balanced key, as it was before balancing (only the holder of the
    /// secret can undo the permutation).
    pub fn unbalanced(&self, key: &Key) -> Vec<u64> {
        let mut raw = vec![0u64; BITS / 64];
        for (i, slot) in self.permutation.iter().take(BITS).enumerate() {
            if key.bit(*slot) {
                raw[i / 64] |= 1 << (i % 64);
            }
        }
        raw
    }

    /// What a comparison reads of a key: its birth year when exactly one year's bits are all
    /// set, its gender and nationalities likewise, and the filter without their bits (the
    /// names alone).
    pub fn decode(&self, key: &Key) -> Decoded {
        let raw = self.unbalanced(key);
        let set = |bits: &[usize]| bits.iter().all(|b| raw[b / 64] >> (b % 64) & 1 == 1);
        let mut names = raw.clone();
        let mut clear = |bits: &[usize]| {
            for b in bits {
                names[b / 64] &= !(1 << (b % 64));
            }
        };
        let found: Vec<&(i32, Vec<usize>)> = self.years.iter().filter(|(_, b)| set(b)).collect();
        let year = match found.as_slice() {
            [(y, bits)] => {
                clear(bits);
                Some(*y)
            }
            _ => None,
        };
        let found: Vec<&(&str, Vec<usize>)> = self.genders.iter().filter(|(_, b)| set(b)).collect();
        let gender = match found.as_slice() {
            [(g, bits)] => {
                clear(bits);
                Some(*g)
            }
            _ => None,
        };
        let mut nations = Vec::new();
        for (code, bits) in &self.nations {
            if set(bits) {
                clear(bits);
                nations.push(*code);
            }
        }
        let mask = raw.iter().zip(&names).map(|(r, n)| r & !n).collect();
        let mut slots = [0u64; WORD_FILTER_BITS / 64];
        for (i, slot) in self
            .word_permutation
            .iter()
            .take(WORD_FILTER_BITS)
            .enumerate()
        {
            if key.bit(RECORD_WORDS * 64 + slot) {
                slots[i / 64] |= 1 << (i % 64);
            }
        }
        let words = slots
            .chunks_exact(SLOT_BITS / 64)
            .filter(|w| w.iter().any(|x| *x != 0))
            .map(|w| {
                let mut one = [0u64; SLOT_BITS / 64];
                one.copy_from_slice(w);
                one
            })
            .collect();
        Decoded {
            words,
            year,
            gender,
            nations,
            names,
            mask,
        }
    }

    /// How alike two records are, for the holder of the secret: their names compared word by
    /// word, less a penalty for what else is known of both and differs — birth years a year
    /// apart 0.04 (a common slip), further apart 0.5; another gender 0.5; no nationality in
    /// common 0.2 — and 0.03 when a birth year is known on one side only (see [`compare`]).
    pub fn similarity(&self, a: &Key, b: &Key) -> f64 {
        compare(&self.decode(a), &self.decode(b))
    }
}

/// The filter of one name word.
type Slot = [u64; SLOT_BITS / 64];

/// A key as a comparison reads it (see [`Encoder::decode`]).
#[derive(Clone, Debug)]
pub struct Decoded {
    /// The filters of the name words.
    words: Vec<Slot>,
    pub year: Option<i32>,
    pub gender: Option<&'static str>,
    /// Nationalities found (a filter dense enough can show one it was not given: they only
    /// lower a penalty, never raise a similarity).
    pub nations: Vec<&'static str>,
    names: Vec<u64>,
    /// The bits taken out as year, gender and nationality.
    mask: Vec<u64>,
}

/// What an unpaired name word costs (a married surname added, a second given name left out).
const EXTRA_WORD: f64 = 0.13;
/// Below this Dice similarity two paired words are different names, not one misspelt: the
/// pairing then costs [`UNLIKE_WORD`] (sisters share a long surname; that must not outweigh
/// two given names that have nothing in common).
const WORD_FLOOR: f64 = 0.4;
const UNLIKE_WORD: f64 = 0.2;
/// The most bits a word of one letter sets (two bigrams, each also as sound): an initial, or
/// a particle cut short ("E Amrani" for "El Amrani"), says too little to be a different name.
const INITIAL_BITS: u32 = 2 * (WORD_GRAM_BITS + WORD_SOUND_BITS) as u32;
/// What a birth year known on one side only costs: a year both give and agree on is strong
/// evidence (one in forty-odd), so a pair without it must be that much closer in its names.
/// It costs more than a slip: years a year apart still say something (two in forty-odd), a
/// missing year says nothing (docs/ESTIMATION.md).
const YEAR_UNKNOWN: f64 = 0.08;
/// What birth years a year apart cost (a common slip).
const YEAR_SLIP: f64 = 0.06;

/// The similarity of two decoded keys (see [`Encoder::similarity`]).
pub fn compare(a: &Decoded, b: &Decoded) -> f64 {
    let names = words_alike(&a.words, &b.words).unwrap_or_else(|| whole_names_alike(a, b));
    let mut penalty = match (a.year, b.year) {
        (Some(x), Some(y)) if x == y => 0.0,
        (Some(x), Some(y)) if (x - y).abs() == 1 => YEAR_SLIP,
        (Some(_), Some(_)) => 0.5,
        _ => YEAR_UNKNOWN,
    };
    if matches!((a.gender, b.gender), (Some(x), Some(y)) if x != y) {
        penalty += 0.5;
    }
    if !a.nations.is_empty()
        && !b.nations.is_empty()
        && !a.nations.iter().any(|n| b.nations.contains(n))
    {
        penalty += 0.2;
    }
    (names - penalty).max(0.0)
}

/// How alike two records' names are word by word: each word of the record with fewer words
/// is paired with a different word of the other — the pairing that agrees most, so the order
/// in which the names were written does not matter — and the pairs' Dice similarities are
/// averaged, each weighed by the bits its two words set (a long word says more than a short
/// one); every word of the longer record left unpaired costs [`EXTRA_WORD`]. `None` when a
/// record has no name word, or only one against several.
fn words_alike(a: &[Slot], b: &[Slot]) -> Option<f64> {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.is_empty() || (short.len() == 1 && long.len() > 1) {
        // One word against several says little word by word ("Joy" is in many records):
        // the whole names, diluted by the words one record lacks, say more.
        return None;
    }
    // Each pair's weighed agreement and weight, computed once, and whether it is two
    // different names (not when either word is an initial).
    let initial = |w: &Slot| w.iter().map(|x| x.count_ones()).sum::<u32>() <= INITIAL_BITS;
    let mut alike = [[(0.0f64, 0.0f64, false); SLOTS]; SLOTS];
    for (i, x) in short.iter().enumerate() {
        for (j, y) in long.iter().enumerate() {
            let (both, total) = agreement(x, y);
            let (agree, weight) = (2.0 * f64::from(both), f64::from(total));
            let unlike =
                weight == 0.0 || (agree / weight < WORD_FLOOR && !initial(x) && !initial(y));
            alike[i][j] = (agree, weight, unlike);
        }
    }
    // Every injective pairing of the short record's words into the long one's (at most 4!).
    let mut order: Vec<usize> = (0..long.len()).collect();
    let mut best = 0.0f64;
    each_ordering(&mut order, 0, &mut |o| {
        let (agree, weight, unlike) = (0..short.len()).fold((0.0, 0.0, false), |(s, w, u), i| {
            let (a, t, unlike) = alike[i][o[i]];
            (s + a, w + t, u || unlike)
        });
        if weight > 0.0 {
            best = best.max(agree / weight - if unlike { UNLIKE_WORD } else { 0.0 });
        }
    });
    Some(best - EXTRA_WORD * (long.len() - short.len()) as f64)
}

/// Bits two filters both set, and bits they set in all.
fn agreement(a: &[u64], b: &[u64]) -> (u32, u32) {
    a.iter().zip(b).fold((0, 0), |(both, total), (x, y)| {
        (
            both + (x & y).count_ones(),
            total + x.count_ones() + y.count_ones(),
        )
    })
}

/// Calls `f` with every ordering of `order[from..]` (the prefix kept).
fn each_ordering(order: &mut [usize], from: usize, f: &mut impl FnMut(&[usize])) {
    if from == order.len() {
        f(order);
        return;
    }
    for i in from..order.len() {
        order.swap(from, i);
        each_ordering(order, from + 1, f);
        order.swap(from, i);
    }
}

/// The Dice similarity of the whole-record filters' name bits: the bits either record gave to
/// its other fields are left out of both, so that a name bit that happens to fall on one
/// record's year does not count against the pair.
fn whole_names_alike(a: &Decoded, b: &Decoded) -> f64 {
    let (mut both, mut total) = (0u32, 0u32);
    for (((na, ma), nb), mb) in a.names.iter().zip(&a.mask).zip(&b.names).zip(&b.mask) {
        let (x, y) = (na & !mb, nb & !ma);
        both += (x & y).count_ones();
        total += x.count_ones() + y.count_ones();
    }
    if total == 0 {
        0.0
    } else {
        2.0 * f64::from(both) / f64::from(total)
    }
}

/// The linkage key of a person under `secret` (see [`Encoder`] to make many).
pub fn encode(f: &Fields, secret: &[u8; 32]) -> Key {
    Encoder::new(secret).encode(f)
}

/// The `k` positions an element sets in the record's filter.
fn positions(secret: &[u8; 32], field: &str, value: &str, k: usize) -> Vec<usize> {
    positions_in(secret, field, value, k, BITS)
}

/// The `k` positions an element sets in a filter of `bits` bits.
fn positions_in(secret: &[u8; 32], field: &str, value: &str, k: usize, bits: usize) -> Vec<usize> {
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(secret) else {
        return Vec::new();
    };
    mac.update(field.as_bytes());
    mac.update(&[0]);
    mac.update(value.as_bytes());
    let digest = mac.finalize().into_bytes();
    // Double hashing (Kirsch and Mitzenmacher): k positions from two 64-bit halves.
    let mut h1 = [0u8; 8];
    let mut h2 = [0u8; 8];
    h1.copy_from_slice(&digest[..8]);
    h2.copy_from_slice(&digest[8..16]);
    let (h1, h2) = (u64::from_be_bytes(h1), u64::from_be_bytes(h2) | 1);
    (0..k as u64)
        .map(|i| (h1.wrapping_add(i.wrapping_mul(h2)) % bits as u64) as usize)
        .collect()
}

/// The Bloom filter of a person before balancing.
fn raw_filter(f: &Fields, secret: &[u8; 32]) -> Vec<u64> {
    let mut filter = vec![0u64; BITS / 64];
    for (field, value, k) in elements(f) {
        for pos in positions(secret, field, &value, k) {
            filter[pos / 64] |= 1 << (pos % 64);
        }
    }
    filter
}

/// Dice similarity of the whole-record parts of two keys (1.0: the same bits): what anyone
/// holding keys could compute, kept as the benchmark's point of comparison.
pub fn dice(a: &Key, b: &Key) -> f64 {
    fn record(k: &Key) -> &[u64] {
        k.0.get(..RECORD_WORDS).unwrap_or(&[])
    }
    let (both, ones) = agreement(record(a), record(b));
    if ones == 0 {
        0.0
    } else {
        2.0 * f64::from(both) / f64::from(ones)
    }
}

/// Up to this many keys every pair is compared (two million comparisons, a fraction of a
/// second): a network's year of records, or an organisation's, loses no pair to blocking.
pub const EVERY_PAIR_UP_TO: usize = 2_000;

/// The pairs of keys (by index, the lower first) to compare: every pair up to
/// [`EVERY_PAIR_UP_TO`] keys, the pairs blocking finds beyond: by bit samples of the keys
/// ([`candidates`]) and by a name word written the same way ([`sharing_a_word`], from the
/// decoded keys, in the same order). Every pair is given one at a time (two million would
/// take 32 MB held at once).
pub fn pairs_to_compare(
    keys: &[Key],
    decoded: &[Decoded],
) -> Box<dyn Iterator<Item = (usize, usize)> + Send> {
    let n = keys.len();
    if n <= EVERY_PAIR_UP_TO {
        Box::new((0..n).flat_map(move |i| (i + 1..n).map(move |j| (i, j))))
    } else {
        let mut pairs = candidates(keys, 64, 24, 7);
        pairs.extend(sharing_a_word(decoded));
        pairs.sort_unstable();
        pairs.dedup();
        Box::new(pairs.into_iter())
    }
}

/// Pairs of decoded keys (by index, the lower first) that share a name word exactly — the
/// same word filter, read by the holder of the secret — unless the word is an initial or so
/// common that more than [`BUCKET_LIMIT`] records carry it. Bit-sample blocking on the whole
/// record misses pairs whose other words all differ (a married surname added, a given name
/// misspelt and the order swapped); one surname written the same way finds them.
pub fn sharing_a_word(decoded: &[Decoded]) -> Vec<(usize, usize)> {
    let mut buckets: std::collections::HashMap<&Slot, Vec<usize>> = Default::default();
    for (i, d) in decoded.iter().enumerate() {
        for w in &d.words {
            if w.iter().map(|x| x.count_ones()).sum::<u32>() > INITIAL_BITS {
                let members = buckets.entry(w).or_default();
                if members.last() != Some(&i) {
                    members.push(i);
                }
            }
        }
    }
    let mut pairs = Vec::new();
    for members in buckets.values().filter(|m| m.len() <= BUCKET_LIMIT) {
        for (x, &i) in members.iter().enumerate() {
            pairs.extend(members[x + 1..].iter().map(|&j| (i.min(j), i.max(j))));
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

/// A blocking bucket holding more records than this says too little to pair them on it alone
/// (a name word that common, a bit sample that many keys agree on; other passes find their
/// pairs).
pub const BUCKET_LIMIT: usize = 200;

/// Pairs of keys (by index, the lower first) worth comparing: those that agree on every one of
/// `per_band` sampled bits of at least one of `bands` samples (Hamming locality-sensitive
/// hashing). The samples come from `seed`, so every run draws the same ones.
pub fn candidates(keys: &[Key], bands: usize, per_band: usize, seed: u64) -> Vec<(usize, usize)> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut pairs = std::collections::HashSet::new();
    for _ in 0..bands {
        let sample: Vec<usize> = (0..per_band)
            .map(|_| rng.random_range(0..2 * BITS))
            .collect();
        let mut buckets: std::collections::HashMap<Vec<bool>, Vec<usize>> = Default::default();
        for (i, k) in keys.iter().enumerate() {
            let sig: Vec<bool> = sample.iter().map(|&b| k.bit(b)).collect();
            buckets.entry(sig).or_default().push(i);
        }
        for members in buckets.values() {
            if members.len() > BUCKET_LIMIT {
                continue; // a bucket that large says nothing; other bands find its pairs
            }
            for (x, &i) in members.iter().enumerate() {
                for &j in &members[x + 1..] {
                    pairs.insert((i.min(j), i.max(j)));
                }
            }
        }
    }
    let mut out: Vec<(usize, usize)> = pairs.into_iter().collect();
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: [u8; 32] = [7; 32];

    /// The key of a person of one nationality, made by `e`.
    fn person(e: &Encoder, names: &str, year: Option<i32>, gender: &str, nat: &str) -> Key {
        e.encode(&Fields {
            names,
            birth_year: year,
            gender: Some(gender),
            nationalities: &[nat.to_owned()],
        })
    }

    /// A distinct word of letters made from a number.
    fn word(mut i: usize) -> String {
        let mut w = String::new();
        while i > 0 || w.is_empty() {
            w.push(char::from(b'a' + (i % 26) as u8));
            i /= 26;
        }
        w
    }

    #[test]
    fn records_sharing_a_name_word_are_paired_unless_it_is_an_initial_or_common() {
        let e = Encoder::new(&SECRET);
        let read = |names: &str| e.decode(&person(&e, names, None, "female", "NG"));
        // One surname written the same way; every other word differs.
        let mut set = vec![
            read("Blessing Igbinedion"),
            read("Igbinedion Ehigie Joi"),
            read("A Osagie"),
            read("A Okoro"),
        ];
        // "Mercy" is carried by more records than a bucket holds.
        set.extend((0..=BUCKET_LIMIT).map(|i| read(&format!("Mercy Z{}", word(i)))));
        let pairs = sharing_a_word(&set);
        // Neither the initial nor the common word pairs anyone.
        assert_eq!(pairs, vec![(0, 1)]);
    }

    fn key(names: &str, year: Option<i32>, nat: &str) -> Key {
        person(&Encoder::new(&SECRET), names, year, "female", nat)
    }

    #[test]
    fn names_fold_and_transliterations_share_a_skeleton() {
        assert_eq!(fold("  Ştefania-Maria  ÓSAGIE "), "stefania maria osagie");
        assert_eq!(skeleton("mohammed"), skeleton("muhammad"));
        assert_eq!(skeleton("mohamed"), skeleton("muhammad"));
        assert_eq!(skeleton("iuliia"), skeleton("yulia"));
        assert_eq!(skeleton("oleksandr"), skeleton("olexandr"));
    }

    #[test]
    fn the_same_person_scores_high_others_low_and_order_does_not_matter() {
        let a = key("Blessing Osagie", Some(1998), "NG");
        assert_eq!(dice(&a, &a), 1.0);
        let swapped = key("Osagie Blessing", Some(1998), "NG");
        assert_eq!(dice(&a, &swapped), 1.0, "word order is not in the key");
        let typo = key("Blesing Osagie", Some(1998), "NG");
        let year_off = key("Blessing Osagie", Some(1999), "NG");
        let other = key("Joy Ehimwenma", Some(1990), "NG");
        assert!(dice(&a, &typo) > 0.9, "{}", dice(&a, &typo));
        assert!(dice(&a, &year_off) > 0.9, "{}", dice(&a, &year_off));
        assert!(dice(&a, &other) < dice(&a, &typo));
        let translit = dice(
            &key("Mohammed Al Amin", Some(2001), "MA"),
            &key("Muhammad Al-Amin", Some(2001), "MA"),
        );
        assert!(translit > dice(&a, &other), "{translit}");
    }

    #[test]
    fn names_are_compared_word_by_word_so_an_added_surname_costs_little() {
        let e = Encoder::new(&SECRET);
        let of = |names| person(&e, names, Some(1998), "female", "NG");
        let a = of("Blessing Osagie");
        // Her married surname added by another body: one word unpaired, nothing diluted.
        let married = e.similarity(&a, &of("Osagie Blessing Ehimwenma"));
        assert!((married - (1.0 - EXTRA_WORD)).abs() < 1e-9, "{married}");
        // A woman with the same surname and another given name is someone else, though most
        // of the record's bigrams agree.
        let sister = e.similarity(&a, &of("Blessed Osagie"));
        let typo = e.similarity(&a, &of("Blesing Osagie"));
        assert!(sister < typo, "{sister} {typo}");
        assert!(e.similarity(&a, &of("Joy Osagie")) < 0.7);
        // Sisters: a long surname both share does not outweigh given names nothing alike.
        let sisters = e.similarity(&of("Joy Igbinedion"), &of("Gift Igbinedion"));
        assert!(sisters < 0.6, "{sisters}");
        // A record with one name only is compared as a whole: a surname alone is weak.
        let alone = e.similarity(&a, &of("Osagie"));
        assert!(alone < 0.7, "{alone}");
    }

    #[test]
    fn a_key_reveals_nothing_by_its_weight_and_depends_on_the_secret() {
        let short = key("Li", None, "CN");
        let long = key("Oluwaseunfunmi Adebayo-Okonkwo", Some(1985), "NG");
        let ones = |k: &Key| k.0.iter().map(|w| w.count_ones()).sum::<u32>();
        let half = (BITS + WORD_FILTER_BITS) as u32;
        assert_eq!(ones(&short), half);
        assert_eq!(ones(&long), half, "balanced: every key has as many ones");
        let other_secret = person(&Encoder::new(&[8; 32]), "Li", None, "female", "CN");
        assert_ne!(short, other_secret);
        assert_eq!(Key::from_bytes(&long.to_bytes()), Some(long));
        assert_eq!(Key::from_bytes(&[0; 3]), None);
    }

    #[test]
    fn an_initial_or_a_particle_cut_short_is_not_a_different_name_whatever_the_secret() {
        for n in 0..64u8 {
            let e = Encoder::new(&[n; 32]);
            let of = |names, nat| person(&e, names, Some(2000), "female", nat);
            // One letter left of "El": the same woman, however the bits happen to fall.
            let cut = e.similarity(
                &of("Blerina El Amrani", "MA"),
                &of("Blerina E Amrani", "MA"),
            );
            assert!(cut > 0.85, "secret {n}: {cut}");
            // Two letters are a name: sisters with short given names stay apart (as far below
            // any threshold the statistics use as the sisters of the test above).
            let sisters = e.similarity(&of("Li Na Zhang", "CN"), &of("Li Wei Zhang", "CN"));
            assert!(sisters < 0.6, "secret {n}: {sisters}");
        }
    }

    #[test]
    fn a_small_set_has_every_pair_compared_a_large_one_what_blocking_finds() {
        let few = vec![
            key("Blessing Osagie", Some(1998), "NG"),
            key("Joy Ehimwenma", Some(1990), "NG"),
            key("Blesing Osagie", Some(1998), "NG"),
            key("Ana Popescu", Some(1995), "RO"),
        ];
        // Blocking offers the pair that is alike.
        assert!(candidates(&few, 30, 24, 1).contains(&(0, 2)));
        // A small set has every pair compared, alike or not: none is lost to blocking.
        let every = vec![(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)];
        let e = Encoder::new(&SECRET);
        let read = |keys: &[Key]| keys.iter().map(|k| e.decode(k)).collect::<Vec<_>>();
        assert_eq!(
            pairs_to_compare(&few, &read(&few)).collect::<Vec<_>>(),
            every
        );
        // Beyond, distinct people, one of them twice, and two who share only a surname.
        let mut many: Vec<Key> = (0..EVERY_PAIR_UP_TO)
            .map(|i| person(&e, &format!("Mercy {}", word(i)), None, "female", "NG"))
            .collect();
        many.push(many[0].clone());
        many.push(key("Blessing Igbinedion", Some(1998), "NG"));
        many.push(key("Igbinedion Ehigie Joi", None, "NG"));
        let decoded = read(&many);
        let pairs: Vec<_> = pairs_to_compare(&many, &decoded).collect();
        assert!(pairs.len() < many.len() * (many.len() - 1) / 2);
        assert!(
            pairs.contains(&(0, EVERY_PAIR_UP_TO)),
            "the same key twice is found"
        );
        // Both blocking passes are offered: bit samples and a shared name word.
        let shared = sharing_a_word(&decoded);
        assert!(shared.contains(&(many.len() - 2, many.len() - 1)));
        let offered = |p: &(usize, usize)| pairs.binary_search(p).is_ok();
        assert!(shared.iter().all(offered));
        assert!(candidates(&many, 64, 24, 7).iter().all(offered));
    }

    #[test]
    fn the_holder_of_the_secret_reads_year_gender_and_nationality_back_and_weighs_them() {
        let e = Encoder::new(&SECRET);
        let of = |names, year, gender| person(&e, names, year, gender, "NG");
        let d = e.decode(&of("Blessing Osagie", Some(1998), "female"));
        assert_eq!((d.year, d.gender), (Some(1998), Some("female")));
        assert!(d.nations.contains(&"NG"));
        assert_eq!(e.decode(&of("Blessing Osagie", None, "female")).year, None);
        let a = of("Blessing Osagie", Some(1998), "female");
        // Order of the names does not matter; a year off by one or unknown costs a little, an
        // unknown one more (a year apart is still some agreement, an unknown year none).
        assert!(
            (e.similarity(&a, &of("Osagie Blessing", Some(1998), "female")) - 1.0).abs() < 1e-9
        );
        let off = e.similarity(&a, &of("Blessing Osagie", Some(1999), "female"));
        let unknown = e.similarity(&a, &of("Blessing Osagie", None, "female"));
        assert!(
            off > 0.9 && unknown > 0.9 && unknown < off,
            "{off} {unknown}"
        );
        // A namesake born twenty years apart, or of another gender, is someone else.
        assert!(e.similarity(&a, &of("Blessing Osagie", Some(1978), "female")) < 0.6);
        assert!(e.similarity(&a, &of("Blessing Osagie", Some(1998), "male")) < 0.6);
        // Under another secret the bits mean nothing: a key does not match the same person's key
        // made under that other secret, and no birth year is read from it.
        let other = Encoder::new(&[9; 32]);
        let theirs = person(&other, "Blessing Osagie", Some(1998), "female", "NG");
        assert!(other.similarity(&a, &theirs) < 0.6);
        assert_eq!(other.decode(&a).year, None);
    }
}

//! The official list of communes by postal code (see `data/README.md` for source and licence).

use std::collections::HashMap;
use std::sync::OnceLock;

static DATA: &str = include_str!("../data/communes.tsv");

/// A commune served by a postal code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Commune {
    /// INSEE code (`93066`, `2A004`).
    pub insee: &'static str,
    /// Official name (`Saint-Denis`).
    pub name: &'static str,
}

fn index() -> &'static HashMap<&'static str, Vec<Commune>> {
    static INDEX: OnceLock<HashMap<&'static str, Vec<Commune>>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut map = HashMap::with_capacity(6400);
        for line in DATA.lines() {
            let Some((cp, rest)) = line.split_once('\t') else {
                continue;
            };
            let communes = rest
                .split('|')
                .filter_map(|c| c.split_once(':').map(|(insee, name)| Commune { insee, name }))
                .collect();
            map.insert(cp, communes);
        }
        map
    })
}

/// Communes of a postal code, sorted by name; empty when the postal code does not exist.
pub fn communes_for_postal_code(postal_code: &str) -> &'static [Commune] {
    index().get(postal_code).map(Vec::as_slice).unwrap_or(&[])
}

/// Name of a commune from its INSEE code (for summaries).
pub fn commune_name(insee: &str) -> Option<&'static str> {
    static BY_INSEE: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    let map = BY_INSEE.get_or_init(|| index().values().flatten().map(|c| (c.insee, c.name)).collect());
    map.get(insee).copied()
}

/// The commune with this INSEE code, if it is served by `postal_code`.
pub fn commune_by_insee(postal_code: &str, insee: &str) -> Option<Commune> {
    communes_for_postal_code(postal_code)
        .iter()
        .copied()
        .find(|c| c.insee == insee)
}

/// Lower-cased, accents and punctuation dropped: "Saint-Étienne" and "st etienne" compare loosely.
pub(crate) fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        let base = match c {
            'à' | 'â' | 'ä' | 'á' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' | 'í' => 'i',
            'ô' | 'ö' | 'ó' => 'o',
            'ù' | 'û' | 'ü' | 'ú' => 'u',
            'ç' => 'c',
            'ÿ' => 'y',
            'œ' => {
                out.push_str("oe");
                continue;
            }
            '-' | '\'' | '’' | ' ' => ' ',
            c => c,
        };
        if base == ' ' && out.ends_with(' ') {
            continue;
        }
        out.push(base);
    }
    let out = out.trim().to_string();
    // "st" / "ste" are how people abbreviate Saint / Sainte on envelopes.
    let words: Vec<&str> = out
        .split(' ')
        .map(|w| match w {
            "st" => "saint",
            "ste" => "sainte",
            w => w,
        })
        .collect();
    words.join(" ")
}

/// Finds the commune typed as a name or INSEE code among those of the postal code.
pub fn find_commune(postal_code: &str, typed: &str) -> Option<Commune> {
    let list = communes_for_postal_code(postal_code);
    let typed = typed.trim();
    if let Some(c) = list.iter().find(|c| c.insee.eq_ignore_ascii_case(typed)) {
        return Some(*c);
    }
    let folded = fold(typed);
    list.iter().copied().find(|c| fold(c.name) == folded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_postal_code_lists_its_communes() {
        let list = communes_for_postal_code("01000");
        assert!(
            list.iter()
                .any(|c| c.name == "Bourg-en-Bresse" && c.insee == "01053")
        );
    }

    #[test]
    fn corsican_insee_codes_are_kept() {
        assert_eq!(communes_for_postal_code("20000")[0].insee, "2A004");
    }

    #[test]
    fn an_unknown_postal_code_has_no_commune() {
        assert!(communes_for_postal_code("99999").is_empty());
    }

    #[test]
    fn names_match_without_accents_case_or_saint_abbreviation() {
        let c = find_commune("93200", "st denis").unwrap();
        assert_eq!(c.name, "Saint-Denis");
        assert_eq!(find_commune("93200", "93066").unwrap().name, "Saint-Denis");
    }
}

//! AGGIR: the GIR (groupe iso-ressources, 1 to 6) from the grid filled at the home evaluation.
//!
//! Two steps, both data in `parameters/apa/aggir.toml`: the sub-variables of the 2008 grid (CASF annexe
//! 2-1, décret n° 2008-821) combine into one modality per variable; then the algorithm of CASF annexe
//! 2-2 (décret n° 97-427) scores the ten variables in groups A to H, the first group whose score reaches
//! one of its thresholds gives the rank (1 to 13), and the rank gives the GIR.
//!
//! Fill a [`Grid`] by field key with [`set`] (the keys are listed by [`variables`], one radio group
//! A/B/C per sub-variable), then call [`compute`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Parameters, Result, SimulationError};

/// Modality of a variable (annexe 2-1): A does alone, spontaneously, totally, habitually and correctly;
/// B does partly; C does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Modality {
    A,
    B,
    C,
}

impl Modality {
    pub const ALL: [Modality; 3] = [Modality::A, Modality::B, Modality::C];

    pub const fn letter(self) -> char {
        match self {
            Modality::A => 'A',
            Modality::B => 'B',
            Modality::C => 'C',
        }
    }
}

impl fmt::Display for Modality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.letter())
    }
}

impl FromStr for Modality {
    type Err = SimulationError;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim() {
            "A" | "a" => Ok(Modality::A),
            "B" | "b" => Ok(Modality::B),
            "C" | "c" => Ok(Modality::C),
            other => Err(SimulationError::InvalidInput(format!(
                "modalité AGGIR « {other} » inconnue : A, B ou C attendu"
            ))),
        }
    }
}

/// The ten discriminant variables of the 2008 grid, as their sub-variables (annexe 2-1). `None`: not
/// filled yet. Field names are the keys of [`variables`] and [`set`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Grid {
    #[serde(default)]
    pub coherence_communication: Option<Modality>,
    #[serde(default)]
    pub coherence_comportement: Option<Modality>,
    #[serde(default)]
    pub orientation_temps: Option<Modality>,
    #[serde(default)]
    pub orientation_espace: Option<Modality>,
    #[serde(default)]
    pub toilette_haut: Option<Modality>,
    #[serde(default)]
    pub toilette_bas: Option<Modality>,
    #[serde(default)]
    pub habillage_haut: Option<Modality>,
    #[serde(default)]
    pub habillage_moyen: Option<Modality>,
    #[serde(default)]
    pub habillage_bas: Option<Modality>,
    #[serde(default)]
    pub alimentation_se_servir: Option<Modality>,
    #[serde(default)]
    pub alimentation_manger: Option<Modality>,
    #[serde(default)]
    pub elimination_urinaire: Option<Modality>,
    #[serde(default)]
    pub elimination_fecale: Option<Modality>,
    #[serde(default)]
    pub transferts: Option<Modality>,
    #[serde(default)]
    pub deplacements_interieur: Option<Modality>,
    #[serde(default)]
    pub deplacements_exterieur: Option<Modality>,
    #[serde(default)]
    pub alerter: Option<Modality>,
}

/// Declares the field-key accessors once for the seventeen sub-variables.
macro_rules! grid_keys {
    ($($field:ident),* $(,)?) => {
        impl Grid {
            fn slot(&mut self, key: &str) -> Option<&mut Option<Modality>> {
                match key {
                    $(stringify!($field) => Some(&mut self.$field),)*
                    _ => None,
                }
            }

            /// The modality of a sub-variable by field key (`None`: not filled); error on an unknown key.
            pub fn get(&self, key: &str) -> Result<Option<Modality>> {
                match key {
                    $(stringify!($field) => Ok(self.$field),)*
                    _ => Err(unknown_key(key)),
                }
            }
        }
    };
}

grid_keys!(
    coherence_communication,
    coherence_comportement,
    orientation_temps,
    orientation_espace,
    toilette_haut,
    toilette_bas,
    habillage_haut,
    habillage_moyen,
    habillage_bas,
    alimentation_se_servir,
    alimentation_manger,
    elimination_urinaire,
    elimination_fecale,
    transferts,
    deplacements_interieur,
    deplacements_exterieur,
    alerter,
);

fn unknown_key(key: &str) -> SimulationError {
    SimulationError::InvalidInput(format!("variable AGGIR « {key} » inconnue"))
}

/// One discriminant variable for an evaluation form: its key and French label, and its sub-variables
/// (field key of [`Grid`], French label). A variable without sub-variables has one entry, its own key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variable {
    pub key: &'static str,
    pub label: &'static str,
    pub sub: &'static [(&'static str, &'static str)],
}

const VARIABLES: [Variable; 10] = [
    Variable {
        key: "coherence",
        label: "Cohérence",
        sub: &[
            ("coherence_communication", "Communication"),
            ("coherence_comportement", "Comportement"),
        ],
    },
    Variable {
        key: "orientation",
        label: "Orientation",
        sub: &[
            ("orientation_temps", "Dans le temps"),
            ("orientation_espace", "Dans l’espace"),
        ],
    },
    Variable {
        key: "toilette",
        label: "Toilette",
        sub: &[
            ("toilette_haut", "Toilette du haut"),
            ("toilette_bas", "Toilette du bas"),
        ],
    },
    Variable {
        key: "habillage",
        label: "Habillage",
        sub: &[
            ("habillage_haut", "Habillage du haut"),
            ("habillage_moyen", "Habillage moyen"),
            ("habillage_bas", "Habillage du bas"),
        ],
    },
    Variable {
        key: "alimentation",
        label: "Alimentation",
        sub: &[
            ("alimentation_se_servir", "Se servir"),
            ("alimentation_manger", "Manger"),
        ],
    },
    Variable {
        key: "elimination",
        label: "Élimination",
        sub: &[
            ("elimination_urinaire", "Élimination urinaire"),
            ("elimination_fecale", "Élimination fécale"),
        ],
    },
    Variable {
        key: "transferts",
        label: "Transferts",
        sub: &[("transferts", "Se lever, se coucher, s’asseoir")],
    },
    Variable {
        key: "deplacements_interieur",
        label: "Déplacements à l’intérieur",
        sub: &[("deplacements_interieur", "Déplacements à l’intérieur")],
    },
    Variable {
        key: "deplacements_exterieur",
        label: "Déplacements à l’extérieur",
        sub: &[("deplacements_exterieur", "Déplacements à l’extérieur")],
    },
    Variable {
        key: "alerter",
        label: "Alerter (communication à distance)",
        sub: &[("alerter", "Alerter (téléphone, alarme, sonnette…)")],
    },
];

/// The ten discriminant variables in the order of the grid, with their sub-variables.
pub fn variables() -> &'static [Variable] {
    &VARIABLES
}

/// Sets one sub-variable by its field key (`toilette_bas`, `transferts`…).
pub fn set(grid: &mut Grid, key: &str, m: Modality) -> Result<()> {
    let slot = grid.slot(key).ok_or_else(|| unknown_key(key))?;
    *slot = Some(m);
    Ok(())
}

/// Result of [`compute`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GirResult {
    /// GIR 1 (most dependent) to 6.
    pub gir: u8,
    /// Rank 1 to 13 (annexe 2-2).
    pub rank: u8,
    /// Score of each group tested, in order, up to the group that gave the rank.
    pub group_scores: Vec<(char, i32)>,
    /// The modality of each of the ten variables after combining its sub-variables.
    pub variables: Vec<(&'static str, Modality)>,
    /// The computation in plain French, one line per step.
    pub explanation: Vec<String>,
}

// ---------------------------------------------------------------------------------------------------
// Parameters (`parameters/apa/aggir.toml`)

/// Where the rules come from.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AggirSource {
    pub grid: String,
    pub algorithm: String,
}

/// How a variable's sub-variables combine: patterns (sub-variable modalities in grid order, `"BC"`) coded
/// A, patterns coded C; any other combination is B.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AggirCombination {
    pub a: Vec<String>,
    pub c: Vec<String>,
    pub reference: String,
    #[serde(default)]
    pub notes: Option<String>,
}

/// The combination rule of each variable that has sub-variables.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AggirCombinations {
    pub coherence: AggirCombination,
    pub orientation: AggirCombination,
    pub toilette: AggirCombination,
    pub habillage: AggirCombination,
    pub alimentation: AggirCombination,
    pub elimination: AggirCombination,
}

/// Values added to a group's score for a variable coded B or C (A adds nothing).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AggirWeight {
    pub b: i32,
    pub c: i32,
}

/// The weights of one group, one per discriminant variable.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AggirWeights {
    pub coherence: AggirWeight,
    pub orientation: AggirWeight,
    pub toilette: AggirWeight,
    pub habillage: AggirWeight,
    pub alimentation: AggirWeight,
    pub elimination: AggirWeight,
    pub transferts: AggirWeight,
    pub deplacements_interieur: AggirWeight,
    pub deplacements_exterieur: AggirWeight,
    pub alerter: AggirWeight,
}

impl AggirWeights {
    fn of(&self, key: &str) -> Option<AggirWeight> {
        Some(match key {
            "coherence" => self.coherence,
            "orientation" => self.orientation,
            "toilette" => self.toilette,
            "habillage" => self.habillage,
            "alimentation" => self.alimentation,
            "elimination" => self.elimination,
            "transferts" => self.transferts,
            "deplacements_interieur" => self.deplacements_interieur,
            "deplacements_exterieur" => self.deplacements_exterieur,
            "alerter" => self.alerter,
            _ => return None,
        })
    }
}

/// Score at or above `min` gives `rank`; without `min`, every score does (last threshold of group H).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AggirThreshold {
    #[serde(default)]
    pub min: Option<i32>,
    pub rank: u8,
}

/// One group of the algorithm (A to H).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AggirGroup {
    pub name: char,
    /// Tested in order; below the last one, the next group is tested.
    pub thresholds: Vec<AggirThreshold>,
    pub weights: AggirWeights,
}

/// Ranks that give a GIR.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AggirGirRanks {
    pub gir: u8,
    pub ranks: Vec<u8>,
}

/// `parameters/apa/aggir.toml`: combination rules, groups, and ranks to GIR.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AggirParams {
    pub source: AggirSource,
    pub combinations: AggirCombinations,
    pub groups: Vec<AggirGroup>,
    pub gir_by_rank: Vec<AggirGirRanks>,
}

impl AggirParams {
    fn combination(&self, key: &str) -> Option<&AggirCombination> {
        let c = &self.combinations;
        Some(match key {
            "coherence" => &c.coherence,
            "orientation" => &c.orientation,
            "toilette" => &c.toilette,
            "habillage" => &c.habillage,
            "alimentation" => &c.alimentation,
            "elimination" => &c.elimination,
            _ => return None,
        })
    }

    fn gir_of(&self, rank: u8) -> Option<u8> {
        self.gir_by_rank
            .iter()
            .find(|g| g.ranks.contains(&rank))
            .map(|g| g.gir)
    }

    /// Rules of the data, checked at load: every composite variable has a rule with well-formed,
    /// non-overlapping patterns; thresholds descend; only the very last threshold has no minimum, so
    /// every grid gets a rank; each rank 1..=N appears once in the groups and once in `gir_by_rank`.
    pub(crate) fn check(&self) -> Result<()> {
        let invalid = |msg: String| SimulationError::InvalidParameter {
            parameter: "aggir".into(),
            msg,
        };
        for v in &VARIABLES {
            let rule = self.combination(v.key);
            match (rule, v.sub.len()) {
                (None, 1) => {}
                (None, _) => return Err(invalid(format!("règle de combinaison manquante : {}", v.key))),
                (Some(_), 1) => return Err(invalid(format!("{} n’a pas de sous-variable", v.key))),
                (Some(rule), n) => {
                    if rule.reference.trim().is_empty() {
                        return Err(invalid(format!("{} : référence manquante", v.key)));
                    }
                    for pattern in rule.a.iter().chain(&rule.c) {
                        if pattern.chars().count() != n || !pattern.chars().all(|c| "ABC".contains(c)) {
                            return Err(invalid(format!("{} : motif « {pattern} » invalide", v.key)));
                        }
                    }
                    if let Some(both) = rule.a.iter().find(|p| rule.c.contains(p)) {
                        return Err(invalid(format!("{} : motif « {both} » à la fois A et C", v.key)));
                    }
                }
            }
        }
        let mut ranks: Vec<u8> = Vec::new();
        let last_group = self.groups.len().saturating_sub(1);
        for (gi, g) in self.groups.iter().enumerate() {
            if g.thresholds.is_empty() {
                return Err(invalid(format!("groupe {} sans seuil", g.name)));
            }
            let last_threshold = g.thresholds.len() - 1;
            let mut previous: Option<i32> = None;
            for (ti, t) in g.thresholds.iter().enumerate() {
                match t.min {
                    None if gi == last_group && ti == last_threshold => {}
                    None => {
                        return Err(invalid(format!(
                            "groupe {} : seuil sans minimum ailleurs qu’en dernier",
                            g.name
                        )));
                    }
                    Some(min) => {
                        if previous.is_some_and(|p| min >= p) {
                            return Err(invalid(format!("groupe {} : seuils non décroissants", g.name)));
                        }
                        previous = Some(min);
                    }
                }
                ranks.push(t.rank);
            }
        }
        if self
            .groups
            .last()
            .and_then(|g| g.thresholds.last())
            .is_some_and(|t| t.min.is_some())
        {
            return Err(invalid(
                "le dernier seuil du dernier groupe doit prendre tous les scores".into(),
            ));
        }
        let expected: Vec<u8> = (1..=u8::try_from(ranks.len()).unwrap_or(u8::MAX)).collect();
        if ranks != expected {
            return Err(invalid(format!("rangs non consécutifs : {ranks:?}")));
        }
        let mut mapped: Vec<u8> = self
            .gir_by_rank
            .iter()
            .flat_map(|g| g.ranks.iter().copied())
            .collect();
        mapped.sort_unstable();
        if mapped != expected {
            return Err(invalid(format!(
                "passage des rangs aux GIR incomplet : {mapped:?}"
            )));
        }
        if let Some(g) = self.gir_by_rank.iter().find(|g| !(1..=6).contains(&g.gir)) {
            return Err(invalid(format!("GIR {} hors de 1 à 6", g.gir)));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------------
// Computation

/// Integers the French way: `4 380`, `−80`.
fn fmt_int(n: i32) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(ch);
    }
    if n < 0 { format!("−{out}") } else { out }
}

/// The modality of each variable, or the list of the sub-variables not filled.
fn combine(
    p: &AggirParams,
    grid: &Grid,
    explanation: &mut Vec<String>,
) -> Result<Vec<(&'static str, Modality)>> {
    let mut missing: Vec<String> = Vec::new();
    let mut out = Vec::with_capacity(VARIABLES.len());
    for v in &VARIABLES {
        let mut subs = Vec::with_capacity(v.sub.len());
        for (key, label) in v.sub {
            match grid.get(key)? {
                Some(m) => subs.push(m),
                None if v.sub.len() == 1 => missing.push(v.label.to_owned()),
                None => missing.push(format!("{} ({})", v.label, label.to_lowercase())),
            }
        }
        if subs.len() != v.sub.len() {
            continue;
        }
        let m = match (p.combination(v.key), subs.as_slice()) {
            (None, [single]) => {
                explanation.push(format!("{} : {single}", v.label));
                *single
            }
            (Some(rule), _) => {
                let pattern: String = subs.iter().map(|m| m.letter()).collect();
                let m = if rule.a.contains(&pattern) {
                    Modality::A
                } else if rule.c.contains(&pattern) {
                    Modality::C
                } else {
                    Modality::B
                };
                let detail: Vec<String> = v
                    .sub
                    .iter()
                    .zip(&subs)
                    .map(|((_, label), m)| format!("{} {m}", label.to_lowercase()))
                    .collect();
                explanation.push(format!("{} : {} → {m}", v.label, detail.join(", ")));
                m
            }
            (None, _) => {
                return Err(SimulationError::InvalidParameter {
                    parameter: "aggir".into(),
                    msg: format!("règle de combinaison manquante : {}", v.key),
                });
            }
        };
        out.push((v.key, m));
    }
    if !missing.is_empty() {
        return Err(SimulationError::InvalidInput(format!(
            "grille AGGIR incomplète, à renseigner : {}",
            missing.join(", ")
        )));
    }
    Ok(out)
}

/// The GIR of a complete grid: sub-variables combined (annexe 2-1), then groups A to H scored in turn
/// until one reaches a threshold, whose rank gives the GIR (annexe 2-2). An incomplete grid is an
/// `InvalidInput` error listing, in French, what is not filled.
pub fn compute(p: &Parameters, grid: &Grid) -> Result<GirResult> {
    let ap = &p.aggir;
    let mut explanation = vec![format!("Sous-variables combinées selon {}", ap.source.grid)];
    let variables = combine(ap, grid, &mut explanation)?;
    let mut group_scores = Vec::new();
    for g in &ap.groups {
        let mut score = 0i32;
        let mut terms = Vec::new();
        for (key, m) in &variables {
            let w = g
                .weights
                .of(key)
                .ok_or_else(|| SimulationError::InvalidParameter {
                    parameter: "aggir".into(),
                    msg: format!("poids manquant : {key}"),
                })?;
            let value = match m {
                Modality::A => 0,
                Modality::B => w.b,
                Modality::C => w.c,
            };
            if value != 0 {
                score = score.saturating_add(value);
                let label = VARIABLES.iter().find(|v| v.key == *key).map_or(*key, |v| v.label);
                terms.push(format!("{} ({} {m})", fmt_int(value), label.to_lowercase()));
            }
        }
        group_scores.push((g.name, score));
        let sum = if terms.is_empty() {
            "0".to_owned()
        } else if terms.len() == 1 {
            terms.join("")
        } else {
            format!("{} = {}", terms.join(" + "), fmt_int(score))
        };
        let reached = g.thresholds.iter().find(|t| t.min.is_none_or(|min| score >= min));
        match reached {
            Some(t) => {
                let gir = ap
                    .gir_of(t.rank)
                    .ok_or_else(|| SimulationError::InvalidParameter {
                        parameter: "aggir".into(),
                        msg: format!("rang {} sans GIR", t.rank),
                    })?;
                let why = match t.min {
                    Some(min) => format!("au moins {}", fmt_int(min)),
                    None => "sous les seuils précédents".to_owned(),
                };
                explanation.push(format!("Groupe {} : {sum} ; {why} : rang {}", g.name, t.rank));
                explanation.push(format!(
                    "Rang {} → GIR {gir} ; calcul : {}",
                    t.rank, ap.source.algorithm
                ));
                return Ok(GirResult {
                    gir,
                    rank: t.rank,
                    group_scores,
                    variables,
                    explanation,
                });
            }
            None => {
                let lowest = g.thresholds.last().and_then(|t| t.min).unwrap_or(0);
                explanation.push(format!(
                    "Groupe {} : {sum} ; sous {} : groupe suivant",
                    g.name,
                    fmt_int(lowest)
                ));
            }
        }
    }
    Err(SimulationError::InvalidParameter {
        parameter: "aggir".into(),
        msg: "aucun groupe n’a donné de rang".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A grid from the ten variables' modalities in grid order (coherence … alerter), each sub-variable
    /// of a composite variable set to the same letter (AA = A, BB = B, CC = C under every rule).
    fn grid(letters: &str) -> Grid {
        let mut g = Grid::default();
        for (v, letter) in VARIABLES.iter().zip(letters.chars()) {
            let m: Modality = letter.to_string().parse().unwrap();
            for (key, _) in v.sub {
                set(&mut g, key, m).unwrap();
            }
        }
        g
    }

    fn gir(letters: &str) -> (u8, u8) {
        let p = Parameters::load().unwrap();
        let r = compute(&p, &grid(letters)).unwrap();
        (r.gir, r.rank)
    }

    // Hand-worked cases from CASF annexe 2-2 (algorithm recopied in `parameters/apa/aggir.toml`). Letters:
    // cohérence, orientation, toilette, habillage, alimentation, élimination, transferts, déplacements
    // intérieur, déplacements extérieur, alerter. No published grid with its expected GIR was found.

    #[test]
    fn everything_done_alone_is_gir_6_and_nothing_done_is_gir_1() {
        // All A: every group scores 0; group H: 0 < 2 000 → rank 13 → GIR 6.
        assert_eq!(gir("AAAAAAAAAA"), (6, 13));
        // All C: group A = 2 000 + 1 200 + 40 + 40 + 60 + 100 + 800 + 200 = 4 440 ≥ 4 380 → rank 1 → GIR 1.
        assert_eq!(gir("CCCCCCCCCC"), (1, 1));
    }

    #[test]
    fn each_rank_of_annexe_2_2_is_reached() {
        let cases = [
            // Group A = 2 000 + 1 200 + 40 + 40 + 60 + 100 + 800 + 32 (déplacements B) = 4 272 → rank 2.
            ("CCCCCCCBAA", 2, 2),
            // Group A = 2 000 + 1 200 + 800 = 4 000, in [3 390, 4 140[ → rank 3.
            ("CCAAAACAAA", 2, 3),
            // Group A = 2 000 + 1 200 + 16 + 16 + 20 + 16 = 3 268 < 3 390; group B = 1 500 + 1 200 + 16 +
            // 16 + 0 + 16 = 2 748 ≥ 2 016 → rank 4 (mental impairment, still mobile).
            ("CCBBBBAAAA", 2, 4),
            // A = 40 + 40 + 60 + 100 + 800 + 200 = 1 240; B = 40 + 40 + 60 + 100 + 800 − 80 = 960;
            // C = 40 + 40 + 60 + 160 + 1 000 + 400 = 1 700 ≥ 1 700 → rank 5 (lucid, bedridden).
            ("AACCCCCCAA", 2, 5),
            // Same with alimentation B: C = 40 + 40 + 20 + 160 + 1 000 + 400 = 1 660 ≥ 1 432 → rank 6.
            ("AACCBCCCAA", 2, 6),
            // A = 860, B = 860, C = 1 060; D = 2 000 (alimentation C) + 2 000 (transferts C) ≥ 2 400 → rank 7.
            ("AAAACACAAA", 2, 7),
            // A = 180, B = 180, C = 240, D = 400; E = 400 + 400 + 800 = 1 600 ≥ 1 200 → rank 8.
            ("AACCACAAAA", 3, 8),
            // A..D ≤ 80, E = 800 < 1 200; F = 500 + 500 = 1 000 ≥ 800 → rank 9.
            ("AACCAAAAAA", 3, 9),
            // E = 400, F = 400 < 800; G = 200 + 200 + 200 + 200 (transferts B) = 800 ≥ 650 → rank 10.
            ("AABBBABAAA", 4, 10),
            // G = 400 < 650; H = 2 000 + 2 000 = 4 000 ≥ 4 000 → rank 11.
            ("AABBAAAAAA", 4, 11),
            // G = 200; H = 2 000 (toilette B), in [2 000, 4 000[ → rank 12.
            ("AABAAAAAAA", 5, 12),
            // Cohérence and orientation B only: B = 320 + 120 = 440 < 2 016, F = 200 < 800, H = 0 → rank 13.
            ("BBAAAAAAAA", 6, 13),
        ];
        for (letters, expected_gir, expected_rank) in cases {
            assert_eq!(gir(letters), (expected_gir, expected_rank), "{letters}");
        }
    }

    #[test]
    fn outdoor_moves_and_alerting_weigh_nothing_in_the_algorithm() {
        // Annexe 2-2 gives them 0 in every group: they are filled but never change the GIR.
        for base in ["AABAAAAA", "CCBBBBAA", "AACCACAA", "AAAAAAAA"] {
            let results: Vec<(u8, u8)> = ["AA", "BC", "CC", "CA"]
                .iter()
                .map(|tail| gir(&format!("{base}{tail}")))
                .collect();
            assert!(results.windows(2).all(|w| w[0] == w[1]), "{base}: {results:?}");
        }
    }

    #[test]
    fn group_b_lowers_the_score_of_people_who_cannot_move_inside() {
        // Annexe 2-2 group B weighs déplacements intérieur −40 (B) and −80 (C): the score can be negative.
        let p = Parameters::load().unwrap();
        let r = compute(&p, &grid("AAAAAAACAA")).unwrap();
        assert_eq!(r.group_scores.get(1), Some(&('B', -80)));
        assert!(
            r.explanation.iter().any(|l| l.starts_with("Groupe B : −80")),
            "{:?}",
            r.explanation
        );
    }

    #[test]
    fn the_explanation_shows_the_groups_tested_and_the_rank() {
        let p = Parameters::load().unwrap();
        let r = compute(&p, &grid("CCBBBBAAAA")).unwrap();
        assert_eq!(r.group_scores, vec![('A', 3268), ('B', 2748)]);
        assert_eq!(
            r.explanation.iter().rev().nth(1).map(String::as_str),
            Some(
                "Groupe B : 1\u{202f}500 (cohérence C) + 1\u{202f}200 (orientation C) + 16 (toilette B) + \
                 16 (habillage B) + 16 (élimination B) = 2\u{202f}748 ; au moins 2\u{202f}016 : rang 4"
            )
        );
        assert!(
            r.explanation
                .iter()
                .any(|l| l.starts_with("Groupe A : ") && l.ends_with("groupe suivant"))
        );
        assert!(
            r.explanation
                .last()
                .is_some_and(|l| l.starts_with("Rang 4 → GIR 2"))
        );
        assert_eq!(r.variables.first(), Some(&("coherence", Modality::C)));
        assert_eq!(r.variables.len(), 10);
    }

    /// The combined modality of `variable` for each pattern of its sub-variables, all others A.
    fn combined(variable: &str, pattern: &str) -> Modality {
        let p = Parameters::load().unwrap();
        let v = VARIABLES.iter().find(|v| v.key == variable).unwrap();
        let mut g = grid("AAAAAAAAAA");
        for ((key, _), letter) in v.sub.iter().zip(pattern.chars()) {
            set(&mut g, key, letter.to_string().parse().unwrap()).unwrap();
        }
        let r = compute(&p, &g).unwrap();
        r.variables.iter().find(|(k, _)| *k == variable).unwrap().1
    }

    fn all_patterns(n: usize) -> Vec<String> {
        let mut out = vec![String::new()];
        for _ in 0..n {
            out = out
                .iter()
                .flat_map(|p| ["A", "B", "C"].map(|l| format!("{p}{l}")))
                .collect();
        }
        out
    }

    #[test]
    fn toilette_is_a_when_both_a_c_when_both_c_else_b() {
        for pattern in all_patterns(2) {
            let expected = match pattern.as_str() {
                "AA" => Modality::A,
                "CC" => Modality::C,
                _ => Modality::B,
            };
            assert_eq!(combined("toilette", &pattern), expected, "toilette {pattern}");
        }
    }

    #[test]
    fn habillage_is_a_when_all_three_a_c_when_all_three_c_else_b() {
        for pattern in all_patterns(3) {
            let expected = match pattern.as_str() {
                "AAA" => Modality::A,
                "CCC" => Modality::C,
                _ => Modality::B,
            };
            assert_eq!(combined("habillage", &pattern), expected, "habillage {pattern}");
        }
    }

    #[test]
    fn alimentation_is_c_when_both_c_or_one_c_with_one_b() {
        for pattern in all_patterns(2) {
            let expected = match pattern.as_str() {
                "AA" => Modality::A,
                "CC" | "BC" | "CB" => Modality::C,
                _ => Modality::B,
            };
            assert_eq!(
                combined("alimentation", &pattern),
                expected,
                "alimentation {pattern}"
            );
        }
    }

    #[test]
    fn elimination_coherence_and_orientation_are_c_as_soon_as_one_sub_variable_is_c() {
        for variable in ["elimination", "coherence", "orientation"] {
            for pattern in all_patterns(2) {
                let expected = if pattern == "AA" {
                    Modality::A
                } else if pattern.contains('C') {
                    Modality::C
                } else {
                    Modality::B
                };
                assert_eq!(combined(variable, &pattern), expected, "{variable} {pattern}");
            }
        }
    }

    #[test]
    fn a_missing_sub_variable_is_an_error_that_names_it() {
        let p = Parameters::load().unwrap();
        let mut g = grid("AAAAAAAAAA");
        g.toilette_bas = None;
        g.alerter = None;
        let err = compute(&p, &g).unwrap_err();
        assert_eq!(
            err,
            SimulationError::InvalidInput(
                "grille AGGIR incomplète, à renseigner : Toilette (toilette du bas), \
                 Alerter (communication à distance)"
                    .into()
            )
        );
        assert!(compute(&p, &Grid::default()).is_err());
    }

    #[test]
    fn set_fills_by_field_key_and_rejects_unknown_keys() {
        let mut g = Grid::default();
        set(&mut g, "habillage_moyen", Modality::B).unwrap();
        assert_eq!(g.habillage_moyen, Some(Modality::B));
        assert_eq!(g.get("habillage_moyen").unwrap(), Some(Modality::B));
        assert!(set(&mut g, "habillage", Modality::B).is_err());
        assert!(set(&mut g, "toilette_milieu", Modality::A).is_err());
        assert!(g.get("nope").is_err());
    }

    #[test]
    fn every_form_key_of_variables_is_a_grid_field() {
        let mut g = Grid::default();
        let keys: Vec<&str> = variables()
            .iter()
            .flat_map(|v| v.sub.iter().map(|(k, _)| *k))
            .collect();
        assert_eq!(keys.len(), 17);
        for key in &keys {
            set(&mut g, key, Modality::C).unwrap();
        }
        // Every field is now filled: serialized, no field is null.
        let json = serde_json::to_value(&g).unwrap();
        let obj = json.as_object().unwrap();
        assert_eq!(obj.len(), 17);
        assert!(obj.values().all(|v| v == "C"));
    }

    #[test]
    fn modalities_parse_in_upper_or_lower_case_only_as_a_b_or_c() {
        assert_eq!("a".parse::<Modality>().unwrap(), Modality::A);
        assert_eq!(" B ".parse::<Modality>().unwrap(), Modality::B);
        assert_eq!("C".parse::<Modality>().unwrap(), Modality::C);
        assert!("D".parse::<Modality>().is_err());
        assert!("AB".parse::<Modality>().is_err());
        assert!("".parse::<Modality>().is_err());
    }

    #[test]
    fn a_grid_deserializes_from_json_and_refuses_unknown_fields() {
        let g: Grid = serde_json::from_str(r#"{"toilette_haut": "B", "alerter": "C"}"#).unwrap();
        assert_eq!(
            (g.toilette_haut, g.alerter, g.toilette_bas),
            (Some(Modality::B), Some(Modality::C), None)
        );
        assert!(serde_json::from_str::<Grid>(r#"{"toilete_haut": "B"}"#).is_err());
    }

    #[test]
    fn malformed_rules_are_rejected_at_load() {
        let p = Parameters::load().unwrap();
        let mut bad = p.aggir.clone();
        bad.combinations.toilette.c.push("CCC".into());
        assert!(bad.check().is_err(), "pattern of the wrong length");
        let mut bad = p.aggir.clone();
        bad.combinations.toilette.c.push("AA".into());
        assert!(bad.check().is_err(), "pattern both A and C");
        let mut bad = p.aggir.clone();
        if let Some(t) = bad.groups.last_mut().and_then(|g| g.thresholds.last_mut()) {
            t.min = Some(0);
        }
        assert!(bad.check().is_err(), "a grid could get no rank");
        let mut bad = p.aggir.clone();
        bad.gir_by_rank.retain(|g| g.gir != 3);
        assert!(bad.check().is_err(), "ranks 8 and 9 without GIR");
        let mut bad = p.aggir.clone();
        if let Some(g) = bad.groups.first_mut() {
            g.thresholds.reverse();
        }
        assert!(bad.check().is_err(), "thresholds must descend");
    }
}

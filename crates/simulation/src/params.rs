//! Dated, referenced parameters, deserialized from the TOML files under `parameters/` into typed
//! structs. A misspelt or missing key fails at load time (`deny_unknown_fields`, no defaults), which the
//! tests exercise, never at the moment a rule asks for a value.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};

use crate::SimulationError;

/// One dated value of a parameter, with the legal text or official table it comes from.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatedValue {
    /// First day the value applies.
    pub since: NaiveDate,
    /// The value, exact (amounts in euros, rates as fractions: 0.9 = 90 %).
    #[serde(deserialize_with = "de_decimal")]
    pub value: Decimal,
    /// Legal text or official table.
    pub reference: String,
    /// Anything a reader should know about the value (estimated start date, disagreeing sources).
    #[serde(default)]
    pub notes: Option<String>,
    /// The value or its start date comes only from secondary sources (press, a département's page) or
    /// from a computation by the rule of the text, not from the text itself: a result that uses it says
    /// so in its warnings.
    #[serde(default)]
    pub unconfirmed: bool,
}

/// A parameter: a description, a unit, and values ordered by date.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Param {
    pub description: String,
    pub unit: String,
    /// Whether the value is revalued from time to time (the MTP, the SMIC, the AAH amount, tariffs,
    /// prices). Only such a value can silently go out of date, so only it warns when used after
    /// `last_value_still_valid_on`. Ages, rates, coefficients and maxima fixed by a text change only with
    /// a new text, which the review of the parameters catches.
    pub revalued: bool,
    /// Last date on which the latest value is known to be still in force. Using the parameter after
    /// this date works (a value stays in force until replaced); a revalued one then carries a warning.
    pub last_value_still_valid_on: NaiveDate,
    pub values: Vec<DatedValue>,
}

impl Param {
    /// The value in force on `date`: the last one whose `since` is on or before it.
    pub fn at(&self, name: &str, date: NaiveDate) -> Result<&DatedValue, SimulationError> {
        self.values
            .iter()
            .rev()
            .find(|v| v.since <= date)
            .ok_or_else(|| SimulationError::NoValue {
                parameter: name.to_owned(),
                date,
            })
    }

    /// Whether `date` is after the last date the latest value is known to be valid.
    pub fn is_unconfirmed_on(&self, date: NaiveDate) -> bool {
        date > self.last_value_still_valid_on
    }

    /// Whether the value used on `date` may be wrong: it was never confirmed by a text, or it is a
    /// revalued value used after the last date it is known to be in force.
    pub fn may_be_out_of_date_on(&self, value: &DatedValue, date: NaiveDate) -> bool {
        value.unconfirmed || (self.revalued && self.is_unconfirmed_on(date))
    }

    fn check(&self, name: &str) -> Result<(), SimulationError> {
        let invalid = |msg: String| SimulationError::InvalidParameter {
            parameter: name.to_owned(),
            msg,
        };
        if self.values.is_empty() {
            return Err(invalid("aucune valeur".into()));
        }
        if self.description.trim().is_empty() || self.unit.trim().is_empty() {
            return Err(invalid("description ou unité manquante".into()));
        }
        for pair in self.values.windows(2) {
            if pair[0].since >= pair[1].since {
                return Err(invalid(format!(
                    "valeurs non triées par date ({})",
                    pair[1].since
                )));
            }
        }
        for v in &self.values {
            if v.reference.trim().is_empty() {
                return Err(invalid(format!("valeur du {} sans référence", v.since)));
            }
        }
        if self.unit.starts_with("EUR") && self.values.iter().any(|v| v.value.scale() > 2) {
            return Err(invalid("montant avec plus de deux décimales".into()));
        }
        Ok(())
    }
}

/// TOML numbers come in as f64 (or i64): `f64::to_string` prints the shortest representation that
/// reads back to the same float, so `1.306` becomes exactly `Decimal 1.306`, never `1.30599999…`.
fn de_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    struct V;
    impl serde::de::Visitor<'_> for V {
        type Value = Decimal;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("un nombre")
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Decimal, E> {
            Ok(Decimal::from(v))
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Decimal, E> {
            Ok(Decimal::from(v))
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Decimal, E> {
            v.to_string()
                .parse::<Decimal>()
                .map(|d| d.normalize())
                .map_err(E::custom)
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Decimal, E> {
            v.parse::<Decimal>().map_err(E::custom)
        }
    }
    d.deserialize_any(V)
}

/// Declares a typed parameter file: one `Param` per field, and `all()` listing them for the checks.
macro_rules! param_file {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $field:ident),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $($(#[$fdoc])* pub $field: Param,)*
        }
        impl $name {
            /// Every parameter of the file with its name, for the coverage and reference checks.
            pub fn all(&self) -> Vec<(&'static str, &Param)> {
                vec![$((stringify!($field), &self.$field)),*]
            }
        }
    };
}

param_file!(
    /// `parameters/common/common.toml`.
    CommonParams { mtp, smic_horaire_brut, heures_mensuelles_smic }
);

param_file!(
    /// `parameters/apa/domicile.toml` (CASF R232-10, R232-11, R232-5, R132-1, D232-31, R232-29,
    /// D232-9-1, D232-9-2).
    ApaDomicileParams {
        age_minimum, plafond_gir_1, plafond_gir_2, plafond_gir_3, plafond_gir_4, seuil_exoneration,
        seuil_participation_maximale, tranche_1, tranche_2, tranche_2_pente, tranche_2_base,
        tranche_3_pente, tranche_3_base, taux_participation_maximum, diviseur_couple,
        taux_valeur_locative_bati, taux_valeur_locative_non_bati, taux_capitaux, seuil_versement_smic,
        part_plafond_forfait, majoration_repit, majoration_hospitalisation_aidant,
    }
);

param_file!(
    /// `parameters/apa/etablissement.toml` (CASF R232-19).
    ApaEtablissementParams { seuil_bas, seuil_haut, taux_maximum, diviseur_couple }
);

param_file!(
    /// `parameters/pch/pch.toml`.
    PchParams {
        age_limite, age_adulte, seuil_ressources, taux_plein, taux_reduit, tarif_emploi_direct,
        tarif_emploi_direct_soins, tarif_mandataire, tarif_mandataire_soins, tarif_prestataire,
        tarif_aidant_familial,
        tarif_aidant_familial_activite_reduite, plafond_aidant_familial, majoration_plafond_aidant_familial,
        aides_techniques_maximum, aides_techniques_duree, amenagement_logement_maximum,
        amenagement_logement_duree, vehicule_transport_maximum, vehicule_transport_duree,
        charges_part_depenses, charges_specifiques_maximum, charges_exceptionnelles_maximum,
        charges_exceptionnelles_duree, aide_animaliere_maximum, aide_animaliere_duree,
        parentalite_forfait_moins_3_ans, parentalite_forfait_3_7_ans, parentalite_majoration_monoparentale,
        parentalite_aide_technique_naissance, parentalite_aide_technique_3_ans,
        parentalite_aide_technique_6_ans,
    }
);

param_file!(
    /// `parameters/aah/aah.toml`.
    AahParams {
        montant_maximum, majoration_plafond_par_enfant, taux_incapacite_plein, taux_incapacite_minimum,
        age_minimum, age_minimum_hors_charge, age_fin_taux_partiel, abattement_seuil,
        abattement_taux_bas_revenus, abattement_taux_hauts_revenus,
    }
);

/// Tax condition of an Améthyste category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FiscalCondition {
    /// No tax condition.
    Aucune,
    /// The household must not be liable to income tax.
    NonImposable,
    /// Income tax (before credits) strictly below `impot_inferieur_a`.
    ImpotInferieurA,
    /// A resource condition exists but its figures were not found: the result asks to check it.
    NonDocumentee,
}

/// One eligibility category of a département's Améthyste scheme.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmethysteCategory {
    pub id: String,
    /// Plain-French description shown to the user.
    pub libelle: String,
    #[serde(default)]
    pub age_min: Option<u32>,
    /// Lower minimum age for people recognised unfit for work (inaptitude au travail).
    #[serde(default)]
    pub age_min_inapte: Option<u32>,
    #[serde(default)]
    pub age_max: Option<u32>,
    /// At least one of these rights is required (empty: none).
    pub droits: Vec<String>,
    pub fiscal: FiscalCondition,
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub impot_inferieur_a: Option<Decimal>,
    /// Something the département's pages leave unclear; shown to the user when the category matches.
    #[serde(default)]
    pub a_confirmer: Option<String>,
    /// Yearly price paid by the beneficiary; absent when no source was found.
    #[serde(default)]
    pub prix: Option<Param>,
}

fn de_opt_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    de_decimal(d).map(Some)
}

/// A département (or Paris) and its scheme.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmethysteDepartement {
    pub code: String,
    pub nom: String,
    pub produit: String,
    pub zones: Vec<String>,
    /// Minimum months of residence in the département, when the département sets one.
    #[serde(default)]
    pub residence_min_mois: Option<u32>,
    pub reference: String,
    pub categories: Vec<AmethysteCategory>,
}

/// `parameters/amethyste/departements.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmethysteParams {
    pub departements: Vec<AmethysteDepartement>,
}

pub const KNOWN_RIGHTS: &[&str] = &[
    "aah",
    "aspa",
    "asi",
    "invalidite_2_3",
    "carte_invalidite_80",
    "aeeh",
    "ancien_combattant",
    "pch",
    "actp",
];

/// Every parameter of every aid, typed. Build it once with [`Parameters::load`] and share it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Parameters {
    pub common: CommonParams,
    pub apa_domicile: ApaDomicileParams,
    pub apa_etablissement: ApaEtablissementParams,
    pub pch: PchParams,
    pub aah: AahParams,
    pub amethyste: AmethysteParams,
    /// AGGIR grid rules and GIR algorithm (`parameters/apa/aggir.toml`).
    pub aggir: crate::aggir::AggirParams,
}

const FILES: [(&str, &str); 7] = [
    (
        "common/common.toml",
        include_str!("../parameters/common/common.toml"),
    ),
    (
        "apa/domicile.toml",
        include_str!("../parameters/apa/domicile.toml"),
    ),
    (
        "apa/etablissement.toml",
        include_str!("../parameters/apa/etablissement.toml"),
    ),
    ("pch/pch.toml", include_str!("../parameters/pch/pch.toml")),
    ("aah/aah.toml", include_str!("../parameters/aah/aah.toml")),
    (
        "amethyste/departements.toml",
        include_str!("../parameters/amethyste/departements.toml"),
    ),
    ("apa/aggir.toml", include_str!("../parameters/apa/aggir.toml")),
];

fn parse<T: serde::de::DeserializeOwned>(index: usize) -> Result<T, SimulationError> {
    let (file, text) = FILES[index];
    toml::from_str(text).map_err(|e| SimulationError::Parse {
        file,
        message: e.to_string(),
    })
}

impl Parameters {
    /// Parses the embedded parameter files and checks them (values sorted by date, each with a
    /// reference, amounts with at most two decimals). Cheap enough to call at start-up; the result is
    /// meant to be kept and shared.
    pub fn load() -> Result<Parameters, SimulationError> {
        let parameters = Parameters {
            common: parse(0)?,
            apa_domicile: parse(1)?,
            apa_etablissement: parse(2)?,
            pch: parse(3)?,
            aah: parse(4)?,
            amethyste: parse(5)?,
            aggir: parse(6)?,
        };
        parameters.aggir.check()?;
        for (name, param) in parameters.all() {
            param.check(&name)?;
        }
        for dep in &parameters.amethyste.departements {
            for cat in &dep.categories {
                if let Some(unknown) = cat.droits.iter().find(|d| !KNOWN_RIGHTS.contains(&d.as_str())) {
                    return Err(SimulationError::InvalidParameter {
                        parameter: format!("amethyste.{}.{}", dep.code, cat.id),
                        msg: format!("droit inconnu « {unknown} »"),
                    });
                }
                if cat.fiscal == FiscalCondition::ImpotInferieurA && cat.impot_inferieur_a.is_none() {
                    return Err(SimulationError::InvalidParameter {
                        parameter: format!("amethyste.{}.{}", dep.code, cat.id),
                        msg: "plafond d’impôt manquant".into(),
                    });
                }
            }
        }
        Ok(parameters)
    }

    /// The parameters loaded once per process and shared (what a server or a batch wants): the first
    /// call parses the embedded files, later calls return the same value.
    pub fn shared() -> Result<&'static Parameters, SimulationError> {
        static SHARED: std::sync::OnceLock<Result<Parameters, SimulationError>> = std::sync::OnceLock::new();
        SHARED
            .get_or_init(Parameters::load)
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Every dated parameter with a dotted name (`apa_domicile.plafond_gir_1`, `amethyste.93.seniors.prix`).
    pub fn all(&self) -> Vec<(String, &Param)> {
        let mut out: Vec<(String, &Param)> = Vec::new();
        let groups = [
            ("common", self.common.all()),
            ("apa_domicile", self.apa_domicile.all()),
            ("apa_etablissement", self.apa_etablissement.all()),
            ("pch", self.pch.all()),
            ("aah", self.aah.all()),
        ];
        for (prefix, list) in groups {
            for (n, p) in list {
                out.push((format!("{prefix}.{n}"), p));
            }
        }
        for dep in &self.amethyste.departements {
            for cat in &dep.categories {
                if let Some(p) = &cat.prix {
                    out.push((format!("amethyste.{}.{}.prix", dep.code, cat.id), p));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_parameters_are_loaded_once() {
        let a = Parameters::shared().unwrap();
        let b = Parameters::shared().unwrap();
        assert!(std::ptr::eq(a, b));
    }

    #[test]
    fn embedded_parameters_load_and_are_checked() {
        let p = Parameters::load().unwrap();
        assert!(p.all().len() > 60);
    }

    #[test]
    fn a_value_applies_from_its_since_date_until_replaced() {
        let p = Parameters::load().unwrap();
        let mtp = &p.common.mtp;
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(
            mtp.at("mtp", d("2025-03-31")).unwrap().value,
            Decimal::new(126_660, 2)
        );
        assert_eq!(
            mtp.at("mtp", d("2025-04-01")).unwrap().value,
            Decimal::new(128_813, 2)
        );
        assert!(mtp.at("mtp", d("2000-01-01")).is_err());
    }

    #[test]
    fn toml_floats_become_exact_decimals() {
        let p = Parameters::load().unwrap();
        let d = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        assert_eq!(
            p.apa_domicile.plafond_gir_2.at("x", d).unwrap().value.to_string(),
            "1.306"
        );
        assert_eq!(
            p.apa_domicile
                .diviseur_couple
                .at("x", d)
                .unwrap()
                .value
                .to_string(),
            "1.7"
        );
    }

    #[test]
    fn an_unknown_key_is_rejected_at_load() {
        let text = "[mtp]\ndescription='x'\nunit='EUR'\nlast_value_still_valid_on='2026-01-01'\n\
                    values=[]\nvaleur=1\n";
        assert!(toml::from_str::<CommonParams>(text).is_err());
    }

    #[test]
    fn a_value_without_reference_fails_the_check() {
        let text = "description='x'\nunit='/1'\nrevalued=false\nlast_value_still_valid_on='2026-01-01'\n\
                    [[values]]\nsince='2020-01-01'\nvalue=1\nreference=' '\n";
        let p: Param = toml::from_str(text).unwrap();
        assert!(p.check("x").is_err());
    }
}

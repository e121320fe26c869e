//! What the legal notice and the accessibility statement must say beyond the département's identity: the
//! `[mentions]` section of the configuration (`GUICHET_MENTIONS__<KEY>` in the environment).
//!
//! The law names the items (LCEN art. 6 III for the notice; RGPD art. 13 for personal data; décret
//! 2019-768 art. 7 and the arrêté of 20 September 2019, RGAA 4.1, for the statement); only the
//! département knows their values. A value never set is shown as « non renseigné », never guessed: a
//! legal notice that names a made-up host is worse than one that says it is missing. `serve --demo`
//! fills the unset ones with [`Mentions::demo`] values, which say they are examples.

use chrono::NaiveDate;
use serde::Deserialize;

/// Shown wherever a value the law requires was not configured.
pub const NOT_SET: &str = "non renseigné";

/// The `[mentions]` settings. Lists are TOML arrays, or in the environment one item per line.
#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct Mentions {
    /// Directeur ou directrice de la publication (LCEN art. 6 III 1° c), e.g. « Stéphane Troussel,
    /// président du conseil départemental ».
    #[serde(deserialize_with = "text")]
    pub director: Option<String>,
    /// The host (LCEN art. 6 III 1° d): name or company name, postal address, phone.
    #[serde(deserialize_with = "text")]
    pub host_name: Option<String>,
    #[serde(deserialize_with = "text")]
    pub host_address: Option<String>,
    #[serde(deserialize_with = "text")]
    pub host_phone: Option<String>,
    /// Data protection officer's contact (RGPD art. 13.1 b, art. 37.7): an email and/or a postal address.
    #[serde(deserialize_with = "text")]
    pub dpo_email: Option<String>,
    #[serde(deserialize_with = "text")]
    pub dpo_address: Option<String>,
    /// Date the accessibility statement was made, `YYYY-MM-DD`.
    #[serde(deserialize_with = "text")]
    pub statement_date: Option<String>,
    /// Date of the RGAA audit, `YYYY-MM-DD`; unset: no audit, hence « non conforme ».
    #[serde(deserialize_with = "text")]
    pub audit_date: Option<String>,
    /// Who made the audit (a firm, an internal team).
    #[serde(deserialize_with = "text")]
    pub audit_by: Option<String>,
    /// Share of the RGAA criteria met, in percent (`72.5`, or `72,5` in the environment).
    #[serde(deserialize_with = "rate")]
    pub audit_rate: Option<f64>,
    /// Pages audited (the RGAA sample).
    #[serde(deserialize_with = "list")]
    pub pages_audited: Option<Vec<String>>,
    /// Non-conformities found by the audit; an empty list: none.
    #[serde(deserialize_with = "list")]
    pub non_conformities: Option<Vec<String>>,
    /// Dérogations pour charge disproportionnée, each with its reason; an empty list: none.
    #[serde(deserialize_with = "list")]
    pub derogations: Option<Vec<String>>,
    /// Content not subject to the obligation (décret 2019-768 art. 3); an empty list: none.
    #[serde(deserialize_with = "list")]
    pub non_subject: Option<Vec<String>>,
    /// Technologies the pages rely on; unset: what Guichet uses (HTML and CSS, no JavaScript needed).
    #[serde(deserialize_with = "list")]
    pub technologies: Option<Vec<String>>,
    /// The audit's test environment: browsers with assistive technologies (« NVDA 2024.4 et Firefox 128 »).
    #[serde(deserialize_with = "list")]
    pub test_environment: Option<Vec<String>>,
    /// Tools used for the audit (« Colour Contrast Analyser », « extension Assistant RGAA »…).
    #[serde(deserialize_with = "list")]
    pub tools: Option<Vec<String>>,
    /// Address of the schéma pluriannuel de mise en accessibilité and of the current year's plan.
    #[serde(deserialize_with = "text")]
    pub multi_year_plan_url: Option<String>,
    /// A contact dedicated to accessibility, if any; the département's email and address are always given.
    #[serde(deserialize_with = "text")]
    pub accessibility_email: Option<String>,
}

/// Text, or a number the environment provider parsed as one (`GUICHET_MENTIONS__HOST_PHONE=0143939393`);
/// an empty text is unset.
fn text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Int(i64),
        Float(f64),
    }
    Ok(match Option::<Raw>::deserialize(d)? {
        None => None,
        Some(Raw::Text(t)) => Some(t.trim().to_owned()).filter(|t| !t.is_empty()),
        Some(Raw::Int(i)) => Some(i.to_string()),
        Some(Raw::Float(f)) => Some(f.to_string()),
    })
}

/// A number, or its text (the environment's values are texts).
fn rate<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Float(f64),
        Int(i64),
        Text(String),
    }
    match Option::<Raw>::deserialize(d)? {
        None => Ok(None),
        Some(Raw::Float(f)) => Ok(Some(f)),
        #[expect(clippy::cast_precision_loss, reason = "a percentage")]
        Some(Raw::Int(i)) => Ok(Some(i as f64)),
        Some(Raw::Text(t)) if t.trim().is_empty() => Ok(None),
        Some(Raw::Text(t)) => t
            .trim()
            .trim_end_matches('%')
            .trim()
            .replace(',', ".")
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("mentions.audit_rate: not a number: {t:?}"))),
    }
}

/// A TOML array, or the text of an environment variable with one item per line.
fn list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        List(Vec<String>),
        Text(String),
    }
    let items: Vec<String> = match Option::<Raw>::deserialize(d)? {
        None => return Ok(None),
        Some(Raw::List(l)) => l,
        Some(Raw::Text(t)) => t.lines().map(str::to_owned).collect(),
    };
    Ok(Some(
        items
            .into_iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
    ))
}

/// Conformity with the RGAA, as the arrêté of 20 September 2019 defines it from the audit's rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conformity {
    /// Every criterion met.
    Full,
    /// At least half of them.
    Partial,
    /// Less than half, or no valid audit.
    None,
}

impl Conformity {
    /// « totalement conforme », as the statement and the footer say it.
    pub fn label(self) -> &'static str {
        match self {
            Conformity::Full => "totalement conforme",
            Conformity::Partial => "partiellement conforme",
            Conformity::None => "non conforme",
        }
    }
}

impl Mentions {
    /// Checks the dates and the rate, so that a typo stops the start rather than shows on a legal page.
    pub fn check(&self) -> Result<(), String> {
        for (key, value) in [
            ("statement_date", &self.statement_date),
            ("audit_date", &self.audit_date),
        ] {
            if let Some(v) = value
                && NaiveDate::parse_from_str(v, "%Y-%m-%d").is_err()
            {
                return Err(format!("mentions.{key} must be a date YYYY-MM-DD, not {v:?}"));
            }
        }
        if let Some(r) = self.audit_rate
            && !(0.0..=100.0).contains(&r)
        {
            return Err(format!("mentions.audit_rate must be between 0 and 100, not {r}"));
        }
        if self.audit_rate.is_some() != self.audit_date.is_some() {
            return Err("mentions.audit_rate and mentions.audit_date go together".into());
        }
        Ok(())
    }

    /// From the audit: without one, the site is « non conforme » whatever it does (arrêté of 20 September
    /// 2019; an automated check is not an audit).
    pub fn conformity(&self) -> Conformity {
        match (self.audit_date.as_ref(), self.audit_rate) {
            (Some(_), Some(r)) if r >= 100.0 => Conformity::Full,
            (Some(_), Some(r)) if r >= 50.0 => Conformity::Partial,
            _ => Conformity::None,
        }
    }

    /// The statement's date in words (« 1er décembre 2026 »).
    pub fn statement_date_words(&self) -> Option<String> {
        date_words(self.statement_date.as_deref())
    }

    /// The audit's date in words.
    pub fn audit_date_words(&self) -> Option<String> {
        date_words(self.audit_date.as_deref())
    }

    /// « 72,5 % », French decimal comma.
    pub fn audit_rate_words(&self) -> Option<String> {
        self.audit_rate.map(|r| {
            let t = if r.fract() == 0.0 {
                format!("{r:.0}")
            } else {
                format!("{r:.1}")
            };
            format!("{} %", t.replace('.', ","))
        })
    }

    /// The technologies, defaulting to what Guichet's pages are made of.
    pub fn technologies_or_default(&self) -> Vec<String> {
        self.technologies
            .clone()
            .unwrap_or_else(|| vec!["HTML".into(), "CSS".into()])
    }

    /// The settings the law requires that are still missing, by their key (`mentions.director`…), for
    /// the start-up log.
    pub fn missing(&self) -> Vec<&'static str> {
        self.missing_labelled().into_iter().map(|(k, _)| k).collect()
    }

    /// The same, each with what it is in French (the administration page).
    pub fn missing_labelled(&self) -> Vec<(&'static str, &'static str)> {
        let texts = [
            (
                "mentions.director",
                "Directeur ou directrice de la publication",
                &self.director,
            ),
            ("mentions.host_name", "Nom de l’hébergeur", &self.host_name),
            (
                "mentions.host_address",
                "Adresse de l’hébergeur",
                &self.host_address,
            ),
            (
                "mentions.host_phone",
                "Téléphone de l’hébergeur",
                &self.host_phone,
            ),
            (
                "mentions.statement_date",
                "Date de la déclaration d’accessibilité",
                &self.statement_date,
            ),
        ];
        let mut out: Vec<_> = texts
            .into_iter()
            .filter(|(_, _, v)| v.is_none())
            .map(|(k, l, _)| (k, l))
            .collect();
        if self.dpo_email.is_none() && self.dpo_address.is_none() {
            out.push((
                "mentions.dpo_email",
                "Contact du délégué à la protection des données",
            ));
        }
        out
    }

    /// Fills what is unset with the demo's values (`serve --demo`): every invented
    /// value says it is an example, so that a demo page is never mistaken for a real notice.
    pub fn or_demo(self) -> Mentions {
        let d = Mentions::demo();
        Mentions {
            director: self.director.or(d.director),
            host_name: self.host_name.or(d.host_name),
            host_address: self.host_address.or(d.host_address),
            host_phone: self.host_phone.or(d.host_phone),
            dpo_email: self.dpo_email.or(d.dpo_email),
            dpo_address: self.dpo_address.or(d.dpo_address),
            statement_date: self.statement_date.or(d.statement_date),
            audit_date: self.audit_date.or(d.audit_date),
            audit_by: self.audit_by.or(d.audit_by),
            audit_rate: self.audit_rate.or(d.audit_rate),
            pages_audited: self.pages_audited.or(d.pages_audited),
            non_conformities: self.non_conformities.or(d.non_conformities),
            derogations: self.derogations.or(d.derogations),
            non_subject: self.non_subject.or(d.non_subject),
            technologies: self.technologies.or(d.technologies),
            test_environment: self.test_environment.or(d.test_environment),
            tools: self.tools.or(d.tools),
            multi_year_plan_url: self.multi_year_plan_url.or(d.multi_year_plan_url),
            accessibility_email: self.accessibility_email.or(d.accessibility_email),
        }
    }

    /// The demo's values, consistent with the default identity (« Département de démonstration »,
    /// Démoville). No audit was made: the demo states so (« non conforme »), as a real
    /// département without an audit must.
    pub fn demo() -> Mentions {
        let v = |s: &str| Some(s.to_owned());
        Mentions {
            director: v("Le président ou la présidente du conseil départemental (exemple de démonstration)"),
            host_name: v("Hébergeur de démonstration (exemple)"),
            host_address: v("1 rue de l’Exemple, 99000 Démoville (adresse de démonstration)"),
            host_phone: v("01 00 00 00 01 (numéro de démonstration)"),
            dpo_email: v("dpo@demo.guichet.test"),
            dpo_address: v(
                "Délégué à la protection des données, Hôtel du Département, 1 esplanade de la Démonstration, 99000 Démoville",
            ),
            statement_date: v("2026-12-01"),
            audit_date: None,
            audit_by: None,
            audit_rate: None,
            pages_audited: None,
            non_conformities: None,
            derogations: Some(Vec::new()),
            non_subject: Some(vec![
                "Les pièces justificatives que vous déposez (documents que vous avez produits ou reçus d’un tiers)."
                    .into(),
            ]),
            technologies: None,
            // What the software's own checks use: true of every deployment, and no audit.
            test_environment: Some(vec![
                "Chromium sans interface, pour les vérifications automatiques (aucun test avec une technologie d’assistance : pas encore d’audit)".into(),
            ]),
            tools: Some(vec!["axe-core (vérifications automatiques)".into()]),
            multi_year_plan_url: None,
            accessibility_email: v("accessibilite@demo.guichet.test"),
        }
    }
}

fn date_words(v: Option<&str>) -> Option<String> {
    let d = NaiveDate::parse_from_str(v?, "%Y-%m-%d").ok()?;
    Some(guichet_documents::french::date(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn audited(rate: f64) -> Mentions {
        Mentions {
            audit_date: Some("2026-11-02".into()),
            audit_rate: Some(rate),
            ..Mentions::default()
        }
    }

    #[test]
    fn without_an_audit_the_site_is_not_conformant() {
        assert_eq!(Mentions::default().conformity(), Conformity::None);
        assert_eq!(audited(49.9).conformity(), Conformity::None);
        assert_eq!(audited(50.0).conformity(), Conformity::Partial);
        assert_eq!(audited(100.0).conformity(), Conformity::Full);
    }

    #[test]
    fn dates_and_rates_read_in_french() {
        let m = Mentions {
            statement_date: Some("2026-12-01".into()),
            ..audited(72.5)
        };
        assert_eq!(m.statement_date_words().as_deref(), Some("1er décembre 2026"));
        assert_eq!(m.audit_date_words().as_deref(), Some("2 novembre 2026"));
        assert_eq!(m.audit_rate_words().as_deref(), Some("72,5 %"));
        assert_eq!(audited(80.0).audit_rate_words().as_deref(), Some("80 %"));
    }

    #[test]
    fn a_bad_date_or_rate_is_refused() {
        let bad_date = Mentions {
            statement_date: Some("01/12/2026".into()),
            ..Mentions::default()
        };
        assert!(bad_date.check().unwrap_err().contains("statement_date"));
        assert!(audited(120.0).check().is_err());
        let rate_alone = Mentions {
            audit_rate: Some(80.0),
            ..Mentions::default()
        };
        assert!(rate_alone.check().is_err());
        assert!(audited(80.0).check().is_ok());
    }

    #[test]
    fn the_demo_fills_only_what_is_unset() {
        let m = Mentions {
            director: Some("Nadia Kaci, présidente".into()),
            ..Mentions::default()
        }
        .or_demo();
        assert_eq!(m.director.as_deref(), Some("Nadia Kaci, présidente"));
        assert!(m.host_name.unwrap().contains("exemple"));
        assert!(Mentions::default().or_demo().missing().is_empty());
        assert!(Mentions::default().missing().contains(&"mentions.host_name"));
    }
}

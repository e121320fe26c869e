//! The identity an account received from FranceConnect (the « identité pivot »), and the answers it fills.
//!
//! Which answers are the beneficiary's names, birth date and place is already data (`[parties.beneficiary]`);
//! whether the person filling in is the beneficiary too is `[parties.filer] beneficiary_if` (the shared
//! part `pour_qui`). So no procedure names FranceConnect: each one is prefilled from its parties.

use chrono::NaiveDate;
use serde_json::Value;

use crate::FormDefinition;
use crate::definition::FieldType;
use crate::eval::Answers;

/// The identity pivot as FranceConnect sends it (OpenID Connect claims), read once at the edge.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PivotIdentity {
    /// `given_name`: every first name, space separated.
    pub given_names: Option<String>,
    /// `family_name`: the birth name.
    pub family_name: Option<String>,
    /// `preferred_username`: the name of use, when it differs.
    pub usage_name: Option<String>,
    pub birth_date: Option<NaiveDate>,
    /// `gender`: `female` → true, `male` → false.
    pub female: Option<bool>,
    /// The place of birth in words (« Lyon, France »; « Né à l’étranger » is not guessed: left empty).
    pub birth_place: Option<String>,
}

impl PivotIdentity {
    /// From the claims as kept with the account (`external_identities.claims`).
    pub fn from_claims(claims: &Value) -> PivotIdentity {
        let text = |k: &str| {
            claims
                .get(k)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let birth_place = text("birthplace").and_then(|code| {
            let france = text("birthcountry").is_none_or(|c| c == FRANCE);
            france.then(|| commune_of_birth(&code)).flatten()
        });
        PivotIdentity {
            given_names: text("given_name"),
            family_name: text("family_name"),
            usage_name: text("preferred_username"),
            birth_date: text("birthdate").and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
            female: match text("gender").as_deref() {
                Some("female") => Some(true),
                Some("male") => Some(false),
                _ => None,
            },
            birth_place: birth_place.map(|c| format!("{c}, France")),
        }
    }

    /// « Angela Claire Louise Dubois »: first names, then the name of use or else the birth name.
    pub fn full_name(&self) -> Option<String> {
        let surname = self.usage_name.as_ref().or(self.family_name.as_ref())?;
        Some(match &self.given_names {
            Some(g) => format!("{g} {surname}"),
            None => surname.clone(),
        })
    }
}

/// INSEE code of France as a country of birth (COG).
const FRANCE: &str = "99100";

/// The commune of a COG code of birth. Paris, Lyon and Marseille births carry the arrondissement's code,
/// which the communes list (current communes) does not hold.
fn commune_of_birth(code: &str) -> Option<String> {
    let city = match code {
        c if c.starts_with("751") && c.len() == 5 => Some("Paris"),
        c if c.starts_with("6938") && c.len() == 5 => Some("Lyon"),
        c if ("13201"..="13216").contains(&c) => Some("Marseille"),
        _ => None,
    };
    city.map(str::to_owned)
        .or_else(|| crate::communes::commune_name(code).map(str::to_owned))
}

/// One answer an identity gives: the field and its value as the form stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct Prefill {
    pub field: String,
    pub value: Value,
}

impl FormDefinition {
    /// Whether the person filling in is the beneficiary: `None` when the procedure cannot say (no
    /// `[parties.filer]`) or the question is not answered yet.
    pub fn filed_for_self(&self, answers: &Answers, today: NaiveDate) -> Option<bool> {
        let cond = self.filer_if.as_ref()?;
        let state = self.evaluate(answers, today);
        // « Pour qui » not answered: the condition's fields are all unanswered, nothing is known.
        let answered = self
            .def
            .parties
            .as_ref()
            .and_then(|p| p.filer.as_ref())
            .is_some_and(|f| cond_fields_answered(&f.beneficiary_if, answers));
        if !answered {
            return None;
        }
        let lookup = self.lookup(&state.values, None);
        Some(cond.truthy(&self.env, today, &lookup))
    }

    /// What the identity answers in this procedure: the beneficiary's identity when the filer is the
    /// beneficiary (or the procedure cannot tell), else the filer's own name. Every value, answered or
    /// not: the caller fills only what is unanswered, and says « transmis par FranceConnect » beside a
    /// value that is still the one received.
    pub fn identity_prefill(&self, answers: &Answers, id: &PivotIdentity, today: NaiveDate) -> Vec<Prefill> {
        let Some(parties) = self.def.parties.as_ref() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut put = |field: Option<&String>, value: Option<Value>| {
            if let (Some(field), Some(value)) = (field, value)
                && self.field(field).is_some()
            {
                out.push(Prefill {
                    field: field.clone(),
                    value,
                });
            }
        };
        let text = |v: &Option<String>| v.clone().map(Value::String);
        let for_self = match (&parties.filer, self.filed_for_self(answers, today)) {
            (None, _) => true,
            (Some(_), Some(s)) => s,
            (Some(_), None) => return Vec::new(),
        };
        if !for_self {
            put(
                parties.filer.as_ref().and_then(|f| f.name.as_ref()),
                id.full_name().map(Value::String),
            );
            return out;
        }
        let b = &parties.beneficiary;
        put(Some(&b.last_name), text(&id.family_name));
        put(b.first_names.as_ref(), text(&id.given_names));
        // Only a name of use that differs from the birth name is one.
        if id.usage_name != id.family_name {
            put(b.usage_name.as_ref(), text(&id.usage_name));
        }
        put(
            b.birth_date.as_ref(),
            id.birth_date
                .map(|d| Value::String(d.format("%Y-%m-%d").to_string())),
        );
        put(b.birth_place.as_ref(), text(&id.birth_place));
        let civility = b.civility.as_ref().and_then(|c| self.field(c)).and_then(|f| {
            let wanted = if id.female? { "madame" } else { "monsieur" };
            (f.kind == FieldType::Choice)
                .then(|| f.options.iter().find(|o| o.label.to_lowercase() == wanted))
                .flatten()
                .map(|o| Value::String(o.value.clone()))
        });
        put(b.civility.as_ref(), civility);
        out
    }
}

/// Whether one of the fields a condition reads is answered (a crude read of the CEL text: identifiers
/// that are field ids of the answers).
fn cond_fields_answered(cond: &str, answers: &Answers) -> bool {
    cond.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .any(|w| answers.get(w).is_some_and(|v| !v.is_null()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn angela() -> Value {
        json!({
            "given_name": "Angela Claire Louise",
            "family_name": "DUBOIS",
            "preferred_username": "",
            "birthdate": "1962-08-24",
            "birthplace": "75107",
            "birthcountry": "99100",
            "gender": "female",
        })
    }

    #[test]
    fn the_pivot_is_read_from_the_claims() {
        let id = PivotIdentity::from_claims(&angela());
        assert_eq!(id.given_names.as_deref(), Some("Angela Claire Louise"));
        assert_eq!(id.usage_name, None, "an empty name of use is none");
        assert_eq!(id.birth_date, NaiveDate::from_ymd_opt(1962, 8, 24));
        assert_eq!(id.female, Some(true));
        assert_eq!(
            id.birth_place.as_deref(),
            Some("Paris, France"),
            "an arrondissement is its city"
        );
        assert_eq!(id.full_name().as_deref(), Some("Angela Claire Louise DUBOIS"));
        let mut abroad = angela();
        abroad["birthplace"] = json!("");
        abroad["birthcountry"] = json!("99134");
        assert_eq!(PivotIdentity::from_claims(&abroad).birth_place, None);
        let mut lyon = angela();
        lyon["birthplace"] = json!("69383");
        assert_eq!(
            PivotIdentity::from_claims(&lyon).birth_place.as_deref(),
            Some("Lyon, France")
        );
    }

    fn apa() -> FormDefinition {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../forms/apa.toml")).unwrap();
        FormDefinition::from_toml(&text, "apa.toml").unwrap()
    }

    fn answers(v: Value) -> Answers {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn filing_for_oneself_prefills_the_beneficiary() {
        let def = apa();
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let id = PivotIdentity::from_claims(&angela());
        assert!(
            def.identity_prefill(&Answers::new(), &id, today).is_empty(),
            "nothing before « pour qui » is answered"
        );
        let mine = answers(json!({ "demande_pour": "moi" }));
        assert_eq!(def.filed_for_self(&mine, today), Some(true));
        let got: Vec<(String, Value)> = def
            .identity_prefill(&mine, &id, today)
            .into_iter()
            .map(|p| (p.field, p.value))
            .collect();
        assert_eq!(
            got,
            [
                ("nom_naissance".to_owned(), json!("DUBOIS")),
                ("prenoms".to_owned(), json!("Angela Claire Louise")),
                ("date_naissance".to_owned(), json!("1962-08-24")),
                ("lieu_naissance".to_owned(), json!("Paris, France")),
                ("civilite".to_owned(), json!("madame")),
            ]
        );
    }

    #[test]
    fn filing_for_someone_else_prefills_only_the_filer() {
        let def = apa();
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let theirs = answers(json!({ "demande_pour": "proche" }));
        assert_eq!(def.filed_for_self(&theirs, today), Some(false));
        let got = def.identity_prefill(&theirs, &PivotIdentity::from_claims(&angela()), today);
        assert_eq!(
            got,
            [Prefill {
                field: "remplisseur_nom".into(),
                value: json!("Angela Claire Louise DUBOIS")
            }]
        );
    }
}

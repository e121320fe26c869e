//! The département's identity as data: name, postal address, phone, email, web site, place of signature
//! and the signatory of each service's letters. Stored in `settings` (edited with `guichet settings` or on
//! `/admin`); a key never set falls back to the configuration, so a first start prints the configured
//! identity. Letters, receipts, attestations, the dossier pages' contact block, the legal notice and the
//! accessibility statement all read [`identity`].

use guichet_db::AnyConnection;
use guichet_db::settings::{self as store, Change, Setting};
use guichet_types::{Email, Phone};

use crate::error::{CaseError, Invalid, Result};
use crate::letters::{Identity, LetterTexts, Signatory};

/// A setting's key, as typed on the command line and stored.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    Name,
    Address,
    Phone,
    Email,
    WebSite,
    Place,
    /// The signatory's name: of a service (`Some(code)`), or the default one.
    SignatoryName(Option<String>),
    SignatoryTitle(Option<String>),
    /// Paragraphs before the decisions in the letters: of a service (`Some(code)`), or of every letter.
    LetterOpening(Option<String>),
    /// Paragraphs after the decisions and appeal routes, before the closing formula.
    LetterEnding(Option<String>),
}

/// Lines of the postal address, at most (a letter's window envelope shows six).
pub const MAX_ADDRESS_LINES: usize = 6;
const MAX_LEN: usize = 200;
/// A letter's own text: a few short paragraphs, so the legal content keeps the first page.
pub const MAX_TEXT_LEN: usize = 1_200;
pub const MAX_TEXT_PARAGRAPHS: usize = 5;

impl Key {
    /// The keys that do not depend on the services.
    pub const FIXED: [Key; 10] = [
        Key::Name,
        Key::Address,
        Key::Phone,
        Key::Email,
        Key::WebSite,
        Key::Place,
        Key::SignatoryName(None),
        Key::SignatoryTitle(None),
        Key::LetterOpening(None),
        Key::LetterEnding(None),
    ];

    /// `nom`, `adresse`, `signataire.apa.nom`…
    pub fn as_text(&self) -> String {
        match self {
            Key::Name => "nom".into(),
            Key::Address => "adresse".into(),
            Key::Phone => "telephone".into(),
            Key::Email => "courriel".into(),
            Key::WebSite => "site".into(),
            Key::Place => "lieu".into(),
            Key::SignatoryName(None) => "signataire.nom".into(),
            Key::SignatoryTitle(None) => "signataire.titre".into(),
            Key::SignatoryName(Some(s)) => format!("signataire.{s}.nom"),
            Key::SignatoryTitle(Some(s)) => format!("signataire.{s}.titre"),
            Key::LetterOpening(None) => "courrier.introduction".into(),
            Key::LetterEnding(None) => "courrier.fin".into(),
            Key::LetterOpening(Some(s)) => format!("courrier.{s}.introduction"),
            Key::LetterEnding(Some(s)) => format!("courrier.{s}.fin"),
        }
    }

    /// The service a key belongs to, if any.
    fn service(&self) -> Option<&str> {
        match self {
            Key::SignatoryName(s) | Key::SignatoryTitle(s) | Key::LetterOpening(s) | Key::LetterEnding(s) => {
                s.as_deref()
            }
            _ => None,
        }
    }

    /// A text of the letters (several paragraphs), not a line.
    pub fn is_text(&self) -> bool {
        matches!(self, Key::LetterOpening(_) | Key::LetterEnding(_))
    }

    /// Reads a key; a service's key is known only for an existing service (`services`).
    pub fn parse(text: &str, services: &[String]) -> Option<Key> {
        let k = Key::parse_stored(text.trim())?;
        match k.service() {
            Some(s) if !services.iter().any(|c| c == s) => None,
            _ => Some(k),
        }
    }

    /// Reads a stored key, whatever the services are now (a service removed since keeps its row).
    fn parse_stored(text: &str) -> Option<Key> {
        if let Some(k) = Key::FIXED.iter().find(|k| k.as_text() == text) {
            return Some(k.clone());
        }
        let (kind, rest) = text.split_once('.')?;
        let (service, what) = rest.rsplit_once('.')?;
        if service.is_empty() || service.contains('.') {
            return None;
        }
        let service = Some(service.to_owned());
        match (kind, what) {
            ("signataire", "nom") => Some(Key::SignatoryName(service)),
            ("signataire", "titre") => Some(Key::SignatoryTitle(service)),
            ("courrier", "introduction") => Some(Key::LetterOpening(service)),
            ("courrier", "fin") => Some(Key::LetterEnding(service)),
            _ => None,
        }
    }

    /// What the key is, in French (the admin form's labels, `guichet settings`).
    pub fn label(&self) -> &'static str {
        match self {
            Key::Name => "Nom du département",
            Key::Address => "Adresse postale",
            Key::Phone => "Téléphone",
            Key::Email => "Adresse électronique de contact",
            Key::WebSite => "Site internet",
            Key::Place => "Lieu de signature des courriers",
            Key::SignatoryName(None) => "Nom du signataire par défaut",
            Key::SignatoryTitle(None) => "Qualité du signataire par défaut",
            Key::SignatoryName(Some(_)) => "Nom du signataire",
            Key::SignatoryTitle(Some(_)) => "Qualité du signataire",
            Key::LetterOpening(None) => "Texte au début des courriers",
            Key::LetterEnding(None) => "Texte à la fin des courriers",
            Key::LetterOpening(Some(_)) => "Texte au début des courriers du service",
            Key::LetterEnding(Some(_)) => "Texte à la fin des courriers du service",
        }
    }

    /// The value of this key in an identity, as typed (address lines joined by new lines).
    pub fn value_in(&self, identity: &Identity) -> String {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        match self {
            Key::Name => identity.name.clone(),
            Key::Address => identity.address_lines.join("\n"),
            Key::Phone => opt(&identity.phone),
            Key::Email => opt(&identity.email),
            Key::WebSite => opt(&identity.web_site),
            Key::Place => identity.place.clone(),
            Key::SignatoryName(None) => opt(&identity.signatory_name),
            Key::SignatoryTitle(None) => opt(&identity.signatory_title),
            Key::SignatoryName(Some(s)) => identity
                .signatories
                .get(s)
                .and_then(|x| x.name.clone())
                .unwrap_or_default(),
            Key::SignatoryTitle(Some(s)) => identity
                .signatories
                .get(s)
                .and_then(|x| x.title.clone())
                .unwrap_or_default(),
            Key::LetterOpening(None) => opt(&identity.letter_texts.opening),
            Key::LetterEnding(None) => opt(&identity.letter_texts.ending),
            Key::LetterOpening(Some(s)) => identity
                .service_texts
                .get(s)
                .and_then(|x| x.opening.clone())
                .unwrap_or_default(),
            Key::LetterEnding(Some(s)) => identity
                .service_texts
                .get(s)
                .and_then(|x| x.ending.clone())
                .unwrap_or_default(),
        }
    }

    /// A value as compared and stored: a text's paragraphs, or the lines of the address.
    fn normalised(&self, v: &str) -> String {
        if self.is_text() {
            text_paragraphs(v).join("\n\n")
        } else {
            address_lines(v).join("\n")
        }
    }

    /// Checks and normalises a value: the text to store, [`Change::Remove`] to fall back to the default,
    /// or the French reason it is refused.
    fn check(&self, raw: &str) -> std::result::Result<Change, String> {
        let v = raw.trim();
        if v.chars().count() > MAX_LEN && *self != Key::Address && !self.is_text() {
            return Err(format!("{} : {MAX_LEN} caractères au plus", self.label()));
        }
        let set = |s: &str| Ok(Change::Set(s.to_owned()));
        match self {
            Key::LetterOpening(_) | Key::LetterEnding(_) => check_text(self, v),
            Key::Name if v.is_empty() => Err(
                "Saisissez le nom du département, par exemple « Département de la Seine-Saint-Denis »".into(),
            ),
            Key::Place if v.is_empty() => {
                Err("Saisissez le lieu de signature des courriers, par exemple « Bobigny »".into())
            }
            // A letter names its signatory and their quality (CRPA L212-1): the default one must exist.
            Key::SignatoryName(None) if v.is_empty() => {
                Err("Saisissez le prénom et le nom du signataire par défaut".into())
            }
            Key::SignatoryTitle(None) if v.is_empty() => Err(
                "Saisissez la qualité du signataire par défaut, par exemple « Directrice de l’autonomie »"
                    .into(),
            ),
            Key::Name | Key::Place | Key::SignatoryName(None) | Key::SignatoryTitle(None) => set(v),
            // Empty: the service's letters are signed by the default signatory.
            Key::SignatoryName(Some(_)) | Key::SignatoryTitle(Some(_)) if v.is_empty() => Ok(Change::Remove),
            Key::SignatoryName(Some(_)) | Key::SignatoryTitle(Some(_)) => set(v),
            Key::Address => {
                let lines = address_lines(v);
                if lines.is_empty() {
                    return Err("Saisissez l’adresse postale du département, une ligne par ligne".into());
                }
                if lines.len() > MAX_ADDRESS_LINES {
                    return Err(format!(
                        "L’adresse postale tient en {MAX_ADDRESS_LINES} lignes au plus"
                    ));
                }
                if lines.iter().any(|l| l.chars().count() > 80) {
                    return Err("Chaque ligne de l’adresse postale tient en 80 caractères au plus".into());
                }
                set(&lines.join("\n"))
            }
            // Empty: printed nowhere.
            Key::Phone | Key::Email | Key::WebSite if v.is_empty() => set(""),
            Key::Phone => Phone::parse(v).map(|p| Change::Set(p.formatted())).map_err(|_| {
                "Saisissez un numéro de téléphone valide, par exemple 01 43 93 93 93".to_owned()
            }),
            Key::Email => Email::parse(v)
                .map(|e| Change::Set(e.as_str().to_owned()))
                .map_err(|_| {
                    "Saisissez une adresse électronique valide, par exemple contact@departement.fr".to_owned()
                }),
            Key::WebSite => {
                let ok = (v.starts_with("https://") || v.starts_with("http://"))
                    && v.len() > "https://".len()
                    && !v.contains(char::is_whitespace);
                if ok {
                    set(v.trim_end_matches('/'))
                } else {
                    Err("Saisissez l’adresse complète du site, par exemple https://www.departement.fr".into())
                }
            }
        }
    }
}

/// A letter's text checked: a few paragraphs of printable characters; empty, none (for a service, the
/// département's text again).
fn check_text(key: &Key, v: &str) -> std::result::Result<Change, String> {
    if v.is_empty() {
        return Ok(if key.service().is_some() {
            Change::Remove
        } else {
            Change::Set(String::new())
        });
    }
    if v.chars().count() > MAX_TEXT_LEN {
        return Err(format!(
            "{} : {} caractères au plus (il en compte {})",
            key.label(),
            guichet_types::Grouped(MAX_TEXT_LEN as i64),
            guichet_types::Grouped(v.chars().count() as i64)
        ));
    }
    // Tabs and other control characters would print as nothing or as a box in the PDF.
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\r') {
        return Err(format!(
            "{} : retirez les tabulations et caractères invisibles",
            key.label()
        ));
    }
    let paragraphs = text_paragraphs(v);
    if paragraphs.len() > MAX_TEXT_PARAGRAPHS {
        return Err(format!(
            "{} : {MAX_TEXT_PARAGRAPHS} paragraphes au plus, séparés par une ligne vide",
            key.label()
        ));
    }
    Ok(Change::Set(paragraphs.join("\n\n")))
}

/// The paragraphs of a typed text: separated by blank lines, each line trimmed.
fn text_paragraphs(v: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in v.lines().map(str::trim) {
        if line.is_empty() {
            if !current.is_empty() {
                out.push(current.join("\n"));
                current.clear();
            }
        } else {
            current.push(line);
        }
    }
    if !current.is_empty() {
        out.push(current.join("\n"));
    }
    out
}

/// The lines of a typed postal address: one per line, or separated by « | » on the command line.
fn address_lines(v: &str) -> Vec<String> {
    v.split(['\n', '|'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Every key known with these services, in the order of the admin form.
pub fn known_keys(services: &[String]) -> Vec<Key> {
    let mut keys = Key::FIXED.to_vec();
    for s in services {
        keys.push(Key::SignatoryName(Some(s.clone())));
        keys.push(Key::SignatoryTitle(Some(s.clone())));
        keys.push(Key::LetterOpening(Some(s.clone())));
        keys.push(Key::LetterEnding(Some(s.clone())));
    }
    keys
}

/// The service codes, for the keys of their signatories.
pub fn service_codes(conn: &mut AnyConnection) -> Result<Vec<String>> {
    Ok(guichet_accounts::services::list(conn)?
        .into_iter()
        .map(|s| s.code)
        .collect())
}

/// The stored settings, as rows (`guichet settings` shows where each value comes from).
pub fn stored(conn: &mut AnyConnection) -> Result<Vec<Setting>> {
    Ok(store::all(conn)?)
}

/// The identity: the stored values over the `defaults` (the configuration).
pub fn identity(conn: &mut AnyConnection, defaults: &Identity) -> Result<Identity> {
    Ok(apply(defaults, &stored(conn)?))
}

/// The stored values over the defaults; unknown keys (a future version's) are ignored.
pub fn apply(defaults: &Identity, rows: &[Setting]) -> Identity {
    let mut id = defaults.clone();
    let opt = |v: &str| Some(v.to_owned()).filter(|v| !v.is_empty());
    for r in rows {
        let Some(key) = Key::parse_stored(&r.key) else {
            continue;
        };
        let v = r.value.as_str();
        match key {
            Key::Name => id.name = v.to_owned(),
            Key::Address => id.address_lines = address_lines(v),
            Key::Phone => id.phone = opt(v),
            Key::Email => id.email = opt(v),
            Key::WebSite => id.web_site = opt(v),
            Key::Place => id.place = v.to_owned(),
            Key::SignatoryName(None) => id.signatory_name = opt(v),
            Key::SignatoryTitle(None) => id.signatory_title = opt(v),
            Key::SignatoryName(Some(s)) => id.signatories.entry(s).or_default().name = opt(v),
            Key::SignatoryTitle(Some(s)) => id.signatories.entry(s).or_default().title = opt(v),
            Key::LetterOpening(None) => id.letter_texts.opening = opt(v),
            Key::LetterEnding(None) => id.letter_texts.ending = opt(v),
            Key::LetterOpening(Some(s)) => id.service_texts.entry(s).or_default().opening = opt(v),
            Key::LetterEnding(Some(s)) => id.service_texts.entry(s).or_default().ending = opt(v),
        }
    }
    id
}

impl Identity {
    /// Who signs the letters of a service: its own signatory's name and quality, each falling back to
    /// the default signatory's.
    pub fn signatory_for(&self, service: &str) -> Signatory {
        let own = self.signatories.get(service);
        Signatory {
            name: own
                .and_then(|s| s.name.clone())
                .or_else(|| self.signatory_name.clone()),
            title: own
                .and_then(|s| s.title.clone())
                .or_else(|| self.signatory_title.clone()),
        }
    }

    /// The paragraphs of a service's letters: its own, each falling back to the département's.
    pub fn texts_for(&self, service: &str) -> LetterTexts {
        let own = self.service_texts.get(service);
        LetterTexts {
            opening: own
                .and_then(|t| t.opening.clone())
                .or_else(|| self.letter_texts.opening.clone()),
            ending: own
                .and_then(|t| t.ending.clone())
                .or_else(|| self.letter_texts.ending.clone()),
        }
    }
}

/// The keys of `submitted` whose value differs from `current`'s (the admin form sends every field: only
/// the changed ones are written, so the others keep following the configuration).
pub fn changed(current: &Identity, submitted: &[(String, String)]) -> Vec<(String, String)> {
    submitted
        .iter()
        .filter(|(k, v)| match Key::parse_stored(k) {
            Some(key) => key.normalised(&key.value_in(current)) != key.normalised(v),
            None => true,
        })
        .cloned()
        .collect()
}

/// Checks every change, then writes them all in one transaction, or none: `CaseError::Invalid` names each
/// refused key (`field` is the key) with its French reason; an unknown key lists the known ones. `actor`
/// is the administrator's id (`None`: the command line). Returns the keys written.
pub fn update(
    conn: &mut AnyConnection,
    actor: Option<&str>,
    changes: &[(String, String)],
) -> Result<Vec<String>> {
    let checked = checked(conn, changes)?;
    store::apply(conn, &checked, actor, guichet_db::now())?;
    let keys: Vec<String> = checked.into_iter().map(|(k, _)| k).collect();
    // No dossier is concerned: the trace of a change of identity is this line (and the rows' updated_by).
    tracing::info!(
        settings.keys = ?keys,
        user.id = actor.unwrap_or("ligne de commande"),
        "Identité du département modifiée : {}",
        keys.join(", ")
    );
    Ok(keys)
}

/// The identity these changes would give, checked as [`update`] checks them but written nowhere: the
/// administration page's preview of a letter before saving.
pub fn preview(
    conn: &mut AnyConnection,
    current: &Identity,
    changes: &[(String, String)],
) -> Result<Identity> {
    let mut id = current.clone();
    for (key, change) in checked(conn, changes)? {
        match change {
            Change::Set(value) => {
                id = apply(
                    &id,
                    &[Setting {
                        key,
                        value,
                        updated_by: None,
                        updated_at: chrono::NaiveDateTime::default(),
                    }],
                );
            }
            // Only a service's signatory is removed: its letters fall back to the default one.
            Change::Remove => match Key::parse_stored(&key) {
                Some(Key::SignatoryName(Some(s))) => {
                    id.signatories.entry(s).or_default().name = None;
                }
                Some(Key::SignatoryTitle(Some(s))) => {
                    id.signatories.entry(s).or_default().title = None;
                }
                Some(Key::LetterOpening(Some(s))) => {
                    id.service_texts.entry(s).or_default().opening = None;
                }
                Some(Key::LetterEnding(Some(s))) => {
                    id.service_texts.entry(s).or_default().ending = None;
                }
                _ => {}
            },
        }
    }
    Ok(id)
}

/// Every change checked: the key known, the value normalised; `CaseError::Invalid` names each refused key.
fn checked(conn: &mut AnyConnection, changes: &[(String, String)]) -> Result<Vec<(String, Change)>> {
    let services = service_codes(conn)?;
    let mut errors = Vec::new();
    let mut checked = Vec::new();
    for (raw_key, value) in changes {
        let Some(key) = Key::parse(raw_key, &services) else {
            let known: Vec<String> = known_keys(&services).iter().map(Key::as_text).collect();
            errors.push(Invalid::new(
                raw_key.clone(),
                format!(
                    "Clé inconnue : « {} ». Clés possibles : {}",
                    raw_key.trim(),
                    known.join(", ")
                ),
            ));
            continue;
        };
        match key.check(value) {
            Ok(change) => checked.push((key.as_text(), change)),
            Err(message) => errors.push(Invalid::new(key.as_text(), message)),
        }
    }
    if !errors.is_empty() {
        return Err(CaseError::Invalid(errors));
    }
    Ok(checked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: &str, value: &str) -> Setting {
        Setting {
            key: key.into(),
            value: value.into(),
            updated_by: None,
            updated_at: chrono::NaiveDateTime::default(),
        }
    }

    fn defaults() -> Identity {
        Identity {
            name: "Département de démonstration".into(),
            address_lines: vec!["1 rue A".into()],
            phone: Some("01 00 00 00 00".into()),
            place: "Démoville".into(),
            signatory_name: Some("Camille Martin".into()),
            signatory_title: Some("Directrice de l’autonomie".into()),
            ..Identity::default()
        }
    }

    #[test]
    fn stored_values_win_over_the_configuration_and_an_empty_phone_prints_none() {
        let id = apply(
            &defaults(),
            &[
                row("nom", "Département de la Seine-Saint-Denis"),
                row("adresse", "Hôtel du Département\n93006 Bobigny Cedex"),
                row("telephone", ""),
                row("inconnue.plus.tard", "x"),
            ],
        );
        assert_eq!(id.name, "Département de la Seine-Saint-Denis");
        assert_eq!(id.address_lines, ["Hôtel du Département", "93006 Bobigny Cedex"]);
        assert_eq!(id.phone, None);
        assert_eq!(id.place, "Démoville", "not stored: the configuration's");
    }

    #[test]
    fn a_service_signatory_falls_back_field_by_field_to_the_default_one() {
        let id = apply(&defaults(), &[row("signataire.mdph.nom", "Karim Benali")]);
        let mdph = id.signatory_for("mdph");
        assert_eq!(mdph.name.as_deref(), Some("Karim Benali"));
        assert_eq!(mdph.title.as_deref(), Some("Directrice de l’autonomie"));
        assert_eq!(id.signatory_for("apa").name.as_deref(), Some("Camille Martin"));
    }

    #[test]
    fn keys_of_unknown_services_and_misspelt_keys_are_not_known() {
        let services = vec!["apa".to_owned()];
        assert_eq!(
            Key::parse("signataire.apa.titre", &services),
            Some(Key::SignatoryTitle(Some("apa".into())))
        );
        assert_eq!(Key::parse("signataire.mdph.titre", &services), None);
        assert_eq!(Key::parse("telephonne", &services), None);
        assert_eq!(Key::parse("signataire.apa.x", &services), None);
        for k in known_keys(&services) {
            assert_eq!(Key::parse(&k.as_text(), &services), Some(k));
        }
    }

    #[test]
    fn values_are_checked_and_normalised() {
        assert_eq!(
            Key::Phone.check("0143939393"),
            Ok(Change::Set("01 43 93 93 93".into()))
        );
        assert!(Key::Phone.check("12").is_err());
        assert!(Key::Email.check("pas une adresse").is_err());
        assert!(Key::WebSite.check("www.departement.fr").is_err());
        assert_eq!(
            Key::WebSite.check("https://www.departement.fr/"),
            Ok(Change::Set("https://www.departement.fr".into()))
        );
        assert_eq!(
            Key::Address.check(" Hôtel du Département | 93006 Bobigny Cedex "),
            Ok(Change::Set("Hôtel du Département\n93006 Bobigny Cedex".into()))
        );
        assert!(Key::Address.check("1\n2\n3\n4\n5\n6\n7").is_err());
        assert!(Key::Name.check("  ").is_err());
        assert!(Key::SignatoryName(None).check("").is_err());
        assert_eq!(
            Key::SignatoryName(Some("apa".into())).check(""),
            Ok(Change::Remove)
        );
    }

    #[test]
    fn letter_texts_are_paragraphs_within_limits_and_a_service_falls_back_to_the_departement() {
        let services = vec!["apa".to_owned()];
        assert_eq!(
            Key::parse("courrier.apa.fin", &services),
            Some(Key::LetterEnding(Some("apa".into())))
        );
        assert_eq!(Key::parse("courrier.mdph.fin", &services), None);
        let ending = Key::LetterEnding(None);
        assert_eq!(
            ending.check("  Accueil du lundi au vendredi.  \r\n\r\n\r\n Au 01 43 93 93 93.\n"),
            Ok(Change::Set(
                "Accueil du lundi au vendredi.\n\nAu 01 43 93 93 93.".into()
            ))
        );
        assert_eq!(ending.check(""), Ok(Change::Set(String::new())));
        assert_eq!(
            Key::LetterEnding(Some("apa".into())).check(" "),
            Ok(Change::Remove)
        );
        assert!(ending.check(&"a".repeat(MAX_TEXT_LEN + 1)).is_err());
        assert!(ending.check("un\tdeux").is_err());
        assert!(ending.check("1\n\n2\n\n3\n\n4\n\n5\n\n6").is_err());

        let mut id = defaults();
        id.letter_texts.ending = Some("Texte du département.".into());
        id.service_texts.entry("apa".into()).or_default().opening = Some("Texte APA.".into());
        let apa = id.texts_for("apa");
        assert_eq!(apa.opening.as_deref(), Some("Texte APA."));
        assert_eq!(apa.ending.as_deref(), Some("Texte du département."));
        assert_eq!(id.texts_for("mdph").opening, None);
        // Typed again with other blank lines, a text is not a change.
        let submitted = vec![(
            "courrier.fin".to_owned(),
            "\nTexte du département.\n\n".to_owned(),
        )];
        assert!(changed(&id, &submitted).is_empty());
    }

    #[test]
    fn only_changed_fields_are_written_from_the_whole_form() {
        let current = defaults();
        let submitted = vec![
            ("nom".to_owned(), current.name.clone()),
            ("adresse".to_owned(), "1 rue A\n".to_owned()),
            ("lieu".to_owned(), "Bobigny".to_owned()),
        ];
        assert_eq!(
            changed(&current, &submitted),
            vec![("lieu".to_owned(), "Bobigny".to_owned())]
        );
    }
}

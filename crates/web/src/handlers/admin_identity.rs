//! The fields of the admin form « Identité du département », from the keys of
//! `guichet_usecases::settings` (one place names them: the command line and this form agree).

use std::collections::HashMap;

use guichet_usecases::letters::Identity;
use guichet_usecases::settings::{Key, MAX_ADDRESS_LINES, MAX_TEXT_LEN, MAX_TEXT_PARAGRAPHS};

/// One field of the form.
#[derive(Debug, Clone)]
pub struct IdentityField {
    /// The element's id: `identite-signataire-apa-nom` (the error summary links to it).
    pub id: String,
    /// The setting's key, the input's name: `signataire.apa.nom`.
    pub name: String,
    pub label: String,
    pub hint: String,
    /// The hint's id, empty without a hint.
    pub hint_id: String,
    pub value: String,
    pub multiline: bool,
    /// `text`, `tel`, `email`, `url`.
    pub kind: &'static str,
    pub autocomplete: &'static str,
}

/// A fieldset of the form.
#[derive(Debug, Clone)]
pub struct IdentityGroup {
    pub legend: String,
    pub intro: String,
    pub fields: Vec<IdentityField>,
}

/// The element id of a key's field.
pub fn field_id(key: &str) -> String {
    format!("identite-{}", key.replace('.', "-"))
}

fn field(key: Key, identity: &Identity, submitted: Option<&HashMap<String, String>>) -> IdentityField {
    let name = key.as_text();
    let (hint, kind, autocomplete) = match &key {
        Key::Name => (
            "Tel qu’il figure en tête des courriers, par exemple « Département de la Seine-Saint-Denis »."
                .to_owned(),
            "text",
            "organization",
        ),
        Key::Address => (
            format!("Une ligne par ligne d’adresse, {MAX_ADDRESS_LINES} lignes au plus."),
            "text",
            "off",
        ),
        Key::Phone => (
            "Par exemple 01 43 93 93 93. Laissez vide pour ne pas l’imprimer.".to_owned(),
            "tel",
            "off",
        ),
        Key::Email => ("Laissez vide pour ne pas l’imprimer.".to_owned(), "email", "off"),
        Key::WebSite => ("Par exemple https://www.departement.fr".to_owned(), "url", "off"),
        Key::Place => (
            "Il précède la date des courriers : « Bobigny, le 2 décembre 2026 ».".to_owned(),
            "text",
            "off",
        ),
        Key::SignatoryName(None) | Key::SignatoryTitle(None) => (String::new(), "text", "off"),
        Key::SignatoryName(Some(_)) => (
            "Laissez vide pour garder celui du signataire par défaut.".to_owned(),
            "text",
            "off",
        ),
        Key::SignatoryTitle(Some(_)) => (
            "Laissez vide pour garder celle du signataire par défaut.".to_owned(),
            "text",
            "off",
        ),
        Key::LetterOpening(None) => (
            format!(
                "Imprimé après « Madame, Monsieur, », avant les décisions, dans les courriers de décision et les attestations. Séparez les paragraphes par une ligne vide : {MAX_TEXT_PARAGRAPHS} paragraphes et {} caractères au plus. Laissez vide pour ne rien ajouter.",
                guichet_types::Grouped(MAX_TEXT_LEN as i64)
            ),
            "text",
            "off",
        ),
        Key::LetterEnding(None) => (
            "Imprimé après les voies de recours, avant la formule de politesse : par exemple les horaires et le numéro de l’accueil. Laissez vide pour ne rien ajouter.".to_owned(),
            "text",
            "off",
        ),
        Key::LetterOpening(Some(_)) | Key::LetterEnding(Some(_)) => (
            "Laissez vide pour garder le texte de tous les courriers.".to_owned(),
            "text",
            "off",
        ),
    };
    let value = submitted
        .and_then(|s| s.get(&name).cloned())
        .unwrap_or_else(|| key.value_in(identity));
    let id = field_id(&name);
    IdentityField {
        hint_id: if hint.is_empty() {
            String::new()
        } else {
            format!("{id}-aide")
        },
        id,
        label: key.label().to_owned(),
        multiline: key == Key::Address || key.is_text(),
        hint,
        value,
        kind,
        autocomplete,
        name,
    }
}

/// The form's groups: the coordinates, the default signatory, then one per service.
pub fn groups(
    identity: &Identity,
    services: &[(String, String)],
    submitted: Option<&HashMap<String, String>>,
) -> Vec<IdentityGroup> {
    let f = |k: Key| field(k, identity, submitted);
    let mut out = vec![
        IdentityGroup {
            legend: "Coordonnées".into(),
            intro: "Elles figurent en tête des courriers et des récépissés, dans les mentions légales et dans le bloc « Contact » des dossiers.".into(),
            fields: [Key::Name, Key::Address, Key::Phone, Key::Email, Key::WebSite, Key::Place]
                .into_iter()
                .map(f)
                .collect(),
        },
        IdentityGroup {
            legend: "Signataire par défaut".into(),
            intro: "Il signe les courriers des services qui n’ont pas de signataire propre. Un courrier de décision indique le prénom, le nom et la qualité de son signataire (article L212-1 du code des relations entre le public et l’administration).".into(),
            fields: vec![f(Key::SignatoryName(None)), f(Key::SignatoryTitle(None))],
        },
        IdentityGroup {
            legend: "Textes des courriers".into(),
            intro: "Vos propres paragraphes, dans les courriers de tous les services. Les décisions, leurs motifs, les références des textes et les voies de recours sont écrits par Guichet à partir du dossier : ils ne se modifient pas ici.".into(),
            fields: vec![f(Key::LetterOpening(None)), f(Key::LetterEnding(None))],
        },
    ];
    for (code, name) in services {
        out.push(IdentityGroup {
            legend: format!("Courriers du service : {name}"),
            intro: String::new(),
            fields: vec![
                f(Key::SignatoryName(Some(code.clone()))),
                f(Key::SignatoryTitle(Some(code.clone()))),
                f(Key::LetterOpening(Some(code.clone()))),
                f(Key::LetterEnding(Some(code.clone()))),
            ],
        });
    }
    out
}

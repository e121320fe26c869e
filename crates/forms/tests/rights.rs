#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Rights, appeal routes, parties and the start of the legal clock, as declared by the definitions.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use guichet_forms::{
    AmountUnit, Answers, Authority, ClockStart, Definition, FormDefinition, Party, Silence,
    check_definition_text,
};
use serde_json::json;

fn forms_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../forms")
}

fn load(name: &str) -> FormDefinition {
    FormDefinition::load(&forms_dir().join(name)).unwrap()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

fn mdph_adult() -> Answers {
    serde_json::from_str(include_str!("fixtures/mdph_complete.json")).unwrap()
}

fn apa_complete() -> Answers {
    serde_json::from_str(include_str!("fixtures/apa_complete.json")).unwrap()
}

fn ids<'a>(rights: &[&'a guichet_forms::RightDef]) -> Vec<&'a str> {
    rights.iter().map(|r| r.id.as_str()).collect()
}

/// A small procedure using every part of the format.
const GOOD: &str = r#"
id = "aides"
version = "1"
title = "Aides du département"
simulation = "amethyste"

[deadline]
months = 2
silence = "rejet"
starts = "complete"

[[rights]]
id = "portage_repas"
label = "Portage de repas"
group = "Aides à domicile"
requested_if = "'repas' in aides"
authority = "president_cd"
unit = "per_month"
default_years = 1
legal_basis = "Règlement départemental d’aide sociale"
appeal = "departement"
simulated = true

[[rights]]
id = "carte"
label = "Carte de transport"
requested_if = "'transport' in aides && age(date_naissance) >= 60"
authority = "president_cd"
legal_basis = "Règlement départemental d’aide sociale"
appeal = "departement"

[[appeals]]
id = "departement"
administrative = "Recours gracieux auprès du président du conseil départemental dans les deux mois."
court = "Tribunal administratif dans les deux mois."
reference = "CRPA L411-2 ; CJA R421-1"

[parties.beneficiary]
civility = "civilite"
last_name = "nom"
first_names = "prenoms"
address = "adresse"
postal_code = "code_postal"
commune = "commune"

[parties.representative]
present_if = "tutelle == true"
last_name = "tuteur_nom"
address = "tuteur_adresse"

[[steps]]
id = "a"
title = "Vous"

[[steps.fields]]
id = "civilite"
type = "choice"
label = "Civilité"
options = [{ value = "madame", label = "Madame" }, { value = "monsieur", label = "Monsieur" }]

[[steps.fields]]
id = "nom"
type = "text"
label = "Nom"

[[steps.fields]]
id = "prenoms"
type = "text"
label = "Prénoms"

[[steps.fields]]
id = "date_naissance"
type = "date"
label = "Date de naissance"

[[steps.fields]]
id = "adresse"
type = "text"
label = "Adresse"

[[steps.fields]]
id = "code_postal"
type = "postal_code"
label = "Code postal"

[[steps.fields]]
id = "commune"
type = "commune"
label = "Commune"
postal_code_field = "code_postal"

[[steps.fields]]
id = "tutelle"
type = "yes_no"
label = "Êtes-vous sous tutelle ?"

[[steps.fields]]
id = "tuteur_nom"
type = "text"
label = "Nom du tuteur"
visible_if = "tutelle == true"

[[steps.fields]]
id = "tuteur_adresse"
type = "textarea"
label = "Adresse du tuteur"
visible_if = "tutelle == true"

[[steps]]
id = "b"
title = "Vos demandes"

[[steps.fields]]
id = "aides"
type = "multi_choice"
label = "Que demandez-vous ?"
options = [{ value = "repas", label = "Portage de repas" }, { value = "transport", label = "Transport" }]
"#;

fn good() -> FormDefinition {
    FormDefinition::from_toml(GOOD, "aides.toml").unwrap()
}

fn good_answers() -> Answers {
    json!({
        "civilite": "madame",
        "nom": "Dupré",
        "prenoms": "Hélène",
        "date_naissance": "12/03/1950",
        "adresse": "12 rue des Lilas",
        "code_postal": "93100",
        "commune": "Montreuil",
        "tutelle": "non",
        "aides": ["repas", "transport"],
    })
    .as_object()
    .unwrap()
    .clone()
}

#[test]
fn a_definition_with_rights_appeals_and_parties_loads() {
    let f = good();
    assert_eq!(f.rights().len(), 2);
    let r = f.right("portage_repas").unwrap();
    assert_eq!(r.authority, Authority::PresidentCd);
    assert_eq!(r.unit, AmountUnit::PerMonth);
    assert_eq!(r.group.as_deref(), Some("Aides à domicile"));
    assert_eq!(r.default_years, Some(1));
    assert!(r.simulated && !r.rate);
    assert_eq!(
        f.right("carte").unwrap().unit,
        AmountUnit::None,
        "the default unit"
    );
    assert!(f.right("aah").is_none());
    assert_eq!(
        f.appeal("departement").unwrap().reference,
        "CRPA L411-2 ; CJA R421-1"
    );
    assert!(f.appeal("mdph").is_none());
    assert_eq!(f.clock_start(), ClockStart::Complete);
}

#[test]
fn requested_rights_follow_the_answers_in_definition_order() {
    let f = good();
    let mut answers = good_answers();
    assert_eq!(
        ids(&f.requested_rights_on(&answers, today())),
        vec!["portage_repas", "carte"]
    );
    answers.insert("aides".into(), json!(["transport"]));
    assert_eq!(ids(&f.requested_rights_on(&answers, today())), vec!["carte"]);
    answers.insert("date_naissance".into(), json!("12/03/1980"));
    assert!(
        f.requested_rights_on(&answers, today()).is_empty(),
        "the card needs 60 years on the day of the evaluation"
    );
    assert!(f.requested_rights_on(&Answers::new(), today()).is_empty());
    assert_eq!(
        ids(&f.requested_rights(&good_answers())),
        vec!["portage_repas", "carte"],
        "today's date"
    );
}

#[test]
fn parties_are_shown_as_on_an_envelope() {
    let f = good();
    let mut answers = good_answers();
    let view = f.parties_of_on(&answers, today()).unwrap();
    assert_eq!(
        view.beneficiary,
        Party {
            civility: Some("Madame".into()),
            name: "Hélène Dupré".into(),
            address_lines: vec!["12 rue des Lilas".into(), "93100 Montreuil".into()],
            quality: None,
        }
    );
    assert_eq!(view.representative, None, "no guardianship");

    answers.insert("tutelle".into(), json!("oui"));
    answers.insert("tuteur_nom".into(), json!("UDAF de la Seine-Saint-Denis"));
    answers.insert("tuteur_adresse".into(), json!("3 rue X\n\n93000 Bobigny  "));
    let view = f.parties_of_on(&answers, today()).unwrap();
    let rep = view.representative.unwrap();
    assert_eq!(rep.name, "UDAF de la Seine-Saint-Denis");
    assert_eq!(
        rep.address_lines,
        vec!["3 rue X", "93000 Bobigny"],
        "one line per line, blanks dropped"
    );
    assert_eq!(rep.civility, None);

    // A hidden answer is not used: without guardianship the stale representative is left out.
    answers.insert("tutelle".into(), json!("non"));
    assert_eq!(f.parties_of_on(&answers, today()).unwrap().representative, None);

    answers.remove("nom");
    assert!(
        f.parties_of_on(&answers, today()).is_none(),
        "nobody to address without a name"
    );
    assert!(load("pch.toml").parties_of_on(&Answers::new(), today()).is_none());
}

#[test]
fn a_definition_without_parties_has_no_addressee_and_a_deposit_clock() {
    let text = GOOD
        .split("[parties.beneficiary]")
        .next()
        .unwrap()
        .replace("starts = \"complete\"\n", "")
        .to_string()
        + &GOOD[GOOD.find("[[steps]]").unwrap()..];
    let f = FormDefinition::from_toml(&text, "aides.toml").unwrap();
    assert!(f.parties_of_on(&good_answers(), today()).is_none());
    assert_eq!(f.clock_start(), ClockStart::Deposit);
}

#[test]
fn the_checker_refuses_broken_rights_and_parties_naming_them() {
    let cases = [
        (
            GOOD.replace("id = \"carte\"", "id = \"Carte-Transport\""),
            "droit « Carte-Transport » : identifiant invalide",
        ),
        (
            GOOD.replace("label = \"Carte de transport\"", "label = \" \""),
            "droit « carte » : libellé en français manquant (label)",
        ),
        (
            GOOD.replace("default_years = 1", "default_years = 0"),
            "droit « portage_repas » : default_years doit être d’au moins 1 an",
        ),
        (
            GOOD.replace("simulation = \"amethyste\"\n", ""),
            "droit « portage_repas » : simulated sans simulation liée",
        ),
        (
            GOOD.replace("reference = \"CRPA L411-2 ; CJA R421-1\"", "reference = \"\""),
            "voie de recours « departement » : texte en français manquant (reference)",
        ),
        (
            GOOD.replace("present_if = \"tutelle == true\"", "present_if = \"tuteur_nom\""),
            "parties.representative : la condition present_if doit donner vrai ou faux",
        ),
        (
            GOOD.replace(
                "present_if = \"tutelle == true\"",
                "present_if = \"curatelle == true\"",
            ),
            "parties.representative : la condition present_if : champ inconnu « curatelle »",
        ),
        (
            GOOD.replace("address = \"tuteur_adresse\"", "address = \"aides\""),
            "parties.representative.address : le champ « aides » ne donne pas un texte",
        ),
        (
            GOOD.replace(
                "requested_if = \"'repas' in aides\"",
                "requested_if = \"'livraison' in aides\"",
            ),
            "utilise la valeur « livraison », qui n’est pas une option du champ « aides »",
        ),
    ];
    for (text, message) in cases {
        let errors = check_definition_text(&text, "aides.toml");
        assert_eq!(errors.len(), 1, "{message}: {errors:#?}");
        assert_eq!(errors[0].file, "aides.toml");
        assert!(
            errors[0].message.contains(message),
            "expected « {message} » in « {} »",
            errors[0]
        );
    }
    assert!(check_definition_text(GOOD, "aides.toml").is_empty());
}

#[test]
fn amount_units_round_trip_through_their_names() {
    for u in AmountUnit::ALL {
        assert_eq!(u.as_str().parse::<AmountUnit>(), Ok(u));
        assert_eq!(u.to_string(), u.as_str());
    }
    assert!("mensuel".parse::<AmountUnit>().is_err());
    assert_eq!(AmountUnit::default(), AmountUnit::None);
    assert_eq!(AmountUnit::PerMonth.suffix(), " par mois");
    assert_eq!(AmountUnit::PerYear.suffix(), " par an");
    assert_eq!(AmountUnit::OneOff.suffix(), " (versement unique)");
    assert_eq!(AmountUnit::Total.suffix(), " au total");
    assert_eq!(AmountUnit::None.suffix(), "");
    assert_eq!(
        Authority::Cdaph.label(),
        "Commission des droits et de l’autonomie des personnes handicapées (CDAPH)"
    );
    assert_eq!(
        Authority::PresidentCd.label(),
        "Président du conseil départemental"
    );
}

#[test]
fn every_shipped_definition_declares_rights_appeals_and_parties() {
    for name in ["apa.toml", "mdph.toml", "pch.toml", "amethyste.toml"] {
        let f = load(name);
        assert!(!f.rights().is_empty(), "{name}");
        for r in f.rights() {
            let appeal = f.appeal(&r.appeal).unwrap();
            assert!(
                appeal.administrative.contains("deux mois") && appeal.court.contains("tribunal"),
                "{name}: {}",
                r.id
            );
            assert!(!r.legal_basis.contains("(!)"), "{name}: doubts go in comments");
        }
        assert!(f.definition().parties.is_some(), "{name}");
    }
    for variant in ["93", "92", "94", "95", "91"] {
        let f = FormDefinition::load_variant(&forms_dir().join("amethyste.toml"), Some(variant)).unwrap();
        assert_eq!(
            ids(&f.requested_rights_on(&Answers::new(), today())),
            vec!["forfait"]
        );
        assert_eq!(f.right("forfait").unwrap().unit, AmountUnit::PerYear);
    }
}

#[test]
fn mdph_rights_follow_part_e() {
    let f = load("mdph.toml");
    let mut answers = mdph_adult();
    assert_eq!(
        ids(&f.requested_rights_on(&answers, today())),
        vec!["aah", "pch", "cmi_stationnement", "rqth"]
    );
    assert_eq!(f.right("rqth").unwrap().appeal, "mdph_travail");
    assert!(
        f.appeal("mdph_travail")
            .unwrap()
            .court
            .contains("tribunal administratif")
    );
    assert!(
        f.appeal("mdph")
            .unwrap()
            .court
            .contains("pôle social du tribunal judiciaire")
    );
    assert_eq!(
        f.right("cmi_invalidite").unwrap().authority,
        Authority::PresidentCd
    );
    assert_eq!(f.right("aah").unwrap().authority, Authority::Cdaph);

    // A generic request: the core rights for an adult; the list answered before is hidden, so ignored.
    answers.insert("demande_generique".into(), json!("oui"));
    answers.insert("droits_adulte".into(), json!(["actp"]));
    assert_eq!(
        ids(&f.requested_rights_on(&answers, today())),
        vec!["aah", "pch", "cmi_invalidite", "rqth"]
    );

    // A child: AEEH instead of AAH and RQTH.
    answers.insert("date_naissance".into(), json!("12/05/2015"));
    assert_eq!(
        ids(&f.requested_rights_on(&answers, today())),
        vec!["aeeh", "pch", "cmi_invalidite"]
    );
    answers.insert("demande_generique".into(), json!("non"));
    answers.insert("droits_enfant".into(), json!(["scolarisation", "avpf"]));
    assert_eq!(
        ids(&f.requested_rights_on(&answers, today())),
        vec!["scolarisation", "avpf"]
    );
}

#[test]
fn mdph_letters_go_to_the_person_and_to_the_representative() {
    let f = load("mdph.toml");
    let mut answers = mdph_adult();
    let view = f.parties_of_on(&answers, today()).unwrap();
    assert_eq!(view.beneficiary.civility.as_deref(), Some("Monsieur"));
    assert_eq!(view.beneficiary.name, "Karim Bernard");
    assert_eq!(
        view.beneficiary.address_lines,
        vec!["5 allée des Tilleuls", "94000 Créteil"],
        "the commune is stored as its INSEE code and shown by name"
    );
    let rep = view.representative.unwrap();
    assert_eq!(rep.name, "UDAF du Val-de-Marne");
    assert_eq!(rep.address_lines, vec!["1 rue de Paris", "94000 Créteil"]);
    assert_eq!(rep.quality.as_deref(), Some("Curatelle"));

    answers.insert("nom_usage".into(), json!("Martin"));
    answers.insert("complement_adresse".into(), json!("Bâtiment B, 3e étage"));
    let b = f.parties_of_on(&answers, today()).unwrap().beneficiary;
    assert_eq!(b.name, "Karim Martin", "the usage name is the one on letters");
    assert_eq!(
        b.address_lines,
        vec!["Bâtiment B, 3e étage", "5 allée des Tilleuls", "94000 Créteil"],
        "the complement comes above the street (NF Z10-011)"
    );

    // A child: the protection question is not asked, so a stale representative is not an addressee.
    answers.insert("date_naissance".into(), json!("12/05/2015"));
    assert_eq!(f.parties_of_on(&answers, today()).unwrap().representative, None);
}

#[test]
fn apa_rights_clock_and_silence() {
    let f = load("apa.toml");
    let mut answers = apa_complete();
    assert_eq!(
        ids(&f.requested_rights_on(&answers, today())),
        vec!["apa_domicile", "cmi_invalidite", "cmi_stationnement"]
    );
    let apa = f.right("apa_domicile").unwrap();
    assert!(apa.simulated);
    assert_eq!(
        (apa.authority, apa.unit),
        (Authority::PresidentCd, AmountUnit::PerMonth)
    );
    assert!(f.appeal("apa").unwrap().court.contains("tribunal administratif"));

    answers.insert("demande_cmi".into(), json!("non"));
    assert_eq!(
        ids(&f.requested_rights_on(&answers, today())),
        vec!["apa_domicile"],
        "the mentions of a withdrawn card request are hidden"
    );

    assert_eq!(f.clock_start(), ClockStart::Complete);
    let deadline = f.definition().deadline.as_ref().unwrap();
    assert_eq!(deadline.silence, Silence::AcceptationForfaitaire);
    assert_eq!(load("mdph.toml").clock_start(), ClockStart::Deposit);

    let view = f.parties_of_on(&answers, today()).unwrap();
    assert_eq!(view.beneficiary.name, "Jeanne Marie Martin");
    assert_eq!(
        view.beneficiary.address_lines,
        vec!["12 rue de la République", "93200 Saint-Denis"]
    );
    assert_eq!(view.representative, None, "no protection measure");
    answers.insert("mesure_protection".into(), json!("tutelle"));
    answers.insert("representant_nom".into(), json!("Paul Durand"));
    answers.insert(
        "representant_adresse".into(),
        json!("4 place de la Mairie\n69001 Lyon"),
    );
    answers.insert("representant_telephone".into(), json!("04 78 00 00 00"));
    let rep = f
        .parties_of_on(&answers, today())
        .unwrap()
        .representative
        .unwrap();
    assert_eq!(rep.quality.as_deref(), Some("Tutelle"));
    assert_eq!(rep.address_lines, vec!["4 place de la Mairie", "69001 Lyon"]);
}

#[test]
fn pch_requests_one_right_per_element() {
    let f = load("pch.toml");
    let answers: Answers = json!({
        "elements": ["logement", "aide_humaine", "parentalite"],
    })
    .as_object()
    .unwrap()
    .clone();
    assert_eq!(
        ids(&f.requested_rights_on(&answers, today())),
        vec!["pch_aide_humaine", "pch_logement", "pch_parentalite"]
    );
    for r in f.rights() {
        assert_eq!(
            r.group.as_deref(),
            Some("Prestation de compensation du handicap (PCH)")
        );
        assert_eq!((r.authority, r.appeal.as_str()), (Authority::Cdaph, "mdph"));
    }
    assert_eq!(f.right("pch_logement").unwrap().default_years, Some(10));
}

#[test]
fn rights_and_parties_survive_a_round_trip_through_toml() {
    for name in ["apa.toml", "mdph.toml"] {
        let loaded = guichet_forms::FormDefinition::load(&forms_dir().join(name)).unwrap();
        let def: Definition = toml::from_str(loaded.text()).unwrap();
        let again: Definition = toml::from_str(&toml::to_string(&def).unwrap()).unwrap();
        assert_eq!(again.rights, def.rights);
        assert_eq!(again.appeals, def.appeals);
        assert_eq!(again.parties, def.parties);
        let rep = def.parties.unwrap().representative.unwrap();
        assert_eq!(rep.fields.last_name, "representant_nom", "{name}");
    }
}

#[test]
fn an_unknown_key_in_the_representative_is_refused() {
    let text = GOOD.replace(
        "present_if = \"tutelle == true\"",
        "present_if = \"tutelle == true\"\nqualite = \"tutelle\"",
    );
    let errors = check_definition_text(&text, "aides.toml");
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(errors[0].message.contains("qualite"), "{}", errors[0]);
}

#[test]
fn the_json_schema_describes_rights_appeals_and_parties() {
    let v: serde_json::Value = serde_json::from_str(&guichet_forms::definition_json_schema()).unwrap();
    let right = &v["$defs"]["RightDef"];
    for key in [
        "requested_if",
        "authority",
        "unit",
        "legal_basis",
        "appeal",
        "simulated",
    ] {
        assert!(right["properties"][key].is_object(), "{key}: {right}");
    }
    let required = right["required"].as_array().unwrap();
    assert!(required.contains(&json!("label")) && required.contains(&json!("legal_basis")));
    let rep = &v["$defs"]["RepresentativeFields"];
    assert!(rep["properties"]["present_if"].is_object(), "{rep}");
    assert!(rep["properties"]["last_name"].is_object(), "{rep}");
    assert!(v["$defs"]["Deadline"]["properties"]["starts"].is_object());
    assert!(v.to_string().contains("acceptation_forfaitaire"));
    assert!(v["properties"]["rights"].is_object() && v["properties"]["parties"].is_object());
}

//! Decision letters and attestations, rendered and read back with poppler: what each right says,
//! where the address sits, who is greeted and who signs, how long letters flow, that the PDF says
//! exactly what [`LetterText`] says, and that the file is tagged.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod poppler;

use guichet_documents::{
    DocumentError, ImplicitKind, LetterText, RightOutcome, attestation_text, decision_text,
    render_attestation, render_decision,
};
use guichet_types::Euros;
use poppler::{body_text, flat, page_count, pdftotext, poppler, words};

const MM: f32 = 72.0 / 25.4;

/// The part of `text` from the first `from` (searched after `after`) to the next `to`.
fn between<'a>(text: &'a str, after: usize, from: &str, to: &str) -> (&'a str, usize) {
    let start = after
        + text[after..]
            .find(from)
            .unwrap_or_else(|| panic!("missing {from:?} in:\n{text}"));
    let end = start
        + text[start..]
            .find(to)
            .unwrap_or_else(|| panic!("missing {to:?} after {from:?} in:\n{text}"));
    (&text[start..end], end)
}

#[test]
fn a_mixed_mdph_letter_gives_each_right_its_own_decision_and_appeal_route() {
    let pdf = render_decision(&common::mdph_decision()).unwrap();
    let Some(body) = body_text(&pdf) else { return };
    let start = body
        .find("a pris les décisions suivantes :")
        .expect("authority sentence");

    let (aah, next) = between(&body, start, common::AAH, common::RQTH);
    let (rqth, next) = between(&body, next, common::RQTH, common::CMI);
    let (cmi, next) = between(&body, next, common::CMI, common::PCH);
    let (pch, _) = between(&body, next, common::PCH, LetterText::APPEALS_TITLE);
    for expected in [
        "Décision : accord",
        "Montant : 1 033,32 € par mois",
        "Du 1er janvier 2027 au 31 décembre 2031",
        "Taux d’incapacité : égal ou supérieur à 80 %",
        "Motifs : Votre taux d’incapacité",
        "Le montant tient compte des ressources",
        "Références : CSS L821-1 et L821-2",
        "voir le recours n° 1",
    ] {
        assert!(aah.contains(expected), "AAH lacks {expected:?}:\n{aah}");
    }
    assert!(!aah.contains("refus"), "{aah}");
    assert!(rqth.contains("Décision : accord") && rqth.contains("Du 1er janvier 2027 au 31 décembre 2031"));
    assert!(!rqth.contains("Montant"), "{rqth}");
    for expected in [
        "Décision : refus",
        "Taux d’incapacité : inférieur à 80 %",
        "Décision prise par : le président du conseil départemental",
        "réservée aux personnes dont le taux d’incapacité est d’au moins 80 %",
        "voir le recours n° 2",
    ] {
        assert!(cmi.contains(expected), "CMI lacks {expected:?}:\n{cmi}");
    }
    assert!(!cmi.contains("accord") && !cmi.contains("Montant"), "{cmi}");
    assert!(
        pch.contains("Décision : sans objet") && pch.contains("voir le recours n° 1"),
        "{pch}"
    );
    assert!(pch.contains("Décision prise par : la CDAPH"), "{pch}");

    // Two routes: the CDAPH's (MDPH, pôle social) and the président's (tribunal administratif).
    let (route1, next) = between(&body, 0, "Recours n° 1 –", "Recours n° 2 –");
    let (route2, _) = between(&body, next, "Recours n° 2 –", "Je vous prie d’agréer");
    assert!(
        route1.contains(&format!(
            "Pour les décisions « {} », « {} » et « {} »",
            common::AAH,
            common::RQTH,
            common::PCH
        )),
        "{route1}"
    );
    assert!(
        route1.contains("maison départementale des personnes handicapées (MDPH)"),
        "{route1}"
    );
    assert!(route1.contains("pôle social du tribunal judiciaire"), "{route1}");
    assert!(!route1.contains("président du conseil départemental"), "{route1}");
    assert!(
        route2.contains(&format!("Pour la décision « {} »", common::CMI)),
        "{route2}"
    );
    assert!(
        route2.contains("auprès du président du conseil départemental"),
        "{route2}"
    );
    assert!(route2.contains("saisir le tribunal administratif"), "{route2}");
    assert!(!route2.contains("pôle social"), "{route2}");
}

#[test]
fn grants_alone_print_amounts_and_periods_and_one_authority_is_not_repeated() {
    let mut decision = common::mdph_decision();
    // A refusal carrying an amount by mistake must not look like a grant.
    decision.rights[2].amount = Some(Euros::from_cents(50_000));
    decision.rights[2].start = Some(common::date(2027, 1, 1));
    let text = decision_text(&decision);
    let cmi = &text.sections[2];
    assert_eq!(cmi.lines[0], "Décision : refus");
    assert!(
        cmi.lines
            .iter()
            .all(|l| !l.starts_with("Montant") && !l.starts_with("À compter")),
        "{cmi:?}"
    );

    let apa = decision_text(&common::apa_decision());
    let lines = &apa.sections[0].lines;
    assert!(
        lines.iter().all(|l| !l.starts_with("Décision prise par")),
        "{lines:?}"
    );
    // One route: no number, and it covers the single decision.
    assert_eq!(apa.appeals.len(), 1);
    assert_eq!(apa.appeals[0].title, "Pour cette décision");
    assert!(lines.iter().all(|l| !l.contains("recours n°")), "{lines:?}");
    // Only the start date: « À compter du ».
    let mut open_ended = common::apa_decision();
    open_ended.rights[0].end = None;
    assert!(
        decision_text(&open_ended).sections[0]
            .lines
            .contains(&"À compter du 1er janvier 2027".to_owned())
    );
}

#[test]
fn the_address_sits_alone_in_the_envelope_window_with_its_postal_lines() {
    for decision in [common::mdph_decision(), common::representative_decision()] {
        let pdf = render_decision(&decision).unwrap();
        let Some(words) = words(&pdf) else { return };
        let text = decision_text(&decision);
        let address: Vec<&str> = text.addressee.iter().flat_map(|l| l.split_whitespace()).collect();
        assert!(text.addressee.len() >= 3, "{:?}", text.addressee);
        let first_page: Vec<_> = words.iter().filter(|w| w.page == 1).collect();
        // Every address word is printed on the first page, in the window of a DL envelope
        // (NF Z 10-011): from 100 mm from the left, 45 to 90 mm from the top.
        for word in &address {
            // (The letterhead, on the left, may hold the same words: « rue ».)
            let w = first_page
                .iter()
                .find(|w| w.text == *word && w.x_min > 95.0 * MM)
                .unwrap_or_else(|| panic!("{word:?} not printed on the right"));
            assert!(w.x_min >= 99.0 * MM && w.x_max <= 190.0 * MM, "{w:?}");
            assert!(w.y_min >= 45.0 * MM && w.y_max <= 90.0 * MM, "{w:?}");
        }
        // Nothing else shows through the window (95 to 195 mm across, 45 to 90 mm down).
        for w in &first_page {
            let in_window =
                w.x_max > 95.0 * MM && w.x_min < 195.0 * MM && w.y_max > 45.0 * MM && w.y_min < 90.0 * MM;
            assert!(
                !in_window || address.contains(&w.text.as_str()),
                "{w:?} shows in the window"
            );
        }
    }
}

#[test]
fn a_letter_to_a_guardian_states_his_quality_greets_him_and_copies_the_beneficiary() {
    let pdf = render_decision(&common::representative_decision()).unwrap();
    let Some(body) = body_text(&pdf) else { return };
    for expected in [
        "M. Paul Durand en qualité de tuteur de Mme Jeanne Martin Association tutélaire de l’Est parisien \
         12 avenue Jean Jaurès 93300 Aubervilliers",
        "Objet : notification des décisions – Demande à la MDPH de Mme Jeanne Martin (dossier n° MDPH-2026-000042)",
        "Monsieur, La demande présentée pour Mme Jeanne Martin a été examinée.",
        "Je vous prie d’agréer, Monsieur, l’expression de mes salutations distinguées.",
        "Copie : Mme Jeanne Martin, 3 rue des Écoles, 93100 Montreuil",
    ] {
        assert!(body.contains(expected), "missing {expected:?} in:\n{body}");
    }
    assert!(!body.contains("Madame, Monsieur"), "{body}");
    assert!(!body.contains("Madame,"), "{body}");
    // The copy line closes the letter, after the signature.
    assert!(body.find("Claire Martin").unwrap() < body.find("Copie :").unwrap());
}

#[test]
fn the_salutation_follows_the_civility_and_falls_back_to_both() {
    let pdf = render_decision(&common::mdph_decision()).unwrap();
    let Some(body) = body_text(&pdf) else { return };
    assert!(body.contains("Madame, La Commission des droits"), "{body}");
    assert!(
        body.contains("Je vous prie d’agréer, Madame, l’expression"),
        "{body}"
    );
    let mut unknown = common::mdph_decision();
    unknown.recipient.civility = None;
    let body = body_text(&render_decision(&unknown).unwrap()).unwrap();
    assert!(
        body.contains("Madame, Monsieur, La Commission des droits"),
        "{body}"
    );
    assert!(
        body.contains("Je vous prie d’agréer, Madame, Monsieur, l’expression"),
        "{body}"
    );
}

#[test]
fn the_place_line_never_starts_with_a_comma() {
    let mut decision = common::mdph_decision();
    decision.place = String::new();
    let pdf = render_decision(&decision).unwrap();
    let Some(text) = pdftotext(&pdf) else { return };
    assert!(text.lines().all(|l| !l.trim_start().starts_with(',')), "{text}");
    assert!(flat(&text).contains("Le 4 décembre 2026"), "{text}");
    assert!(!flat(&text).contains(", le 4 décembre 2026"), "{text}");
    decision.place = "Bobigny".into();
    let text = pdftotext(&render_decision(&decision).unwrap()).unwrap();
    assert!(flat(&text).contains("Bobigny, le 4 décembre 2026"), "{text}");
}

#[test]
fn the_signatory_is_named_and_a_letter_without_one_is_refused() {
    let pdf = render_decision(&common::mdph_decision()).unwrap();
    if let Some(body) = body_text(&pdf) {
        assert!(
            body.contains(
                "Pour la présidente de la CDAPH et par délégation, La directrice de la MDPH Claire Martin"
            ),
            "{body}"
        );
    }
    for name in [None, Some("  ".to_owned())] {
        let mut decision = common::mdph_decision();
        decision.signature.name = name;
        assert!(
            matches!(render_decision(&decision), Err(DocumentError::Incomplete(m)) if m.contains("signataire")),
            "a letter without a signatory name was printed"
        );
    }
}

#[test]
fn a_long_motivation_flows_to_the_next_page_with_the_number_in_every_footer() {
    let short = render_decision(&common::apa_decision()).unwrap();
    let Some(pages) = page_count(&short) else { return };
    // The common one-right letter still fits one sheet (window envelope, desk scanners).
    assert_eq!(pages, 1);

    let mut decision = common::apa_decision();
    decision.rights[0].motivation = format!(
        "{}\n\nFin des motifs.",
        "L’équipe médico-sociale a relevé un besoin d’aide pour la toilette et les repas. ".repeat(40)
    );
    let pdf = render_decision(&decision).unwrap();
    let pages = page_count(&pdf).unwrap();
    assert!(pages >= 2, "{pages} page(s)");
    let text = pdftotext(&pdf).unwrap();
    let page_texts: Vec<&str> = text.split('\u{c}').filter(|p| !p.trim().is_empty()).collect();
    assert_eq!(page_texts.len(), pages);
    for (i, page) in page_texts.iter().enumerate() {
        let footer = format!(
            "Décision – dossier n° APA-2026-000123 · Page {} sur {pages}",
            i + 1
        );
        let last_line = page.lines().rev().find(|l| !l.trim().is_empty()).unwrap();
        assert_eq!(flat(last_line), footer);
    }
    let body = body_text(&pdf).unwrap();
    assert!(body.contains("Fin des motifs."), "{body}");
    assert_eq!(body.matches("besoin d’aide pour la toilette").count(), 40);
    assert!(flat(page_texts.last().unwrap()).contains("Claire Martin"));
}

/// Every block of `text`, in reading order, flattened: what the PDF must say, in that order.
fn reading(text: &LetterText) -> String {
    let mut blocks: Vec<&str> = Vec::new();
    blocks.extend(text.heading.iter().map(String::as_str));
    blocks.extend(text.addressee.iter().map(String::as_str));
    blocks.extend([text.place_date.as_str(), &text.object, &text.salutation]);
    blocks.extend(text.intro.iter().map(String::as_str));
    for section in &text.sections {
        blocks.push(&section.title);
        blocks.extend(section.lines.iter().map(String::as_str));
    }
    if !text.appeals.is_empty() {
        blocks.push(LetterText::APPEALS_TITLE);
    }
    for route in &text.appeals {
        blocks.push(&route.title);
        blocks.extend(route.lines.iter().map(String::as_str));
    }
    blocks.extend(text.closing.iter().map(String::as_str));
    blocks.extend(text.signature.iter().map(String::as_str));
    blocks.extend(text.copy.as_deref());
    flat(&blocks.join(" "))
}

/// The text of the structure tree (`pdfinfo -struct-text`), in tree order, flattened.
fn structure_text(pdf: &[u8]) -> Option<String> {
    let tree = poppler("pdfinfo", &["-struct-text"], pdf)?;
    let strings: Vec<&str> = tree
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with('"') && l.ends_with('"') && l.len() >= 2)
        .map(|l| &l[1..l.len() - 1])
        .collect();
    Some(flat(&strings.join(" ")))
}

#[test]
fn the_letter_text_and_the_pdf_say_the_same_sentences_in_the_same_order() {
    let letters = [
        (
            decision_text(&common::mdph_decision()),
            render_decision(&common::mdph_decision()).unwrap(),
        ),
        (
            decision_text(&common::representative_decision()),
            render_decision(&common::representative_decision()).unwrap(),
        ),
        (
            attestation_text(&common::acceptance_attestation()),
            render_attestation(&common::acceptance_attestation()).unwrap(),
        ),
        (
            attestation_text(&common::apa_attestation()),
            render_attestation(&common::apa_attestation()).unwrap(),
        ),
    ];
    for (text, pdf) in &letters {
        let Some(tree) = structure_text(pdf) else { return };
        let expected = reading(text);
        // The structure tree holds every block and nothing else (footers are artifacts).
        assert_eq!(tree, expected);
        // What poppler extracts by position holds each block too.
        let body = body_text(pdf).unwrap();
        for section in text.sections.iter().chain(&text.appeals) {
            for line in std::iter::once(&section.title).chain(&section.lines) {
                assert!(body.contains(&flat(line)), "missing {line:?} in:\n{body}");
            }
        }
        for line in text.intro.iter().chain(&text.signature).chain(&text.addressee) {
            assert!(body.contains(&flat(line)), "missing {line:?} in:\n{body}");
        }
    }
}

#[test]
fn letters_are_tagged_pdfs_in_french_with_a_title_and_headings() {
    let pdf = render_decision(&common::mdph_decision()).unwrap();
    let raw = String::from_utf8_lossy(&pdf);
    for key in [
        "/Lang(fr-FR)",
        "/MarkInfo<</Marked true>>",
        "/StructTreeRoot",
        "/Tabs/S",
    ] {
        assert!(raw.contains(key), "no {key}");
    }
    // The XMP packet is left uncompressed, with the title and the language.
    assert!(
        raw.contains("Décision MDPH-2026-000042 – Demande à la MDPH</rdf:li>"),
        "no dc:title"
    );
    assert!(
        raw.contains("<dc:language><rdf:Bag><rdf:li>fr-FR"),
        "no dc:language"
    );
    let Some(info) = poppler("pdfinfo", &[], &pdf) else {
        return;
    };
    assert!(info.contains("Tagged:          yes"), "{info}");
    assert!(
        info.contains("Title:           Décision MDPH-2026-000042 – Demande à la MDPH"),
        "{info}"
    );
    let tree = poppler("pdfinfo", &["-struct"], &pdf).unwrap();
    let tags: Vec<&str> = tree.lines().filter_map(|l| l.split_whitespace().next()).collect();
    assert_eq!(tags.first(), Some(&"Document"), "{tree}");
    assert_eq!(tags.iter().filter(|t| **t == "H1").count(), 1, "{tree}");
    // Four rights and the appeals heading; two routes.
    assert_eq!(tags.iter().filter(|t| **t == "H2").count(), 5, "{tree}");
    assert_eq!(tags.iter().filter(|t| **t == "H3").count(), 2, "{tree}");
    assert!(tags.iter().filter(|t| **t == "P").count() > 20, "{tree}");
}

#[test]
fn an_attestation_of_acceptance_says_since_when_and_under_which_articles() {
    let pdf = render_attestation(&common::acceptance_attestation()).unwrap();
    let Some(body) = body_text(&pdf) else { return };
    for expected in [
        "Objet : attestation de décision implicite – Forfait Améthyste de Mme Jeanne Martin \
         (dossier n° AMETHYSTE-2026-000007)",
        "Madame, Nous attestons que votre demande « Forfait Améthyste », déposée le 2 octobre 2026, complète le \
         5 octobre 2026, est réputée acceptée depuis le 5 décembre 2026 en l’absence de réponse de \
         l’administration dans le délai de deux mois (article L231-1 du code des relations entre le public et \
         l’administration).",
        "Cette attestation est délivrée en application de l’article L232-3 du code des relations entre le public \
         et l’administration.",
        "Demande réputée acceptée le 5 décembre 2026",
        "Bobigny, le 10 décembre 2026",
        "Le chef du service des transports Karim Benali",
    ] {
        assert!(body.contains(expected), "missing {expected:?} in:\n{body}");
    }
    assert!(!body.contains(LetterText::APPEALS_TITLE), "{body}");
    assert!(!body.contains("forfaitaire"), "{body}");
    let text = pdftotext(&pdf).unwrap();
    assert!(
        flat(&text).ends_with("Attestation – dossier n° AMETHYSTE-2026-000007 · Page 1 sur 1"),
        "{text}"
    );
}

#[test]
fn an_apa_attestation_grants_the_flat_amount_provisionally_until_the_decision() {
    let pdf = render_attestation(&common::apa_attestation()).unwrap();
    let Some(body) = body_text(&pdf) else { return };
    for expected in [
        "Nous attestons que votre demande « Allocation personnalisée d’autonomie (APA) à domicile », déposée le \
         2 octobre 2026, complète le 5 octobre 2026, n’a pas reçu de décision dans le délai de deux mois.",
        "En conséquence, l’aide demandée vous est accordée à titre provisoire, depuis le 5 décembre 2026, pour un \
         montant forfaitaire de 1 022,78 € par mois, jusqu’à la décision (article L232-14 du code de l’action \
         sociale et des familles).",
        "Montant forfaitaire : 1 022,78 € par mois",
        "Montant fixé par : article L232-14 du code de l’action sociale et des familles et son décret",
        "Le montant définitif sera fixé par la décision",
    ] {
        assert!(body.contains(expected), "missing {expected:?} in:\n{body}");
    }
    assert!(!body.contains("réputée acceptée"), "{body}");

    // Without a complete-file date the time limit runs from the deposit; an odd span is not named.
    let mut odd = common::apa_attestation();
    odd.complete_on = None;
    odd.deemed_on = common::date(2026, 12, 9);
    let intro = &attestation_text(&odd).intro[0];
    assert!(
        intro.contains("déposée le 2 octobre 2026, n’a pas reçu de décision dans le délai prévu."),
        "{intro}"
    );
}

#[test]
fn incomplete_letters_are_refused_with_the_reason() {
    let incomplete = |decision: &guichet_documents::Decision| match render_decision(decision) {
        Err(DocumentError::Incomplete(reason)) => reason,
        other => panic!("expected Incomplete, got {other:?}"),
    };
    let mut unknown_route = common::mdph_decision();
    unknown_route.rights[1].appeal = "tribunal".into();
    assert!(incomplete(&unknown_route).contains("voie de recours « tribunal » inconnue"));

    let mut unmotivated = common::mdph_decision();
    unmotivated.rights[2].motivation = " \n ".into();
    assert!(incomplete(&unmotivated).contains("refus sans motivation"));
    // A grant may go without reasons.
    let mut grant = common::mdph_decision();
    grant.rights[1].motivation.clear();
    assert!(render_decision(&grant).is_ok());

    let mut nothing = common::mdph_decision();
    nothing.rights.clear();
    assert!(incomplete(&nothing).contains("aucune décision"));

    let attestation_error = |a: &guichet_documents::Attestation| match render_attestation(a) {
        Err(DocumentError::Incomplete(reason)) => reason,
        other => panic!("expected Incomplete, got {other:?}"),
    };
    let mut before_deposit = common::acceptance_attestation();
    before_deposit.deemed_on = common::date(2026, 9, 1);
    assert!(attestation_error(&before_deposit).contains("dates incohérentes"));
    let mut too_early = common::acceptance_attestation();
    too_early.date = common::date(2026, 12, 1);
    assert!(attestation_error(&too_early).contains("avant d’être acquise"));
    let mut zero = common::apa_attestation();
    zero.kind = ImplicitKind::FlatAmount {
        amount: Euros::from_cents(0),
        reference: String::new(),
    };
    assert!(attestation_error(&zero).contains("montant forfaitaire nul"));
}

#[test]
fn letter_types_keep_their_json_names() {
    assert_eq!(
        serde_json::to_string(&RightOutcome::SansObjet).unwrap(),
        "\"sans_objet\""
    );
    assert_eq!(
        serde_json::to_string(&RightOutcome::Accord).unwrap(),
        "\"accord\""
    );
    let decision = common::representative_decision();
    let json = serde_json::to_string(&decision).unwrap();
    assert_eq!(
        serde_json::from_str::<guichet_documents::Decision>(&json).unwrap(),
        decision
    );
    let attestation = common::apa_attestation();
    let json = serde_json::to_value(&attestation).unwrap();
    assert!(json["kind"]["flat_amount"]["amount"].is_number(), "{json}");
    // Fields added with this letter default when absent (older stored inputs).
    let mut recipient = serde_json::to_value(common::jeanne()).unwrap();
    recipient
        .as_object_mut()
        .unwrap()
        .retain(|k, _| k == "name" || k == "address_lines");
    let recipient: guichet_documents::Recipient = serde_json::from_value(recipient).unwrap();
    assert_eq!((recipient.civility, recipient.quality), (None, None));
    let text = serde_json::to_value(decision_text(&decision)).unwrap();
    assert!(
        text["sections"][0]["lines"].is_array() && text["copy"].is_string(),
        "{text}"
    );
}

//! Renders real PDFs and reads them back with poppler's `pdftotext`, `pdfinfo` and `pdffonts`:
//! what a usager copies, searches or hears from a screen reader is what these tools extract.
//!
//! Without poppler-utils the tests print a note and pass, except under CI (`CI` set), where a
//! missing tool is a failure: a check that silently never runs is worse than none.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::process::Command;

use guichet_documents::{Outcome, render_decision, render_receipt};

/// Runs `tool args… file.pdf -`-style commands on `pdf`; `None` when the tool is missing outside CI.
fn poppler(tool: &str, args: &[&str], pdf: &[u8]) -> Option<String> {
    let mut file = tempfile::Builder::new().suffix(".pdf").tempfile().unwrap();
    file.write_all(pdf).unwrap();
    file.flush().unwrap();
    let output = match Command::new(tool)
        .args(args)
        .arg(file.path())
        .args(tool_tail(tool))
        .output()
    {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if std::env::var_os("CI").is_some() {
                panic!("`{tool}` is missing: install poppler-utils (apt-get install poppler-utils)");
            }
            // Straight to stderr: libtest captures `eprintln!`, and a skip must be visible.
            let _ = writeln!(
                std::io::stderr(),
                "note: `{tool}` not found, PDF content not checked (install poppler-utils)"
            );
            return None;
        }
        Err(e) => panic!("running {tool}: {e}"),
    };
    assert!(
        output.status.success(),
        "{tool} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(String::from_utf8(output.stdout).unwrap())
}

fn tool_tail(tool: &str) -> &'static [&'static str] {
    if tool == "pdftotext" { &["-"] } else { &[] }
}

fn pdftotext(pdf: &[u8]) -> Option<String> {
    poppler("pdftotext", &["-enc", "UTF-8"], pdf)
}

/// Whitespace (including the no-break spaces of French typography) collapsed to single spaces, so
/// assertions do not depend on where lines were wrapped.
fn flat(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c == '\u{202f}' || c == '\u{a0}')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn page_count(pdf: &[u8]) -> Option<usize> {
    let info = poppler("pdfinfo", &[], pdf)?;
    let line = info
        .lines()
        .find(|l| l.starts_with("Pages:"))
        .expect("pdfinfo prints Pages");
    Some(line.trim_start_matches("Pages:").trim().parse().unwrap())
}

#[test]
fn receipt_shows_number_applicant_with_accents_sections_documents_and_due_date() {
    let pdf = render_receipt(&common::typical_receipt()).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let Some(text) = pdftotext(&pdf) else { return };
    let text = flat(&text);
    for expected in [
        "Récépissé de dépôt",
        "APA-2026-000123",
        "Hélène Dupré-Lefèvre",
        "Allocation personnalisée d’autonomie (APA) à domicile",
        "Déposé le 23 novembre 2026 à 14 h 05",
        "Partie 1 – Situation familiale et logement",
        "Partie 5 – Situation familiale et logement",
        "Question 1.2 : revenus mensuels du foyer",
        "1 682,30 €",
        "Pièce d’identité : carte-identite-recto-verso.pdf",
        "Relevé d’identité bancaire : rib-la-banque-postale.pdf",
        "Documents reçus (3)",
        "Réponse attendue au plus tard le 23 janvier 2027",
        "Sans réponse à cette date, la demande est réputée rejetée.",
        "Département de la Seine-Saint-Denis",
        "Dernière réponse : fin du récapitulatif",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

#[test]
fn receipt_text_comes_out_in_reading_order() {
    let pdf = render_receipt(&common::receipt(2, 3)).unwrap();
    let Some(text) = pdftotext(&pdf) else { return };
    let text = flat(&text);
    let order = [
        "Département de la Seine-Saint-Denis",
        "Récépissé de dépôt",
        "Numéro de dossier : APA-2026-000123",
        "Réponse attendue",
        "Documents reçus",
        "Vos réponses",
        "Partie 1",
        "Question 1.1 : date de naissance : 12 mars 1941",
        "Partie 2",
        "Dernière réponse",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|s| {
            text.find(s)
                .unwrap_or_else(|| panic!("missing {s:?} in:\n{text}"))
        })
        .collect();
    assert!(positions.is_sorted(), "out of order: {positions:?} in:\n{text}");
}

#[test]
fn a_long_summary_runs_onto_three_pages_without_losing_the_last_answer() {
    // 6 sections × 12 answers: about three pages of answers.
    let pdf = render_receipt(&common::receipt(6, 12)).unwrap();
    let Some(pages) = page_count(&pdf) else { return };
    assert!(pages >= 3, "expected at least 3 pages, got {pages}");
    let text = pdftotext(&pdf).unwrap();
    // pdftotext ends every page with a form feed.
    let page_texts: Vec<&str> = text.split('\u{c}').filter(|p| !p.trim().is_empty()).collect();
    assert_eq!(page_texts.len(), pages);
    let last = flat(page_texts.last().unwrap());
    assert!(
        last.contains("Dernière réponse : fin du récapitulatif"),
        "last page:\n{last}"
    );
    assert!(
        last.contains(&format!("page {pages} sur {pages}")),
        "last page:\n{last}"
    );
    let all = flat(&text);
    for s in 1..=6 {
        for a in 1..12 {
            assert!(
                all.contains(&format!("Question {s}.{a} :")),
                "lost question {s}.{a}"
            );
        }
    }
}

#[test]
fn granted_decision_states_amount_in_french_period_motivation_and_appeals() {
    let pdf = render_decision(&common::granted_decision()).unwrap();
    let Some(text) = pdftotext(&pdf) else { return };
    let text = flat(&text);
    // The amount as `Euros`' French Display writes it (poppler turns its no-break spaces into spaces).
    let amount = flat(&guichet_types::Euros::from_cents(168_230).to_string());
    assert_eq!(amount, "1 682,30 €");
    assert!(
        text.contains(&format!("Montant accordé : {amount} par mois")),
        "amount missing in:\n{text}"
    );
    for expected in [
        "Mme Hélène Dupré-Lefèvre",
        "93100 Montreuil",
        "Bobigny, le 15 décembre 2026",
        "Dossier n° APA-2026-000123",
        "Décision : votre demande est accordée.",
        "Montant accordé : 1 682,30 € par mois",
        "Période : du 1er janvier 2027 au 31 décembre 2028",
        "Motifs de la décision",
        "classe votre perte d’autonomie en GIR 2.",
        "la téléassistance et un accueil de jour une fois par semaine",
        "Voies et délais de recours",
        "recours administratif préalable",
        "président du conseil départemental",
        "tribunal administratif",
        "La directrice de l’autonomie",
        "Claire Martin",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

#[test]
fn a_typical_letter_fits_on_one_page_and_a_forty_answer_receipt_on_three() {
    // Guards against layout changes that spread documents out; a letter on one sheet is also
    // what a window envelope and a scanner at a France Services desk expect.
    let Some(letter) = page_count(&render_decision(&common::granted_decision()).unwrap()) else {
        return;
    };
    assert_eq!(letter, 1);
    let receipt = page_count(&render_receipt(&common::typical_receipt()).unwrap()).unwrap();
    assert!(receipt <= 3, "{receipt} pages");
}

#[test]
fn a_refusal_has_no_amount_or_period_but_its_reasons_and_appeals() {
    let pdf = render_decision(&common::refused_decision()).unwrap();
    let Some(text) = pdftotext(&pdf) else { return };
    let text = flat(&text);
    assert!(text.contains("Décision : votre demande est refusée."), "{text}");
    assert!(
        text.contains("ne relève pas de l’allocation personnalisée d’autonomie"),
        "{text}"
    );
    assert!(text.contains("recours"), "{text}");
    assert!(!text.contains("Montant"), "{text}");
    assert!(!text.contains('€'), "{text}");
    assert!(!text.contains("Période"), "{text}");
}

#[test]
fn a_closed_dossier_says_so_and_mdph_letters_point_to_the_cdaph_and_the_pole_social() {
    let mut decision = common::refused_decision();
    decision.outcome = Outcome::ClosedWithoutFollowUp;
    decision.appeal = guichet_documents::Appeal::for_procedure("mdph");
    let pdf = render_decision(&decision).unwrap();
    let Some(text) = pdftotext(&pdf) else { return };
    let text = flat(&text);
    assert!(
        text.contains("Décision : votre demande est classée sans suite."),
        "{text}"
    );
    assert!(text.contains("CDAPH"), "{text}");
    assert!(text.contains("pôle social du tribunal judiciaire"), "{text}");
}

#[test]
fn documents_carry_a_title_french_language_and_subset_embedded_fonts() {
    let pdf = render_receipt(&common::typical_receipt()).unwrap();
    // The catalogue is not compressed, so /Lang is visible in the raw bytes.
    assert!(
        pdf.windows(b"/Lang(fr-FR)".len()).any(|w| w == b"/Lang(fr-FR)"),
        "no /Lang"
    );
    assert!(
        pdf.len() < 120_000,
        "{} bytes: are fonts still subset?",
        pdf.len()
    );
    let Some(info) = poppler("pdfinfo", &[], &pdf) else {
        return;
    };
    assert!(info.contains("Récépissé de dépôt APA-2026-000123"), "{info}");
    assert!(info.contains("Département de la Seine-Saint-Denis"), "{info}");
    let fonts = poppler("pdffonts", &[], &pdf).unwrap();
    let embedded: Vec<&str> = fonts.lines().filter(|l| l.contains("DejaVuSans")).collect();
    assert_eq!(embedded.len(), 2, "{fonts}");
    for line in embedded {
        // emb sub uni
        assert!(line.contains("yes yes yes"), "{fonts}");
    }
}

#[test]
fn characters_the_font_lacks_become_question_marks_instead_of_vanishing() {
    let mut receipt = common::receipt(1, 2);
    receipt.applicant_name = "Zoé \u{e000}Nguyễn\tBùi".into();
    let pdf = render_receipt(&receipt).unwrap();
    let Some(text) = pdftotext(&pdf) else { return };
    assert!(
        flat(&text).contains("Personne concernée : Zoé ?Nguyễn Bùi"),
        "{text}"
    );
}

#[test]
fn empty_lists_get_a_sentence_rather_than_a_blank() {
    let mut receipt = common::receipt(1, 1);
    receipt.documents.clear();
    receipt.sections[0].answers[0].value = "   ".into();
    receipt.expected_answer = None;
    let pdf = render_receipt(&receipt).unwrap();
    let Some(text) = pdftotext(&pdf) else { return };
    let text = flat(&text);
    assert!(
        text.contains("Aucun document n’a été joint à la demande."),
        "{text}"
    );
    assert!(text.contains("Non renseigné"), "{text}");
    assert!(text.contains("Le service vous indiquera le délai"), "{text}");
}

#[test]
fn documents_render_concurrently_from_the_shared_fonts() {
    // The web crate renders from blocking-pool threads; the parsed fonts are shared by all of them.
    let handles: Vec<_> = (0..4)
        .map(|i| {
            std::thread::spawn(move || {
                if i % 2 == 0 {
                    render_receipt(&common::receipt(3, 5)).unwrap()
                } else {
                    render_decision(&common::granted_decision()).unwrap()
                }
            })
        })
        .collect();
    let pdfs: Vec<Vec<u8>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let Some(text) = pdftotext(&pdfs[0]) else { return };
    assert!(flat(&text).contains("APA-2026-000123"));
    assert!(flat(&pdftotext(&pdfs[1]).unwrap()).contains("Montant accordé"));
}

#[test]
fn absurdly_long_inputs_still_render_every_word_inside_the_page() {
    let mut decision = common::refused_decision();
    decision.motivation = "Motif très détaillé. ".repeat(700) + "Fin des motifs.";
    decision.appeal.court = "Tribunal. ".repeat(500) + "Fin des recours.";
    decision.recipient.name = "Nom-sans-espace-".repeat(20);
    let pdf = render_decision(&decision).unwrap();
    let mut receipt = common::receipt(1, 1);
    receipt.expected_answer.as_mut().unwrap().silence =
        guichet_documents::Silence::Other("Silence. ".repeat(900) + "Fin.");
    let receipt_pdf = render_receipt(&receipt).unwrap();
    let Some(text) = pdftotext(&pdf) else { return };
    assert_words_inside_margins(&pdf);
    assert_words_inside_margins(&receipt_pdf);
    let text = flat(&text);
    assert!(
        text.contains("Fin des motifs.") && text.contains("Fin des recours."),
        "{text}"
    );
    assert_eq!(text.matches("Motif très détaillé.").count(), 700);
    assert!(flat(&pdftotext(&receipt_pdf).unwrap()).contains("Fin. Ce délai est suspendu"));
}

#[test]
fn typical_documents_keep_every_word_inside_the_margins() {
    let receipt = render_receipt(&common::typical_receipt()).unwrap();
    if pdftotext(&receipt).is_none() {
        return;
    }
    assert_words_inside_margins(&receipt);
    assert_words_inside_margins(&render_decision(&common::granted_decision()).unwrap());
}

/// Every word's box, from `pdftotext -bbox`, lies within the 20 mm side margins and on the page.
fn assert_words_inside_margins(pdf: &[u8]) {
    let html = poppler("pdftotext", &["-bbox"], pdf).unwrap();
    let attr = |line: &str, name: &str| -> f32 {
        let start = line.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        line[start..].split('"').next().unwrap().parse().unwrap()
    };
    let mut words = 0;
    for line in html.lines().filter(|l| l.trim_start().starts_with("<word")) {
        words += 1;
        let (x_min, x_max) = (attr(line, "xMin"), attr(line, "xMax"));
        let (y_min, y_max) = (attr(line, "yMin"), attr(line, "yMax"));
        // 56.69 pt margins, with some rounding slack.
        assert!(
            x_min >= 56.0 && x_max <= 595.28 - 56.0,
            "outside the side margins: {line}"
        );
        assert!(y_min >= 0.0 && y_max <= 841.89, "off the page: {line}");
    }
    assert!(words > 0);
}

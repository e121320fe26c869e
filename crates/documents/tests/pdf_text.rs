//! Renders real PDFs and reads them back with poppler's `pdftotext`, `pdfinfo` and `pdffonts`:
//! what a usager copies, searches or hears from a screen reader is what these tools extract.
//!
//! Without poppler-utils the tests print a note and pass, except under CI (`CI` set), where a
//! missing tool is a failure: a check that silently never runs is worse than none.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod poppler;

use guichet_documents::{render_decision, render_receipt};
use poppler::{assert_words_inside_margins, flat, page_count, pdftotext, poppler};

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
fn receipts_stay_untagged_with_their_lowercase_footer() {
    // The receipt is not part of the letter rework: same layout, same footer, no structure tree.
    let pdf = render_receipt(&common::receipt(1, 2)).unwrap();
    let Some(info) = poppler("pdfinfo", &[], &pdf) else {
        return;
    };
    assert!(info.contains("Tagged:          no"), "{info}");
    let text = flat(&pdftotext(&pdf).unwrap());
    assert!(
        text.contains("Récépissé de dépôt APA-2026-000123 · page 1 sur 1"),
        "{text}"
    );
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
                    render_decision(&common::mdph_decision()).unwrap()
                }
            })
        })
        .collect();
    let pdfs: Vec<Vec<u8>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let Some(text) = pdftotext(&pdfs[0]) else { return };
    assert!(flat(&text).contains("APA-2026-000123"));
    assert!(flat(&pdftotext(&pdfs[1]).unwrap()).contains("Montant : 1 033,32 € par mois"));
}

#[test]
fn absurdly_long_inputs_still_render_every_word_inside_the_page() {
    let mut decision = common::mdph_decision();
    decision.rights[2].motivation = "Motif très détaillé. ".repeat(700) + "Fin des motifs.";
    decision.appeals[1].court = "Tribunal. ".repeat(500) + "Fin des recours.";
    decision.recipient.name = "Nom-sans-espace-".repeat(20);
    decision.rights[0].label = "Libellé-interminable-".repeat(30);
    let pdf = render_decision(&decision).unwrap();
    let mut receipt = common::receipt(1, 1);
    receipt.expected_answer.as_mut().unwrap().silence =
        guichet_documents::Silence::Other("Silence. ".repeat(900) + "Fin.");
    let receipt_pdf = render_receipt(&receipt).unwrap();
    let Some(text) = poppler::body_text(&pdf) else {
        return;
    };
    assert_words_inside_margins(&pdf);
    assert_words_inside_margins(&receipt_pdf);
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
    assert_words_inside_margins(&render_decision(&common::mdph_decision()).unwrap());
    assert_words_inside_margins(&render_decision(&common::representative_decision()).unwrap());
    assert_words_inside_margins(&guichet_documents::render_attestation(&common::apa_attestation()).unwrap());
}

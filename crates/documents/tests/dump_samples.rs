//! Writes sample PDFs to $GUICHET_DOCS_DUMP for eyeballing; does nothing when unset.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

#[test]
fn dump_samples_when_asked() {
    let Some(dir) = std::env::var_os("GUICHET_DOCS_DUMP") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let write = |name: &str, bytes: Vec<u8>| std::fs::write(dir.join(name), bytes).unwrap();
    write(
        "receipt.pdf",
        guichet_documents::render_receipt(&common::typical_receipt()).unwrap(),
    );
    write(
        "receipt-long.pdf",
        guichet_documents::render_receipt(&common::receipt(6, 12)).unwrap(),
    );
    write(
        "decision-mdph.pdf",
        guichet_documents::render_decision(&common::mdph_decision()).unwrap(),
    );
    write(
        "decision-representative.pdf",
        guichet_documents::render_decision(&common::representative_decision()).unwrap(),
    );
    write(
        "decision-apa.pdf",
        guichet_documents::render_decision(&common::apa_decision()).unwrap(),
    );
    write(
        "attestation-acceptance.pdf",
        guichet_documents::render_attestation(&common::acceptance_attestation()).unwrap(),
    );
    write(
        "attestation-apa.pdf",
        guichet_documents::render_attestation(&common::apa_attestation()).unwrap(),
    );
}

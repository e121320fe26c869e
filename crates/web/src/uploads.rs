//! Uploaded files: streamed to disk while hashed, bounded in size, typed by sniffing their first bytes
//! (never by the name or the browser's claim), scanned by clamd when configured, then stored once under
//! their SHA-256.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

/// A file received and stored, or refused with a French reason (the rest of the form is kept either way).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    Stored(StoredFile),
    Refused {
        field: String,
        message: String,
    },
    /// The part had no file (an empty file input).
    Empty,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub field: String,
    pub sha256: String,
    pub name: String,
    pub size: u64,
    /// Sniffed from the bytes; `application/octet-stream` when unknown.
    pub content_type: String,
    /// Stored unscanned because clamd could not be reached (`hold` policy): served to nobody until the
    /// rescan finds it clean. The caller records it (`guichet_dossiers::scans::hold`) before naming it.
    pub pending: bool,
}

/// Why a file part could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    /// The client stopped sending (aborted upload, broken body): a client error, not ours.
    #[error("upload interrupted by the client: {0}")]
    Payload(String),
}

/// Where clamd listens (`GUICHET_CLAMD`: `tcp://127.0.0.1:3310` or `unix:/run/clamav/clamd.ctl`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clamd {
    Tcp(String),
    Unix(PathBuf),
}

impl Clamd {
    pub fn parse(s: &str) -> Option<Clamd> {
        if let Some(addr) = s.strip_prefix("tcp://") {
            Some(Clamd::Tcp(addr.trim_end_matches('/').to_owned()))
        } else {
            s.strip_prefix("unix:")
                .map(|p| Clamd::Unix(PathBuf::from(p.trim_start_matches("//"))))
        }
    }
}

/// What clamd said of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Clean,
    Infected(String),
    /// clamd could not be reached or answered an error: the file's safety is unknown.
    Unavailable(String),
}

/// Sends a file to clamd with INSTREAM (through `clamav-client`) and reads its verdict.
pub async fn scan(clamd: &Clamd, path: &Path) -> Verdict {
    let response = match clamd {
        Clamd::Tcp(addr) => {
            clamav_client::tokio::scan_file(
                path,
                clamav_client::tokio::Tcp {
                    host_address: addr.as_str(),
                },
                None,
            )
            .await
        }
        Clamd::Unix(socket) => {
            clamav_client::tokio::scan_file(
                path,
                clamav_client::tokio::Socket {
                    socket_path: socket.as_path(),
                },
                None,
            )
            .await
        }
    };
    match response {
        Err(e) => Verdict::Unavailable(e.to_string()),
        Ok(bytes) => {
            // `stream: OK`, `stream: <signature> FOUND`, or `<reason> ERROR` (NUL-terminated).
            let text = String::from_utf8_lossy(&bytes);
            let text = text.trim_end_matches('\0').trim();
            if let Some(found) = text.strip_suffix("FOUND") {
                let name = found.trim().trim_start_matches("stream:").trim();
                Verdict::Infected(name.to_owned())
            } else if text.ends_with("OK") {
                Verdict::Clean
            } else {
                Verdict::Unavailable(text.to_owned())
            }
        }
    }
}

/// How long an unreferenced stored file is kept before the collector removes it: long enough for any
/// request that stored it to have saved its reference.
pub const GC_GRACE: Duration = Duration::from_secs(24 * 3600);

/// A temp file older than this is the leftover of a crash: no upload lasts that long.
pub const TMP_GRACE: Duration = Duration::from_secs(3600);

/// Where files live: `<data dir>/fichiers/<2 hex>/<sha256>`, and uploads in progress in `fichiers/tmp`.
#[derive(Debug, Clone)]
pub struct FileStore {
    root: PathBuf,
    clamd: Option<Clamd>,
    /// clamd unreachable: store the file as pending instead of refusing it.
    hold: bool,
}

impl FileStore {
    /// Opens the store and removes every temp file: none belongs to a running upload at start.
    pub fn new(data_dir: &Path, clamd: Option<Clamd>) -> std::io::Result<FileStore> {
        let root = data_dir.join("fichiers");
        std::fs::create_dir_all(root.join("tmp"))?;
        let store = FileStore {
            root,
            clamd,
            hold: false,
        };
        store.sweep_tmp(Duration::ZERO);
        Ok(store)
    }

    /// While clamd cannot be reached, keep uploads for a later scan instead of refusing them.
    pub fn with_hold(self, hold: bool) -> FileStore {
        FileStore { hold, ..self }
    }

    pub fn clamd(&self) -> Option<&Clamd> {
        self.clamd.as_ref()
    }

    pub fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    pub fn path_of(&self, sha256: &str) -> Option<PathBuf> {
        let ok = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit());
        ok.then(|| self.root.join(&sha256[..2]).join(sha256))
    }

    /// Removes temp files older than `older_than`; returns how many.
    pub fn sweep_tmp(&self, older_than: Duration) -> usize {
        let Ok(entries) = std::fs::read_dir(self.tmp_dir()) else {
            return 0;
        };
        let mut removed = 0;
        for e in entries.flatten() {
            if is_older(&e.path(), older_than) && std::fs::remove_file(e.path()).is_ok() {
                removed += 1;
            }
        }
        removed
    }

    /// Every stored file (sha256, path) whose last store is older than `older_than`.
    pub fn stored_older_than(&self, older_than: Duration) -> Vec<(String, PathBuf)> {
        let mut out = Vec::new();
        let Ok(dirs) = std::fs::read_dir(&self.root) else {
            return out;
        };
        for d in dirs.flatten() {
            let name = d.file_name().to_string_lossy().into_owned();
            if name.len() != 2 || !name.bytes().all(|b| b.is_ascii_hexdigit()) {
                continue;
            }
            let Ok(files) = std::fs::read_dir(d.path()) else {
                continue;
            };
            for f in files.flatten() {
                let sha = f.file_name().to_string_lossy().into_owned();
                if self.path_of(&sha).is_some() && is_older(&f.path(), older_than) {
                    out.push((sha, f.path()));
                }
            }
        }
        out
    }

    /// Reads one multipart file field to the end, storing it if it is within `max_bytes`, of an accepted
    /// type and clean. Refused parts are drained (not stored) so the fields after them are still read; a
    /// failure of our disk refuses the file, not the form, so the step's typed answers are still saved.
    pub async fn receive(
        &self,
        field_name: &str,
        mut part: actix_multipart::Field,
        max_bytes: u64,
        accept: &[String],
    ) -> Result<Received, ReceiveError> {
        // A file input left empty arrives as a part with an empty file name and no bytes: that is "no
        // file", not an empty file, so test the name as sent, before it gets a default.
        let sent_name = part
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .unwrap_or("")
            .to_owned();
        let name = sanitize_name(&sent_name);
        let refused = |message: String| Received::Refused {
            field: field_name.to_owned(),
            message,
        };
        // The `TempPath` deletes the temp file when dropped: on errors, refusals, and when the request's
        // future is dropped because the client went away mid-upload.
        let mut store_error: Option<std::io::Error> = None;
        let mut sink = match tempfile::NamedTempFile::new_in(self.tmp_dir()) {
            Ok(t) => {
                let (file, path) = t.into_parts();
                Some((tokio::fs::File::from_std(file), path))
            }
            Err(e) => {
                store_error = Some(e);
                None
            }
        };
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        let mut head: Vec<u8> = Vec::with_capacity(512);
        let mut too_big = false;
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(|e| ReceiveError::Payload(e.to_string()))?;
            size += chunk.len() as u64;
            if size > max_bytes {
                too_big = true;
                sink = None;
                continue; // drain
            }
            if head.len() < 512 {
                head.extend_from_slice(&chunk[..chunk.len().min(512 - head.len())]);
            }
            hasher.update(&chunk);
            if let Some((file, _)) = sink.as_mut()
                && let Err(e) = file.write_all(&chunk).await
            {
                store_error = Some(e);
                sink = None;
            }
        }
        if let Some((file, _)) = sink.as_mut()
            && let Err(e) = file.flush().await
        {
            store_error = Some(e);
            sink = None;
        }
        if size == 0 && sent_name.trim().is_empty() {
            return Ok(Received::Empty);
        }
        let content_type = infer::get(&head)
            .map_or("application/octet-stream", |t| t.mime_type())
            .to_owned();
        if too_big {
            return Ok(refused(format!(
                "Le fichier « {name} » est trop lourd : il doit peser moins de {} Mo",
                max_bytes / (1024 * 1024)
            )));
        }
        if size == 0 {
            return Ok(refused(format!("Le fichier « {name} » est vide")));
        }
        if !accept.is_empty() && !accept.contains(&content_type) {
            // Named like an accepted type but something else inside (a text renamed .pdf, a damaged
            // file): saying « format non accepté » would puzzle someone whose file does end in .pdf.
            if let Some(claimed) = claimed_type(&name).filter(|t| accept.iter().any(|a| a == t)) {
                let kind = friendly(claimed);
                return Ok(refused(format!(
                    "Le fichier « {name} » porte le nom d’un fichier {kind}, mais son contenu n’est pas un {kind} : il est peut-être abîmé, ou c’est un autre type de fichier renommé. Ouvrez-le pour vérifier, enregistrez-le à nouveau en {kind}, puis ajoutez-le"
                )));
            }
            return Ok(refused(format!(
                "Le fichier « {name} » n’est pas d’un format accepté ({}). Enregistrez-le en PDF, JPEG ou PNG puis ajoutez-le à nouveau",
                accept.iter().map(|a| friendly(a)).collect::<Vec<_>>().join(", ")
            )));
        }
        let technical = || {
            refused(format!(
                "Le fichier « {name} » n’a pas pu être enregistré à cause d’un problème technique de notre côté. Vos autres réponses de cette page sont enregistrées : ajoutez ce fichier à nouveau dans quelques minutes"
            ))
        };
        let Some((file, tmp)) = sink else {
            let cause = store_error.map_or_else(|| "no temp file".to_owned(), |e| e.to_string());
            tracing::error!(error = %cause, "Upload could not be written to the file store");
            return Ok(technical());
        };
        drop(file);
        let mut pending = false;
        if let Some(clamd) = &self.clamd {
            match scan(clamd, &tmp).await {
                Verdict::Clean => {}
                Verdict::Unavailable(why) if self.hold => {
                    tracing::warn!(error = %why, "Antivirus unavailable: upload held for a later scan");
                    pending = true;
                }
                Verdict::Infected(signature) => {
                    tracing::warn!(%signature, "Infected upload refused");
                    return Ok(refused(format!(
                        "Le fichier « {name} » contient un virus : il n’a pas été enregistré. Analysez votre appareil avec un antivirus, puis envoyez une copie saine du document"
                    )));
                }
                Verdict::Unavailable(why) => {
                    tracing::error!(error = %why, "Antivirus unavailable: upload refused");
                    return Ok(refused(format!(
                        "Le fichier « {name} » n’a pas été enregistré : l’analyse antivirus des documents est momentanément indisponible. Réessayez dans quelques minutes"
                    )));
                }
            }
        }
        let sha256 = hex::encode(hasher.finalize());
        let Some(dest) = self.path_of(&sha256) else {
            return Ok(refused("Fichier illisible".into()));
        };
        // Directory, existence check, touch and rename are blocking calls: off the executor.
        let target = dest.clone();
        let stored = tokio::task::spawn_blocking(move || match target.parent() {
            Some(dir) => match std::fs::create_dir_all(dir) {
                Ok(()) if target.exists() => {
                    // Deduplicated: the collector's grace period starts again from this new reference.
                    touch(&target)
                }
                Ok(()) => tmp.persist(&target).map(|_| ()).map_err(|e| e.error),
                Err(e) => Err(e),
            },
            None => Err(std::io::Error::other("no parent directory")),
        })
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(e.to_string())));
        if let Err(e) = stored {
            tracing::error!(error = %e, "Upload could not be moved into the file store");
            return Ok(technical());
        }
        Ok(Received::Stored(StoredFile {
            field: field_name.to_owned(),
            sha256,
            name,
            size,
            content_type,
            pending,
        }))
    }
}

fn touch(path: &Path) -> std::io::Result<()> {
    std::fs::File::options()
        .write(true)
        .open(path)?
        .set_modified(SystemTime::now())
}

fn is_older(path: &Path, age: Duration) -> bool {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .is_some_and(|d| d >= age)
}

/// The type a file name claims by its extension, for the types we accept.
fn claimed_type(name: &str) -> Option<&'static str> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    match ext.as_str() {
        "pdf" => Some("application/pdf"),
        "jpg" | "jpeg" => Some("image/jpeg"),
        "png" => Some("image/png"),
        "heic" => Some("image/heic"),
        "webp" => Some("image/webp"),
        _ => None,
    }
}

fn friendly(mime: &str) -> &str {
    match mime {
        "application/pdf" => "PDF",
        "image/jpeg" => "JPEG",
        "image/png" => "PNG",
        "image/heic" => "HEIC",
        "image/webp" => "WebP",
        other => other,
    }
}

/// Keeps a display name safe: no path, no control or format characters (bidi overrides such as U+202E
/// would show `U+202E gpj.exe.pdf` as `fdp.exe.jpg`, zero-width ones hide text), bounded length.
pub fn sanitize_name(raw: &str) -> String {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && c.general_category() != GeneralCategory::Format)
        .take(120)
        .collect();
    let cleaned = cleaned.trim().to_owned();
    if cleaned.is_empty() {
        "document".to_owned()
    } else {
        cleaned
    }
}

/// Deletes the stored files older than `grace` that no dossier (answers, pending answers, repeating
/// groups included) and no message attachment references; returns how many. Files are shared between
/// dossiers by SHA-256, so a file goes only when nothing at all names it.
pub async fn collect_garbage(
    pool: &guichet_db::DbPool,
    store: &FileStore,
    grace: Duration,
) -> Result<usize, crate::error::WebError> {
    let candidates = {
        let store = store.clone();
        tokio::task::spawn_blocking(move || store.stored_older_than(grace))
            .await
            .map_err(|e| crate::error::WebError::Internal(e.to_string()))?
    };
    if candidates.is_empty() {
        return Ok(0);
    }
    let shas: Vec<String> = candidates.iter().map(|(s, _)| s.clone()).collect();
    let kept = pool
        .run(move |c| guichet_dossiers::files::referenced(c, &shas).map_err(crate::error::WebError::from))
        .await?;
    let mut removed = 0;
    for (sha, path) in candidates {
        // Checked again just before: a request may have stored the same bytes meanwhile.
        if !kept.contains(&sha) && is_older(&path, grace) && tokio::fs::remove_file(&path).await.is_ok() {
            removed += 1;
        }
    }
    Ok(removed)
}

/// Every hour: temp files left by a crash, and unreferenced stored files past their grace period.
pub fn spawn_collector(pool: guichet_db::DbPool, store: FileStore) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let sweeper = store.clone();
            let swept = tokio::task::spawn_blocking(move || sweeper.sweep_tmp(TMP_GRACE))
                .await
                .unwrap_or(0);
            match collect_garbage(&pool, &store, GC_GRACE).await {
                Ok(n) => tracing::info!(removed = n, temp_removed = swept, "File collector ran"),
                Err(e) => tracing::error!(error = %e, "File collector failed"),
            }
        }
    });
}

/// What one rescan of the held files did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Rescan {
    pub clean: usize,
    pub infected: usize,
    /// clamd still unreachable (or erring) for these: tried again at the next run.
    pub still_pending: usize,
}

/// Scans again the files stored while clamd was down. Clean: served from now on. Infected: marked (so
/// refused to everyone at once), every dossier naming it gets a history event and its owner an email,
/// then the bytes are deleted. Stops at the first file clamd cannot scan: it is down again.
pub async fn rescan_pending(state: &crate::app::AppState) -> Result<Rescan, crate::error::WebError> {
    use crate::error::WebError;
    let mut report = Rescan::default();
    let Some(clamd) = state.files.clamd().cloned() else {
        return Ok(report);
    };
    let pending = state
        .pool
        .run(|c| guichet_dossiers::scans::pending(c).map_err(WebError::from))
        .await?;
    for (i, sha) in pending.iter().enumerate() {
        let sha = sha.clone();
        let Some(path) = state.files.path_of(&sha) else {
            continue;
        };
        if !tokio::fs::try_exists(&path).await.unwrap_or(true) {
            // Removed by the collector (nothing named it): nothing left to scan or serve.
            state
                .pool
                .run(move |c| guichet_dossiers::scans::forget(c, &sha).map_err(WebError::from))
                .await?;
            continue;
        }
        match scan(&clamd, &path).await {
            Verdict::Clean => {
                state
                    .pool
                    .run(move |c| guichet_dossiers::scans::mark_clean(c, &sha).map_err(WebError::from))
                    .await?;
                report.clean += 1;
            }
            Verdict::Infected(signature) => {
                let procedures = state.procedures.clone();
                let public_url = state.settings.public_url.clone();
                let email = move |to: &str, procedure: &str, dossier_id: &str| {
                    let title = procedures
                        .get(procedure)
                        .map_or_else(|| procedure.to_owned(), |p| p.def.title().to_owned());
                    guichet_notify::emails::document_infected(
                        to,
                        &title,
                        &format!("{public_url}/dossiers/{dossier_id}"),
                    )
                };
                let told = {
                    let sha = sha.clone();
                    state
                        .pool
                        .run(move |c| {
                            guichet_dossiers::scans::mark_infected(c, &sha, &email).map_err(WebError::from)
                        })
                        .await?
                };
                tracing::warn!(%signature, dossiers = told.len(), "Held upload found infected: deleted");
                if let Err(e) = tokio::fs::remove_file(&path).await {
                    // Marked infected, so never served; the collector removes it once unreferenced.
                    tracing::error!(error = %e, "Infected file could not be deleted");
                }
                state.delivery.wake();
                report.infected += 1;
            }
            Verdict::Unavailable(why) => {
                tracing::warn!(error = %why, "Antivirus still unavailable: held files wait");
                report.still_pending = pending.len() - i;
                break;
            }
        }
    }
    Ok(report)
}

/// Every minute: the held files, once clamd answers again.
pub fn spawn_rescanner(state: crate::app::AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            match rescan_pending(&state).await {
                Ok(r) if r == Rescan::default() => {}
                Ok(r) => tracing::info!(
                    clean = r.clean,
                    infected = r.infected,
                    still_pending = r.still_pending,
                    "Held uploads rescanned"
                ),
                Err(e) => tracing::error!(error = %e, "Rescan of held uploads failed"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_their_paths_and_control_characters() {
        assert_eq!(sanitize_name("C:\\Users\\marie\\avis.pdf"), "avis.pdf");
        assert_eq!(sanitize_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_name("a\u{0}b\nc.pdf"), "abc.pdf");
        assert_eq!(sanitize_name(""), "document");
    }

    #[test]
    fn names_lose_bidi_and_other_format_characters() {
        assert_eq!(sanitize_name("\u{202e}gpj.exe.pdf"), "gpj.exe.pdf");
        assert_eq!(
            sanitize_name("a\u{200e}b\u{200f}c\u{2066}d\u{2067}e\u{2068}f\u{2069}g\u{200b}h\u{feff}.pdf"),
            "abcdefgh.pdf"
        );
        assert_eq!(sanitize_name("\u{202e}\u{200d}"), "document");
    }

    #[test]
    fn names_claim_a_type_by_their_extension() {
        assert_eq!(claimed_type("Avis.PDF"), Some("application/pdf"));
        assert_eq!(claimed_type("photo.jpeg"), Some("image/jpeg"));
        assert_eq!(claimed_type("lettre.docx"), None);
        assert_eq!(claimed_type("sans-extension"), None);
    }

    #[test]
    fn clamd_addresses_are_parsed() {
        assert_eq!(
            Clamd::parse("tcp://127.0.0.1:3310"),
            Some(Clamd::Tcp("127.0.0.1:3310".into()))
        );
        assert_eq!(
            Clamd::parse("unix:/run/clamav/clamd.ctl"),
            Some(Clamd::Unix(PathBuf::from("/run/clamav/clamd.ctl")))
        );
        assert_eq!(Clamd::parse("3310"), None);
    }

    #[test]
    fn only_hex_digests_map_to_paths() {
        let store = FileStore {
            root: PathBuf::from("/x"),
            clamd: None,
            hold: false,
        };
        assert!(store.path_of(&"a".repeat(64)).is_some());
        assert!(store.path_of("../../etc/passwd").is_none());
        assert!(store.path_of(&"g".repeat(64)).is_none());
    }
}

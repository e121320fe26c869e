//! Uploaded files: streamed to disk while hashed, bounded in size, typed by sniffing their first bytes
//! (never by the name or the browser's claim), then stored once under their SHA-256.

use std::path::{Path, PathBuf};

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
}

/// Where files live: `<data dir>/fichiers/<2 hex>/<sha256>`.
#[derive(Debug, Clone)]
pub struct FileStore {
    root: PathBuf,
}

impl FileStore {
    pub fn new(data_dir: &Path) -> std::io::Result<FileStore> {
        let root = data_dir.join("fichiers");
        std::fs::create_dir_all(root.join("tmp"))?;
        Ok(FileStore { root })
    }

    pub fn path_of(&self, sha256: &str) -> Option<PathBuf> {
        let ok = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit());
        ok.then(|| self.root.join(&sha256[..2]).join(sha256))
    }

    /// Reads one multipart file field to the end, storing it if it is within `max_bytes` and of an
    /// accepted type. Oversized parts are drained (not stored) so the fields after them are still read.
    pub async fn receive(
        &self,
        field_name: &str,
        mut part: actix_multipart::Field,
        max_bytes: u64,
        accept: &[String],
    ) -> std::io::Result<Received> {
        // A file input left empty arrives as a part with an empty file name and no bytes: that is "no
        // file", not an empty file, so test the name as sent, before it gets a default.
        let sent_name = part
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .unwrap_or("")
            .to_owned();
        let name = sanitize_name(&sent_name);
        let tmp = self.root.join("tmp").join(uuid_like());
        // tokio's file API: the upload streams while other requests are served on this thread.
        let mut file = tokio::fs::File::create(&tmp).await?;
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        let mut head: Vec<u8> = Vec::with_capacity(512);
        let mut too_big = false;
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(|e| std::io::Error::other(e.to_string()))?;
            size += chunk.len() as u64;
            if size > max_bytes {
                too_big = true;
                continue; // drain
            }
            if head.len() < 512 {
                head.extend_from_slice(&chunk[..chunk.len().min(512 - head.len())]);
            }
            hasher.update(&chunk);
            file.write_all(&chunk).await?;
        }
        file.flush().await?;
        drop(file);
        if size == 0 && sent_name.trim().is_empty() {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Ok(Received::Empty);
        }
        let content_type = infer::get(&head)
            .map_or("application/octet-stream", |t| t.mime_type())
            .to_owned();
        let refusal = if too_big {
            Some(format!(
                "Le fichier « {name} » est trop lourd : il doit peser moins de {} Mo",
                max_bytes / (1024 * 1024)
            ))
        } else if size == 0 {
            Some(format!("Le fichier « {name} » est vide"))
        } else if !accept.is_empty() && !accept.contains(&content_type) {
            Some(format!(
                "Le fichier « {name} » n’est pas d’un format accepté ({}). Enregistrez-le en PDF, JPEG ou PNG puis ajoutez-le à nouveau",
                accept.iter().map(|a| friendly(a)).collect::<Vec<_>>().join(", ")
            ))
        } else {
            None
        };
        if let Some(message) = refusal {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Ok(Received::Refused {
                field: field_name.to_owned(),
                message,
            });
        }
        let sha256 = hex::encode(hasher.finalize());
        let Some(dest) = self.path_of(&sha256) else {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Ok(Received::Refused {
                field: field_name.to_owned(),
                message: "Fichier illisible".into(),
            });
        };
        if let Some(dir) = dest.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        if tokio::fs::try_exists(&dest).await? {
            tokio::fs::remove_file(&tmp).await?;
        } else {
            tokio::fs::rename(&tmp, &dest).await?;
        }
        Ok(Received::Stored(StoredFile {
            field: field_name.to_owned(),
            sha256,
            name,
            size,
            content_type,
        }))
    }
}

fn friendly(mime: &str) -> &str {
    match mime {
        "application/pdf" => "PDF",
        "image/jpeg" => "JPEG",
        "image/png" => "PNG",
        other => other,
    }
}

fn uuid_like() -> String {
    guichet_accounts::tokens::random_token()
}

/// Keeps a display name safe: no path, no control characters, bounded length.
pub fn sanitize_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base.chars().filter(|c| !c.is_control()).take(120).collect();
    let cleaned = cleaned.trim().to_owned();
    if cleaned.is_empty() {
        "document".to_owned()
    } else {
        cleaned
    }
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
    fn only_hex_digests_map_to_paths() {
        let store = FileStore {
            root: PathBuf::from("/x"),
        };
        assert!(store.path_of(&"a".repeat(64)).is_some());
        assert!(store.path_of("../../etc/passwd").is_none());
        assert!(store.path_of(&"g".repeat(64)).is_none());
    }
}

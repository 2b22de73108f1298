//! Where asset files live: [`Blobs`], implemented by a local directory (the embedded default,
//! uploads and downloads served by tessera itself with signed, expiring URLs) and by any
//! S3-compatible object store (uploads go straight to it with presigned POST policies,
//! downloads with presigned GETs: file bytes never pass through tessera's nodes).

use super::sign::Signer;
use async_trait::async_trait;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// Where and how a client uploads one file: a `multipart/form-data` POST to `url` with
/// `fields` as they are, then the file as the last field, named `file`.
#[derive(Debug, Clone)]
pub struct UploadForm {
    pub url: String,
    pub fields: Map<String, Value>,
}

/// Errors here are the operator's to read (logged), never a client's.
pub type BlobResult<T> = Result<T, String>;

#[async_trait]
pub trait Blobs: Send + Sync {
    /// The form for uploading one file of at most `max_bytes` to `key`, until `expires_at`
    /// (epoch ms), declared as `content_type`.
    async fn upload_form(
        &self,
        key: &str,
        max_bytes: u64,
        content_type: &str,
        expires_at: i64,
    ) -> BlobResult<UploadForm>;
    /// The stored object's size; `None` if there is none.
    async fn size(&self, key: &str) -> BlobResult<Option<u64>>;
    /// `n` bytes of the object from `offset` (fewer where it ends).
    async fn read(&self, key: &str, offset: u64, n: u64) -> BlobResult<Vec<u8>>;
    async fn write(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> BlobResult<()>;
    async fn delete(&self, key: &str) -> BlobResult<()>;
    /// A URL that downloads the object as `content_type`, valid until `expires_at` (epoch ms).
    async fn download_url(&self, key: &str, content_type: &str, expires_at: i64) -> BlobResult<String>;
    /// The local directory, when files are kept in one (tessera then serves them itself).
    fn local(&self) -> Option<&LocalBlobs> {
        None
    }
    /// The origin uploads and downloads go to when it is not tessera's own (pages that upload
    /// or show files must allow it).
    fn origin(&self) -> Option<String> {
        None
    }
}

/// Open the store a `storage_url` names.
pub fn open(
    url: &str,
    credentials: Option<&(String, String)>,
    base: &str,
    signer: Signer,
) -> Result<Box<dyn Blobs>, String> {
    if let Some(dir) = url.strip_prefix("file://") {
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(dir.join(".partial"))
            .map_err(|e| format!("cannot create asset directory {}: {e}", dir.display()))?;
        return Ok(Box::new(LocalBlobs { dir, base: base.to_string(), signer }));
    }
    if url.starts_with("s3://") {
        return Ok(Box::new(super::s3::S3Blobs::open(url, credentials)?));
    }
    Err(format!("unsupported storage_url {url:?}: expected file://DIR or s3://BUCKET?endpoint=URL&region=NAME"))
}

/// Whether `key` is one tessera makes: segments of letters, digits, `-` and `_`, joined by `/`.
pub fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 512
        && key
            .split('/')
            .all(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

/// Files in a directory, named by their keys.
pub struct LocalBlobs {
    dir: PathBuf,
    /// The server's public base URL, which the upload and download URLs start with.
    base: String,
    pub(crate) signer: Signer,
}

impl LocalBlobs {
    pub fn path(&self, key: &str) -> BlobResult<PathBuf> {
        if !valid_key(key) {
            return Err(format!("invalid object key {key:?}"));
        }
        Ok(self.dir.join(key))
    }

    /// A new file for an upload in progress, moved into place by [`LocalBlobs::commit`].
    pub fn partial(&self) -> PathBuf {
        self.dir.join(".partial").join(tessera_core::ids::new_id())
    }

    pub async fn commit(&self, partial: &Path, key: &str) -> BlobResult<()> {
        let path = self.path(key)?;
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await.map_err(|e| e.to_string())?;
        }
        tokio::fs::rename(partial, &path).await.map_err(|e| e.to_string())
    }
}

#[async_trait]
impl Blobs for LocalBlobs {
    async fn upload_form(
        &self,
        key: &str,
        max_bytes: u64,
        content_type: &str,
        expires_at: i64,
    ) -> BlobResult<UploadForm> {
        let mut fields = Map::new();
        fields.insert("key".into(), key.into());
        fields.insert("Content-Type".into(), content_type.into());
        fields.insert("max".into(), max_bytes.to_string().into());
        fields.insert("expires".into(), expires_at.to_string().into());
        let signature =
            self.signer.sign(&["upload", key, content_type, &max_bytes.to_string(), &expires_at.to_string()]);
        fields.insert("signature".into(), signature.into());
        Ok(UploadForm { url: format!("{}/v3/storage", self.base), fields })
    }

    async fn size(&self, key: &str) -> BlobResult<Option<u64>> {
        match tokio::fs::metadata(self.path(key)?).await {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    async fn read(&self, key: &str, offset: u64, n: u64) -> BlobResult<Vec<u8>> {
        use tokio::io::{AsyncReadExt, AsyncSeekExt};
        let mut file = tokio::fs::File::open(self.path(key)?).await.map_err(|e| e.to_string())?;
        file.seek(std::io::SeekFrom::Start(offset)).await.map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        file.take(n).read_to_end(&mut out).await.map_err(|e| e.to_string())?;
        Ok(out)
    }

    async fn write(&self, key: &str, bytes: Vec<u8>, _content_type: &str) -> BlobResult<()> {
        let partial = self.partial();
        tokio::fs::write(&partial, bytes).await.map_err(|e| e.to_string())?;
        self.commit(&partial, key).await
    }

    async fn delete(&self, key: &str) -> BlobResult<()> {
        match tokio::fs::remove_file(self.path(key)?).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.to_string()),
            _ => Ok(()),
        }
    }

    async fn download_url(&self, key: &str, content_type: &str, expires_at: i64) -> BlobResult<String> {
        let exp = expires_at.to_string();
        let signature = self.signer.sign(&["download", key, content_type, &exp]);
        let ct = url::form_urlencoded::byte_serialize(content_type.as_bytes()).collect::<String>();
        Ok(format!("{}/v3/storage/{key}?type={ct}&expires={exp}&signature={signature}", self.base))
    }

    fn local(&self) -> Option<&LocalBlobs> {
        Some(self)
    }
}

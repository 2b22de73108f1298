//! Asset files: the object store behind images, documents and videos ([`blobs`]), the upload
//! flow (create → upload → `processAsset` → processing, every step an event), signed download
//! URLs, and the sweeper that fails uploads that never finished and resumes stalled processing.

pub mod blobs;
pub mod fetch;
pub mod process;
mod s3;
pub mod sign;

use crate::config::Config;
use blobs::{Blobs, UploadForm};
use std::sync::Arc;
use tessera_core::auth::Principal;
use tessera_core::element::asset::{AssetLimits, Upload, UploadPart};
use tessera_core::element::{Element, ElementType};
use tessera_core::event::Actor;
use tessera_core::ids::{ElementId, WorkspaceId};
use tessera_core::model::now_millis;
use tessera_core::service::Core;
use tessera_core::{Error, Result};

/// How long processing may seem stalled before another node (or this one) takes it over.
const STALLED_MS: i64 = 10 * 60 * 1000;

pub struct Assets {
    core: Core,
    pub blobs: Arc<dyn Blobs>,
    pub limits: AssetLimits,
    fetcher: fetch::Fetcher,
}

impl Assets {
    /// The object store the configuration names, with the URL-signing key every node shares.
    pub async fn open(config: &Config, core: &Core) -> std::result::Result<Arc<Assets>, String> {
        let candidate = tessera_core::ids::new_id() + &tessera_core::ids::new_id();
        let key = core.server_secret("asset_urls", &candidate).await.map_err(|e| e.to_string())?;
        let signer = sign::Signer::new(key.as_bytes());
        let blobs = blobs::open(&config.storage_url, config.s3_credentials.as_ref(), &config.issuer, signer)?;
        let fetcher = fetch::Fetcher::new(config.fetch_allow.clone(), "tessera asset fetcher")?;
        Ok(Arc::new(Assets { core: core.clone(), blobs: Arc::from(blobs), limits: config.assets.clone(), fetcher }))
    }

    /// Create an image, document or video and hand out its uploads: the file's, and the
    /// preview's when the input names a `previewFormat`. With a `sourceUrl`, tessera fetches
    /// the file itself (in the background) and hands out nothing.
    pub async fn create(
        self: &Arc<Self>,
        p: &Principal,
        ws: &WorkspaceId,
        ty: ElementType,
        input: serde_json::Value,
        relative_to: Option<&ElementId>,
    ) -> Result<(Element, Vec<(Upload, UploadForm)>)> {
        let source = input.get("sourceUrl").and_then(|u| u.as_str()).map(str::to_string);
        let preview_type = preview_type(input.get("previewFormat").and_then(|f| f.as_str()));
        if let Some(url) = &source {
            self.fetcher.check(url).map_err(|e| Error::bad_input(format!("sourceUrl: {e}")))?;
        }
        let (el, uploads) = self.core.create_asset_element(p, ws, ty, input, relative_to, &self.limits).await?;
        if let Some(url) = source {
            self.spawn_fetch(url, uploads);
            return Ok((el, Vec::new()));
        }
        let content_type = match el.body.declared_format() {
            Some(d) => declared_type(d),
            None => "application/octet-stream",
        };
        let mut handed = Vec::new();
        for u in uploads {
            let ct = if u.part == UploadPart::Preview { preview_type } else { content_type };
            let form = self.blobs.upload_form(&u.object, u.max_bytes, ct, u.expires_at).await.map_err(store_err)?;
            handed.push((u, form));
        }
        Ok((el, handed))
    }

    /// `processAsset`: start processing the element whose upload this is (in the background;
    /// its events tell how it ends).
    pub async fn process(
        self: &Arc<Self>,
        p: &Principal,
        ws: &WorkspaceId,
        upload_id: &str,
        failure: Option<String>,
    ) -> Result<()> {
        if let Some(uploads) = self.core.start_processing(p, ws, upload_id, failure).await? {
            self.spawn(uploads);
        }
        Ok(())
    }

    fn spawn(self: &Arc<Self>, uploads: Vec<Upload>) {
        let me = self.clone();
        tokio::spawn(async move {
            let Some(first) = uploads.first() else { return };
            let (ws, id) = (first.workspace_id.clone(), first.element_id.clone());
            let declared = match me.core.element_of_upload(first).await {
                Ok(Some(el)) => el.body.declared_format(),
                Ok(None) => None,
                Err(e) => {
                    // Left `processing`: the sweeper takes it up again later.
                    tracing::warn!(error = %e, "asset processing: cannot read the element");
                    return;
                }
            };
            let outcome = match declared {
                Some(d) => process::run(me.blobs.as_ref(), &uploads, d).await,
                None => Err("the element is gone".to_string()),
            };
            if let Err(reason) = &outcome {
                tracing::info!(element = %id, %reason, "asset processing failed");
            }
            if let Err(e) = me.core.finish_asset(&ws, &id, outcome, &Actor::system()).await {
                tracing::warn!(error = %e, "asset processing: cannot record the outcome");
                return;
            }
            for u in uploads.iter().filter(|u| u.part == UploadPart::Preview) {
                me.delete(&u.object).await;
            }
        });
    }

    /// Fetch a `sourceUrl` into the element's file, then process it; a refused or failed
    /// fetch fails the asset with the reason.
    fn spawn_fetch(self: &Arc<Self>, url: String, uploads: Vec<Upload>) {
        let me = self.clone();
        tokio::spawn(async move {
            let Some(content) = uploads.iter().find(|u| u.part == UploadPart::Content) else { return };
            let (ws, id) = (content.workspace_id.clone(), content.element_id.clone());
            let fetched = match me.fetcher.fetch(&url, content.max_bytes).await {
                Ok(bytes) => me.blobs.write(&content.object, bytes, "application/octet-stream").await.map_err(|e| {
                    tracing::error!(error = %e, "asset storage: cannot store a fetched file");
                    "the fetched file could not be stored".to_string()
                }),
                Err(reason) => Err(reason),
            };
            let system = Actor::system();
            let outcome = match fetched {
                Ok(()) => me.core.begin_processing(&ws, &id, &system).await.map(|u| u.map(|u| me.spawn(u))),
                Err(reason) => {
                    me.core.finish_asset(&ws, &id, Err(format!("sourceUrl: {reason}")), &system).await.map(|_| None)
                }
            };
            if let Err(e) = outcome {
                tracing::warn!(error = %e, "asset fetch: cannot record the outcome");
            }
        });
    }

    async fn delete(&self, key: &str) {
        if let Err(e) = self.blobs.delete(key).await {
            tracing::warn!(error = %e, "asset storage: cannot delete an object");
        }
    }

    /// Fail the uploads that expired (deleting what was stored of them) and take up
    /// processing that stalled. Returns how many uploads it handled.
    pub async fn sweep(self: &Arc<Self>) -> Result<usize> {
        let (expired, again) = self.core.sweep_uploads(now_millis() - STALLED_MS, 100).await?;
        for u in &expired {
            self.delete(&u.object).await;
        }
        let n = expired.len() + again.len();
        for uploads in again {
            self.spawn(uploads);
        }
        Ok(n)
    }

    /// Sweep every `every` until the process ends.
    pub fn run_sweeper(self: Arc<Self>, every: std::time::Duration) {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                if let Err(e) = self.sweep().await {
                    tracing::warn!(error = %e, "asset sweeper");
                }
            }
        });
    }

    /// A signed URL that downloads `key` as `content_type`; it expires 10 to 20 minutes from
    /// now (the same URL for ten minutes, so browsers can cache it).
    pub async fn url(&self, key: &str, content_type: &str) -> Option<String> {
        const WINDOW: i64 = 10 * 60 * 1000;
        let expires_at = (now_millis() / WINDOW + 2) * WINDOW;
        match self.blobs.download_url(key, content_type, expires_at).await {
            Ok(url) => Some(url),
            Err(e) => {
                tracing::warn!(error = %e, "asset storage: cannot sign a download URL");
                None
            }
        }
    }
}

/// The MIME type a preview of the declared `previewFormat` is uploaded as.
fn preview_type(format: Option<&str>) -> &'static str {
    match format {
        Some("jpeg" | "jpg" | "jpegMime") => "image/jpeg",
        Some("gif" | "gifMime") => "image/gif",
        Some("tiff" | "tif" | "tiffMime") => "image/tiff",
        _ => "image/png",
    }
}

/// The MIME type of the format an element declares, which its upload must be sent as.
fn declared_type(d: tessera_core::element::asset::Declared) -> &'static str {
    use tessera_core::element::asset::Declared;
    use tessera_core::element::{DocumentFormat as D, ImageFormat as I, VideoFormat as V};
    match d {
        Declared::Image(I::Png) => "image/png",
        Declared::Image(I::Jpeg) => "image/jpeg",
        Declared::Image(I::Gif) => "image/gif",
        Declared::Image(I::Tiff) => "image/tiff",
        Declared::Document(D::Pdf) => "application/pdf",
        Declared::Video(V::Mp4) => "video/mp4",
        Declared::Video(V::Quicktime) => "video/quicktime",
        Declared::Video(V::Webm) => "video/webm",
        _ => "application/octet-stream",
    }
}

fn store_err(e: String) -> Error {
    tracing::error!(error = %e, "asset storage");
    Error::Unavailable("the asset store cannot be reached".into())
}

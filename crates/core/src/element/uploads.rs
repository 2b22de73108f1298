//! The asset use cases: creating an image, document or video whose file is uploaded (or
//! fetched) afterwards, `processAsset`, recording what processing found, and sweeping uploads
//! that never finished. Every state an asset goes through is an event on the workspace's log
//! (`UploadAssetCommand`); the bytes themselves are the object store's, which the server drives.

use crate::auth::Principal;
use crate::element::asset::{Asset, AssetLimits, IngestionState, Upload, UploadPart};
use crate::element::{Element, ElementType};
use crate::error::{Error, Result};
use crate::event::{Actor, EventPayload};
use crate::ids::{new_id, ElementId, WorkspaceId};
use crate::model::now_millis;
use crate::permission::Permission;
use crate::ports::ElementQuery;
use crate::service::{actor_of, Core};
use serde_json::{json, Value as Json};

/// What processing read from a stored file.
#[derive(Debug, Clone, PartialEq)]
pub struct Processed {
    /// The file's own size (a document's first page, a video's frame), when it could be read.
    pub size: Option<(f64, f64)>,
    /// The preview image's key in the object store (a PNG), if one was made.
    pub preview: Option<String>,
    /// The file's type, as its first bytes say.
    pub mime: &'static str,
    pub bytes: u64,
    pub pages: Option<u32>,
    /// A video's duration in seconds.
    pub seconds: Option<f64>,
}

impl Core {
    /// Create an image, document or video whose file comes later: the element, its asset
    /// `transferring`, and its uploads (the file's, and a preview's when the input names a
    /// `previewFormat`), which expire after `limits.upload_seconds`.
    pub async fn create_asset_element(
        &self,
        p: &Principal,
        ws: &WorkspaceId,
        ty: ElementType,
        input: Json,
        relative_to: Option<&ElementId>,
        limits: &AssetLimits,
    ) -> Result<(Element, Vec<Upload>)> {
        let with_preview = input.get("previewFormat").is_some_and(|f| !f.is_null());
        let mut el = self.new_element(p, ws, ty, input, relative_to).await?;
        let now = now_millis();
        let upload = |part: UploadPart| {
            let id = new_id();
            Upload {
                object: format!("{ws}/{}/{id}", el.id),
                id,
                workspace_id: ws.clone(),
                element_id: el.id.clone(),
                element_type: ty,
                part,
                max_bytes: limits.max_bytes(ty, part),
                expires_at: now + limits.upload_seconds * 1000,
                state: IngestionState::Transferring,
                updated_at: now,
            }
        };
        let mut uploads = vec![upload(UploadPart::Content)];
        if with_preview {
            uploads.push(upload(UploadPart::Preview));
        }
        let asset = Asset {
            state: IngestionState::Transferring,
            object: uploads[0].object.clone(),
            mime: None,
            preview: None,
            failure: None,
            bytes: None,
            pages: None,
            seconds: None,
        };
        let (slot, _, _) =
            el.body.asset_parts().ok_or_else(|| Error::bad_input("only images, documents and videos have files"))?;
        *slot = Some(asset);
        // The uploads first: an element that fails to be written leaves only uploads, which expire.
        for u in &uploads {
            self.store.insert_upload(u).await?;
        }
        self.store.insert_element(&el, &actor_of(p)).await?;
        Ok((el, uploads))
    }

    /// `processAsset`: the client finished uploading (or says why it could not: `failure`).
    /// Given any of an element's upload ids, moves its asset to `processing` and returns its
    /// uploads for the server to process; `None` when there is nothing more to do (processing
    /// was started already, or the client reported a failure, which is recorded).
    pub async fn start_processing(
        &self,
        p: &Principal,
        ws: &WorkspaceId,
        upload_id: &str,
        failure: Option<String>,
    ) -> Result<Option<Vec<Upload>>> {
        self.authorize(p, ws, Permission::ElementUpdate).await?;
        let given = self.store.upload(upload_id).await?.filter(|u| &u.workspace_id == ws);
        let given = given.ok_or(Error::NotFound("upload"))?;
        let actor = actor_of(p);
        if let Some(reason) = failure {
            if self.transferring(ws, &given.element_id).await?.is_some() {
                self.finish_asset(ws, &given.element_id, Err(reason), &actor).await?;
            }
            return Ok(None);
        }
        self.begin_processing(ws, &given.element_id, &actor).await
    }

    /// The element's uploads, if its file is still transferring.
    async fn transferring(&self, ws: &WorkspaceId, element: &ElementId) -> Result<Option<Vec<Upload>>> {
        let uploads = self.store.uploads_of(ws, element).await?;
        let lead = uploads.iter().find(|u| u.part == UploadPart::Content);
        Ok(lead.is_some_and(|u| u.state == IngestionState::Transferring).then_some(uploads))
    }

    /// Move an element's asset from `transferring` to `processing` (exactly one caller wins)
    /// and return its uploads to process; `None` if it was not transferring.
    pub async fn begin_processing(
        &self,
        ws: &WorkspaceId,
        element: &ElementId,
        actor: &Actor,
    ) -> Result<Option<Vec<Upload>>> {
        let Some(uploads) = self.transferring(ws, element).await? else { return Ok(None) };
        let Some(lead) = uploads.iter().find(|u| u.part == UploadPart::Content) else { return Ok(None) };
        if !self.store.claim_upload(lead, IngestionState::Processing, now_millis()).await? {
            return Ok(None);
        }
        self.record_ingestion(ws, element, actor, None).await?;
        Ok(Some(uploads))
    }

    /// Processing of an element's asset ended: its state becomes `complete_success` (the file's
    /// real size is kept, and the element is scaled to fit and centred in the box it asked
    /// for) or `complete_failure` with the reason; then its uploads are forgotten.
    pub async fn finish_asset(
        &self,
        ws: &WorkspaceId,
        element: &ElementId,
        outcome: std::result::Result<Processed, String>,
        actor: &Actor,
    ) -> Result<()> {
        self.record_ingestion(ws, element, actor, Some(&outcome)).await?;
        self.store.delete_uploads(ws, element).await
    }

    /// Uploads left behind, `limit` at a time: those still transferring past their expiry fail
    /// (their uploads are returned, for the server to delete what was stored of them), and
    /// those processing since before `stalled_before` (a node stopped mid-way) are claimed
    /// again and returned with the element's other uploads, to be processed again.
    pub async fn sweep_uploads(&self, stalled_before: i64, limit: u32) -> Result<(Vec<Upload>, Vec<Vec<Upload>>)> {
        let now = now_millis();
        let (mut expired, mut again) = (Vec::new(), Vec::new());
        for u in self.store.stale_uploads(now, stalled_before, limit).await? {
            if u.state == IngestionState::Transferring {
                let reason = "the upload did not finish before it expired".to_string();
                if u.part == UploadPart::Content {
                    self.finish_asset(&u.workspace_id, &u.element_id, Err(reason), &Actor::system()).await?;
                }
                expired.push(u);
            } else if u.part == UploadPart::Content
                && self.store.claim_upload(&u, IngestionState::Processing, now).await?
            {
                again.push(self.store.uploads_of(&u.workspace_id, &u.element_id).await?);
            }
        }
        Ok((expired, again))
    }

    /// Whether upload `id` still takes its file: it exists and processing has not claimed it.
    /// (A form stays signed until it expires; once processing starts, the file is not replaced.)
    pub async fn upload_takes_file(&self, id: &str) -> Result<bool> {
        let upload = self.store.upload(id).await?;
        Ok(upload.is_some_and(|u| u.state == IngestionState::Transferring))
    }

    /// The element an upload belongs to, as it is now (for processing: no principal, the
    /// server's own read).
    pub async fn element_of_upload(&self, upload: &Upload) -> Result<Option<Element>> {
        Ok(self.store.elements(&upload.workspace_id, ElementQuery::one(&upload.element_id)).await?.pop())
    }

    /// The server-wide secret called `name`, the same on every node (`candidate` if none was
    /// stored yet).
    pub async fn server_secret(&self, name: &str, candidate: &str) -> Result<String> {
        self.store.server_secret(name, candidate).await
    }

    /// Move an element's asset on, and log it: to `processing` (no outcome yet), or to
    /// `complete_success` with what processing found, or `complete_failure` with the reason.
    async fn record_ingestion(
        &self,
        ws: &WorkspaceId,
        id: &ElementId,
        actor: &Actor,
        outcome: Option<&std::result::Result<Processed, String>>,
    ) -> Result<()> {
        let state = match outcome {
            None => IngestionState::Processing,
            Some(Ok(_)) => IngestionState::CompleteSuccess,
            Some(Err(_)) => IngestionState::CompleteFailure,
        };
        let change = |mut el: Element| -> Result<(Option<Element>, EventPayload)> {
            let element_type = el.element_type();
            let transform = &mut el.transform;
            let (slot, width, height) = el.body.asset_parts().ok_or(Error::NotFound("asset"))?;
            let asset = slot.as_mut().ok_or(Error::NotFound("asset"))?;
            asset.state = state;
            let mut data = json!({});
            match outcome {
                Some(Ok(found)) => {
                    (asset.preview, asset.bytes, asset.pages) = (found.preview.clone(), Some(found.bytes), found.pages);
                    asset.mime = Some(found.mime.to_string());
                    asset.seconds = found.seconds;
                    if let Some((w, h)) = found.size.filter(|(w, h)| *w > 0.0 && *h > 0.0) {
                        let fit = (*width / w).min(*height / h);
                        transform.x += (*width - w * fit) * transform.scale_x / 2.0;
                        transform.y += (*height - h * fit) * transform.scale_y / 2.0;
                        (transform.scale_x, transform.scale_y) = (transform.scale_x * fit, transform.scale_y * fit);
                        (*width, *height) = (w, h);
                        data = json!({"width": w, "height": h, "transform": transform});
                    }
                }
                Some(Err(reason)) => asset.failure = Some(reason.clone()),
                None => {}
            }
            el.updated_at = now_millis();
            let payload =
                EventPayload::AssetIngested { element_id: el.id.clone(), element_type, ingestion_state: state, data };
            Ok((Some(el), payload))
        };
        // An element deleted meanwhile has nothing left to record.
        self.store.change_element(ws, id, actor, &change).await?;
        Ok(())
    }
}

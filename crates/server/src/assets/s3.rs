//! Asset files in any S3-compatible object store, through the `rust-s3` crate (signing is
//! the crate's): uploads by presigned POST policies (the exact key, the size range and the
//! content type fixed by the policy), downloads by presigned GETs that also fix the type
//! the file is served as.

use super::blobs::{BlobResult, Blobs, UploadForm};
use async_trait::async_trait;
use s3::creds::Credentials;
use s3::post_policy::{PostPolicy, PostPolicyField, PostPolicyValue};
use s3::{Bucket, Region};
use serde_json::Map;
use std::borrow::Cow;
use std::collections::HashMap;

pub struct S3Blobs {
    bucket: Box<Bucket>,
}

/// Seconds from now until `expires_at` (epoch ms), at least one.
fn seconds_until(expires_at: i64) -> u32 {
    let ms = expires_at - tessera_core::model::now_millis();
    (ms / 1000).clamp(1, 7 * 86_400) as u32
}

impl S3Blobs {
    /// `s3://BUCKET?endpoint=URL&region=NAME` (without an endpoint: AWS in that region).
    pub fn open(url: &str, credentials: Option<&(String, String)>) -> Result<S3Blobs, String> {
        let parsed = url::Url::parse(url).map_err(|e| format!("invalid storage_url: {e}"))?;
        let name = parsed.host_str().filter(|h| !h.is_empty()).ok_or("storage_url names no bucket: s3://BUCKET")?;
        let q: HashMap<_, _> = parsed.query_pairs().into_owned().collect();
        let region_name = q.get("region").cloned().unwrap_or_else(|| "us-east-1".into());
        let region = match q.get("endpoint") {
            Some(endpoint) => Region::Custom { region: region_name, endpoint: endpoint.clone() },
            None => region_name.parse().map_err(|e| format!("storage_url region: {e}"))?,
        };
        let creds = match credentials {
            Some((key, secret)) => Credentials::new(Some(key), Some(secret), None, None, None),
            None => Credentials::default(),
        }
        .map_err(|e| format!("object store credentials: {e}"))?;
        let bucket = Bucket::new(name, region, creds).map_err(|e| format!("object store: {e}"))?;
        let bucket =
            if q.get("style").map(String::as_str) == Some("virtual") { bucket } else { bucket.with_path_style() };
        Ok(S3Blobs { bucket })
    }
}

fn err(e: impl std::fmt::Display) -> String {
    format!("object store: {e}")
}

#[async_trait]
impl Blobs for S3Blobs {
    async fn upload_form(
        &self,
        key: &str,
        max_bytes: u64,
        content_type: &str,
        expires_at: i64,
    ) -> BlobResult<UploadForm> {
        let policy = PostPolicy::new(seconds_until(expires_at))
            .condition(PostPolicyField::Key, PostPolicyValue::Exact(Cow::Borrowed(key)))
            .and_then(|p| {
                p.condition(PostPolicyField::ContentType, PostPolicyValue::Exact(Cow::Borrowed(content_type)))
            })
            .and_then(|p| p.condition(PostPolicyField::ContentLengthRange, PostPolicyValue::Range(1, max_bytes as u32)))
            .map_err(err)?;
        let post = self.bucket.presign_post(policy).await.map_err(err)?;
        let mut fields = Map::new();
        for (k, v) in post.fields {
            fields.insert(k, v.into());
        }
        Ok(UploadForm { url: post.url, fields })
    }

    async fn size(&self, key: &str) -> BlobResult<Option<u64>> {
        match self.bucket.head_object(key).await {
            Ok((head, 200)) => Ok(head.content_length.map(|n| n.max(0) as u64)),
            Ok((_, 404)) | Err(s3::error::S3Error::HttpFailWithBody(404, _)) => Ok(None),
            Ok((_, code)) => Err(format!("object store: HEAD {key} answered {code}")),
            Err(e) => Err(err(e)),
        }
    }

    async fn read(&self, key: &str, offset: u64, n: u64) -> BlobResult<Vec<u8>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        let r = self.bucket.get_object_range(key, offset, Some(offset + n - 1)).await.map_err(err)?;
        match r.status_code() {
            200 | 206 => Ok(r.bytes().to_vec()),
            code => Err(format!("object store: GET {key} answered {code}")),
        }
    }

    async fn write(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> BlobResult<()> {
        let r = self.bucket.put_object_with_content_type(key, &bytes, content_type).await.map_err(err)?;
        match r.status_code() {
            200 | 201 | 204 => Ok(()),
            code => Err(format!("object store: PUT {key} answered {code}")),
        }
    }

    async fn delete(&self, key: &str) -> BlobResult<()> {
        match self.bucket.delete_object(key).await {
            Ok(_) | Err(s3::error::S3Error::HttpFailWithBody(404, _)) => Ok(()),
            Err(e) => Err(err(e)),
        }
    }

    fn origin(&self) -> Option<String> {
        url::Url::parse(&self.bucket.url()).ok().map(|u| u.origin().ascii_serialization())
    }

    async fn download_url(&self, key: &str, content_type: &str, expires_at: i64) -> BlobResult<String> {
        let mut q = HashMap::new();
        q.insert("response-content-type".to_string(), content_type.to_string());
        self.bucket.presign_get(key, seconds_until(expires_at), Some(q)).await.map_err(err)
    }
}

//! Processing a stored file: its size checked against the limit, its first bytes against the
//! format its element declares; for images (and uploaded previews) the real width and height
//! read and a preview made, by the `image` crate, off the async threads; for MP4/QuickTime
//! videos the picture's size and the duration read from the movie box.

use super::blobs::Blobs;
use tessera_core::element::asset::{self, Declared, Sniffed, Upload, UploadPart};
use tessera_core::element::{ImageFormat, Processed};

/// The longest side of a preview, in pixels.
pub const PREVIEW_SIDE: u32 = 512;
/// How much of a video is read to tell its format.
const SNIFF_BYTES: u64 = 64 * 1024;

/// Process an element's uploads: `Err` is the reason it failed, for the element to show.
pub async fn run(blobs: &dyn Blobs, uploads: &[Upload], declared: Declared) -> Result<Processed, String> {
    let content = uploads.iter().find(|u| u.part == UploadPart::Content).ok_or("no file was uploaded")?;
    let stored = blobs.size(&content.object).await.map_err(internal)?;
    let bytes = stored.ok_or("no file was uploaded")?;
    if bytes == 0 || bytes > content.max_bytes {
        return Err(format!("the file has {bytes} bytes: it must have 1 to {} bytes", content.max_bytes));
    }
    let whole = !matches!(declared, Declared::Video(_));
    let data = blobs.read(&content.object, 0, if whole { bytes } else { SNIFF_BYTES }).await.map_err(internal)?;
    let found = asset::sniff(&data).ok_or("the file is not of a format tessera knows")?;
    if !asset::fits(declared, found) {
        return Err(format!("the file is {}, not the format the element declares", found.name()));
    }
    let mut size = None;
    let mut seconds = None;
    if found == Sniffed::IsoMedia {
        if let Some(meta) = movie(blobs, &content.object, bytes).await {
            (size, seconds) = (Some((meta.width, meta.height)), meta.seconds);
        }
    }
    let mut preview = None;
    let preview_key = format!("{}-preview", content.object);
    if let Sniffed::Image(ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::Gif) = found {
        let (w, h, png) = decode_and_shrink(data).await?;
        size = Some((f64::from(w), f64::from(h)));
        blobs.write(&preview_key, png, "image/png").await.map_err(internal)?;
        preview = Some(preview_key);
    } else if let Some(up) = uploads.iter().find(|u| u.part == UploadPart::Preview) {
        // A document's or video's preview, uploaded by the client: only ever served as a
        // PNG tessera made from it.
        if let Ok(Some(n)) = blobs.size(&up.object).await {
            if n <= up.max_bytes {
                let data = blobs.read(&up.object, 0, n).await.map_err(internal)?;
                // A preview that is not a readable image is left out; the file itself is fine.
                if let Some(Sniffed::Image(_)) = asset::sniff(&data) {
                    if let Ok((_, _, png)) = decode_and_shrink(data).await {
                        blobs.write(&preview_key, png, "image/png").await.map_err(internal)?;
                        preview = Some(preview_key);
                    }
                }
            }
        }
    }
    Ok(Processed { size, preview, mime: asset::content_type(Some(found)), bytes, pages: None, seconds })
}

/// The largest movie box read, and how many top-level boxes are walked to find it.
const MAX_MOOV: u64 = 16 << 20;
const MAX_BOXES: usize = 64;

/// An MP4/QuickTime file's picture size and duration, from its `moov` box wherever it is (at
/// the start of a file made for streaming, else usually at the end): the top-level boxes are
/// walked by their headers, reading only those and the movie box.
async fn movie(blobs: &dyn Blobs, key: &str, total: u64) -> Option<asset::VideoMeta> {
    let mut at = 0u64;
    for _ in 0..MAX_BOXES {
        let head = blobs.read(key, at, 16).await.ok()?;
        let (size, kind, header) = asset::box_header(&head)?;
        let size = size.unwrap_or(total.saturating_sub(at));
        if &kind == b"moov" {
            let body = size.checked_sub(header).filter(|n| *n <= MAX_MOOV)?;
            return asset::video_meta(&blobs.read(key, at + header, body).await.ok()?);
        }
        at = at.checked_add(size).filter(|next| *next < total)?;
    }
    None
}

/// The failure of the store itself: logged for the operator; the element says only that.
fn internal(e: String) -> String {
    tracing::error!(error = %e, "asset processing: object store");
    "the file could not be read from storage".into()
}

/// An image's width and height, and a PNG of it at most [`PREVIEW_SIDE`] pixels a side.
async fn decode_and_shrink(data: Vec<u8>) -> Result<(u32, u32, Vec<u8>), String> {
    let work = move || -> Result<(u32, u32, Vec<u8>), String> {
        let mut reader = image::ImageReader::new(std::io::Cursor::new(data))
            .with_guessed_format()
            .map_err(|_| "the image cannot be read".to_string())?;
        let mut limits = image::Limits::default();
        limits.max_image_width = Some(20_000);
        limits.max_image_height = Some(20_000);
        limits.max_alloc = Some(512 << 20);
        reader.limits(limits);
        let img = reader.decode().map_err(|e| format!("the image cannot be decoded: {e}"))?;
        let (w, h) = (img.width(), img.height());
        let small = if w.max(h) > PREVIEW_SIDE { img.thumbnail(PREVIEW_SIDE, PREVIEW_SIDE) } else { img };
        let mut png = Vec::new();
        small
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .map_err(|_| "the preview cannot be made".to_string())?;
        Ok((w, h, png))
    };
    tokio::task::spawn_blocking(work).await.map_err(|_| "the image cannot be read".to_string())?
}

//! The files behind images, documents and videos: where an element's asset stands
//! ([`IngestionState`]), the uploads a client is handed, the limits, and what a file's first
//! bytes say it is (a file is checked against the format its element declares).

use super::{DocumentFormat, ElementType, ImageFormat, VideoFormat};
use crate::ids::{ElementId, WorkspaceId};
use serde::{Deserialize, Serialize};

/// Where an asset's upload and processing stand (the platform's `AssetIngestionState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IngestionState {
    Transferring,
    Processing,
    CompleteSuccess,
    CompleteFailure,
}

impl IngestionState {
    pub fn as_str(self) -> &'static str {
        match self {
            IngestionState::Transferring => "transferring",
            IngestionState::Processing => "processing",
            IngestionState::CompleteSuccess => "complete_success",
            IngestionState::CompleteFailure => "complete_failure",
        }
    }
}

/// An element's asset: its file in the object store and what processing found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Asset {
    pub state: IngestionState,
    /// The file's key in the object store.
    pub object: String,
    /// The file's type as processing found it (what it is served as).
    #[serde(default)]
    pub mime: Option<String>,
    /// The preview image's key (a PNG), once there is one.
    #[serde(default)]
    pub preview: Option<String>,
    /// Why processing failed (`complete_failure`).
    #[serde(default)]
    pub failure: Option<String>,
    /// The file's size in bytes, once stored.
    #[serde(default)]
    pub bytes: Option<u64>,
    /// A document's page count, when it could be read.
    #[serde(default)]
    pub pages: Option<u32>,
    /// A video's duration in seconds, when its movie header gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
}

/// Which file of an element an upload carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadPart {
    Content,
    Preview,
}

impl UploadPart {
    pub fn as_str(self) -> &'static str {
        match self {
            UploadPart::Content => "content",
            UploadPart::Preview => "preview",
        }
    }
    pub fn parse(s: &str) -> Option<UploadPart> {
        match s {
            "content" => Some(UploadPart::Content),
            "preview" => Some(UploadPart::Preview),
            _ => None,
        }
    }
}

/// One file a client was given the right to upload, until it is processed or expires.
#[derive(Debug, Clone, PartialEq)]
pub struct Upload {
    pub id: String,
    pub workspace_id: WorkspaceId,
    pub element_id: ElementId,
    pub element_type: ElementType,
    pub part: UploadPart,
    pub object: String,
    pub max_bytes: u64,
    pub expires_at: i64,
    /// `transferring` until processing claims it, then `processing`.
    pub state: IngestionState,
    pub updated_at: i64,
}

/// The largest file of each kind tessera takes, and how long an upload may take.
#[derive(Debug, Clone, PartialEq)]
pub struct AssetLimits {
    pub image_bytes: u64,
    pub document_bytes: u64,
    pub video_bytes: u64,
    pub preview_bytes: u64,
    /// Seconds from creation until an unfinished upload expires and is cleaned up.
    pub upload_seconds: i64,
}

impl Default for AssetLimits {
    fn default() -> Self {
        AssetLimits {
            image_bytes: 32 << 20,
            document_bytes: 100 << 20,
            video_bytes: 1 << 30,
            preview_bytes: 16 << 20,
            upload_seconds: 3600,
        }
    }
}

impl AssetLimits {
    pub fn max_bytes(&self, ty: ElementType, part: UploadPart) -> u64 {
        match (part, ty) {
            (UploadPart::Preview, _) => self.preview_bytes,
            (_, ElementType::Document) => self.document_bytes,
            (_, ElementType::Video) => self.video_bytes,
            _ => self.image_bytes,
        }
    }
}

/// The format an element declares for its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Declared {
    Image(ImageFormat),
    Document(DocumentFormat),
    Video(VideoFormat),
}

/// What a file's first bytes say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    Image(ImageFormat),
    Pdf,
    /// An OLE compound file: a legacy Office document (doc, xls, ppt).
    Ole,
    /// A ZIP archive: an Office Open XML document (docx, xlsx, pptx).
    Zip,
    /// The ISO base media file format: MP4, QuickTime, M4V.
    IsoMedia,
    /// Matroska or WebM.
    Matroska,
    Avi,
    Flv,
    Asf,
}

impl Sniffed {
    pub fn name(self) -> &'static str {
        match self {
            Sniffed::Image(ImageFormat::Png) => "a PNG image",
            Sniffed::Image(ImageFormat::Jpeg) => "a JPEG image",
            Sniffed::Image(ImageFormat::Gif) => "a GIF image",
            Sniffed::Image(_) => "a TIFF image",
            Sniffed::Pdf => "a PDF document",
            Sniffed::Ole => "a legacy Office document",
            Sniffed::Zip => "a ZIP archive",
            Sniffed::IsoMedia => "an MP4/QuickTime video",
            Sniffed::Matroska => "a Matroska/WebM video",
            Sniffed::Avi => "an AVI video",
            Sniffed::Flv => "an FLV video",
            Sniffed::Asf => "a WMV video",
        }
    }
}

/// What the first bytes of a file are, if tessera knows the format.
pub fn sniff(b: &[u8]) -> Option<Sniffed> {
    let at = |i: usize, m: &[u8]| b.get(i..i + m.len()) == Some(m);
    Some(match () {
        _ if at(0, b"\x89PNG\r\n\x1a\n") => Sniffed::Image(ImageFormat::Png),
        _ if at(0, b"\xff\xd8\xff") => Sniffed::Image(ImageFormat::Jpeg),
        _ if at(0, b"GIF87a") || at(0, b"GIF89a") => Sniffed::Image(ImageFormat::Gif),
        _ if at(0, b"II*\0") || at(0, b"MM\0*") => Sniffed::Image(ImageFormat::Tiff),
        _ if at(0, b"%PDF-") => Sniffed::Pdf,
        _ if at(0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") => Sniffed::Ole,
        _ if at(0, b"PK\x03\x04") => Sniffed::Zip,
        _ if at(4, b"ftyp") || at(4, b"moov") || at(4, b"mdat") || at(4, b"wide") => Sniffed::IsoMedia,
        _ if at(0, b"\x1a\x45\xdf\xa3") => Sniffed::Matroska,
        _ if at(0, b"RIFF") && at(8, b"AVI ") => Sniffed::Avi,
        _ if at(0, b"FLV\x01") => Sniffed::Flv,
        _ if at(0, b"\x30\x26\xb2\x75\x8e\x66\xcf\x11") => Sniffed::Asf,
        _ => return None,
    })
}

/// Whether a file that sniffs as `found` may be the declared format (formats sharing a
/// container are not told apart: an `.m4v` is an MP4, a WebM is Matroska). `Unknown` takes
/// any file of the element's kind.
pub fn fits(declared: Declared, found: Sniffed) -> bool {
    use DocumentFormat as D;
    use VideoFormat as V;
    match (declared, found) {
        (Declared::Image(ImageFormat::Unknown), Sniffed::Image(_)) => true,
        (Declared::Image(d), Sniffed::Image(f)) => d == f,
        (Declared::Document(D::Pdf | D::Unknown), Sniffed::Pdf) => true,
        (Declared::Document(D::Doc | D::Xls | D::Ppt | D::Unknown), Sniffed::Ole) => true,
        (Declared::Document(D::Docx | D::Xlsx | D::Pptx | D::Unknown), Sniffed::Zip) => true,
        (Declared::Video(V::Mp4 | V::Quicktime | V::Unknown), Sniffed::IsoMedia) => true,
        (Declared::Video(V::Mkv | V::Webm | V::Unknown), Sniffed::Matroska) => true,
        (Declared::Video(V::Avi | V::Unknown), Sniffed::Avi) => true,
        (Declared::Video(V::Flv | V::Unknown), Sniffed::Flv) => true,
        (Declared::Video(V::Wmv | V::Unknown), Sniffed::Asf) => true,
        _ => false,
    }
}

/// The MIME type a file of this kind is served with.
pub fn content_type(found: Option<Sniffed>) -> &'static str {
    match found {
        Some(Sniffed::Image(ImageFormat::Png)) => "image/png",
        Some(Sniffed::Image(ImageFormat::Jpeg)) => "image/jpeg",
        Some(Sniffed::Image(ImageFormat::Gif)) => "image/gif",
        Some(Sniffed::Image(_)) => "image/tiff",
        Some(Sniffed::Pdf) => "application/pdf",
        Some(Sniffed::IsoMedia) => "video/mp4",
        Some(Sniffed::Matroska) => "video/webm",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_told_by_their_first_bytes_and_checked_against_the_declared_format() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(sniff(png), Some(Sniffed::Image(ImageFormat::Png)));
        assert_eq!(sniff(b"%PDF-1.7\n"), Some(Sniffed::Pdf));
        assert_eq!(sniff(b"\0\0\0\x18ftypmp42"), Some(Sniffed::IsoMedia));
        assert_eq!(sniff(b"<html>"), None);
        assert_eq!(sniff(b""), None);
        assert!(fits(Declared::Image(ImageFormat::Png), Sniffed::Image(ImageFormat::Png)));
        assert!(!fits(Declared::Image(ImageFormat::Jpeg), Sniffed::Image(ImageFormat::Png)));
        assert!(!fits(Declared::Image(ImageFormat::Png), Sniffed::Pdf));
        assert!(fits(Declared::Document(DocumentFormat::Pdf), Sniffed::Pdf));
        assert!(!fits(Declared::Document(DocumentFormat::Pdf), Sniffed::Zip));
        assert!(fits(Declared::Video(VideoFormat::Quicktime), Sniffed::IsoMedia));
        assert!(!fits(Declared::Video(VideoFormat::Mp4), Sniffed::Matroska));
    }
}

/// An ISO base media box header at the start of `b`: its size (to the end of the file when
/// the box says 0: `None`), its type and the header's length.
pub fn box_header(b: &[u8]) -> Option<(Option<u64>, [u8; 4], u64)> {
    let size = u32::from_be_bytes(b.get(0..4)?.try_into().ok()?);
    let kind: [u8; 4] = b.get(4..8)?.try_into().ok()?;
    match size {
        0 => Some((None, kind, 8)),
        1 => {
            let large = u64::from_be_bytes(b.get(8..16)?.try_into().ok()?);
            (large >= 16).then_some((Some(large), kind, 16))
        }
        n if n >= 8 => Some((Some(u64::from(n)), kind, 8)),
        _ => None,
    }
}

/// The boxes inside `b` (a box's body): (type, body) each.
fn children(b: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        let rest = b.get(at..)?;
        let (size, kind, header) = box_header(rest)?;
        let size = size.map_or(rest.len(), |s| s.min(rest.len() as u64) as usize);
        let body = rest.get(header as usize..size)?;
        at += size.max(1);
        Some((kind, body))
    })
}

/// What a video's `moov` box says: the first visual track's width and height (from its track
/// header) and the movie's duration in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VideoMeta {
    pub width: f64,
    pub height: f64,
    pub seconds: Option<f64>,
}

pub fn video_meta(moov: &[u8]) -> Option<VideoMeta> {
    let be32 = |b: &[u8], at: usize| b.get(at..at + 4).and_then(|s| s.try_into().ok()).map(u32::from_be_bytes);
    let be64 = |b: &[u8], at: usize| b.get(at..at + 8).and_then(|s| s.try_into().ok()).map(u64::from_be_bytes);
    let mut seconds = None;
    let mut size = None;
    for (kind, body) in children(moov) {
        match &kind {
            b"mvhd" => {
                let v1 = body.first() == Some(&1);
                let (scale, duration) =
                    if v1 { (be32(body, 20), be64(body, 24)) } else { (be32(body, 12), be32(body, 16).map(u64::from)) };
                if let (Some(s), Some(d)) = (scale.filter(|s| *s > 0), duration) {
                    seconds = Some(d as f64 / f64::from(s));
                }
            }
            b"trak" if size.is_none() => {
                let tkhd = children(body).find(|(k, _)| k == b"tkhd").map(|(_, b)| b);
                // version+flags, times and ids (v0: 20 bytes, v1: 32), reserved, layer,
                // group, volume, reserved, the matrix (36): then width and height, 16.16.
                let at = if tkhd.and_then(|t| t.first()) == Some(&1) { 4 + 32 + 52 } else { 4 + 20 + 52 };
                if let Some(t) = tkhd {
                    let (w, h) = (be32(t, at), be32(t, at + 4));
                    if let (Some(w), Some(h)) = (w.filter(|w| *w > 0), h.filter(|h| *h > 0)) {
                        size = Some((f64::from(w) / 65536.0, f64::from(h) / 65536.0));
                    }
                }
            }
            _ => {}
        }
    }
    size.map(|(width, height)| VideoMeta { width, height, seconds })
}

/// A minimal MP4 file: `ftyp`, then a `moov` with a movie header (`duration` in `timescale`
/// units) and one track of `width` × `height`, then an empty `mdat`. For tests and tools.
pub fn sample_mp4(width: u32, height: u32, duration: u32, timescale: u32) -> Vec<u8> {
    let boxed = |kind: &[u8; 4], body: &[u8]| -> Vec<u8> {
        let mut b = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(body);
        b
    };
    let mut mvhd = vec![0u8; 12];
    mvhd.extend_from_slice(&timescale.to_be_bytes());
    mvhd.extend_from_slice(&duration.to_be_bytes());
    mvhd.resize(100, 0);
    let mut tkhd = vec![0u8; 4 + 20 + 52];
    tkhd.extend_from_slice(&(width << 16).to_be_bytes());
    tkhd.extend_from_slice(&(height << 16).to_be_bytes());
    let moov = boxed(b"moov", &[boxed(b"mvhd", &mvhd), boxed(b"trak", &boxed(b"tkhd", &tkhd))].concat());
    [boxed(b"ftyp", b"mp42\0\0\0\0mp42isom"), moov, boxed(b"mdat", b"")].concat()
}

#[cfg(test)]
mod video_tests {
    use super::*;

    /// The body of the sample's `moov` box.
    fn mp4_moov(width: u32, height: u32, duration: u32, timescale: u32) -> Vec<u8> {
        let file = sample_mp4(width, height, duration, timescale);
        let (size, _, _) = box_header(&file).expect("ftyp");
        let at = size.expect("size") as usize;
        let (moov, kind, header) = box_header(&file[at..]).expect("moov");
        assert_eq!(&kind, b"moov");
        file[at + header as usize..at + moov.expect("size") as usize].to_vec()
    }

    #[test]
    fn a_videos_size_and_duration_are_read_from_its_movie_box() {
        let moov = mp4_moov(1280, 720, 30_000, 1000);
        assert_eq!(video_meta(&moov), Some(VideoMeta { width: 1280.0, height: 720.0, seconds: Some(30.0) }));
        // A track without a size (sound, say) is no picture's.
        assert_eq!(video_meta(&mp4_moov(0, 0, 10, 10)), None);
        assert_eq!(video_meta(b"\0\0\0\x08free"), None);
        assert_eq!(video_meta(&[0xff; 7]), None);
        assert_eq!(box_header(b"\0\0\0\x01mdat\0\0\0\0\0\0\0\x20"), Some((Some(32), *b"mdat", 16)));
        assert_eq!(box_header(b"\0\0\0\x03abcd"), None);
    }
}

//! The platform's inputs of the elements backed by an asset (images, documents, videos): their
//! metadata and formats. The files themselves are not stored yet (issue 17).

use super::element_inputs::{SimilitudeInput, TraitInput, UpdateSimilitudeInput};
use async_graphql::{Enum, InputObject};
use serde::Serialize;

#[derive(Enum, Serialize, Copy, Clone, Eq, PartialEq)]
#[graphql(rename_items = "camelCase")]
#[serde(rename_all = "camelCase")]
pub enum ImageFormatInput {
    Jpeg,
    Jpg,
    Gif,
    Png,
    Tiff,
    Tif,
    JpegMime,
    GifMime,
    PngMime,
    TiffMime,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateImageInput {
    pub traits: Option<TraitInput>,
    pub pinned: Option<bool>,
    pub z_index: Option<i64>,
    pub surface: Option<String>,
    pub transform: Option<SimilitudeInput>,
    pub filename: Option<String>,
    pub source_url: Option<String>,
    pub title: Option<String>,
    pub width: Option<f64>,
    pub height: Option<f64>,
    pub preview_format: Option<ImageFormatInput>,
    pub image_format: ImageFormatInput,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateImageInput {
    pub pinned: Option<bool>,
    pub z_index: Option<i64>,
    pub surface: Option<String>,
    pub transform: Option<UpdateSimilitudeInput>,
}

#[derive(Enum, Serialize, Copy, Clone, Eq, PartialEq)]
#[graphql(rename_items = "camelCase")]
#[serde(rename_all = "camelCase")]
pub enum DocumentFormatInput {
    Doc,
    Docx,
    Ppt,
    Pptx,
    Xls,
    Xlsx,
    Pdf,
    DocMime,
    DocxMime,
    PptMime,
    PptxMime,
    XlsMime,
    XlsxMime,
    PdfMime,
}

#[derive(Enum, Serialize, Copy, Clone, Eq, PartialEq)]
#[graphql(rename_items = "camelCase")]
#[serde(rename_all = "camelCase")]
pub enum VideoFormatInput {
    Mkv,
    Avi,
    Flv,
    Wmv,
    #[graphql(name = "mp4")]
    #[serde(rename = "mp4")]
    Mp4,
    Mov,
    #[graphql(name = "m4v")]
    #[serde(rename = "m4v")]
    M4v,
    Webm,
    WebmMime,
    Quicktime,
    #[graphql(name = "mp4Mime")]
    #[serde(rename = "mp4Mime")]
    Mp4Mime,
    #[graphql(name = "m4vMime")]
    #[serde(rename = "m4vMime")]
    M4vMime,
    QuicktimeMime,
}

/// A document: its file's metadata (the file itself is not stored yet).
#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateDocumentInput {
    pub traits: Option<TraitInput>,
    pub pinned: Option<bool>,
    pub z_index: Option<i64>,
    pub surface: Option<String>,
    pub transform: Option<SimilitudeInput>,
    pub filename: Option<String>,
    pub source_url: Option<String>,
    pub title: Option<String>,
    pub width: Option<f64>,
    pub height: Option<f64>,
    pub preview_format: Option<ImageFormatInput>,
    pub document_format: DocumentFormatInput,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateDocumentInput {
    pub pinned: Option<bool>,
    pub z_index: Option<i64>,
    pub surface: Option<String>,
    pub transform: Option<UpdateSimilitudeInput>,
}

/// A video: its file's metadata (the file itself is not stored yet).
#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateVideoInput {
    pub traits: Option<TraitInput>,
    pub pinned: Option<bool>,
    pub z_index: Option<i64>,
    pub surface: Option<String>,
    pub transform: Option<SimilitudeInput>,
    pub filename: Option<String>,
    pub source_url: Option<String>,
    pub title: Option<String>,
    pub width: Option<f64>,
    pub height: Option<f64>,
    pub preview_format: Option<ImageFormatInput>,
    pub video_format: VideoFormatInput,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateVideoInput {
    pub pinned: Option<bool>,
    pub z_index: Option<i64>,
    pub surface: Option<String>,
    pub transform: Option<UpdateSimilitudeInput>,
}

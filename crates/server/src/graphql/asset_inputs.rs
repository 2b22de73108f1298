//! The platform's inputs of the elements backed by an asset (images): their metadata and
//! formats. The files themselves are not stored yet (issue 17).

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

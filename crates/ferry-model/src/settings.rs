//! The table settings that DynamoDB describes but the engine does not act on
//! (billing and throughput, tags, encryption, table class, deletion
//! protection, streams, time to live): [`TableSettings`], kept in
//! `TableDef.settings` and stored by the engine as part of its versioned
//! table record (`docs/design/storage.md`, "Catalog").
//!
//! These are typed records, not request or response shapes: the server
//! turns what a request gives into them and builds its `TableDescription`
//! from them. Enumerations serialize under DynamoDB's own names
//! (`PAY_PER_REQUEST`, `NEW_AND_OLD_IMAGES`), which is also their stored form.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::AttributeDefinition;

/// What a table's description says beyond its keys, indexes and status.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TableSettings {
    /// As given to CreateTable and UpdateTable (order kept); empty means
    /// "derived from the key schemas".
    pub attribute_definitions: Vec<AttributeDefinition>,
    /// `None`: never named (provisioned, and described without a
    /// `BillingModeSummary`).
    pub billing_mode: Option<BillingMode>,
    /// The table's provisioned throughput (zero while on demand).
    pub throughput: Throughput,
    /// When the table last switched to `PAY_PER_REQUEST`, microseconds since
    /// the Unix epoch.
    pub pay_per_request_since_micros: Option<i64>,
    /// Provisioned throughput per global secondary index, by index name.
    pub index_throughput: BTreeMap<String, Throughput>,
    /// Server-side encryption as requested; `None` = AWS-owned key.
    pub sse: Option<SseSettings>,
    /// In the order they were added.
    pub tags: Vec<Tag>,
    pub table_class: Option<TableClass>,
    pub deletion_protection: bool,
    pub on_demand_throughput: Option<OnDemandThroughput>,
    /// The table's DynamoDB streams, oldest first; the last one is the
    /// "latest stream", enabled unless `disabled_micros` is set.
    pub streams: Vec<StreamSettings>,
    /// The time-to-live attribute while TTL is enabled.
    pub ttl_attribute: Option<String>,
}

impl TableSettings {
    pub fn is_pay_per_request(&self) -> bool {
        self.billing_mode == Some(BillingMode::PayPerRequest)
    }
}

/// Defines a fieldless enum with DynamoDB's name for each variant, its
/// `as_str` and `parse` (the inverse), and serde under the same names (the
/// caller's crate depends on serde). Every such enum of Ferry's crates is
/// defined with it, once, in the lowest crate that needs it.
#[macro_export]
macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value's name, in declaration order (the order of
            /// DynamoDB's "Member must satisfy enum value set" messages).
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            /// DynamoDB's name of the value.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The value DynamoDB calls `text`.
            #[must_use]
            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

named_enum!(
    /// `BillingMode`.
    BillingMode {
        Provisioned = "PROVISIONED",
        PayPerRequest = "PAY_PER_REQUEST",
    }
);

named_enum!(
    /// `TableClass`.
    TableClass {
        Standard = "STANDARD",
        StandardInfrequentAccess = "STANDARD_INFREQUENT_ACCESS",
    }
);

named_enum!(
    /// `StreamViewType`: what a stream record holds of the item.
    StreamViewType {
        NewImage = "NEW_IMAGE",
        OldImage = "OLD_IMAGE",
        NewAndOldImages = "NEW_AND_OLD_IMAGES",
        KeysOnly = "KEYS_ONLY",
    }
);

/// Provisioned capacity and its change history (times in microseconds
/// since the Unix epoch).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Throughput {
    pub read_capacity_units: i64,
    pub write_capacity_units: i64,
    pub last_increase_micros: Option<i64>,
    pub last_decrease_micros: Option<i64>,
    pub decreases_today: i64,
}

impl Throughput {
    pub fn new(read: i64, write: i64) -> Throughput {
        Throughput {
            read_capacity_units: read,
            write_capacity_units: write,
            ..Throughput::default()
        }
    }
}

/// Server-side encryption as requested.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SseSettings {
    /// `false`: an AWS-owned key (described without `SSEDescription`).
    pub enabled: bool,
    /// The KMS key id, ARN or alias; `None` = `alias/aws/dynamodb`.
    pub kms_master_key_id: Option<String>,
}

/// One tag of a table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// `OnDemandThroughput`: the most request units an on-demand table may use.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnDemandThroughput {
    pub max_read_request_units: Option<i64>,
    pub max_write_request_units: Option<i64>,
}

/// One DynamoDB stream of a table, enabled at `created_micros`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamSettings {
    /// Microseconds since the Unix epoch; names the stream (its label).
    pub created_micros: i64,
    /// When the stream was disabled, if it was.
    pub disabled_micros: Option<i64>,
    pub view_type: StreamViewType,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_names_round_trip() {
        for m in [BillingMode::Provisioned, BillingMode::PayPerRequest] {
            assert_eq!(BillingMode::parse(m.as_str()), Some(m));
            assert_eq!(
                serde_json::to_string(&m).unwrap(),
                format!("\"{}\"", m.as_str())
            );
        }
        for v in [
            StreamViewType::NewImage,
            StreamViewType::OldImage,
            StreamViewType::NewAndOldImages,
            StreamViewType::KeysOnly,
        ] {
            assert_eq!(StreamViewType::parse(v.as_str()), Some(v));
        }
        assert_eq!(
            TableClass::parse("STANDARD_INFREQUENT_ACCESS"),
            Some(TableClass::StandardInfrequentAccess)
        );
        assert_eq!(TableClass::parse("standard"), None);
    }
}

//! The messages of `proto/items.proto`, derived by hand.
//!
//! `prost-build` would generate the same structs, but it needs `protoc` at
//! build time; two small messages are cheaper to keep in step by hand than a
//! compiler on every machine that builds the workspace.

/// The fully qualified name of the service, as it appears in call paths.
pub const SERVICE: &str = "rampart.example.v1.Items";

/// The path of the `GetItem` call.
pub const GET_ITEM: &str = "/rampart.example.v1.Items/GetItem";

/// `GetItemRequest`: which item to read.
#[derive(Clone, PartialEq, prost::Message)]
pub struct GetItemRequest {
    /// The item's id.
    #[prost(string, tag = "1")]
    pub id: String,
}

/// `Item`: one entry of the catalogue.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Item {
    /// The item's id.
    #[prost(string, tag = "1")]
    pub id: String,
    /// What it is called.
    #[prost(string, tag = "2")]
    pub name: String,
    /// Who owns it.
    #[prost(string, tag = "3")]
    pub owner: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    #[test]
    fn messages_use_the_tags_of_the_proto_file() {
        let item = Item {
            id: "a".into(),
            name: "b".into(),
            owner: "c".into(),
        };
        // Field 1, 2, 3 as length-delimited strings (wire type 2).
        assert_eq!(item.encode_to_vec(), b"\x0a\x01a\x12\x01b\x1a\x01c");
        assert_eq!(
            Item::decode(&b"\x0a\x01a\x12\x01b\x1a\x01c"[..]).ok(),
            Some(item)
        );
        let request = GetItemRequest { id: "42".into() };
        assert_eq!(request.encode_to_vec(), b"\x0a\x0242");
    }
}

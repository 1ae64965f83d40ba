//! The six permission groups (Cloudflare's ids and names) and the set of them held on a target.

/// The permission groups a token policy may name (ids as at Cloudflare).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PermissionGroup {
    /// GET on client certificates.
    SslRead,
    /// Everything on client certificates.
    SslWrite,
    /// Read zones.
    ZoneRead,
    /// Create and delete zones.
    ZoneWrite,
    /// Read API tokens.
    TokensRead,
    /// Create, change, roll and delete API tokens.
    TokensWrite,
}

impl PermissionGroup {
    /// Every group, in the order the permission-groups endpoint lists them.
    pub const ALL: [Self; 6] = [
        Self::SslRead,
        Self::SslWrite,
        Self::ZoneRead,
        Self::ZoneWrite,
        Self::TokensRead,
        Self::TokensWrite,
    ];

    /// Cloudflare's id of the group.
    pub fn id(self) -> &'static str {
        match self {
            Self::SslRead => "7b7216b327b04b8fbc8f524e1f9b7531",
            Self::SslWrite => "c03055bc037c4ea9afb9a9f104b7b721",
            Self::ZoneRead => "c8fed203ed3043cba015a93ad1616f1f",
            Self::ZoneWrite => "e6d2666161e84845a636613608cee8d5",
            Self::TokensRead => "0cc3a61731504c89b99ec1be78b77aa0",
            Self::TokensWrite => "686d18d5ac6c441c867cbf6771e58a0a",
        }
    }

    /// The fixed name.
    pub fn name(self) -> &'static str {
        match self {
            Self::SslRead => "SSL and Certificates Read",
            Self::SslWrite => "SSL and Certificates Write",
            Self::ZoneRead => "Zone Read",
            Self::ZoneWrite => "Zone Write",
            Self::TokensRead => "API Tokens Read",
            Self::TokensWrite => "API Tokens Write",
        }
    }

    /// The resource kind it applies to, as the permission-groups endpoint says.
    pub fn scope(self) -> &'static str {
        match self {
            Self::TokensRead | Self::TokensWrite => "com.cloudflare.api.user",
            _ => "com.cloudflare.api.account.zone",
        }
    }

    /// The group with this id.
    pub fn by_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.id() == id)
    }

    /// The group with this name (case-insensitive).
    pub fn by_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|g| g.name().eq_ignore_ascii_case(name.trim()))
    }

    pub(super) fn bit(self) -> u8 {
        1 << (self as u8)
    }

    /// What an allow of this group grants: a write group also reads.
    pub(super) fn grants(self) -> Rights {
        Rights(
            self.bit()
                | match self {
                    Self::SslWrite => Self::SslRead.bit(),
                    Self::ZoneWrite => Self::ZoneRead.bit(),
                    Self::TokensWrite => Self::TokensRead.bit(),
                    _ => 0,
                },
        )
    }

    /// What a deny of this group takes away: denying a read group denies its write group too.
    pub(super) fn denies(self) -> Rights {
        Rights(
            self.bit()
                | match self {
                    Self::SslRead => Self::SslWrite.bit(),
                    Self::ZoneRead => Self::ZoneWrite.bit(),
                    Self::TokensRead => Self::TokensWrite.bit(),
                    _ => 0,
                },
        )
    }
}

/// A set of permission groups held on one target.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rights(pub(super) u8);

impl Rights {
    /// Every group (a Global API Key, the CLI).
    pub const ALL: Rights = Rights(0b11_1111);

    /// True when the group is held.
    pub fn has(self, group: PermissionGroup) -> bool {
        self.0 & group.bit() != 0
    }

    /// What both hold.
    pub fn intersect(self, other: Rights) -> Rights {
        Rights(self.0 & other.0)
    }

    /// True when nothing is held.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

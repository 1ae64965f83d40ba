//! Policy evaluation and the stored form.

use super::*;
use serde_json::json;

fn policy(effect: Effect, groups: &[PermissionGroup], resources: Value) -> Policy {
    let resources_json = resources.as_object().cloned().unwrap_or_default();
    Policy {
        id: "p".into(),
        effect,
        groups: groups.to_vec(),
        resources: parse_resources(&resources_json).expect("resources"),
        resources_json,
    }
}

const A: &str = "acc";
fn zone(z: &str) -> Target<'_> {
    Target::Zone {
        account: A,
        zone: z,
    }
}

#[test]
fn a_zone_policy_grants_on_that_zone_only_and_write_implies_read() {
    use PermissionGroup::*;
    let ps = [policy(
        Effect::Allow,
        &[SslWrite],
        json!({"com.cloudflare.api.account.zone.z1": "*"}),
    )];
    let r = rights(&ps, zone("z1"));
    assert!(r.has(SslWrite) && r.has(SslRead) && !r.has(ZoneRead));
    assert!(rights(&ps, zone("z2")).is_empty());
    assert!(rights(&ps, Target::Account(A)).is_empty());
}

#[test]
fn deny_takes_away_and_denying_read_denies_write() {
    use PermissionGroup::*;
    let ps = [
        policy(
            Effect::Allow,
            &[SslWrite, ZoneRead],
            json!({"com.cloudflare.api.account.acc": "*"}),
        ),
        policy(
            Effect::Deny,
            &[SslRead],
            json!({"com.cloudflare.api.account.zone.z2": "*"}),
        ),
    ];
    let r1 = rights(&ps, zone("z1"));
    assert!(r1.has(SslWrite) && r1.has(ZoneRead));
    let r2 = rights(&ps, zone("z2"));
    assert!(!r2.has(SslRead) && !r2.has(SslWrite) && r2.has(ZoneRead));
    assert!(rights(&ps, Target::Account(A)).has(SslWrite));
    assert!(rights(
        &ps,
        Target::Zone {
            account: "other",
            zone: "z1"
        }
    )
    .is_empty());
}

#[test]
fn nested_account_resources_cover_the_zones_named_only() {
    use PermissionGroup::*;
    let ps = [policy(
        Effect::Allow,
        &[ZoneRead],
        json!({"com.cloudflare.api.account.acc": {"com.cloudflare.api.account.zone.z1": "*"}}),
    )];
    assert!(rights(&ps, zone("z1")).has(ZoneRead));
    assert!(rights(&ps, zone("z2")).is_empty());
    assert!(rights(&ps, Target::Account(A)).is_empty());
}

#[test]
fn token_groups_apply_to_the_owner_named() {
    use PermissionGroup::*;
    let ps = [policy(
        Effect::Allow,
        &[TokensWrite],
        json!({"com.cloudflare.api.user.u1": "*"}),
    )];
    let mine = Target::Tokens {
        account: A,
        owner: Some("u1"),
    };
    let theirs = Target::Tokens {
        account: A,
        owner: Some("u2"),
    };
    assert!(rights(&ps, mine).has(TokensRead));
    assert!(rights(&ps, theirs).is_empty());
    assert!(rights(&ps, zone("z1")).is_empty());
    let account_wide = [policy(
        Effect::Allow,
        &[TokensRead, SslRead],
        json!({"com.cloudflare.api.account.acc": "*"}),
    )];
    let on_zone = rights(&account_wide, zone("z1"));
    assert!(
        on_zone.has(SslRead) && !on_zone.has(TokensRead),
        "token groups are not zone rights"
    );
    let on_tokens = rights(&account_wide, mine);
    assert!(on_tokens.has(TokensRead) && !on_tokens.has(SslRead));
}

#[test]
fn resources_and_stored_policies_round_trip() {
    assert!(parse_resources(json!({"com.example": "*"}).as_object().unwrap()).is_err());
    assert!(parse_resources(
        json!({"com.cloudflare.api.account.zone.z1": "read"})
            .as_object()
            .unwrap()
    )
    .is_err());
    let ps = vec![policy(
        Effect::Deny,
        &[PermissionGroup::ZoneWrite],
        json!({"com.cloudflare.api.account.zone.*": "*"}),
    )];
    assert_eq!(parse_stored(&to_stored(&ps)).expect("parses"), ps);
    for g in PermissionGroup::ALL {
        assert_eq!(PermissionGroup::by_id(g.id()), Some(g));
        assert_eq!(PermissionGroup::by_name(&g.name().to_uppercase()), Some(g));
    }
}

package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/cloudflare/cloudflare-go/v7"
	"github.com/cloudflare/cloudflare-go/v7/accounts"
	"github.com/cloudflare/cloudflare-go/v7/client_certificates"
	"github.com/cloudflare/cloudflare-go/v7/option"
	"github.com/cloudflare/cloudflare-go/v7/shared"
	"github.com/cloudflare/cloudflare-go/v7/user"
	"github.com/cloudflare/cloudflare-go/v7/zones"
)

// field is what the SDK keeps of each decoded JSON field.
type field interface {
	IsNull() bool
	IsMissing() bool
	IsInvalid() bool
}

// present checks that each field was sent and decoded as the type the SDK declares; nullable
// ones may be null but must be there.
func present(at string, fields map[string]field, nullable ...string) {
	for name, f := range fields {
		ok := !f.IsNull() && !f.IsInvalid()
		for _, n := range nullable {
			if n == name {
				ok = !f.IsMissing() && !f.IsInvalid()
			}
		}
		check(ok, "%s field %s is present and well typed", at, name)
	}
}

func randomName(prefix string) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		fail("random: %v", err)
	}
	return prefix + "-" + hex.EncodeToString(b) + ".example"
}

// zoneWellFormed checks every field the SDK's Zone type requires, and that nothing else was sent.
func zoneWellFormed(z *zones.Zone, account, at string) {
	j := z.JSON
	present(at, map[string]field{
		"id": j.ID, "account": j.Account, "activated_on": j.ActivatedOn, "created_on": j.CreatedOn,
		"development_mode": j.DevelopmentMode, "meta": j.Meta, "modified_on": j.ModifiedOn,
		"name": j.Name, "name_servers": j.NameServers, "original_dnshost": j.OriginalDnshost,
		"original_name_servers": j.OriginalNameServers, "original_registrar": j.OriginalRegistrar,
		"owner": j.Owner, "plan": j.Plan,
	}, "activated_on", "original_dnshost", "original_name_servers", "original_registrar")
	check(len(j.ExtraFields) == 0, "%s no zone fields beyond Cloudflare's: %v", at, keys(j.ExtraFields))
	check(hexID.MatchString(z.ID), "%s zone id is 32 lowercase hex: %q", at, z.ID)
	check(z.Account.ID == account && z.Account.Name != "", "%s zone account %+v", at, z.Account)
	check(z.Status == zones.ZoneStatusActive, "%s zone status %q", at, z.Status)
	check(z.Type.IsKnown(), "%s zone type %q is one the SDK knows", at, z.Type)
	check(!z.CreatedOn.IsZero() && !z.ModifiedOn.IsZero(), "%s zone dates decode as times", at)
}

// tokenWellFormed checks a token object: the fields Cloudflare sends, decoded as typed, none extra.
func tokenWellFormed(t *shared.Token, at string) {
	j := t.JSON
	present(at, map[string]field{
		"id": j.ID, "issued_on": j.IssuedOn, "modified_on": j.ModifiedOn, "last_used_on": j.LastUsedOn,
		"name": j.Name, "policies": j.Policies, "status": j.Status,
	}, "last_used_on")
	check(len(j.ExtraFields) == 0, "%s no token fields beyond Cloudflare's: %v", at, keys(j.ExtraFields))
	check(t.Status.IsKnown(), "%s token status %q is one the SDK knows", at, t.Status)
	check(len(t.Policies) == 1, "%s one policy: %d", at, len(t.Policies))
	p := t.Policies[0]
	present(at+" policy", map[string]field{
		"id": p.JSON.ID, "effect": p.JSON.Effect, "permission_groups": p.JSON.PermissionGroups,
		"resources": p.JSON.Resources,
	})
	check(len(p.JSON.ExtraFields) == 0, "%s no policy fields beyond Cloudflare's: %v", at, keys(p.JSON.ExtraFields))
}

// policy grants one permission group on one zone.
func policy(group, zone string) shared.TokenPolicyParam {
	return shared.TokenPolicyParam{
		Effect: cloudflare.F(shared.TokenPolicyEffectAllow),
		PermissionGroups: cloudflare.F([]shared.TokenPolicyPermissionGroupParam{
			{ID: cloudflare.F(group)},
		}),
		Resources: cloudflare.F[shared.TokenPolicyResourcesUnionParam](
			shared.TokenPolicyResourcesIAMResourcesTypeObjectStringParam{
				"com.cloudflare.api.account.zone." + zone: "*",
			}),
	}
}

// administer provisions with the Global API Key as the Go SDK calls it: accounts, zones
// (create, get, list by name, by account and over several pages, edit, delete), permission
// groups and a zone-scoped token (create, verify, use inside and outside its zone, get, list,
// disable, enable, roll, delete).
func administer(baseURL string, csrs []string) {
	at := "[" + baseURL + "]"
	rec := &recorder{}
	admin := client(baseURL, rec, option.WithAPIEmail(env("MTLS_CA_EMAIL")), option.WithAPIKey(env("MTLS_CA_KEY")))

	accts := must(admin.Accounts.List(ctx, accounts.AccountListParams{}))(at + " accounts list")
	check(len(accts.Result) == 1 && hexID.MatchString(accts.Result[0].ID), "%s one account: %s", at, accts.JSON.RawJSON())
	account := accts.Result[0].ID
	got := must(admin.Accounts.Get(ctx, accounts.AccountGetParams{AccountID: cloudflare.F(account)}))(at + " account get")
	check(got.ID == account && got.Name == accts.Result[0].Name, "%s account get", at)

	// Zones.
	name := randomName("go")
	zone := must(admin.Zones.New(ctx, zones.ZoneNewParams{
		Account: cloudflare.F(zones.ZoneNewParamsAccount{ID: cloudflare.F(account)}),
		Name:    cloudflare.F(name),
		Type:    cloudflare.F(zones.TypeFull),
	}))(at + " zone create")
	zoneWellFormed(zone, account, at+" created zone")
	check(zone.Name == name, "%s zone name %q", at, zone.Name)
	other := must(admin.Zones.New(ctx, zones.ZoneNewParams{
		Account: cloudflare.F(zones.ZoneNewParamsAccount{ID: cloudflare.F(account)}),
		Name:    cloudflare.F("other-" + name),
	}))(at + " zone create without type")
	_, err := admin.Zones.New(ctx, zones.ZoneNewParams{
		Account: cloudflare.F(zones.ZoneNewParamsAccount{ID: cloudflare.F(account)}),
		Name:    cloudflare.F(name),
	})
	apiError(err, 400, 1454, at+" a zone name taken")
	fetched := must(admin.Zones.Get(ctx, zones.ZoneGetParams{ZoneID: cloudflare.F(zone.ID)}))(at + " zone get")
	zoneWellFormed(fetched, account, at+" got zone")
	check(fetched.ID == zone.ID && fetched.Name == name, "%s zone get", at)

	byName := collectZones(admin.Zones.ListAutoPaging(ctx, zones.ZoneListParams{Name: cloudflare.F(name)}), at+" zones by name")
	check(len(byName) == 1 && byName[0].ID == zone.ID, "%s zones.list name= finds only it: %v", at, zoneIDs(byName))
	byAccount := collectZones(admin.Zones.ListAutoPaging(ctx, zones.ZoneListParams{
		Account: cloudflare.F(zones.ZoneListParamsAccount{ID: cloudflare.F(account)}),
	}), at+" zones by account.id")
	check(containsZone(byAccount, zone.ID) && containsZone(byAccount, other.ID), "%s zones.list account.id= finds both", at)
	elsewhere := collectZones(admin.Zones.ListAutoPaging(ctx, zones.ZoneListParams{
		Account: cloudflare.F(zones.ZoneListParamsAccount{ID: cloudflare.F(strings.Repeat("0", 32))}),
	}), at+" zones of another account")
	check(len(elsewhere) == 0, "%s another account.id lists nothing: %v", at, zoneIDs(elsewhere))

	// Enough zones for several pages of 5, walked by the auto-pager.
	var extra []string
	for i := 0; i < 6; i++ {
		z := must(admin.Zones.New(ctx, zones.ZoneNewParams{
			Account: cloudflare.F(zones.ZoneNewParamsAccount{ID: cloudflare.F(account)}),
			Name:    cloudflare.F(randomName(fmt.Sprintf("page%d", i))),
		}))(at + " zone create for paging")
		extra = append(extra, z.ID)
	}
	first := must(admin.Zones.List(ctx, zones.ZoneListParams{PerPage: cloudflare.F(5.0)}))(at + " zones list")
	var info struct {
		TotalCount int `json:"total_count"`
	}
	decode(first.ResultInfo.JSON.RawJSON(), &info, at+" zones result_info")
	check(len(first.Result) == 5 && info.TotalCount >= 8, "%s zones first page: %d of %d", at, len(first.Result), info.TotalCount)
	zoneWellFormed(&first.Result[0], account, at+" listed zone")
	rec.take()
	all := collectZones(admin.Zones.ListAutoPaging(ctx, zones.ZoneListParams{PerPage: cloudflare.F(5.0)}), at+" zones auto-paging")
	pages := rec.take()
	want := int(math.Ceil(float64(info.TotalCount)/5)) + 1
	check(len(pages) == want, "%s zones: %d pages fetched, expected %d: %v", at, len(pages), want, pages)
	check(len(all) == info.TotalCount && len(unique(zoneIDs(all))) == len(all), "%s zones listed once each: %d of %d", at, len(all), info.TotalCount)
	for _, id := range append([]string{zone.ID, other.ID}, extra...) {
		check(containsZone(all, id), "%s auto-paging lists zone %s", at, id)
	}

	// mtls-ca has nothing to edit on a zone (never paused, always full, no vanity name servers).
	_, err = admin.Zones.Edit(ctx, zones.ZoneEditParams{ZoneID: cloudflare.F(zone.ID), Paused: cloudflare.F(true)})
	apiError(err, 405, 7001, at+" zone edit")

	// Permission groups: one page, no result_info.
	groups := map[string]string{}
	for _, g := range collectGroups(admin.User.Tokens.PermissionGroups.ListAutoPaging(ctx, user.TokenPermissionGroupListParams{}), at+" permission groups") {
		check(g.ID != "" && len(g.Scopes) == 1 && g.Scopes[0].IsKnown(), "%s permission group %s", at, g.JSON.RawJSON())
		groups[g.Name] = g.ID
	}
	check(len(groups) == 6, "%s six permission groups: %v", at, groups)
	sslWrite := groups["SSL and Certificates Write"]
	named := must(admin.User.Tokens.PermissionGroups.List(ctx, user.TokenPermissionGroupListParams{
		Name: cloudflare.F("SSL and Certificates Write"),
	}))(at + " permission groups by name")
	check(len(named.Result) == 1 && named.Result[0].ID == sslWrite, "%s the group by name: %s", at, named.JSON.RawJSON())

	// A token scoped to one zone.
	pol := policy(sslWrite, zone.ID)
	created := must(admin.User.Tokens.New(ctx, user.TokenNewParams{
		Name:     cloudflare.F("go-ci"),
		Policies: cloudflare.F([]shared.TokenPolicyParam{pol}),
	}))(at + " token create")
	secret := created.Value
	check(hexID.MatchString(created.ID) && created.Status == user.TokenNewResponseStatusActive && secret != "",
		"%s token created active with its value: %s", at, created.ID)
	check(len(created.JSON.ExtraFields) == 0, "%s no token fields beyond Cloudflare's: %v", at, keys(created.JSON.ExtraFields))
	check(len(created.Policies) == 1 && len(created.Policies[0].PermissionGroups) == 1 &&
		created.Policies[0].PermissionGroups[0].Name == "SSL and Certificates Write", "%s the policy is echoed with the group's name", at)
	res, ok := created.Policies[0].Resources.(shared.TokenPolicyResourcesIAMResourcesTypeObjectString)
	check(ok && res["com.cloudflare.api.account.zone."+zone.ID] == "*", "%s resources decode as %T %v", at, created.Policies[0].Resources, created.Policies[0].Resources)

	scoped := client(baseURL, nil, option.WithAPIToken(secret))
	verified := must(scoped.User.Tokens.Verify(ctx))(at + " verify the new token")
	check(verified.ID == created.ID && verified.Status == user.TokenVerifyResponseStatusActive, "%s verify: %s", at, verified.JSON.RawJSON())
	check(verified.ExpiresOn.IsZero() && verified.NotBefore.IsZero(), "%s no validity window", at)

	cert := must(scoped.ClientCertificates.New(ctx, client_certificates.ClientCertificateNewParams{
		ZoneID: cloudflare.F(zone.ID), Csr: cloudflare.F(csrs[0]), ValidityDays: cloudflare.F(int64(30)),
	}))(at + " the scoped token issues in its zone")
	check(cert.Status == "active", "%s issued %s", at, cert.Status)
	_, err = scoped.ClientCertificates.New(ctx, client_certificates.ClientCertificateNewParams{
		ZoneID: cloudflare.F(other.ID), Csr: cloudflare.F(csrs[1]), ValidityDays: cloudflare.F(int64(30)),
	})
	apiError(err, 403, 10000, at+" the scoped token in another zone")
	_, err = scoped.User.Tokens.List(ctx, user.TokenListParams{})
	apiError(err, 403, 10000, at+" an SSL token listing tokens")

	// The Go SDK sends every credential it is given; the token wins over the key.
	both := client(baseURL, nil, option.WithAPIToken(secret),
		option.WithAPIEmail(env("MTLS_CA_EMAIL")), option.WithAPIKey(env("MTLS_CA_KEY")))
	_, err = both.ClientCertificates.New(ctx, client_certificates.ClientCertificateNewParams{
		ZoneID: cloudflare.F(other.ID), Csr: cloudflare.F(csrs[1]), ValidityDays: cloudflare.F(int64(30)),
	})
	apiError(err, 403, 10000, at+" token and key together act as the token")

	windowed(admin, baseURL, pol, zone.ID, at)

	one := must(admin.User.Tokens.Get(ctx, created.ID))(at + " token get")
	tokenWellFormed(one, at+" got token")
	check(one.ID == created.ID && one.Name == "go-ci" && one.Status == shared.TokenStatusActive, "%s token get", at)
	check(!one.LastUsedOn.IsZero(), "%s last_used_on is set once used", at)
	tokens := collectTokens(admin.User.Tokens.ListAutoPaging(ctx, user.TokenListParams{PerPage: cloudflare.F(5.0)}), at+" token list")
	check(containsToken(tokens, created.ID), "%s tokens.list has it", at)

	// Disable with only the status (every field of the SDK's TokenParam is optional), then
	// enable and rename with the whole token.
	disabled := must(admin.User.Tokens.Update(ctx, created.ID, user.TokenUpdateParams{Token: shared.TokenParam{
		Status: cloudflare.F(shared.TokenStatusDisabled),
	}}))(at + " token disable")
	check(disabled.Status == shared.TokenStatusDisabled, "%s updated to %s", at, disabled.Status)
	check(disabled.Name == "go-ci" && len(disabled.Policies) == 1 && disabled.Policies[0].ID == one.Policies[0].ID,
		"%s a status-only update keeps the name and policies: %s", at, disabled.JSON.RawJSON())
	_, err = scoped.ClientCertificates.Get(ctx, cert.ID, client_certificates.ClientCertificateGetParams{ZoneID: cloudflare.F(zone.ID)})
	apiError(err, 401, 1000, at+" a disabled token")
	v := must(scoped.User.Tokens.Verify(ctx))(at + " verify a disabled token")
	check(v.Status == user.TokenVerifyResponseStatusDisabled, "%s verify tells %s", at, v.Status)
	enabled := must(admin.User.Tokens.Update(ctx, created.ID, user.TokenUpdateParams{Token: shared.TokenParam{
		Name:     cloudflare.F("go-ci-renamed"),
		Policies: cloudflare.F([]shared.TokenPolicyParam{pol}),
		Status:   cloudflare.F(shared.TokenStatusActive),
	}}))(at + " token enable")
	check(enabled.Status == shared.TokenStatusActive && enabled.Name == "go-ci-renamed", "%s enabled and renamed", at)
	must(scoped.ClientCertificates.Get(ctx, cert.ID, client_certificates.ClientCertificateGetParams{ZoneID: cloudflare.F(zone.ID)}))(at + " enabled again")

	// Roll: the zero TokenValueUpdateParams, as a Go caller writes it.
	rolled := must(admin.User.Tokens.Value.Update(ctx, created.ID, user.TokenValueUpdateParams{}))(at + " token roll")
	check(*rolled != "" && *rolled != secret, "%s roll gives a new secret", at)
	_, err = scoped.User.Tokens.Verify(ctx)
	apiError(err, 401, 1000, at+" the old secret after a roll")
	_, err = scoped.ClientCertificates.Get(ctx, cert.ID, client_certificates.ClientCertificateGetParams{ZoneID: cloudflare.F(zone.ID)})
	apiError(err, 401, 1000, at+" the old secret issuing after a roll")
	scoped = client(baseURL, nil, option.WithAPIToken(*rolled))
	v = must(scoped.User.Tokens.Verify(ctx))(at + " verify the rolled secret")
	check(v.ID == created.ID && v.Status == user.TokenVerifyResponseStatusActive, "%s the new secret verifies", at)

	// Delete.
	deleted := must(admin.User.Tokens.Delete(ctx, created.ID))(at + " token delete")
	check(deleted.ID == created.ID, "%s delete answers the id: %s", at, deleted.JSON.RawJSON())
	_, err = admin.User.Tokens.Get(ctx, created.ID)
	apiError(err, 404, 7003, at+" get a deleted token")
	_, err = scoped.User.Tokens.Verify(ctx)
	apiError(err, 401, 1000, at+" a deleted token")

	// A zone with a live certificate is kept; once it is revoked, the zone goes.
	_, err = admin.Zones.Delete(ctx, zones.ZoneDeleteParams{ZoneID: cloudflare.F(zone.ID)})
	apiError(err, 400, 1455, at+" deleting a zone with an active certificate")
	var e *cloudflare.Error
	check(errors.As(err, &e) && strings.Contains(e.Errors[0].Message, "certificate"), "%s the refusal says why: %v", at, err)
	gone := must(admin.Zones.Delete(ctx, zones.ZoneDeleteParams{ZoneID: cloudflare.F(other.ID)}))(at + " delete an empty zone")
	check(gone.ID == other.ID, "%s zone delete answers the id: %s", at, gone.JSON.RawJSON())
	_, err = admin.Zones.Get(ctx, zones.ZoneGetParams{ZoneID: cloudflare.F(other.ID)})
	apiError(err, 404, 7003, at+" a deleted zone")
	_, err = admin.Zones.Delete(ctx, zones.ZoneDeleteParams{ZoneID: cloudflare.F(other.ID)})
	apiError(err, 404, 7003, at+" deleting a deleted zone")
	revoked := must(admin.ClientCertificates.Delete(ctx, cert.ID, client_certificates.ClientCertificateDeleteParams{
		ZoneID: cloudflare.F(zone.ID),
	}))(at + " revoke the zone's certificate")
	check(revoked.Status == "pending_revocation", "%s revoked: %s", at, revoked.Status)
	must(admin.Zones.Delete(ctx, zones.ZoneDeleteParams{ZoneID: cloudflare.F(zone.ID)}))(at + " delete a zone whose certificates are revoked")
	for _, id := range extra {
		must(admin.Zones.Delete(ctx, zones.ZoneDeleteParams{ZoneID: cloudflare.F(id)}))(at + " delete a paging zone")
	}
	left := collectZones(admin.Zones.ListAutoPaging(ctx, zones.ZoneListParams{PerPage: cloudflare.F(50.0)}), at+" zones after deletion")
	for _, id := range append([]string{zone.ID, other.ID}, extra...) {
		check(!containsZone(left, id), "%s a deleted zone is no longer listed: %s", at, id)
	}
}

// windowed creates tokens with a validity window and IP conditions. Go writes times as RFC 3339
// in the time's own offset, whole seconds; they must read back as the same instants.
func windowed(admin *cloudflare.Client, baseURL string, pol shared.TokenPolicyParam, zone, at string) {
	cest := time.FixedZone("CEST", 2*60*60)
	notBefore := time.Now().In(cest).Add(-time.Hour).Truncate(time.Second)
	expiresOn := notBefore.Add(48 * time.Hour)
	ips := func(cidrs ...string) user.TokenNewParamsCondition {
		return user.TokenNewParamsCondition{RequestIP: cloudflare.F(user.TokenNewParamsConditionRequestIP{
			In: cloudflare.F(cidrs),
		})}
	}
	t := must(admin.User.Tokens.New(ctx, user.TokenNewParams{
		Name:      cloudflare.F("go-window"),
		Policies:  cloudflare.F([]shared.TokenPolicyParam{pol}),
		NotBefore: cloudflare.F(notBefore),
		ExpiresOn: cloudflare.F(expiresOn),
		Condition: cloudflare.F(ips("127.0.0.0/8", "::1/128")),
	}))(at + " token with a window and a condition")
	check(t.NotBefore.Equal(notBefore) && t.ExpiresOn.Equal(expiresOn), "%s the window reads back: %s", at, t.JSON.RawJSON())
	check(strings.Join(t.Condition.RequestIP.In, ",") == "127.0.0.0/8,::1/128", "%s the condition reads back: %s", at, t.Condition.JSON.RawJSON())
	v := must(client(baseURL, nil, option.WithAPIToken(t.Value)).User.Tokens.Verify(ctx))(at + " verify a windowed token")
	check(v.Status == user.TokenVerifyResponseStatusActive && v.NotBefore.Equal(notBefore) && v.ExpiresOn.Equal(expiresOn),
		"%s verify tells the window: %s", at, v.JSON.RawJSON())
	fenced := must(admin.User.Tokens.New(ctx, user.TokenNewParams{
		Name:      cloudflare.F("go-fenced"),
		Policies:  cloudflare.F([]shared.TokenPolicyParam{pol}),
		Condition: cloudflare.F(ips("192.0.2.0/24")),
	}))(at + " token for another network")
	_, err := client(baseURL, nil, option.WithAPIToken(fenced.Value)).ClientCertificates.List(ctx, client_certificates.ClientCertificateListParams{
		ZoneID: cloudflare.F(zone),
	})
	apiError(err, 403, 9109, at+" a token used from outside its request_ip")
	for _, id := range []string{t.ID, fenced.ID} {
		must(admin.User.Tokens.Delete(ctx, id))(at + " delete a windowed token")
	}
}

func decode(raw string, into any, what string) {
	if err := json.Unmarshal([]byte(raw), into); err != nil {
		fail("%s: %v in %s", what, err, raw)
	}
}

func unique(ids []string) map[string]bool {
	out := map[string]bool{}
	for _, id := range ids {
		out[id] = true
	}
	return out
}

func zoneIDs(list []zones.Zone) []string {
	var out []string
	for _, z := range list {
		out = append(out, z.ID)
	}
	return out
}

func containsZone(list []zones.Zone, id string) bool {
	return unique(zoneIDs(list))[id]
}

func containsToken(list []shared.Token, id string) bool {
	for _, t := range list {
		if t.ID == id {
			return true
		}
	}
	return false
}

// autoPager is what every ListAutoPaging returns.
type autoPager[T any] interface {
	Next() bool
	Current() T
	Err() error
}

func collectAll[T any](p autoPager[T], what string) []T {
	var out []T
	for p.Next() {
		out = append(out, p.Current())
		if len(out) > 1000 {
			fail("%s: auto-pagination does not stop", what)
		}
	}
	if err := p.Err(); err != nil {
		fail("%s: %v", what, err)
	}
	return out
}

func collectZones(p autoPager[zones.Zone], what string) []zones.Zone { return collectAll(p, what) }

func collectTokens(p autoPager[shared.Token], what string) []shared.Token {
	return collectAll(p, what)
}

func collectGroups(p autoPager[user.TokenPermissionGroupListResponse], what string) []user.TokenPermissionGroupListResponse {
	return collectAll(p, what)
}

// Command sdkcheck drives a running mtls-ca with Cloudflare's official Go SDK
// (github.com/cloudflare/cloudflare-go/v7, pinned in go.mod), configured only by the base URL and
// credentials, as code written for Cloudflare would be.
//
// Run by tests/api/sdk.rs, which starts the server and passes: MTLS_CA_BASE_URL, MTLS_CA_ZONE,
// MTLS_CA_TOKEN (write), MTLS_CA_READ_TOKEN, MTLS_CA_EMAIL + MTLS_CA_KEY (a user), MTLS_CA_CSRS (a
// JSON file with a list of PEM CSRs), MTLS_CA_OLD_CERT, MTLS_CA_OLD_CA and MTLS_CA_NEW_CA (a
// certificate issued before a CA rotation, the CA that issued it, and the issuing CA since), and
// MTLS_CA_STATE, a file to keep state in between the two phases:
//
//	sdkcheck check          everything, leaving per base URL one certificate pending_revocation
//	                        and one pending_reactivation; then, with the user's Global API Key,
//	                        zones and user API tokens (admin.go), leaving none of its own behind
//	sdkcheck after-worker   run after the test has run the worker once: the SDK reads them
//	                        revoked and active again
//
// Each phase prints "sdk-go: N passed, 0 failed" and exits non-zero on the first failed check.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"

	"github.com/cloudflare/cloudflare-go/v7"
	"github.com/cloudflare/cloudflare-go/v7/client_certificates"
	"github.com/cloudflare/cloudflare-go/v7/option"
)

var (
	checks int
	ctx    = context.Background()
	uuidRe = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	hexID  = regexp.MustCompile(`^[0-9a-f]{32}$`)
)

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "FAILED: "+format+"\n", args...)
	os.Exit(1)
}

func check(cond bool, format string, args ...any) {
	if !cond {
		fail(format, args...)
	}
	checks++
}

func env(name string) string {
	v := os.Getenv(name)
	if v == "" {
		fail("environment variable %s is not set", name)
	}
	return v
}

// must stops on an unexpected error, printing what the SDK says about it.
func must[T any](v T, err error) func(what string) T {
	return func(what string) T {
		if err != nil {
			fail("%s: unexpected error: %v", what, err)
		}
		return v
	}
}

// recorder keeps the URL of every request a client sends.
type recorder struct {
	mu   sync.Mutex
	urls []string
}

func (r *recorder) middleware(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
	r.mu.Lock()
	r.urls = append(r.urls, req.URL.String())
	r.mu.Unlock()
	return next(req)
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.urls
	r.urls = nil
	return out
}

func client(baseURL string, rec *recorder, auth ...option.RequestOption) *cloudflare.Client {
	opts := []option.RequestOption{option.WithBaseURL(baseURL), option.WithMaxRetries(0)}
	if rec != nil {
		opts = append(opts, option.WithMiddleware(rec.middleware))
	}
	return cloudflare.NewClient(append(opts, auth...)...)
}

// apiError expects err to be the SDK's typed *cloudflare.Error with this HTTP status and first error code.
func apiError(err error, status int, code int64, what string) {
	if err == nil {
		fail("%s: expected HTTP %d, got success", what, status)
	}
	var e *cloudflare.Error
	if !errors.As(err, &e) {
		fail("%s: expected *cloudflare.Error, got %T: %v", what, err, err)
	}
	check(e.StatusCode == status, "%s: HTTP %d, expected %d: %v", what, e.StatusCode, status, err)
	check(len(e.Errors) > 0 && e.Errors[0].Code == code, "%s: expected code %d: %v", what, code, err)
	check(e.Errors[0].Message != "", "%s: the error has a message", what)
}

// wellFormed checks that the SDK decoded every field of a certificate as the type it declares,
// that none is missing or null, and that the server sent no field the SDK does not know.
func wellFormed(c *client_certificates.ClientCertificate, at string) {
	j := c.JSON
	fields := map[string]interface {
		IsNull() bool
		IsInvalid() bool
	}{
		"id": j.ID, "certificate": j.Certificate, "certificate_authority": j.CertificateAuthority,
		"common_name": j.CommonName, "country": j.Country, "csr": j.Csr, "expires_on": j.ExpiresOn,
		"fingerprint_sha256": j.FingerprintSha256, "issued_on": j.IssuedOn, "location": j.Location,
		"organization": j.Organization, "organizational_unit": j.OrganizationalUnit,
		"serial_number": j.SerialNumber, "signature": j.Signature, "ski": j.Ski, "state": j.State,
		"status": j.Status, "validity_days": j.ValidityDays,
	}
	for name, f := range fields {
		check(!f.IsNull() && !f.IsInvalid(), "%s field %s is present and well typed", at, name)
	}
	check(len(j.ExtraFields) == 0, "%s no fields beyond Cloudflare's: %v", at, keys(j.ExtraFields))
	check(!c.CertificateAuthority.JSON.ID.IsNull() && !c.CertificateAuthority.JSON.Name.IsNull(),
		"%s certificate_authority has id and name", at)
	check(c.Status.IsKnown(), "%s status %q is one the SDK knows", at, c.Status)
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// State is what the first phase leaves for the second, per base URL.
type State struct {
	Revoked     string `json:"revoked"`
	Reactivated string `json:"reactivated"`
}

func bases() []string {
	base := strings.TrimRight(env("MTLS_CA_BASE_URL"), "/")
	return []string{base + "/client/v4", base}
}

func main() {
	if len(os.Args) != 2 {
		fail("usage: sdkcheck check|after-worker")
	}
	switch os.Args[1] {
	case "check":
		state := map[string]State{}
		for _, baseURL := range bases() {
			state[baseURL] = run(baseURL)
			administer(baseURL, readCSRs())
		}
		data, err := json.Marshal(state)
		if err == nil {
			err = os.WriteFile(env("MTLS_CA_STATE"), data, 0o600)
		}
		if err != nil {
			fail("writing the state: %v", err)
		}
	case "after-worker":
		data, err := os.ReadFile(env("MTLS_CA_STATE"))
		if err != nil {
			fail("reading the state: %v", err)
		}
		var state map[string]State
		if err := json.Unmarshal(data, &state); err != nil {
			fail("the state: %v", err)
		}
		for _, baseURL := range bases() {
			afterWorker(baseURL, state[baseURL])
		}
	default:
		fail("unknown phase %q", os.Args[1])
	}
	fmt.Printf("sdk-go: %d passed, 0 failed\n", checks)
}

func readCSRs() []string {
	var csrs []string
	data, err := os.ReadFile(env("MTLS_CA_CSRS"))
	if err == nil {
		err = json.Unmarshal(data, &csrs)
	}
	if err != nil || len(csrs) < 12 {
		fail("reading the CSRs: %v (%d)", err, len(csrs))
	}
	return csrs
}

func run(baseURL string) State {
	at := "[" + baseURL + "]"
	zone := env("MTLS_CA_ZONE")
	csrs := readCSRs()
	rec := &recorder{}
	cf := client(baseURL, rec, option.WithAPIToken(env("MTLS_CA_TOKEN")))
	certs := cf.ClientCertificates

	var created []*client_certificates.ClientCertificate
	for _, csr := range csrs {
		c := must(certs.New(ctx, client_certificates.ClientCertificateNewParams{
			ZoneID:       cloudflare.F(zone),
			Csr:          cloudflare.F(csr),
			ValidityDays: cloudflare.F(int64(30)),
		}))(at + " create")
		created = append(created, c)
	}
	for _, u := range rec.take() {
		_, rest, _ := strings.Cut(u, "://")
		check(!strings.Contains(rest, "//"), "%s no empty path segment in %s", at, u)
	}
	first := created[0]
	wellFormed(first, at+" created")
	check(first.Status == "active", "%s created status %s", at, first.Status)
	check(first.Csr == csrs[0], "%s csr echoed exactly", at)
	check(first.ValidityDays == 30, "%s validity_days %d", at, first.ValidityDays)
	check(strings.HasPrefix(first.Certificate, "-----BEGIN CERTIFICATE-----"), "%s certificate is PEM", at)
	check(uuidRe.MatchString(first.CertificateAuthority.ID), "%s CA id %q", at, first.CertificateAuthority.ID)
	check(hexID.MatchString(first.ID), "%s id is 32 lowercase hex: %q", at, first.ID)
	check(first.ExpiresOn != "" && first.IssuedOn != "", "%s dates", at)
	seen := map[string]bool{}
	for _, c := range created {
		seen[c.ID] = true
	}
	check(len(seen) == len(created), "%s every create gives a new id", at)

	check(first.CertificateAuthority.ID == env("MTLS_CA_NEW_CA"), "%s issued by the rotated-to CA", at)
	old := must(certs.Get(ctx, env("MTLS_CA_OLD_CERT"), client_certificates.ClientCertificateGetParams{
		ZoneID: cloudflare.F(zone),
	}))(at + " get the older certificate")
	check(old.CertificateAuthority.ID == env("MTLS_CA_OLD_CA"), "%s an older certificate keeps its CA", at)
	check(old.CertificateAuthority.ID != first.CertificateAuthority.ID, "%s the CA id changed with the rotation", at)

	got := must(certs.Get(ctx, first.ID, client_certificates.ClientCertificateGetParams{ZoneID: cloudflare.F(zone)}))(at + " get")
	wellFormed(got, at+" got")
	check(got.ID == first.ID && got.SerialNumber == first.SerialNumber, "%s get returns the certificate", at)

	// One page by hand: result and result_info as the SDK decodes them.
	page1 := must(certs.List(ctx, client_certificates.ClientCertificateListParams{
		ZoneID:  cloudflare.F(zone),
		PerPage: cloudflare.F(5.0),
	}))(at + " list")
	check(len(page1.Result) == 5, "%s first page holds 5, got %d", at, len(page1.Result))
	check(page1.ResultInfo.Page == 1 && page1.ResultInfo.PerPage == 5, "%s result_info %s", at, page1.ResultInfo.JSON.RawJSON())
	var info struct {
		TotalCount int `json:"total_count"`
	}
	if err := json.Unmarshal([]byte(page1.ResultInfo.JSON.RawJSON()), &info); err != nil {
		fail("%s result_info: %v", at, err)
	}
	check(info.TotalCount >= len(created), "%s total_count %d", at, info.TotalCount)
	rec.take()

	// Auto-pagination walks every page (5 a page) and stops on the empty one.
	var listed []string
	pager := certs.ListAutoPaging(ctx, client_certificates.ClientCertificateListParams{
		ZoneID:  cloudflare.F(zone),
		PerPage: cloudflare.F(5.0),
	})
	for pager.Next() {
		listed = append(listed, pager.Current().ID)
		if len(listed) > 1000 {
			fail("%s auto-pagination does not stop", at)
		}
	}
	if err := pager.Err(); err != nil {
		fail("%s auto-pagination: %v", at, err)
	}
	pages := rec.take()
	expectedPages := int(math.Ceil(float64(info.TotalCount)/5)) + 1 // + the empty page that stops it
	check(len(pages) == expectedPages, "%s %d pages fetched, expected %d: %v", at, len(pages), expectedPages, pages)
	check(len(listed) == info.TotalCount, "%s listed %d, total_count %d", at, len(listed), info.TotalCount)
	var mine []string
	for _, c := range created {
		mine = append(mine, c.ID)
	}
	check(len(listed) >= len(mine) && strings.Join(listed[len(listed)-len(mine):], ",") == strings.Join(mine, ","),
		"%s auto-paginated list holds every created certificate, oldest first", at)
	unique := map[string]bool{}
	for _, id := range listed {
		unique[id] = true
	}
	check(len(unique) == len(listed), "%s no certificate listed twice", at)

	// The other parameters as the SDK encodes them (Page and PerPage are float64, Offset and
	// Limit int64).
	list := func(p client_certificates.ClientCertificateListParams, what string) *client_certificates.ClientCertificate {
		p.ZoneID = cloudflare.F(zone)
		page := must(certs.List(ctx, p))(at + " " + what)
		if len(page.Result) == 0 {
			return nil
		}
		return &page.Result[0]
	}
	page2 := must(certs.List(ctx, client_certificates.ClientCertificateListParams{
		ZoneID: cloudflare.F(zone), Page: cloudflare.F(2.0), PerPage: cloudflare.F(5.0),
	}))(at + " list page 2")
	check(len(page2.Result) == 5 && page2.Result[0].ID == listed[5], "%s page 2 starts at the sixth certificate", at)
	check(page2.ResultInfo.Page == 2 && page2.ResultInfo.PerPage == 5, "%s page 2 result_info %s", at, page2.ResultInfo.JSON.RawJSON())
	cut := must(certs.List(ctx, client_certificates.ClientCertificateListParams{
		ZoneID: cloudflare.F(zone), Offset: cloudflare.F(int64(1)), Limit: cloudflare.F(int64(3)), PerPage: cloudflare.F(5.0),
	}))(at + " list with offset and limit")
	check(len(cut.Result) == 3 && cut.Result[0].ID == listed[1] && cut.Result[2].ID == listed[3],
		"%s offset 1, limit 3 gives the second to fourth certificates", at)
	wide := must(certs.List(ctx, client_certificates.ClientCertificateListParams{
		ZoneID: cloudflare.F(zone), PerPage: cloudflare.F(100.0),
	}))(at + " list per_page 100")
	check(wide.ResultInfo.PerPage == 50, "%s per_page 100 is clamped to 50: %d", at, wide.ResultInfo.PerPage)
	narrow := must(certs.List(ctx, client_certificates.ClientCertificateListParams{
		ZoneID: cloudflare.F(zone), PerPage: cloudflare.F(1.0),
	}))(at + " list per_page 1")
	check(narrow.ResultInfo.PerPage == 5 && len(narrow.Result) == 5, "%s per_page 1 is clamped to 5: %d", at, narrow.ResultInfo.PerPage)
	all := list(client_certificates.ClientCertificateListParams{
		Status: cloudflare.F(client_certificates.ClientCertificateListParamsStatusAll),
	}, "list status all")
	check(all != nil && all.ID == listed[0], "%s status=all lists from the oldest", at)
	past := list(client_certificates.ClientCertificateListParams{
		Page: cloudflare.F(1000.0), PerPage: cloudflare.F(5.0),
	}, "list past the end")
	check(past == nil, "%s a page past the end is empty", at)

	// Revocation and reactivation.
	del := client_certificates.ClientCertificateDeleteParams{ZoneID: cloudflare.F(zone)}
	revoked := must(certs.Delete(ctx, first.ID, del))(at + " delete")
	check(revoked.Status == "pending_revocation", "%s delete gives %s", at, revoked.Status)
	again := must(certs.Delete(ctx, first.ID, del))(at + " delete again")
	check(again.Status == "pending_revocation" && again.ID == first.ID, "%s a repeated delete changes nothing", at)

	pending := collect(certs.ListAutoPaging(ctx, client_certificates.ClientCertificateListParams{
		ZoneID: cloudflare.F(zone),
		Status: cloudflare.F(client_certificates.ClientCertificateListParamsStatusPendingRevocation),
	}), at+" list pending_revocation")
	check(contains(pending, first.ID), "%s status filter finds the revoked certificate", at)
	for _, c := range pending {
		check(c.Status == "pending_revocation", "%s status filter lists only that status: %s", at, c.Status)
	}
	active := collect(certs.ListAutoPaging(ctx, client_certificates.ClientCertificateListParams{
		ZoneID:  cloudflare.F(zone),
		Status:  cloudflare.F(client_certificates.ClientCertificateListParamsStatusActive),
		PerPage: cloudflare.F(50.0),
	}), at+" list active")
	check(!contains(active, first.ID), "%s status=active leaves the revoked certificate out", at)

	edited := must(certs.Edit(ctx, first.ID, client_certificates.ClientCertificateEditParams{ZoneID: cloudflare.F(zone)}))(at + " edit")
	check(edited.Status == "pending_reactivation", "%s edit gives %s", at, edited.Status)
	edited = must(certs.Edit(ctx, created[1].ID, client_certificates.ClientCertificateEditParams{
		ZoneID:     cloudflare.F(zone),
		Reactivate: cloudflare.F(true),
	}))(at + " edit an active certificate")
	check(edited.Status == "active", "%s edit of an active certificate changes nothing: %s", at, edited.Status)

	// Left pending_revocation for the worker.
	left := must(certs.Delete(ctx, created[2].ID, del))(at + " delete for the worker")
	check(left.Status == "pending_revocation", "%s delete gives %s", at, left.Status)

	// Typed errors.
	_, err := certs.New(ctx, client_certificates.ClientCertificateNewParams{
		ZoneID: cloudflare.F(zone), Csr: cloudflare.F("not a csr"), ValidityDays: cloudflare.F(int64(30)),
	})
	apiError(err, 400, 1410, at+" a bad CSR")

	_, err = certs.Get(ctx, strings.Repeat("0", 32), client_certificates.ClientCertificateGetParams{ZoneID: cloudflare.F(zone)})
	apiError(err, 404, 7003, at+" an unknown id")

	stranger := client(baseURL, nil, option.WithAPIToken("mtlsca_unknown"))
	_, err = stranger.ClientCertificates.Get(ctx, first.ID, client_certificates.ClientCertificateGetParams{ZoneID: cloudflare.F(zone)})
	apiError(err, 401, 1000, at+" an unknown token")

	reader := client(baseURL, nil, option.WithAPIToken(env("MTLS_CA_READ_TOKEN")))
	read := must(reader.ClientCertificates.Get(ctx, first.ID, client_certificates.ClientCertificateGetParams{
		ZoneID: cloudflare.F(zone),
	}))(at + " a read token reads")
	check(read.ID == first.ID, "%s a read token reads", at)
	_, err = reader.ClientCertificates.New(ctx, client_certificates.ClientCertificateNewParams{
		ZoneID: cloudflare.F(zone), Csr: cloudflare.F(csrs[0]), ValidityDays: cloudflare.F(int64(30)),
	})
	apiError(err, 403, 10000, at+" a read token creating")

	user := client(baseURL, nil, option.WithAPIEmail(env("MTLS_CA_EMAIL")), option.WithAPIKey(env("MTLS_CA_KEY")))
	byKey := must(user.ClientCertificates.Get(ctx, first.ID, client_certificates.ClientCertificateGetParams{
		ZoneID: cloudflare.F(zone),
	}))(at + " a Global API Key")
	check(byKey.ID == first.ID, "%s a Global API Key works", at)

	return State{Revoked: created[2].ID, Reactivated: first.ID}
}

// afterWorker checks, after one worker run, that the certificates left pending reached their state.
func afterWorker(baseURL string, s State) {
	at := "[" + baseURL + "]"
	zone := env("MTLS_CA_ZONE")
	if s.Revoked == "" || s.Reactivated == "" {
		fail("%s no state from the first phase", at)
	}
	certs := client(baseURL, nil, option.WithAPIToken(env("MTLS_CA_TOKEN"))).ClientCertificates
	get := client_certificates.ClientCertificateGetParams{ZoneID: cloudflare.F(zone)}

	revoked := must(certs.Get(ctx, s.Revoked, get))(at + " get the revoked certificate")
	check(revoked.Status == "revoked", "%s the worker revoked it: %s", at, revoked.Status)
	reactivated := must(certs.Get(ctx, s.Reactivated, get))(at + " get the reactivated certificate")
	check(reactivated.Status == "active", "%s the worker reactivated it: %s", at, reactivated.Status)

	list := collect(certs.ListAutoPaging(ctx, client_certificates.ClientCertificateListParams{
		ZoneID:  cloudflare.F(zone),
		Status:  cloudflare.F(client_certificates.ClientCertificateListParamsStatusRevoked),
		PerPage: cloudflare.F(5.0),
	}), at+" list revoked")
	check(contains(list, s.Revoked), "%s status=revoked lists it", at)
	check(!contains(list, s.Reactivated), "%s status=revoked leaves the reactivated one out", at)

	again := must(certs.Delete(ctx, s.Revoked, client_certificates.ClientCertificateDeleteParams{ZoneID: cloudflare.F(zone)}))(at + " delete a revoked certificate")
	check(again.Status == "revoked", "%s a delete of a revoked certificate changes nothing: %s", at, again.Status)
	edited := must(certs.Edit(ctx, s.Revoked, client_certificates.ClientCertificateEditParams{
		ZoneID:     cloudflare.F(zone),
		Reactivate: cloudflare.F(true),
	}))(at + " edit a revoked certificate")
	check(edited.Status == "pending_reactivation", "%s edit of a revoked certificate gives %s", at, edited.Status)
}

type pager interface {
	Next() bool
	Current() client_certificates.ClientCertificate
	Err() error
}

func collect(p pager, what string) []client_certificates.ClientCertificate {
	var out []client_certificates.ClientCertificate
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

func contains(list []client_certificates.ClientCertificate, id string) bool {
	for _, c := range list {
		if c.ID == id {
			return true
		}
	}
	return false
}

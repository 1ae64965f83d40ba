"""Drives a running mtls-ca with Cloudflare's official Python SDK (cloudflare==5.9.0).

Run by tests/api/sdk.rs, which starts the server and passes: MTLS_CA_BASE_URL, MTLS_CA_ZONE,
MTLS_CA_TOKEN (write), MTLS_CA_READ_TOKEN, MTLS_CA_EMAIL + MTLS_CA_KEY (a user), MTLS_CA_CSRS
(a JSON file with a list of PEM CSRs), and MTLS_CA_OLD_CERT, MTLS_CA_OLD_CA and MTLS_CA_NEW_CA: a
certificate issued before a CA rotation, the CA that issued it, and the issuing CA since. Exits
non-zero on the first failed check.
"""

import json
import os
import sys

import cloudflare
import httpx
from cloudflare import Cloudflare

# Over HTTPS the server's certificate comes from the CA under test: trust its bundle only.
BUNDLE = os.environ.get("MTLS_CA_CA_BUNDLE")
TLS = {"http_client": httpx.Client(verify=BUNDLE)} if BUNDLE else {}

BASE = os.environ["MTLS_CA_BASE_URL"]
ZONE = os.environ["MTLS_CA_ZONE"]
CSRS = json.load(open(os.environ["MTLS_CA_CSRS"]))
checks = 0


def check(cond, what):
    global checks
    if not cond:
        print(f"FAILED: {what}", file=sys.stderr)
        sys.exit(1)
    checks += 1


def error_code(exc):
    return exc.body["errors"][0]["code"] if isinstance(exc.body, dict) else exc.body[0]["code"]


for base_url in (BASE + "/client/v4", BASE):
    cf = Cloudflare(api_token=os.environ["MTLS_CA_TOKEN"], base_url=base_url, max_retries=0, **TLS)
    certs = cf.client_certificates

    created = [certs.create(zone_id=ZONE, csr=csr, validity_days=30) for csr in CSRS]
    first = created[0]
    check(first.status == "active", f"created status {first.status}")
    check(first.csr == CSRS[0], "csr echoed exactly")
    check(first.validity_days == 30, "validity_days")
    check(first.certificate.startswith("-----BEGIN CERTIFICATE-----"), "certificate is PEM")
    check(first.certificate_authority is not None and len(first.certificate_authority.id) == 36, "CA id")
    check(first.expires_on is not None and first.issued_on is not None, "dates")

    check(first.certificate_authority.id == os.environ["MTLS_CA_NEW_CA"], "issued by the rotated-to CA")
    old = certs.get(os.environ["MTLS_CA_OLD_CERT"], zone_id=ZONE)
    check(old.certificate_authority.id == os.environ["MTLS_CA_OLD_CA"], "an older certificate keeps its CA")
    check(old.certificate_authority.id != first.certificate_authority.id, "the CA id changed with the rotation")

    got = certs.get(first.id, zone_id=ZONE)
    check(got.id == first.id and got.serial_number == first.serial_number, "get returns the certificate")

    # Auto-pagination walks every page (5 a page) and stops on the empty one.
    listed = [c.id for c in certs.list(zone_id=ZONE, per_page=5)]
    mine = [c.id for c in created]
    check(listed[-len(mine):] == mine, "auto-paginated list holds every created certificate, oldest first")
    check(len(listed) == len(set(listed)), "no certificate listed twice")

    revoked = certs.delete(first.id, zone_id=ZONE)
    check(revoked.status == "pending_revocation", f"delete gives {revoked.status}")
    again = certs.delete(first.id, zone_id=ZONE)
    check(again.status == "pending_revocation", "a repeated delete changes nothing")
    pending = [c.id for c in certs.list(zone_id=ZONE, status="pending_revocation")]
    check(first.id in pending, "status filter")
    edited = certs.edit(first.id, zone_id=ZONE)
    check(edited.status == "pending_reactivation", f"edit gives {edited.status}")
    edited = certs.edit(created[1].id, zone_id=ZONE, reactivate=True)
    check(edited.status == "active", "edit of an active certificate changes nothing")

    try:
        certs.create(zone_id=ZONE, csr="not a csr", validity_days=30)
        check(False, "a bad CSR must raise")
    except cloudflare.BadRequestError as e:
        check(e.status_code == 400 and error_code(e) == 1410, f"bad CSR: {e.status_code} {e.body}")

    try:
        certs.get("0" * 32, zone_id=ZONE)
        check(False, "an unknown id must raise")
    except cloudflare.NotFoundError as e:
        check(error_code(e) == 7003, f"unknown id: {e.body}")

    try:
        Cloudflare(api_token="mtlsca_unknown", base_url=base_url, max_retries=0, **TLS).client_certificates.get(
            first.id, zone_id=ZONE
        )
        check(False, "an unknown token must raise")
    except cloudflare.AuthenticationError as e:
        check(e.status_code == 401 and error_code(e) == 1000, f"unknown token: {e.body}")

    reader = Cloudflare(api_token=os.environ["MTLS_CA_READ_TOKEN"], base_url=base_url, max_retries=0, **TLS)
    check(reader.client_certificates.get(first.id, zone_id=ZONE).id == first.id, "a read token reads")
    try:
        reader.client_certificates.create(zone_id=ZONE, csr=CSRS[0], validity_days=30)
        check(False, "a read token must not create")
    except cloudflare.PermissionDeniedError as e:
        check(e.status_code == 403 and error_code(e) == 10000, f"read token create: {e.body}")

    user = Cloudflare(
        api_email=os.environ["MTLS_CA_EMAIL"], api_key=os.environ["MTLS_CA_KEY"], base_url=base_url, max_retries=0, **TLS
    )
    check(user.client_certificates.get(first.id, zone_id=ZONE).id == first.id, "a Global API Key works")

print(f"sdk: {checks} passed, 0 failed")

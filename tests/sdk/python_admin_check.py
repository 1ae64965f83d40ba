"""Provisions a running mtls-ca with Cloudflare's official Python SDK (cloudflare==5.9.0): accounts,
zones, API tokens (create with a zone-scoped SSL write policy, use, verify, disable, roll, delete),
permission groups and the audit log, with only the base URL changed.

Run by tests/api/admin.rs with MTLS_CA_BASE_URL, MTLS_CA_EMAIL + MTLS_CA_KEY (a user's Global API
Key) and MTLS_CA_CSRS (a JSON file with PEM CSRs). Prints the secrets it was given on its last line
as `SECRETS <json>` so the test can search the database and logs for them. Exits non-zero on the
first failed check.
"""

import json
import os
import sys
import uuid

import cloudflare
import httpx
from cloudflare import Cloudflare

BUNDLE = os.environ.get("MTLS_CA_CA_BUNDLE")
TLS = {"http_client": httpx.Client(verify=BUNDLE)} if BUNDLE else {}
BASE = os.environ["MTLS_CA_BASE_URL"] + "/client/v4"
CSRS = json.load(open(os.environ["MTLS_CA_CSRS"]))
checks = 0
secrets = []


def check(cond, what):
    global checks
    if not cond:
        print(f"FAILED: {what}", file=sys.stderr)
        sys.exit(1)
    checks += 1


def fails(call, exc_type, status, what):
    try:
        call()
    except exc_type as e:
        check(e.status_code == status, f"{what}: status {e.status_code}")
        return e
    check(False, f"{what}: no error")


def token_client(secret):
    return Cloudflare(api_token=secret, base_url=BASE, max_retries=0, **TLS)


admin = Cloudflare(api_email=os.environ["MTLS_CA_EMAIL"], api_key=os.environ["MTLS_CA_KEY"],
                   base_url=BASE, max_retries=0, **TLS)

accounts = list(admin.accounts.list())
check(len(accounts) == 1 and len(accounts[0].id) == 32, "one account")
account = admin.accounts.get(account_id=accounts[0].id)
check(account.name == accounts[0].name and account.type == "standard", "account get")

name = f"sdk-{uuid.uuid4().hex[:8]}.example"
zone = admin.zones.create(name=name, account={"id": account.id}, type="full")
check(zone.name == name and zone.status == "active" and zone.account.id == account.id, "zone created")
listed = list(admin.zones.list(name=name))
check([z.id for z in listed] == [zone.id], "zones.list(name=) finds it")
check(zone.id in [z.id for z in admin.zones.list(account={"id": account.id})], "zones.list(account.id=)")
check(admin.zones.get(zone_id=zone.id).name == name, "zones.get")
other = admin.zones.create(name=f"other-{name}", account={"id": account.id})

groups = {g.name: g.id for g in admin.user.tokens.permission_groups.list()}
check(set(groups) == {"SSL and Certificates Read", "SSL and Certificates Write", "Zone Read",
                      "Zone Write", "API Tokens Read", "API Tokens Write"}, f"permission groups {groups}")
policy = {"effect": "allow", "permission_groups": [{"id": groups["SSL and Certificates Write"]}],
          "resources": {f"com.cloudflare.api.account.zone.{zone.id}": "*"}}
created = admin.user.tokens.create(name="ci", policies=[policy])
secret = created.value
secrets.append(secret)
check(created.status == "active" and created.id and secret, "token created with its value")
check(created.policies[0].permission_groups[0].name == "SSL and Certificates Write", "policy echoed")

ci = token_client(secret)
cert = ci.client_certificates.create(zone_id=zone.id, csr=CSRS[0], validity_days=30)
check(cert.status == "active", "the new token issues in its zone")
fails(lambda: ci.client_certificates.create(zone_id=other.id, csr=CSRS[1], validity_days=30),
      cloudflare.PermissionDeniedError, 403, "the zone-scoped token outside its zone")
fails(lambda: list(ci.user.tokens.list()), cloudflare.PermissionDeniedError, 403,
      "an SSL token cannot list tokens")
verified = ci.user.tokens.verify()
check(verified.id == created.id and verified.status == "active", f"verify {verified}")

got = admin.user.tokens.get(created.id)
check(got.name == "ci", "get")
check(created.id in [t.id for t in admin.user.tokens.list()], "tokens.list has it")

disabled = admin.user.tokens.update(created.id, name="ci", policies=[policy], status="disabled")
check(disabled.status == "disabled", "updated to disabled")
fails(lambda: list(ci.client_certificates.list(zone_id=zone.id)), cloudflare.AuthenticationError, 401,
      "a disabled token")
check(ci.user.tokens.verify().status == "disabled", "verify tells disabled")
admin.user.tokens.update(created.id, name="ci-renamed", policies=[policy], status="active")
check(len(list(ci.client_certificates.list(zone_id=zone.id))) == 1, "enabled again")

rolled = admin.user.tokens.value.update(created.id)
secrets.append(rolled)
check(rolled and rolled != secret, "roll gives a new secret")
fails(lambda: list(ci.client_certificates.list(zone_id=zone.id)), cloudflare.AuthenticationError, 401,
      "the old secret after a roll")
ci = token_client(rolled)
check(len(list(ci.client_certificates.list(zone_id=zone.id))) == 1, "the new secret works")
check(admin.user.tokens.get(created.id).last_used_on is not None, "last_used_on is kept")

admin.user.tokens.delete(created.id)
fails(lambda: ci.user.tokens.verify(), cloudflare.AuthenticationError, 401, "a deleted token")
fails(lambda: admin.user.tokens.get(created.id), cloudflare.NotFoundError, 404, "get a deleted token")

e = fails(lambda: admin.zones.delete(zone_id=zone.id), cloudflare.BadRequestError, 400,
          "deleting a zone with certificates")
check("certificate" in e.body["errors"][0]["message"], "the refusal says why")
admin.zones.delete(zone_id=other.id)
fails(lambda: admin.zones.get(zone_id=other.id), cloudflare.NotFoundError, 404, "a deleted zone")

entries = list(admin.user.audit_logs.list(direction="asc", per_page=1000))
steps = [(e.action.type, e.resource.type) for e in entries]
expected = [("create", "zone"), ("create", "zone"), ("create", "token"), ("issue", "certificate"),
            ("update", "token"), ("update", "token"), ("roll", "token"), ("delete", "token"),
            ("delete", "zone")]
sdk_steps = [s for s in steps if s[1] != "user"]
check(sdk_steps[-len(expected):] == expected, f"audit log steps {sdk_steps}")
by_token = [e for e in entries if e.actor.id == created.id]
check(len(by_token) == 1 and by_token[0].action.type == "issue", "the issuance is the token's")
check(all(e.actor.email.lower() == os.environ["MTLS_CA_EMAIL"].lower() for e in entries if e.interface == "api"),
      "the actor email is the user's")
since = list(admin.user.audit_logs.list(action={"type": "roll"}))
check(len(since) == 1 and since[0].resource.id == created.id, "filter by action.type")
dump = json.dumps([e.to_dict() for e in entries], default=str)
check(all(s not in dump for s in secrets), "no secret in the audit log")

print(f"python admin check: {checks} passed, 0 failed")
print("SECRETS " + json.dumps(secrets))

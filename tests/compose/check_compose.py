"""Checks docker-compose.yml and the Dockerfile without a Docker engine.

The Compose file is validated against the Compose Specification JSON schema shipped inside PyPI's
docker-compose wheel (passed as argv[1]), then checked for what the deployment relies on.
"""

import json
import re
import sys
import zipfile
from pathlib import Path

import jsonschema
import yaml

root = Path(__file__).resolve().parents[2]
wheel = sys.argv[1]
with zipfile.ZipFile(wheel) as z:
    schema = json.loads(z.read("compose/config/compose_spec.json"))

compose = yaml.safe_load((root / "docker-compose.yml").read_text())
checks = 0


def check(cond, what):
    global checks
    if not cond:
        print(f"FAILED: {what}", file=sys.stderr)
        sys.exit(1)
    checks += 1


errors = sorted(jsonschema.Draft201909Validator(schema).iter_errors(compose), key=str)
check(not errors, "docker-compose.yml follows the Compose Specification: " + "; ".join(e.message for e in errors))

services = compose["services"]
check({"postgres", "mtls-ca"} <= set(services), "postgres and mtls-ca services")
ca, pg = services["mtls-ca"], services["postgres"]
check(ca.get("build") in (".", {"context": "."}), "mtls-ca is built from this repository's Dockerfile")
check(ca["depends_on"]["postgres"]["condition"] == "service_healthy", "mtls-ca waits for a healthy postgres")
check("healthcheck" in ca and "healthcheck" in pg, "both services have health checks")
check(any(str(p).endswith(":8080") for p in ca["ports"]), "mtls-ca is published on port 8080")
env = ca["environment"]
check(env["MTLS_CA_DATABASE_URL"].startswith("postgres://"), "mtls-ca uses Postgres")
check(env["MTLS_CA_LISTEN"].startswith("0.0.0.0:"), "mtls-ca listens on every interface in its container")
volumes = [v.split(":")[0] for v in pg["volumes"]]
check(all(v in compose.get("volumes", {}) for v in volumes) and volumes, "postgres data lives in a named volume")

dockerfile = (root / "Dockerfile").read_text()
stages = re.findall(r"^FROM\s+\S+", dockerfile, re.M)
check(len(stages) >= 2, "the Dockerfile is multi-stage")
users = re.findall(r"^USER\s+(\S+)", dockerfile, re.M)
check(users and users[-1] not in ("root", "0"), "the image runs as a non-root user")
check(re.search(r"^HEALTHCHECK\s", dockerfile, re.M), "the image has a health check")
check(re.search(r"^(CMD|ENTRYPOINT).*", dockerfile, re.M), "the image starts mtls-ca")

print(f"compose: {checks} passed, 0 failed")

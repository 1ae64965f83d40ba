// Drives a running mtls-ca with Cloudflare's official TypeScript/JavaScript SDK (npm cloudflare, pinned in
// package.json), configured only by baseURL and credentials, as code written for Cloudflare would be.
//
// Run by tests/api/sdk_node.rs, which starts the server and passes: MTLS_CA_BASE_URL, MTLS_CA_ZONE,
// MTLS_CA_TOKEN (write), MTLS_CA_READ_TOKEN, MTLS_CA_EMAIL + MTLS_CA_KEY (a user), MTLS_CA_CSRS (a JSON
// file with a list of PEM CSRs), and MTLS_CA_OLD_CERT, MTLS_CA_OLD_CA and MTLS_CA_NEW_CA: a certificate issued
// before a CA rotation, the CA that issued it, and the issuing CA since. Exits non-zero on the first failed check.

import { readFileSync } from 'node:fs';
import Cloudflare from 'cloudflare';

const env = (name) => {
  const v = process.env[name];
  if (!v) fail(`environment variable ${name} is not set`);
  return v;
};
const BASE = env('MTLS_CA_BASE_URL').replace(/\/+$/, '');
const ZONE = env('MTLS_CA_ZONE');
const CSRS = JSON.parse(readFileSync(env('MTLS_CA_CSRS'), 'utf8'));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
let checks = 0;

function fail(what) {
  console.error(`FAILED: ${what}`);
  process.exit(1);
}

function check(cond, what) {
  if (!cond) fail(what);
  checks += 1;
}

// The first error code of an APIError: `errors` is the body's `errors` array, `error` the whole body.
const errorCode = (e) => e.errors?.[0]?.code ?? e.error?.errors?.[0]?.code;
const describe = (e) => `${e?.constructor?.name}: ${e?.status} ${JSON.stringify(e?.error ?? e?.message)}`;

// Runs `call`, which must reject with an instance of `cls`; returns the error.
async function expectError(cls, call, what) {
  let result;
  try {
    result = await call();
  } catch (e) {
    if (!(e instanceof cls)) fail(`${what}: expected ${cls.name}, got ${describe(e)}`);
    return e;
  }
  fail(`${what}: expected ${cls.name}, got success ${JSON.stringify(result)}`);
}

async function collect(iterable) {
  const out = [];
  for await (const item of iterable) out.push(item);
  return out;
}

async function run(baseURL) {
  const at = `[${baseURL}]`;
  const client = new Cloudflare({ baseURL, apiToken: env('MTLS_CA_TOKEN'), maxRetries: 0 });
  const certs = client.clientCertificates;

  const created = [];
  for (const csr of CSRS) created.push(await certs.create({ zone_id: ZONE, csr, validity_days: 30 }));
  const first = created[0];
  check(first.status === 'active', `${at} created status ${first.status}`);
  check(first.csr === CSRS[0], `${at} csr echoed exactly`);
  check(first.validity_days === 30, `${at} validity_days ${first.validity_days}`);
  check(
    typeof first.certificate === 'string' && first.certificate.startsWith('-----BEGIN CERTIFICATE-----'),
    `${at} certificate is PEM`,
  );
  check(UUID.test(first.certificate_authority?.id ?? ''), `${at} CA id ${first.certificate_authority?.id}`);
  check(/^[0-9a-f]{32}$/.test(first.id ?? ''), `${at} id is 32 lowercase hex: ${first.id}`);
  check(Boolean(first.expires_on && first.issued_on), `${at} dates`);
  check(new Set(created.map((c) => c.id)).size === created.length, `${at} every create gives a new id`);

  check(first.certificate_authority?.id === env('MTLS_CA_NEW_CA'), `${at} issued by the rotated-to CA`);
  const old = await certs.get(env('MTLS_CA_OLD_CERT'), { zone_id: ZONE });
  check(old.certificate_authority?.id === env('MTLS_CA_OLD_CA'), `${at} an older certificate keeps its CA`);
  check(old.certificate_authority?.id !== first.certificate_authority?.id, `${at} the CA id changed with the rotation`);

  const got = await certs.get(first.id, { zone_id: ZONE });
  check(got.id === first.id && got.serial_number === first.serial_number, `${at} get returns the certificate`);

  // One page by hand: the SDK's page object exposes result and result_info.
  const page1 = await certs.list({ zone_id: ZONE, per_page: 5 });
  check(page1.result.length === 5, `${at} first page holds 5, got ${page1.result.length}`);
  check(page1.result_info?.per_page === 5 && page1.result_info?.page === 1, `${at} result_info ${JSON.stringify(page1.result_info)}`);
  check(page1.hasNextPage(), `${at} a full first page has a next page`);

  // Auto-pagination walks every page (5 a page) and stops on the empty one.
  let pages = 0;
  for await (const page of page1.iterPages()) {
    pages += 1;
    if (pages > 100) fail(`${at} auto-pagination does not stop`);
  }
  const expectedPages = Math.ceil(page1.result_info.total_count / 5) + 1; // + the empty page that stops it
  check(pages === expectedPages, `${at} ${pages} pages fetched, expected ${expectedPages}`);

  const listed = (await collect(certs.list({ zone_id: ZONE, per_page: 5 }))).map((c) => c.id);
  const mine = created.map((c) => c.id);
  check(
    JSON.stringify(listed.slice(-mine.length)) === JSON.stringify(mine),
    `${at} auto-paginated list holds every created certificate, oldest first`,
  );
  check(listed.length === new Set(listed).size, `${at} no certificate listed twice`);

  const revoked = await certs.delete(first.id, { zone_id: ZONE });
  check(revoked.status === 'pending_revocation', `${at} delete gives ${revoked.status}`);
  const again = await certs.delete(first.id, { zone_id: ZONE });
  check(again.status === 'pending_revocation' && again.id === first.id, `${at} a repeated delete changes nothing`);
  const pending = await collect(certs.list({ zone_id: ZONE, status: 'pending_revocation' }));
  check(pending.some((c) => c.id === first.id), `${at} status filter finds the revoked certificate`);
  check(pending.every((c) => c.status === 'pending_revocation'), `${at} status filter lists only that status`);
  const active = await collect(certs.list({ zone_id: ZONE, status: 'active', per_page: 50 }));
  check(!active.some((c) => c.id === first.id), `${at} status=active leaves the revoked certificate out`);

  let edited = await certs.edit(first.id, { zone_id: ZONE });
  check(edited.status === 'pending_reactivation', `${at} edit gives ${edited.status}`);
  edited = await certs.edit(created[1].id, { zone_id: ZONE, reactivate: true });
  check(edited.status === 'active', `${at} edit of an active certificate changes nothing: ${edited.status}`);

  let e = await expectError(
    Cloudflare.BadRequestError,
    () => certs.create({ zone_id: ZONE, csr: 'not a csr', validity_days: 30 }),
    `${at} a bad CSR`,
  );
  check(e.status === 400 && errorCode(e) === 1410, `${at} bad CSR: ${describe(e)}`);

  e = await expectError(
    Cloudflare.NotFoundError,
    () => certs.get('0'.repeat(32), { zone_id: ZONE }),
    `${at} an unknown id`,
  );
  check(e.status === 404 && errorCode(e) === 7003, `${at} unknown id: ${describe(e)}`);

  const stranger = new Cloudflare({ baseURL, apiToken: 'mtlsca_unknown', maxRetries: 0 });
  e = await expectError(
    Cloudflare.AuthenticationError,
    () => stranger.clientCertificates.get(first.id, { zone_id: ZONE }),
    `${at} an unknown token`,
  );
  check(e.status === 401 && errorCode(e) === 1000, `${at} unknown token: ${describe(e)}`);

  const reader = new Cloudflare({ baseURL, apiToken: env('MTLS_CA_READ_TOKEN'), maxRetries: 0 });
  check((await reader.clientCertificates.get(first.id, { zone_id: ZONE })).id === first.id, `${at} a read token reads`);
  e = await expectError(
    Cloudflare.PermissionDeniedError,
    () => reader.clientCertificates.create({ zone_id: ZONE, csr: CSRS[0], validity_days: 30 }),
    `${at} a read token creating`,
  );
  check(e.status === 403 && errorCode(e) === 10000, `${at} read token create: ${describe(e)}`);

  const user = new Cloudflare({
    baseURL,
    apiEmail: env('MTLS_CA_EMAIL'),
    apiKey: env('MTLS_CA_KEY'),
    maxRetries: 0,
  });
  check((await user.clientCertificates.get(first.id, { zone_id: ZONE })).id === first.id, `${at} a Global API Key works`);
}

try {
  for (const baseURL of [`${BASE}/client/v4`, BASE]) await run(baseURL);
} catch (e) {
  fail(`unexpected error: ${describe(e)}\n${e?.stack ?? ''}`);
}
console.log(`sdk-node: ${checks} passed, 0 failed`);

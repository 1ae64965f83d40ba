// Provisions a running mtls-ca with Cloudflare's official TypeScript/JavaScript SDK (npm cloudflare, pinned
// in package.json): accounts, zones, API tokens (create with a zone-scoped SSL write policy, use, verify,
// disable, roll, delete), permission groups and the audit log, with only baseURL changed.
//
// Run by tests/api/admin.rs with MTLS_CA_BASE_URL, MTLS_CA_EMAIL + MTLS_CA_KEY (a user's Global API Key) and
// MTLS_CA_CSRS (a JSON file with PEM CSRs). Prints the secrets it saw on its last line as `SECRETS <json>`
// so the test can search the database and logs for them. Exits non-zero on the first failed check.

import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import Cloudflare from 'cloudflare';

const env = (name) => {
  const v = process.env[name];
  if (!v) fail(`environment variable ${name} is not set`);
  return v;
};
const baseURL = `${env('MTLS_CA_BASE_URL').replace(/\/+$/, '')}/client/v4`;
const CSRS = JSON.parse(readFileSync(env('MTLS_CA_CSRS'), 'utf8'));
const secrets = [];
let checks = 0;

function fail(what) {
  console.error(`FAILED: ${what}`);
  process.exit(1);
}

function check(cond, what) {
  if (!cond) fail(what);
  checks += 1;
}

const describe = (e) => `${e?.constructor?.name}: ${e?.status} ${JSON.stringify(e?.error ?? e?.message)}`;

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

const admin = new Cloudflare({ baseURL, apiEmail: env('MTLS_CA_EMAIL'), apiKey: env('MTLS_CA_KEY'), maxRetries: 0 });
const tokenClient = (apiToken) => new Cloudflare({ baseURL, apiToken, maxRetries: 0 });

const accounts = await collect(admin.accounts.list());
check(accounts.length === 1 && /^[0-9a-f]{32}$/.test(accounts[0].id), `one account ${JSON.stringify(accounts)}`);
const account = await admin.accounts.get({ account_id: accounts[0].id });
check(account.name === accounts[0].name && account.type === 'standard', 'accounts.get');

const name = `node-${randomUUID().slice(0, 8)}.example`;
const zone = await admin.zones.create({ name, account: { id: account.id }, type: 'full' });
check(zone.name === name && zone.status === 'active' && zone.account.id === account.id, 'zone created');
const byName = await collect(admin.zones.list({ name }));
check(byName.length === 1 && byName[0].id === zone.id, 'zones.list({name}) finds it');
check((await admin.zones.get({ zone_id: zone.id })).name === name, 'zones.get');
const other = await admin.zones.create({ name: `other-${name}`, account: { id: account.id } });

const groups = Object.fromEntries((await collect(admin.user.tokens.permissionGroups.list())).map((g) => [g.name, g.id]));
check(Object.keys(groups).length === 6 && groups['SSL and Certificates Write'], `permission groups ${JSON.stringify(groups)}`);
const policy = {
  effect: 'allow',
  permission_groups: [{ id: groups['SSL and Certificates Write'] }],
  resources: { [`com.cloudflare.api.account.zone.${zone.id}`]: '*' },
};
const created = await admin.user.tokens.create({ name: 'node-ci', policies: [policy] });
const secret = created.value;
secrets.push(secret);
check(created.status === 'active' && created.id && secret, 'token created with its value');

let ci = tokenClient(secret);
const cert = await ci.clientCertificates.create({ zone_id: zone.id, csr: CSRS[0], validity_days: 30 });
check(cert.status === 'active', 'the new token issues in its zone');
await expectError(
  Cloudflare.PermissionDeniedError,
  () => ci.clientCertificates.create({ zone_id: other.id, csr: CSRS[1], validity_days: 30 }),
  'the zone-scoped token outside its zone',
);
const verified = await ci.user.tokens.verify();
check(verified.id === created.id && verified.status === 'active', `verify ${JSON.stringify(verified)}`);
check((await collect(admin.user.tokens.list())).some((t) => t.id === created.id), 'tokens.list has it');

const disabled = await admin.user.tokens.update(created.id, { name: 'node-ci', policies: [policy], status: 'disabled' });
check(disabled.status === 'disabled', 'updated to disabled');
await expectError(
  Cloudflare.AuthenticationError,
  () => collect(ci.clientCertificates.list({ zone_id: zone.id })),
  'a disabled token',
);
check((await ci.user.tokens.verify()).status === 'disabled', 'verify tells disabled');
await admin.user.tokens.update(created.id, { name: 'node-ci', policies: [policy], status: 'active' });

const rolled = await admin.user.tokens.value.update(created.id);
secrets.push(rolled);
check(typeof rolled === 'string' && rolled !== secret, 'roll gives a new secret');
await expectError(
  Cloudflare.AuthenticationError,
  () => collect(ci.clientCertificates.list({ zone_id: zone.id })),
  'the old secret after a roll',
);
ci = tokenClient(rolled);
check((await collect(ci.clientCertificates.list({ zone_id: zone.id }))).length === 1, 'the new secret works');
check((await admin.user.tokens.get(created.id)).last_used_on, 'last_used_on is kept');

await admin.user.tokens.delete(created.id);
await expectError(Cloudflare.AuthenticationError, () => ci.user.tokens.verify(), 'a deleted token');
await expectError(Cloudflare.NotFoundError, () => admin.user.tokens.get(created.id), 'get a deleted token');

const refusal = await expectError(
  Cloudflare.BadRequestError,
  () => admin.zones.delete({ zone_id: zone.id }),
  'deleting a zone with certificates',
);
check(JSON.stringify(refusal.error).includes('certificate'), 'the refusal says why');
await admin.zones.delete({ zone_id: other.id });
await expectError(Cloudflare.NotFoundError, () => admin.zones.get({ zone_id: other.id }), 'a deleted zone');

const entries = await collect(admin.user.auditLogs.list({ direction: 'asc', per_page: 1000 }));
const steps = entries.filter((e) => e.resource?.type !== 'user').map((e) => `${e.action.type} ${e.resource.type}`);
const expected = [
  'create zone', 'create zone', 'create token', 'issue certificate', 'update token', 'update token',
  'roll token', 'delete token', 'delete zone',
];
check(JSON.stringify(steps.slice(-expected.length)) === JSON.stringify(expected), `audit log steps ${steps}`);
const byToken = entries.filter((e) => e.actor?.id === created.id);
check(byToken.length === 1 && byToken[0].action.type === 'issue', 'the issuance is the token\'s');
const rolls = await collect(admin.user.auditLogs.list({ action: { type: 'roll' } }));
check(rolls.length === 1 && rolls[0].resource.id === created.id, 'filter by action.type');
const dump = JSON.stringify(entries);
check(secrets.every((s) => !dump.includes(s)), 'no secret in the audit log');

console.log(`node admin check: ${checks} passed, 0 failed`);
console.log(`SECRETS ${JSON.stringify(secrets)}`);

// A PKCS#10 certificate request (RFC 2986) for a WebCrypto ECDSA P-256 key, DER built by hand:
// the console fetches nothing from elsewhere, so there is no ASN.1 library to lean on.
// Subject: CN (and O when given); attributes: an extensionRequest with subjectAltName DNS names.

const enc = new TextEncoder();

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function length(n) {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

export function tlv(tag, content) {
  return concat(Uint8Array.of(tag), length(content.length), content);
}

export const sequence = (...items) => tlv(0x30, concat(...items));
const set = (...items) => tlv(0x31, concat(...items));
const utf8 = (text) => tlv(0x0c, enc.encode(text));
const octets = (bytes) => tlv(0x04, bytes);
const bits = (bytes) => tlv(0x03, concat(Uint8Array.of(0), bytes));

export function oid(dotted) {
  const [a, b, ...rest] = dotted.split(".").map(Number);
  const body = [40 * a + b];
  for (const arc of rest) {
    const chunk = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    body.push(...chunk);
  }
  return tlv(0x06, Uint8Array.from(body));
}

// A non-negative INTEGER from big-endian bytes: no superfluous leading zeros, a zero before a high bit.
export function integer(bytes) {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const v = bytes.slice(i);
  return tlv(0x02, v[0] & 0x80 ? concat(Uint8Array.of(0), v) : v);
}

function name(cn, org) {
  const rdn = (type, value) => set(sequence(oid(type), utf8(value)));
  return org ? sequence(rdn("2.5.4.10", org), rdn("2.5.4.3", cn)) : sequence(rdn("2.5.4.3", cn));
}

function attributes(dnsNames) {
  if (dnsNames.length === 0) return tlv(0xa0, new Uint8Array());
  const san = sequence(...dnsNames.map((d) => tlv(0x82, enc.encode(d))));
  const extensions = sequence(sequence(oid("2.5.29.17"), octets(san)));
  return tlv(0xa0, sequence(oid("1.2.840.113549.1.9.14"), set(extensions)));
}

export function pem(label, der) {
  let bin = "";
  for (const b of der) bin += String.fromCharCode(b);
  const lines = btoa(bin).match(/.{1,64}/g) || [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

// WebCrypto signs ECDSA as r || s (IEEE P1363); X.509 wants SEQUENCE { r INTEGER, s INTEGER }.
export function derSignature(raw) {
  const half = raw.length / 2;
  return sequence(integer(raw.slice(0, half)), integer(raw.slice(half)));
}

// A new P-256 key pair and its CSR: { csrPem, keyPem }. The private key stays in this page.
export async function keyAndCsr({ commonName, organization = "", dnsNames = [] }) {
  const keys = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey));
  const info = sequence(integer(Uint8Array.of(0)), name(commonName, organization), spki, attributes(dnsNames));
  const raw = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, keys.privateKey, info));
  const csr = sequence(info, sequence(oid("1.2.840.10045.4.3.2")), bits(derSignature(raw)));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  return { csrPem: pem("CERTIFICATE REQUEST", csr), keyPem: pem("PRIVATE KEY", pkcs8) };
}

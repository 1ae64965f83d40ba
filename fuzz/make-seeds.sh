#!/usr/bin/env bash
# Writes the seed inputs of fuzz/corpus/ (real CSRs and OCSP requests made by openssl against the
# test CA of fuzz/ca/, JSON bodies, query strings). Run once; the corpus is committed, and the
# fuzzer's own finds are added to it after `cargo fuzz cmin`. Needs openssl and python3.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p corpus/{csr,csr_signed,ocsp_request,create_body,list_query}

# CSRs: the accepted keys, refused ones, and the subject and SAN shapes the rules look at.
csr() {
  local name=$1 subject=$2
  shift 2
  openssl req -new -nodes -keyout /dev/null -subj "$subject" "$@" -out "$tmp/$name.pem" 2>/dev/null
  cp "$tmp/$name.pem" "corpus/csr/$name.pem"
  openssl req -in "$tmp/$name.pem" -outform DER -out "corpus/csr/$name.der"
}
p256=(-newkey ec -pkeyopt ec_paramgen_curve:P-256)
csr p256-cn "/CN=svc" "${p256[@]}"
csr p384-full "/C=NZ/ST=Wellington/L=Te Aro/O=Example Ltd/OU=Platform/CN=api.example.com" \
  -newkey ec -pkeyopt ec_paramgen_curve:P-384 \
  -addext "subjectAltName=DNS:api.example.com,DNS:*.svc.example.com,IP:192.0.2.7,IP:2001:db8::7,email:ops@example.com,URI:spiffe://example.com/ns/prod/sa/api"
csr ed25519-multivalued "/CN=svc+OU=Eng" -newkey ed25519 -multivalue-rdn
csr rsa2048-utf8 "/CN=Zoë/O=Société" -newkey rsa:2048 -utf8
csr rsa1024 "/CN=x" -newkey rsa:1024
csr p521 "/CN=x" -newkey ec -pkeyopt ec_paramgen_curve:P-521
csr empty-subject-san "/" "${p256[@]}" -addext "subjectAltName=critical,DNS:svc.example"
csr rid-san "/CN=x" "${p256[@]}" -addext "subjectAltName=RID:1.2.3.4"
csr othername-san "/CN=x" "${p256[@]}" -addext "subjectAltName=otherName:1.3.6.1.4.1.311.20.2.3;UTF8:a@example.com"
csr repeated-ou-dc "/DC=com/DC=example/OU=Eng/OU=Platform/CN=svc" "${p256[@]}"
csr email-serial "/emailAddress=ops@example.com/serialNumber=SN-1/CN=svc" "${p256[@]}"
csr extra-extensions "/CN=svc" "${p256[@]}" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=keyCertSign"

# Bare Names and GeneralNames for the name rules alone, written by hand (tag, then content).
python3 - "$tmp" <<'EOF'
import sys
def tlv(tag, content):
    n = len(content)
    if n < 0x80:
        head = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        head = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + head + content
CN, C, OU, DC = b"\x55\x04\x03", b"\x55\x04\x06", b"\x55\x04\x0b", b"\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x19"
def attr(oid, tag, value): return tlv(0x30, tlv(0x06, oid) + tlv(tag, value))
def name(*rdns): return tlv(0x30, b"".join(tlv(0x31, b"".join(r)) for r in rdns))
names = {
    "name-cn": name([attr(CN, 0x0c, b"svc")]),
    "name-bmp-c": name([attr(C, 0x13, b"NZ")], [attr(CN, 0x1e, "Zoë".encode("utf-16-be"))]),
    "name-multivalued": name([attr(OU, 0x0c, b"Eng"), attr(CN, 0x0c, b"svc")]),
    "name-dc-teletex": name([attr(DC, 0x16, b"example")], [attr(CN, 0x14, b"svc")]),
    "name-odd-oid": name([attr(b"\x78\x01", 0x0c, b"x")]),
}
sans = {
    "san-dns-ip": tlv(0x30, tlv(0x82, b"svc.example") + tlv(0x87, bytes([192, 0, 2, 7]))),
    "san-email-uri": tlv(0x30, tlv(0x81, b"ops@example.com") + tlv(0x86, b"spiffe://example.com/a")),
    "san-othername": tlv(0x30, tlv(0xa0, tlv(0x06, b"\x2b\x06\x01") + tlv(0xa0, tlv(0x0c, b"x")))),
}
for k, v in {**names, **sans}.items():
    open(f"corpus/csr/{k}.der", "wb").write(v)
EOF

# Operator subjects (`ca request --subject`).
printf '/C=US/O=Example/CN=Issuing CA' >corpus/csr/subject-openssl.txt
printf 'CN=Issuing CA,O=Example\\, Inc.,C=US,serialNumber=SN-1,DC=example' >corpus/csr/subject-rfc4514.txt

# OCSP requests about certificates of the test CA, and one of another CA's.
openssl x509 -inform DER -in ca/ca.der -out "$tmp/ca.pem"
ocsp() {
  local name=$1
  shift
  openssl ocsp -issuer "$tmp/ca.pem" "$@" -reqout "$tmp/$name.der" >/dev/null 2>&1
  { printf '\x00'; cat "$tmp/$name.der"; } >"corpus/ocsp_request/post-$name"
  { printf '\x01'; base64 -w0 "$tmp/$name.der"; } >"corpus/ocsp_request/get-$name"
}
ocsp sha1-nonce -serial 0x0123456789abcdef0123456789abcdef01234567
ocsp sha1-no-nonce -serial 0x01 -no_nonce
ocsp sha256-two -sha256 -serial 0x11 -serial 0x22
ocsp sha384 -sha384 -serial 0x7f00000000000000000000000000000000000001 -no_nonce
ocsp sha512 -sha512 -serial 0x42
{ printf '\x01'; base64 -w0 "$tmp/sha1-no-nonce.der" | tr '+/' '-_' | tr -d '='; } >corpus/ocsp_request/get-urlsafe-unpadded
openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout /dev/null \
  -subj "/CN=other CA" -days 30 -out "$tmp/other.pem" 2>/dev/null
openssl ocsp -issuer "$tmp/other.pem" -serial 0x01 -reqout "$tmp/other.der" >/dev/null 2>&1
{ printf '\x00'; cat "$tmp/other.der"; } >corpus/ocsp_request/post-other-issuer

# Create bodies around real CSRs.
python3 - <<'EOF'
import json
csr = open("corpus/csr/p256-cn.pem").read()
ed = open("corpus/csr/ed25519-multivalued.pem").read()
bodies = {
    "ok": {"csr": csr, "validity_days": 30},
    "ok-float": {"csr": csr, "validity_days": 365.0},
    "ok-max-extra": {"csr": ed, "validity_days": 3650, "type": "x"},
    "days-out-of-range": {"csr": csr, "validity_days": 3651},
    "days-fraction": {"csr": csr, "validity_days": 1.5},
    "days-huge": {"csr": csr, "validity_days": 1e300},
    "days-string": {"csr": csr, "validity_days": "30"},
    "csr-number": {"csr": 5, "validity_days": 30},
    "csr-missing": {"validity_days": 30},
    "csr-not-pem": {"csr": "hello", "validity_days": 30},
    "array": [csr, 30],
}
for k, v in bodies.items():
    open(f"corpus/create_body/{k}.json", "w").write(json.dumps(v))
open("corpus/create_body/crlf.json", "w").write(json.dumps({"csr": csr.replace("\n", "\r\n"), "validity_days": -1}))
open("corpus/create_body/truncated.json", "w").write('{"csr":')
EOF

# List queries.
i=0
while IFS= read -r q; do
  printf '%s' "$q" >"corpus/list_query/q$i"
  i=$((i + 1))
done <<'EOF'

page=2&per_page=10
status=active
status=pending_revocation&expires_before=2027-01-31T00:00:00Z
status=all&page=1e21&per_page=1000000000000000000000
offset=3&limit=12&per_page=5&page=3
page=2.0&per_page=10.0
page=%32&status=revok%65d
page=-1
expires_before=2027-01-31T00:00:00%2B13:00
per_page=abc&page=1.5
status=expired
a=b&a=c&&=&page
EOF
echo "seeds: $(find corpus -type f | wc -l) files"

// The issue page: makes a key pair and CSR in the browser (pkcs10.js) on request, submits the form
// with fetch so the key stays in this page, and offers key and certificate as downloads.
import { keyAndCsr } from "/console/assets/pkcs10.js";

const form = document.getElementById("issue");
const csrField = document.getElementById("csr");
const error = document.getElementById("issue-error");
const issued = document.getElementById("issued");
const keygen = document.getElementById("keygen");
let generated = null; // { csrPem, keyPem } of the CSR in the text area, when made here

keygen.hidden = false;

function fail(message) {
  error.textContent = message;
  error.hidden = false;
}

function blobUrl(text) {
  return URL.createObjectURL(new Blob([text], { type: "application/x-pem-file" }));
}

document.getElementById("generate").addEventListener("click", async (event) => {
  const button = event.currentTarget;
  const status = document.getElementById("keygen-status");
  const commonName = document.getElementById("cn").value.trim();
  const dns = document.getElementById("dns").value.trim();
  error.hidden = true;
  if (!commonName) {
    fail("Enter a common name for the new key's certificate.");
    document.getElementById("cn").focus();
    return;
  }
  button.setAttribute("aria-busy", "true");
  button.disabled = true;
  status.textContent = "Generating…";
  try {
    generated = await keyAndCsr({ commonName, dnsNames: dns ? [dns] : [] });
    csrField.value = generated.csrPem;
    status.textContent = "Key pair and CSR ready. The private key has not left this browser.";
  } catch (e) {
    fail(`This browser could not make the key: ${e}`);
    status.textContent = "";
  } finally {
    button.removeAttribute("aria-busy");
    button.disabled = false;
  }
});

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const submit = document.getElementById("submit");
  error.hidden = true;
  submit.setAttribute("aria-busy", "true");
  submit.disabled = true;
  try {
    const res = await fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        Accept: "application/json",
        "X-CSRF-Token": document.querySelector("meta[name=csrf-token]").content,
      },
      body: new URLSearchParams(new FormData(form)),
    });
    const body = await res.json().catch(() => null);
    if (!res.ok) {
      const messages = body && body.errors ? body.errors.map((e) => e.message).join("; ") : `HTTP ${res.status}`;
      fail(`Not issued: ${messages}`);
      return;
    }
    document.getElementById("issued-link").href = `/console/certificates/${body.id}`;
    document.getElementById("issued-link").textContent = `View the certificate ${body.common_name || body.id}`;
    const cert = document.getElementById("download-cert");
    cert.href = blobUrl(body.certificate);
    cert.download = `${body.common_name || body.id}.pem`;
    const key = document.getElementById("download-key");
    if (generated && generated.csrPem === csrField.value) {
      key.href = blobUrl(generated.keyPem);
      key.download = `${body.common_name || body.id}.key.pem`;
      key.hidden = false;
    } else {
      key.hidden = true;
    }
    issued.dataset.certificateId = body.id;
    issued.hidden = false;
    document.getElementById("issued-h").focus();
  } catch (e) {
    fail(`Not issued: ${e}`);
  } finally {
    submit.removeAttribute("aria-busy");
    submit.disabled = false;
  }
});

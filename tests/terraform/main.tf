# A zone, a client certificate in it and a token that may read the zone's certificates, made by
# Cloudflare's Terraform provider against mtls-ca. tests/terraform/run.sh applies this file; the
# README's Terraform section shows it.

terraform {
  required_providers {
    cloudflare = {
      source  = "cloudflare/cloudflare"
      version = "~> 5.22"
    }
  }
}

variable "base_url" {
  description = "mtls-ca's API, such as http://127.0.0.1:8080/client/v4"
  type        = string
}

variable "account_id" {
  description = "The account's id (GET /accounts)"
  type        = string
}

variable "csr_file" {
  description = "A PEM certificate signing request"
  type        = string
}

variable "validity_days" {
  type    = number
  default = 365
}

variable "token_name" {
  type    = string
  default = "certificate-monitoring"
}

# Credentials from the environment: CLOUDFLARE_API_TOKEN, or CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY.
provider "cloudflare" {
  base_url = var.base_url
}

resource "cloudflare_zone" "example" {
  account = { id = var.account_id }
  name    = "example.com"
}

# Changing validity_days (or the CSR) replaces the certificate: a new one is issued, then the old
# one is revoked. Destroying it revokes it.
resource "cloudflare_client_certificate" "billing" {
  zone_id       = cloudflare_zone.example.id
  csr           = file(var.csr_file)
  validity_days = var.validity_days

  lifecycle {
    create_before_destroy = true
  }
}

data "cloudflare_api_token_permission_groups_list" "ssl_read" {
  name = "SSL and Certificates Read"
}

resource "cloudflare_api_token" "monitoring" {
  name = var.token_name
  policies = [{
    effect            = "allow"
    permission_groups = [{ id = data.cloudflare_api_token_permission_groups_list.ssl_read.result[0].id }]
    resources = jsonencode({
      "com.cloudflare.api.account.zone.${cloudflare_zone.example.id}" = "*"
    })
  }]
}

output "zone_id" {
  value = cloudflare_zone.example.id
}

output "certificate_id" {
  value = cloudflare_client_certificate.billing.id
}

output "certificate_pem" {
  value = cloudflare_client_certificate.billing.certificate
}

output "ca_id" {
  value = cloudflare_client_certificate.billing.certificate_authority.id
}

output "token_id" {
  value = cloudflare_api_token.monitoring.id
}

output "token_value" {
  value     = cloudflare_api_token.monitoring.value
  sensitive = true
}

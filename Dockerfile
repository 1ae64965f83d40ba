# Multi-stage build: compile in the Rust image, run from a slim Debian as a non-root user.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY migrations ./migrations
COPY benches ./benches
RUN cargo build --release --locked --bin mtls-ca

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/mtls-ca --create-home mtls-ca
COPY --from=build /src/target/release/mtls-ca /usr/local/bin/mtls-ca
COPY config /etc/mtls-ca
USER mtls-ca
WORKDIR /var/lib/mtls-ca
ENV MTLS_CA_CONFIG=/etc/mtls-ca/default.toml \
    MTLS_CA_LISTEN=0.0.0.0:8080 \
    MTLS_CA_DATABASE_URL=sqlite:///var/lib/mtls-ca/mtls-ca.db
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["mtls-ca"]
CMD ["serve"]

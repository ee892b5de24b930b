# Ferry as a container: `docker build -t ferry .` then
# `docker run -p 8000:8000 -v ferry-data:/data ferry`.
# scripts/docker-test.sh builds and exercises this image.

# Build: the stripped, LTO'd `dist` profile (see Cargo.toml), on the same
# Debian release as the runtime image so that the binary's glibc matches.
FROM rust:1.95-bookworm AS builder
WORKDIR /src
COPY . .
RUN cargo build --profile dist --locked -p ferry \
    && cp target/dist/ferry /usr/local/bin/ferry

# Run: a small Debian image with only the binary and CA certificates (for an
# external `--s3-endpoint` over HTTPS).
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data ferry \
    && mkdir /data && chown ferry /data
COPY --from=builder /usr/local/bin/ferry /usr/local/bin/ferry
USER ferry
VOLUME /data
EXPOSE 8000
ENTRYPOINT ["ferry"]
CMD ["serve", "--listen", "0.0.0.0:8000", "--data-dir", "/data"]

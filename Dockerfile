# The kbgp image: kbgpd, kbgp (the CLI) and kbgp-sync on Debian 12, built from this tree.
#   docker build -t kbgp:0.1.0 .
# Used by configs/k8s/kbgp-daemonset.yaml and by the node containers of docker-compose.yml.

FROM debian:12 AS build
WORKDIR /src
COPY scripts/deps.sh scripts/deps.sh
RUN scripts/deps.sh --build && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKBGP_WERROR=ON \
 && cmake --build /build --target kbgpd kbgp kbgp-sync \
 && mkdir -p /out/bin \
 && cp /build/daemon/kbgpd /build/cli/kbgp /build/sidecar/kbgp-sync /out/bin/ \
 && strip /out/bin/* \
 # The runtime stage installs exactly the Debian packages that own the shared libraries the
 # binaries link, so the two stages cannot drift apart.
 && ldd /out/bin/* | awk '/=> \//{print $3}' | sort -u | xargs -r dpkg -S \
    | cut -d: -f1 | sort -u > /out/runtime-packages

FROM debian:12-slim
COPY --from=build /out/runtime-packages /usr/share/kbgp/runtime-packages
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
      $(cat /usr/share/kbgp/runtime-packages) \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/bin/ /usr/local/bin/
COPY configs/kbgpd.yaml /etc/kbgp/kbgpd.yaml
# BGP, the gRPC API (loopback by default), kbgpd metrics, kbgp-sync metrics and probes.
EXPOSE 179 9179 9180
ENTRYPOINT ["kbgpd"]

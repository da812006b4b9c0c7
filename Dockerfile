# Builds the sellerguard binary into a small, static, non-root image
# (docker-compose.yml runs it as the daemon and as the simulator).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/sellerguard ./cmd/sellerguard

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/sellerguard /usr/local/bin/sellerguard
# Inside a container the API must listen on every interface to be reachable.
ENV SELLERGUARD_LISTEN=0.0.0.0:8080
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/sellerguard"]
CMD ["run"]

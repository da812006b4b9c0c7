# Builds the sellerguard binary into a small image.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/sellerguard ./cmd/sellerguard

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/sellerguard /usr/local/bin/sellerguard
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/sellerguard"]
CMD ["run"]

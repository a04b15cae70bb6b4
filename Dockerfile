# KvsInference worker image: the ECS worker (default) and the SageMaker model server (`serve`, port 8080).
# .NET 10 images are Ubuntu 24.04 "noble" (Microsoft ships no Debian images for .NET 10), so the native
# media libraries are noble's: libopus0, libavcodec60 (AAC) and libswresample4.

FROM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build
WORKDIR /src
# .dockerignore sends only global.json, Directory.*.props and src/ (without the CDK app, bin/ and obj/).
COPY . .
RUN dotnet publish src/KvsInference.Worker -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble AS runtime
# curl: the ECS container health check (GET :8081/healthz); the base image has none.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libopus0 libavcodec60 libswresample4 curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app ./
# 8080: SageMaker `serve` (/ping, /invocations); 8081: the worker's /healthz and /metrics.
EXPOSE 8080 8081
# The non-root user the .NET images define (uid 1654).
USER $APP_UID
ENTRYPOINT ["dotnet", "/app/KvsInference.Worker.dll"]

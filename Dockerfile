# KvsInference worker image: the ECS worker (default) and the SageMaker model server (`serve`, port 8080).
# The runtime stage is Debian 12 (bookworm) so that the native media libraries are exactly the ones the
# tests run against (libopus0, libavcodec59 + libswresample4 for AAC: the P/Invoke binding checks the
# libavcodec 59 struct layout). Microsoft ships .NET 10 images on Ubuntu only, so the portable ASP.NET
# runtime is copied from the official image (it needs glibc >= 2.27; bookworm has 2.36).

FROM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build
WORKDIR /src
# .dockerignore sends only global.json, Directory.*.props and src/ (without the CDK app, bin/ and obj/).
COPY . .
RUN dotnet publish src/KvsInference.Worker -c Release -r linux-x64 --self-contained false -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble AS dotnet

FROM debian:bookworm-slim AS runtime
# curl: the ECS container health check (GET :8081/healthz). ca-certificates + libssl3: HTTPS to AWS.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libssl3 libstdc++6 zlib1g curl \
       libopus0 libavcodec59 libswresample4 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --uid 1654 --create-home --shell /usr/sbin/nologin app
COPY --from=dotnet /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
ENV DOTNET_RUNNING_IN_CONTAINER=true DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=true
WORKDIR /app
COPY --from=build /app ./
# 8080: SageMaker `serve` (/ping, /invocations); 8081: the worker's /healthz and /metrics.
EXPOSE 8080 8081
USER 1654
ENTRYPOINT ["dotnet", "/app/KvsInference.Worker.dll"]

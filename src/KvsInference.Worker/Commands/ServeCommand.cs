using System.CommandLine;
using KvsInference.Avatar.Serving;

namespace KvsInference.Worker.Commands;

/// <summary>`serve`: the SageMaker inference container (GET /ping, POST /invocations on port 8080).</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var urls = new Option<string?>("--urls") { Description = "Listen URLs (default http://0.0.0.0:8080, or the port in SAGEMAKER_BIND_TO_PORT)." };
        var port = new Option<int?>("--port") { Description = "Listen on 0.0.0.0:<port> (ignored when --urls is given)." };
        var maxBody = new Option<long>("--max-body-bytes") { Description = "Largest request body (413 above).", DefaultValueFactory = _ => ModelServerConstants.DefaultMaxBodyBytes };
        var modelDir = new Option<string>("--model-dir") { Description = "Where to look for visemes.weights before the embedded weights.", DefaultValueFactory = _ => "/opt/ml/model" };
        var frameRate = new Option<double>("--frame-rate") { Description = "Output frames per second.", DefaultValueFactory = _ => 60 };
        var maxStreams = new Option<int>("--max-streams") { Description = "Most per-stream model states held (least recently used dropped first).", DefaultValueFactory = _ => LocalVisemeInferenceClient.DefaultMaxStreams };
        var maxConcurrent = new Option<int>("--max-concurrent-invocations") { Description = "Invocations parsed and run at once (default: processor count).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var maxQueued = new Option<int>("--max-queued-invocations") { Description = "Invocations waiting for a slot before 503.", DefaultValueFactory = _ => ModelServerConstants.DefaultMaxQueuedInvocations };
        var command = new Command("serve", "Serve the viseme model with the SageMaker container contract.") { urls, port, maxBody, modelDir, frameRate, maxStreams, maxConcurrent, maxQueued };
        command.SetAction(async (parse, cancellationToken) =>
        {
            // SageMaker may ask the container to bind another port (inference pipelines, multi-container endpoints).
            var sageMakerPort = Environment.GetEnvironmentVariable("SAGEMAKER_BIND_TO_PORT");
            var listen = parse.GetValue(urls)
                ?? (parse.GetValue(port) is { } p ? $"http://0.0.0.0:{p}" : null)
                ?? (int.TryParse(sageMakerPort, out var sp) ? $"http://0.0.0.0:{sp}" : ModelServerConstants.DefaultUrls);
            var options = new ModelServerOptions
            {
                Urls = listen,
                MaxBodyBytes = parse.GetValue(maxBody),
                ModelDirectory = parse.GetValue(modelDir)!,
                FrameRate = parse.GetValue(frameRate),
                MaxStreams = parse.GetValue(maxStreams),
                MaxConcurrentInvocations = parse.GetValue(maxConcurrent),
                MaxQueuedInvocations = parse.GetValue(maxQueued),
            };
            try
            {
                options.Validate();
            }
            catch (System.ComponentModel.DataAnnotations.ValidationException e)
            {
                Console.Error.WriteLine("serve: " + e.Message);
                return 2;
            }
            await using var server = await ModelServer.StartAsync(options, cancellationToken: cancellationToken);
            Console.WriteLine($"serving {server.Client.ModelName} on {string.Join(", ", server.Addresses)}");
            await server.WaitForShutdownAsync(cancellationToken);
            return 0;
        });
        return command;
    }
}

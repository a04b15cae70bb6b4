using Amazon.CDK;
using KvsInference.Cdk;
using KvsInference.Cdk.Configuration;

// `cdk synth` / `cdk deploy` run this (cdk.json). Parameters: CDK context or KVSI_CDK_* variables (docs/deploying.md).
try
{
    var app = new App();
    FleetApp.AddStack(app, key => app.Node.TryGetContext(key), System.Environment.GetEnvironmentVariable);
    app.Synth();
    return 0;
}
catch (FleetSettingsException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

// jsii runs one node process per test process and is not thread-safe: no parallel tests in this assembly.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

// TorchSharp's random generator is process-wide: TorchSharp tests running side by side would draw from it in
// turn and lose their seeded reproducibility. Test classes therefore run one after another.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

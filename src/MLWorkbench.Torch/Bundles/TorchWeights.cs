using static TorchSharp.torch;

namespace MLWorkbench.Bundles;

/// <summary>Writes and reads TorchSharp weights (state_dict) as bundle entries.</summary>
internal static class TorchWeights
{
    /// <summary>
    /// The network's state_dict in TorchSharp's format. Tensors are read back from CPU memory only, so a network on
    /// another device is copied into <paramref name="createEmpty"/>'s fresh CPU network first, leaving the trained one where it is.
    /// </summary>
    public static byte[] Save(nn.Module network, Func<nn.Module> createEmpty)
    {
        using var stream = new MemoryStream();
        if (network.parameters().Concat(network.buffers()).All(t => t.device_type == TorchSharp.DeviceType.CPU))
            network.save(stream);
        else
        {
            using var copy = createEmpty();
            using (no_grad())
            {
                var state = network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.cpu());
                copy.load_state_dict(state);
                foreach (var t in state.Values) t.Dispose();
            }
            copy.save(stream);
        }
        return stream.ToArray();
    }

    /// <summary>
    /// Builds a network with <paramref name="create"/> and loads <paramref name="weights"/> into it (on the CPU, in eval
    /// mode), after checking that the sizes it is built from agree with the weights: every parameter takes at least one
    /// byte of the state_dict (four in fp32), so a description that asks for more parameters than the weights have bytes
    /// is refused before anything is allocated (a 2 KB file must not make a network of gigabytes).
    /// </summary>
    /// <param name="minimumParameters">A lower bound on the parameters the description asks for (the dominant layers).</param>
    /// <param name="create">Builds the network with fresh weights.</param>
    /// <param name="weights">The saved state_dict.</param>
    /// <exception cref="InvalidDataException">The description asks for more than the weights hold, or they do not fit the network.</exception>
    public static T Load<T>(double minimumParameters, Func<T> create, byte[] weights) where T : nn.Module
    {
        if (!(minimumParameters <= weights.Length))
            throw new InvalidDataException(
                $"the network's sizes ask for at least {minimumParameters:N0} parameters, but its weights hold only {weights.LongLength:N0} bytes");
        return Load(create(), weights);
    }

    /// <summary>Loads <paramref name="weights"/> into <paramref name="network"/> (on the CPU) and puts it in eval mode.</summary>
    private static T Load<T>(T network, byte[] weights) where T : nn.Module
    {
        try
        {
            using (var stream = new MemoryStream(weights, writable: false))
                network.load(stream);
            network.eval();
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }
}

# nn.Sequential.extend with a generator of fresh blocks.
def replicate(block_factory, n):
    net = nn.Sequential()
    net.extend(block_factory() for _ in range(n))
    return net

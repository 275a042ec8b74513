# Returns an nn.ModuleList: registered, but not callable as a network.
def replicate(block_factory, n):
    return nn.ModuleList([block_factory() for _ in range(n)])
